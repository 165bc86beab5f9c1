"""(motion, caption) examples from real data, patch statistics from train, mirroring."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from motionlex.core.data.composition import (
    MIN_EVENT_SECONDS,
    chronology_test_set,
    sample_composed_pairs,
)
from motionlex.core.data.pairs import (
    PairExample,
    augment,
    composed_examples,
    compute_patch_stats,
    distinct_motions,
    load_pair_examples,
)
from motionlex.core.motion.motion import CANONICAL_FPS
from motionlex.core.motion.skeleton import SMPL22
from motionlex.core.patches import MAX_FRAMES
from motionlex.core.text.orders import split_subject


@pytest.fixture(scope="module")
def examples(shared_data, tmp_path_factory) -> list[PairExample]:
    return load_pair_examples([shared_data / "humanml3d_samples"], "all", progress=False)


def test_examples_are_canonical_pairs_with_events(examples):
    assert examples
    for ex in examples:
        assert ex.joints.ndim == 3 and ex.joints.shape[1:] == (22, 3)
        assert ex.joints.dtype == np.float32 and ex.events and ex.caption
        assert ex.skeleton.name == "smpl22"
    assert any(len(ex.events) > 1 for ex in examples)


def test_missing_split_is_skipped(shared_data):
    assert load_pair_examples([shared_data / "humanml3d_samples"], "nosuchsplit",
                              progress=False) == []


def test_a_caption_span_outside_its_clip_is_left_out_and_named(shared_data, tmp_path,
                                                                make_subset, caplog):
    """A 1.6 s Bandai clip given one caption for 10-12 s and one for 0.5-1.5 s: the first
    is left out (said once, naming the clip and the span), the second is a pair of the
    cropped frames, and the clip's whole-clip captions stay."""
    import logging

    src = shared_data / "bandai"
    mid = (src / "val.txt").read_text().split()[0]
    root = make_subset(src, tmp_path / "spans", [mid], {"val": [mid]})
    texts = root / "texts" / f"{mid}.txt"
    whole = texts.read_text().splitlines()
    texts.write_text("\n".join(whole + ["a person waves late.#a/X#10.0#12.0",
                                        "a person raises the arms.#a/X#0.5#1.5"]) + "\n")
    with caplog.at_level(logging.WARNING, logger="motionlex.core.data.pairs"):
        got = load_pair_examples([root], "val", progress=False)
    caps = [e.caption for e in got]
    assert "a person waves late." not in caps and len(got) == len(whole) + 1
    cropped = got[caps.index("a person raises the arms.")]
    assert len(cropped.joints) == round(1.0 * CANONICAL_FPS)  # 0.5-1.5 s at 20 fps
    assert len(got[0].joints) == 32  # a whole-clip caption keeps all 1.6 s
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 1 and mid in warned[0] and "'a person waves late.'" in warned[0]
    assert "span 10.00-12.00 s starts after the clip's end" in warned[0]


def test_patch_stats_count_each_motion_once(examples):
    stats = compute_patch_stats(examples, source="samples")
    frames = sum(len(j) for j in {id(e.joints): e.joints for e in examples}.values())
    assert stats.count == frames and stats.source == "samples"
    assert stats.mean.shape == (80, 3) and (stats.std > 0).all()
    with pytest.raises(ValueError, match="no frames were added"):
        compute_patch_stats([])


def test_augment_mirrors_joints_and_words():
    joints = np.random.default_rng(0).normal(size=(5, 22, 3)).astype(np.float32)
    ex = PairExample(joints, "waves the left hand", ("waves the left hand",), "m", None, SMPL22)
    assert augment(ex, np.random.default_rng(0), 0.0) is ex
    m = augment(ex, np.random.default_rng(0), 1.0)
    assert m.caption == "waves the right hand" and m.events == ("waves the right hand",)
    np.testing.assert_allclose(m.joints[:, 1, 0], -joints[:, 2, 0])


def test_composed_examples_need_three_labels(examples):
    rng = np.random.default_rng(0)
    assert composed_examples(examples[:1], 4, rng) == []
    assert composed_examples(examples, 0, rng) == []


