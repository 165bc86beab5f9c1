"""Retrieval metrics and protocols on hand-built similarity matrices (expected values derived
in the comments), brute-force cross-checks, and real Bandai captions for the "All" protocol."""

from __future__ import annotations

import itertools
import statistics

import numpy as np
import pytest

from motionlex.core.retrieval.metrics import (
    bidirectional_metrics,
    car_accuracy,
    flatten_metrics,
    m2t_with_negatives,
    median_rank,
    preference_accuracy,
    rank_of_first_positive,
    recall_at_k,
    retrieval_metrics,
    top_k,
)

KEYS = ["R@1", "R@2", "R@3", "R@5", "R@10", "MedR"]


def test_ranks_without_ties() -> None:
    sim = np.array([[0.9, 0.1, 0.5], [0.2, 0.3, 0.8], [0.4, 0.6, 0.7]])
    # row 0: positive 0.9 is the max -> 1; row 1: 0.8 above 0.3 -> 2; row 2: 0.7 max -> 1
    ranks = rank_of_first_positive(sim, np.eye(3, dtype=bool))
    assert ranks.dtype == np.float64
    np.testing.assert_array_equal(ranks, [1.0, 2.0, 1.0])
    m = retrieval_metrics(sim, np.eye(3, dtype=bool))
    assert list(m) == KEYS
    # R@1 = 2/3 queries, R@2.. = all, MedR = median(1, 2, 1) = 1
    assert m["R@1"] == pytest.approx(200 / 3)
    assert m["R@2"] == m["R@10"] == 100.0
    assert m["MedR"] == 1.0


def test_ranks_with_ties() -> None:
    sim = np.array(
        [
            [0.5, 0.5, 0.5, 0.2],  # pos {0}: A=0, 2 tied negatives, p=1 -> 1 + 2/2 = 2
            [0.8, 0.5, 0.5, 0.5],  # pos {2}: A=1, 2 tied negatives -> 1 + 1 + 2/2 = 3
            [0.5, 0.5, 0.5, 0.9],  # pos {0,1}: A=1, n=1, p=2 -> 1 + 1 + 1/3
            [0.9, 0.7, 0.7, 0.1],  # pos {1,2} tied with each other only -> 1 + 1 = 2
            [0.3, 0.3, 0.3, 0.3],  # pos {3}: all tied, n=3 -> 1 + 3/2 = 2.5
        ]
    )
    pos = np.zeros_like(sim, dtype=bool)
    pos[0, 0] = pos[1, 2] = pos[2, 0] = pos[2, 1] = pos[3, 1] = pos[3, 2] = pos[4, 3] = True
    np.testing.assert_allclose(
        rank_of_first_positive(sim, pos), [2.0, 3.0, 2.0 + 1 / 3, 2.0, 2.5], rtol=0, atol=1e-12
    )
    # R@2 counts ranks <= 2 (rows 0 and 3), R@3 adds rows 1, 2, 4; MedR = median -> 2.333..
    m = retrieval_metrics(sim, pos)
    assert (m["R@1"], m["R@2"], m["R@3"]) == (0.0, 40.0, 100.0)
    assert m["MedR"] == pytest.approx(2 + 1 / 3)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int64])
def test_ranks_accept_float_widths(dtype: type) -> None:
    # multiples of 1/8 are exact in float16, so every width ranks identically (ties included)
    rng = np.random.default_rng(3)
    sim = rng.integers(-8, 8, size=(20, 15)) / 8.0
    sim = (sim * 8).astype(dtype) if dtype is np.int64 else sim.astype(dtype)
    pos = rng.random((20, 15)) < 0.2
    pos[np.arange(20), rng.integers(0, 15, 20)] = True
    expected = rank_of_first_positive(sim.astype(np.float64), pos)
    np.testing.assert_array_equal(rank_of_first_positive(sim, pos), expected)


