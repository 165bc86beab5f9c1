"""The IVF dense index opened from stored arrays: float16 codes filled from the stored rows."""

from __future__ import annotations

import numpy as np
import pytest

from motionlex.core.retrieval import ann

faiss = pytest.importorskip("faiss", reason="faiss-cpu not installed (the optional 'faiss' extra)")

D = 32


def _clustered(n: int, seed: int = 0, centres: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """``(gallery (n, D) float16 unit rows, queries (20, D) float32 unit rows)``."""
    rng = np.random.default_rng(seed)
    seeds = rng.normal(size=(centres, D))

    def around(m: int) -> np.ndarray:
        x = seeds[rng.integers(0, centres, m)] + 0.5 * rng.normal(size=(m, D)) / np.sqrt(D)
        return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)

    return around(n).astype(np.float16), around(20)


def _exact_top(dense16: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    x = dense16.astype(np.float32)
    s = (x / np.linalg.norm(x, axis=1, keepdims=True)) @ q
    return np.lexsort((np.arange(len(s)), -s))[:k]


def test_fp16_ivf_top10_matches_exact_search():
    dense, queries = _clustered(3000)
    cent, lists = ann.train_ivf(dense, 16)
    full = ann.open_ivf(dense, cent, lists, nprobe=16)  # every list: exhaustive
    few = ann.open_ivf(dense, cent, lists, nprobe=4)
    assert isinstance(full, faiss.IndexIVFScalarQuantizer) and full.ntotal == 3000
    recall = []
    for q in queries:
        # FAISS ranks by the float16 rows as stored (unit length to ~1e-4, so near ties
        # of the cosines may swap; DenseBackend.top_k rescores exactly): with every list
        # probed, its top-10 is the exact one of those products
        raw = dense.astype(np.float32) @ q
        rows, scores = ann.faiss_top_k(full, q, 10)
        assert rows.tolist() == np.lexsort((np.arange(len(raw)), -raw))[:10].tolist()
        assert np.allclose(scores, raw[rows], atol=1e-5)
        want = _exact_top(dense, q, 10)
        got, _ = ann.faiss_top_k(few, q, 10)
        recall.append(len(set(got.tolist()) & set(want.tolist())) / 10)
    assert np.mean(recall) >= 0.95, recall


@pytest.mark.parametrize("n", [1, 997, 1237])
def test_open_from_stored_arrays_any_size(monkeypatch, n):
    monkeypatch.setattr(ann, "CHUNK", 100)  # several chunks, the last one partial
    dense, _ = _clustered(n, seed=n)
    nlist = 7 if n > 1 else 3
    rng = np.random.default_rng(n)
    lists = rng.integers(0, nlist - 1, n).astype(np.int32)  # the last list stays empty
    cent = rng.normal(size=(nlist, D)).astype(np.float32)
    index = ann.open_ivf(dense, cent, lists, nprobe=100)
    assert index.ntotal == n and index.nprobe == nlist
    inv = index.invlists
    assert inv.list_size(nlist - 1) == 0
    for li in range(nlist):
        m = inv.list_size(li)
        want = np.flatnonzero(lists == li)  # ascending rows, as add() would order them
        ids = faiss.rev_swig_ptr(inv.get_ids(li), m).copy() if m else np.zeros(0, np.int64)
        assert ids.tolist() == want.tolist()
        if m:
            codes = faiss.rev_swig_ptr(inv.get_codes(li), m * D * 2).view(np.float16)
            assert np.array_equal(codes.reshape(m, D), dense[want])  # the stored bits


def test_open_float32_rows_are_normalised():
    dense, _ = _clustered(500, seed=3)
    x = dense.astype(np.float32) * 3.0  # not unit: normalised before rounding to float16
    cent, lists = ann.train_ivf(dense, 4)
    index = ann.open_ivf(x, cent, lists)
    unit = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float16)
    for li in range(4):
        m = index.invlists.list_size(li)
        codes = faiss.rev_swig_ptr(index.invlists.get_codes(li), m * D * 2).view(np.float16)
        assert np.array_equal(codes.reshape(m, D), unit[lists == li])


def test_open_rejects_inconsistent_arrays():
    dense, _ = _clustered(50)
    cent = np.zeros((4, D), np.float32)
    with pytest.raises(ValueError, match="does not fit"):
        ann.open_ivf(dense, cent, np.zeros(49, np.int32))
    with pytest.raises(ValueError, match="does not fit"):
        ann.open_ivf(dense, cent[:, :8], np.zeros(50, np.int32))
    with pytest.raises(ValueError, match=r"must be in \[0, 4\)"):
        ann.open_ivf(dense, cent, np.full(50, 4, np.int32))
