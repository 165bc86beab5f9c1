"""BVH loading on the real files in ../shared/data/raw_bvh and on small written files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from motionlex.core.motion.bvh import (
    UNIT_SCALES,
    forward_kinematics,
    infer_unit_scale,
    load_bvh,
    skeleton_height,
)
from motionlex.core.motion.bvh_parse import read_bvh
from motionlex.core.motion.chains import find_end_joints
from motionlex.core.motion.file_checks import MotionFileError
from motionlex.core.motion.motion import to_canonical
from motionlex.core.motion.skeleton import side_check

RAW_FILES = [
    "bandai_1_bow_normal_001.bvh", "bandai_1_dash_normal_001.bvh",
    "bandai_1_kick_normal_001.bvh", "bandai_1_punch_normal_001.bvh",
    "bandai_2_raise-up-both-hands_normal_001.bvh", "bandai_2_wave-right-hand_normal_001.bvh",
    "cmu_05_16_iclone.bvh", "cmu_07_03_daz.bvh", "cmu_08_01_daz.bvh", "cmu_10_04_daz.bvh",
]
INSERTED = {"cmu_07_03_daz.bvh": 4, "cmu_08_01_daz.bvh": 4, "cmu_10_04_daz.bvh": 4}
"""Leading frames pasted in front of the capture: cgspeed's T-pose and 3 blend frames."""

# Chains read off each layout's hierarchy by hand (outward from the torso).
EXPECTED_CHAINS = {
    "bandai": [
        ["Hips", "Spine", "Chest", "Neck", "Head"],
        ["Chest", "Shoulder_L", "UpperArm_L", "LowerArm_L", "Hand_L"],
        ["Chest", "Shoulder_R", "UpperArm_R", "LowerArm_R", "Hand_R"],
        ["Hips", "UpperLeg_L", "LowerLeg_L", "Foot_L", "Toes_L"],
        ["Hips", "UpperLeg_R", "LowerLeg_R", "Foot_R", "Toes_R"],
    ],
    "daz": [
        ["hip", "abdomen", "chest", "neck", "head"],
        ["chest", "lCollar", "lShldr", "lForeArm", "lHand"],
        ["chest", "rCollar", "rShldr", "rForeArm", "rHand"],
        # the toe is the foot's End Site (end_site_toes), as SMPL-22's leg ends at its toe
        ["hip", "lButtock", "lThigh", "lShin", "lFoot", "lFoot_toe"],
        ["hip", "rButtock", "rThigh", "rShin", "rFoot", "rFoot_toe"],
    ],
    "iclone": [
        ["CC_Base_Hip", "CC_Base_Waist", "CC_Base_Spine01", "CC_Base_Spine02",
         "CC_Base_NeckTwist01", "CC_Base_NeckTwist02", "CC_Base_Head"],
        ["CC_Base_Spine02", "CC_Base_L_Clavicle", "CC_Base_L_Upperarm", "CC_Base_L_Forearm",
         "CC_Base_L_Hand"],
        ["CC_Base_Spine02", "CC_Base_R_Clavicle", "CC_Base_R_Upperarm", "CC_Base_R_Forearm",
         "CC_Base_R_Hand"],
        # CC_Base_Pelvis sits at CC_Base_Hip (zero-length bone) and is left out
        ["CC_Base_Hip", "CC_Base_L_Thigh", "CC_Base_L_Calf", "CC_Base_L_Foot",
         "CC_Base_L_ToeBase"],
        ["CC_Base_Hip", "CC_Base_R_Thigh", "CC_Base_R_Calf", "CC_Base_R_Foot",
         "CC_Base_R_ToeBase"],
    ],
}


def _layout(file: str) -> str:
    return "bandai" if file.startswith("bandai") else file.rsplit("_", 1)[1][:-4]


@pytest.fixture(scope="module")
def raw(shared_data: Path) -> Path:
    return shared_data / "raw_bvh"