def _expected_rank_by_enumeration(scores: list[float], pos: list[bool]) -> float:
    """Average first-positive position over every ordering consistent with the scores."""
    firsts = []
    for perm in itertools.permutations(range(len(scores))):
        if all(scores[perm[i]] >= scores[perm[i + 1]] for i in range(len(perm) - 1)):
            firsts.append(next(i for i, g in enumerate(perm) if pos[g]) + 1)
    return sum(firsts) / len(firsts)


def test_ranks_match_uniform_tie_breaking_by_enumeration() -> None:
    rng = np.random.default_rng(0)
    sim = rng.integers(0, 3, size=(40, 6)).astype(np.float32)  # many ties
    pos = rng.random((40, 6)) < 0.3
    pos[np.arange(40), rng.integers(0, 6, 40)] = True
    expected = [_expected_rank_by_enumeration(list(s), list(p)) for s, p in zip(sim, pos)]
    np.testing.assert_allclose(rank_of_first_positive(sim, pos), expected, rtol=0, atol=1e-9)


def test_metrics_match_python_loop_on_random_matrices() -> None:
    rng = np.random.default_rng(1)
    # 2,500 queries: more than one chunk of rows (1,024) is ranked, as for HumanML3D's
    # 4,000+ test captions (a bug in the chunking went unseen with at most 50 queries)
    for q, g in [(50, 200), (31, 31), (1, 7), (2500, 12)]:
        sim = rng.standard_normal((q, g))
        pos = rng.random((q, g)) < 0.05
        pos[np.arange(q), rng.integers(0, g, q)] = True
        loop_ranks = []
        for i in range(q):
            order = sorted(range(g), key=lambda j: -sim[i, j])
            loop_ranks.append(next(k for k, j in enumerate(order) if pos[i, j]) + 1.0)
        ranks = rank_of_first_positive(sim, pos)
        np.testing.assert_array_equal(ranks, loop_ranks)
        m = retrieval_metrics(sim, pos)
        for k in (1, 2, 3, 5, 10):
            assert m[f"R@{k}"] == pytest.approx(100 * sum(r <= k for r in loop_ranks) / q)
        assert m["MedR"] == statistics.median(loop_ranks)


def test_recall_and_median_rank_even_count() -> None:
    ranks = np.array([1.0, 2.0, 4.0, 10.0])
    # even count: median = (2 + 4) / 2 = 3; R@1 = 1/4, R@3 = 2/4, R@5 = 3/4, R@10 = 4/4
    assert median_rank(ranks) == 3.0
    assert recall_at_k(ranks) == {"R@1": 25.0, "R@2": 50.0, "R@3": 50.0, "R@5": 75.0, "R@10": 100.0}
    # a fractional rank 1.5 is outside R@1 and inside R@2
    assert recall_at_k([1.5, 1.0], ks=(1, 2)) == {"R@1": 50.0, "R@2": 100.0}
    assert median_rank([1.0, 1.5]) == 1.25


def test_bidirectional_uses_transpose_and_sim_m2t() -> None:
    sim = np.array([[0.9, 0.95], [0.1, 0.2]])
    # t2m: text0 pos 0.9 < 0.95 -> 2; text1 pos 0.2 max -> 1.
    # m2t (columns): motion0 texts (0.9, 0.1) -> 1; motion1 texts (0.95, 0.2), pos 0.2 -> 2
    res = bidirectional_metrics(sim, np.eye(2, dtype=bool))
    assert res["t2m"]["R@1"] == 50.0 and res["m2t"]["R@1"] == 50.0
    assert res["t2m"]["MedR"] == res["m2t"]["MedR"] == 1.5
    # a separate m2t matrix where column 1 favours text 1 -> m2t all rank 1, t2m unchanged
    res2 = bidirectional_metrics(sim, np.eye(2, dtype=bool), sim_m2t=[[0.9, 0.1], [0.1, 0.2]])
    assert res2["t2m"] == res["t2m"]
    assert res2["m2t"]["R@1"] == 100.0


