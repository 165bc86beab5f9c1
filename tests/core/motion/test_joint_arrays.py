"""Joint arrays made into a Motion (core/motion/joint_arrays.py): make_motion's checks of
shape, values and units, and .npy joint files read by load_joints_npy."""

import numpy as np
import pytest

from motionlex.core.motion.file_checks import MotionFileError
from motionlex.core.motion.joint_arrays import load_joints_npy, make_motion
from motionlex.core.motion.motion import Motion
from motionlex.core.motion.skeleton import SMPL22


@pytest.fixture(scope="module")
def walk(shared_data) -> Motion:
    """HumanML3D's sample 000000 as load_joints_npy reads it."""
    return load_joints_npy(shared_data / "humanml3d_samples" / "new_joints" / "000000.npy", SMPL22)


def test_load_real_humanml3d(walk):
    assert walk.joints.dtype == np.float32 and walk.joints.shape == (116, 22, 3)
    assert walk.fps == 20.0 and walk.name == "000000"


@pytest.mark.parametrize(
    "arr, match",
    [
        (np.zeros((10, 21, 3)), "has 22 joints, the file has 21"),
        (np.zeros((10, 22)), r"shape \(T, J, 3\)"),
        (np.zeros((1, 22, 3)), "at least 2"),
        (np.full((10, 22, 3), np.nan), "NaN or inf"),
        (np.array([["a"]]), "not numeric"),
    ],
)
def test_validation_errors(arr, match):
    with pytest.raises(MotionFileError, match=match):
        make_motion(arr, 20.0, SMPL22, source="bad.npy")


def test_units_errors_name_file(walk):
    with pytest.raises(MotionFileError, match="mm.npy.*millimetres"):
        make_motion(walk.joints * 1000.0, 20.0, SMPL22, source="mm.npy")
    with pytest.raises(MotionFileError, match="collapsed"):
        make_motion(walk.joints * 0.001, 20.0, SMPL22, source="tiny.npy")
    with pytest.raises(MotionFileError, match="frame rate"):
        make_motion(walk.joints, 0.0, SMPL22, source="x.npy")


def test_bad_files(tmp_path, walk):
    with pytest.raises(FileNotFoundError, match="motion file not found"):
        load_joints_npy(tmp_path / "none.npy", SMPL22)
    good = tmp_path / "good.npy"
    np.save(good, walk.joints)
    trunc = tmp_path / "trunc.npy"
    trunc.write_bytes(good.read_bytes()[:500])
    with pytest.raises(MotionFileError, match="trunc.npy"):
        load_joints_npy(trunc, SMPL22)
    text = tmp_path / "text.npy"
    text.write_text("this is not an array")
    with pytest.raises(MotionFileError, match="text.npy"):
        load_joints_npy(text, SMPL22)
    obj = tmp_path / "obj.npy"
    np.save(obj, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(MotionFileError, match="obj.npy"):
        load_joints_npy(obj, SMPL22)


def test_array_joint_count_error_says_array_and_names_the_skeleton_of_that_count(walk):
    """An in-memory array is "the array", not "the file"; 21 joints point to 'kit21' and 22
    to 'smpl22' (the audit's make_motion(j[:, :21], 20, "smpl22") said "the file has 21")."""
    from motionlex.core.motion.skeleton import KIT21

    with pytest.raises(MotionFileError, match=r"^<array>: skeleton 'smpl22' has 22 joints, "
                       r"the array has 21; 21 joints is the built-in skeleton 'kit21'"):
        make_motion(walk.joints[:, :21], 20.0, "smpl22")
    with pytest.raises(MotionFileError, match=r"the array has 22; .*'smpl22' as its skeleton"):
        make_motion(walk.joints, 20.0, KIT21)
    with pytest.raises(MotionFileError, match=r"the array has 20$"):  # no skeleton has 20
        make_motion(walk.joints[:, :20], 20.0, "smpl22")
    with pytest.raises(MotionFileError, match=r"^w.npy: .* the file has 21; .*'kit21'"):
        make_motion(walk.joints[:, :21], 20.0, "smpl22", source="w.npy")