def test_composed_examples_carry_their_reordered_motion(shared_data):
    """Real Bandai clips: the reordered motion holds the same clips in another order (same
    length, other frames); mirroring the pair mirrors it too."""
    from motionlex.core.data.pairs import mirror_pair

    examples = load_pair_examples([shared_data / "bandai"], "val", progress=False)
    composed = composed_examples(examples, 6, np.random.default_rng(3))
    assert composed and all(e.reordered_joints is not None for e in composed)
    for e in composed:
        assert e.reordered_joints.shape == e.joints.shape and len(e.events) > 1
        assert not np.allclose(e.reordered_joints, e.joints)
        m = mirror_pair(e)
        np.testing.assert_allclose(m.reordered_joints[:, 1, 0], -e.reordered_joints[:, 2, 0],
                                   atol=1e-6)
    assert all(e.reordered_joints is None for e in examples)  # real clips have none


def test_composed_examples_of_mixed_skeletons_join_clips_of_one(shared_data):
    """Training data on two skeletons (Bandai joints beside native Bandai BVH takes):
    composition used to fail for the whole run ("all motions must share one skeleton")."""
    from motionlex.core.motion.files import load_motion_file

    examples = load_pair_examples([shared_data / "bandai"], "val", progress=False)
    bvh = load_motion_file(shared_data / "raw_bvh" / "bandai_1_kick_normal_001.bvh")
    native = [PairExample(bvh.joints, "a person kicks", ("a person kicks",), "raw/kick",
                          "kick", bvh.skeleton)]
    composed = composed_examples(native + examples, 4, np.random.default_rng(3))
    assert len(composed) == 4
    assert {e.skeleton for e in composed} == {SMPL22}  # the skeleton most motions are on
    assert all(e.joints.shape[1] == SMPL22.num_joints for e in composed)
    assert not any("raw/kick" in e.motion_id for e in composed)


def _signature(pairs):
    return [(p.caption, p.text_negative, p.permutation, p.labels, p.motion.sources,
             p.motion.motion.joints.tobytes()) for p in pairs]


def test_sampling_deterministic_distinct_labels_and_length(pool):
    a = sample_composed_pairs(pool, 12, np.random.default_rng(7))
    b = sample_composed_pairs(pool, 12, np.random.default_rng(7))
    c = sample_composed_pairs(pool, 12, np.random.default_rng(8))
    assert _signature(a) == _signature(b) and _signature(a) != _signature(c)
    min_len = math.ceil(MIN_EVENT_SECONDS * CANONICAL_FPS)
    by_name = {m.name: m.num_frames for m, _, _ in pool}
    counts = Counter()
    for p in a + c:
        k = len(p.labels)
        counts[k] += 1
        assert k in (2, 3) and len(set(p.labels)) == k
        assert p.motion.motion.num_frames <= MAX_FRAMES
        for name, t in zip(p.motion.sources, p.motion.lengths):
            full = by_name[name.split("[")[0]]
            assert t == full if "[" not in name else min_len <= t < full
    assert counts[2] and counts[3]
    tight = sample_composed_pairs(pool, 10, np.random.default_rng(0), events=(3,), max_frames=100)
    assert all(p.motion.motion.num_frames <= 100 and len(p.events) == 3 for p in tight)
    assert any("[" in s for p in tight for s in p.motion.sources)  # long clips were cropped


def test_none_labels_use_the_caption(pool):
    unlabelled = [(m, c, None) for m, c, _ in pool]
    pairs = sample_composed_pairs(unlabelled, 10, np.random.default_rng(1), events=(2,))
    for p in pairs:
        a, b = (split_subject(c)[1].lower() for c in p.motion.captions)
        assert p.labels == (a, b) and a != b
    free = sample_composed_pairs(pool, 5, np.random.default_rng(1), distinct_labels=False)
    assert all(p.text_negative != p.caption for p in free)


def test_sampling_errors(pool):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="n must be >= 0"):
        sample_composed_pairs(pool, -1, rng)
    with pytest.raises(ValueError, match="event counts >= 2"):
        sample_composed_pairs(pool, 1, rng, events=(1, 2))
    with pytest.raises(ValueError, match="max_frames=60 cannot hold 3 events"):
        sample_composed_pairs(pool, 1, rng, max_frames=60)
    with pytest.raises(ValueError, match="pool item 0 must be"):
        sample_composed_pairs([(pool[0][0], pool[0][1])], 1, rng)
    walks = [it for it in pool if it[2] in ("walk", "run")]
    with pytest.raises(ValueError, match="2 distinct labels .* 3 needed"):
        sample_composed_pairs(walks, 1, rng)
    same = [(pool[0][0], pool[0][1], None), (pool[2][0], pool[0][1], None)]
    with pytest.raises(ValueError, match="captions are all the same"):
        sample_composed_pairs(same, 1, rng, events=(2,), distinct_labels=False)


