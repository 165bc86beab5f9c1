"""Sparse lexical vectors: pruning, query words, inverted-index scores, word evidence.

The SPLADE side of retrieval as pure functions on ``(N, V)`` SciPy sparse matrices:
a gallery's lexical vectors are pruned to their heaviest words (:func:`sparsify_lexical`),
a query keeps its heaviest words (:func:`sparse_query`), and scores are read from the
posting lists of the query's words only (:func:`inverted_scores`, :func:`word_evidence`).

Sources: SPLADE sparse retrieval with an inverted index, Formal et al., SPLADE v2 (arXiv
2109.10086), Sec. 2; document and query pruning to the heaviest terms, Lassance and
Clinchant, "An Efficiency Study for SPLADE Models", SIGIR 2022, Sec. 3.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch

DEFAULT_QUERY_WORDS = 64


def sparsify_lexical(lexical: np.ndarray, top_k: int | None, similarity: str) -> sp.csr_matrix:
    """Keep the ``top_k`` heaviest words of each lexical vector; normalise for cosine.

    Args:
        lexical: ``(B, V)`` float, non-negative lexical vectors.
        top_k: words kept per row (``None``: every non-zero word); ties at the ``top_k``-th
            weight go to the lowest word ids (:func:`top_words_np`).
        similarity: ``"cosine"`` L2-normalises each pruned row (a sparse dot product is then
            the cosine); ``"dot"`` keeps the raw weights.

    Returns:
        ``(B, V)`` float32 CSR matrix with sorted indices and no explicit zeros.

    Raises:
        ValueError: ``lexical`` not 2-D, NaN or inf, negative weights, or an unknown
            similarity.
    """
    lex = np.asarray(lexical, np.float32)
    if lex.ndim != 2:
        raise ValueError(f"lexical must be (B, V), got shape {lex.shape}")
    _check_similarity(similarity)
    check_finite_rows(lex)
    if lex.size and lex.min() < 0:
        raise ValueError(f"lexical weights must be >= 0, min {lex.min()}")
    if top_k is not None and top_k < lex.shape[1]:
        vals, cols = top_words_np(lex, top_k)
        return sparse_from_top_words(vals, cols, lex.shape[1], similarity)
    mat = sp.csr_matrix(lex)
    mat.eliminate_zeros()
    mat.sort_indices()
    return _normalise_rows(mat, similarity)


def top_words_np(lexical: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` heaviest words of each row; ties at the ``k``-th weight go to the lowest ids.

    The NumPy twin of :func:`~.embed.top_words` (which runs on the model's device): both
    select the same words.

    Args:
        lexical: ``(B, V)`` float array.
        k: words per row (clamped to ``V``).

    Returns:
        ``(values (B, k) float32, ids (B, k) int64)``, ids ascending within each row.

    Raises:
        ValueError: NaN or inf weights (:func:`check_finite_rows`), as the torch twin.
    """
    lex = np.asarray(lexical, np.float32)
    b, v = lex.shape
    check_finite_rows(lex)
    k = min(int(k), v)
    if b == 0 or k == 0:
        return np.zeros((b, k), np.float32), np.zeros((b, k), np.int64)
    thr = -np.partition(-lex, k - 1, axis=1)[:, k - 1:k]
    keep = lex >= thr
    over = np.flatnonzero(keep.sum(axis=1) > k)  # rows with ties at the threshold
    if len(over):
        sub = lex[over]
        tied = sub == thr[over]
        need = k - (sub > thr[over]).sum(axis=1, keepdims=True)
        keep[over] = (sub > thr[over]) | (tied & (np.cumsum(tied, axis=1) <= need))
    ids = np.nonzero(keep)[1].reshape(b, k).astype(np.int64)
    return np.take_along_axis(lex, ids, axis=1), ids