@pytest.fixture(scope="module")
def index(raw: Path) -> dict:
    return json.loads((raw / "index.json").read_text())


def _names(motion, chain) -> list[str]:
    return [motion.skeleton.joint_names[k] for k in chain]


@pytest.mark.parametrize("file", RAW_FILES)
def test_real_file_loads_in_metres_with_its_skeleton(raw, index, file):
    info = index[file]
    m = load_bvh(raw / file)
    bandai = _layout(file) == "bandai"  # its floor-level joint_Root is dropped
    toes = 2 * (_layout(file) == "daz")  # its feet's End Sites become toe joints
    assert m.joints.shape == (info["frames"] - INSERTED.get(file, 0),
                              info["n_joints"] - bandai + toes, 3)
    assert m.joints.dtype == np.float32
    assert m.skeleton.name == f"bvh:{file[:-4]}" and m.name == file[:-4]
    assert m.skeleton.joint_names[m.skeleton.root] == ("Hips" if bandai else info["root"])
    assert m.fps == pytest.approx(1.0 / info["frame_time"], rel=1e-4)
    assert [_names(m, c) for c in m.skeleton.chains] == EXPECTED_CHAINS[_layout(file)]
    # metres: the bone-length height and the standing height seen in the motion
    assert 1.2 < skeleton_height(read_bvh(raw / file)) * 0.01 < 2.1
    extent = np.ptp(to_canonical(m).joints[..., 1], axis=1)
    # a dash leans forward with the feet off the floor: 1.19 m (the 1.21 m measured before
    # came from the floor-level joint_Root, now dropped)
    assert (1.1 if "dash" in file else 1.2) < float(np.percentile(extent, 95)) < 2.1
    # every sided joint is paired: Bandai 21 = 5 unsided + 2 x 8, Daz 45 = 5 + 2 x 20,
    # iClone 100 = 16 unsided (spine, neck, face) + 2 x 42
    names = m.skeleton.joint_names
    pairs = {(names[a], names[b]) for a, b in m.skeleton.mirror_pairs}
    n_pairs, example = {"bandai": (8, ("Hand_L", "Hand_R")), "daz": (20, ("leftEye", "rightEye")),
                        "iclone": (42, ("CC_Base_L_Eye", "CC_Base_R_Eye"))}[_layout(file)]
    assert len(pairs) == n_pairs and example in pairs


def _label_free_side_vote(joints: np.ndarray, chains) -> float:
    """Fraction of moving frames where the labelled-left hip is left of the travel."""
    root = joints[:, chains[0][0]]
    vel = root[4:] - root[:-4]
    vel[:, 1] = 0.0
    moving = np.linalg.norm(vel, axis=1) > 1e-3
    left = np.cross([0.0, 1.0, 0.0], vel[moving])
    across = (joints[2:-2, chains[3][1]] - joints[2:-2, chains[4][1]])[moving]
    return float(np.mean(np.einsum("tc,tc->t", across, left) > 0))


@pytest.mark.parametrize("file", ["bandai_1_dash_normal_001.bvh", "cmu_07_03_daz.bvh",
                                  "cmu_08_01_daz.bvh", "cmu_10_04_daz.bvh"])
def test_left_is_left_on_walking_and_dashing_clips(raw, file):
    m = load_bvh(raw / file, skip_frames="auto")
    c = to_canonical(m)
    chains = m.skeleton.chains
    travel = c.joints[-1, chains[0][0]] - c.joints[0, chains[0][0]]
    # the facing that the labels define (to_canonical) is the direction the body moves
    assert travel[2] > 1.0 and abs(travel[0]) < 0.3 * travel[2]
    assert _label_free_side_vote(c.joints, chains) > 0.9
    j0 = c.joints[0]
    assert j0[chains[3][1], 0] > 0 > j0[chains[4][1], 0]  # hips
    assert j0[chains[1][-3], 0] > 0 > j0[chains[2][-3], 0]  # shoulders