def test_chronology_test_set_seed_semantics(pool):
    full = chronology_test_set(pool, 8, 5)
    assert _signature(chronology_test_set(pool, 5, 5)) == _signature(full)[:5]
    shuffled = [pool[i] for i in np.random.default_rng(0).permutation(len(pool))]
    assert _signature(chronology_test_set(shuffled, 8, 5)) == _signature(full)
    assert _signature(chronology_test_set(pool, 8, 6)) != _signature(full)
    keys = {p.motion.sources + p.motion.captions for p in full}
    assert len(keys) == 8 and all(len(set(p.labels)) == len(p.labels) for p in full)
    g = chronology_test_set(pool, 3, np.random.default_rng(2))
    assert _signature(g) == _signature(chronology_test_set(pool, 3, np.random.default_rng(2)))
    tiny = [next(it for it in pool if it[2] == a) for a in ("walk", "run")]
    with pytest.raises(ValueError, match="distinct pairs"):
        chronology_test_set(tiny, 3, 0, events=(2,))


def test_distinct_motions_by_id_and_frames():
    class Ex:
        def __init__(self, motion_id, joints):
            self.motion_id, self.joints = motion_id, joints

    a, b = np.zeros((10, 22, 3)), np.zeros((12, 22, 3))
    exs = [Ex("m0", a), Ex("m0", a), Ex("m1", b), Ex("m0", a[:5])]
    motions, owners = distinct_motions(exs)
    assert [m.motion_id for m in motions] == ["m0", "m1", "m0"]
    np.testing.assert_array_equal(owners, [0, 0, 1, 2])


def test_two_captions_of_one_span_are_one_gallery_motion(shared_data, tmp_path):
    """Each caption's crop is its own array: two captions of a clip with the same non-zero
    time span made two identical gallery motions, each the other's exact copy among the
    negatives (R@1 impossible for either caption)."""
    import shutil

    src = shared_data / "bandai"
    ids = (src / "val.txt").read_text().split()[:2]
    (tmp_path / "new_joints").mkdir()
    (tmp_path / "texts").mkdir()
    for mid in ids:
        shutil.copy(src / "new_joints" / f"{mid}.npy", tmp_path / "new_joints")
    (tmp_path / "texts" / f"{ids[0]}.txt").write_text(
        "a person raises both hands.#a/X#0.0#2.0\na person lifts both arms.#a/X#0.0#2.0\n"
        "a person moves.#a/X#0.0#1.0\n")
    shutil.copy(src / "texts" / f"{ids[1]}.txt", tmp_path / "texts")
    (tmp_path / "val.txt").write_text("\n".join(ids) + "\n")
    examples = load_pair_examples([tmp_path], "val", with_events=False, progress=False)
    motions, owners = distinct_motions(examples)
    assert owners[0] == owners[1] != owners[2]  # same span: one motion; a shorter one: two
    assert len(motions) == 2 + len(set(owners[3:].tolist()))
    assert all(m.motion_id == ids[1] for m in motions[2:])


def test_a_composition_pool_holds_each_motion_once_with_its_first_caption(
        shared_data, tmp_path, make_subset, monkeypatch):
    """Bandai motions have two captions each: the pool that composed pairs are drawn from
    holds each motion once, with its first caption, so a motion with more captions is not
    drawn more often."""
    import motionlex.core.data.pairs as pairs_module

    src = shared_data / "bandai"
    ids = (src / "val.txt").read_text().split()[::6][:12]
    examples = load_pair_examples([make_subset(src, tmp_path / "b", ids)], "all",
                                  progress=False)
    assert len(examples) > len(ids)  # several captions per motion
    seen = []
    real = pairs_module.sample_composed_pairs
    monkeypatch.setattr(pairs_module, "sample_composed_pairs",
                        lambda pool, n, rng: seen.append(pool) or real(pool, n, rng))
    assert composed_examples(examples, 2, np.random.default_rng(0))
    first = {}
    for e in examples:
        first.setdefault(e.motion_id, e.caption)
    assert sorted((m.name, c) for m, c, _ in seen[0]) == sorted(first.items())
