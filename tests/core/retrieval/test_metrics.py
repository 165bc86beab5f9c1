"""Retrieval metrics and protocols on hand-built similarity matrices (expected values derived
in the comments), brute-force cross-checks, and real Bandai captions for the "All" protocol."""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from motionlex.core.retrieval.metrics import (
    bidirectional_metrics,
    caption_positives,
    caption_similarity,
    car_accuracy,
    choose_fusion_weight,
    classification_metrics,
    confusion_matrix,
    flatten_metrics,
    fuse,
    m2t_with_negatives,
    median_rank,
    normalize_caption,
    normalize_lexical,
    protocol_all,
    protocol_small_batches,
    protocol_threshold,
    rank_of_first_positive,
    recall_at_k,
    retrieval_metrics,
    small_batch_indices,
)
from motionlex.core.text.orders import mirror_caption

KEYS = ["R@1", "R@2", "R@3", "R@5", "R@10", "MedR"]


# ----------------------------------------------------------------------------- ranks
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
    for q, g in [(50, 200), (31, 31), (1, 7)]:
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


# ----------------------------------------------------------------------------- protocols
def test_protocol_all_duplicate_captions() -> None:
    caps = ["a person walks", "A person  walks.", "a person jumps"]
    sim = np.array([[0.2, 0.9, 0.5], [0.3, 0.8, 0.1], [0.4, 0.6, 0.7]])
    # normalised, texts 0 and 1 are the same caption -> motions {0, 1} are positives of both.
    # t2m: text0 best positive 0.9 -> 1; text1 0.8 -> 1; text2 0.7 -> 1  => R@1 = 100
    # m2t (columns): motion0 texts (0.2,0.3,0.4), pos {0,1} best 0.3 < 0.4 -> 2;
    #   motion1 (0.9,0.8,0.6) -> 1; motion2 (0.5,0.1,0.7), pos {2} -> 1
    res = protocol_all(sim, caps, caps)
    assert res["t2m"]["R@1"] == 100.0 and res["t2m"]["MedR"] == 1.0
    assert res["m2t"]["R@1"] == pytest.approx(200 / 3) and res["m2t"]["R@2"] == 100.0
    # exact strings (TMR): only the diagonal -> text0 0.2 below 0.9 and 0.5 -> rank 3;
    # text1 0.8 -> 1; text2 0.7 -> 1 => R@1 = R@2 = 2/3, R@3 = 100
    exact = protocol_all(sim, caps, caps, normalize=None)
    assert exact["t2m"]["R@1"] == exact["t2m"]["R@2"] == pytest.approx(200 / 3)
    assert exact["t2m"]["R@3"] == 100.0
    assert normalize_caption("  A person  Walks. ") == "a person walks"


def _first_captions(root: Path, ids: list[str]) -> list[str]:
    return [(root / "texts" / f"{i}.txt").read_text().splitlines()[0].split("#")[0] for i in ids]


def _bag_of_words(captions: list[str]) -> np.ndarray:
    """A deterministic sentence encoder: L2-normalised word counts."""
    words = [re.findall(r"[a-z]+", c.lower()) for c in captions]
    vocab = {w: k for k, w in enumerate(sorted({w for ws in words for w in ws}))}
    emb = np.zeros((len(captions), len(vocab)))
    for i, ws in enumerate(words):
        for w in ws:
            emb[i, vocab[w]] += 1
    return emb / np.linalg.norm(emb, axis=1, keepdims=True)


def test_protocol_all_on_real_captions_with_mirrored_copies(shared_data: Path) -> None:
    root = shared_data / "bandai"
    ids = [
        i for i in (root / "train.txt").read_text().split() if "wave-left" in i or "wave-right" in i
    ]
    caps = _first_captions(root, ids)
    gallery = caps + [mirror_caption(c) for c in caps]  # clips + their mirrored copies
    emb = _bag_of_words(gallery)
    sim = emb @ emb.T
    groups = Counter(normalize_caption(c) for c in gallery)
    assert max(groups.values()) > 10  # Bandai repeats each template caption across takes
    res = protocol_all(sim, gallery, gallery)
    # every duplicate scores cosine 1 and is itself a positive -> all first at rank 1
    assert res["t2m"]["R@1"] == 100.0 and res["m2t"]["R@1"] == 100.0
    # a right-hand text's positives include the mirrored copies of left-hand clips
    pos = caption_positives(gallery, gallery)
    right = next(k for k, c in enumerate(caps) if "right" in c)
    mirrored_left = [len(caps) + k for k, c in enumerate(caps) if mirror_caption(c) == caps[right]]
    assert mirrored_left and pos[right, mirrored_left].all()
    # diagonal-only positives: the g - 1 duplicates tie with the true motion -> 1 + (g-1)/2
    ranks = rank_of_first_positive(sim, np.eye(len(gallery), dtype=bool))
    g = np.array([groups[normalize_caption(c)] for c in gallery])
    np.testing.assert_allclose(ranks, 1 + (g - 1) / 2, atol=1e-9)


