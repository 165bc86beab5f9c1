"""Composed multi-event pairs on real Bandai clips (../shared/data/bandai, val split)."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from motionlex.core.data.compose import (
    blend_weights,
    compose_pair,
    concatenate_motions,
    heading_angles,
)
from motionlex.core.data.datasets import MotionDataset
from motionlex.core.data.pairs import (
    MIN_EVENT_SECONDS,
    chronology_test_set,
    composition_pool,
    sample_composed_pairs,
)
from motionlex.core.motion.motion import resample, to_canonical
from motionlex.core.text.orders import compose_captions, split_subject

K = 8


@pytest.fixture(scope="module")
def val_samples(shared_data):
    samples, report = MotionDataset(shared_data / "bandai", "val").scan()
    assert report.kept == 70
    return samples


@pytest.fixture(scope="module")
def pool(val_samples):
    return composition_pool(val_samples)


def _by_action(samples, action, k=0):
    """The k-th val clip of an action, with its first caption."""
    hits = [s for s in samples if s.record.meta["action"] == action]
    return hits[k].motion, hits[k].captions[0].text


def _steps(joints):
    """(T-1, J) per-frame joint displacement, metres."""
    return np.linalg.norm(np.diff(joints.astype(np.float64), axis=0), axis=-1)


def _fit_planar(src, dst):
    """Best yaw + XZ translation taking src (T, J, 3) onto dst; returns (moved src, theta)."""
    p, q = src.reshape(-1, 3).astype(np.float64), dst.reshape(-1, 3).astype(np.float64)
    pm, qm = p[:, [0, 2]].mean(0), q[:, [0, 2]].mean(0)
    pc, qc = p[:, [0, 2]] - pm, q[:, [0, 2]] - qm
    th = math.atan2((qc[:, 0] * pc[:, 1] - qc[:, 1] * pc[:, 0]).sum(),
                    (qc[:, 0] * pc[:, 0] + qc[:, 1] * pc[:, 1]).sum())
    c, s = math.cos(th), math.sin(th)
    rot = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])

    def move(x):
        y = x.astype(np.float64) @ rot.T
        t = qm - (rot[[0, 2]][:, [0, 2]] @ pm)
        y[..., 0] += t[0]
        y[..., 2] += t[1]
        return y

    return move, th


def _check_segments(cm, clips):
    """Every clip's unblended frames in cm are that clip moved rigidly (yaw + XZ)."""
    for (s, e), clip, b in zip(cm.segments(core=True), clips, cm.boundaries):
        src = clip.joints[s - b:e - b]
        move, _ = _fit_planar(src, cm.motion.joints[s:e])
        assert np.abs(move(src) - cm.motion.joints[s:e]).max() < 1e-4


def test_blend_weights_smooth_and_symmetric():
    w = blend_weights(K)
    assert w.shape == (K,) and np.all(np.diff(w) > 0) and 0 < w[0] < 0.05 and w[-1] > 0.95
    np.testing.assert_allclose(w + w[::-1], 1.0)
    with pytest.raises(ValueError, match="blend_frames must be >= 1"):
        blend_weights(0)


def test_seams_continuous_feet_do_not_teleport(val_samples):
    clips = [_by_action(val_samples, a)[0] for a in ("walk", "wave-right-hand", "run")]
    cm = concatenate_motions(clips, K)
    steps = _steps(cm.motion.joints)
    sk = clips[0].skeleton
    feet = [sk.chains[3][-1], sk.chains[4][-1], sk.chains[3][-2], sk.chains[4][-2]]
    inside = np.concatenate([_steps(c.joints) for c in clips])
    for b in cm.boundaries[1:]:
        seam = steps[b - 2:b + K + 1]
        # no joint moves more per frame at a seam than the clips' own fast frames allow
        assert seam.max(axis=1).max() <= 2.0 * np.percentile(inside.max(axis=1), 99)
        assert seam[:, feet].max() <= 2.0 * np.percentile(inside[:, feet].max(axis=1), 99)
    # the same check catches a plain concatenation (root jumps back to the origin)
    naive = np.concatenate([c.joints for c in clips])
    cut = clips[0].num_frames - 1
    assert _steps(naive)[cut].max() > 2.0 * np.percentile(inside.max(axis=1), 99)


