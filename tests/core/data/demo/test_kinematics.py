"""Demo body kinematics: rest pose against HumanML3D, forward kinematics, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from motionlex.core.data.demo import kinematics
from motionlex.core.motion.skeleton import SMPL22

PARENTS = list(SMPL22.parents[1:])
HEAD, L_ANKLE = 15, 7


def _bones(joints: np.ndarray) -> np.ndarray:
    """(T, 21) bone lengths, metres."""
    j = np.asarray(joints, np.float64)
    return np.linalg.norm(j[:, 1:] - j[:, PARENTS], axis=-1)


def test_rest_pose_matches_humanml3d(shared_data, terminal_report):
    """The hard-coded body has HumanML3D's bone lengths (checked on the real sample files)."""
    files = sorted((shared_data / "humanml3d_samples" / "new_joints").glob("*.npy"))
    assert len(files) >= 3
    real = np.concatenate([_bones(np.load(f)) for f in files])  # every file, every frame
    assert real.std(axis=0).max() < 1e-4  # HumanML3D: one body for all clips
    real = np.median(real, axis=0)
    rest = _bones(kinematics.REST_POSE[None])[0]
    err = np.abs(rest - real)
    worst = int(err.argmax())
    assert err.max() < 0.01, f"bone to joint {worst + 1}: {rest[worst]:.4f} vs {real[worst]:.4f} m"
    # the demo body is exactly symmetric
    perm = SMPL22.mirror_permutation()
    mirrored = kinematics.REST_POSE[perm] * np.array([-1.0, 1.0, 1.0])
    np.testing.assert_allclose(mirrored, kinematics.REST_POSE, atol=1e-12)
    # stands on the floor, ~1.7 m person (head joint ~10 cm below the top of the head)
    assert kinematics.REST_POSE[:, 1].min() == pytest.approx(0.0, abs=0.005)
    head_real = max(float(np.load(f)[:, HEAD, 1].max()) for f in files[:1])
    assert kinematics.REST_POSE[HEAD, 1] == pytest.approx(head_real, abs=0.05)
    terminal_report.append(f"demo body vs HumanML3D bone lengths: max |diff| "
                           f"{1000 * err.max():.1f} mm, mean {1000 * err.mean():.1f} mm (21 bones)")


def test_forward_kinematics_rotates_about_parents():
    t = 3
    rot = np.tile(np.eye(3), (t, 22, 1, 1))
    root = np.tile(kinematics.REST_POSE[0], (t, 1))
    pos, glob = kinematics.forward_kinematics(rot, root)
    np.testing.assert_allclose(pos, np.tile(kinematics.REST_POSE, (t, 1, 1)), atol=1e-12)
    assert glob.shape == (t, 22, 3, 3)
    # knee flexion (+x) swings the shank backward; hip flexion (-x) swings the thigh forward
    knee = kinematics.euler_to_matrix(np.array([math.radians(90), 0.0, 0.0]))
    hip = kinematics.euler_to_matrix(np.array([math.radians(-90), 0.0, 0.0]))
    rot2 = rot.copy()
    rot2[:, 4] = knee
    pos2, _ = kinematics.forward_kinematics(rot2, root)
    assert pos2[0, L_ANKLE, 2] < kinematics.REST_POSE[4, 2] - 0.4
    assert pos2[0, L_ANKLE, 1] == pytest.approx(kinematics.REST_POSE[4, 1], abs=0.05)
    rot3 = rot.copy()
    rot3[:, 1] = hip
    pos3, _ = kinematics.forward_kinematics(rot3, root)
    assert pos3[0, 4, 2] > kinematics.REST_POSE[1, 2] + 0.35
    np.testing.assert_allclose(_bones(pos2), _bones(pos3), atol=1e-12)


@pytest.mark.parametrize("bad, match", [
    (lambda: kinematics.forward_kinematics(np.zeros((2, 21, 3, 3)), np.zeros((2, 3))),
     r"expected rotations \(T, 22, 3, 3\), got \(2, 21, 3, 3\)"),
    (lambda: kinematics.forward_kinematics(np.zeros((2, 22, 3, 3)), np.zeros((3, 3))),
     r"expected root_positions \(2, 3\), got \(3, 3\)"),
    (lambda: kinematics.forward_kinematics(np.zeros((2, 22, 3, 3)), np.zeros((2, 3)),
                                           rest_pose=np.zeros((21, 3))),
     r"expected rest_pose \(22, 3\), got \(21, 3\)"),
    (lambda: kinematics.forward_kinematics(np.zeros((2, 3, 3, 3)), np.zeros((2, 3)),
                                           rest_pose=np.zeros((3, 3)), parents=(-1, 2, 0)),
     r"every parent before its child, got \(-1, 2, 0\)"),
    (lambda: kinematics.euler_to_matrix(np.zeros((4, 2))),
     r"expected Euler angles \(\.\.\., 3\), got shape \(4, 2\)"),
])
def test_kinematics_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()


def test_track_keys_refuse_times_that_do_not_increase():
    """Bad keyframes are the caller's input: a ValueError (was a RuntimeError)."""
    track = kinematics.Track(np.linspace(0.0, 1.0, 21))
    track.keys([(0.0, {"knee": 0.0}), (0.5, {"knee": 40.0}), (1.0, {"knee": 0.0})])
    knee = track.get("knee")
    assert knee.shape == (21,) and knee[10] == pytest.approx(40.0) and knee.max() <= 40.0
    with pytest.raises(ValueError, match=r"^keyframe times must increase: \[0.0, 0.5, 0.5\]"):
        track.keys([(0.0, {"knee": 0.0}), (0.5, {"knee": 1.0}), (0.5, {"knee": 2.0})])
    np.testing.assert_array_equal(track.get("knee"), knee)  # nothing added
