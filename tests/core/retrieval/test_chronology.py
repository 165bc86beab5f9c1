"""CAR and the chronology tests on hand-built embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from motionlex.core.retrieval.chronology import (
    CarItem,
    car_items,
    car_report,
    chronology_report,
    composed_pairs,
)
from motionlex.core.retrieval.embed import Embeddings, Scorer, encode_texts
from motionlex.core.retrieval.event_orders import event_order_scores
from motionlex.core.text.events import split_events
from motionlex.core.text.orders import join_events


def test_car_items_drop_single_events_and_draw_in_order():
    caps = [(0, "a person walks", ("a person walks",)),
            (1, "walks, then sits", ("walks", "sits")),
            (2, "jumps, then waves, then bows", ("jumps", "waves", "bows"))]
    items = car_items(caps, 1, np.random.default_rng(0))
    assert [it.motion for it in items] == [1, 2]
    assert items[0].shuffles == ["sits, then walks"] and len(items[1].shuffles) == 1
    again = car_items(caps, 1, np.random.default_rng(0))
    assert [it.shuffles for it in again] == [it.shuffles for it in items]
    assert car_items(caps, 0, np.random.default_rng(0)) == []


def _scorer(texts, text_vecs, motion_vecs):
    t = Embeddings(np.asarray(text_vecs, np.float32), np.zeros((len(texts), 3), np.float32))
    m = Embeddings(np.asarray(motion_vecs, np.float32), np.zeros((len(motion_vecs), 3),
                                                                  np.float32))
    return Scorer(texts, t, m, "dot")


def test_car_report_counts_true_order_wins():
    # motion 0 prefers its true caption; motion 1 prefers the shuffled one
    texts = ["walks, then sits", "sits, then walks", "jumps, then waves", "waves, then jumps"]
    vecs = [[1, 0], [0.6, 0.8], [0.8, 0.6], [0, 1]]
    score = _scorer(texts, vecs, [[1, 0], [0, 1]])
    items = [CarItem(0, texts[0], ("walks", "sits"), [texts[1]]),
             CarItem(1, texts[2], ("jumps", "waves"), [texts[3]])]
    out = car_report(score, [texts[0], texts[2]], np.array([0, 1]), 2, items, 1.0)
    assert out["CAR"] == out["CAR/orig->event/dense"] == 50.0
    assert out["CAR/n"] == 2 and out["CAR/chance"] == 50.0
    assert out["m2t/CAR-orig->event/dense/R@1"] == 50.0
    assert "CAR/first/n" not in out  # no papers' set given

    # the papers' set (first captions from the data) is a subset of the same scores
    first = car_report(score, [texts[0], texts[2]], np.array([0, 1]), 2, items, 1.0,
                       papers_set=np.array([False, True]))
    assert first["CAR/first/orig->event/dense"] == 0.0 and first["CAR/first/n"] == 1
    assert first["CAR"] == 50.0 and first["CAR/first/chance"] == 50.0
    with pytest.raises(ValueError, match="papers_set has 1 entries for 2 items"):
        car_report(score, [texts[0], texts[2]], np.array([0, 1]), 2, items, 1.0,
                   papers_set=np.array([True]))


def test_car_retrieval_rows_query_the_splits_own_motions_only():
    """Fujiwara et al. Table 1: the split's motions against its captions plus their
    shuffles. A composed clip (motion 1) that misses its caption drags CAR accuracy down,
    but it is neither a query nor a gallery text of the retrieval rows once ``queries``
    marks the split's motions; the rows then equal a report on the split alone."""
    texts = ["walks, then sits", "sits, then walks", "jumps, then waves", "waves, then jumps"]
    vecs = [[1, 0], [0.6, 0.8], [0.8, 0.6], [0, 1]]
    score = _scorer(texts, vecs, [[1, 0], [0, 1]])
    items = [CarItem(0, texts[0], ("walks", "sits"), [texts[1]]),
             CarItem(1, texts[2], ("jumps", "waves"), [texts[3]])]
    both = car_report(score, [texts[0], texts[2]], np.array([0, 1]), 2, items, 1.0)
    own = car_report(score, [texts[0], texts[2]], np.array([0, 1]), 2, items, 1.0,
                     queries=np.array([True, False]))
    alone = car_report(score, [texts[0]], np.array([0]), 1, items[:1], 1.0)
    assert both["m2t/CAR-orig->event/dense/R@1"] == 50.0  # the composed clip's miss
    assert own["CAR"] == both["CAR"] == 50.0  # accuracy still counts every caption
    rows = [k for k in own if k.startswith("m2t/CAR-")]
    assert rows and {k: own[k] for k in rows} == {k: alone[k] for k in rows}
    assert own["m2t/CAR-orig->event/dense/R@1"] == 100.0
    assert (own["m2t/CAR/n_motions"], own["m2t/CAR/n_shuffles"]) == (1, 1)
    assert (both["m2t/CAR/n_motions"], both["m2t/CAR/n_shuffles"]) == (2, 2)
    # no queried motion with shuffles: the rows are left out, the accuracy stays
    none = car_report(score, [texts[0], texts[2]], np.array([0, 1]), 2, items[1:], 1.0,
                      queries=np.array([True, False]))
    assert not [k for k in none if k.startswith("m2t/CAR-")] and none["CAR"] == 0.0
    with pytest.raises(ValueError, match="queries has shape"):
        car_report(score, [texts[0]], np.array([0]), 1, items[:1], 1.0,
                   queries=np.array([True, False]))


