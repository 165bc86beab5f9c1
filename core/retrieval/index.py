"""The persistent gallery index: a dataset encoded once, searched many times.

``motionlex index --checkpoint DIR --data DIR --out gallery.mlx`` encodes every motion of one
or more dataset folders (HumanML3D/KIT-ML layout or a folder of BVH files) into an index
directory; ``motionlex search "query" --index gallery.mlx`` ranks it (:mod:`.search`).

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
index and an existing index stays intact. :meth:`GalleryIndex.load` checks every file's size
and checksum and, given a model, that the model is the one the index was built with.

Motions longer than the model's 224 frames are encoded in consecutive 224-frame windows
(the last one aligned to the clip's end); the dense embedding is the re-normalised mean of
the windows' embeddings and the lexical vector their element-wise maximum (SPLADE's max
pooling carried over windows), so a search finds an action anywhere in a long clip.
``long_clips="first"`` encodes only the first window, as the validation protocol does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from motionlex.core.atomic import atomic_directory
from motionlex.core.model.factory import load_checkpoint  # noqa: F401 - THE loader (factory)
from motionlex.core.motion.motion import Motion, MotionFileError
from motionlex.core.motion.skeleton import Skeleton
from motionlex.core.patches import PatchStats, part_resampling_matrix, patches_from_joints

logger = logging.getLogger(__name__)

INDEX_FORMAT = "motionlex-gallery"
INDEX_VERSION = 1
MANIFEST = "manifest.json"
DEFAULT_FUSION_WEIGHT = 0.5
LONG_CLIP_MODES = ("windows", "first")
_DATA_FILES = (
    "dense.npy", "lexical.npz", "inverted.npz", "items.json", "items.npz", "joints.npy",
    "skeletons.json", "patch_stats.json", "vocabulary.json",
)


class BuildCancelled(Exception):
    """An index build stopped by its progress callback; nothing was written."""


class GalleryIndexError(ValueError):
    """An index directory that cannot be used (corrupted, incomplete, other format)."""


class IndexMismatchError(GalleryIndexError):
    """An index built with another model or other patch statistics than the ones given."""


# ------------------------------------------------------------------------------ identities
def file_sha256(path: str | Path) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB blocks (never whole into memory)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_fingerprint(model: torch.nn.Module) -> str:
    """Identity of a :class:`~.model.MotionTextModel`: SHA-256 of its config and weights.

    Hashes the config (sorted JSON) and every tensor of the state dict as float32 bytes, each
    tied tensor once, in state-dict order. The training-only phase decoders
    (``phase_heads.*``) are left out: an inference checkpoint re-initialises them on load
    and they never touch an embedding. The same checkpoint loaded twice, on any device,
    gives the same fingerprint.

    Returns:
        64 hex characters.
    """
    h = hashlib.sha256()
    h.update(json.dumps(model.config.to_dict(), sort_keys=True, default=str).encode())
    seen: set[tuple[int, tuple[int, ...], torch.dtype]] = set()
    for name, t in model.state_dict().items():
        if name.startswith("phase_heads."):
            continue
        ident = (t.data_ptr(), tuple(t.shape), t.dtype)
        if ident in seen:
            continue
        seen.add(ident)
        h.update(f"{name}:{tuple(t.shape)}".encode())
        h.update(t.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return h.hexdigest()


def stats_fingerprint(stats: PatchStats) -> str:
    """SHA-256 of the float32 ``mean`` and ``std`` of patch statistics (64 hex chars)."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(stats.mean, np.float32).tobytes())
    h.update(np.ascontiguousarray(stats.std, np.float32).tobytes())
    return h.hexdigest()


# ------------------------------------------------------------------------------ settings
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


