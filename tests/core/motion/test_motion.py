"""Motion (core/motion/motion.py): its structure checks, canonical form, facing, resampling,
crops and mirroring, on real HumanML3D and Bandai files."""

from dataclasses import replace

import numpy as np
import pytest

from motionlex.core.motion.joint_arrays import load_joints_npy, make_motion
from motionlex.core.motion.motion import (
    Motion,
    facing_direction,
    facing_directions,
    mirror_motion,
    resample,
    to_canonical,
)
from motionlex.core.motion.skeleton import SMPL22, Skeleton


@pytest.fixture(scope="module")
def walk(shared_data) -> Motion:
    return load_joints_npy(shared_data / "humanml3d_samples" / "new_joints" / "000000.npy", SMPL22)


def test_facing_directions_of_every_frame_are_each_frames_facing_direction(shared_data):
    """A dash that turns: the vectorised facing of all frames is the one-pose function's,
    frame by frame, bit for bit; a frame without hip/shoulder extent is named."""
    m = load_joints_npy(shared_data / "bandai" / "new_joints" / "bn1_dash_active_001.npy", SMPL22)
    every = facing_directions(m.joints, SMPL22)
    assert every.shape == (m.num_frames, 3) and every.dtype == np.float64
    for t in range(m.num_frames):
        np.testing.assert_array_equal(every[t], facing_direction(m.joints[t], SMPL22))
    yaw = np.unwrap(np.arctan2(every[:, 0], every[:, 2]))
    assert np.ptp(yaw) > 0.5  # the clip turns: frames face different ways
    broken = m.joints.copy()
    broken[7:] = broken[7:, :1]  # every joint on the root from frame 7 on
    with pytest.raises(ValueError, match=r"^frame 7: cannot find a facing direction"):
        facing_directions(broken, SMPL22)
    with pytest.raises(ValueError, match=r"^cannot find a facing direction"):
        facing_direction(broken[9], SMPL22)
    holed = m.joints.copy()
    holed[3, 16] = np.nan  # a left shoulder lost in frame 3 (a raw array: Motion refuses NaN)
    with pytest.raises(ValueError, match=r"^frame 3: .* positions are not finite"):
        facing_directions(holed, SMPL22)


def test_facing_directions_takes_joints_and_skeleton_only(walk):
    """Its private ``_single`` switch (for :func:`facing_direction`'s messages) showed in the
    public signature; each function still names itself in its errors."""
    import inspect

    assert list(inspect.signature(facing_directions).parameters) == ["joints", "skeleton"]
    with pytest.raises(TypeError, match="unexpected keyword argument '_single'"):
        facing_directions(walk.joints, SMPL22, _single=True)
    with pytest.raises(TypeError, match=r"^facing_directions: skeleton must be a Skeleton"):
        facing_directions(walk.joints, 3)
    with pytest.raises(TypeError, match=r"^facing_direction: skeleton must be a Skeleton"):
        facing_direction(walk.joints[0], 3)


def test_canonical_form_properties(shared_data):
    m = load_joints_npy(shared_data / "bandai" / "new_joints" / "bn1_dash_active_001.npy", SMPL22)
    c = to_canonical(m)
    assert abs(float(c.joints[..., 1].min())) < 1e-5  # floor at 0
    np.testing.assert_allclose(c.joints[0, 0, [0, 2]], 0.0, atol=1e-5)  # root XZ at origin
    fwd = facing_direction(c.joints[0], SMPL22)
    np.testing.assert_allclose(fwd, [0.0, 0.0, 1.0], atol=1e-5)  # faces +Z
    assert c.joints[0, 1, 0] > c.joints[0, 2, 0]  # left hip at +x
    assert c.joints[0, 16, 0] > c.joints[0, 17, 0]  # left shoulder at +x
    # bone lengths survive the rigid transform
    b = SMPL22.bones()
    len_m = np.linalg.norm(m.joints[:, b[:, 1]] - m.joints[:, b[:, 0]], axis=-1)
    len_c = np.linalg.norm(c.joints[:, b[:, 1]] - c.joints[:, b[:, 0]], axis=-1)
    np.testing.assert_allclose(len_m, len_c, atol=1e-4)


def test_floor_is_set_by_body_joints_not_markers_or_props(walk):
    """A joint in no body-part chain (a prop or marker 30 cm under the floor) does not set
    the floor: the body lands as it would without it."""
    sk = Skeleton("with_marker", SMPL22.joint_names + ("marker",), SMPL22.parents + (0,),
                  SMPL22.chains)
    marker = walk.joints[:, :1].copy()
    marker[..., 1] = walk.joints[..., 1].min() - 0.3
    m = make_motion(np.concatenate([walk.joints, marker], axis=1), walk.fps, sk)
    c, ref = to_canonical(m), to_canonical(walk)
    np.testing.assert_allclose(c.joints[:, :22], ref.joints, atol=1e-5)
    assert float(c.joints[:, 22, 1].min()) == pytest.approx(-0.3, abs=1e-4)


