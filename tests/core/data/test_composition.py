"""core/data/composition.py: the composition pool of loaded samples (caption spans, labels),
the one-skeleton pool of mixed data, and the sampling limits (short clips, the frame budget,
n = 0); the sampling's randomness and seed semantics are in test_pairs.py."""

from __future__ import annotations

import json
import logging
import math
import re

import numpy as np
import pytest

from motionlex.core.data.compose import DEFAULT_BLEND_FRAMES
from motionlex.core.data.composition import (
    MIN_EVENT_SECONDS,
    chronology_test_set,
    composition_pool,
    one_skeleton_pool,
    sample_composed_pairs,
)
from motionlex.core.data.datasets import MotionDataset
from motionlex.core.motion.files import load_motion_file
from motionlex.core.motion.motion import CANONICAL_FPS

WALK, RUN, WAVE, RAISE = ("bn2_walk_normal_023", "bn2_run_normal_051",
                          "bn2_wave-left-hand_normal_030", "bn2_raise-up-right-hand_normal_078")
WALK_FRAMES = 176
SPAN_LINES = (  # caption#tokens#start#end: whole clip, 1.0-3.5 s, past the end, 7.0 s to end
    "a person walks.#a/X person/X walks/X#0.0#0.0",
    "a person walks forward.#x#1.0#3.5",
    "a person stops.#x#20.0#25.0",
    "a person walks on.#x#7.0#0.0",
)


@pytest.fixture(scope="module")
def spans(shared_data, tmp_path_factory, make_subset):
    """4 real Bandai val clips; the walk's captions given spans (one past the clip's end),
    the raise's ``action`` label removed from its meta."""
    d = make_subset(shared_data / "bandai", tmp_path_factory.mktemp("spans") / "bandai",
                    [WALK, RUN, WAVE, RAISE])
    (d / "texts" / f"{WALK}.txt").write_text("\n".join(SPAN_LINES) + "\n")
    meta = json.loads((d / "meta.json").read_text())
    del meta[RAISE]["action"]
    (d / "meta.json").write_text(json.dumps(meta))
    samples, _ = MotionDataset(d, "all").scan()
    return {s.record.id: s for s in samples}


def _pool_of(spans, label_key="action"):
    order = [spans[i] for i in (WALK, RUN, WAVE, RAISE)]
    return composition_pool(order, label_key)


def test_one_item_per_caption_with_its_label(spans, caplog):
    with caplog.at_level(logging.WARNING, logger="motionlex.core.data.composition"):
        pool = _pool_of(spans)
    # the walk's span past its end is left out (with a warning), the others kept
    assert [c for _, c, _ in pool[:3]] == ["a person walks.", "a person walks forward.",
                                          "a person walks on."]
    assert len(pool) == 3 + sum(len(spans[i].captions) for i in (RUN, WAVE, RAISE))
    assert "skipping caption span" in caplog.text and "20.00-25.00" in caplog.text
    labels = {c: lab for _, c, lab in pool}
    assert labels["a person walks forward."] == "walk"
    assert {lab for m, _, lab in pool if m.name == RUN} == {"run"}
    assert {lab for m, _, lab in pool if m.name == RAISE} == {None}  # no action in its meta
    assert [lab for _, _, lab in _pool_of(spans, "style")][:3] == ["normal"] * 3
    assert {lab for _, _, lab in _pool_of(spans, None)} == {None}
    assert {lab for _, _, lab in _pool_of(spans, "no such key")} == {None}


def test_motions_are_cropped_to_the_caption_spans(spans):
    """Frames floor(start * 20) to floor(end * 20) (``end`` 0: to the clip's end), brought to
    canonical form again: the same poses up to a turn about Y and a shift on the floor."""
    whole = spans[WALK].motion
    assert whole.num_frames == WALK_FRAMES and whole.fps == CANONICAL_FPS
    pool = _pool_of(spans)
    (m0, _, _), (m1, _, _), (m2, _, _) = pool[:3]
    np.testing.assert_array_equal(m0.joints, whole.joints)
    for m, (a, b) in ((m1, (20, 70)), (m2, (140, WALK_FRAMES))):
        ref = whole.joints[a:b]
        assert m.num_frames == b - a
        np.testing.assert_allclose(m.joints[..., 1], ref[..., 1], atol=1e-5)  # heights kept
        np.testing.assert_allclose(m.joints[0, 0, [0, 2]], 0.0, atol=1e-5)  # pelvis at origin

        def dists(j):
            return np.linalg.norm(j[:, :, None] - j[:, None], axis=-1)
        np.testing.assert_allclose(dists(m.joints), dists(ref), atol=1e-4)  # rigid moves only


@pytest.fixture(scope="module")
def bvh_takes(shared_data):
    """The real BVH takes: 6 Bandai (one rig), 3 CMU Daz and 1 CMU iClone, labelled."""
    index = json.loads((shared_data / "raw_bvh" / "index.json").read_text())
    out = {}
    for name, entry in index.items():
        m = load_motion_file(shared_data / "raw_bvh" / name)
        out[name] = (m, f"a person does {entry.get('action', name)}", entry.get("action"))
    return out


