"""Frames pasted in front of a capture: the BVH rule and the joint-file rule, on
synthetic steps and on the shared data's CMU conversions (a Daz-flavour .npy against the
same take read from BVH)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from motionlex.core.motion.bvh import load_bvh
from motionlex.core.motion.files import load_motion_file, read_joints_file
from motionlex.core.motion.motion import to_canonical
from motionlex.core.motion.pasted_frames import leading_inserted_frames, pasted_first_frame


def test_leading_inserted_frames_rule():
    t = np.linspace(0, 1, 50)  # steps of 0.02
    walk = np.stack([np.stack([t, np.zeros_like(t), np.zeros_like(t)], -1)] * 3, axis=1)
    assert leading_inserted_frames(walk, 20.0) == 0
    jumped = walk.copy()
    jumped[0] += 0.5
    assert leading_inserted_frames(jumped, 20.0) == 1
    assert leading_inserted_frames(jumped[:3], 20.0) == 1  # 2 frames are left
    assert leading_inserted_frames(jumped[:2], 20.0) == 0
    blend = walk.copy()  # a pasted frame, then 3 frames blending back into the motion
    for k, off in enumerate((0.8, 0.4, 0.2, 0.1)):
        blend[k] += off
    assert leading_inserted_frames(blend, 20.0) == 4
    assert leading_inserted_frames(blend, 10.0) == 2  # at most 0.25 s
    # a fast first step that a later step outdoes is motion, not a pasted frame
    kick = jumped.copy()
    kick[30:] += 1.0
    assert leading_inserted_frames(kick, 20.0) == 0


def _walk(n: int = 50) -> np.ndarray:
    t = np.linspace(0, 1, n)  # steps of 1/(n-1)
    return np.stack([np.stack([t, np.zeros_like(t), np.zeros_like(t)], -1)] * 3, axis=1)


def test_pasted_first_frame_rule():
    walk = _walk()
    assert pasted_first_frame(walk) == 0
    pasted = walk.copy()
    pasted[0] += 0.1  # a jump of about 5 typical steps, then the walk's own pace
    assert pasted_first_frame(pasted) == 1
    assert pasted_first_frame(pasted[:3]) == 0  # too short to judge
    # a fast start that keeps its pace over the next frames is motion (Bandai's brisk raises)
    fast = walk.copy()
    fast[:4] -= np.array([0.3, 0.2, 0.1, 0.0])[:, None, None]
    assert pasted_first_frame(fast) == 0
    # a jump that later steps match is the clip's own pace
    paced = walk.copy()
    paced[0] += 0.1
    paced[10:] += 0.1
    assert pasted_first_frame(paced) == 0  # step 9 is as large: not the clip's fastest



def test_a_joint_file_loses_its_pasted_first_frame_only_when_asked(shared_data, caplog):
    npy = shared_data / "cmu_kitml" / "new_joints" / "02702.npy"
    stored = np.load(npy)
    with caplog.at_level("INFO", logger="motionlex.core.motion.files"):
        auto = read_joints_file(npy)
    assert auto.num_frames == len(stored) - 1
    np.testing.assert_allclose(auto.joints, stored[1:], atol=1e-6)
    assert "02702.npy: frame 0 is pasted in front of the capture" in caplog.text
    assert read_joints_file(npy, skip_frames=0).num_frames == len(stored)
    assert load_motion_file(npy, skip_frames=0, canonical=False).num_frames == len(stored)
    with pytest.raises(ValueError, match="02702.npy: skip_frames must be 'auto' or an int"):
        read_joints_file(npy, skip_frames=len(stored))


def test_the_daz_conversion_lands_where_its_bvh_take_does(shared_data):
    """cmu_07_03 read from its Daz BVH (T-pose and blend dropped) and from its cmu_kitml
    conversion: the same body on the same floor once the conversion's pasted frame 0 goes
    (before: the whole clip 62 mm higher)."""
    index = json.loads((shared_data / "raw_bvh" / "index.json").read_text())
    entry = index["cmu_07_03_daz.bvh"]
    bvh = to_canonical(load_bvh(shared_data / "raw_bvh" / entry["file"],
                                fps=entry.get("true_fps")))
    npy = load_motion_file(shared_data / "cmu_kitml" / "new_joints" / "02702.npy")
    pelvis_bvh = bvh.joints[:, bvh.skeleton.chains[0][0], 1]
    n = min(len(pelvis_bvh), npy.num_frames)
    dy = float(np.median(npy.joints[:n, 0, 1] - pelvis_bvh[:n]))
    assert abs(dy) < 0.005, f"pelvis heights differ by {dy * 1000:.1f} mm"
    kept = load_motion_file(shared_data / "cmu_kitml" / "new_joints" / "02702.npy",
                            skip_frames=0)
    assert float(np.median(kept.joints[:n, 0, 1] - pelvis_bvh[:n])) > 0.04  # the old offset


def test_captured_clips_lose_nothing(shared_data):
    """No first frame dropped from clips without a pasted pose: every HumanML3D sample,
    every CMU conversion of another flavour than Daz, and a spread of Bandai clips (their
    brisk starts included)."""
    files = sorted((shared_data / "humanml3d_samples" / "new_joints").glob("*.npy"))
    for ds in ("cmu_kitml", "cmu_extra"):
        meta = json.loads((shared_data / ds / "meta.json").read_text())
        files += [shared_data / ds / "new_joints" / f"{k}.npy" for k, v in meta.items()
                  if isinstance(v, dict) and v.get("bvh_flavour") != "daz"]
    bandai = sorted((shared_data / "bandai" / "new_joints").glob("*.npy"))
    files += bandai[::15] + [f for f in bandai if "raise-up-both-hands_active_05" in f.name]
    assert len(files) > 250
    dropped = [f.name for f in files if pasted_first_frame(np.load(f))]
    assert dropped == []