def test_small_batch_indices_seeded_and_remainder_dropped() -> None:
    idx = small_batch_indices(70, 32, seed=0)
    assert idx.shape == (2, 32) and idx.dtype == np.int64
    assert len(set(idx.ravel().tolist())) == 64  # no repeats, 6 of 70 dropped
    np.testing.assert_array_equal(idx, small_batch_indices(70, 32, seed=0))
    assert not np.array_equal(idx, small_batch_indices(70, 32, seed=1))
    legacy = np.arange(70)  # TMR's "guo" batches: np.random.seed(0); np.random.shuffle
    np.random.RandomState(0).shuffle(legacy)
    np.testing.assert_array_equal(idx.ravel(), legacy[:64])


def test_protocol_small_batches_average_and_dropped_pairs() -> None:
    n = 70
    idx = small_batch_indices(n)
    sim = np.eye(n)
    q = int(idx[0, 5])
    sim[q, q] = 0.0
    # batch 0: query q ties its positive (0) with 31 zeros -> rank 1 + 31/2 = 16.5, both
    # directions; batch 1 all rank 1. R@1 = mean(31/32, 1) * 100 = 98.4375, R@10 same,
    # MedR = mean(1, 1) = 1
    res = protocol_small_batches(sim, 32, 0)
    for d in ("t2m", "m2t"):
        assert res[d]["R@1"] == pytest.approx(98.4375)
        assert res[d]["R@10"] == pytest.approx(98.4375)
        assert res[d]["MedR"] == 1.0
    dropped = sorted(set(range(n)) - set(idx.ravel().tolist()))
    changed = sim.copy()
    changed[dropped, :] = 5.0  # pairs outside every batch cannot change the result
    changed[:, dropped] = 5.0
    assert protocol_small_batches(changed) == res
    # explicit positives: q's positive within the batch -> rank 1 again in t2m
    r = int(idx[0, 6])
    sim2 = sim.copy()
    sim2[q, r] = 0.5
    pos = np.eye(n, dtype=bool)
    pos[q, r] = True
    assert protocol_small_batches(sim2, positives=pos)["t2m"]["R@1"] == 100.0
    assert protocol_small_batches(sim2)["t2m"]["R@1"] == pytest.approx(98.4375)


