"""BVH writing from joint positions, read back with the project's own parser (core/motion/bvh.py).

Round trips run on every real motion in ../shared/data/humanml3d_samples (HumanML3D,
SMPL-22) and ../shared/data/cmu_kitml (CMU trials converted to SMPL-22 from several BVH
layouts). The shared data has no KIT-21 joint arrays, so the KIT-21 test maps real SMPL-22
clips onto the KIT-ML tree. Errors are measured against what a rotation-only BVH can hold:
a bone keeps one length (its median) and a joint moves all its children rigidly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from motionlex.app.export import export_bvh
from motionlex.core.motion.bvh import forward_kinematics, load_bvh
from motionlex.core.motion.bvh_parse import read_bvh
from motionlex.core.motion.bvh_write import (
    euler_channels,
    local_rotations,
    rest_offsets,
    write_bvh,
)
from motionlex.core.motion.files import load_motion_file
from motionlex.core.motion.motion import mirror_motion
from motionlex.core.motion.skeleton import KIT21, SMPL22, Skeleton, side_check
from motionlex.core.patches import POINTS_PER_PART, part_resampling_matrix
from motionlex.core.retrieval.fingerprints import file_sha256

SMPL_LEAVES = {"l_foot", "r_foot", "head", "l_wrist", "r_wrist"}
# KIT-ML joint <- SMPL joint(s) (averaged): a real motion on the KIT-21 tree.
KIT_FROM_SMPL = {
    "root": [0], "BP": [3], "BT": [6], "BLN": [12], "BUN": [15], "RS": [17], "RE": [19],
    "RW": [21], "LS": [16], "LE": [18], "LW": [20], "RH": [2], "RK": [5], "RA": [8],
    "RMrot": [8, 11], "RF": [11], "LH": [1], "LK": [4], "LA": [7], "LMrot": [7, 10], "LF": [10],
}


def _clips(shared_data: Path, folder: str) -> list[tuple[str, np.ndarray]]:
    files = sorted((shared_data / folder / "new_joints").glob("*.npy"))
    assert files, f"no clips in {folder}"
    return [(f.stem, np.load(f)) for f in files]


def _read_back(path: Path, skeleton: Skeleton, unit_m: float = 0.01) -> np.ndarray:
    """``(T, J, 3)`` metres in the skeleton's joint order, via read_bvh + forward_kinematics."""
    bvh = read_bvh(path)
    pos = forward_kinematics(bvh) * unit_m
    order = [bvh.joint_names.index(n) for n in skeleton.joint_names]
    return pos[:, order]