def check_finite_rows(lexical: np.ndarray) -> None:
    """Refuse lexical vectors holding NaN or inf (no word can be ranked against a NaN).

    Args:
        lexical: ``(B, V)`` float array.

    Raises:
        ValueError: NaN or inf in a row (the count of such rows and the first named).
    """
    bad = np.flatnonzero(~np.isfinite(lexical).all(axis=1))
    if len(bad):
        raise ValueError(f"lexical weights must be finite: NaN or inf in {len(bad)} row(s), "
                         f"first row {int(bad[0])}")


def sparse_from_top_words(values: np.ndarray, ids: np.ndarray, num_words: int,
                          similarity: str) -> sp.csr_matrix:
    """CSR rows of each motion's heaviest words, normalised as :func:`sparsify_lexical` does.

    Args:
        values: ``(B, K)`` float, non-negative weights (zeros are dropped).
        ids: ``(B, K)`` int word ids, distinct and ascending within each row.
        num_words: vocabulary size ``V``.
        similarity: ``"cosine"`` (unit rows) or ``"dot"`` (raw weights).

    Returns:
        ``(B, V)`` float32 CSR matrix with sorted indices and no explicit zeros; equal to
        ``sparsify_lexical(full, K, similarity)`` for the full vectors these words came from.

    Raises:
        ValueError: mismatched shapes, negative weights, or an unknown similarity.
    """
    vals = np.asarray(values, np.float32)
    cols = np.asarray(ids, np.int64)
    if vals.ndim != 2 or vals.shape != cols.shape:
        raise ValueError(f"values and ids must be (B, K) alike, got {vals.shape} and "
                         f"{cols.shape}")
    _check_similarity(similarity)
    if vals.size and vals.min() < 0:
        raise ValueError(f"lexical weights must be >= 0, min {vals.min()}")
    b, k = vals.shape
    rows = np.repeat(np.arange(b), k)
    mat = sp.csr_matrix((vals.ravel(), (rows, cols.ravel())), shape=(b, num_words),
                        dtype=np.float32)
    mat.eliminate_zeros()
    mat.sort_indices()
    return _normalise_rows(mat, similarity)


def _check_similarity(similarity: str) -> None:
    if similarity not in ("cosine", "dot"):
        raise ValueError(f"similarity must be 'cosine' or 'dot', got {similarity!r}")


def _normalise_rows(mat: sp.csr_matrix, similarity: str) -> sp.csr_matrix:
    if similarity == "cosine":
        norms = np.sqrt(np.asarray(mat.multiply(mat).sum(axis=1)).ravel())
        scale = np.where(norms > 0, 1.0 / np.where(norms > 0, norms, 1.0), 0.0)
        mat = sp.csr_matrix(sp.diags(scale.astype(np.float32)) @ mat, dtype=np.float32)
        mat.sort_indices()
    return mat


def sparse_query(
    lexical: np.ndarray, similarity: str, max_words: int | None = DEFAULT_QUERY_WORDS
) -> tuple[np.ndarray, np.ndarray]:
    """The words of a query's lexical vector.

    Only the ``max_words`` heaviest words are kept (query pruning). For ``"cosine"`` the
    kept weights are then L2-normalised, as the index's pruned motion rows are
    (:func:`sparsify_lexical`), so a score against a stored row is the cosine of the two
    pruned vectors and each word's product its share of it. (Normalising the full vector
    before pruning left the query 75-95 % of its norm, and every score that much lower:
    a per-query scale, so lexical and fused rankings are the same either way.)

    Args:
        lexical: ``(V,)`` float, non-negative lexical vector.
        similarity: ``"cosine"`` or ``"dot"``.
        max_words: words kept; ``None`` keeps every non-zero word.

    Returns:
        ``(word_ids (Q,) int64 ascending, word_weights (Q,) float32 > 0)``.

    Raises:
        ValueError: not 1-D, negative weights, unknown similarity or ``max_words < 1``.
    """
    v = np.asarray(lexical, np.float32)
    if v.ndim != 1:
        raise ValueError(f"lexical query must be (V,), got shape {v.shape}")
    if similarity not in ("cosine", "dot"):
        raise ValueError(f"similarity must be 'cosine' or 'dot', got {similarity!r}")
    if max_words is not None and max_words < 1:
        raise ValueError(f"max_words must be >= 1 or None, got {max_words}")
    if v.size and v.min() < 0:
        raise ValueError(f"lexical weights must be >= 0, min {v.min()}")
    ids = np.flatnonzero(v > 0)
    if max_words is not None and len(ids) > max_words:
        ids = np.sort(ids[np.argpartition(-v[ids], max_words - 1)[:max_words]])
    w = v[ids].astype(np.float64)
    if similarity == "cosine" and len(w):  # the kept words' norm: a cosine of pruned vectors
        w /= np.linalg.norm(w)
    return ids.astype(np.int64), w.astype(np.float32)