# ------------------------------------------------------------------------------ encoding
def clip_windows(num_frames: int, max_frames: int, long_clips: str = "windows") -> list[int]:
    """First frames of the windows a clip is encoded in.

    Args:
        num_frames: clip length ``T``.
        max_frames: window length (the model's 224).
        long_clips: ``"windows"``: consecutive windows, the last aligned to the clip's end;
            ``"first"``: only frame 0.

    Returns:
        Sorted start frames; ``[0]`` when ``T <= max_frames``.
    """
    if num_frames <= max_frames or long_clips == "first":
        return [0]
    starts = list(range(0, num_frames - max_frames + 1, max_frames))
    if starts[-1] + max_frames < num_frames:
        starts.append(num_frames - max_frames)
    return starts


@torch.inference_mode()
def encode_motions(
    model: Any,
    motions: Sequence[tuple[np.ndarray, Skeleton]],
    stats: PatchStats,
    *,
    batch_size: int = 32,
    long_clips: str = "windows",
) -> tuple[np.ndarray, np.ndarray]:
    """Dense and lexical embeddings of canonical motions, long clips pooled over windows.

    Args:
        model: a :class:`~.model.MotionTextModel` (eval mode is set here).
        motions: ``(joints (T, J, 3) float metres, canonical 20 fps, skeleton)`` pairs;
            skeletons may differ between motions.
        stats: patch z-score statistics (the model's training statistics).
        batch_size: windows per forward pass.
        long_clips: see :func:`clip_windows`.

    Returns:
        ``(dense (n, D) float32 L2-normalised, lexical (n, V) float32 >= 0)``.

    Raises:
        ValueError: no motions, or a joint array that does not match its skeleton.

    Source: windows pooled as in the module docstring; patches per Yu et al., CVPR 2024,
    Sec. 3.2 (:func:`~.patches.patches_from_joints`).
    """
    if not motions:
        raise ValueError("no motions to encode")
    model.eval()
    max_frames = int(model.config.max_frames)
    clips: list[tuple[int, np.ndarray, Skeleton]] = []
    for i, (joints, skeleton) in enumerate(motions):
        for s in clip_windows(len(joints), max_frames, long_clips):
            clips.append((i, joints[s:s + max_frames], skeleton))
    matrices: dict[Skeleton, np.ndarray] = {}
    dense: np.ndarray | None = None
    lexical: np.ndarray | None = None
    for b in range(0, len(clips), batch_size):
        chunk = clips[b:b + batch_size]
        images, masks = [], []
        for _, joints, skeleton in chunk:
            if skeleton not in matrices:
                matrices[skeleton] = part_resampling_matrix(skeleton)
            img, mask, _ = patches_from_joints([joints], matrices[skeleton], stats, max_frames)
            images.append(img)
            masks.append(mask)
        out = model.forward_motion(torch.from_numpy(np.concatenate(images)),
                                   torch.from_numpy(np.concatenate(masks)))
        d = out.dense.float().cpu().numpy()
        lex = out.lexical.float().cpu().numpy()
        if dense is None:
            dense = np.zeros((len(motions), d.shape[1]), np.float32)
            lexical = np.zeros((len(motions), lex.shape[1]), np.float32)
        for row, (i, _, _) in enumerate(chunk):
            dense[i] += d[row]
            np.maximum(lexical[i], lex[row], out=lexical[i])
    dense /= np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-12)
    return dense, lexical


