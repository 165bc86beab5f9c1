"""Approximate dense search for large galleries: an inverted-file (IVF-Flat) FAISS index.

Below :data:`ANN_MIN_ITEMS` motions the dense ranking is exact (one matrix-vector product).
From there on an index build also trains a FAISS IVF-Flat index on the inner product
(:func:`train_ivf`): ``nlist`` k-means centroids of the unit embeddings and the list of each
motion. The index directory stores exactly that (``dense_ivf.npz``: ``centroids (L, D)
float32`` and ``lists (N,) int32``), so the expensive parts (k-means and assigning every
motion) are done once at build time and nothing is stored twice: opening the index fills
FAISS's lists from ``dense.npy`` with the stored assignments (:func:`open_ivf`, a copy, no
distance computations). A query scans the ``nprobe`` lists whose centroids are nearest.

Why IVF-Flat and not HNSW: measured on 1M x 256 embeddings on this 2-core machine, IVF-Flat
with 1024 lists trains and assigns in about 20 s, stores 4 bytes per motion besides the
embeddings (which ``dense.npy`` already holds), opens without distance computations, and
trades recall for time with one query-time knob, ``nprobe`` (``docs/search-1m.md``). An HNSW
graph would store its links (``2 * M`` ids per motion) and cannot be filled from
``dense.npy`` without rebuilding it.

Source: Jegou, Douze and Schmid, "Product Quantization for Nearest Neighbor Search", TPAMI
2011, Sec. IV-A (the inverted file with a coarse quantizer); FAISS ``IndexIVFFlat``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

ANN_FILE = "dense_ivf.npz"
ANN_MIN_ITEMS = 200_000
"""Gallery size from which an index build adds the IVF index (exact search below)."""
ANN_KIND = "ivf-flat"
DEFAULT_NPROBE = 32
"""Lists scanned per query: recall@10 0.99 against exact search on a synthetic 1M gallery
with 1024 lists (0.98 with 16), ``docs/search-1m.md``."""
TRAIN_POINTS_PER_LIST = 64
CHUNK = 65_536


def faiss_available() -> bool:
    """Whether the optional ``faiss`` package can be imported."""
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as e:
        raise ImportError("the IVF dense index needs the faiss-cpu package "
                          "(pip install 'motionlex[faiss]' or pip install faiss-cpu)") from e
    return faiss


def default_nlist(n: int) -> int:
    """Number of IVF lists for ``n`` motions: the power of two nearest ``sqrt(n)``, >= 1."""
    if n < 1:
        return 1
    return max(1, min(n, 2 ** round(math.log2(math.sqrt(n)))))


def _unit_chunk(dense: np.ndarray, a: int, b: int) -> np.ndarray:
    """Rows ``a:b`` as a new float32 array of unit rows (as the searcher normalises)."""
    x = np.array(dense[a:b], np.float32, order="C")
    x /= np.sqrt(np.maximum(np.einsum("ij,ij->i", x, x), 1e-24))[:, None]
    return x


def train_ivf(dense: np.ndarray, nlist: int | None = None, *, seed: int = 0,
              niter: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Train the coarse quantizer and assign every motion to its list.

    Args:
        dense: ``(N, D)`` float dense embeddings (any float dtype; each row is normalised
            in float32 as the searcher normalises it).
        nlist: lists ``L`` (None: :func:`default_nlist`).
        seed: seed of the training sample and of k-means.
        niter: k-means iterations.

    Returns:
        ``(centroids (L, D) float32 unit rows, lists (N,) int32 list of each motion)``.

    Raises:
        ImportError: faiss is not installed. ValueError: ``dense`` not 2-D or empty.
    """
    faiss = _faiss()
    n = int(dense.shape[0]) if dense.ndim == 2 else 0
    if dense.ndim != 2 or n == 0:
        raise ValueError(f"dense must be a non-empty (N, D) array, got shape {dense.shape}")
    d = int(dense.shape[1])
    nlist = default_nlist(n) if nlist is None else max(1, min(int(nlist), n))
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(n, size=min(n, nlist * TRAIN_POINTS_PER_LIST), replace=False))
    x = _unit_chunk(dense[sample], 0, len(sample))
    km = faiss.Kmeans(d, nlist, niter=niter, seed=seed, spherical=True, verbose=False,
                      max_points_per_centroid=TRAIN_POINTS_PER_LIST)
    km.train(x)
    centroids = np.ascontiguousarray(km.centroids, np.float32)
    quant = faiss.IndexFlatIP(d)
    quant.add(centroids)
    lists = np.empty(n, np.int32)
    for a in range(0, n, CHUNK):
        b = min(a + CHUNK, n)
        _, nearest = quant.search(_unit_chunk(dense, a, b), 1)
        lists[a:b] = nearest[:, 0]
    return centroids, lists