def test_chronology_report_text_and_motion_sides_on_hand_built_scores():
    """Two composed pairs (motions at columns 0-1, their reordered clips at 2-3): pair 0
    passes both sides; pair 1's motion prefers the reordered caption (text side fails) while
    its caption still prefers it over the reordered clips (motion side passes). The lexical
    scores are all zero: every comparison ties, and a tie fails."""
    from types import SimpleNamespace

    caps = ["walks, then sits", "jumps, then waves"]
    negs = ["sits, then walks", "waves, then jumps"]
    score = _scorer(caps + negs, [[1, 0], [0, 1], [0.6, 0.8], [0.8, 0.6]],
                    [[1, 0], [0.9, 0.1], [0.5, 0.5], [0, 0]])
    pairs = [SimpleNamespace(caption=c, text_negative=n) for c, n in zip(caps, negs)]
    out = chronology_report(score, pairs, caps, first_motion=0, num_motions=4, weight=1.0)
    # pair 0: m0.t0 = 1 > m0.t2 = 0.6; t0.m0 = 1 > t0.m2 = 0.5
    # pair 1: m1.t1 = 0.1 < m1.t3 = 0.78 (fails); t1.m1 = 0.1 > t1.m3 = 0
    assert out["chronology/text/dense"] == 50.0
    assert out["chronology/motion/dense"] == 100.0
    assert out["chronology/both/dense"] == 50.0
    assert out["chronology/n"] == 2
    assert out["chronology/text/lexical"] == out["chronology/motion/lexical"] == 0.0
    # the composed block may start after the split's own motions
    shifted = _scorer(caps + negs, [[1, 0], [0, 1], [0.6, 0.8], [0.8, 0.6]],
                      [[0, 1], [1, 0], [0.9, 0.1], [0.5, 0.5], [0, 0]])
    again = chronology_report(shifted, pairs, caps, first_motion=1, num_motions=5, weight=1.0)
    assert {k: again[k] for k in out if "dense" in k} == {k: out[k] for k in out
                                                          if "dense" in k}


def test_car_retrieval_counts_a_shuffle_reading_as_the_motions_own_caption_positive():
    """Motion 1's caption is motion 0's events reordered: motion 0's shuffled caption
    ("sits, then walks") is motion 1's own caption, so it is motion 1's positive, not a
    negative that ties with it (R@1 was 0 for a model that gets every order right)."""
    texts = ["walks, then sits", "sits, then walks"]
    vecs = [[1, 0], [0, 1]]
    score = _scorer(texts, vecs, [[1, 0], [0, 1]])
    items = [CarItem(0, texts[0], ("walks", "sits"), [texts[1]]),
             CarItem(1, texts[1], ("sits", "walks"), [texts[0]])]
    out = car_report(score, texts, np.array([0, 1]), 2, items, 1.0)
    assert out["CAR"] == 100.0
    for setting in ("orig->event", "event->event"):
        assert out[f"m2t/CAR-{setting}/dense/R@1"] == 100.0
        assert out[f"m2t/CAR-{setting}/dense/MedR"] == 1.0
    from motionlex.core.retrieval.protocols import caption_positives

    got = caption_positives(["Sits, then walks.", "jumps"], texts, np.array([0, 1]), 2)
    assert got.tolist() == [[False, True], [False, False]]