def sparsify_lexical(lexical: np.ndarray, top_k: int | None, similarity: str) -> sp.csr_matrix:
    """Keep the ``top_k`` heaviest words of each lexical vector; normalise for cosine.

    Args:
        lexical: ``(B, V)`` float, non-negative lexical vectors.
        top_k: words kept per row (``None``: every non-zero word).
        similarity: ``"cosine"`` L2-normalises each pruned row (a sparse dot product is then
            the cosine); ``"dot"`` keeps the raw weights.

    Returns:
        ``(B, V)`` float32 CSR matrix with sorted indices and no explicit zeros.

    Raises:
        ValueError: ``lexical`` not 2-D, negative weights, or an unknown similarity.
    """
    lex = np.asarray(lexical, np.float32)
    if lex.ndim != 2:
        raise ValueError(f"lexical must be (B, V), got shape {lex.shape}")
    if similarity not in ("cosine", "dot"):
        raise ValueError(f"similarity must be 'cosine' or 'dot', got {similarity!r}")
    if lex.size and lex.min() < 0:
        raise ValueError(f"lexical weights must be >= 0, min {lex.min()}")
    if top_k is not None and top_k < lex.shape[1]:
        cols = np.argpartition(-lex, top_k - 1, axis=1)[:, :top_k]
        cols.sort(axis=1)
        vals = np.take_along_axis(lex, cols, axis=1)
        rows = np.repeat(np.arange(lex.shape[0]), top_k)
        mat = sp.csr_matrix((vals.ravel(), (rows, cols.ravel())), shape=lex.shape,
                            dtype=np.float32)
    else:
        mat = sp.csr_matrix(lex)
    mat.eliminate_zeros()
    mat.sort_indices()
    if similarity == "cosine":
        norms = np.sqrt(np.asarray(mat.multiply(mat).sum(axis=1)).ravel())
        scale = np.where(norms > 0, 1.0 / np.where(norms > 0, norms, 1.0), 0.0)
        mat = sp.csr_matrix(sp.diags(scale.astype(np.float32)) @ mat, dtype=np.float32)
        mat.sort_indices()
    return mat


