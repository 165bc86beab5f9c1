"""DenseBackend over a stored IVF: float16 lists, top-k rescored exactly from ``dense.npy``."""

from __future__ import annotations

import numpy as np
import pytest

from motionlex.core.retrieval import ann
from motionlex.core.retrieval.dense_backend import DenseBackend, _FileRows

D = 32


class _Stored:
    """The parts of a ``GalleryIndex`` DenseBackend reads: ``dense.npy`` and the IVF."""

    def __init__(self, path, nlist: int = 16, n: int = 2999, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        seeds = rng.normal(size=(40, D))
        x = seeds[rng.integers(0, 40, n)] + 0.5 * rng.normal(size=(n, D)) / np.sqrt(D)
        dense = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float16)
        np.save(path / "dense.npy", dense)
        cent, lists = ann.train_ivf(dense, nlist)
        self.cent, self.lists = cent, lists
        self.path = path
        self.dense = np.load(path / "dense.npy", mmap_mode="r")
        self.ann = {"kind": ann.ANN_KIND, "nlist": nlist, "nprobe": 4}
        q = seeds[rng.integers(0, 40, 20)] + 0.5 * rng.normal(size=(20, D)) / np.sqrt(D)
        self.queries = (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)

    def __len__(self) -> int:
        return len(self.dense)

    def ann_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return self.cent, self.lists.astype(np.int64)

    def exact(self, q: np.ndarray) -> np.ndarray:
        """``(N,)`` float32 cosines over the normalised float16 rows."""
        x = np.asarray(self.dense, np.float32)
        return (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)) @ q


@pytest.fixture
def stored(tmp_path):
    pytest.importorskip("faiss", reason="faiss-cpu not installed (the optional 'faiss' extra)")
    return _Stored(tmp_path)


def _top(s: np.ndarray, k: int) -> list[int]:
    return np.lexsort((np.arange(len(s)), -s))[:k].tolist()


def test_ivf_top10_is_exact_with_exact_scores(stored):
    full = DenseBackend(stored, nprobe=16)  # type: ignore[arg-type]  # every list probed
    assert full.kind == "ivf" and full.approximate and full.nprobe == 16
    few = DenseBackend(stored)  # type: ignore[arg-type]
    assert few.nprobe == 4  # the index's recorded value
    recall = []
    for q in stored.queries:
        exact = stored.exact(q)
        rows, scores = full.top_k(q, 10)
        assert rows.tolist() == _top(exact, 10)  # same ten, same order as exact search
        assert np.allclose(scores, exact[rows], rtol=0, atol=1e-6)
        got, _ = few.top_k(q, 10)
        recall.append(len(set(got.tolist()) & set(_top(exact, 10))) / 10)
        ex, _ = full.top_k(q, 10, exclude=[rows[0]])
        assert ex.tolist() == _top(exact, 11)[1:]
        raw, raw_scores = full.top_k(q, 10, rescore=False)  # FAISS's float16 ranking
        x = np.asarray(stored.dense, np.float32)[raw]
        assert np.allclose(raw_scores, x @ q, atol=1e-5)
    assert np.mean(recall) >= 0.95, recall


def test_ivf_exact_scores_of_rows(stored):
    b = DenseBackend(stored, "faiss")  # type: ignore[arg-type]
    q = stored.queries[0]
    exact = stored.exact(q)
    rows = np.array([2998, 5, 5, 1000, 0, 1777])  # unsorted, repeated, last row
    assert np.allclose(b.row_scores(rows, q), exact[rows], atol=1e-6)
    assert b.row_scores(np.zeros(0, np.int64), q).shape == (0,)
    assert np.allclose(b.scores(q, 7, 1500), exact[7:1500], atol=1e-6)
    assert np.allclose(b.row(2998) @ q, exact[2998], atol=1e-6)
    with pytest.raises(ValueError, match="dense dims"):
        b.top_k(np.zeros(D + 1, np.float32), 3)


@pytest.mark.parametrize("preadv", [True, False], ids=["preadv", "no-preadv (Windows)"])
def test_file_rows_read_what_the_memory_map_holds(tmp_path, monkeypatch, preadv):
    import os

    if not preadv:
        monkeypatch.delattr(os, "preadv", raising=False)
    x = np.random.default_rng(0).normal(size=(1237, 7)).astype(np.float16)
    np.save(tmp_path / "x.npy", x)
    rows = _FileRows(np.load(tmp_path / "x.npy", mmap_mode="r"))
    assert np.array_equal(rows[0:1237], x) and np.array_equal(rows[1230:2000], x[1230:])
    pick = np.array([1236, 0, 17, 17, 600])
    assert np.array_equal(rows.take(pick), x[pick])
    assert rows.take(np.zeros(0, np.int64)).shape == (0, 7)
