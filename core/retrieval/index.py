"""The persistent gallery index: a dataset encoded once, searched many times.

This module is the reader of the on-disk format. :mod:`.build` encodes dataset folders
into an index (``motionlex index``) and writes it (:func:`.index_writer.write_index`);
:mod:`.search` ranks it (``motionlex search``).

The files of an index directory (format version 2) are listed in :mod:`.index_format`.

A build (or an incremental add) writes a hidden temporary folder next to the target and
renames it into place when complete, so an interrupted build never leaves a readable half
index and an existing index stays intact; a build killed during the swap is finished or undone
by the next open (:func:`~motionlex.core.atomic.recover_directory`), and builds of one index
wait for each other (:func:`~motionlex.core.atomic.directory_lock`). :meth:`GalleryIndex.load`
checks every file's size and checksum and, given a model, that the model is the one the index
was built with. The playback joints and the posting lists are checked block by block as they
are read (an index of a million motions opens without reading them), and ``lexical.npz`` (needed
only for brute-force scores and incremental builds) when it is first read
(:mod:`.mapped_checks`). Indexes written before the block checksums existed verify
``joints.npy`` whole at open, as they always did.
"""

from __future__ import annotations

import difflib
import logging
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from motionlex.core.atomic import recover_directory
from motionlex.core.model.types import EncoderModel
from motionlex.core.motion.skeleton import Skeleton
from motionlex.core.patches import PatchStats
from motionlex.core.retrieval.ann import ANN_FILE
from motionlex.core.retrieval.fingerprints import model_fingerprint
from motionlex.core.retrieval.fusion import DEFAULT_FUSION_WEIGHT
from motionlex.core.retrieval.index_checks import shape_problems, string_list_problem
from motionlex.core.retrieval.index_format import (
    DATA_FILES,
    DEFERRED_FILES,
    INDEX_FORMAT,
    INDEX_VERSION,
    INVERTED_ARRAYS,
    MANIFEST,
    OPTIONAL_FILES,
    GalleryIndexError,
    GalleryItem,
    IndexMismatchError,
    IndexSettings,
    _block_verifier,
    _load_inverted,
    _load_json,
    _load_npy,
    _load_sparse,
    _read_manifest,
    model_mismatch,
)
from motionlex.core.retrieval.item_store import (
    ITEMS_HEAD,
    ITEMS_ROWS,
    ItemColumn,
    ItemRows,
    read_items_head,
    read_items_json,
)
from motionlex.core.retrieval.mapped_checks import MappedFileChecks
from motionlex.core.retrieval.verified import BlockVerifier

__all__ = [
    "DATA_FILES", "INDEX_FORMAT", "INDEX_VERSION", "MANIFEST", "OPTIONAL_FILES", "GalleryIndex",
    "GalleryIndexError", "GalleryItem", "IndexMismatchError", "IndexSettings",
]

logger = logging.getLogger(__name__)


def unit_rows(dense: np.ndarray) -> np.ndarray:
    """Rows as float32 unit vectors (a new array; a zero row stays 0).

    The index stores dense embeddings as float16, whose rounding moves their norm off 1 by
    up to about 1e-3: every reader re-normalises them this one way, so a score means the
    same in the searcher, the explorer's analyses and the evaluation.

    Args:
        dense: ``(n, D)`` float16 or float32 embeddings.

    Returns:
        ``(n, D)`` float32.
    """
    x = np.array(dense, np.float32)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return x