def inverted_scores(inverted: sp.csc_matrix, word_ids: np.ndarray,
                    word_weights: np.ndarray, *, float32: bool = False) -> np.ndarray:
    """Sparse dot products of a query with every gallery vector, from posting lists.

    Reads only the columns (posting lists) of the query's words: the cost is the summed
    length of those lists, independent of the other words of the vocabulary. Each list is
    one ``torch.index_add_`` into a float64 accumulator (3.2 ns CPU per posting on one core,
    against 18 ns for a NumPy ``repeat``/``bincount`` formulation), or a float32 one (1.8 ns:
    the stored weights are added as they are, without a float64 copy of each list).

    Args:
        inverted: ``(N, V)`` CSC lexical matrix.
        word_ids: ``(Q,)`` int vocabulary ids.
        word_weights: ``(Q,)`` float query weights.
        float32: accumulate in float32 (relative error ~1e-7, the precision of
            :func:`brute_force_scores`; used for large galleries by :class:`~.search.Searcher`).

    Returns:
        ``(N,)`` float64 scores (0 for motions sharing no word with the query).

    Source: term-at-a-time evaluation over an inverted index (SPLADE v2, Sec. 2).
    """
    ids = np.asarray(word_ids, np.int64)
    weights = np.asarray(word_weights, np.float64)
    n = inverted.shape[0]
    indptr, indices, data = inverted.indptr, inverted.indices, inverted.data
    dtype = np.float32 if float32 else np.float64
    acc = torch.zeros(n, dtype=torch.float32 if float32 else torch.float64)
    rows_t = torch.from_numpy(indices) if len(indices) else None  # shared, no copy
    for j, w in zip(ids.tolist(), weights.tolist()):
        a, b = int(indptr[j]), int(indptr[j + 1])
        if b > a:  # one posting list: a scatter-add of its weights times the query's
            vals = torch.from_numpy(np.asarray(data[a:b], dtype))
            acc.index_add_(0, rows_t[a:b], vals, alpha=w)
    return acc.numpy().astype(np.float64, copy=False)


def brute_force_scores(lexical: sp.csr_matrix, word_ids: np.ndarray,
                       word_weights: np.ndarray) -> np.ndarray:
    """The same scores as :func:`inverted_scores` by a full sparse matrix-vector product.

    Touches every stored weight of the gallery (reference and benchmark baseline).

    Args:
        lexical: ``(N, V)`` CSR gallery rows.
        word_ids / word_weights: ``(Q,)`` int query word ids in ``[0, V)`` and their float
            weights.

    Returns:
        ``(N,)`` float64 scores.
    """
    q = np.zeros(lexical.shape[1], np.float32)
    q[np.asarray(word_ids, np.int64)] = word_weights
    return np.asarray(lexical @ q, np.float64)