def test_canonical_is_identity_on_canonical_data(walk):
    np.testing.assert_allclose(to_canonical(walk).joints, walk.joints, atol=1e-4)


def test_canonical_undoes_a_rotation(walk):
    ang = np.deg2rad(70.0)
    rot = np.array([[np.cos(ang), 0, np.sin(ang)], [0, 1, 0], [-np.sin(ang), 0, np.cos(ang)]])
    moved = make_motion(walk.joints @ rot.T.astype(np.float32) + [3.0, 0.5, -2.0], 20.0, SMPL22)
    np.testing.assert_allclose(to_canonical(moved).joints, to_canonical(walk).joints, atol=1e-4)


def test_resample_keeps_duration(walk):
    r = resample(walk, 12.5)
    assert r.fps == 12.5
    assert abs(r.duration - walk.duration) < 2 / 12.5
    back = resample(r, 20.0)
    assert back.fps == 20.0
    np.testing.assert_allclose(r.joints[0], walk.joints[0])
    # frame 3 at 12.5 fps is t = 0.24 s: source frame 4.8, linear between frames 4 and 5
    np.testing.assert_allclose(r.joints[3], 0.2 * walk.joints[4] + 0.8 * walk.joints[5],
                               atol=1e-5)
    # there and back: the walk comes back (a few cm at most where a foot turns fast)
    n = min(back.num_frames, walk.num_frames)
    err = np.linalg.norm(back.joints[:n] - walk.joints[:n], axis=-1)
    assert n >= walk.num_frames - 2 and np.median(err) < 0.002 and err.max() < 0.06
    for bad in (0, -20.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="fps must be finite and > 0"):
            resample(walk, bad)
    with pytest.raises(ValueError, match="give"):
        resample(make_motion(walk.joints[:2], 20.0, SMPL22), 1.0)


def test_mirror_twice_is_identity_and_left_right_swap(walk):
    m = mirror_motion(walk)
    np.testing.assert_array_equal(mirror_motion(m).joints, walk.joints)
    np.testing.assert_allclose(m.joints[:, 1, 0], -walk.joints[:, 2, 0])  # l_hip <- -r_hip.x
    assert m.joints[0, 1, 0] > m.joints[0, 2, 0]  # still left at +x


def test_crop_seconds(walk):
    assert walk.crop_seconds(0.0, 0.0) is walk
    assert walk.crop_seconds(1.0, 2.0).num_frames == 20
    with pytest.raises(ValueError, match="keeps"):
        walk.crop_seconds(5.0, 5.01)
    with pytest.raises(ValueError, match=r"span 100.00-200.00 s starts after the clip's end "
                                         r"\(5.80 s\)"):
        walk.crop_seconds(100.0, 200.0)  # it said "keeps -1915 frame(s)"


def test_a_caption_span_of_a_canonical_motion_is_canonical_again(shared_data):
    m = to_canonical(load_joints_npy(
        shared_data / "bandai" / "new_joints" / "bn1_dash_active_001.npy", SMPL22))
    plain = m.crop_seconds(1.0, 2.5)
    assert np.abs(plain.joints[0, 0, [0, 2]]).max() > 0.05  # a dash has moved by 1 s
    crop = m.crop_seconds(1.0, 2.5, canonical=True)
    assert crop.num_frames == plain.num_frames == 30 and crop.fps == m.fps
    assert np.abs(crop.joints[0, 0, [0, 2]]).max() < 1e-5  # pelvis at XZ = 0
    fwd = facing_direction(crop.joints[0], SMPL22)
    assert fwd[2] > 0.99  # facing +Z on the crop's first frame
    # heights are the whole clip's (HumanML3D's crops keep its floor): a crop spent in the
    # air or on a step is not pulled down to y = 0
    assert np.allclose(crop.joints[..., 1], plain.joints[..., 1], atol=1e-5)
    assert float(crop.joints[..., 1].min()) >= -1e-5
    high = replace(m, joints=m.joints + np.array([0.0, 0.4, 0.0], np.float32))  # on a step
    assert float(high.crop_seconds(1.0, 2.5, canonical=True).joints[..., 1].min()) > 0.39
    # the body's shape is kept: bone lengths unchanged by the rigid move
    bone = lambda j: np.linalg.norm(j[:, 18] - j[:, 16], axis=-1)  # noqa: E731
    assert np.allclose(bone(crop.joints), bone(plain.joints), atol=1e-5)


def test_npy_with_an_unclosed_header_dict_names_the_file(tmp_path):
    """Fuzz finding (issue 15): a damaged header whose dict never closes made NumPy raise
    tokenize.TokenError; now a MotionFileError naming the file."""
    import io

    from motionlex.core.motion.file_checks import MotionFileError, read_npy

    buf = io.BytesIO()
    np.save(buf, np.zeros((4, 22, 3), np.float32))
    raw = bytearray(buf.getvalue())
    end = raw.index(b"}")
    raw[end] = ord(" ")  # the header dict is never closed
    path = tmp_path / "broken.npy"
    path.write_bytes(bytes(raw))
    with pytest.raises(MotionFileError, match="broken.npy"):
        read_npy(path)


