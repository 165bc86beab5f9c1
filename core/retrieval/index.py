"""The persistent gallery index: a dataset encoded once, searched many times.

This module is the on-disk format and its reader. :mod:`.build` encodes dataset folders
into an index (``motionlex index``) and writes it (:func:`.build.write_index`);
:mod:`.search` ranks it (``motionlex search``).

Index directory (every file JSON, ``.npy`` or ``.npz``; nothing is ever unpickled):

=====================  ==================================================================
file                   content
=====================  ==================================================================
``manifest.json``      format/version, item count, model identity (SHA-256 of config and
                       weights, :func:`model_fingerprint`), patch-statistics hash,
                       settings, fusion weight, and ``files``: bytes + SHA-256 of each file
``dense.npy``          ``(N, D)`` float16 L2-normalised dense motion embeddings
``lexical.npz``        ``(N, V)`` float32 CSR lexical vectors (``scipy.sparse.save_npz``),
                       pruned to ``lexical_top_k`` words per motion, L2-normalised when the
                       model's ``lexical_similarity`` is ``"cosine"`` (so a sparse dot
                       product is the cosine)
``inverted.npz``       the same matrix as CSC: one posting list (motions, weights) per word
``items.json``         columns ``ids``, ``captions`` (list per motion), ``sources``
                       (absolute paths), ``source_sha256``, ``datasets``, ``meta``
``items.npz``          ``fps (N,) float32``, ``num_frames (N,) int64``, ``skeleton (N,)
                       int32`` (index into ``skeletons.json``), ``joint_offsets (N+1,)
                       int64`` (row offsets into ``joints.npy``)
``joints.npy``         ``(R, 3)`` float16/32 canonical joints, metres, all motions
                       concatenated; motion ``i`` is rows ``joint_offsets[i]:[i+1]``
                       reshaped to ``(T_i, J_i, 3)``
``skeletons.json``     list of ``Skeleton.to_dict()`` (usually one shared skeleton)
``patch_stats.json``   ``PatchStats.to_dict()`` used to encode
``vocabulary.json``    the lexical vocabulary (WordPiece tokens in id order)
=====================  ==================================================================

A build (or an incremental add) writes a hidden temporary folder next to the target and
renames it into place when complete, so an interrupted build never leaves a readable half
index and an existing index stays intact; a build killed during the swap is finished or undone
by the next open (:func:`~motionlex.core.atomic.recover_directory`), and builds of one index
wait for each other (:func:`~motionlex.core.atomic.directory_lock`). :meth:`GalleryIndex.load`
checks every file's size and checksum and, given a model, that the model is the one the index
was built with.
"""

from __future__ import annotations

import json
import logging
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from motionlex.core.atomic import recover_directory
from motionlex.core.motion.skeleton import Skeleton
from motionlex.core.patches import PatchStats
from motionlex.core.retrieval.embed import LONG_CLIP_MODES
from motionlex.core.retrieval.fingerprints import file_sha256, model_fingerprint
from motionlex.core.retrieval.fusion import DEFAULT_FUSION_WEIGHT
from motionlex.core.retrieval.index_checks import (
    items_problems,
    manifest_problems,
    string_list_problem,
)

logger = logging.getLogger(__name__)

INDEX_FORMAT = "motionlex-gallery"
INDEX_VERSION = 1
MANIFEST = "manifest.json"
DATA_FILES = (
    "dense.npy", "lexical.npz", "inverted.npz", "items.json", "items.npz", "joints.npy",
    "skeletons.json", "patch_stats.json", "vocabulary.json",
)
"""The data files of an index, each listed in the manifest with its size and SHA-256."""


class GalleryIndexError(ValueError):
    """An index directory that cannot be used (corrupted, incomplete, other format)."""


class IndexMismatchError(GalleryIndexError):
    """An index built with another model or other patch statistics than the ones given."""