def test_root_alignment_rigid_segments_floor_and_boundaries(val_samples):
    acts = ("walk-turn-left", "raise-up-left-hand", "walk")
    clips = [_by_action(val_samples, a)[0] for a in acts]
    cm = concatenate_motions(clips, K, ["a", "b", "c"])
    j = cm.motion.joints
    lengths = [c.num_frames for c in clips]
    assert cm.motion.num_frames == sum(lengths) - K * (len(clips) - 1)
    assert cm.lengths == tuple(lengths) and cm.captions == ("a", "b", "c")
    assert cm.boundaries == (0, lengths[0] - K, lengths[0] + lengths[1] - 2 * K)
    assert cm.sources == tuple(c.name for c in clips) and cm.motion.fps == 20.0
    # canonical output; the first clip (already canonical) is unchanged
    assert abs(float(j[..., 1].min())) < 1e-6
    np.testing.assert_allclose(j[0, 0, [0, 2]], 0.0, atol=1e-5)
    assert abs(heading_angles(j[:1], cm.motion)[0]) < 1e-4
    np.testing.assert_allclose(j[:lengths[0] - K], clips[0].joints[:lengths[0] - K], atol=1e-4)
    _check_segments(cm, clips)
    root = clips[0].skeleton.root
    for i in (1, 2):
        b = cm.boundaries[i]
        s, e = cm.segments(core=True)[i]
        move, th = _fit_planar(clips[i].joints[s - b:e - b], j[s:e])
        start = move(clips[i].joints[:1])[0]
        # clip i's first frame, moved, starts at the root position and facing of frame b
        np.testing.assert_allclose(start[root, [0, 2]], j[b, root, [0, 2]], atol=1e-4)
        dth = heading_angles(start[None], clips[i]) - heading_angles(j[b - 1:b], cm.motion)
        assert abs((dth[0] + np.pi) % (2 * np.pi) - np.pi) < 0.1
        # ... which is one frame's travel from where the motion so far was
        step = np.linalg.norm(j[b, root, [0, 2]] - j[b - 1, root, [0, 2]])
        assert step <= 1.5 * _steps(clips[i - 1].joints)[:, root].max()
        # heights are never moved: the clip's floor contact stays at its own height
        assert abs(j[s:e, :, 1].min() - clips[i].joints[s - b:e - b, :, 1].min()) < 1e-4


def test_concatenate_errors(val_samples, shared_data):
    from motionlex.core.motion.bvh import load_bvh

    walk, wave = _by_action(val_samples, "walk")[0], _by_action(val_samples, "wave-left-hand")[0]
    with pytest.raises(ValueError, match="at least 2 motions, got 1"):
        concatenate_motions([walk])
    bvh = to_canonical(load_bvh(shared_data / "raw_bvh" / "bandai_1_bow_normal_001.bvh"))
    with pytest.raises(ValueError, match=r"motion 1 .* skeleton 'bvh:.*one skeleton"):
        concatenate_motions([walk, bvh])
    with pytest.raises(ValueError, match=r"motion 1 .* at 30.0 fps; expected canonical 20"):
        concatenate_motions([walk, resample(wave, 30.0)])
    with pytest.raises(ValueError, match="blend_frames must be >= 1, got 0"):
        concatenate_motions([walk, wave], 0)
    short = replace(wave, joints=wave.joints[:12])
    with pytest.raises(ValueError, match=r"motion 1 .* 12 frames; at least 17 needed"):
        concatenate_motions([walk, short, wave])
    with pytest.raises(ValueError, match="got 1 captions for 2 motions"):
        concatenate_motions([walk, wave], captions=["x"])
    flat = replace(walk, joints=np.zeros_like(walk.joints))
    with pytest.raises(ValueError, match="frame 0: cannot find a facing direction"):
        concatenate_motions([flat, wave])