@pytest.mark.parametrize("file", ["bandai_1_dash_normal_001.bvh", "cmu_05_16_iclone.bvh"])
def test_side_check_agrees_where_the_legs_end_in_toes(raw, file):
    m = load_bvh(raw / file)
    assert side_check(to_canonical(m).joints, m.skeleton) > 0.9


def test_fps_override_and_skipped_frames(raw, index):
    file = "cmu_05_16_iclone.bvh"
    full = load_bvh(raw / file)
    m = load_bvh(raw / file, fps=index[file]["true_fps"], skip_frames=3, name="x")
    assert m.fps == pytest.approx(index[file]["true_fps"]) and full.fps == 60.0
    assert m.name == "x" and m.num_frames == index[file]["frames"] - 3
    np.testing.assert_array_equal(m.joints, full.joints[3:])


@pytest.mark.parametrize("file", RAW_FILES)
def test_auto_skip_drops_only_the_cgspeed_tpose_and_its_blend(raw, index, file):
    """The default ("auto") drops the Daz files' T-pose and the 3 frames blending out of it,
    and nothing of the other files; an explicit 0 keeps every frame."""
    full = load_bvh(raw / file, skip_frames=0)
    m = load_bvh(raw / file)
    expected = INSERTED.get(file, 0)
    assert full.num_frames == index[file]["frames"]
    assert m.num_frames == index[file]["frames"] - expected
    np.testing.assert_array_equal(m.joints, full.joints[expected:])
    np.testing.assert_array_equal(load_bvh(raw / file, skip_frames="auto").joints, m.joints)


@pytest.mark.parametrize("file", sorted(INSERTED))
def test_first_frame_after_auto_skip_is_no_tpose(raw, file):
    """The T-pose holds the hands 1.24 m apart; from the first kept frame on they are at
    the clip's usual distance (measured 0.30 / 0.45 / 0.41 m vs medians 0.37 / 0.59 /
    0.44 m; the old rule, frame 0 only, started at 1.15 m)."""
    def hands(m):
        ends = find_end_joints(m.skeleton.joint_names, m.skeleton.parents)
        return np.linalg.norm(m.joints[:, ends["left_hand"]] - m.joints[:, ends["right_hand"]],
                              axis=-1)

    full = to_canonical(load_bvh(raw / file, skip_frames=0))
    cut = to_canonical(load_bvh(raw / file))
    assert hands(full)[0] == pytest.approx(1.24, abs=0.02)  # frame 0 is the T-pose
    assert abs(hands(cut)[0] - np.median(hands(cut))) < 0.2


@pytest.mark.parametrize("file,npy,skip", [
    ("bandai_1_bow_normal_001.bvh", "bandai/new_joints/bn1_bow_normal_001.npy", 0),
    ("bandai_2_raise-up-both-hands_normal_001.bvh",
     "bandai/new_joints/bn2_raise-up-both-hands_normal_001.npy", 0),
    ("cmu_08_01_daz.bvh", "cmu_kitml/new_joints/02715.npy", 1),
    ("cmu_05_16_iclone.bvh", "cmu_kitml/new_joints/02628.npy", 0),
])
def test_agrees_with_the_converted_dataset(shared_data, raw, file, npy, skip):
    """The released SMPL-22 conversions of the same clips share head, wrists and ankles."""
    m = to_canonical(load_bvh(raw / file, skip_frames=skip))
    ref = np.load(shared_data / npy)
    assert m.num_frames == ref.shape[0]
    ends = find_end_joints(m.skeleton.joint_names, m.skeleton.parents)
    ours = m.joints[:, [ends[k] for k in ("head", "left_hand", "right_hand",
                                          "left_foot", "right_foot")]]
    theirs = ref[:, [15, 20, 21, 7, 8]]  # SMPL head, wrists, ankles
    # rigid-motion-free comparison: distances between the five joints, and heights up to
    # the floor level (which the conversion takes from End Sites too)
    d_ours = np.linalg.norm(ours[:, :, None] - ours[:, None], axis=-1)
    d_theirs = np.linalg.norm(theirs[:, :, None] - theirs[:, None], axis=-1)
    assert np.abs(d_ours - d_theirs).max() < 0.005
    dy = ours[..., 1] - theirs[..., 1]
    assert np.abs(dy - dy.mean()).max() < 0.005


