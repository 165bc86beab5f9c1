"""The protocols on hand-built similarity matrices: All (owner positives), Small batches,
Threshold, the three similarities, zero-shot."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from motionlex.core.retrieval.metrics import bidirectional_metrics, rank_of_first_positive
from motionlex.core.retrieval.protocols import (
    caption_positives,
    caption_similarity,
    owner_positives,
    protocol_small_batches,
    protocol_threshold,
    small_batch_indices,
    zero_shot_report,
)
from motionlex.core.text.orders import normalize_caption
from motionlex.core.text.sides import mirror_caption

SIM2 = np.array([[0.9, 0.1], [0.2, 0.8]])


def test_all_protocol_duplicate_captions() -> None:
    caps = ["a person walks", "A person  walks.", "a person jumps"]
    sim = np.array([[0.2, 0.9, 0.5], [0.3, 0.8, 0.1], [0.4, 0.6, 0.7]])
    # normalised, texts 0 and 1 are the same caption -> motions {0, 1} are positives of both.
    # t2m: text0 best positive 0.9 -> 1; text1 0.8 -> 1; text2 0.7 -> 1  => R@1 = 100
    # m2t (columns): motion0 texts (0.2,0.3,0.4), pos {0,1} best 0.3 < 0.4 -> 2;
    #   motion1 (0.9,0.8,0.6) -> 1; motion2 (0.5,0.1,0.7), pos {2} -> 1
    pos = owner_positives(caps, np.arange(3), 3)
    res = bidirectional_metrics(sim, pos)
    assert res["t2m"]["R@1"] == 100.0 and res["t2m"]["MedR"] == 1.0
    assert res["m2t"]["R@1"] == pytest.approx(200 / 3) and res["m2t"]["R@2"] == 100.0
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


def test_all_protocol_on_real_captions_with_mirrored_copies(shared_data: Path) -> None:
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
    pos = owner_positives(gallery, np.arange(len(gallery)), len(gallery))
    res = bidirectional_metrics(sim, pos)
    # every duplicate scores cosine 1 and is itself a positive -> all first at rank 1
    assert res["t2m"]["R@1"] == 100.0 and res["m2t"]["R@1"] == 100.0
    # a right-hand text's positives include the mirrored copies of left-hand clips
    right = next(k for k, c in enumerate(caps) if "right" in c)
    mirrored_left = [len(caps) + k for k, c in enumerate(caps) if mirror_caption(c) == caps[right]]
    assert mirrored_left and pos[right, mirrored_left].all()
    # diagonal-only positives: the g - 1 duplicates tie with the true motion -> 1 + (g-1)/2
    ranks = rank_of_first_positive(sim, np.eye(len(gallery), dtype=bool))
    g = np.array([groups[normalize_caption(c)] for c in gallery])
    np.testing.assert_allclose(ranks, 1 + (g - 1) / 2, atol=1e-9)


def test_owner_positives_match_normalised_captions() -> None:
    """Caption ``i``'s positives are every motion owning a caption equal to it after
    normalisation (case, final period), not only its own motion."""
    pos = owner_positives(["A person walks.", "a person walks", "a person runs"], [0, 1, 1], 3)
    assert pos.tolist() == [[True, True, False], [True, True, False], [False, True, False]]


def test_owner_positives_refuse_owners_outside_the_gallery() -> None:
    """Owner -1 was read as the last motion (wrong positives, silently); owner 5 of 2 raised
    numpy's bare IndexError; float owners were truncated. All are caller bugs: refused."""
    caps = ["a person walks", "a person waves"]
    for owners, why in (([0, -1], r"motion indices in \[0, 2\), got \[-1\]"),
                        ([0, 5], r"motion indices in \[0, 2\), got \[5\]"),
                        ([0.0, 1.0], r"\(N,\) ints, got shape \(2,\) float64"),
                        ([[0, 1]], r"\(N,\) ints, got shape \(1, 2\)"),
                        ([0], r"owners has 1 entries for 2 texts")):
        with pytest.raises(ValueError, match=why):
            owner_positives(caps, np.array(owners), 2)
        with pytest.raises(ValueError, match=why):
            caption_positives(["a person walks"], caps, np.array(owners), 2)
    assert owner_positives(caps, [1, 0], 2).tolist() == [[False, True], [True, False]]
    assert owner_positives([], [], 2).shape == (0, 2)


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


