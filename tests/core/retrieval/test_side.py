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