class GalleryIndex(MappedFileChecks):
    """A loaded gallery index (read with :meth:`load`, written by :func:`.build.build_index`).

    Attributes:
        path: the index directory.
        manifest: the parsed ``manifest.json``.
        dense: ``(N, D)`` float16 dense embeddings (memory-mapped).
        inverted: ``(N, V)`` float32 CSC lexical matrix (the inverted index).
        ids / captions / sources / source_sha256 / datasets / meta: per-item columns.
        fps / num_frames / skeleton_ids / joint_offsets: ``(N,)``/``(N+1,)`` arrays.
        skeletons: distinct skeletons; vocabulary: the lexical vocabulary; patch_stats.

    The checks before a memory-mapped file is read (:meth:`check_unchanged`,
    :meth:`check_postings`) come from :class:`~.mapped_checks.MappedFileChecks`.

    Open one with :meth:`load`, which reads the manifest and checks the files' sizes (and
    SHA-256). The constructor, not meant to be called directly, takes that parsed manifest:
    ``check`` compares the arrays' shapes with it and with each other
    (:func:`~.index_checks.shape_problems`; GalleryIndexError), ``verify`` checks the
    deferred files (``lexical.npz``) at their first read and ``joints.npy`` and the posting
    lists block by block as they are read.
    """

    def __init__(self, path: Path, manifest: dict, *, check: bool = True,
                 verify: bool = False) -> None:
        self.path = path
        self.manifest = manifest
        self.version = int(manifest.get("version", INDEX_VERSION))
        self._unverified = {n for n in DEFERRED_FILES if verify}  # checked on first read
        self.dense = _load_npy(path / "dense.npy", mmap=True)
        self._lexical: sp.csr_matrix | None = None
        self._posting_blocks: tuple[BlockVerifier | None, ...] = ()
        try:
            with np.load(path / "items.npz", allow_pickle=False) as z:
                self.fps = z["fps"].astype(np.float32)
                self.num_frames = z["num_frames"].astype(np.int64)
                self.skeleton_ids = z["skeleton"].astype(np.int64)
                self.joint_offsets = z["joint_offsets"].astype(np.int64)
                row_offsets = z["row_offsets"] if self.version >= 2 else None
            if self.version >= 2:
                indptr, indices, data = _load_inverted(path)
                self._posting_offsets = (int(indices.offset), int(data.offset))
                if verify:
                    self._posting_blocks = tuple(_block_verifier(path, manifest, name)
                                                 for name in INVERTED_ARRAYS[1:])
                self.ids, self.first_captions = read_items_head(path / ITEMS_HEAD,
                                                                GalleryIndexError)
                rows = ItemRows(path / ITEMS_ROWS, row_offsets, GalleryIndexError)
                self.captions: Sequence[list[str]] = ItemColumn(rows, "captions")
                self.sources: Sequence[str] = ItemColumn(rows, "sources")
                self.source_sha256: Sequence[str] = ItemColumn(rows, "source_sha256")
                self.datasets: Sequence[str] = ItemColumn(rows, "datasets")
                self.meta: Sequence[dict] = ItemColumn(rows, "meta")
            else:  # version 1: the inverted index and the columns read whole
                self.inverted = _load_sparse(path / "inverted.npz", "csc")
                cols = read_items_json(path / "items.json", GalleryIndexError)
                self.ids = cols["ids"]
                self.captions, self.sources = cols["captions"], cols["sources"]
                self.source_sha256, self.datasets = cols["source_sha256"], cols["datasets"]
                self.meta = cols["meta"]
                self.first_captions = [c[0] if c else "" for c in self.captions]
            skeletons = _load_json(path / "skeletons.json")
            if not isinstance(skeletons, list):
                raise TypeError(f"skeletons.json is a {type(skeletons).__name__}, not a list")
            self.skeletons = [Skeleton.from_dict(d) for d in skeletons]
            self.patch_stats = PatchStats.from_dict(_load_json(path / "patch_stats.json"))
            vocabulary = _load_json(path / "vocabulary.json")
            problem = string_list_problem(vocabulary, "vocabulary.json")
            if problem:
                raise TypeError(problem)
            self.vocabulary: list[str] = vocabulary
            if self.version >= 2:  # the CSC matrix over the mapped arrays (no copy)
                if len(indptr) != len(vocabulary) + 1:
                    raise GalleryIndexError(
                        f"{path}: inconsistent index: vocabulary.json has "
                        f"{len(vocabulary)} words but the inverted index has "
                        f"{len(indptr) - 1} posting lists")
                self.inverted = sp.csc_matrix((data, indices, indptr), copy=False, shape=(
                    int(manifest.get("count", 0)), len(vocabulary)))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, OSError, EOFError,
                zipfile.BadZipFile) as e:
            if isinstance(e, GalleryIndexError):
                raise
            raise GalleryIndexError(f"{path}: malformed index ({type(e).__name__}: {e})") from e
        self._joint_rows = _load_npy(path / "joints.npy", mmap=True)
        self._joint_blocks = _block_verifier(path, manifest, "joints.npy") if verify else None
        mapped = ("dense.npy", "joints.npy",
                  *(INVERTED_ARRAYS if self.version >= 2 else ()))
        self._watch_mapped(mapped)
        self._position_map: dict[str, int] | None = None
        problems = shape_problems(self, self._joint_rows) if check else []
        if problems:
            raise GalleryIndexError(f"{self.path}: inconsistent index: " + "; ".join(problems))

    # -- loading --------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike, model: EncoderModel | None = None, *,
             verify: bool = True, loaded_from: str | os.PathLike | None = None,
             source: str | None = None) -> GalleryIndex:
        """Open an index directory, checking its manifest (and model, when given).

        Args:
            path: the index directory (e.g. ``gallery.mlx``).
            model: optional, a ``MotionTextModel`` or ``LiteModel`` (:data:`~.types.EncoderModel`);
                its :func:`model_fingerprint` must equal the one recorded at build time.
            verify: check every file's SHA-256 (sizes are always checked).
            loaded_from / source: where ``model`` comes from, for the mismatch message
                (:meth:`check_model`).

        Returns:
            The index; ``joints.npy`` and ``dense.npy`` are memory-mapped. With ``verify``,
            ``joints.npy`` is checked block by block as motions are fetched (at open for
            indexes written without block checksums) and ``lexical.npz`` on first use.

        Raises:
            FileNotFoundError: no such directory.
            GalleryIndexError: no or unreadable manifest, another format or version, a
                missing file, or a file whose size or checksum differs from the manifest
                (named, expected vs actual), or arrays of inconsistent sizes.
            IndexMismatchError: ``model`` is not the model the index was built with (both
                hashes named).
            TypeError: ``model`` is not a model (:func:`~.fingerprints.require_model`).
        """
        root = Path(path)
        recover_directory(root)  # a swap interrupted by a killed build
        if not root.is_dir():
            raise FileNotFoundError(
                f"{root} is a file, not a gallery index (an index is a folder built by "
                f"'motionlex index')" if root.exists() else f"gallery index not found: {root}")
        manifest = _read_manifest(root, verify)
        index = cls(root, manifest, verify=verify)
        if model is not None:
            index.check_model(model, loaded_from=loaded_from, source=source)
        logger.info("loaded gallery index %s (%d motions)", root, len(index))
        return index

    def check_model(self, model: EncoderModel, *, loaded_from: str | os.PathLike | None = None,
                    source: str | None = None) -> None:
        """Raise :class:`IndexMismatchError` unless ``model`` built this index.

        Args:
            model: a ``MotionTextModel`` or ``LiteModel`` (:data:`~.types.EncoderModel`).
            loaded_from / source: where it was loaded from and how that was chosen, for the
                message (:func:`~.index_format.model_mismatch`).

        Raises:
            TypeError: ``model`` is not a model (a path, a name).
            IndexMismatchError: the fingerprints differ (both named).
        """
        got, want = model_fingerprint(model), self.model_hash
        if got != want:
            raise model_mismatch(self.path, want, got, self.checkpoint, loaded_from, source)

    # -- accessors ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        """Folder, size and shapes: ``GalleryIndex('g.mlx', 90 motions, dense (90, 256),
        30522 words, checkpoint '...')``."""
        return (f"GalleryIndex({str(self.path)!r}, {len(self)} motions, "
                f"dense {tuple(self.dense.shape)}, {len(self.vocabulary)} words, "
                f"checkpoint {self.checkpoint!r})")

    @property
    def model_hash(self) -> str:
        """:func:`model_fingerprint` of the model that built the index."""
        return str(self.manifest["model"]["sha256"])

    @property
    def checkpoint(self) -> str | None:
        """Checkpoint directory recorded at build time (may have moved since)."""
        return self.manifest["model"].get("checkpoint")

    @property
    def lexical_similarity(self) -> str:
        """``"cosine"`` (stored vectors L2-normalised) or ``"dot"``."""
        return str(self.manifest["model"]["lexical_similarity"])

    @property
    def fusion_weight(self) -> float:
        """Default fusion weight (from the checkpoint's validation, else 0.5)."""
        return float(self.manifest.get("fusion_weight", DEFAULT_FUSION_WEIGHT))

    @property
    def settings(self) -> IndexSettings:
        """How the index was encoded."""
        return IndexSettings.from_dict(self.manifest.get("settings", {}))

    def dense_float32(self) -> np.ndarray:
        """``(N, D)`` float32 dense embeddings, re-normalised to unit length.

        Read from disk into a new array (the float16 file is not kept mapped), so a
        searcher holds the vectors once.
        """
        return unit_rows(_load_npy(self.path / "dense.npy"))

    def unit_dense(self, rows: Sequence[int] | np.ndarray | int) -> np.ndarray:
        """Dense embeddings of some motions as the searcher scores them.

        Args:
            rows: gallery row indices (``(n,)`` ints in ``[0, N)``), or one row; a
                negative row is refused, not counted from the end (rows come from hits).

        Returns:
            ``(n, D)`` (or ``(D,)`` for one row) float32 unit vectors: the stored float16
            rows re-normalised (:func:`unit_rows`).

        Raises:
            IndexError: a row outside ``[0, N)`` (the first one named).
        """
        r = np.asarray(rows, np.int64)
        bad = r[(r < 0) | (r >= len(self))]
        if bad.size:
            raise IndexError(f"row {int(bad.flat[0])} out of range for {len(self)} motions")
        if r.ndim == 0:
            return unit_rows(self.dense[int(r)][None])[0]
        return unit_rows(self.dense[r])

    @property
    def lexical(self) -> sp.csr_matrix:
        """``(N, V)`` float32 CSR lexical matrix (read on first use)."""
        if self._lexical is None:
            self._verify_deferred("lexical.npz")
            self._lexical = _load_sparse(self.path / "lexical.npz", "csr")
        return self._lexical

    @property
    def ann(self) -> dict | None:
        """``manifest["ann"]`` (``kind``, ``nlist``, ``nprobe``) when the index stores an IVF
        dense index (:mod:`.ann`), else None."""
        info = self.manifest.get("ann")
        return dict(info) if info else None

    def ann_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The stored IVF: ``(centroids (L, D) float32, lists (N,) int32)``.

        Raises:
            GalleryIndexError: the index has none, or it is unreadable or does not fit.
        """
        if not self.ann:
            raise GalleryIndexError(f"{self.path}: no IVF dense index stored (built with "
                                    "fewer motions or without faiss)")
        path = self.path / ANN_FILE
        try:
            with np.load(path, allow_pickle=False) as z:
                cent, lists = z["centroids"].astype(np.float32), z["lists"].astype(np.int64)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
            raise GalleryIndexError(f"{path}: unreadable IVF index ({e})") from e
        d = self.dense.shape[1]
        if cent.ndim != 2 or cent.shape[1] != d or lists.shape != (len(self),) or (
                len(lists) and (lists.min() < 0 or lists.max() >= len(cent))):
            raise GalleryIndexError(f"{path}: IVF of centroids {cent.shape} and lists "
                                    f"{lists.shape} does not fit {len(self)} motions of {d} dims")
        return cent, lists

    def size_bytes(self) -> int:
        """Total size of the index files."""
        return sum(int(v["bytes"]) for v in self.manifest["files"].values())

    def position(self, item_id: str) -> int:
        """Row of an item id.

        Raises:
            TypeError: ``item_id`` is not a str (a row is already a position).
            KeyError: unknown id (names it and the index).
        """
        if not isinstance(item_id, str):
            raise TypeError(f"position takes an item id (str), got {type(item_id).__name__} "
                            f"{item_id!r:.40}")
        if self._position_map is None:  # built on first use (0.5 s for a million ids)
            self._position_map = {k: i for i, k in enumerate(self.ids)}
        if item_id not in self._position_map:
            near = [k for k in self._position_map if k.endswith("/" + item_id)][:3]
            hint = f"; ids start with their folder's name: {', '.join(near)}" if near else ""
            if not near and len(self.ids) <= 100_000:  # a typo (a second at most)
                close = difflib.get_close_matches(item_id, self.ids, n=3, cutoff=0.8)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise KeyError(f"no motion with id {item_id!r} in {self.path}{hint}")
        return self._position_map[item_id]

    def skeleton_of(self, i: int) -> Skeleton:
        """Skeleton of item ``i``."""
        return self.skeletons[int(self.skeleton_ids[i])]

    def joints(self, i: int) -> np.ndarray:
        """Canonical joints of item ``i``: ``(T, J, 3)`` float32, metres, 20 fps.

        Raises:
            IndexError: ``i`` out of range.
        """
        if not -len(self) <= i < len(self):
            raise IndexError(f"item {i} out of range for {len(self)} motions")
        self.check_unchanged(("joints.npy",))
        i = i % len(self)
        a, b = int(self.joint_offsets[i]), int(self.joint_offsets[i + 1])
        self._check_joint_rows(a, b)
        return np.asarray(self._joint_rows[a:b], np.float32).reshape(
            int(self.num_frames[i]), -1, 3)

    def item(self, i: int) -> GalleryItem:
        """Metadata of item ``i`` (negative counts from the end).

        Returns:
            :class:`GalleryItem`: its row, id, captions (may be empty: an uncaptioned
            BVH), source file, frame rate (20 fps), frame count, skeleton and metadata.

        Raises:
            IndexError: ``i`` out of range.
        """
        if not -len(self) <= i < len(self):
            raise IndexError(f"item {i} out of range for {len(self)} motions")
        i = i % len(self)
        return GalleryItem(i, self.ids[i], tuple(self.captions[i]), self.sources[i],
                           float(self.fps[i]), int(self.num_frames[i]), self.skeleton_of(i),
                           dict(self.meta[i]))