def test_caption_join_in_order():
    assert split_subject(" Someone raises both hands energetically. ") == (
        "Someone", "raises both hands energetically")
    assert split_subject("a man and a woman dance.") == (None, "a man and a woman dance")
    cap, events = compose_captions(["a person waves the right hand.", "someone walks forward."])
    assert cap == "a person waves the right hand, then walks forward"
    assert events == ["a person waves the right hand", "a person walks forward"]
    neg, neg_events = compose_captions(["a person waves the right hand.", "he walks forward."],
                                       [1, 0])
    assert neg == "a person walks forward, then waves the right hand"
    assert neg_events == events[::-1]
    # a caption without a recognised subject: every event is kept whole
    cap, events = compose_captions(["Playground - climb, hang", "a person sits down."])
    assert cap == "playground - climb, hang, then a person sits down"
    with pytest.raises(ValueError, match="not a permutation"):
        compose_captions(["a person walks", "a person runs"], [0, 0])
    with pytest.raises(ValueError, match="at least one caption"):
        compose_captions([])
    with pytest.raises(ValueError, match="empty caption"):
        compose_captions(["a person walks", " . "])


def test_composed_caption_splits_back_into_its_events(val_samples):
    from motionlex.core.text.events import split_events

    samples = [_by_action(val_samples, a) for a in ("wave-left-hand", "run", "raise-up-both-hands")]
    samples = [(m, c) for m, c in samples if "," not in c]  # Bandai's "wearily, exhausted"
    pair = compose_pair(samples, np.random.default_rng(0), K)
    assert split_events(pair.caption) == list(pair.events)
    assert sorted(split_events(pair.text_negative)) == sorted(pair.events)


def test_compose_pair_negatives(val_samples):
    acts = ("walk", "wave-both-hands", "raise-up-right-hand")
    samples = [_by_action(val_samples, a, 1) for a in acts]
    pair = compose_pair(samples, np.random.default_rng(3), K)
    perm = pair.permutation
    assert sorted(perm) == [0, 1, 2] and perm != (0, 1, 2)
    # text side: same words, different order, and exactly the events in the order perm
    assert pair.text_negative != pair.caption
    assert Counter(pair.text_negative.split()) == Counter(pair.caption.split())
    assert pair.text_negative == compose_captions([c for _, c in samples], perm)[0]
    pos = [pair.text_negative.index(split_subject(e)[1]) for e in pair.events]
    assert sorted(range(3), key=lambda i: pos[i]) == list(perm)
    # motion side: the same clips in the order perm
    neg = pair.motion_negative
    assert neg.lengths == tuple(pair.motion.lengths[i] for i in perm)
    assert neg.captions == tuple(samples[i][1] for i in perm)
    assert neg.motion.num_frames == pair.motion.motion.num_frames
    _check_segments(neg, [samples[i][0] for i in perm])
    _check_segments(pair.motion, [m for m, _ in samples])
    assert not np.allclose(neg.motion.joints, pair.motion.motion.joints, atol=0.05)
    with pytest.raises(ValueError, match="at least 2"):
        compose_pair(samples[:1], np.random.default_rng(0))
    walk, cap = samples[0]
    with pytest.raises(ValueError, match="same event"):
        compose_pair([(walk, cap), (samples[1][0], cap.replace("a person", "someone"))],
                     np.random.default_rng(0))


def _signature(pairs):
    return [(p.caption, p.text_negative, p.permutation, p.labels, p.motion.sources,
             p.motion.motion.joints.tobytes()) for p in pairs]


def test_sampling_deterministic_distinct_labels_and_length(pool):
    a = sample_composed_pairs(pool, 12, np.random.default_rng(7))
    b = sample_composed_pairs(pool, 12, np.random.default_rng(7))
    c = sample_composed_pairs(pool, 12, np.random.default_rng(8))
    assert _signature(a) == _signature(b) and _signature(a) != _signature(c)
    min_len = math.ceil(MIN_EVENT_SECONDS * 20)
    by_name = {m.name: m.num_frames for m, _, _ in pool}
    counts = Counter()
    for p in a + c:
        k = len(p.labels)
        counts[k] += 1
        assert k in (2, 3) and len(set(p.labels)) == k
        assert p.motion.motion.num_frames <= 224
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


def test_patch_figure_of_a_composed_motion(pool, tmp_path):
    from motionlex.core.patches import motion_patch_image, part_resampling_matrix
    from motionlex.core.retrieval.report import save_patch_figure

    pair = chronology_test_set(pool, 1, 0, events=(3,))[0]
    m = pair.motion.motion
    img = motion_patch_image(m.joints, part_resampling_matrix(m.skeleton))
    assert img.shape == (3, m.num_frames, 80)
    out = save_patch_figure(img, tmp_path / "composed.png", title=pair.caption)
    assert out.stat().st_size > 10_000