def test_flatten_metrics() -> None:
    nested = {"t2m": {"R@1": 50.0, "MedR": 2.0}, "m2t": {"R@1": np.float32(25.0)}}
    assert flatten_metrics(nested, "All") == {
        "t2m/All/R@1": 50.0,
        "t2m/All/MedR": 2.0,
        "m2t/All/R@1": 25.0,
    }
    assert flatten_metrics(nested, "All/fused")["m2t/All/fused/R@1"] == 25.0
    assert set(flatten_metrics(nested)) == {"t2m/R@1", "t2m/MedR", "m2t/R@1"}
    assert flatten_metrics({"zeroshot": {"top1": 41}})["zeroshot/top1"] == 41.0


def test_car_accuracy_tie_is_failure() -> None:
    true = np.array([0.8, 0.5, 0.3, 0.6])
    # 0.8 > 0.7 yes; 0.5 = 0.5 tie -> fail; 0.3 < 0.4 no; 0.6 > 0.2 yes -> 2/4 = 50 %
    assert car_accuracy(true, np.array([0.7, 0.5, 0.4, 0.2])) == 50.0
    # K = 2, NaN = missing version: row0 0.8 < 0.9 no; row1 0.5 > 0.4 yes; row2 0.3 < 0.35
    # no; row3 0.6 > 0.2 yes -> 2/4 = 50 %
    shuf = np.array([[0.7, 0.9], [0.4, np.nan], [0.1, 0.35], [0.2, np.nan]], dtype=np.float32)
    assert car_accuracy(true, shuf) == 50.0


def test_preference_accuracy_is_car_and_side_with_ragged_alternatives() -> None:
    # item 0: 0.9 > max(0.5, 0.8) pass; item 1: 0.4 < 0.6 fail; item 2: 0.7 vs (0.7, NaN) tie
    # fails -> 1 of 3
    true = np.array([0.9, 0.4, 0.7])
    alt = np.array([[0.5, 0.8], [0.6, 0.1], [0.7, np.nan]])
    assert preference_accuracy(true, alt) == pytest.approx(100 / 3)
    assert car_accuracy(true, alt) == preference_accuracy(true, alt)
    assert preference_accuracy(true, alt[:, 0]) == pytest.approx(100 / 3)  # (N,) form


def test_m2t_with_negatives_shuffled_columns_change_ranks() -> None:
    sim_m2t = np.array([[0.9, 0.2], [0.1, 0.6]])
    assert m2t_with_negatives(sim_m2t, np.zeros((2, 0)))["R@1"] == 100.0
    shuffled = np.array([[0.95, 0.3], [0.5, 0.1]])
    # motion0: positive 0.9, shuffled 0.95 above -> 2; motion1: 0.6 is the max -> 1
    m = m2t_with_negatives(sim_m2t, shuffled)
    assert m["R@1"] == 50.0 and m["R@2"] == 100.0
    assert m["MedR"] == 1.5  # even count: (1 + 2) / 2
    # equals plain metrics on the N x (N + K) matrix whose shuffled columns are never positive
    full = np.concatenate([sim_m2t, shuffled], axis=1)
    pos = np.concatenate([np.eye(2, dtype=bool), np.zeros((2, 2), dtype=bool)], axis=1)
    assert retrieval_metrics(full, pos) == m
    # a shuffled caption marked as the motion's own (identical text) is a positive
    own = np.array([[True, False], [False, False]])
    assert m2t_with_negatives(sim_m2t, shuffled, shuffled_positives=own)["R@1"] == 100.0
    with pytest.raises(ValueError, match="shuffled_positives must have shape"):
        m2t_with_negatives(sim_m2t, shuffled, shuffled_positives=np.ones((2, 3), bool))


EYE2 = np.eye(2, dtype=bool)


