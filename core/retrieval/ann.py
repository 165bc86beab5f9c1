"""Approximate dense search for large galleries: an inverted-file (IVF) FAISS index.

Below :data:`ANN_MIN_ITEMS` motions the dense ranking is exact (one matrix-vector product).
From there on an index build also trains an IVF coarse quantizer on the inner product
(:func:`train_ivf`): ``nlist`` k-means centroids of the unit embeddings and the list of each
motion. The index directory stores exactly that (``dense_ivf.npz``: ``centroids (L, D)
float32`` and ``lists (N,) int32``; manifest kind :data:`ANN_KIND`), so the expensive parts
(k-means and assigning every motion) are done once at build time and nothing is stored
twice. Opening the index (:func:`open_ivf`) builds a FAISS ``IndexIVFScalarQuantizer`` with
float16 codes (``QT_fp16``, not by residual): its codes are IEEE float16 rows, so FAISS's
lists are filled with the float16 rows of ``dense.npy`` as stored, grouped by the stored
list ids (a copy: no float32 conversion, no distance computation). A query scans the
``nprobe`` lists whose centroids are nearest.

Why float16 codes rather than IVF-Flat's float32 rows (which the same stored files also
fill): on 1M x 256 rows (``benchmarks/ivf_open.py``, one thread, nprobe 32, quiet machine)
opening took 0.64 s instead of 2.16 s, the process held 751 instead of 1,536 MiB after it
(the lists: 512 MB of float16 instead of 1 GB of float32 plus vector slack), a top-10 query
1.96 / 2.46 ms p50 / p95 instead of 3.22 / 4.11 ms, recall@10 against exact search 1.000 for
both. The stored float16 rows are not
exactly unit length (up to 1.06e-4 off over that gallery), so FAISS's scores on them can swap
near ties (top-10 order differed from exact in 5 of 50 queries, recall@10 0.998);
:meth:`~.dense_backend.DenseBackend.top_k` rescores a few extra hits exactly (0 of 50).

Why IVF and not HNSW: measured on 1M x 256 embeddings on this 2-core machine, IVF with 1024
lists trains and assigns in about 20 s, stores 4 bytes per motion besides the embeddings
(which ``dense.npy`` already holds), opens without distance computations, and trades recall
for time with one query-time knob, ``nprobe`` (``docs/search-1m.md``). An HNSW graph would
store its links (``2 * M`` ids per motion) and cannot be filled from ``dense.npy`` without
rebuilding it.

Source: Jegou, Douze and Schmid, "Product Quantization for Nearest Neighbor Search", TPAMI
2011, Sec. IV-A (the inverted file with a coarse quantizer); FAISS ``IndexIVFScalarQuantizer``.
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
"""Manifest name of the stored IVF (centroids and assignments, unchanged since IVF-Flat)."""
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
    """A searchable FAISS IVF index (float16 codes) from stored centroids and assignments.

    The index is an ``IndexIVFScalarQuantizer`` with ``QT_fp16`` codes on the inner product,
    not by residual: its codes are IEEE float16 rows, so the float16 ``dense.npy`` rows are
    copied into FAISS's lists as they are (grouped by list, in row order within a list;
    no float32 copy, no distance computation). Stored rows are unit length to about 1e-4,
    so its scores are cosines to about that; callers needing exact cosines rescore the
    returned rows (:meth:`~.dense_backend.DenseBackend.top_k` does).

    Args:
        dense: ``(N, D)`` dense embeddings, read by row slices ``dense[a:b]`` (e.g. the
            memory-mapped float16 ``dense.npy``); float16 rows are used as they are,
            other dtypes are normalised in float32 and rounded to float16.
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
    index = faiss.IndexIVFScalarQuantizer(quant, d, len(cent), faiss.ScalarQuantizer.QT_fp16,
                                          faiss.METRIC_INNER_PRODUCT, False)
    index.is_trained = True  # float16 codes need no training; the quantizer holds centroids
    index.own_fields = True
    quant.this.disown()  # the IVF index frees its quantizer
    _fill_fp16_lists(faiss, index.invlists, dense, lists, len(cent))
    index.ntotal = n
    index.nprobe = max(1, min(int(nprobe), len(cent)))
    return index


def _fill_fp16_lists(faiss: Any, invlists: Any, dense: np.ndarray, lists: np.ndarray,
                     nlist: int) -> None:
    """Size every inverted list once, then copy row chunks of ``dense`` into them.

    Each list holds its rows in ascending order (as ``add`` would put them); the codes are
    written in place through NumPy views of FAISS's buffers, ``CHUNK`` rows at a time, so
    besides the lists only one chunk of rows is held.
    """
    n, d = dense.shape
    small = lists.astype(np.int16 if nlist <= np.iinfo(np.int16).max else np.int32)
    order = np.argsort(small, kind="stable")  # rows grouped by list, ascending within one
    counts = np.bincount(small, minlength=nlist)
    starts = np.concatenate(([0], np.cumsum(counts)))
    codes: list[np.ndarray | None] = []
    for li in range(nlist):
        c = int(counts[li])
        if c == 0:
            codes.append(None)
            continue
        invlists.resize(li, c)
        faiss.rev_swig_ptr(invlists.get_ids(li), c)[:] = order[starts[li]:starts[li + 1]]
        buf = faiss.rev_swig_ptr(invlists.get_codes(li), c * d * 2)
        codes.append(buf.view(np.float16).reshape(c, d))
    filled = np.zeros(nlist, np.int64)
    for a in range(0, n, CHUNK):
        b = min(a + CHUNK, n)
        x = np.asarray(dense[a:b])
        if x.dtype != np.float16:
            x = _unit_chunk(x, 0, b - a).astype(np.float16)
        local = np.argsort(small[a:b], kind="stable")
        x = x[local]
        per = np.bincount(small[a:b], minlength=nlist)
        bounds = np.concatenate(([0], np.cumsum(per)))
        for li in np.flatnonzero(per).tolist():
            f, m = int(filled[li]), int(per[li])
            codes[li][f:f + m] = x[bounds[li]:bounds[li] + m]  # type: ignore[index]
        filled += per


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
