"""Sparse lexical arithmetic: pruning, query words, inverted-index scores, evidence."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from motionlex.core.retrieval.metrics import top_k
from motionlex.core.retrieval.sparse import (
    brute_force_scores,
    heaviest_words,
    inverted_lookup,
    inverted_scores,
    sparse_query,
    sparsify_lexical,
    word_evidence,
)


def test_sparsify_lexical():
    rng = np.random.default_rng(0)
    lex = np.maximum(rng.normal(size=(5, 50)), 0).astype(np.float32)
    lex[3] = 0.0
    m = sparsify_lexical(lex, 4, "cosine")
    assert m.shape == (5, 50) and m.has_sorted_indices
    assert list(np.diff(m.indptr)) == [4, 4, 4, 0, 4]
    for r in (0, 1, 2, 4):
        keep = np.sort(np.argsort(-lex[r])[:4])
        assert list(m[r].indices) == list(keep)
        assert np.allclose(m[r].data, lex[r, keep] / np.linalg.norm(lex[r, keep]))
    raw = sparsify_lexical(lex, None, "dot")
    assert np.allclose(raw.toarray(), lex)
    with pytest.raises(ValueError, match=">= 0"):
        sparsify_lexical(-lex, 4, "cosine")
    with pytest.raises(ValueError, match="similarity"):
        sparsify_lexical(lex, 4, "l2")
    with pytest.raises(ValueError, match=r"\(B, V\)"):
        sparsify_lexical(lex[0], 4, "dot")


def test_inverted_index_equals_brute_force_random():
    rng = np.random.default_rng(0)
    n, v = 5000, 3000
    m = sp.random(n, v, density=0.02, format="csr", random_state=rng, dtype=np.float32)
    m.sort_indices()
    inv = m.tocsc()
    for _ in range(20):
        ids = np.sort(rng.choice(v, size=rng.integers(1, 60), replace=False))
        w = rng.random(len(ids)).astype(np.float32)
        a, b = inverted_scores(inv, ids, w), brute_force_scores(m, ids, w)
        dense_ref = m.toarray().astype(np.float64)[:, ids] @ w.astype(np.float64)
        assert np.allclose(a, dense_ref, atol=1e-9) and np.allclose(b, dense_ref, atol=1e-5)
        assert list(top_k(a, 10)) == list(top_k(b, 10))
        nz_r, nz_c = m.nonzero()
        pick = rng.integers(0, len(nz_r), 100)
        rows = np.concatenate([rng.integers(0, n, 100), nz_r[pick]])  # absent and stored
        cols = np.concatenate([rng.integers(0, v, 100), nz_c[pick]])
        assert np.array_equal(inverted_lookup(inv, rows, cols),
                              m.toarray()[rows, cols].astype(np.float64))
    assert not inverted_scores(inv, np.zeros(0, np.int64), np.zeros(0, np.float32)).any()


def test_sparse_query_and_word_evidence():
    ids, w = sparse_query(np.array([0.0, 3.0, 0.0, 4.0, 1e-3]), "cosine", 2)
    assert list(ids) == [1, 3] and np.allclose(w, [0.6, 0.8], atol=1e-4)
    ids, w = sparse_query(np.array([0.0, 3.0, 0.0, 4.0]), "dot", None)
    assert list(ids) == [1, 3] and np.allclose(w, [3.0, 4.0])
    for bad, match in (((np.ones((2, 2)), "dot", 2), r"\(V,\)"),
                       ((np.ones(3), "l1", 2), "similarity"),
                       ((np.ones(3), "dot", 0), "max_words"),
                       ((-np.ones(3), "dot", 2), ">= 0")):
        with pytest.raises(ValueError, match=match):
            sparse_query(*bad)
    assert list(top_k(np.array([0.1, 0.5, 0.5, 0.2]), 3)) == [1, 2, 3]
    assert list(top_k(np.array([0.1, 0.5, 0.5, 0.2]), 9, exclude=[1])) == [2, 3, 0]
    m = sp.csr_matrix(np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]], np.float32))
    ev, sc = word_evidence(m.tocsc(), ["a", "b", "c"], [0, 1], np.array([1, 2]),
                           np.array([1.0, 0.2]), 5)
    assert ev[0] == [("b", 0.5), ("c", pytest.approx(0.1))] and ev[1] == []
    assert np.allclose(sc, [0.6, 0.0])
    ev, _ = word_evidence(m.tocsc(), ["a", "b", "c"], [0], np.array([1, 2]),
                          np.array([1.0, 0.2]), 1)
    assert ev == [[("b", 0.5)]]


def test_heaviest_words():
    vocab = ["a", "b", "c", "d"]
    assert heaviest_words(np.array([3, 1, 2, 0]), np.array([0.5, 0.5, 0.9, 0.0]), vocab, 2) == [
        ("c", 0.9), ("b", 0.5)]
    assert heaviest_words(np.array([0]), np.array([0.0]), vocab) == []


def test_sparse_from_top_words_equals_sparsify():
    """The build's device path (top words, then CSR) gives sparsify_lexical's rows exactly."""
    from motionlex.core.retrieval.sparse import sparse_from_top_words, top_words_np

    rng = np.random.default_rng(1)
    lex = np.maximum(rng.normal(size=(20, 300)), 0).astype(np.float32)
    lex[2] = 0.0
    lex[5, :290] = 0.0  # fewer non-zero words than k
    lex[5, 290:] = np.arange(1, 11)
    lex[7] = np.round(lex[7], 1)  # ties at the threshold
    for sim in ("cosine", "dot"):
        a = sparsify_lexical(lex, 16, sim)
        vals, ids = top_words_np(lex, 16)
        b = sparse_from_top_words(vals, ids, 300, sim)
        for attr in ("indptr", "indices", "data"):
            np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr))
        assert b.has_sorted_indices and np.diff(b.indptr)[5] == 10 and np.diff(b.indptr)[2] == 0
    with pytest.raises(ValueError, match="alike"):
        sparse_from_top_words(vals, ids[:, :3], 300, "dot")
    with pytest.raises(ValueError, match=">= 0"):
        sparse_from_top_words(-vals - 1, ids, 300, "dot")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
def test_both_top_words_twins_refuse_a_row_that_is_not_finite(bad):
    """The NumPy twin skipped a NaN word silently (``[[1, nan, .5]]`` gave ids ``[0, 2]``)
    where the torch twin raised (code review 36 F9): both refuse any NaN or inf, naming the
    row, and so does sparsify_lexical with or without a word limit."""
    import torch

    from motionlex.core.retrieval.embed import top_words
    from motionlex.core.retrieval.sparse import top_words_np

    lex = np.array([[0.2, 0.0, 0.4], [1.0, bad, 0.5]], np.float32)
    said = r"lexical weights must be finite: NaN or inf in 1 row\(s\), first row 1"
    for k in (1, 2, 3):
        with pytest.raises(ValueError, match=said):
            top_words_np(lex, k)
        with pytest.raises(ValueError, match=said):
            top_words(torch.from_numpy(lex), k)
    for k in (1, None):
        with pytest.raises(ValueError, match=said):
            sparsify_lexical(lex, k, "dot")


def test_the_top_words_twins_select_the_same_words_on_ties():
    """The twins agree on finite rows, ties at the k-th weight going to the lowest ids."""
    import torch

    from motionlex.core.retrieval.embed import top_words
    from motionlex.core.retrieval.sparse import top_words_np

    rng = np.random.default_rng(0)
    for _ in range(300):
        b, v = (int(x) for x in rng.integers(1, 6, 2) * (1, 4))
        lex = rng.integers(0, 3, (b, v)).astype(np.float32)
        lex[0, 0] = np.float32(3.4e38)  # the largest float32 is finite
        for k in (1, int(rng.integers(1, v + 1)), v + 2):
            vals, ids = top_words_np(lex, k)
            t_vals, t_ids = top_words(torch.from_numpy(lex), k)
            np.testing.assert_array_equal(ids, t_ids.numpy())
            np.testing.assert_array_equal(vals, t_vals.numpy())
