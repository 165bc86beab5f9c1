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
from motionlex.core.data.composition import chronology_test_set
from motionlex.core.motion.motion import resample, to_canonical
from motionlex.core.text.orders import compose_captions, split_subject

K = 8


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
    # the frames that are a clip's own, seams left out: only inner edges lose K frames
    assert cm.segments(core=True) == [
        (0, lengths[0] - K), (cm.boundaries[1] + K, cm.boundaries[1] + lengths[1] - K),
        (cm.boundaries[2] + K, cm.motion.num_frames)]
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
    # two files of one rig are two Skeleton objects with one layout: they join
    kick = to_canonical(load_bvh(shared_data / "raw_bvh" / "bandai_1_kick_normal_001.bvh"))
    assert kick.skeleton != bvh.skeleton and kick.skeleton.layout == bvh.skeleton.layout
    joined = concatenate_motions([bvh, kick]).motion
    assert joined.joints.shape[1] == 21 and joined.num_frames > max(bvh.num_frames,
                                                                    kick.num_frames)
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


def test_patch_figure_of_a_composed_motion(pool, tmp_path):
    from motionlex.core.patches import motion_patch_image, part_resampling_matrix
    from motionlex.core.retrieval.figures import save_patch_figure

    pair = chronology_test_set(pool, 1, 0, events=(3,))[0]
    m = pair.motion.motion
    img = motion_patch_image(m.joints, part_resampling_matrix(m.skeleton))
    assert img.shape == (3, m.num_frames, 80)
    out = save_patch_figure(img, tmp_path / "composed.png", title=pair.caption)
    assert out.stat().st_size > 10_000