# ------------------------------------------------------------ small files written here

def _tiny_bvh(tmp_path: Path) -> Path:
    text = """HIERARCHY
ROOT a
{
  OFFSET 0 0 0
  CHANNELS 6 Xrotation Xposition Yposition Zposition Yrotation Zrotation
  JOINT b
  {
    OFFSET 0 0 1
    CHANNELS 1 Zrotation
    JOINT c
    {
      OFFSET 0 0 5
      CHANNELS 1 Yposition
      End Site
      {
        OFFSET 1 0 0
      }
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.04
0 1 2 3 0 0 0 0
90 1 2 3 90 0 90 7
"""
    p = tmp_path / "tiny.bvh"
    p.write_text(text)
    return p


def _rx(a: float) -> np.ndarray:
    c, s = np.cos(np.radians(a)), np.sin(np.radians(a))
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _ry(a: float) -> np.ndarray:
    c, s = np.cos(np.radians(a)), np.sin(np.radians(a))
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _rz(a: float) -> np.ndarray:
    c, s = np.cos(np.radians(a)), np.sin(np.radians(a))
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def test_forward_kinematics_channel_order_and_position_channels(tmp_path):
    bvh = read_bvh(_tiny_bvh(tmp_path))
    assert bvh.joint_names == ("a", "b", "c") and bvh.parents == (-1, 0, 1)
    assert bvh.end_sites == ((2, (1.0, 0.0, 0.0)),) and bvh.frame_time == 0.04
    pos = forward_kinematics(bvh)
    # frame 0: no rotation; c has a Yposition channel (0) that replaces its offset's y
    np.testing.assert_allclose(pos[0], [[1, 2, 3], [1, 2, 4], [1, 2, 9]], atol=1e-9)
    # frame 1: root X then Y (intrinsic, as listed), b about Z, c's y offset replaced by 7
    r_a = _rx(90) @ _ry(90)
    p_b = np.array([1, 2, 3]) + r_a @ [0, 0, 1]
    p_c = p_b + r_a @ _rz(90) @ [0, 7, 5]
    np.testing.assert_allclose(pos[1], [[1, 2, 3], p_b, p_c], atol=1e-9)
    assert not np.allclose(p_b, np.array([1, 2, 3]) + _ry(90) @ _rx(90) @ [0, 0, 1])


# A CMU 31-joint skeleton (cgspeed 3dsMax/MotionBuilder release) in centimetres, built
# as (name, parent, offset); sides at +x for Left, the body facing +z.
_CMU31 = [("Hips", None, (0, 0, 0))]
for _s, _x in (("Left", 1), ("Right", -1)):
    _p = _s[0]
    _CMU31 += [(f"{_p}HipJoint", "Hips", (0, 0, 0)),
               (f"{_s}UpLeg", f"{_p}HipJoint", (9 * _x, -5, 0)),
               (f"{_s}Leg", f"{_s}UpLeg", (0, -42, 0)),
               (f"{_s}Foot", f"{_s}Leg", (0, -40, 0)),
               (f"{_s}ToeBase", f"{_s}Foot", (0, -3, 12))]
_CMU31 += [("LowerBack", "Hips", (0, 10, 0)), ("Spine", "LowerBack", (0, 12, 0)),
           ("Spine1", "Spine", (0, 12, 0)), ("Neck", "Spine1", (0, 10, 0)),
           ("Neck1", "Neck", (0, 5, 0)), ("Head", "Neck1", (0, 8, 0))]
