"""The dense side of a :class:`~.search.Searcher`: exact (torch or FAISS flat) or IVF.

- ``"torch"``: the gallery's embeddings as one float32 matrix; a query is one
  matrix-vector product (exact).
- ``"flat"``: the same vectors in a FAISS ``IndexFlatIP`` (exact; the torch matrix shares
  FAISS's copy), used for indexes without a stored IVF above ``faiss_min_items``.
- ``"ivf"``: the index's stored IVF (:mod:`.ann`), approximate top-k. FAISS's lists hold the
  float16 rows of ``dense.npy`` as they are (no float32 copy of the gallery); the rows it
  returns, and any single rows, are scored exactly from the memory-mapped ``dense.npy``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from motionlex.core.retrieval.ann import faiss_available, faiss_top_k, open_ivf
from motionlex.core.retrieval.index import GalleryIndex, unit_rows

logger = logging.getLogger(__name__)

DENSE_BACKENDS = ("auto", "torch", "faiss")
FAISS_MIN_ITEMS = 50_000
IVF_RESCORE_EXTRA = 10
"""Extra IVF hits rescored exactly before keeping the top-k: the stored float16 rows are unit
length to about 1e-4 only, so the IVF's own ranking can swap near ties."""


class DenseBackend:
    """Dense cosines of a gallery index: per row range, per row list, and top-k.

    Args:
        index: the loaded index.
        backend: ``"auto"`` (the stored IVF when there is one and faiss is installed, else
            FAISS flat over ``faiss_min_items`` motions when installed, else torch),
            ``"torch"`` (always exact) or ``"faiss"`` (the stored IVF, else FAISS flat).
        faiss_min_items: gallery size from which ``"auto"`` uses FAISS flat.
        nprobe: IVF lists scanned per query (None: the index's recorded value).

    Raises:
        ValueError: unknown backend. ImportError: ``"faiss"`` without faiss installed.
    """

    def __init__(self, index: GalleryIndex, backend: str = "auto", *,
                 faiss_min_items: int = FAISS_MIN_ITEMS, nprobe: int | None = None) -> None:
        if backend not in DENSE_BACKENDS:
            raise ValueError(f"dense_backend must be one of {DENSE_BACKENDS}, got {backend!r}")
        self.index = index
        self._ivf: Any = None
        self._rows: _FileRows | None = None
        self._flat: Any = None
        self._matrix: torch.Tensor | None = None
        self.kind = "torch"
        ann = index.ann
        if backend != "torch" and ann and faiss_available():
            cent, lists = index.ann_arrays()
            self._rows = _FileRows(index.dense)
            self._ivf = open_ivf(self._rows, cent, lists,
                                 int(ann.get("nprobe", 1)) if nprobe is None else nprobe)
            self.kind = "ivf"
            return
        if backend == "auto" and ann:
            logger.info("%s stores an IVF dense index but faiss is not installed: dense "
                        "search is exact", index.path)
        dense = index.dense_float32()
        if backend == "faiss" or (backend == "auto" and len(index) > faiss_min_items):
            self._flat, shared = _faiss_flat(dense, required=backend == "faiss")
            if self._flat is not None:
                self.kind = "flat"
            if shared is not None:  # torch reads FAISS's own copy: the vectors are held once
                dense = shared
        self._matrix = torch.from_numpy(dense)

    @property
    def dim(self) -> int:
        """Embedding width ``D``."""
        return int(self.index.dense.shape[1])

    @property
    def approximate(self) -> bool:
        """True when :meth:`top_k` may miss some of the exact top-k (IVF)."""
        return self._ivf is not None

    @property
    def nprobe(self) -> int | None:
        """IVF lists scanned per query (None without IVF)."""
        return int(self._ivf.nprobe) if self._ivf is not None else None

    def _query(self, q: np.ndarray) -> np.ndarray:
        q = np.ascontiguousarray(q, np.float32)
        if q.shape != (self.dim,):
            raise ValueError(f"query has {q.shape[0] if q.ndim else 0} dense dims, the index "
                             f"{self.dim}")
        return q

    def _unit_rows(self, rows: np.ndarray | slice) -> np.ndarray:
        if self._rows is None:
            x = np.asarray(self.index.dense[rows], np.float32)
        elif isinstance(rows, slice):
            x = self._rows[rows]
        else:
            x = self._rows.take(rows)
        return unit_rows(x)  # one float32 copy, normalised in place

    def scores(self, q: np.ndarray, start: int = 0, stop: int | None = None) -> np.ndarray:
        """``(stop - start,)`` float32 cosines of rows ``start:stop`` with ``q``, the ``(D,)``
        float32 unit query (exact).

        Raises:
            ValueError: ``q`` is not ``(D,)``.
        """
        q = self._query(q)
        if self._matrix is not None:
            return torch.mv(self._matrix[start:stop], torch.from_numpy(q)).numpy()
        return _mv(self._unit_rows(slice(start, stop)), q)

    def row_scores(self, rows: np.ndarray, q: np.ndarray) -> np.ndarray:
        """``(H,)`` float32 cosines of ``rows`` (``(H,)`` int) with ``q``, the ``(D,)`` float32
        unit query (exact).

        Raises:
            ValueError: ``q`` is not ``(D,)``.
        """
        q = self._query(q)
        rows = np.asarray(rows, np.int64)
        if self._matrix is not None:
            return torch.mv(self._matrix[torch.from_numpy(rows)], torch.from_numpy(q)).numpy()
        if len(rows) == 0:
            return np.zeros(0, np.float32)
        order = np.argsort(rows, kind="stable")  # ascending reads of the memory map
        out = np.empty(len(rows), np.float32)
        out[order] = _mv(self._unit_rows(rows[order]), q)
        return out

    def row(self, i: int) -> np.ndarray:
        """``(D,)`` float32 unit embedding of row ``i`` (a copy)."""
        if self._matrix is not None:
            return self._matrix[i].numpy().copy()
        return self._unit_rows(slice(i, i + 1))[0]

    def top_k(self, q: np.ndarray, k: int, exclude: Sequence[int] = (), *,
              rescore: bool = True) -> tuple[np.ndarray, np.ndarray] | None:
        """The ``k`` best rows by FAISS (IVF: approximate; flat: exact), best first.

        With ``rescore`` the IVF's best ``k + IVF_RESCORE_EXTRA`` rows are rescored exactly
        from ``dense.npy`` and the best ``k`` of them kept, so every returned score is the
        exact cosine; without it (candidate lists whose scores the caller recomputes: about
        1.6 ms less per 1,000 rows at 1M) the IVF's own float16 scores and order are returned.

        Args:
            q: ``(D,)`` float32 unit query. k: rows wanted. exclude: rows never returned.
            rescore: as above.

        Returns:
            ``(rows (H,) int64, scores (H,) float64)``, or None with the torch backend
            (the caller then ranks :meth:`scores`).
        """
        q = self._query(q)
        ex = {int(e) for e in exclude}
        keep = (lambda r: r not in ex) if ex else None
        if self._ivf is not None and not rescore:
            return faiss_top_k(self._ivf, q, k, keep)
        if self._ivf is not None:
            rows, _ = faiss_top_k(self._ivf, q, k + IVF_RESCORE_EXTRA, keep)
            scores = self.row_scores(rows, q).astype(np.float64)  # exact cosines
            best = np.lexsort((rows, -scores))[:k]
            return rows[best], scores[best]
        if self._flat is not None:
            return faiss_top_k(self._flat, q, k, keep)
        return None