def test_car_shuffle_positives_hold_for_parsed_captions_in_both_settings():
    """Real captions leave the subject out of later events ("a person walks, then sits
    down"), while a shuffle joins whole events ("a person sits down, then a person walks"):
    the shuffle of motion 0 still reads as motion 1's caption in the orig->event gallery,
    which holds the captions as written (it matched only in event->event)."""
    texts = ["a person walks forward, then sits down", "a person sits down, then walks forward"]
    events = [tuple(split_events(t)) for t in texts]
    assert all(len(ev) == 2 for ev in events)
    shuffled = [join_events(ev[::-1]) for ev in events]
    assert shuffled[0] != texts[1]  # not the same string: only the joined events agree
    score = _scorer(texts + shuffled, [[1, 0], [0, 1], [0, 1], [1, 0]], [[1, 0], [0, 1]])
    items = [CarItem(m, texts[m], events[m], [shuffled[m]]) for m in (0, 1)]
    out = car_report(score, texts, np.array([0, 1]), 2, items, 1.0)
    assert out["CAR"] == 100.0
    for setting in ("orig->event", "event->event"):
        assert out[f"m2t/CAR-{setting}/dense/R@1"] == 100.0


def test_composed_pairs_off_or_notes(shared_data):
    """On several skeletons the test is composed from the one most motions are on (it was
    skipped altogether: 'motions are on N different skeletons')."""
    from motionlex.core.data.pairs import PairExample, load_pair_examples
    from motionlex.core.motion.files import load_motion_file

    notes: list[str] = []
    assert composed_pairs([], 0, 0, notes) == [] and notes == []
    smpl = load_pair_examples([shared_data / "bandai"], "val", with_events=False,
                              progress=False)
    distinct = list({e.motion_id: e for e in smpl}.values())
    bvh = load_motion_file(shared_data / "raw_bvh" / "bandai_1_kick_normal_001.bvh")
    native = PairExample(bvh.joints, "a person kicks", ("a person kicks",), "raw/kick",
                         "kick", bvh.skeleton)
    pairs = composed_pairs([native] + distinct, 5, 0, notes)
    assert len(pairs) == 5 and all(p.motion.motion.joints.shape[1] == 22 for p in pairs)
    assert notes == [f"composed chronology test from the {len(distinct)} motions on the "
                     f"skeleton of {distinct[0].motion_id} (1 on 1 other skeleton left "
                     "out: composition joins clips of one skeleton)"]
    # too few motions to compose from: one note says so and names the pool (it said "test
    # from the 2 motions" and then "no composed chronology test")
    notes.clear()
    assert composed_pairs([native] + distinct[:2], 50, 0, notes) == []
    assert len(notes) == 1 and notes[0].startswith("no composed chronology test: ")
    assert "the pool was the 2 motions on the skeleton of" in notes[0]


@pytest.mark.parametrize("n", [0])
def test_synthetic_chronology_needs_pairs(n):
    from motionlex.core.retrieval.chronology import synthetic_chronology_report

    with pytest.raises(ValueError, match="n >= 1"):
        synthetic_chronology_report(None, None, n=n)


def test_event_order_scores_every_order_true_order_marked(model):
    caption = "a person walks forward, then jumps, then sits down"
    motion = encode_texts(model, ["a person jumps, then walks forward, then sits down"]).dense[0]
    res = event_order_scores(model, caption, 3.0 * motion, max_orders=24)
    assert res.caption == caption and len(res.events) == 3
    assert len(res.orders) == 6 and sum(true for _, _, true in res.orders) == 1
    texts = [t for t, _, _ in res.orders]
    ref = encode_texts(model, texts).dense @ motion  # the motion is re-normalised
    np.testing.assert_allclose([s for _, s, _ in res.orders], ref, atol=1e-5)
    assert len(event_order_scores(model, caption, motion, max_orders=2).orders) == 2
    # a batch of embeddings is refused by name (it was a raw NumPy matmul error)
    with pytest.raises(ValueError, match=r"one motion's \(\d+,\) dense embedding, got shape "
                                         r"\(2, \d+\) \(a batch: pass one row"):
        event_order_scores(model, caption, np.stack([motion, motion]))