def _bone_vectors(x: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    par = np.asarray(skeleton.parents)
    x = np.asarray(x, np.float64)
    return x - x[:, np.where(par < 0, skeleton.root, par)]


def _length_bound(x: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """``(T, J)`` metres: summed |bone length - median| from the root to each joint."""
    dev = np.linalg.norm(_bone_vectors(x, skeleton), axis=-1)
    dev = np.abs(dev - np.median(dev, axis=0))
    out = np.zeros_like(dev)
    for j in range(skeleton.num_joints):
        k = j
        while skeleton.parents[k] >= 0:
            out[:, j] += dev[:, k]
            k = skeleton.parents[k]
    return out


def _rigid_siblings(x: np.ndarray, skeleton: Skeleton, tol_deg: float = 0.5) -> bool:
    """Whether every pair of sibling bones keeps its angle (within ``tol_deg``) over time."""
    vec = _bone_vectors(x, skeleton)
    vec /= np.maximum(np.linalg.norm(vec, axis=-1, keepdims=True), 1e-12)
    for j in range(skeleton.num_joints):
        kids = [c for c, p in enumerate(skeleton.parents) if p == j]
        for a in range(len(kids)):
            for b in range(a + 1, len(kids)):
                cos = np.clip((vec[:, kids[a]] * vec[:, kids[b]]).sum(-1), -1, 1)
                ang = np.degrees(np.arccos(cos))
                if ang.max() - ang.min() > tol_deg:
                    return False
    return True


def _single_child_bones(skeleton: Skeleton) -> list[int]:
    """Joints whose parent has only this child (their direction is matched exactly)."""
    count = np.bincount([p for p in skeleton.parents if p >= 0], minlength=skeleton.num_joints)
    return [c for c, p in enumerate(skeleton.parents) if p >= 0 and count[p] == 1]


def _direction_error_deg(a: np.ndarray, b: np.ndarray, skeleton: Skeleton) -> float:
    ids = _single_child_bones(skeleton)
    va, vb = _bone_vectors(a, skeleton)[:, ids], _bone_vectors(b, skeleton)[:, ids]
    cos = (va * vb).sum(-1) / np.linalg.norm(va, axis=-1) / np.linalg.norm(vb, axis=-1)
    return float(np.degrees(np.arccos(np.clip(cos, -1, 1))).max())


def _part_points(joints: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """``(T, 5 * N, 3)`` motion-patch sample points of ``(T, J, 3)`` joints."""
    return np.einsum("pj,tjc->tpc", part_resampling_matrix(skeleton), joints)


def _kit_from_smpl(smpl: np.ndarray) -> np.ndarray:
    return np.stack([smpl[:, KIT_FROM_SMPL[n]].mean(axis=1) for n in KIT21.joint_names], 1)


# ------------------------------------------------------------------------- round trips
def test_round_trip_humanml3d_exact(shared_data, tmp_path, terminal_report):
    errs = []
    for name, x in _clips(shared_data, "humanml3d_samples"):
        out = write_bvh(tmp_path / f"{name}.bvh", x, SMPL22, 20.0)
        back = _read_back(out, SMPL22)
        assert back.shape == x.shape
        e = np.linalg.norm(back - x, axis=-1)
        # HumanML3D's retargeted skeleton is rigid: only formatting error remains
        bound = _length_bound(x, SMPL22) + 1e-5
        assert (e <= bound).all(), f"{name}: error {e.max() * 1e3:.4f} mm above the bound"
        errs.append(e.ravel())
    e = np.concatenate(errs) * 1e3
    assert e.max() < 0.01
    terminal_report.append(f"BVH round trip, HumanML3D SMPL-22 ({len(errs)} clips): "
                           f"mean {e.mean():.5f} mm, max {e.max():.5f} mm")


def test_exported_smpl22_loads_back_on_the_floor(shared_data, tmp_path, terminal_report):
    """A HumanML3D clip exported to BVH and loaded by the BVH loader is its source again.

    The written file names SMPL's joints (``l_ankle`` above the toe joint ``l_foot``); the
    loader must end the legs at the toes, so that the floor is the toes' and not the
    ankles' (was 4-5 cm too low) and the patch points fall where SMPL-22's do.
    """
    worst = 0.0
    for name in ("000000", "012314"):
        npy = shared_data / "humanml3d_samples" / "new_joints" / f"{name}.npy"
        src = load_motion_file(npy)
        back = load_motion_file(write_bvh(tmp_path / f"{name}.bvh", src.joints, SMPL22, src.fps))
        order = [back.skeleton.joint_names.index(n) for n in SMPL22.joint_names]
        assert [back.skeleton.joint_names[k] for k in back.skeleton.chains[3]][-2:] == [
            "l_ankle", "l_foot"]
        assert [[order.index(k) for k in c] for c in back.skeleton.chains] == [
            list(c) for c in SMPL22.chains]
        got = back.joints[:, order]
        assert got.shape == src.joints.shape
        assert got[..., 1].min() == pytest.approx(0.0, abs=1e-6)   # floor at 0
        assert np.ptp(got[0, :, 1]) == pytest.approx(np.ptp(src.joints[0, :, 1]), abs=1e-4)
        np.testing.assert_allclose(got, src.joints, atol=1e-4)
        for knots, chain in zip(back.skeleton.knots, SMPL22.chains):  # SMPL's equal steps
            np.testing.assert_allclose(knots, np.linspace(0, 1, len(chain)), atol=1e-9)
        worst = max(worst, float(np.abs(got - src.joints).max()))
    terminal_report.append(f"SMPL-22 -> BVH -> load_motion_file: canonical joints within "
                           f"{worst * 1e3:.4f} mm of the source")


def test_round_trip_cmu_kitml(shared_data, tmp_path, terminal_report):
    rigid_e, loose_e, loose = [], [], []
    for name, x in _clips(shared_data, "cmu_kitml"):
        out = write_bvh(tmp_path / f"{name}.bvh", x, SMPL22, 20.0)
        back = _read_back(out, SMPL22)
        e = np.linalg.norm(back - x, axis=-1)
        assert _direction_error_deg(back, x, SMPL22) < 0.01, name
        if _rigid_siblings(x, SMPL22):
            # only the source's bone-length variation is lost
            assert (e <= _length_bound(x, SMPL22) + 1e-5).all(), name
            rigid_e.append(e.ravel())
        else:
            # siblings that do not move rigidly cannot be held by one rotation per joint;
            # the file must still hold a motion it reproduces exactly when written again
            loose.append(name)
            loose_e.append(e.ravel())
            again = _read_back(write_bvh(tmp_path / "again.bvh", back, SMPL22, 20.0), SMPL22)
            assert np.abs(again - back).max() < 1e-5, name
    assert rigid_e, "no clip with rigid sibling bones"
    r = np.concatenate(rigid_e) * 1e3
    assert r.mean() < 1.0
    terminal_report.append(f"BVH round trip, cmu_kitml rigid ({len(rigid_e)} clips): "
                           f"mean {r.mean():.4f} mm, max {r.max():.3f} mm")
    if loose_e:
        lo = np.concatenate(loose_e) * 1e3
        terminal_report.append(f"BVH round trip, cmu_kitml non-rigid siblings {loose}: "
                               f"mean {lo.mean():.2f} mm, max {lo.max():.2f} mm")


def test_round_trip_kit21(shared_data, tmp_path, terminal_report):
    x = _kit_from_smpl(np.load(shared_data / "humanml3d_samples" / "new_joints" / "000000.npy"))
    out = write_bvh(tmp_path / "kit.bvh", x, KIT21, 12.5, scale=1000.0)
    bvh = read_bvh(out)
    assert set(bvh.joint_names) == set(KIT21.joint_names)
    assert bvh.frame_time == pytest.approx(0.08)
    back = _read_back(out, KIT21, unit_m=1e-3)
    assert _direction_error_deg(back, x, KIT21) < 0.01
    again = _read_back(write_bvh(tmp_path / "again.bvh", back, KIT21, 12.5), KIT21)
    assert np.abs(again - back).max() < 1e-5
    e = np.linalg.norm(back - x, axis=-1) * 1e3
    terminal_report.append(f"BVH round trip, KIT-21 mapped from HumanML3D 000000 (shoulders "
                           f"hang from BLN, not rigidly): mean {e.mean():.2f} mm, "
                           f"max {e.max():.2f} mm; re-written: "
                           f"{np.abs(again - back).max() * 1e3:.5f} mm")
    # motionlex opens what it wrote: the body parts of KIT's MMM names are found (a KIT-21
    # export failed with "cannot find body part(s) ['torso', 'left_arm', ...]")
    from motionlex.core.motion.files import load_motion_file

    m = load_motion_file(out)
    names = m.skeleton.joint_names
    assert [[names[j] for j in c] for c in m.skeleton.chains] == [
        [KIT21.joint_names[j] for j in c] for c in KIT21.chains]
    # ... its MMM names pair left with right (LS/RS ... LF/RF: one pair, LMrot/RMrot, before),
    # so its mirror image has its left limbs on the body's left again
    assert {frozenset((names[a], names[b])) for a, b in m.skeleton.mirror_pairs} == {
        frozenset((KIT21.joint_names[a], KIT21.joint_names[b])) for a, b in KIT21.mirror_pairs}
    assert side_check(mirror_motion(m).joints, m.skeleton) == pytest.approx(1.0)
    # ... and its leg sample points fall where SMPL-22's do, the ankle (LA) in SMPL's ankle
    # slot and LMrot between it and the toe (they were up to 38 cm off, LA in the knee slot)
    smpl = np.load(shared_data / "humanml3d_samples" / "new_joints" / "000000.npy")
    order = [names.index(n) for n in KIT21.joint_names]
    kit_pts = _part_points(back[:, np.argsort(order)], m.skeleton)
    legs = slice(3 * POINTS_PER_PART, 5 * POINTS_PER_PART)
    gap = np.linalg.norm(kit_pts[:, legs] - _part_points(smpl, SMPL22)[:, legs], axis=-1)
    assert gap.max() < 0.02, f"leg sample points {gap.max() * 100:.1f} cm from SMPL-22's"
    # T-pose: right arm along -X, left leg down, left foot forward
    off = rest_offsets(x, KIT21)
    names = KIT21.joint_names
    assert off[names.index("RE")][0] < 0 and abs(off[names.index("RE")][1]) < 1e-9
    assert off[names.index("LK")][1] < 0 and abs(off[names.index("LK")][0]) < 1e-9
    assert off[names.index("LF")][2] > 0


def test_first_frame_rest_pose(shared_data, tmp_path):
    x = np.load(shared_data / "humanml3d_samples" / "new_joints" / "012314.npy")
    off = rest_offsets(x, SMPL22, rest="first_frame")
    vec0 = _bone_vectors(x[:1], SMPL22)[0]
    for c in _single_child_bones(SMPL22):
        cos = off[c] @ vec0[c] / np.linalg.norm(off[c]) / np.linalg.norm(vec0[c])
        assert cos > 1 - 1e-9, SMPL22.joint_names[c]
    # frame 0 is then the rest pose: every non-root local rotation is the identity
    local = local_rotations(x[:1], SMPL22, off)
    assert np.abs(local[0, 1:] - np.eye(3)).max() < 1e-6
    back = _read_back(write_bvh(tmp_path / "f.bvh", x, SMPL22, 20.0, rest="first_frame"), SMPL22)
    assert np.linalg.norm(back - x, axis=-1).max() < 1e-5


# ------------------------------------------------------------------------- file content
def test_header_names_channels_frames(shared_data, tmp_path):
    x = np.load(shared_data / "humanml3d_samples" / "new_joints" / "M010968.npy")
    out = write_bvh(tmp_path / "m.bvh", x, SMPL22, 20.0)
    bvh = read_bvh(out)
    assert sorted(bvh.joint_names) == sorted(SMPL22.joint_names)
    assert bvh.joint_names[0] == "pelvis"
    for n, p in zip(bvh.joint_names, bvh.parents):   # same tree as the skeleton
        want = SMPL22.parents[SMPL22.joint_names.index(n)]
        assert (p < 0 and want < 0) or bvh.joint_names[p] == SMPL22.joint_names[want]
    assert bvh.num_frames == len(x) and bvh.frame_time == pytest.approx(0.05)
    assert bvh.channels[0][:3] == ("Xposition", "Yposition", "Zposition")
    rot_orders = {"".join(c[0] for c in ch if c.endswith("rotation")) for ch in bvh.channels}
    assert rot_orders <= {"ZXY", "ZYX"}
    assert all(len(ch) == 3 for ch in bvh.channels[1:]) and len(bvh.channels[0]) == 6
    assert {bvh.joint_names[j] for j, _ in bvh.end_sites} == SMPL_LEAVES
    assert bvh.motion.shape == (len(x), 6 + 3 * 21)
    # root channels are the pelvis position in centimetres
    np.testing.assert_allclose(bvh.motion[:, :3], x[:, 0] * 100, atol=1e-5)
    # offsets are median bone lengths in centimetres
    lengths = np.median(np.linalg.norm(_bone_vectors(x, SMPL22), axis=-1), 0)
    got = {n: np.linalg.norm(o) for n, o in zip(bvh.joint_names, bvh.offsets)}
    for k, n in enumerate(SMPL22.joint_names):
        assert got[n] == pytest.approx(lengths[k] * 100, abs=1e-5)


def test_load_bvh_reads_centimetres_and_rate(shared_data, tmp_path):
    x = np.load(shared_data / "humanml3d_samples" / "new_joints" / "007005.npy")
    out = write_bvh(tmp_path / "a.bvh", x, SMPL22, 30.0)
    m = load_bvh(out)  # units inferred from the skeleton's height
    assert m.fps == 30.0 and m.joints.shape == x.shape
    order = [m.skeleton.joint_names.index(n) for n in SMPL22.joint_names]
    assert np.abs(m.joints[:, order] - x).max() < 1e-5
    metres = write_bvh(tmp_path / "m.bvh", x, SMPL22, 30.0, scale=1.0)
    assert np.abs(_read_back(metres, SMPL22, unit_m=1.0) - x).max() < 1e-5


def test_joint_names_override(shared_data, tmp_path):
    x = np.load(shared_data / "humanml3d_samples" / "new_joints" / "000000.npy")[:10]
    names = [n.title().replace("_", "") for n in SMPL22.joint_names]
    names[15] = "Head Top"  # whitespace is not allowed in BVH names
    bvh = read_bvh(write_bvh(tmp_path / "n.bvh", x, SMPL22, 20.0, joint_names=names))
    assert "HeadTop" not in bvh.joint_names and "Head_Top" in bvh.joint_names
    assert set(bvh.joint_names) == {n.replace(" ", "_") for n in names}


def test_euler_channels_avoid_gimbal_lock_and_jumps(shared_data):
    for name, x in _clips(shared_data, "humanml3d_samples"):
        local = local_rotations(x, SMPL22, rest_offsets(x, SMPL22))
        angles, orders = euler_channels(local)
        assert np.abs(angles[..., 1]).max() < 85.0, name
        # channels are continuous: no step near 180 or 360 degrees between frames
        assert np.abs(np.diff(angles, axis=0)).max() < 90.0, name
        # and they are the same rotations
        again = np.stack([Rotation.from_euler(o, angles[:, j], degrees=True).as_matrix()
                          for j, o in enumerate(orders)], axis=1)
        assert np.abs(again - local).max() < 1e-9, name
        knee = SMPL22.joint_names.index("l_knee")
        assert orders[knee] == "ZYX"  # a knee bends about X: X must not be the middle axis


# ------------------------------------------------------------------------- errors
@pytest.fixture
def clip(shared_data) -> np.ndarray:
    return np.load(shared_data / "humanml3d_samples" / "new_joints" / "000000.npy")[:20]


@pytest.mark.parametrize("bad, match", [
    (lambda x: x[0], r"\(T, J, 3\)"),
    (lambda x: x[..., :2], r"\(T, J, 3\)"),
    (lambda x: x[:0], r"T >= 1"),
    (lambda x: x[:, :21], r"'smpl22' has 22 joints, the joint array has 21"),
    (lambda x: np.where(np.arange(20)[:, None, None] == 7, np.nan, x), r"frame 7"),
])
def test_bad_joints_raise_and_write_nothing(clip, tmp_path, bad, match):
    out = tmp_path / "x.bvh"
    with pytest.raises(ValueError, match=match):
        write_bvh(out, bad(clip), SMPL22, 20.0)
    assert list(tmp_path.iterdir()) == []


def test_skeleton_mismatch_and_bad_arguments(clip, tmp_path):
    with pytest.raises(ValueError, match="'kit21' has 21 joints"):
        write_bvh(tmp_path / "x.bvh", clip, KIT21, 20.0)
    with pytest.raises(ValueError, match="fps"):
        write_bvh(tmp_path / "x.bvh", clip, SMPL22, 0.0)
    with pytest.raises(ValueError, match="scale"):
        write_bvh(tmp_path / "x.bvh", clip, SMPL22, 20.0, scale=-1.0)
    with pytest.raises(ValueError, match="rest"):
        write_bvh(tmp_path / "x.bvh", clip, SMPL22, 20.0, rest="apose")
    with pytest.raises(ValueError, match="21 names"):
        write_bvh(tmp_path / "x.bvh", clip, SMPL22, 20.0, joint_names=SMPL22.joint_names[1:])
    with pytest.raises(ValueError, match="repeated"):
        write_bvh(tmp_path / "x.bvh", clip, SMPL22, 20.0, joint_names=["j"] * 22)
    cyclic = Skeleton("cyclic", ("a", "b", "c"), (-1, 2, 1), ((0, 1),) * 5)
    with pytest.raises(ValueError, match=r"not reachable"):
        write_bvh(tmp_path / "x.bvh", clip[:, :3], cyclic, 20.0)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_path(clip, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError):
        write_bvh(blocker / "x.bvh", clip, SMPL22, 20.0)
    with pytest.raises(OSError):
        write_bvh(tmp_path, clip, SMPL22, 20.0)  # a folder in the way
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


def test_failure_while_writing_leaves_old_file(clip, tmp_path, monkeypatch):
    out = tmp_path / "keep.bvh"
    out.write_text("old content")

    def half_then_fail(self, text, *args, **kwargs):
        with open(self, "w") as f:
            f.write(text[: len(text) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", half_then_fail)
    with pytest.raises(OSError, match=f"cannot write {out}: no space left on the device"):
        write_bvh(out, clip, SMPL22, 20.0)
    monkeypatch.undo()
    assert out.read_text() == "old content"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.bvh"]


# ------------------------------------------------------------------------- app export
def test_export_bvh_copies_unchanged_source_else_writes(shared_data, tmp_path):
    src = tmp_path / "src" / "dash.bvh"
    src.parent.mkdir()
    src.write_bytes((shared_data / "raw_bvh" / "bandai_1_dash_normal_001.bvh").read_bytes())
    motion = load_bvh(src)
    sha = file_sha256(src)
    out = export_bvh(tmp_path / "copy.bvh", motion.joints, motion.fps, motion.skeleton,
                     source=src, sha256=sha)
    assert out.read_bytes() == src.read_bytes()
    # a changed source is not copied: the shown joints are written instead
    out2 = export_bvh(tmp_path / "written.bvh", motion.joints, motion.fps, motion.skeleton,
                      source=src, sha256="0" * 64)
    assert out2.read_bytes() != src.read_bytes()
    back = _read_back(out2, motion.skeleton)
    bound = _length_bound(motion.joints, motion.skeleton) + 1e-5
    if _rigid_siblings(motion.joints, motion.skeleton):
        assert (np.linalg.norm(back - motion.joints, axis=-1) <= bound).all()
    assert _direction_error_deg(back, motion.joints, motion.skeleton) < 0.01
    # a joint-position motion (no BVH source) is written from its joints
    x = np.load(shared_data / "humanml3d_samples" / "new_joints" / "000000.npy")
    npy = shared_data / "humanml3d_samples" / "new_joints" / "000000.npy"
    out3 = export_bvh(tmp_path / "h.bvh", x, 20.0, SMPL22, source=npy, sha256=None)
    assert np.abs(_read_back(out3, SMPL22) - x).max() < 1e-5
