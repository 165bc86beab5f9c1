"""The gallery index format's constants, settings, item record, errors and file readers.

:mod:`.index` (the reader, :class:`~.index.GalleryIndex`) and :mod:`.index_writer` share
them; :mod:`.index` re-exports every public name, so ``from
motionlex.core.retrieval.index import IndexSettings`` keeps working.

Index directory, format version 2 (every file JSON, ``.npy`` or ``.npz``; nothing is ever
unpickled; version 1 indexes, with ``inverted.npz`` and ``items.json`` read whole, still open):

=====================  ==================================================================
file                   content
=====================  ==================================================================
``manifest.json``      format/version, item count, model identity (SHA-256 of config and
                       weights, :func:`model_fingerprint`), patch-statistics hash,
                       settings, fusion weight, ``loaders`` (``{"bvh": version}`` of the
                       BVH loader that read the rows; a rebuild re-encodes BVH rows of
                       another or no version), ``data_folders`` (optional: the data
                       folders, resolved, and the split each was read with, which
                       ``index --rebuild`` reads again), and ``files``: bytes + SHA-256 of
                       each file
``dense.npy``          ``(N, D)`` float16 L2-normalised dense motion embeddings
``lexical.npz``        ``(N, V)`` float32 CSR lexical vectors (``scipy.sparse.save_npz``),
                       pruned to ``lexical_top_k`` words per motion, L2-normalised when the
                       model's ``lexical_similarity`` is ``"cosine"`` (so a sparse dot
                       product is the cosine)
``inverted_*.npy``     the same matrix as CSC, one posting list (motions, weights) per
                       word: ``inverted_indptr.npy (V+1,) int64``, ``inverted_indices.npy
                       (nnz,) int32``, ``inverted_data.npy (nnz,) float32``; the last two
                       memory-mapped and block-checked like ``joints.npy`` (a word's list
                       is verified when a query first reads it)
``items_head.json``    ``ids`` and first ``captions`` of every motion (read at open)
``items.jsonl``        one JSON object per motion and line: ``captions``, ``source``
                       (absolute path), ``sha256``, ``dataset``, ``meta``; decoded on
                       access (:mod:`.item_store`)
``items.npz``          ``fps (N,) float32``, ``num_frames (N,) int64``, ``skeleton (N,)
                       int32`` (index into ``skeletons.json``), ``joint_offsets (N+1,)
                       int64`` (row offsets into ``joints.npy``), ``row_offsets (N+1,)
                       int64`` (byte offsets of the rows of ``items.jsonl``)
``joints.npy``         ``(R, 3)`` float16/32 canonical joints, metres, all motions
                       concatenated; motion ``i`` is rows ``joint_offsets[i]:[i+1]``
                       reshaped to ``(T_i, J_i, 3)``; memory-mapped, never read at open:
                       its manifest entry also lists a SHA-256 per 4 MiB block, checked
                       when a motion in that block is first fetched (:mod:`.verified`)
``dense_ivf.npz``      only for galleries of :data:`~.ann.ANN_MIN_ITEMS` motions or more
                       (with faiss installed): the IVF dense index, ``centroids (L, D)
                       float32`` and ``lists (N,) int32``; ``manifest["ann"]`` records its
                       kind, ``nlist`` and ``nprobe`` (:mod:`.ann`)
``skeletons.json``     list of ``Skeleton.to_dict()`` (usually one shared skeleton)
``patch_stats.json``   ``PatchStats.to_dict()`` used to encode
``vocabulary.json``    the lexical vocabulary (WordPiece tokens in id order)
=====================  ==================================================================
"""

from __future__ import annotations

import json
import shlex
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from glob import escape as glob_escape
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from motionlex.core.data.bvh_folders import has_bvh
from motionlex.core.model.folder import CONFIG_FILE, WEIGHTS_FILE
from motionlex.core.motion.skeleton import Skeleton
from motionlex.core.retrieval.ann import ANN_FILE
from motionlex.core.retrieval.embed import LONG_CLIP_MODES
from motionlex.core.retrieval.fingerprints import file_sha256
from motionlex.core.retrieval.index_checks import manifest_problems
from motionlex.core.retrieval.verified import BlockVerifier, rebuild_hint