@dataclass(frozen=True)
class IndexSettings:
    """How motions are encoded and stored (recorded in the manifest; fixed per index).

    Attributes:
        lexical_top_k: words kept per motion vector (the heaviest ones), ``None`` keeps every
            non-zero word. Pruning a document's weakest terms is standard for SPLADE indexes
            (Lassance and Clinchant, "An Efficiency Study for SPLADE Models", SIGIR 2022,
            Sec. 3); it bounds the index size of models that are not yet sparse.
        long_clips: ``"windows"`` (every 224-frame window, pooled) or ``"first"``.
        joints_dtype: ``"float16"`` (about 2 mm rounding at 2 m) or ``"float32"``.
    """

    lexical_top_k: int | None = 128
    long_clips: str = "windows"
    joints_dtype: str = "float16"

    def __post_init__(self) -> None:
        if self.lexical_top_k is not None and self.lexical_top_k < 1:
            raise ValueError(f"lexical_top_k must be >= 1 or None, got {self.lexical_top_k}")
        if self.long_clips not in LONG_CLIP_MODES:
            raise ValueError(f"long_clips must be one of {LONG_CLIP_MODES}, got "
                             f"{self.long_clips!r}")
        if self.joints_dtype not in ("float16", "float32"):
            raise ValueError(f"joints_dtype must be 'float16' or 'float32', got "
                             f"{self.joints_dtype!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"lexical_top_k": self.lexical_top_k, "long_clips": self.long_clips,
                "joints_dtype": self.joints_dtype}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> IndexSettings:
        """Inverse of :meth:`to_dict` (unknown keys are ignored for forward compatibility)."""
        return cls(d.get("lexical_top_k", 128), d.get("long_clips", "windows"),
                   d.get("joints_dtype", "float16"))


@dataclass(frozen=True)
class GalleryItem:
    """Metadata of one indexed motion.

    Attributes:
        index: row in the index.
        id: unique id, ``"<dataset folder>/<motion id>"``.
        captions: all its captions (may be empty, e.g. for BVH files).
        source: absolute path of the source file.
        fps: frame rate of the stored joints (20, canonical).
        num_frames: ``T``.
        skeleton: its skeleton.
        meta: dataset metadata (e.g. Bandai ``action``/``style``).
    """

    index: int
    id: str
    captions: tuple[str, ...]
    source: str
    fps: float
    num_frames: int
    skeleton: Skeleton
    meta: dict = field(default_factory=dict)

    @property
    def caption(self) -> str:
        """The first caption, or ``""``."""
        return self.captions[0] if self.captions else ""