# ------------------------------------------------------------------------------ the index
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
    """A loaded gallery index (read with :meth:`load`, written by :func:`build_index`).

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
            self.skeletons = [Skeleton.from_dict(d) for d in _load_json(path / "skeletons.json")]
            self.patch_stats = PatchStats.from_dict(_load_json(path / "patch_stats.json"))
            self.vocabulary: list[str] = list(_load_json(path / "vocabulary.json"))
        except (KeyError, TypeError, ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
            raise GalleryIndexError(f"{path}: malformed index ({e})") from e
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
        files = manifest.get("files", {})
        missing = sorted(set(_DATA_FILES) - set(files))
        if missing:
            raise GalleryIndexError(f"{mpath}: manifest lists no entry for {missing}")
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


# ------------------------------------------------------------------------------ writing
@dataclass
class _NewItems:
    """Encoded motions waiting to be written."""

    ids: list[str] = field(default_factory=list)
    captions: list[list[str]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    source_sha256: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    meta: list[dict] = field(default_factory=list)
    fps: list[float] = field(default_factory=list)
    joints: list[np.ndarray] = field(default_factory=list)
    skeletons: list[Skeleton] = field(default_factory=list)
    dense: list[np.ndarray] = field(default_factory=list)
    lexical: list[sp.csr_matrix] = field(default_factory=list)


def write_index(
    out: str | os.PathLike,
    *,
    dense: np.ndarray,
    lexical: sp.csr_matrix,
    items: dict[str, list],
    joints: Iterable[np.ndarray],
    num_frames: np.ndarray,
    fps: np.ndarray,
    skeleton_ids: np.ndarray,
    skeletons: Sequence[Skeleton],
    patch_stats: PatchStats,
    vocabulary: Sequence[str],
    model_info: dict[str, Any],
    settings: IndexSettings,
    fusion_weight: float = DEFAULT_FUSION_WEIGHT,
) -> Path:
    """Write a complete index directory atomically (temporary folder, then rename).

    Low-level writer used by :func:`build_index` (and by benchmarks with synthetic data).

    Args:
        out: target directory; an existing index there is replaced only once the new one is
            complete.
        dense: ``(N, D)`` float dense embeddings (stored as float16).
        lexical: ``(N, V)`` CSR lexical matrix (already pruned/normalised).
        items: columns ``ids``, ``captions``, ``sources``, ``source_sha256``, ``datasets``,
            ``meta``, each of length ``N``.
        joints: ``N`` arrays ``(T_i, J_i, 3)`` or ``(T_i * J_i, 3)`` metres, in item order.
        num_frames / fps / skeleton_ids: ``(N,)`` per-item arrays.
        skeletons: distinct skeletons indexed by ``skeleton_ids``.
        patch_stats: the statistics used to encode.
        vocabulary: ``V`` tokens.
        model_info: ``sha256``, ``name``, ``embed_dim``, ``lexical_similarity``,
            ``checkpoint`` of the encoding model.
        settings: encoding settings.
        fusion_weight: default fused-search weight.

    Returns:
        The index directory.

    Raises:
        ValueError: inconsistent sizes. FileExistsError: ``out`` exists and is not a
            directory.
    """
    target = Path(out)
    n = len(items["ids"])
    dense = np.asarray(dense)
    if dense.shape[0] != n or lexical.shape != (n, len(vocabulary)):
        raise ValueError(f"index of {n} items needs dense ({n}, D) and lexical ({n}, "
                         f"{len(vocabulary)}); got {dense.shape} and {lexical.shape}")
    if target.exists() and not target.is_dir():
        raise FileExistsError(f"cannot write index: {target} exists and is not a directory")
    with atomic_directory(target) as tmp:
        np.save(tmp / "dense.npy", dense.astype(np.float16))
        csr = sp.csr_matrix(lexical, dtype=np.float32)
        csr.sort_indices()
        sp.save_npz(tmp / "lexical.npz", csr, compressed=False)
        csc = csr.tocsc()
        csc.sort_indices()
        sp.save_npz(tmp / "inverted.npz", csc, compressed=False)
        del csc
        jdtype = np.dtype(settings.joints_dtype)
        parts = [np.asarray(j).reshape(-1, 3) for j in joints]
        if len(parts) != n:
            raise ValueError(f"{len(parts)} joint arrays for {n} items")
        offsets = np.zeros(n + 1, np.int64)
        offsets[1:] = np.cumsum([len(p) for p in parts])
        jm = np.lib.format.open_memmap(tmp / "joints.npy", mode="w+", dtype=jdtype,
                                       shape=(int(offsets[-1]), 3))
        for p, a, b in zip(parts, offsets[:-1], offsets[1:]):
            jm[a:b] = p
        jm.flush()
        del jm
        np.savez(tmp / "items.npz", fps=np.asarray(fps, np.float32),
                 num_frames=np.asarray(num_frames, np.int64),
                 skeleton=np.asarray(skeleton_ids, np.int32), joint_offsets=offsets)
        cols = {k: list(items[k]) for k in
                ("ids", "captions", "sources", "source_sha256", "datasets", "meta")}
        _write_json(tmp / "items.json", cols)
        _write_json(tmp / "skeletons.json", [s.to_dict() for s in skeletons])
        _write_json(tmp / "patch_stats.json", patch_stats.to_dict())
        _write_json(tmp / "vocabulary.json", list(vocabulary))
        files = {name: {"bytes": (tmp / name).stat().st_size, "sha256": file_sha256(tmp / name)}
                 for name in _DATA_FILES}
        manifest = {
            "format": INDEX_FORMAT,
            "version": INDEX_VERSION,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "count": n,
            "model": dict(model_info),
            "patch_stats_sha256": stats_fingerprint(patch_stats),
            "settings": settings.to_dict(),
            "fusion_weight": float(fusion_weight),
            "sizes": {"embed_dim": int(dense.shape[1]) if dense.ndim == 2 else 0,
                      "vocab_size": len(vocabulary), "lexical_nnz": int(csr.nnz),
                      "joint_rows": int(offsets[-1]), "skeletons": len(skeletons),
                      "total_bytes": sum(f["bytes"] for f in files.values())},
            "files": files,
        }
        _write_json(tmp / MANIFEST, manifest)
    logger.info("wrote gallery index %s (%d motions, %.1f MiB)", target, n,
                manifest["sizes"]["total_bytes"] / 2**20)
    return target


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False) + "\n", encoding="utf-8")


# ------------------------------------------------------------------------------ building
@dataclass
class BuildReport:
    """What :func:`build_index` did.

    Attributes:
        index: the index written (or the unchanged existing one).
        added: motions encoded in this run.
        kept: motions carried over from the existing index.
        replaced: ids re-encoded because their source file changed.
        skipped: ``(id or file, reason)`` of motions left out.
        seconds: wall time of the encoding.
    """

    index: GalleryIndex
    added: int = 0
    kept: int = 0
    replaced: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def build_index(
    model: Any,
    data: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    patch_stats: PatchStats | None = None,
    split: str = "all",
    settings: IndexSettings | None = None,
    batch_size: int = 32,
    checkpoint: str | os.PathLike | None = None,
    fusion_weight: float | None = None,
    progress: bool = True,
    callback: Callable[[int, int], bool] | None = None,
) -> BuildReport:
    """Encode dataset folders into an index, or add their new motions to an existing one.

    When ``out`` already holds an index it is loaded (checksums verified) and must have been
    built by ``model`` with the same patch statistics; motions whose source file is already
    indexed with the same SHA-256 are not encoded again, changed files are re-encoded and
    replace their old rows, and new files are appended. The result is written atomically
    (:func:`write_index`): a failure leaves the old index untouched and no partial one.

    Args:
        model: the :class:`~.model.MotionTextModel`.
        data: dataset folders (HumanML3D/KIT-ML layout or folders of ``.bvh`` files).
        out: index directory.
        patch_stats: the model's training statistics; required for a new index, defaults to
            the existing index's.
        split: split of each folder (``"all"``: every motion).
        settings: encoding settings for a new index (an existing index keeps its own).
        batch_size: windows per forward pass.
        checkpoint: checkpoint directory, recorded so ``motionlex search`` can find it.
        callback: ``callback(done, total) -> keep_going`` after each encoded batch (for a
            GUI progress bar); returning False cancels the build with
            :class:`BuildCancelled` and writes nothing.
        fusion_weight: default fused-search weight to record (None: keep the existing one
            or :data:`DEFAULT_FUSION_WEIGHT`).
        progress: tqdm bar while encoding.

    Returns:
        A :class:`BuildReport`.

    Raises:
        FileNotFoundError / DatasetError: a data folder that does not exist or is not a
            dataset.
        ValueError: no patch statistics for a new index, or no usable motion at all.
        GalleryIndexError / IndexMismatchError: an existing index that is corrupted, was built
            by another model or with other patch statistics, or with other settings.
    """
    from tqdm.auto import tqdm

    from motionlex.core.data.datasets import MotionDataset

    target = Path(out)
    t0 = time.perf_counter()
    old: GalleryIndex | None = None
    if target.exists():
        old = GalleryIndex.load(target, model)
        if settings is not None and settings != old.settings:
            raise IndexMismatchError(f"{target} was built with settings {old.settings}; "
                                     f"cannot add motions with {settings}")
        settings = old.settings
        if patch_stats is None:
            patch_stats = old.patch_stats
        elif stats_fingerprint(patch_stats) != old.manifest["patch_stats_sha256"]:
            raise IndexMismatchError(
                f"{target} was built with other patch statistics "
                f"({old.manifest['patch_stats_sha256'][:16]}... vs "
                f"{stats_fingerprint(patch_stats)[:16]}...); rebuild it instead of adding")
    settings = settings or IndexSettings()
    if patch_stats is None:
        raise ValueError("patch statistics are needed to build a new index (the checkpoint's "
                         "patch_stats.json)")
    similarity = str(model.config.lexical_similarity)

    indexed = {} if old is None else {s: i for i, s in enumerate(old.sources)}
    taken = set() if old is None else set(old.ids)
    drop: set[int] = set()
    todo: list[tuple[Any, Any, str, str]] = []  # (dataset, record, source, sha)
    report_skipped: list[tuple[str, str]] = []
    for root in data:
        ds = MotionDataset(root, split)
        report_skipped += ds.report.skipped
        for rec in ds.records:
            source = str(Path(rec.path).resolve())
            sha = file_sha256(source)
            row = indexed.get(source)
            if row is not None:
                if old.source_sha256[row] == sha:
                    continue
                drop.add(row)
            todo.append((ds, rec, source, sha))

    new = _NewItems()
    replaced = [old.ids[i] for i in sorted(drop)] if old is not None else []
    skeleton_list: list[Skeleton] = [] if old is None else list(old.skeletons)
    batch: list[tuple[Motion, Any, str, str, str]] = []

    def flush() -> None:
        if not batch:
            return
        d, lex = encode_motions(model, [(m.joints, m.skeleton) for m, *_ in batch], patch_stats,
                                batch_size=batch_size, long_clips=settings.long_clips)
        new.dense.append(d)
        new.lexical.append(sparsify_lexical(lex, settings.lexical_top_k, similarity))
        for m, rec, source, sha, dataset in batch:
            item_id = _unique_id(f"{dataset}/{rec.id}", taken)
            new.ids.append(item_id)
            new.captions.append([c.text for c in rec.captions])
            new.sources.append(source)
            new.source_sha256.append(sha)
            new.datasets.append(dataset)
            new.meta.append(dict(rec.meta))
            new.fps.append(float(m.fps))
            new.joints.append(m.joints)
            new.skeletons.append(m.skeleton)
        batch.clear()

    if old is not None:  # ids of re-encoded rows become free again
        taken -= {old.ids[i] for i in drop}
    for done, (ds, rec, source, sha) in enumerate(
        tqdm(todo, desc=f"indexing {target.name}", unit="motion", disable=not progress)
    ):
        if callback is not None and done % batch_size == 0 and not callback(done, len(todo)):
            raise BuildCancelled(f"index build of {target} cancelled at {done}/{len(todo)}")
        try:
            motion = ds.load_motion(rec)
        except (MotionFileError, ValueError) as e:
            report_skipped.append((rec.id, str(e)))
            logger.warning("skipping %s: %s", rec.path, e)
            continue
        batch.append((motion, rec, source, sha, Path(ds.root).resolve().name))
        if len(batch) >= batch_size:
            flush()
    flush()
    if callback is not None and not callback(len(todo), len(todo)):
        raise BuildCancelled(f"index build of {target} cancelled before writing")
    seconds = time.perf_counter() - t0

    if old is not None and not new.ids and not drop:
        logger.info("%s is up to date (%d motions)", target, len(old))
        return BuildReport(old, 0, len(old), [], report_skipped, seconds)
    keep = [] if old is None else [i for i in range(len(old)) if i not in drop]
    if not keep and not new.ids:
        raise ValueError(f"no usable motion in {[str(d) for d in data]} (split {split!r})")

    sk_ids = {s: i for i, s in enumerate(skeleton_list)}
    for s in new.skeletons:
        if s not in sk_ids:
            sk_ids[s] = len(skeleton_list)
            skeleton_list.append(s)
    jdtype = np.dtype(settings.joints_dtype)
    dense_parts = [np.asarray(old.dense[keep], np.float32)] if old is not None else []
    lex_parts = [old.lexical[keep]] if old is not None else []
    items: dict[str, list] = {k: [] for k in
                              ("ids", "captions", "sources", "source_sha256", "datasets", "meta")}
    joints: list[np.ndarray] = []
    num_frames, fps, skel = [], [], []
    for i in keep:
        for k in items:
            items[k].append(getattr(old, k)[i])
        joints.append(old._joints[old.joint_offsets[i]:old.joint_offsets[i + 1]])
        num_frames.append(int(old.num_frames[i]))
        fps.append(float(old.fps[i]))
        skel.append(int(old.skeleton_ids[i]))
    for j in range(len(new.ids)):
        for k in items:
            items[k].append(getattr(new, k)[j])
        joints.append(new.joints[j].astype(jdtype))
        num_frames.append(len(new.joints[j]))
        fps.append(new.fps[j])
        skel.append(sk_ids[new.skeletons[j]])
    used = sorted(set(skel))  # drop skeletons no longer referenced
    remap = {s: i for i, s in enumerate(used)}
    fw = fusion_weight if fusion_weight is not None else (
        old.fusion_weight if old is not None else DEFAULT_FUSION_WEIGHT)
    model_info = {
        "sha256": model_fingerprint(model) if old is None else old.model_hash,
        "name": str(model.config.name),
        "embed_dim": int(model.config.embed_dim),
        "lexical_similarity": similarity,
        "checkpoint": str(Path(checkpoint).resolve()) if checkpoint else (
            old.checkpoint if old is not None else None),
    }
    write_index(
        target,
        dense=np.concatenate(dense_parts + new.dense),
        lexical=sp.vstack(lex_parts + new.lexical, format="csr"),
        items=items, joints=joints, num_frames=np.asarray(num_frames),
        fps=np.asarray(fps), skeleton_ids=np.asarray([remap[s] for s in skel]),
        skeletons=[skeleton_list[s] for s in used], patch_stats=patch_stats,
        vocabulary=list(model.vocabulary), model_info=model_info, settings=settings,
        fusion_weight=fw,
    )
    del old
    index = GalleryIndex.load(target, verify=False)
    return BuildReport(index, len(new.ids), len(keep), replaced, report_skipped, seconds)


def _unique_id(base: str, taken: set[str]) -> str:
    item_id, k = base, 2
    while item_id in taken:
        item_id, k = f"{base}~{k}", k + 1
    taken.add(item_id)
    return item_id


# ------------------------------------------------------------------------------ CLI
def checkpoint_fusion_weight(checkpoint: str | os.PathLike) -> float | None:
    """The fusion weight recorded in a checkpoint's ``val_metrics.json``, if any.

    Looks for the keys ``fusion_weight`` and ``fusion/weight``.

    Returns:
        The weight, or None when the file or key is absent or the value is not in [0, 1].
    """
    path = Path(checkpoint) / "val_metrics.json"
    if not path.is_file():
        return None
    try:
        metrics = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        logger.warning("%s: unreadable, fusion weight not taken from it", path)
        return None
    for key in ("fusion_weight", "fusion/weight"):
        value = metrics.get(key) if isinstance(metrics, dict) else None
        if isinstance(value, (int, float)) and 0.0 <= float(value) <= 1.0:
            return float(value)
    return None


def cmd_index(args: argparse.Namespace) -> int:
    """``motionlex index``: build or extend a gallery index."""
    model, stats = load_checkpoint(args.checkpoint, args.device)
    if args.stats:
        stats = PatchStats.load(args.stats)
    settings = IndexSettings(lexical_top_k=args.lexical_top_k or None,
                             long_clips=args.long_clips, joints_dtype=args.joints_dtype)
    out = Path(args.out)
    rep = build_index(
        model, args.data, out, patch_stats=stats, split=args.split,
        settings=None if out.exists() else settings, batch_size=args.batch_size,
        checkpoint=args.checkpoint, fusion_weight=checkpoint_fusion_weight(args.checkpoint),
        progress=not args.quiet,
    )
    idx = rep.index
    rate = rep.added / rep.seconds if rep.seconds > 0 else 0.0
    print(f"{out}: {len(idx)} motions ({rep.added} encoded, {rep.kept} kept, "
          f"{len(rep.replaced)} replaced, {len(rep.skipped)} skipped), "
          f"{idx.size_bytes() / 2**20:.1f} MiB, {rate:.1f} motions/s")
    for name, why in rep.skipped[:20]:
        print(f"  skipped {name}: {why}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    """``motionlex search``: rank an index for a text, a motion file or a gallery item."""
    from motionlex.core.retrieval.search import Searcher, load_motion_file

    sources = [args.query is not None, args.motion is not None, args.item is not None]
    if sum(sources) != 1:
        raise ValueError("give exactly one of: a text query, --motion FILE, --item ID")
    model = None
    if args.item is None:
        ckpt = args.checkpoint
        if ckpt is None:
            ckpt = GalleryIndex.load(args.index, verify=False).checkpoint
            if ckpt is None:
                raise ValueError(f"{args.index} records no checkpoint; pass --checkpoint DIR")
        model, _ = load_checkpoint(ckpt, args.device)
    index = GalleryIndex.load(args.index, model)
    searcher = Searcher(index, model, query_words=args.query_words or None, verify_model=False)
    if args.item is not None:
        query = searcher.item_query(index.position(args.item))
    elif args.motion is not None:
        m = load_motion_file(args.motion)
        query = searcher.embed_motion(m.joints, m.skeleton, m.fps)
    else:
        query = searcher.embed_text(args.query)
    hits = searcher.search(query, k=args.k, mode=args.mode, fusion_weight=args.fusion_weight,
                           words=args.words)
    for rank, hit in enumerate(hits, 1):
        if args.json:
            print(json.dumps({"rank": rank, **hit.to_dict()}, ensure_ascii=False))
        else:
            words = ", ".join(f"{w} {v:.3f}" for w, v in hit.words)
            print(f"{rank:3d}  {hit.score:7.4f}  {hit.id}  {hit.caption or '-'}  [{words}]")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``index`` and ``search`` subcommands to ``motionlex``'s subparsers."""
    s = subparsers.add_parser(
        "index", help="encode a dataset into a searchable gallery index",
        description="Encode every motion of dataset folders (HumanML3D/KIT-ML layout or BVH "
        "files) with a trained model into an index directory. Run again on an existing index "
        "to add only new or changed motions.")
    s.add_argument("--checkpoint", required=True, help="model directory (config.json, "
                   "model.safetensors, patch_stats.json)")
    s.add_argument("--data", action="append", required=True,
                   help="dataset folder (repeat for several)")
    s.add_argument("--out", required=True, help="index directory, e.g. gallery.mlx")
    s.add_argument("--split", default="all", help="split of each folder (default all)")
    s.add_argument("--stats", default=None, help="patch statistics JSON (default: the "
                   "checkpoint's patch_stats.json)")
    s.add_argument("--batch-size", type=int, default=32, help="windows per forward pass")
    s.add_argument("--lexical-top-k", type=int, default=128,
                   help="words kept per motion (0 = all non-zero words); this and the next "
                   "two options apply to a new index, an existing one keeps its own")
    s.add_argument("--long-clips", choices=LONG_CLIP_MODES, default="windows",
                   help="clips over 224 frames: pool all windows or keep the first")
    s.add_argument("--joints-dtype", choices=("float16", "float32"), default="float16")
    s.add_argument("--device", default=None, help="cpu or cuda (default: automatic)")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_index)

    s = subparsers.add_parser(
        "search", help="search a gallery index by text, motion file or gallery item",
        description="Rank the motions of an index; each hit lists the words that contributed "
        "most (query weight x motion weight).")
    s.add_argument("query", nargs="?", default=None, help='text, e.g. "a person waves"')
    s.add_argument("--index", required=True, help="index directory")
    s.add_argument("--checkpoint", default=None,
                   help="model directory (default: the one recorded in the index)")
    s.add_argument("-k", type=int, default=10, help="number of hits (default 10)")
    s.add_argument("--mode", choices=("dense", "lexical", "fused"), default="fused")
    s.add_argument("--fusion-weight", type=float, default=None,
                   help="dense weight of fused scores in [0, 1] (default: the index's)")
    s.add_argument("--motion", default=None, help="query by a motion file (.npy or .bvh)")
    s.add_argument("--item", default=None, help="query by a gallery item id")
    s.add_argument("--words", type=int, default=5, help="evidence words per hit")
    s.add_argument("--query-words", type=int, default=64,
                   help="heaviest query words used (0 = all non-zero words)")
    s.add_argument("--json", action="store_true", help="one JSON object per hit")
    s.add_argument("--device", default=None, help="cpu or cuda (default: automatic)")
    s.set_defaults(func=cmd_search)