INDEX_FORMAT = "motionlex-gallery"
INDEX_VERSION = 2
"""Version written. Version 2 (a million motions open in seconds) stores the inverted index
as three memory-mapped arrays and the item columns as ``items_head.json`` + ``items.jsonl``
(:mod:`.item_store`); version 1 kept ``inverted.npz`` and ``items.json``, read whole."""
READ_VERSIONS = (1, 2)
"""Versions this motionlex reads."""
MANIFEST = "manifest.json"
INVERTED_ARRAYS = ("inverted_indptr.npy", "inverted_indices.npy", "inverted_data.npy")
"""Version 2's inverted index: CSC ``indptr (V+1,) int64``, ``indices (nnz,) int32`` (motion
rows, ascending within each word) and ``data (nnz,) float32`` weights."""
DATA_FILES_BY_VERSION = {
    1: ("dense.npy", "lexical.npz", "inverted.npz", "items.json", "items.npz", "joints.npy",
        "skeletons.json", "patch_stats.json", "vocabulary.json"),
    2: ("dense.npy", "lexical.npz", *INVERTED_ARRAYS, "items_head.json", "items.jsonl",
        "items.npz", "joints.npy", "skeletons.json", "patch_stats.json", "vocabulary.json"),
}
DATA_FILES = DATA_FILES_BY_VERSION[INDEX_VERSION]
"""The data files of an index, each listed in the manifest with its size and SHA-256."""
OPTIONAL_FILES = (ANN_FILE,)
"""Files only some indexes have (listed in the manifest like the data files when present):
the IVF dense index of a large gallery (:mod:`.ann`)."""
BLOCK_CHECKED_FILES = ("joints.npy", "inverted_indices.npy", "inverted_data.npy")
"""Files whose manifest entry also has per-block checksums (:mod:`.verified`): memory-mapped,
never read whole at open; each block is verified the first time it is read (the joints when a
motion is played, a word's posting list when a query uses the word)."""
DEFERRED_FILES = ("lexical.npz",)
"""Files not needed to search (brute-force lexical scores, incremental builds): their
checksum is verified when they are first read, not when the index opens."""


OS_LITTER = (".DS_Store", "Thumbs.db", "desktop.ini")
"""Files a file manager leaves in any folder it shows (and ``._*`` AppleDouble files): not a
user's, so an index update may replace them with the folder."""


def foreign_entries(root: str | Path) -> list[str]:
    """Names in an index folder that no index version writes (a user's notes, figures),
    sorted, folders with a trailing ``/``: replacing the folder would delete them. A file
    manager's :data:`OS_LITTER` does not count.

    Source: motionlex (an index update swaps the whole folder, :mod:`motionlex.core.atomic`).
    """
    own = {MANIFEST, *OPTIONAL_FILES, *OS_LITTER,
           *(n for v in DATA_FILES_BY_VERSION.values() for n in v)}
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p.name + ("/" if p.is_dir() else "") for p in root.iterdir()
                  if p.name not in own and not p.name.startswith("._"))


class GalleryIndexError(ValueError):
    """An index directory that cannot be used (corrupted, incomplete, other format)."""


class IndexMismatchError(GalleryIndexError):
    """An index built with another model or other patch statistics than the ones given."""


def model_mismatch(index: str | Path, want: str, got: str, recorded: str | None,
                   loaded_from: str | Path | None = None,
                   source: str | None = None) -> IndexMismatchError:
    """The error for an index used with another model than the one that built it, worded by
    where that model came from and saying how to go on (the one home of this message).

    Args:
        index: the index directory.
        want / got: :func:`~.fingerprints.model_fingerprint` recorded / of the model given.
        recorded: the checkpoint folder the index records (or None).
        loaded_from: the folder the model given was loaded from (or None: unknown).
        source: how that folder was chosen: ``"given"`` (``--checkpoint``), ``"recorded"``
            (the index's own checkpoint, so the folder now holds another model),
            ``"shipped"`` (the default model), or None (elsewhere, e.g. the explorer).
    """
    new_index = f"into a new --out folder (or delete {index} first)"
    rebuild = f"motionlex index --out {shlex.quote(str(index))} --rebuild"  # its own folders
    if source == "recorded" and _is_shipped(loaded_from):  # a new motionlex, a git pull
        return IndexMismatchError(
            f"{index} was built with an earlier shipped model ({want[:16]}...); the shipped "
            f"model ({loaded_from}) has been updated since (now {got[:16]}...): re-encode "
            f"the index's motions with it: {rebuild}")
    if source == "recorded":  # e.g. 'motionlex train --overwrite' into the same --out
        return IndexMismatchError(
            f"{index} was built with model {want[:16]}... but its checkpoint folder "
            f"{loaded_from} now holds another model ({got[:16]}...; trained again since?); "
            f"re-encode the index's motions with it: {rebuild}")
    recorded_there = bool(recorded) and Path(str(recorded)).is_dir()
    if source is None:
        again = f"index the data again with this model {new_index}"
        if recorded_there:
            fix = (f"{again}, or use the checkpoint it was built with ({recorded}), unless "
                   f"that folder was trained again since")
        elif recorded:
            with_this = rebuild + (f" --checkpoint {shlex.quote(str(loaded_from))}"
                                   if loaded_from and not _is_shipped(loaded_from) else "")
            fix = (f"its checkpoint ({recorded}) no longer exists, so re-encode its motions "
                   f"with this model: {with_this}")
        else:  # built from Python without checkpoint=: no folder to point at
            fix = (f"it records no checkpoint (build_index(..., checkpoint=DIR) records it): "
                   f"use the model that built it, or {again}")
        return IndexMismatchError(f"{index} was built with model {want[:16]}... but the "
                                  f"loaded model is {got[:16]}... (another checkpoint); {fix}")
    whose = (f"the model in --checkpoint {loaded_from}" if source == "given"
             else f"the shipped model ({loaded_from})")
    if source == "given" and recorded_there:
        fix = (f"leave out --checkpoint to use the one it was built with ({recorded}), or "
               f"index the data with this model {new_index}")
    elif source == "given":
        fix = f"index the data with this model {new_index}"
    else:  # the model that built it is gone (or unrecorded)
        fix = (f"give the model that built it with --checkpoint, or re-encode the index's "
               f"motions with the shipped model: {rebuild}")
    return IndexMismatchError(f"{index} was built with model {want[:16]}... but {whose} is "
                              f"{got[:16]}...; {fix}")