for _s, _x in (("Left", 1), ("Right", -1)):
    _CMU31 += [(f"{_s}Shoulder", "Spine1", (3 * _x, 8, 0)),
               (f"{_s}Arm", f"{_s}Shoulder", (15 * _x, 0, 0)),
               (f"{_s}ForeArm", f"{_s}Arm", (28 * _x, 0, 0)),
               (f"{_s}Hand", f"{_s}ForeArm", (25 * _x, 0, 0)),
               (f"{_s}FingerBase", f"{_s}Hand", (5 * _x, 0, 0)),
               (f"{_s}HandIndex1", f"{_s}FingerBase", (4 * _x, 0, 0)),
               (f"{_s[0]}Thumb", f"{_s}Hand", (3 * _x, 0, 3))]


def _write_bvh(path: Path, joints=_CMU31, unit_m: float = 0.01, frames: int = 3,
               rename: dict | None = None, end_site=(0, 0, 1)) -> Path:
    """A valid BVH of ``joints`` (offsets in cm, written in units of ``unit_m``; every
    leaf's End Site at ``end_site`` cm)."""
    rename = rename or {}
    children: dict = {}
    for name, parent, _ in joints:
        children.setdefault(parent, []).append(name)
    offsets = {n: np.asarray(o, float) * 0.01 / unit_m for n, _, o in joints}
    out = ["HIERARCHY"]

    def block(name: str, depth: int) -> None:
        pad = "  " * depth
        kind = "ROOT" if depth == 0 else "JOINT"
        chans = ("6 Xposition Yposition Zposition Zrotation Yrotation Xrotation" if depth == 0
                 else "3 Zrotation Yrotation Xrotation")
        out.extend([f"{pad}{kind} {rename.get(name, name)}", f"{pad}{{",
                    f"{pad}  OFFSET {' '.join(f'{v:g}' for v in offsets[name])}",
                    f"{pad}  CHANNELS {chans}"])
        for child in children.get(name, []):
            block(child, depth + 1)
        if name not in children:
            site = " ".join(f"{v * 0.01 / unit_m:g}" for v in end_site)
            out.extend([f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET {site}", f"{pad}  }}"])
        out.append(f"{pad}}}")

    block(joints[0][0], 0)
    n_chan = 6 + 3 * (len(joints) - 1)
    out += ["MOTION", f"Frames: {frames}", "Frame Time: 0.008333"]
    rng = np.random.default_rng(0)
    for t in range(frames):
        row = np.concatenate([[0, 95 * 0.01 / unit_m, 10 * t * 0.01 / unit_m, 0, 0, 0],
                              rng.normal(0, 3, n_chan - 6)])
        out.append(" ".join(f"{v:.4f}" for v in row))
    path.write_text("\n".join(out) + "\n")
    return path


@pytest.mark.parametrize("unit", ["centimetres", "inches", "CMU ASF units", "metres"])
def test_cmu_31_joint_layout_and_units(tmp_path, unit):
    m = load_bvh(_write_bvh(tmp_path / "cmu31.bvh", unit_m=UNIT_SCALES[unit]))
    assert m.joints.shape == (3, 31, 3) and m.fps == 120.0
    assert [_names(m, c) for c in m.skeleton.chains] == [
        ["Hips", "LowerBack", "Spine", "Spine1", "Neck", "Neck1", "Head"],
        ["Spine1", "LeftShoulder", "LeftArm", "LeftForeArm", "LeftHand"],
        ["Spine1", "RightShoulder", "RightArm", "RightForeArm", "RightHand"],
        ["Hips", "LeftUpLeg", "LeftLeg", "LeftFoot", "LeftToeBase"],  # LHipJoint: 0 length
        ["Hips", "RightUpLeg", "RightLeg", "RightFoot", "RightToeBase"],
    ]
    # same pose whatever the unit: the root, written at 95 cm, lands at 0.95 m
    assert m.joints[0, 0, 1] == pytest.approx(0.95, rel=1e-3)
    names = m.skeleton.joint_names
    pairs = {(names[a], names[b]) for a, b in m.skeleton.mirror_pairs}
    assert ("LThumb", "RThumb") in pairs and ("LHipJoint", "RHipJoint") in pairs
    assert len(pairs) == 12  # 31 joints = 7 unsided (Hips, spine, neck, head) + 2 x 12