class GalleryIndex:
    """A loaded gallery index (read with :meth:`load`, written by :func:`.build.build_index`).

    Attributes:
        path: the index directory.
        manifest: the parsed ``manifest.json``.
        dense: ``(N, D)`` float16 dense embeddings (memory-mapped).
        inverted: ``(N, V)`` float32 CSC lexical matrix (the inverted index).
        ids / captions / sources / source_sha256 / datasets / meta: per-item columns.
        fps / num_frames / skeleton_ids / joint_offsets: ``(N,)``/``(N+1,)`` arrays.
        skeletons: distinct skeletons; vocabulary: the lexical vocabulary; patch_stats.
    """

    def __init__(self, path: Path, manifest: dict, *, check: bool = True) -> None:
        self.path = path
        self.manifest = manifest
        self.dense = _load_npy(path / "dense.npy", mmap=True)
        self.inverted = _load_sparse(path / "inverted.npz", "csc")
        self._lexical: sp.csr_matrix | None = None
        items = _load_json(path / "items.json")
        problems = items_problems(items)
        if problems:
            raise GalleryIndexError(f"{path / 'items.json'}: malformed items: "
                                    + "; ".join(problems))
        try:
            self.ids: list[str] = list(items["ids"])
            self.captions: list[list[str]] = [list(c) for c in items["captions"]]
            self.sources: list[str] = list(items["sources"])
            self.source_sha256: list[str] = list(items["source_sha256"])
            self.datasets: list[str] = list(items["datasets"])
            self.meta: list[dict] = list(items["meta"])
            with np.load(path / "items.npz", allow_pickle=False) as z:
                self.fps = z["fps"].astype(np.float32)
                self.num_frames = z["num_frames"].astype(np.int64)
                self.skeleton_ids = z["skeleton"].astype(np.int64)
                self.joint_offsets = z["joint_offsets"].astype(np.int64)
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
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, OSError, EOFError,
                zipfile.BadZipFile) as e:
            raise GalleryIndexError(f"{path}: malformed index ({type(e).__name__}: {e})") from e
        self._joints = _load_npy(path / "joints.npy", mmap=True)
        self._positions = {k: i for i, k in enumerate(self.ids)}
        if check:
            self._check_shapes()

    def _check_shapes(self) -> None:
        n = int(self.manifest.get("count", -1))
        problems = []
        if self.dense.ndim != 2 or self.dense.shape[0] != n:
            problems.append(f"dense.npy is {self.dense.shape}, expected ({n}, D)")
        if self.inverted.shape != (n, len(self.vocabulary)):
            problems.append(f"inverted.npz is {self.inverted.shape}, expected "
                            f"({n}, {len(self.vocabulary)})")
        cols = {"ids": self.ids, "captions": self.captions, "sources": self.sources,
                "source_sha256": self.source_sha256, "datasets": self.datasets,
                "meta": self.meta, "fps": self.fps, "num_frames": self.num_frames,
                "skeleton": self.skeleton_ids}
        problems += [f"{k} has {len(v)} entries, expected {n}" for k, v in cols.items()
                     if len(v) != n]
        if len(self.joint_offsets) != n + 1 or (n and self.joint_offsets[-1] != len(self._joints)):
            problems.append(f"joint_offsets ({len(self.joint_offsets)}) do not match {n} items "
                            f"and joints.npy {self._joints.shape}")
        if n and (self.skeleton_ids.min() < 0 or self.skeleton_ids.max() >= len(self.skeletons)):
            problems.append("skeleton ids out of range")
        if len(self._positions) != n:
            problems.append("ids are not unique")
        if problems:
            raise GalleryIndexError(f"{self.path}: inconsistent index: " + "; ".join(problems))

    # -- loading --------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike, model: Any = None, *,
             verify: bool = True) -> GalleryIndex:
        """Open an index directory, checking its manifest (and model, when given).

        Args:
            path: the index directory (e.g. ``gallery.mlx``).
            model: optional :class:`~.model.MotionTextModel`; its :func:`model_fingerprint`
                must equal the one recorded at build time.
            verify: check every file's SHA-256 (sizes are always checked).

        Returns:
            The index; ``joints.npy`` and ``dense.npy`` are memory-mapped.

        Raises:
            FileNotFoundError: no such directory.
            GalleryIndexError: no or unreadable manifest, another format or version, a
                missing file, or a file whose size or checksum differs from the manifest
                (named, expected vs actual), or arrays of inconsistent sizes.
            IndexMismatchError: ``model`` is not the model the index was built with (both
                hashes named).
        """
        root = Path(path)
        recover_directory(root)  # a swap interrupted by a killed build
        if not root.is_dir():
            raise FileNotFoundError(f"gallery index not found: {root}")
        mpath = root / MANIFEST
        if not mpath.is_file():
            raise GalleryIndexError(f"{root}: not a gallery index (no {MANIFEST}; an "
                                    "interrupted build leaves none)")
        manifest = _load_json(mpath)
        if not isinstance(manifest, dict) or manifest.get("format") != INDEX_FORMAT:
            raise GalleryIndexError(f"{mpath}: not a {INDEX_FORMAT} manifest")
        if manifest.get("version") != INDEX_VERSION:
            raise GalleryIndexError(f"{mpath}: index version {manifest.get('version')!r}; this "
                                    f"motionlex reads version {INDEX_VERSION} (rebuild it)")
        problems = manifest_problems(manifest, DATA_FILES)
        if problems:
            raise GalleryIndexError(f"{mpath}: malformed manifest: " + "; ".join(problems))
        try:
            IndexSettings.from_dict(manifest.get("settings", {}))
        except ValueError as e:
            raise GalleryIndexError(f"{mpath}: malformed manifest: {e}") from e
        files = manifest["files"]
        for name, info in sorted(files.items()):
            f = root / name
            if not f.is_file():
                raise GalleryIndexError(f"{root}: file {name} listed in the manifest is missing")
            size = f.stat().st_size
            if size != info["bytes"]:
                raise GalleryIndexError(f"{f}: size {size} bytes, manifest says {info['bytes']} "
                                        "(changed or truncated; rebuild the index)")
            if verify:
                digest = file_sha256(f)
                if digest != info["sha256"]:
                    raise GalleryIndexError(
                        f"{f}: checksum {digest[:16]}... does not match the manifest's "
                        f"{info['sha256'][:16]}... (the file changed or is corrupted; rebuild "
                        "the index)")
        index = cls(root, manifest)
        if model is not None:
            index.check_model(model)
        logger.info("loaded gallery index %s (%d motions)", root, len(index))
        return index

    def check_model(self, model: Any) -> None:
        """Raise :class:`IndexMismatchError` unless ``model`` built this index.

        Raises:
            IndexMismatchError: the fingerprints differ (both named).
        """
        got, want = model_fingerprint(model), self.model_hash
        if got != want:
            raise IndexMismatchError(
                f"{self.path} was built with model {want[:16]}... but the given model is "
                f"{got[:16]}... (another checkpoint); rebuild the index with this model or "
                f"use the checkpoint it was built with ({self.checkpoint or 'not recorded'})")

    # -- accessors ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.ids)

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
        dense = _load_npy(self.path / "dense.npy").astype(np.float32)
        dense /= np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-12)
        return dense

    @property
    def lexical(self) -> sp.csr_matrix:
        """``(N, V)`` float32 CSR lexical matrix (read on first use)."""
        if self._lexical is None:
            self._lexical = _load_sparse(self.path / "lexical.npz", "csr")
        return self._lexical

    def size_bytes(self) -> int:
        """Total size of the index files."""
        return sum(int(v["bytes"]) for v in self.manifest["files"].values())

    def position(self, item_id: str) -> int:
        """Row of an item id.

        Raises:
            KeyError: unknown id (names it and the index).
        """
        if item_id not in self._positions:
            raise KeyError(f"no motion with id {item_id!r} in {self.path}")
        return self._positions[item_id]

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
        i = i % len(self)
        rows = self._joints[self.joint_offsets[i]:self.joint_offsets[i + 1]]
        return np.asarray(rows, np.float32).reshape(int(self.num_frames[i]), -1, 3)

    def item(self, i: int) -> GalleryItem:
        """Metadata of item ``i``.

        Raises:
            IndexError: ``i`` out of range.
        """
        if not -len(self) <= i < len(self):
            raise IndexError(f"item {i} out of range for {len(self)} motions")
        i = i % len(self)
        return GalleryItem(i, self.ids[i], tuple(self.captions[i]), self.sources[i],
                           float(self.fps[i]), int(self.num_frames[i]), self.skeleton_of(i),
                           dict(self.meta[i]))


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise GalleryIndexError(f"{path}: unreadable JSON ({e})") from e


def _load_npy(path: Path, mmap: bool = False) -> np.ndarray:
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise GalleryIndexError(f"{path}: unreadable array ({e})") from e


def _load_sparse(path: Path, fmt: str) -> sp.csr_matrix | sp.csc_matrix:
    """Read a ``save_npz`` file without pickle, checking its format."""
    try:
        with np.load(path, allow_pickle=False) as z:
            stored = z["format"].item()
            stored = stored.decode() if isinstance(stored, bytes) else str(stored)
            if stored != fmt:
                raise GalleryIndexError(f"{path}: sparse format {stored!r}, expected {fmt!r}")
            cls = sp.csr_matrix if fmt == "csr" else sp.csc_matrix
            return cls((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
        raise GalleryIndexError(f"{path}: unreadable sparse matrix ({e})") from e