class _FileRows:
    """Rows of a memory-mapped ``.npy`` array read with plain file reads, so neither copying
    the whole gallery into FAISS once nor scoring scattered rows leaves it resident in this
    process's memory map (the pages stay in the OS file cache instead of the process's RSS:
    with large page-cache folios, reading 1,000 random rows of a 1M x 256 float16 memory map
    maps nearly all of its 512 MB)."""

    def __init__(self, mm: np.memmap) -> None:
        self.shape, self.dtype = mm.shape, mm.dtype
        self._path, self._offset = mm.filename, int(mm.offset)
        self._row = int(np.prod(mm.shape[1:])) * mm.dtype.itemsize

    def __getitem__(self, rows: slice) -> np.ndarray:
        a, b, _ = rows.indices(self.shape[0])
        with open(self._path, "rb") as f:
            f.seek(self._offset + a * self._row)
            x = np.fromfile(f, self.dtype, count=(b - a) * self._row // self.dtype.itemsize)
        return x.reshape((b - a, *self.shape[1:]))

    def take(self, rows: np.ndarray) -> np.ndarray:
        """``(H, ...)`` new array of the given rows (int, in range), one read per row."""
        out = np.empty((len(rows), *self.shape[1:]), self.dtype)
        buf = memoryview(out.reshape(-1).view(np.uint8))
        rows = np.asarray(rows, np.int64).tolist()
        if not hasattr(os, "preadv"):  # Windows: a seek and a read per row
            with open(self._path, "rb", buffering=0) as f:
                for j, r in enumerate(rows):
                    f.seek(self._offset + r * self._row)
                    if f.readinto(buf[j * self._row:(j + 1) * self._row]) != self._row:
                        raise OSError(f"{self._path}: short read at row {r}")
            return out
        fd = os.open(self._path, os.O_RDONLY)
        try:
            for j, r in enumerate(rows):
                dst = buf[j * self._row:(j + 1) * self._row]
                if os.preadv(fd, [dst], self._offset + r * self._row) != self._row:
                    raise OSError(f"{self._path}: short read at row {r}")
        finally:
            os.close(fd)
        return out


def _faiss_flat(dense: np.ndarray, required: bool) -> tuple[Any, np.ndarray | None]:
    """An exact inner-product FAISS index over ``dense`` and a NumPy view of its vectors.

    Returns:
        ``(index, view)``: ``view`` is ``(N, D)`` float32 sharing FAISS's storage (valid while
        the index lives); ``(None, None)`` when faiss is not installed and not ``required``.
    """
    try:
        import faiss
    except ImportError as e:
        if required:
            raise ImportError("dense_backend='faiss' needs the faiss-cpu package "
                              "(pip install faiss-cpu)") from e
        logger.info("faiss not installed; dense search uses torch")
        return None, None
    idx = faiss.IndexFlatIP(dense.shape[1])
    idx.add(np.ascontiguousarray(dense, np.float32))
    try:
        view = faiss.rev_swig_ptr(idx.get_xb(), dense.size).reshape(dense.shape)
    except (AttributeError, TypeError):  # another faiss build: keep our own copy
        view = None
    return idx, view


def _mv(x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``x @ q`` in torch, on torch's thread count: NumPy's BLAS would start its own thread
    pool, whose idle threads spin on the other core after every query (measured: ~45 ms of
    CPU per fused query at 1M on top of ~60 ms of work)."""
    return torch.mv(torch.from_numpy(np.ascontiguousarray(x, np.float32)),
                    torch.from_numpy(np.ascontiguousarray(q, np.float32))).numpy()