def test_a_toeless_foot_gets_its_toe_from_its_end_site(tmp_path):
    # cgspeed's Daz legs end at the ankle with the toe as an End Site: read as a joint, the
    # leg's last patch points lie along the foot (SMPL-22's do), not on the shin
    toeless = [j for j in _CMU31 if "ToeBase" not in j[0]]
    m = load_bvh(_write_bvh(tmp_path / "toe.bvh", toeless, end_site=(0, -3, 12)))
    names = m.skeleton.joint_names
    assert m.joints.shape == (3, len(toeless) + 2, 3)
    assert [_names(m, c)[-2:] for c in m.skeleton.chains[3:]] == [
        ["LeftFoot", "LeftFoot_toe"], ["RightFoot", "RightFoot_toe"]]
    pairs = {(names[a], names[b]) for a, b in m.skeleton.mirror_pairs}
    assert ("LeftFoot_toe", "RightFoot_toe") in pairs
    foot, toe = names.index("LeftFoot"), names.index("LeftFoot_toe")
    # at the End Site's offset, turned with the foot on every frame (random rotations)
    length = np.linalg.norm(m.joints[:, toe] - m.joints[:, foot], axis=-1)
    np.testing.assert_allclose(length, np.hypot(3, 12) * 0.01, rtol=1e-5)
    assert m.skeleton.knots[3][-2:] == (0.75, 1.0)  # ankle and toe where SMPL-22 has them
    # an End Site that goes on along the shin (an exporter's stub) is no toe; nor a hand's
    stub = load_bvh(_write_bvh(tmp_path / "stub.bvh", toeless, end_site=(0, -5, 0)))
    assert stub.joints.shape == (3, len(toeless), 3)
    assert _names(stub, stub.skeleton.chains[3])[-1] == "LeftFoot"
    # one real toe, one stub: each leg takes SMPL-22's slots by its own ending (the right
    # leg's knee went to the ankle's slot when one flag served both legs)
    text = (tmp_path / "toe.bvh").read_text().splitlines()
    right = text.index(next(t for t in text if t.strip() == "JOINT RightFoot"))
    site = next(k for k in range(right, len(text)) if text[k].strip() == "End Site") + 2
    text[site] = text[site].split("OFFSET")[0] + "OFFSET 0 -5 0"
    (tmp_path / "asym.bvh").write_text("\n".join(text) + "\n")
    asym = load_bvh(tmp_path / "asym.bvh")
    assert [_names(asym, c)[-1] for c in asym.skeleton.chains[3:]] == ["LeftFoot_toe",
                                                                      "RightFoot"]
    assert asym.skeleton.knots[3] == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert asym.skeleton.knots[4] == (0.0, 0.25, 0.5, 1.0)  # hip, knee, then the ankle at 1
    # a skeleton with toe joints is left as it is
    assert load_bvh(_write_bvh(tmp_path / "cmu.bvh", end_site=(0, -3, 12))).joints.shape[1] \
        == len(_CMU31)


def test_explicit_scale_overrides_inference(tmp_path):
    path = _write_bvh(tmp_path / "cmu31.bvh", unit_m=0.01)
    auto, forced = load_bvh(path), load_bvh(path, scale=0.02)
    np.testing.assert_allclose(forced.joints, 2 * auto.joints, rtol=1e-5)


def test_infer_unit_scale_rule():
    for height, unit in [(170, "centimetres"), (130, "centimetres"), (67, "inches"),
                         (50, "inches"), (30, "CMU ASF units"), (1.7, "metres"),
                         (1800, "millimetres")]:
        assert infer_unit_scale(height) == (UNIT_SCALES[unit], unit)