def inverted_lookup(inverted: sp.csc_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Entries ``M[rows[i], cols[i]]`` of a CSC matrix with sorted row indices.

    A binary search inside each column's posting list, vectorised over all pairs (about
    ``log2(longest list)`` NumPy passes over the pairs).

    Args:
        inverted: ``(N, V)`` CSC matrix, row indices sorted within each column.
        rows / cols: ``(P,)`` int pairs.

    Returns:
        ``(P,)`` float64 values (0 where the entry is not stored).
    """
    rows = np.asarray(rows, np.int64)
    cols = np.asarray(cols, np.int64)
    indptr, indices = inverted.indptr, inverted.indices
    if len(indices) == 0 or len(rows) == 0:
        return np.zeros(len(rows), np.float64)
    lo, end = indptr[cols].astype(np.int64), indptr[cols + 1].astype(np.int64)
    hi = end.copy()
    last = len(indices) - 1
    while True:  # lower_bound of each row in its column's slice
        active = lo < hi
        if not active.any():
            break
        mid = (lo + hi) // 2
        right = active & (indices[np.minimum(mid, last)] < rows)
        lo = np.where(right, mid + 1, lo)
        hi = np.where(active & ~right, mid, hi)
    at = np.minimum(lo, last)
    found = (lo < end) & (indices[at] == rows)
    return np.where(found, inverted.data[at], 0.0).astype(np.float64)


def word_evidence(
    inverted: sp.csc_matrix,
    vocabulary: Sequence[str],
    rows: Sequence[int],
    word_ids: np.ndarray,
    word_weights: np.ndarray,
    n: int = 5,
) -> tuple[list[list[tuple[str, float]]], np.ndarray]:
    """The words that contributed most to each row's lexical score, and the scores.

    Reads only the query words' posting lists (:func:`inverted_lookup`), so the lexical
    matrix in row form is never needed.

    Args:
        inverted: ``(N, V)`` CSC lexical matrix (sorted row indices).
        vocabulary: ``V`` tokens.
        rows: ``H`` gallery rows.
        word_ids / word_weights: the query's ``Q`` words and weights.
        n: words listed per row (0: none).

    Returns:
        ``(evidence, scores)``: per row up to ``n`` ``(word, query weight x motion weight)``
        pairs, largest first (positive only; ties by word id), and ``(H,)`` float64 lexical
        scores (the sum over all query words).
    """
    ids = np.asarray(word_ids, np.int64)
    rows = np.asarray(rows, np.int64)
    if len(ids) == 0 or len(rows) == 0:
        return [[] for _ in rows], np.zeros(len(rows), np.float64)
    vals = inverted_lookup(inverted, np.tile(rows, len(ids)), np.repeat(ids, len(rows)))
    contrib = vals.reshape(len(ids), len(rows)) * np.asarray(word_weights, np.float64)[:, None]
    out: list[list[tuple[str, float]]] = []
    for h in range(len(rows)):
        c = contrib[:, h]
        order = np.lexsort((ids, -c))[:n] if n > 0 else []
        out.append([(vocabulary[int(ids[o])], float(c[o])) for o in order if c[o] > 0])
    return out, contrib.sum(axis=0)


def heaviest_words(ids: np.ndarray, weights: np.ndarray, vocabulary: Sequence[str],
                   n: int = 20) -> list[tuple[str, float]]:
    """The ``n`` heaviest ``(word, weight)`` pairs of a sparse vector, heaviest first.

    Args:
        ids: ``(Q,)`` int vocabulary ids.
        weights: ``(Q,)`` float weights (only those > 0 are kept).
        vocabulary: the vocabulary (``V`` tokens).
        n: pairs kept.

    Returns:
        Up to ``n`` pairs with distinct words; ties broken by vocabulary id.
    """
    ids = np.asarray(ids, np.int64)
    w = np.asarray(weights, np.float64)
    keep = w > 0
    ids, w = ids[keep], w[keep]
    order = np.lexsort((ids, -w))[:n]
    return [(vocabulary[int(ids[o])], float(w[o])) for o in order]