def test_upright_is_an_angle_from_y_that_turning_about_y_keeps(shared_data):
    """Bandai's sad walk leans 45 degrees: upright as read, and (with the old test, +Y the
    largest component) not once canonical, facing +Z, where the lean is all in z: the scan
    named it a Z-up export. A Z-up copy and a figure lying down are not upright."""
    from motionlex.core.motion.file_checks import is_y_up
    from motionlex.core.motion.files import load_motion_file

    path = shared_data / "bandai" / "new_joints" / "bn1_walk-left_sad_001.npy"
    raw = load_motion_file(path, canonical=False)
    canonical = load_motion_file(path)
    assert is_y_up(raw.joints, raw.skeleton) and is_y_up(canonical.joints, canonical.skeleton)
    stand = load_motion_file(shared_data / "humanml3d_samples" / "new_joints" / "000000.npy")
    assert is_y_up(stand.joints, stand.skeleton)
    zup = stand.joints[:, :, [0, 2, 1]]  # a Y-up clip as a Z-up export holds it: along +Z
    assert not is_y_up(zup, stand.skeleton)
    upside_down = stand.joints * np.array([1.0, -1.0, 1.0], np.float32)
    assert not is_y_up(upside_down, stand.skeleton)


def test_motion_checks_its_structure_when_made(walk):
    """Motion(raw, 20.0, "smpl22") was accepted and failed at encoding ("'str' object has no
    attribute 'chains'"); fps 0 failed with ZeroDivisionError later."""
    with pytest.raises(TypeError, match=r"must be a Skeleton, not str .*get_skeleton"):
        Motion(walk.joints, 20.0, "smpl22")
    with pytest.raises(ValueError, match="frame rate must be a number > 0, got 0.0"):
        Motion(walk.joints, 0.0, SMPL22)
    with pytest.raises(ValueError, match=r"joints must be \(T >= 2, 22, 3\) for smpl22, got "
                                         r"\(1, 22, 3\)"):
        Motion(walk.joints[:1], 20.0, SMPL22)
    with pytest.raises(ValueError, match=r"got \(40, 21, 3\)"):
        Motion(walk.joints[:40, :21], 20.0, SMPL22)
    m = Motion(walk.joints, 20.0, SMPL22, name="walk")
    assert repr(m) == (f"Motion(name='walk', T={walk.num_frames}, J=22, fps=20, "
                       "skeleton='smpl22', source=None)")


def test_canonical_centres_the_pelvis_not_a_marker_at_the_tree_root(shared_data):
    """A rig whose tree root is a marker 3 m aside (kept as a joint, parent of the pelvis):
    the canonical form puts the pelvis, the torso chain's first joint, at XZ = 0 on frame
    0, as for any skeleton, not the marker."""
    j = np.load(shared_data / "humanml3d_samples" / "new_joints" / "012314.npy")
    shift = lambda chain: tuple(k + 1 for k in chain)  # noqa: E731
    rig = Skeleton("marker23", ("Marker", *SMPL22.joint_names),
                   (-1, *(0 if p < 0 else p + 1 for p in SMPL22.parents)),
                   tuple(shift(c) for c in SMPL22.chains),
                   tuple(shift(p) for p in SMPL22.mirror_pairs))
    marker = np.zeros((len(j), 1, 3), np.float32)
    marker[..., 0] = j[:1, 0, 0] + 3.0
    m = to_canonical(make_motion(np.concatenate([marker, j], axis=1), 20.0, rig))
    np.testing.assert_allclose(m.joints[0, 1, [0, 2]], 0.0, atol=1e-5)
    assert np.linalg.norm(m.joints[0, 0, [0, 2]]) == pytest.approx(3.0, abs=1e-3)


def test_a_caption_span_starts_at_the_frame_its_start_time_falls_in(shared_data):
    """0.52-2.0 s of a 20 fps clip: frames 10 (0.50-0.55 s, where 0.52 s falls) to 39, as
    HumanML3D's ``int(start * fps)`` crops."""
    j = np.load(shared_data / "humanml3d_samples" / "new_joints" / "012314.npy")[:60]
    m = make_motion(j, 20.0, SMPL22)
    c = m.crop_seconds(0.52, 2.0)
    assert c.num_frames == 30
    np.testing.assert_array_equal(c.joints, m.joints[10:40])


def test_motions_compare_by_identity_and_hash(walk):
    """A Motion (a frozen dataclass over a joints array) compares by identity: the generated
    ``__eq__`` raised "truth value of an array is ambiguous" and ``hash`` raised TypeError
    (code review 36 F2). Equal joints are compared with ``np.array_equal``, as here."""
    copy = replace(walk, joints=walk.joints.copy())
    assert walk == walk and walk != copy and len({walk, copy, walk}) == 2
    assert np.array_equal(walk.joints, copy.joints)