def test_caption_similarity_dedupes_and_normalises() -> None:
    calls = []
    table = {"walk": [3.0, 4.0], "run": [0.0, 2.0]}

    def encode(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        return np.array([table[t] for t in texts], dtype=np.float32)

    s = caption_similarity(["walk", "run", "walk"], encode)
    # walk -> (0.6, 0.8), run -> (0, 1): cos = 0.8
    np.testing.assert_allclose(s, [[1, 0.8, 1], [0.8, 1, 0.8], [1, 0.8, 1]], atol=1e-6)
    assert s.dtype == np.float32
    assert len(calls) == 1 and sorted(calls[0]) == ["run", "walk"]


def test_protocol_threshold_positives() -> None:
    tts = np.array([[1.0, 0.92, 0.3], [0.92, 1.0, 0.85], [0.3, 0.85, 1.0]])
    sim = np.array([[0.5, 0.9, 0.1], [0.9, 0.5, 0.1], [0.2, 0.9, 0.3]])
    # tmr scale: (0.92+1)/2 = 0.96 >= 0.95 -> (0,1),(1,0) positive; (0.85+1)/2 = 0.925 not.
    # t2m: text0 pos {0,1} best 0.9 -> 1; text1 pos {0,1} best 0.9 -> 1; text2 pos {2}: 0.3
    #   below 0.9 -> 2. => R@1 = 2/3
    res = protocol_threshold(sim, tts)
    assert res["t2m"]["R@1"] == pytest.approx(200 / 3) and res["t2m"]["R@2"] == 100.0
    # cosine scale with threshold 0.85 (>= is inclusive) adds (1,2),(2,1): text2 -> rank 1
    res_cos = protocol_threshold(sim, tts, 0.85, scale="cosine")
    assert res_cos["t2m"]["R@1"] == 100.0
    # m2t under cosine 0.85: motion2's texts (0.1, 0.1, 0.3), pos {1, 2} -> 1; motion0
    #   texts (0.5, 0.9, 0.2) pos {0,1} -> 1; motion1 (0.9, 0.5, 0.9) pos {0,1,2} -> 1
    assert res_cos["m2t"]["R@1"] == 100.0
    # the pair itself is always positive, even with an impossible threshold
    assert (
        protocol_threshold(sim, tts, 2.0)["t2m"]
        == bidirectional_metrics(sim, np.eye(3, dtype=bool))["t2m"]
    )


# ----------------------------------------------------------------------------- fusion
def test_normalize_lexical_and_fuse() -> None:
    lex = np.array([[2.0, 4.0, 0.0], [0.0, 0.0, 0.0]], dtype=np.float32)
    np.testing.assert_array_equal(normalize_lexical(lex, 1), [[0.5, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(normalize_lexical(lex, 0), [[1, 1, 0], [0, 0, 0]])
    dense = np.array([[0.2, -0.4, 0.6], [0.1, 0.3, 0.0]], dtype=np.float16)
    # 0.25 * dense + 0.75 * [[0.5, 1, 0], [0, 0, 0]]
    out = fuse(dense, lex, 0.25)
    assert out.dtype == np.float32  # result_type(float16, float32, float32)
    assert fuse(dense, lex.astype(np.float64), 0.25).dtype == np.float64
    np.testing.assert_allclose(out, [[0.425, 0.65, 0.15], [0.025, 0.075, 0.0]], atol=1e-3)
    np.testing.assert_array_equal(fuse(dense, lex, 1.0), dense.astype(np.float32))


def test_choose_fusion_weight() -> None:
    dense = np.array([[0.9, 0.1], [0.6, 0.5]])  # text1 wrong by dense alone
    lex = np.array([[1.0, 2.0], [0.0, 2.0]])  # per-row max -> [[0.5, 1], [0, 1]]: text0 wrong
    pos = np.eye(2, dtype=bool)
    # text0 right iff 0.9w + 0.5(1-w) > 0.1w + (1-w)  <=> w > 5/13 = 0.385
    # text1 right iff 0.5w + (1-w) > 0.6w              <=> w < 10/11 = 0.909
    assert choose_fusion_weight(dense, lex, pos, grid=[0.0, 0.5, 1.0]) == 0.5
    assert choose_fusion_weight(dense, lex, pos) == pytest.approx(0.4)  # first grid w > 0.385
    assert choose_fusion_weight(dense, lex, pos, direction="both") == pytest.approx(0.4)


# ----------------------------------------------------------------------------- CAR
def test_car_accuracy_tie_is_failure() -> None:
    true = np.array([0.8, 0.5, 0.3, 0.6])
    # 0.8 > 0.7 yes; 0.5 = 0.5 tie -> fail; 0.3 < 0.4 no; 0.6 > 0.2 yes -> 2/4 = 50 %
    assert car_accuracy(true, np.array([0.7, 0.5, 0.4, 0.2])) == 50.0
    # K = 2, NaN = missing version: row0 0.8 < 0.9 no; row1 0.5 > 0.4 yes; row2 0.3 < 0.35
    # no; row3 0.6 > 0.2 yes -> 2/4 = 50 %
    shuf = np.array([[0.7, 0.9], [0.4, np.nan], [0.1, 0.35], [0.2, np.nan]], dtype=np.float32)
    assert car_accuracy(true, shuf) == 50.0


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


# ----------------------------------------------------------------------------- classification
def test_classification_metrics_and_confusion_matrix() -> None:
    scores = np.array(
        [
            [0.9, 0.1, 0.2, 0.3, 0.4, 0.5],  # label 0 -> rank 1
            [0.9, 0.8, 0.7, 0.6, 0.5, 0.4],  # label 5 -> rank 6
            [0.1, 0.9, 0.8, 0.7, 0.6, 0.5],  # label 4 -> rank 4
            [0.5, 0.5, 0.1, 0.1, 0.1, 0.1],  # label 1, tied with class 0 -> rank 1.5
        ]
    )
    labels = np.array([0, 5, 4, 1])
    # top1 = {row0} = 25 %, top2 = {row0, row3} = 50 %, top5 = {0, 2, 3} = 75 %
    assert classification_metrics(scores, labels) == {"top1": 25.0, "top5": 75.0}
    assert classification_metrics(scores, labels, ks=(2,)) == {"top2": 50.0}
    pred = scores.argmax(axis=1)  # [0, 0, 1, 0]: the tie goes to class 0
    cm = confusion_matrix(pred, labels, 6)
    expected = np.zeros((6, 6), dtype=np.int64)
    expected[0, 0] = expected[5, 0] = expected[4, 1] = expected[1, 0] = 1
    assert cm.dtype == np.int64
    np.testing.assert_array_equal(cm, expected)


# ----------------------------------------------------------------------------- raises
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
        (lambda: protocol_all(SIM2, ["a"], ["a", "b"]), "caption counts"),
        (lambda: protocol_all(SIM2, ["a", "c"], ["a", "b"]), "row 1"),
        (lambda: small_batch_indices(20, 32), "batch_size"),
        (lambda: protocol_small_batches(np.zeros((40, 41))), "square"),
        (lambda: protocol_small_batches(np.eye(40), sim_m2t=np.eye(39)), "sim_m2t"),
        (lambda: caption_similarity([], lambda t: np.zeros((0, 2))), "empty"),
        (lambda: caption_similarity(["a", "b"], lambda t: np.ones((1, 2))), r"\(2, D\)"),
        (lambda: caption_similarity(["a"], lambda t: np.zeros((1, 2))), "zero vector"),
        (lambda: protocol_threshold(np.zeros((2, 3)), np.zeros((2, 3))), "square"),
        (lambda: protocol_threshold(SIM2, np.zeros((3, 3))), "text_text_sim"),
        (lambda: protocol_threshold(SIM2, SIM2, scale="raw"), "scale"),
        (lambda: normalize_lexical(-SIM2), ">= 0"),
        (lambda: normalize_lexical(SIM2, axis=2), "axis"),
        (lambda: fuse(SIM2, np.ones((2, 3)), 0.5), "dense's shape"),
        (lambda: fuse(SIM2, SIM2, 1.5), r"\[0, 1\]"),
        (lambda: choose_fusion_weight(SIM2, SIM2, EYE2, grid=[]), "grid"),
        (lambda: choose_fusion_weight(SIM2, SIM2, EYE2, direction="x"), "direction"),
        (lambda: car_accuracy(np.zeros(0), np.zeros(0)), "N >= 1"),
        (lambda: car_accuracy(np.zeros(3), np.zeros((2, 1))), r"\(3, K\)"),
        (lambda: car_accuracy([np.nan, 0.1], [0.0, 0.0]), "NaN"),
        (lambda: car_accuracy([0.2, 0.1], [[0.0], [np.nan]]), "row 1"),
        (lambda: m2t_with_negatives(SIM2, np.zeros((3, 1))), "2 rows"),
        (lambda: m2t_with_negatives(np.zeros((2, 3)), np.zeros((2, 1))), "square"),
        (lambda: classification_metrics(np.zeros((2, 6)), [0]), r"\(2,\)"),
        (lambda: classification_metrics(np.zeros((2, 6)), [0, 6]), r"\[0, 6\)"),
        (lambda: classification_metrics(np.zeros((2, 3)), [0, 1]), "number of classes"),
        (lambda: confusion_matrix([0], [0], 0), "num_classes"),
        (lambda: confusion_matrix([0, 1], [0], 2), r"\(1,\)"),
        (lambda: confusion_matrix([0, 2], [0, 1], 2), r"\[0, 2\)"),
    ],
)
def test_raises_value_error(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_raises_type_error() -> None:
    with pytest.raises(TypeError, match="must be a str"):
        caption_positives(["a", 3], ["a"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="t2m/R@1"):
        flatten_metrics({"t2m": {"R@1": "high"}})
