"""Misuse of the motion API from Python (audit 25y): NaN joints, frame rates of the wrong
value or type, arrays where a Motion is expected, negative crop times. Each case starts from
a real HumanML3D file in ../shared/data; valid calls are checked to give what they gave."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from motionlex.core.motion.file_checks import MotionFileError
from motionlex.core.motion.files import load_motion_file
from motionlex.core.motion.joint_arrays import make_motion
from motionlex.core.motion.motion import (
    Motion,
    mirror_motion,
    resample,
    to_canonical,
)
from motionlex.core.motion.skeleton import SMPL22

WALK = "humanml3d_samples/new_joints/000000.npy"
BOW = "raw_bvh/bandai_1_bow_normal_001.bvh"


@pytest.fixture(scope="module")
def walk(shared_data) -> Motion:
    return load_motion_file(shared_data / WALK, canonical=False)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_motion_with_non_finite_joints_is_refused_naming_frame_and_joint(walk, bad):
    """A single NaN was accepted and became a whole clip of NaN in to_canonical (7656
    NaNs) and an all-NaN embedding."""
    joints = walk.joints.copy()
    joints[3, 5, 0] = bad
    joints[7, 0, 2] = bad
    with pytest.raises(ValueError, match=r"walk: NaN or inf joints in 2 frame\(s\), first at "
                                         r"frame 3, joint 5 \(r_knee\)"):
        Motion(joints, 20.0, SMPL22, name="walk")
    with pytest.raises(ValueError, match="NaN or inf"):  # replace() checks again
        replace(walk, joints=joints)


def test_finite_check_keeps_memory_mapped_joints_and_valid_motions(walk, shared_data):
    mm = np.load(shared_data / WALK, mmap_mode="r")
    m = Motion(mm, 20.0, SMPL22)
    assert isinstance(m.joints, np.memmap)  # checked in place, not copied
    ints = Motion(np.round(walk.joints * 1000).astype(np.int64), 20.0, SMPL22)
    assert ints.joints.dtype == np.int64  # integers hold no NaN: kept as they were
    np.testing.assert_array_equal(to_canonical(Motion(mm, 20.0, SMPL22)).joints,
                                  to_canonical(walk).joints)


def test_motion_refuses_bool_fps_lists_and_non_numeric_joints(walk):
    with pytest.raises(TypeError, match=r"frame rate must be a number .*got bool True"):
        Motion(walk.joints, True, SMPL22)
    with pytest.raises(TypeError, match=r"joints must be an array \(T, 22, 3\), got list "
                                        r"\(make_motion"):
        Motion(walk.joints.tolist(), 20.0, SMPL22)
    with pytest.raises(TypeError, match="joints must be numeric .*dtype object"):
        Motion(walk.joints.astype(object), 20.0, SMPL22)


def test_load_motion_file_fps_zero_is_no_default(shared_data, walk):
    """fps=0 loaded the file at 20 fps (``fps or default``); -20 and 0 on a BVH were refused."""
    for bad in (0, 0.0, -20):
        with pytest.raises(MotionFileError, match=rf"frame rate {bad:g} fps is outside "
                                                  r"\[1, 1000\] fps"):
            load_motion_file(shared_data / WALK, fps=bad)
    assert load_motion_file(shared_data / WALK, fps=20).fps == 20.0
    np.testing.assert_array_equal(load_motion_file(shared_data / WALK, canonical=False).joints,
                                  walk.joints)
    assert load_motion_file(shared_data / WALK, fps=40, canonical=False).fps == 40.0


@pytest.mark.parametrize("bad, shown", [("20", "str '20'"), (True, "bool True"),
                                        ([20], "list")])
def test_fps_of_the_wrong_type_is_a_type_error_naming_it(shared_data, walk, bad, shown):
    """fps="20" failed inside numpy ("ufunc 'isfinite' not supported for the input types")."""
    for path in (shared_data / WALK, shared_data / BOW):
        with pytest.raises(TypeError, match=rf"^fps must be a number \(frames per second\), "
                                            rf"got {shown}"):
            load_motion_file(path, fps=bad)
    with pytest.raises(TypeError, match=rf"frame rate must be a number .*got {shown}"):
        make_motion(walk.joints, bad, SMPL22)
    with pytest.raises(TypeError, match=rf"^target fps must be a number .*got {shown}"):
        resample(walk, bad)
    with pytest.raises(TypeError, match=rf"^target fps must be a number .*got {shown}"):
        to_canonical(walk, fps=bad)
    with pytest.raises(TypeError, match="frame rate must be a number .*got NoneType"):
        make_motion(walk.joints, None, SMPL22)


def test_resample_is_capped_at_the_loaders_frame_rate_range(walk):
    """fps=1e7 tried to allocate 14.1 GiB."""
    for call in (lambda f: resample(walk, f), lambda f: to_canonical(walk, f)):
        with pytest.raises(ValueError, match=r"target fps 1e\+07 is above 1000 fps, the "
                                             r"highest frame rate .*116 frames at 20 fps would "
                                             r"become about 5\.8e\+07 frames"):
            call(1e7)
    top = resample(walk, 1000.0)  # the top of the loader's range [1, 1000] fps
    assert top.fps == 1000.0 and top.num_frames == 5751


def test_arrays_where_a_motion_is_expected_are_type_errors(walk):
    """They failed with AttributeError: 'numpy.ndarray' object has no attribute 'fps'."""
    for name, call in (("to_canonical", to_canonical), ("mirror_motion", mirror_motion),
                       ("resample", lambda j: resample(j, 10.0))):
        for bad, kind in ((walk.joints, "ndarray"), (walk.joints.tolist(), "list"),
                          (None, "NoneType")):
            with pytest.raises(TypeError, match=rf"^{name} expected a Motion \(make_motion\("
                                                rf"joints, fps, skeleton\) builds one\), got "
                                                rf"{kind}$"):
                call(bad)


def test_make_motion_takes_a_built_in_skeleton_name(walk):
    """make_motion(J, 20, "smpl22") failed with "'str' object has no attribute 'num_joints'"."""
    by_name = make_motion(walk.joints, 20, "smpl22")
    assert by_name.skeleton is SMPL22
    np.testing.assert_array_equal(by_name.joints, make_motion(walk.joints, 20, SMPL22).joints)
    with pytest.raises(ValueError, match=r"unknown skeleton 'smpl23'; built-in skeletons: "
                                         r"\['kit21', 'smpl22'\]"):
        make_motion(walk.joints, 20, "smpl23")
    with pytest.raises(TypeError, match="skeleton must be a Skeleton or a built-in skeleton's "
                                        "name .*got int"):
        make_motion(walk.joints, 20, 22)


def test_every_skeleton_argument_takes_a_built_in_name(walk, shared_data, tmp_path):
    """read_joints_file(..., skeleton="smpl22") and MotionDataset(..., skeleton="smpl22")
    failed with "'str' object has no attribute 'name'", and (joints, "smpl22") given to the
    encoders was called "a tuple"; make_motion already took the name."""
    from motionlex.core.data.datasets import MotionDataset
    from motionlex.core.motion.files import read_joints_file
    from motionlex.core.patch_batches import motion_pairs

    f = shared_data / "humanml3d_samples" / "new_joints" / "000000.npy"
    assert read_joints_file(f, skeleton="smpl22").skeleton is SMPL22
    np.testing.assert_array_equal(read_joints_file(f, skeleton="smpl22").joints,
                                  read_joints_file(f, skeleton=SMPL22).joints)
    ds = MotionDataset(shared_data / "bandai", "val", skeleton="smpl22")
    assert ds.load_motion(ds.records[0]).skeleton is SMPL22
    assert motion_pairs([(walk.joints, "smpl22")])[0][1] is SMPL22
    with pytest.raises(ValueError, match=r"motions\[0\]: unknown skeleton 'smpl24'"):
        motion_pairs([(walk.joints, "smpl24")])
    with pytest.raises(TypeError, match=r"motions\[0\]: skeleton must be a Skeleton"):
        motion_pairs([(walk.joints, 22)])
    with pytest.raises(ValueError, match=rf"{f}: unknown skeleton 'kit'"):
        read_joints_file(f, skeleton="kit")
    # ... and the exporters and pose helpers ("'str' object has no attribute 'num_joints'")
    from motionlex.core.data.pairs import mirror_joints
    from motionlex.core.motion.export import export_bvh
    from motionlex.core.motion.files import load_motion_file
    from motionlex.core.motion.motion import facing_direction

    np.testing.assert_array_equal(mirror_joints(walk.joints, "smpl22"),
                                  mirror_joints(walk.joints, SMPL22))
    np.testing.assert_array_equal(facing_direction(walk.joints[0], "smpl22"),
                                  facing_direction(walk.joints[0], SMPL22))
    out = export_bvh(tmp_path / "w.bvh", walk.joints, 20, "smpl22")
    assert load_motion_file(out).num_frames == walk.num_frames


def test_an_array_says_what_the_file_loader_says(walk, caplog):
    """A Z-up array and a (J, 3, T) array: the file loader warned about the one and named the
    transpose for the other; make_motion took the first silently and gave no hint."""
    with caplog.at_level("WARNING"):
        make_motion(walk.joints, 20, "smpl22")
    assert not caplog.records  # upright: nothing said
    with caplog.at_level("WARNING"):
        make_motion(np.ascontiguousarray(walk.joints[..., [0, 2, 1]]), 20, "smpl22")
    assert [r.getMessage().split(": pelvis->head")[0] for r in caplog.records] == ["<array>"]
    assert "not along +Y" in caplog.records[0].getMessage()
    with pytest.raises(MotionFileError, match=r"got \(22, 3, \d+\); the axes look transposed "
                                              r"\(22 joints on axis 0, xyz on axis 1\): "
                                              r"reorder them, e.g. np.transpose\(a, \(2, 0, 1\)\)"):
        make_motion(walk.joints.transpose(1, 2, 0), 20, "smpl22")


def test_crop_seconds_refuses_negative_or_non_finite_times(walk):
    """crop_seconds(-5, -1) returned the whole clip."""
    for start, end, what in ((-5.0, -1.0, "start"), (1.0, -1.0, "end"),
                             (float("nan"), 1.0, "start"), (0.0, float("inf"), "end")):
        with pytest.raises(ValueError, match=rf"crop {what} must be a finite number of "
                                             r"seconds >= 0"):
            walk.crop_seconds(start, end)
    assert walk.crop_seconds(0.0, 0.0) is walk
    assert walk.crop_seconds(1.0, 2.0).num_frames == 20
    assert walk.crop_seconds(1.0, 0.0).num_frames == walk.num_frames - 20  # end 0: to the end