def open_ivf(dense: np.ndarray, centroids: np.ndarray, lists: np.ndarray,
             nprobe: int = DEFAULT_NPROBE) -> Any:
    """A searchable FAISS ``IndexIVFFlat`` from stored centroids and assignments.

    Args:
        dense: ``(N, D)`` dense embeddings (e.g. the memory-mapped float16 ``dense.npy``),
            copied into the lists as float32 unit rows, ``CHUNK`` rows at a time.
        centroids: ``(L, D)`` float32 from :func:`train_ivf`.
        lists: ``(N,)`` int list of each row, in ``[0, L)``.
        nprobe: lists scanned per query (clamped to ``L``).

    Returns:
        The FAISS index (ids are gallery rows).

    Raises:
        ImportError: faiss is not installed. ValueError: inconsistent shapes or list ids.
    """
    faiss = _faiss()
    n, d = dense.shape
    cent = np.ascontiguousarray(centroids, np.float32)
    lists = np.asarray(lists)
    if cent.ndim != 2 or cent.shape[1] != d or lists.shape != (n,):
        raise ValueError(f"IVF of centroids {cent.shape} and lists {lists.shape} does not fit "
                         f"dense {dense.shape}")
    if n and (int(lists.min()) < 0 or int(lists.max()) >= len(cent)):
        raise ValueError(f"IVF list ids must be in [0, {len(cent)}), got "
                         f"[{int(lists.min())}, {int(lists.max())}]")
    quant = faiss.IndexFlatIP(d)
    quant.add(cent)
    index = faiss.IndexIVFFlat(quant, d, len(cent), faiss.METRIC_INNER_PRODUCT)
    index.is_trained = True
    index.own_fields = True
    quant.this.disown()  # the IVF index frees its quantizer
    for a in range(0, n, CHUNK):
        b = min(a + CHUNK, n)
        x = _unit_chunk(dense, a, b)
        ids = np.arange(a, b, dtype=np.int64)
        assign = np.ascontiguousarray(lists[a:b], np.int64)
        index.add_core(b - a, faiss.swig_ptr(x), faiss.swig_ptr(ids), faiss.swig_ptr(assign))
    index.nprobe = max(1, min(int(nprobe), len(cent)))
    return index


def faiss_top_k(index: Any, query: np.ndarray, k: int,
              keep: Callable[[int], bool] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best rows of a FAISS index (IVF or flat) for a query, best first.

    Args:
        index: from :func:`open_ivf` (or a flat FAISS index).
        query: ``(D,)`` float32 unit vector.
        k: hits wanted (fewer when the probed lists hold fewer motions).
        keep: optional filter on rows (e.g. leaving out the query item); the search asks
            for more hits until ``k`` kept ones are found or the probed lists are exhausted.

    Returns:
        ``(rows (H,) int64, scores (H,) float64)`` inner products, ``H <= k``.
    """
    q = np.ascontiguousarray(np.asarray(query, np.float32)[None])
    want = k
    while True:
        scores, rows = index.search(q, want)
        ok = rows[0] >= 0
        r, s = rows[0][ok], scores[0][ok]
        if keep is not None:
            mask = np.fromiter((keep(int(x)) for x in r), bool, len(r))
            r, s = r[mask], s[mask]
        if len(r) >= k or ok.sum() < want or want >= index.ntotal:
            break
        want = min(2 * want, int(index.ntotal))
    order = np.lexsort((r, -s))[:k]
    return r[order].astype(np.int64), s[order].astype(np.float64)