def test_one_skeleton_pool_keeps_the_most_common_layout(bvh_takes, spans):
    bandai = [v for k, v in bvh_takes.items() if k.startswith("bandai")]
    daz = [v for k, v in bvh_takes.items() if "daz" in k]
    iclone = [v for k, v in bvh_takes.items() if "iclone" in k]
    assert (len(bandai), len(daz), len(iclone)) == (6, 3, 1)
    assert len({m.skeleton for m, _, _ in bandai}) == 6  # one skeleton per file, one layout
    mixed = [daz[0], bandai[0], iclone[0], bandai[1], daz[1], *bandai[2:], daz[2]]
    kept, left_out, others = one_skeleton_pool(mixed)
    assert kept == bandai and (left_out, others) == (4, 2)  # in the pool's order
    smpl = _pool_of(spans)  # 9 SMPL-22 crops outnumber the 6 Bandai takes
    kept, left_out, others = one_skeleton_pool(bandai + smpl + daz)
    assert kept == smpl and (left_out, others) == (9, 2)  # Bandai and Daz left out


def test_one_skeleton_pool_of_one_layout_is_the_pool(bvh_takes):
    daz = [v for k, v in bvh_takes.items() if "daz" in k]
    kept, left_out, others = one_skeleton_pool(tuple(daz))
    assert kept == daz and isinstance(kept, list) and (left_out, others) == (0, 0)
    assert one_skeleton_pool([]) == ([], 0, 0)


def test_native_bvh_takes_of_one_rig_compose(bvh_takes):
    """Takes of one BVH rig (each its own skeleton) join into composed pairs; the 13-frame
    dash take, at most 2 * blend_frames long, is left out."""
    bandai = [v for k, v in bvh_takes.items() if k.startswith("bandai")]
    dash = next(m for m, _, lab in bandai if lab == "dash")
    assert dash.num_frames == 13 <= 2 * DEFAULT_BLEND_FRAMES
    pairs = sample_composed_pairs(bandai, 12, np.random.default_rng(0), events=(3,))
    assert len(pairs) == 12
    for p in pairs:
        assert "dash" not in p.labels and len(set(p.labels)) == 3
        assert p.motion.motion.joints.shape[1] == bandai[0][0].joints.shape[1]


def test_clips_of_2_blend_frames_or_fewer_are_left_out(bvh_takes):
    """The 13-frame take is kept with blend_frames=6 (13 = 2 * 6 + 1) and left out with 7
    (13 <= 14): then only 2 labels remain for 3 events."""
    pick = [v for k, v in bvh_takes.items()
            if k.startswith("bandai") and v[2] in ("dash", "bow", "kick")]
    pairs = sample_composed_pairs(pick, 3, np.random.default_rng(1), events=(3,),
                                  blend_frames=6)
    assert all(sorted(p.labels) == ["bow", "dash", "kick"] for p in pairs)
    with pytest.raises(ValueError, match=r"the pool has 2 distinct labels \(3 items\); 3 "
                                         r"needed for events=\(3,\)"):
        sample_composed_pairs(pick, 3, np.random.default_rng(1), events=(3,), blend_frames=7)


def test_the_smallest_frame_budget_for_the_events(pool):
    """max_frames must hold k events of MIN_EVENT_SECONDS (30 frames) joined by k - 1 seams
    of blend_frames: 3 * 30 - 2 * 8 = 74 for 3 events. At that budget every long clip is
    cropped to 30 frames and the composed motion is exactly 74 frames."""
    min_len = math.ceil(MIN_EVENT_SECONDS * CANONICAL_FPS)
    assert min_len == 30
    need = 3 * min_len - 2 * DEFAULT_BLEND_FRAMES
    with pytest.raises(ValueError, match=f"max_frames={need - 1} cannot hold 3 events .* "
                                         f"need at least {need}"):
        sample_composed_pairs(pool, 1, np.random.default_rng(0), events=(2, 3),
                              max_frames=need - 1)
    pairs = sample_composed_pairs(pool, 8, np.random.default_rng(0), events=(3,),
                                  max_frames=need)
    frames = {m.name: m.num_frames for m, _, _ in pool}
    for p in pairs:
        assert p.motion.motion.num_frames <= need
        assert all(t >= min_len for t in p.motion.lengths)  # Bandai clips are >= 30 frames
        for source, t in zip(p.motion.sources, p.motion.lengths):
            crop = re.fullmatch(r"(.+)\[(\d+):(\d+)\]", source)
            if crop is None:  # short enough to be whole
                assert frames[source] == t
                continue
            name, a, b = crop[1], int(crop[2]), int(crop[3])  # a long clip's central part
            assert b - a == t < frames[name] and a == (frames[name] - t) // 2
    assert any(p.motion.motion.num_frames == need for p in pairs)
    # two events need less: 2 * 30 - 8 = 52
    two = sample_composed_pairs(pool, 4, np.random.default_rng(0), events=(2,), max_frames=52)
    assert all(p.motion.motion.num_frames <= 52 for p in two)


def test_no_pairs_asked_gives_none(pool):
    rng = np.random.default_rng(5)
    state = rng.bit_generator.state
    assert sample_composed_pairs(pool, 0, rng) == []
    assert rng.bit_generator.state == state  # no randomness drawn
    assert chronology_test_set(pool, 0, 3) == []
    with pytest.raises(ValueError, match="n must be >= 0"):
        chronology_test_set(pool, -1, 3)
    with pytest.raises(ValueError, match="events must list event counts >= 2"):
        chronology_test_set(pool, 1, 3, events=())