def _is_shipped(folder: str | Path | None) -> bool:
    """Whether ``folder`` is the shipped model's (``resources/default_model``)."""
    from motionlex.resources import DEFAULT_MODEL_DIR  # resources: a light package

    return folder is not None and Path(folder).resolve() == DEFAULT_MODEL_DIR.resolve()


@dataclass(frozen=True)
class IndexSettings:
    """How motions are encoded and stored (recorded in the manifest; fixed per index).

    Attributes:
        lexical_top_k: words kept per motion vector (the heaviest ones), ``None`` keeps every
            non-zero word. Pruning a document's weakest terms is standard for SPLADE indexes
            (Lassance and Clinchant, "An Efficiency Study for SPLADE Models", SIGIR 2022,
            Sec. 3); it bounds the index size of models that are not yet sparse.
        long_clips: ``"windows"`` (every 224-frame window, pooled) or ``"first"``.
        joints_dtype: ``"float16"`` (rounding of at most 0.5 mm within 2 m of the start, 4 mm
            at 10 m) or ``"float32"``.
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


def _load_inverted(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Version 2's inverted index: ``indptr`` read, ``indices`` and ``data`` memory-mapped.

    Returns:
        ``(indptr, indices, data)`` for a ``(N, V)`` CSC matrix (shape checked by the index).

    The arrays are mapped copy-on-write (writable views of the file that are never written),
    so torch and SciPy use them without a copy; only the posting lists a query reads are
    paged in. Their contents are checked block by block on first read (:mod:`.verified`).

    Raises:
        GalleryIndexError: unreadable arrays, wrong dtypes or sizes that do not agree.
    """
    indptr_path, indices_path, data_path = (folder / n for n in INVERTED_ARRAYS)
    indptr = _load_npy(indptr_path)
    try:
        indices = np.load(indices_path, mmap_mode="c", allow_pickle=False)
        data = np.load(data_path, mmap_mode="c", allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise GalleryIndexError(f"{folder}: unreadable inverted index ({e})") from e
    nnz = len(indices) if indices.ndim == 1 else -1
    if (indptr.ndim != 1 or indptr.dtype != np.int64 or len(indptr) < 1 or indptr[0] != 0
            or indptr[-1] != nnz or np.any(np.diff(indptr) < 0)):
        raise GalleryIndexError(f"{indptr_path}: posting-list offsets do not fit "
                                f"{indices_path.name} ({indices.shape})")
    if indices.dtype != np.int32 or data.dtype != np.float32 or data.shape != indices.shape:
        raise GalleryIndexError(f"{folder}: inverted index arrays are {indices.dtype} "
                                f"{indices.shape} and {data.dtype} {data.shape}, expected int32 "
                                "and float32 of one length")
    return indptr, indices, data


def _check_sha256(path: Path, info: dict) -> None:
    digest = file_sha256(path)
    if digest != info["sha256"]:
        raise GalleryIndexError(
            f"{path}: checksum {digest[:16]}... does not match the manifest's "
            f"{info['sha256'][:16]}... (the file changed or is corrupted; "
            f"{rebuild_hint(path.parent)})")


def _block_verifier(path: Path, manifest: dict, name: str) -> BlockVerifier | None:
    """The block checker of a file listed with ``block_sha256``, None for older indexes
    (whose file was verified whole at open)."""
    info = manifest["files"][name]
    if "block_sha256" not in info:
        return None
    try:
        return BlockVerifier(path / name, int(info["block_bytes"]), list(info["block_sha256"]),
                             GalleryIndexError)
    except (KeyError, TypeError, ValueError, OSError) as e:
        raise GalleryIndexError(f"{path / name}: unusable block checksums ({e})") from e


def read_manifest(root: str | Path) -> dict | None:
    """An index folder's ``manifest.json`` as it is, read without opening the index or
    checking it (what an interrupted or concurrent build left, say).

    Returns:
        The parsed JSON object; None when there is no such file or it is unreadable, not
        UTF-8 JSON or not a JSON object (nothing is raised).
    """
    try:
        manifest = json.loads((Path(root) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None
    return manifest if isinstance(manifest, dict) else None


def _read_manifest(root: Path, verify: bool) -> dict:
    """The checked ``manifest.json`` of an index folder, after checking each file's size and
    (``verify``) the SHA-256 of the files read whole at open (:meth:`.index.GalleryIndex.load`).

    Raises:
        GalleryIndexError: as :meth:`.index.GalleryIndex.load` lists.
    """
    mpath = root / MANIFEST
    if not mpath.is_file():
        work = [p for p in (root.parent / f".{root.name}.work",
                            *root.parent.glob(f".{glob_escape(root.name)}.tmp-*")) if p.exists()]
        empty = root.is_dir() and not any(root.iterdir())
        hint = (f"an interrupted build left {work[0]}: run the same 'motionlex index' command "
                f"again to finish it" if work else
                f"build one with 'motionlex index --data DIR --out "
                f"{root if empty else 'gallery.mlx'}'")
        if root.is_dir() and ((root / "new_joints").is_dir() or has_bvh(root)):
            hint = (f"it is a dataset folder: build an index of it with 'motionlex index "
                    f"--data {root} --out {root.name}.mlx'")
        elif (root / CONFIG_FILE).is_file() and (root / WEIGHTS_FILE).is_file():
            hint = (f"it is a model folder: build an index with it by 'motionlex index "
                    f"--checkpoint {root} --data DIR --out gallery.mlx'")
        raise GalleryIndexError(f"{root}: not a gallery index (no {MANIFEST}; {hint})")
    manifest = _load_json(mpath)
    if not isinstance(manifest, dict) or manifest.get("format") != INDEX_FORMAT:
        raise GalleryIndexError(f"{mpath}: not a {INDEX_FORMAT} manifest")
    version = manifest.get("version")
    if version not in READ_VERSIONS:
        raise GalleryIndexError(f"{mpath}: index version {version!r}; this motionlex reads "
                                f"versions {', '.join(map(str, READ_VERSIONS))} (rebuild "
                                "it, or update motionlex)")
    problems = manifest_problems(manifest, DATA_FILES_BY_VERSION[version])
    if problems:
        raise GalleryIndexError(f"{mpath}: malformed manifest: " + "; ".join(problems))
    try:
        IndexSettings.from_dict(manifest.get("settings", {}))
    except ValueError as e:
        raise GalleryIndexError(f"{mpath}: malformed manifest: {e}") from e
    files = manifest["files"]
    if manifest.get("ann") and ANN_FILE not in files:
        raise GalleryIndexError(f"{mpath}: manifest lists no entry for {[ANN_FILE]}")
    hash_now = []
    for name, info in sorted(files.items()):
        f = root / name
        if not f.is_file():
            raise GalleryIndexError(f"{root}: file {name} listed in the manifest is missing")
        size = f.stat().st_size
        if size != info["bytes"]:
            raise GalleryIndexError(f"{f}: size {size} bytes, manifest says {info['bytes']} "
                                    f"(changed or truncated; {rebuild_hint(root)})")
        later = name in DEFERRED_FILES or (name in BLOCK_CHECKED_FILES
                                           and "block_sha256" in info)
        if verify and not later:
            hash_now.append((f, info))
    # hashlib releases the GIL: the files are hashed on two threads
    with ThreadPoolExecutor(max_workers=2) as pool:
        for _ in pool.map(lambda fi: _check_sha256(*fi), hash_now):
            pass
    return manifest