def test_car_reads_each_items_own_motion_and_its_fused_scores_per_motion(
        matrix_scorer, fused_by_hand):
    """Items whose motion is not their index (motions 1 and 4 have one-event captions, so
    they have no item), random dense and lexical scores, and every CAR value checked against
    a loop written here: the shuffle is read at the item's motion, and the fused m2t score
    normalises the lexical scores over the texts each motion is compared with. Swapping
    every true caption with its shuffle turns CAR into 100 - CAR (no ties)."""
    rng = np.random.default_rng(3)
    verbs = ["walks", "sits", "jumps", "waves", "bows", "runs", "kicks", "turns"]
    gallery, owners, items = [], [], []
    for m in range(12):
        if m % 3 == 1:
            gallery.append(f"a person {verbs[m % 8]}")
        else:
            ev = (f"{verbs[m % 8]} {m} times", f"{verbs[(m + 3) % 8]}")  # distinct captions
            gallery.append(join_events(ev))
            items.append(CarItem(m, gallery[-1], ev, [join_events(ev[::-1])]))
        owners.append(m)
    assert [it.motion for it in items] != list(range(len(items)))
    shuffles = [it.shuffles[0] for it in items]
    texts = gallery + shuffles
    dense = rng.normal(size=(len(texts), 12)).astype(np.float32)
    lexical = rng.gamma(1.0, size=(len(texts), 12)).astype(np.float32)
    w = 0.4
    out = car_report(matrix_scorer(texts, dense, lexical), gallery, np.array(owners), 12,
                     items, w)
    fused = fused_by_hand(dense, lexical, w, over=0)
    true_rows = [gallery.index(it.caption) for it in items]
    shuffle_rows = [len(gallery) + i for i in range(len(items))]
    motions = [it.motion for it in items]
    for sim, s in (("dense", dense), ("lexical", lexical), ("fused", fused)):
        wins = s[true_rows, motions] > s[shuffle_rows, motions]
        assert out[f"CAR/orig->event/{sim}"] == pytest.approx(100 * wins.mean()), sim
    assert 0 < out["CAR/orig->event/dense"] < 100

    swapped = dense.copy()
    swapped[true_rows + shuffle_rows] = dense[shuffle_rows + true_rows]
    flipped = car_report(matrix_scorer(texts, swapped, lexical), gallery, np.array(owners),
                         12, items, w)
    assert flipped["CAR/orig->event/dense"] == pytest.approx(100 - out["CAR/orig->event/dense"])


def test_car_chance_of_the_papers_set_counts_only_its_items(matrix_scorer):
    """One item has one shuffle (chance 1/2), the other two (chance 1/3): the papers' set
    (the first item) has chance 50 and the whole set 41.7."""
    texts = ["walks, then sits", "jumps, then waves, then bows"]
    shuf = ["sits, then walks", "waves, then jumps, then bows", "bows, then waves, then jumps"]
    rows = texts + shuf
    dense = np.array([[1, 0], [0, 1], [0, 0], [0, 0], [0, 0]], np.float32)
    items = [CarItem(0, texts[0], ("walks", "sits"), shuf[:1]),
             CarItem(1, texts[1], ("jumps", "waves", "bows"), shuf[1:])]
    out = car_report(matrix_scorer(rows, dense, np.zeros_like(dense)), texts,
                     np.array([0, 1]), 2, items, 1.0, papers_set=np.array([True, False]))
    assert out["CAR/first/chance"] == pytest.approx(50.0)
    assert out["CAR/chance"] == pytest.approx(100 * (1 / 2 + 1 / 3) / 2)
    assert out["CAR/first/n"] == 1 and out["CAR"] == 100.0


def test_chronology_fused_scores_normalise_per_query_of_each_side(matrix_scorer,
                                                                  fused_by_hand):
    """Random scores for 30 composed pairs: the text side (does the motion prefer its caption
    to the reordered caption?) ranks texts for a motion, so its fused lexical part is
    normalised over texts; the motion side ranks motions for a caption, normalised over
    motions. Both are checked against scores fused here."""
    from types import SimpleNamespace

    rng = np.random.default_rng(5)
    p = 30
    caps = [f"caption {i}" for i in range(p)]
    negs = [f"reordered {i}" for i in range(p)]
    texts = caps + negs
    dense = rng.normal(size=(2 * p, 2 * p)).astype(np.float32)
    lexical = rng.gamma(1.0, size=(2 * p, 2 * p)).astype(np.float32)
    pairs = [SimpleNamespace(caption=c, text_negative=n) for c, n in zip(caps, negs)]
    w = 0.3
    out = chronology_report(matrix_scorer(texts, dense, lexical), pairs, caps,
                            first_motion=0, num_motions=2 * p, weight=w)
    i = np.arange(p)
    m2t, t2m = fused_by_hand(dense, lexical, w, 0), fused_by_hand(dense, lexical, w, 1)
    text_ok = m2t[i, i] > m2t[p + i, i]
    motion_ok = t2m[i, i] > t2m[i, p + i]
    assert out["chronology/text/fused"] == pytest.approx(100 * text_ok.mean())
    assert out["chronology/motion/fused"] == pytest.approx(100 * motion_ok.mean())
    assert out["chronology/both/fused"] == pytest.approx(100 * (text_ok & motion_ok).mean())
    # the other normalisation would give other answers on these scores
    assert ((t2m[i, i] > t2m[p + i, i]) != text_ok).any()
