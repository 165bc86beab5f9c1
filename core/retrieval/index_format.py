"""The gallery index format's constants, settings, item record, errors and file readers.

:mod:`.index` (the reader, :class:`~.index.GalleryIndex`) and :mod:`.index_writer` share
them; :mod:`.index` re-exports every public name, so ``from
motionlex.core.retrieval.index import IndexSettings`` keeps working.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from motionlex.core.motion.skeleton import Skeleton
from motionlex.core.retrieval.ann import ANN_FILE
from motionlex.core.retrieval.embed import LONG_CLIP_MODES

INDEX_FORMAT = "motionlex-gallery"
INDEX_VERSION = 1
MANIFEST = "manifest.json"
DATA_FILES = (
    "dense.npy", "lexical.npz", "inverted.npz", "items.json", "items.npz", "joints.npy",
    "skeletons.json", "patch_stats.json", "vocabulary.json",
)
"""The data files of an index, each listed in the manifest with its size and SHA-256."""
OPTIONAL_FILES = (ANN_FILE,)
"""Files only some indexes have (listed in the manifest like the data files when present):
the IVF dense index of a large gallery (:mod:`.ann`)."""
BLOCK_CHECKED_FILES = ("joints.npy",)
"""Files whose manifest entry also has per-block checksums (:mod:`.verified`): read only
when a motion is played, each block is verified the first time it is read, never at open."""
DEFERRED_FILES = ("lexical.npz",)
"""Files not needed to search (brute-force lexical scores, incremental builds): their
checksum is verified when they are first read, not when the index opens."""


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
