"""Side accuracy on hand-built embeddings (expected values derived in the comments)."""

from __future__ import annotations

import numpy as np
import pytest

from motionlex.core.motion.skeleton import SMPL22
from motionlex.core.retrieval.embed import Embeddings, Scorer
from motionlex.core.retrieval.side import mirrored_clips, side_captions, side_report

LEFT, RIGHT, WALK = ("a person waves the left hand", "a person waves the right hand",
                     "a person walks")
E = np.eye(3, dtype=np.float32)


def _scorer(motion_dense, motion_lex):
    text = Embeddings(E.copy(), E.copy())  # LEFT, RIGHT, WALK on axes 0, 1, 2
    return Scorer([LEFT, RIGHT, WALK], text,
                  Embeddings(np.array(motion_dense, np.float32), np.array(motion_lex, np.float32)),
                  "dot")


def test_side_report_text_and_motion_side_with_ties_as_failures():
    # motions 0 (left wave), 1 (right wave), 2 (walk); rows 3, 4 mirror motions 0 and 1.
    # dense: the mirror of 0 looks like a right wave (pass), the mirror of 1 equals 1 (tie ->
    # motion side 1 of 2 = 50 %); text side: every motion is its own axis (2 of 2 = 100 %).
    # lexical: motion 1 weights both side words equally -> its text-side test ties (50 %).
    dense = [E[0], E[1], E[2], E[1], E[1]]
    lex = [E[0], E[0] + E[1], E[2], E[1], E[0]]
    texts, owners = [LEFT, RIGHT, WALK], np.array([0, 1, 2])
    out = side_report(_scorer(dense, lex), texts, owners, 3, {0: 3, 1: 4}, weight=0.5)
    assert out["side/text/dense"] == 100.0 and out["side/motion/dense"] == 50.0
    assert out["side/text"] == out["side/text/dense"]
    assert out["side/motion"] == out["side/motion/dense"]
    assert out["side/text/lexical"] == 50.0
    # lexical motion side: caption LEFT: motion 0 scores 1, mirror (row 3) 0 -> pass;
    # caption RIGHT: motion 1 scores 1, mirror (row 4) 0 -> pass
    assert out["side/motion/lexical"] == 100.0
    assert out["side/text/n"] == out["side/motion/n"] == 2.0
    assert set(out) >= {f"side/{s}/fused" for s in ("text", "motion")}


def test_side_report_empty_without_side_captions_and_needs_every_mirror():
    scorer = _scorer([E[2]], [E[2]])
    assert side_report(scorer, [WALK], np.array([0]), 1, {}, 0.5) == {}
    with pytest.raises(KeyError):
        side_report(_scorer([E[0], E[1]], [E[0], E[1]]), [LEFT], np.array([0]), 1, {}, 0.5)


def test_side_captions_and_mirrored_clips():
    assert side_captions([LEFT, WALK, "turns clockwise"]) == [RIGHT, "turns counterclockwise"]

    class M:
        def __init__(self, x):
            self.joints = np.zeros((4, 22, 3), np.float32) + x
            self.skeleton = SMPL22

    motions = [M(0.0), M(1.0)]
    clips, which = mirrored_clips(motions, [WALK, RIGHT, RIGHT], np.array([0, 1, 1]))
    assert which == [1] and len(clips) == 1
    joints, skel = clips[0]
    assert skel is SMPL22 and joints.shape == (4, 22, 3)
    np.testing.assert_allclose(joints[..., 0], -1.0)  # x negated


def test_side_fused_scores_normalise_per_query_of_each_side(matrix_scorer, fused_by_hand):
    """Random scores for 40 motions (every other one has a side caption) and their mirrored
    copies, each side checked against scores fused here: the text side ranks texts (the
    captions and their swapped versions) for a motion, so the lexical part is normalised over
    those texts; the motion side ranks the gallery and the mirrored copies for a caption."""
    from motionlex.core.text.sides import mirror_caption

    rng = np.random.default_rng(11)
    n = 40
    texts = [f"a person waves the left hand {i} times" if i % 2 else f"a person walks {i} steps"
             for i in range(n)]
    side = [i for i in range(n) if i % 2]
    swapped = [mirror_caption(texts[i]) for i in side]
    rows = texts + swapped
    mirror_rows = {m: n + k for k, m in enumerate(side)}
    dense = rng.normal(size=(len(rows), n + len(side))).astype(np.float32)
    lexical = rng.gamma(1.0, size=dense.shape).astype(np.float32)
    w = 0.3
    out = side_report(matrix_scorer(rows, dense, lexical), texts, np.arange(n), n,
                      mirror_rows, w)

    def fused(d, lex, over):
        return fused_by_hand(d, lex, w, over)

    m2t = fused(dense[:, :n], lexical[:, :n], 0)
    text_ok = m2t[side, side] > m2t[n + np.arange(len(side)), side]
    t2m = fused(dense[side], lexical[side], 1)
    k = np.arange(len(side))
    motion_ok = t2m[k, side] > t2m[k, n + k]
    assert out["side/text/fused"] == pytest.approx(100 * text_ok.mean())
    assert out["side/motion/fused"] == pytest.approx(100 * motion_ok.mean())
    assert out["side/text/n"] == len(side)
    # the other normalisation gives other answers on these scores
    other = fused(dense[side], lexical[side], 0)
    assert (motion_ok != (other[k, side] > other[k, n + k])).any()
    other = fused(dense[:, :n], lexical[:, :n], 1)
    assert (text_ok != (other[side, side] > other[n + k, side])).any()