SIM2 = np.array([[0.9, 0.1], [0.2, 0.8]])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: rank_of_first_positive(np.zeros(3), EYE2), r"2 dims, got shape \(3,\)"),
        (lambda: rank_of_first_positive([[0.1, np.nan], [0, 0]], EYE2), "NaN"),
        (lambda: rank_of_first_positive(SIM2.astype(complex), EYE2), "real float"),
        (lambda: rank_of_first_positive(SIM2, np.eye(3, dtype=bool)), r"shape \(2, 2\)"),
        (lambda: rank_of_first_positive(SIM2, EYE2 * 0.5), "bool"),
        (lambda: rank_of_first_positive(SIM2, [[True, False], [False, False]]), "row 1"),
        (lambda: recall_at_k([0.5, 1.0]), ">= 1"),
        (lambda: recall_at_k([1.0], ks=(0,)), "ks"),
        (lambda: median_rank(np.zeros((0,))), "non-empty"),
        (lambda: bidirectional_metrics(SIM2, EYE2, sim_m2t=np.zeros((2, 3))), "sim_m2t"),
        (lambda: bidirectional_metrics(SIM2, [[True, True], [False, False]]), "row 1"),
        (lambda: car_accuracy(np.zeros(0), np.zeros(0)), "N >= 1"),
        (lambda: car_accuracy(np.zeros(3), np.zeros((2, 1))), r"\(3, K\)"),
        (lambda: car_accuracy([np.nan, 0.1], [0.0, 0.0]), "NaN"),
        (lambda: car_accuracy([0.2, 0.1], [[0.0], [np.nan]]), "row 1"),
        (lambda: m2t_with_negatives(SIM2, np.zeros((3, 1))), "2 rows"),
        (lambda: m2t_with_negatives(np.zeros((2, 3)), np.zeros((2, 1))), "square"),
        (lambda: preference_accuracy([0.2], [[np.nan, np.nan]]), "row 0"),
    ],
)
def test_raises_value_error(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_raises_type_error() -> None:
    with pytest.raises(TypeError, match="t2m/R@1"):
        flatten_metrics({"t2m": {"R@1": "high"}})


def test_top_k_ties_and_exclude() -> None:
    assert list(top_k(np.array([0.1, 0.5, 0.5, 0.2]), 3)) == [1, 2, 3]
    assert list(top_k(np.array([0.1, 0.5, 0.5, 0.2]), 9, exclude=[1])) == [2, 3, 0]
    assert list(top_k(np.array([0.3]), 2, exclude=[0])) == []
    # ties at the k-th score keep the lowest indices, whatever argpartition picked (lexical
    # mode: most rows score 0); NaN ranks last; excluded rows never come back
    rng = np.random.default_rng(0)
    for _ in range(2000):
        n = int(rng.integers(1, 40))
        s = rng.integers(0, 4, n).astype(float)
        s[rng.integers(0, n, int(rng.integers(0, 2)))] = np.nan
        k, ex = int(rng.integers(1, n + 2)), sorted(set(rng.integers(0, n, 2).tolist()))
        key = np.where(np.isnan(s), -np.inf, s)
        ref = [i for i in np.lexsort((np.arange(n), -key)) if i not in ex][:k]
        assert list(top_k(s, k, ex)) == ref
    zeros = np.zeros(100_000)
    assert list(top_k(zeros, 4, exclude=[1])) == [0, 2, 3, 4]


def test_top_k_refuses_exclude_rows_outside_the_gallery() -> None:
    """``exclude=[-1]`` was dropped silently (row 2 returned, k still shrunk) except among
    ties, where it excluded the last row; ``exclude=[5]`` raised numpy's bare IndexError."""
    for scores in (np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 1.0])):
        for bad, named in (([-1], r"\[-1\]"), ([0, 5], r"\[5\]"), ([3, -2, 1], r"\[-2, 3\]")):
            message = rf"^exclude rows must be in \[0, 3\), got {named}$"
            with pytest.raises(ValueError, match=message):
                top_k(scores, 3, exclude=bad)
    assert list(top_k(np.array([1.0, 2.0, 3.0]), 3, exclude=[2, 2])) == [1, 0]