def _corrupt(tmp_path: Path, case: str) -> Path:
    good = _write_bvh(tmp_path / f"{case}.bvh").read_text()
    lines = good.splitlines()
    motion = lines.index("MOTION")
    if case == "not_bvh":
        text = "frame,x,y,z\n0,1,2,3\n"
    elif case == "truncated":
        text = "\n".join(lines[: motion // 2])
    elif case == "no_motion":
        text = "\n".join(lines[:motion])
    elif case == "frames":
        text = good.replace("Frames: 3", "Frames: 4")
    elif case == "trailing_note":
        text = good.rstrip("\n") + "\nexported by a tool, 3 frames\n"
    elif case == "values":
        text = "\n".join(lines[:-1] + [" ".join(lines[-1].split()[:-1])])
    elif case == "non_numeric":
        text = "\n".join(lines[:-2] + [lines[-2].replace(lines[-2].split()[7], "abc", 1),
                                       lines[-1]])
    elif case == "channel":
        text = good.replace("CHANNELS 3 Zrotation Yrotation Xrotation",
                            "CHANNELS 3 Zrotation Yrotation Wrotation", 1)
    elif case == "no_offset":
        text = good.replace("    OFFSET 0 0 0\n", "", 1)
    elif case == "header":
        text = good.replace("Frame Time: 0.008333", "Frame Time: fast")
    else:  # "no_hand"
        text = _write_bvh(tmp_path / "x.bvh", rename={"LeftHand": "LeftPaw",
                                                      "LeftHandIndex1": "LeftPawIndex"}
                          ).read_text()
    path = tmp_path / f"{case}.bvh"
    path.write_text(text)
    return path


@pytest.mark.parametrize("case,message", [
    ("not_bvh", r"not a BVH file \(it does not start with HIERARCHY\)"),
    ("truncated", r"truncated hierarchy: \d+ block\(s\) never closed"),
    ("no_motion", "MOTION section missing"),
    ("frames", "header says Frames: 4 but the file has 3 data lines"),
    ("trailing_note", r"header says Frames: 3 but the file has 4 data lines; line \d+ is not "
                      r"a frame of 96 values: 'exported by a tool, 3 frames'"),
    ("values", r"line \d+: expected 96 values .* got 95"),
    ("non_numeric", r"line \d+: non-numeric value 'abc' \(value 8 of 96\)"),
    ("channel", r"unknown channel name\(s\) \['Wrotation'\]"),
    ("no_offset", "'LHipJoint' has no OFFSET"),
    ("header", "non-numeric value 'fast'"),
    ("no_hand", r"cannot find body part\(s\) \['left_arm'\]: looked for a left joint named "
                r"Hand or Wrist .*Joints present: \[.*'LeftPaw'"),
])
def test_malformed_files_name_the_file_and_the_problem(tmp_path, case, message):
    path = _corrupt(tmp_path, case)
    with pytest.raises(MotionFileError, match=message) as e:
        load_bvh(path)
    assert str(path) in str(e.value)


def test_missing_file_and_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.bvh"):
        load_bvh(tmp_path / "nope.bvh")
    path = _write_bvh(tmp_path / "ok.bvh")
    with pytest.raises(MotionFileError, match=r"skip_frames must be 'auto' or an int in \[0, 1\]"):
        load_bvh(path, skip_frames=2)
    with pytest.raises(MotionFileError, match="scale must be > 0"):
        load_bvh(path, scale=-1.0)
    with pytest.raises(MotionFileError, match=r"frame rate 0 fps is outside \[1, 1000\]"):
        load_bvh(path, fps=0.0)
    with pytest.raises(MotionFileError, match="implausible scale for metres"):
        load_bvh(path, scale=10.0)


BANDAI_TAKES = [f for f in RAW_FILES if f.startswith("bandai")]


@pytest.mark.parametrize("file", BANDAI_TAKES)
def test_bandai_floor_marker_root_is_not_a_body_joint(raw, file):
    """Issue 12: joint_Root (on the floor under the body) is dropped, so no bone runs from
    the pelvis to the floor, the torso starts at the pelvis and the feet set the floor."""
    m = load_bvh(raw / file)
    names = m.skeleton.joint_names
    assert "joint_Root" not in names and names[m.skeleton.root] == "Hips"
    assert names[m.skeleton.chains[0][0]] == "Hips"
    bone_names = {(names[a], names[b]) for a, b in m.skeleton.bones()}
    assert ("Hips", "Spine") in bone_names and len(bone_names) == len(names) - 1
    c = to_canonical(m)
    toes = [names.index("Toes_L"), names.index("Toes_R")]
    assert float(c.joints[:, toes, 1].min()) == pytest.approx(0.0, abs=1e-6)
    assert float(c.joints[..., 1].min()) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("file", BANDAI_TAKES)
def test_bandai_left_at_plus_x_facing_plus_z(raw, file):
    c = to_canonical(load_bvh(raw / file))
    names, j0 = c.skeleton.joint_names, c.joints[0]
    for left, right in (("UpperLeg_L", "UpperLeg_R"), ("UpperArm_L", "UpperArm_R")):
        assert j0[names.index(left), 0] > 0.03 > -0.03 > j0[names.index(right), 0]



def test_a_joint_line_without_its_block_names_the_joint(tmp_path):
    """Fuzz finding (issue 15): a ``JOINT`` line whose ``{ OFFSET ... }`` block is missing gave
    NumPy's "inhomogeneous shape" error without the file; now the file and the joint."""
    text = _write_bvh(tmp_path / "ok.bvh").read_text().splitlines()
    at = next(i for i, ln in enumerate(text) if ln.strip().startswith("MOTION"))
    text.insert(at - 1, "  JOINT Orphan")  # inside ROOT's block, just before its closing '}'
    path = tmp_path / "orphan.bvh"
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(MotionFileError, match=r"joint\(s\) \['Orphan'\] have no OFFSET block"):
        load_bvh(path)
    with pytest.raises(MotionFileError, match="orphan.bvh"):
        load_bvh(path)


def _with_channels(shared_data, tmp_path, order: str, frames: int = 10):
    """A real Bandai BVH whose second joint's rotation channels are ``order``."""
    lines = (shared_data / "raw_bvh/bandai_1_dash_normal_001.bvh").read_text().splitlines()
    k = next(i for i, ln in enumerate(lines) if "CHANNELS" in ln and i > 5)
    lines[k] = lines[k].replace("Zrotation Xrotation Yrotation", order)
    at = next(i for i, ln in enumerate(lines) if ln.startswith("Frames:"))
    lines = lines[:at] + [f"Frames: {frames}"] + lines[at + 1:at + 2 + frames]
    path = tmp_path / "take.bvh"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_rotation_orders_proper_euler_allowed_adjacent_repeats_refused(shared_data, tmp_path):
    read_bvh(_with_channels(shared_data, tmp_path, "Zrotation Xrotation Zrotation"))  # ZXZ
    with pytest.raises(MotionFileError, match=r"take.bvh, line 9: rotation channels repeat"):
        read_bvh(_with_channels(shared_data, tmp_path, "Zrotation Zrotation Xrotation"))


def test_non_finite_frames_and_single_frames_are_named(shared_data, tmp_path):
    path = _with_channels(shared_data, tmp_path, "Zrotation Xrotation Yrotation")
    text = path.read_text().splitlines()
    row = text[-3].split()
    row[4] = "inf"
    text[-3] = " ".join(row)
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(MotionFileError, match=rf"line {len(text) - 2}: NaN or inf"):
        read_bvh(path)
    one = _with_channels(shared_data, tmp_path, "Zrotation Xrotation Yrotation", frames=1)
    with pytest.raises(MotionFileError, match="1 frame\\(s\\): a motion needs at least 2"):
        load_bvh(one)
