"""GLB stick figures on a real motion: animated GLB, pose sequences, the GLB container."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
import trimesh
from scipy.spatial.transform import Rotation

from motionlex.core.motion.gltf import (
    bone_transforms,
    hemisphere_continuous,
    node_names,
    pack_glb,
    quaternion_from_y,
    read_glb_accessor,
    read_glb_json,
    stick_figure,
    write_animated_glb,
    write_pose_sequence_glb,
)
from motionlex.core.motion.skeleton import SMPL22

FPS = 20.0


@pytest.fixture(scope="module")
def joints(shared_data) -> np.ndarray:
    """A real HumanML3D motion: (116, 22, 3) float32 metres, Y up."""
    return np.load(shared_data / "humanml3d_samples" / "new_joints" / "000000.npy").astype(
        np.float32)


def _channel(gltf: dict, node: int, path: str) -> int:
    anim = gltf["animations"][0]
    for ch in anim["channels"]:
        if ch["target"] == {"node": node, "path": path}:
            return anim["samplers"][ch["sampler"]]["output"]
    raise KeyError((node, path))


def test_animated_glb_reproduces_every_joint(tmp_path, joints):
    bones, parts = SMPL22.bones(), SMPL22.part_of_joint()
    out = write_animated_glb(tmp_path / "m.glb", joints, bones, FPS, parts, name="000000")
    gltf = read_glb_json(out)
    assert gltf["asset"]["version"] == "2.0"
    t_count = len(joints)
    # key times are t / fps
    sampler = gltf["animations"][0]["samplers"][0]
    times = read_glb_accessor(out, sampler["input"])
    np.testing.assert_allclose(times, np.arange(t_count) / FPS, atol=1e-6)
    assert gltf["accessors"][sampler["input"]]["max"][0] == pytest.approx((t_count - 1) / FPS)
    # each bone node's TRS carries the unit stick's tip onto the child joint, every frame
    for k, (_p, c) in enumerate(bones):
        node = 1 + k
        t = read_glb_accessor(out, _channel(gltf, node, "translation"))
        r = read_glb_accessor(out, _channel(gltf, node, "rotation"))
        s = read_glb_accessor(out, _channel(gltf, node, "scale"))
        tip = t + Rotation.from_quat(r).apply(s * [0.0, 1.0, 0.0])
        np.testing.assert_allclose(tip, joints[:, c], atol=1e-5)
        # consecutive rotations stay in one hemisphere (short-way interpolation)
        assert (np.sum(r[1:] * r[:-1], axis=1) >= 0).all()
    # joint nodes follow the joints
    for k in range(joints.shape[1]):
        pos = read_glb_accessor(out, _channel(gltf, 1 + len(bones) + k, "translation"))
        np.testing.assert_allclose(pos, joints[:, k], atol=1e-6)
    # a standard reader opens it: one mesh per (shape, part) pair
    scene = trimesh.load(out)
    assert len(scene.geometry) == 2 * 5 and scene.bounds is not None


def test_pose_sequence_glb(tmp_path, joints):
    frames = list(range(0, len(joints), 25))
    out = write_pose_sequence_glb(tmp_path / "p.glb", joints, SMPL22.bones(), frames,
                                  SMPL22.part_of_joint(), spacing_m=1.0)
    scene = trimesh.load(out)
    assert len(scene.geometry) == len(frames)
    lo, hi = scene.bounds
    # the last pose sits 1 m further along +x per listed frame
    span = joints[frames, :, 0]
    assert hi[0] == pytest.approx((span[-1].max() + len(frames) - 1), abs=0.05)
    assert lo[1] == pytest.approx(joints[frames, :, 1].min(), abs=0.05)


def test_stick_figure_spans_the_pose(joints):
    mesh = stick_figure(joints[0], SMPL22.bones(), SMPL22.part_of_joint())
    np.testing.assert_allclose(mesh.bounds[0], joints[0].min(0), atol=0.04)
    np.testing.assert_allclose(mesh.bounds[1], joints[0].max(0), atol=0.04)
    colours = {tuple(c[:3]) for c in mesh.visual.face_colors}
    assert len(colours) == 5  # one colour per body part


def test_quaternion_helpers():
    d = np.array([[0, 1, 0], [1, 0, 0], [0, -2, 0], [0, 0, 0], [0.3, -0.4, 0.5]], float)
    q = quaternion_from_y(d)
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0)
    got = Rotation.from_quat(q).apply([0.0, 1.0, 0.0])
    unit = d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)
    unit[3] = [0, 1, 0]  # zero direction: identity
    np.testing.assert_allclose(got, unit, atol=1e-12)
    flips = hemisphere_continuous(np.array([[0, 0, 0, 1.0], [0, 0, 0, -1.0]]))
    np.testing.assert_allclose(flips[1], [0, 0, 0, 1.0])


def test_bone_transforms_zero_length_bone():
    j = np.zeros((2, 3, 3))
    j[:, 1] = [0, 1, 0]
    j[:, 2] = j[:, 1]  # a zero-length bone 1 -> 2
    head, rot, length = bone_transforms(j, np.array([[0, 1], [1, 2]]))
    np.testing.assert_allclose(length, [[1, 0], [1, 0]])
    np.testing.assert_allclose(rot[:, 1], [[0, 0, 0, 1]] * 2)


@pytest.mark.parametrize("kwargs,match", [
    ({"joints": np.zeros((4, 22))}, "joints must be"),
    ({"joints": np.full((4, 22, 3), np.nan)}, "NaN"),
    ({"bones": np.array([[0, 30]])}, "bone joint indices"),
    ({"bones": np.zeros((0, 2), int)}, "non-empty int array"),
    ({"fps": 0.0}, "fps must be"),
    ({"part_of_joint": np.zeros(5, int)}, "part_of_joint must be"),
])
def test_animated_glb_rejects_bad_input(tmp_path, joints, kwargs, match):
    args = {"joints": joints, "bones": SMPL22.bones(), "fps": FPS, "part_of_joint": None}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        write_animated_glb(tmp_path / "x.glb", **args)
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_pose_sequence_rejects_bad_frames(tmp_path, joints):
    with pytest.raises(ValueError, match="out of range"):
        write_pose_sequence_glb(tmp_path / "x.glb", joints, SMPL22.bones(), [0, 999])
    with pytest.raises(ValueError, match="frames is empty"):
        write_pose_sequence_glb(tmp_path / "x.glb", joints, SMPL22.bones(), [])


def test_glb_container_layout(tmp_path):
    data = pack_glb({"asset": {"version": "2.0"}}, b"abc")
    magic, version, total = struct.unpack_from("<III", data)
    assert (magic, version, total) == (0x46546C67, 2, len(data)) and total % 4 == 0
    (tmp_path / "a.glb").write_bytes(data)
    assert read_glb_json(tmp_path / "a.glb") == {"asset": {"version": "2.0"}}
    (tmp_path / "b.glb").write_bytes(b"\0" * 24)
    with pytest.raises(ValueError, match="not a GLB 2.0 file"):
        read_glb_json(tmp_path / "b.glb")
    js = json.dumps({"a": 1}).encode()
    (tmp_path / "c.glb").write_bytes(struct.pack("<IIIII", 0x46546C67, 2, 28, 8, 0x004E4942)
                                     + js[:8])
    with pytest.raises(ValueError, match="first chunk is not JSON"):
        read_glb_json(tmp_path / "c.glb")


def test_nodes_are_named_by_the_joints(tmp_path, joints, shared_data):
    """SMPL-22 names on an .npy motion, the file's own names on a BVH motion (Blender)."""
    from motionlex.core.motion.bvh import load_bvh

    bones = SMPL22.bones()
    out = write_animated_glb(tmp_path / "m.glb", joints, bones, FPS, SMPL22.part_of_joint(),
                             name="humanml3d_samples/000000", joint_names=SMPL22.joint_names)
    nodes = [n["name"] for n in read_glb_json(out)["nodes"]]
    assert nodes[0] == "humanml3d_samples_000000"  # glTF-safe: no "/" (three.js drops it)
    assert nodes[1 + len(bones):] == list(SMPL22.joint_names)
    assert nodes[1:4] == ["pelvis-l_hip", "pelvis-r_hip", "pelvis-spine1"]
    assert len(set(nodes)) == len(nodes)
    graph = trimesh.load(out).graph.nodes  # a standard reader sees the same names
    assert {"pelvis", "l_foot", "l_knee-l_ankle"} <= set(graph)
    # the node order, and so the animation channels, is unchanged by the names
    plain = read_glb_json(write_animated_glb(tmp_path / "p.glb", joints, bones, FPS))
    assert [n["name"] for n in plain["nodes"]][1:3] == ["bone_0_1", "bone_0_2"]
    assert plain["animations"][0]["channels"] == read_glb_json(out)["animations"][0]["channels"]
    motion = load_bvh(shared_data / "raw_bvh" / "bandai_1_dash_normal_001.bvh")
    sk = motion.skeleton
    out = write_animated_glb(tmp_path / "b.glb", motion.joints, sk.bones(), motion.fps,
                             sk.part_of_joint(), joint_names=sk.joint_names)
    nodes = [n["name"] for n in read_glb_json(out)["nodes"]]
    assert nodes[1 + len(sk.bones()):] == list(sk.joint_names)
    assert "Hips" in nodes and "Foot_L" in nodes


def test_node_names_are_safe_and_unique():
    names = node_names("Hips", np.array([[0, 1], [1, 2], [1, 3]]),
                       ["Hips", "mixamorig:Spine", "a.b c", "a_b_c"], 4)
    root, bone_nodes, joint_nodes = names
    assert joint_nodes == ["Hips", "mixamorig_Spine", "a_b_c", "a_b_c_2"]
    assert root == "Hips_2"
    assert bone_nodes == ["Hips-mixamorig_Spine", "mixamorig_Spine-a_b_c",
                          "mixamorig_Spine-a_b_c_2"]
    assert node_names("", np.array([[0, 1]]), ["", "x"], 2) == ("motion", ["joint_0-x"],
                                                               ["joint_0", "x"])
    with pytest.raises(ValueError, match="one name per joint"):
        node_names("m", np.array([[0, 1]]), ["a"], 2)
