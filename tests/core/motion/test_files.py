"""The one motion-file loader: .npy (dataset and loose) and .bvh files."""

from __future__ import annotations

import numpy as np
import pytest

from motionlex.core.motion.bvh import load_bvh
from motionlex.core.motion.files import KIT_FPS, load_motion_file, read_joints_file
from motionlex.core.motion.motion import CANONICAL_FPS, MotionFileError, to_canonical
from motionlex.core.motion.skeleton import get_skeleton


def _walk(num_frames: int = 30, scale: float = 1.0, joints: int = 22) -> np.ndarray:
    """A standing SMPL/KIT-sized body translating along +Z, in metres times ``scale``."""
    rng = np.random.default_rng(0)
    base = rng.uniform(-0.3, 0.3, (joints, 3)).astype(np.float32)
    base[:, 1] = np.linspace(0.0, 1.7, joints)
    t = np.arange(num_frames, dtype=np.float32)[:, None, None] * 0.02
    return (base[None] + t * np.array([0, 0, 1], np.float32)) * np.float32(scale)


def test_loose_npy_is_20fps_metres_and_canonical(tmp_path):
    path = tmp_path / "clip.npy"
    np.save(path, _walk())
    m = load_motion_file(path)
    assert m.fps == CANONICAL_FPS and m.skeleton.name == "smpl22" and m.name == "clip"
    assert m.joints.shape == (30, 22, 3) and m.joints.dtype == np.float32
    assert abs(float(m.joints[..., 1].min())) < 1e-5  # floor at 0
    raw = load_motion_file(path, canonical=False)
    np.testing.assert_allclose(raw.joints, _walk(), atol=1e-6)


def test_dataset_npy_detects_kit_fps_and_millimetres(tmp_path):
    folder = tmp_path / "kit" / "new_joints"
    folder.mkdir(parents=True)
    np.save(folder / "00001.npy", _walk(joints=21, scale=1000.0))
    m = read_joints_file(folder / "00001.npy")
    assert m.fps == KIT_FPS and m.skeleton.name == "kit21"
    np.testing.assert_allclose(m.joints, _walk(joints=21), atol=1e-4)
    assert load_motion_file(folder / "00001.npy").fps == CANONICAL_FPS  # resampled
    given = read_joints_file(folder / "00001.npy", skeleton=get_skeleton("kit21"), fps=25.0,
                             scale=0.001, name="x")
    assert given.fps == 25.0 and given.name == "x"


def test_real_files_match_their_readers(shared_data):
    npy = shared_data / "humanml3d_samples" / "new_joints" / "012314.npy"
    m = load_motion_file(npy)
    assert m.skeleton.name == "smpl22" and m.fps == CANONICAL_FPS
    bvh = shared_data / "raw_bvh" / "bandai_1_bow_normal_001.bvh"
    got = load_motion_file(bvh, skip_frames="auto", name="bow")
    want = to_canonical(load_bvh(bvh, skip_frames="auto", name="bow"))
    np.testing.assert_array_equal(got.joints, want.joints)
    assert got.name == "bow" and got.fps == CANONICAL_FPS


def test_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="motion file not found"):
        load_motion_file(tmp_path / "none.bvh")
    with pytest.raises(FileNotFoundError, match="motion file not found"):
        read_joints_file(tmp_path / "none.npy")
    (tmp_path / "x.csv").write_text("1,2,3")
    with pytest.raises(ValueError, match="expected a .npy joint file or a .bvh"):
        load_motion_file(tmp_path / "x.csv")
    np.save(tmp_path / "flat.npy", np.zeros((5, 66), np.float32))
    with pytest.raises(MotionFileError, match=r"flat.npy: expected joints \(T, J, 3\)"):
        load_motion_file(tmp_path / "flat.npy")
    np.save(tmp_path / "odd.npy", np.zeros((5, 7, 3), np.float32))
    with pytest.raises(MotionFileError, match="odd.npy"):
        load_motion_file(tmp_path / "odd.npy")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object))
    with pytest.raises(MotionFileError, match="not a plain numeric"):
        load_motion_file(tmp_path / "obj.npy")
    (tmp_path / "cut.npy").write_bytes(b"\x93NUMPY")
    with pytest.raises(MotionFileError, match="cut.npy"):
        load_motion_file(tmp_path / "cut.npy")