def test_small_batches_fuse_within_each_batch() -> None:
    """Fused Small-batches scores scaled each query's lexical scores by its maximum over the
    whole split (motions outside the batch), not over the batch it is ranked in."""
    from motionlex.core.retrieval.fusion import fuse
    from motionlex.core.retrieval.protocols import retrieval_report

    rng = np.random.default_rng(3)
    m, w = 64, 0.5
    dense = rng.normal(0.2, 0.1, (m, m)).astype(np.float32) + 0.15 * np.eye(m, dtype=np.float32)
    lexical = rng.gamma(1.0, 1.0, (m, m)).astype(np.float32) + 0.5 * np.eye(m, dtype=np.float32)
    pos = np.eye(m, dtype=bool)
    out, _ = retrieval_report(dense, lexical, pos, w, np.arange(m), None)

    def by_batch(scale_in_batch: bool) -> float:
        whole = fuse(dense, lexical, w, axis=1)
        r1 = []
        for idx in small_batch_indices(m, 32, 0):
            block = np.ix_(idx, idx)
            t2m = fuse(dense[block], lexical[block], w, axis=1) if scale_in_batch else whole[block]
            r1.append(bidirectional_metrics(t2m, np.eye(32, dtype=bool))["t2m"]["R@1"])
        return float(np.mean(r1))

    assert out["t2m/SmallBatches/fused/R@1"] == pytest.approx(by_batch(True))
    assert by_batch(True) != pytest.approx(by_batch(False))  # the two scalings differ here
    assert out["t2m/SmallBatches/dense/R@1"] == pytest.approx(protocol_small_batches(
        dense, 32, 0)["t2m"]["R@1"])


def test_small_batches_follow_sorted_motion_ids_as_tmr() -> None:
    """TMR sorts its keyids before the seeded shuffle: a split listed in another order gives
    the same batches (and numbers) once ``pair_order`` sorts it, positives included (some
    pairs share a caption, so the positives are not an identity that any order keeps); the
    other protocols do not depend on the order."""
    from motionlex.core.retrieval.protocols import retrieval_report

    rng = np.random.default_rng(3)
    m = 70
    dense = rng.standard_normal((m, m)).astype(np.float32) + 3 * np.eye(m, dtype=np.float32)
    lex = np.abs(rng.standard_normal((m, m))).astype(np.float32)
    pos = np.eye(m, dtype=bool)
    for k in range(0, m - 1, 5):  # duplicate captions: pairs that are each other's positives
        pos[k, k + 1] = pos[k + 1, k] = True
    ids = [f"id{k:03d}" for k in range(m)]
    ref, _ = retrieval_report(dense, lex, pos, 0.5, np.arange(m), None)
    perm = rng.permutation(m)  # the same pairs listed in another order
    shuffled = np.ix_(perm, perm)
    got, _ = retrieval_report(dense[shuffled], lex[shuffled], pos[shuffled], 0.5, np.arange(m),
                              None, pair_order=np.argsort([ids[k] for k in perm]))
    assert got == pytest.approx(ref)
    unsorted, _ = retrieval_report(dense[shuffled], lex[shuffled], pos[shuffled], 0.5,
                                   np.arange(m), None)
    assert unsorted["t2m/AllFirst/R@1"] == pytest.approx(ref["t2m/AllFirst/R@1"])
    assert unsorted["t2m/SmallBatches/fused/R@1"] != ref["t2m/SmallBatches/fused/R@1"] or \
        unsorted["m2t/SmallBatches/R@2"] != ref["m2t/SmallBatches/R@2"]


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


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: small_batch_indices(20, 32), "batch_size"),
        (lambda: protocol_small_batches(np.zeros((40, 41))), "square"),
        (lambda: protocol_small_batches(np.eye(40), sim_m2t=np.eye(39)), "sim_m2t"),
        (lambda: caption_similarity([], lambda t: np.zeros((0, 2))), "empty"),
        (lambda: caption_similarity(["a", "b"], lambda t: np.ones((1, 2))), r"\(2, D\)"),
        (lambda: caption_similarity(["a"], lambda t: np.zeros((1, 2))), "zero vector"),
        (lambda: protocol_threshold(np.zeros((2, 3)), np.zeros((2, 3))), "square"),
        (lambda: protocol_threshold(SIM2, np.zeros((3, 3))), "text_text_sim"),
        (lambda: protocol_threshold(SIM2, SIM2, scale="raw"), "scale"),
    ],
)
def test_raises_value_error(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_zero_shot_report_classifies_motions_by_their_nearest_prompt() -> None:
    """Three prompts, four motions (gallery columns 1-4 of five) with known nearest
    prompts: motions query the prompts (not prompts the motions), and the confusion matrix
    counts (true, predicted)."""
    from motionlex.core.retrieval.embed import Embeddings, Scorer

    prompts = ["a person walks", "a person jumps", "a person waves"]
    text = Embeddings(np.eye(3, dtype=np.float32), np.zeros((3, 4), np.float32))
    motion_vecs = np.array([[0, 0, 1],  # column 0: not asked about
                            [1, 0, 0], [0.2, 0.9, 0], [0, 0.6, 0.5], [0.1, 0, 0.9]],
                           np.float32)
    score = Scorer(prompts, text, Embeddings(motion_vecs, np.zeros((5, 4), np.float32)), "dot")
    labels = np.array([0, 1, 2, 2])  # the third motion is a wave that looks like a jump
    out, cm = zero_shot_report(score, prompts, np.arange(1, 5), labels, weight=1.0)
    assert out["zero-shot/dense/top1"] == 75.0
    assert out["zero-shot/dense/top3"] == 100.0  # fewer than 5 classes: top-C
    assert out["zero-shot/n"] == 4 and out["zero-shot/classes"] == 3
    assert cm["dense"].tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]


def test_zero_shot_fused_normalises_each_motions_lexical_scores_over_the_prompts(
        matrix_scorer, fused_by_hand) -> None:
    """Random scores for 6 prompts and 80 motions: fused top-1 is the share of motions whose
    best prompt under ``w * dense + (1 - w) * lexical / (the motion's max over prompts)`` is
    their class (motions are the queries), computed here; normalising per prompt instead
    would answer differently on these scores."""
    rng = np.random.default_rng(2)
    prompts = [f"a person does action {c}" for c in range(6)]
    dense = rng.normal(size=(6, 80)).astype(np.float32)
    lexical = rng.gamma(1.0, size=(6, 80)).astype(np.float32)
    labels = rng.integers(0, 6, 80)
    w = 0.3
    out, cm = zero_shot_report(matrix_scorer(prompts, dense, lexical), prompts, np.arange(80),
                               labels, weight=w)

    def top1(over):
        return fused_by_hand(dense, lexical, w, over).argmax(axis=0)

    pred = top1(0)
    assert out["zero-shot/fused/top1"] == pytest.approx(100 * (pred == labels).mean())
    assert (top1(1) != pred).any()
    assert np.trace(cm["fused"]) == (pred == labels).sum()
    assert out["zero-shot/lexical/top1"] == pytest.approx(
        100 * (lexical.argmax(axis=0) == labels).mean())


def test_threshold_fused_m2t_normalises_each_motions_lexical_scores_over_the_texts(
        fused_by_hand) -> None:
    """Threshold in :func:`retrieval_report` against the protocol called here on scores fused
    by hand: t2m with lexical scores scaled per caption, m2t per motion."""
    from motionlex.core.retrieval.protocols import protocol_threshold, retrieval_report

    rng = np.random.default_rng(8)
    m, w = 40, 0.3
    dense = rng.normal(size=(m, m)).astype(np.float32) + np.eye(m, dtype=np.float32)
    lexical = rng.gamma(1.0, size=(m, m)).astype(np.float32)
    tts = rng.uniform(0.5, 1.0, (m, m)).astype(np.float32)
    tts = (tts + tts.T) / 2
    np.fill_diagonal(tts, 1.0)
    out, _ = retrieval_report(dense, lexical, np.eye(m, dtype=bool), w, np.arange(m), tts,
                              threshold=0.9)

    def fused(over):
        return fused_by_hand(dense, lexical, w, over)

    want = protocol_threshold(fused(1), tts, 0.9, sim_m2t=fused(0))
    other = protocol_threshold(fused(1), tts, 0.9, sim_m2t=fused(1))
    for key in ("R@1", "R@5", "MedR"):
        assert out[f"m2t/Threshold/fused/{key}"] == pytest.approx(want["m2t"][key]), key
        assert out[f"t2m/Threshold/fused/{key}"] == pytest.approx(want["t2m"][key]), key
    assert any(want["m2t"][k] != pytest.approx(other["m2t"][k]) for k in ("R@1", "R@5", "MedR"))
