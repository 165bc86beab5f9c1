"""Animated glTF (GLB) stick figures and static pose sequences of a motion.

Pure NumPy/trimesh code, no Qt. Coordinates are the project's canonical form, which is also
glTF's: metres, Y up, the body facing +Z at frame 0.

Animated GLB (:func:`write_animated_glb`): one node per bone holding a unit stick (a cylinder
from ``y = 0`` to ``y = 1``) and one node per joint holding a sphere; a glTF animation
samples, at every frame time, each bone node's translation (parent joint), rotation (+Y onto
the bone direction) and scale (the bone length along Y), and each joint node's translation.
Rotations are kept in one hemisphere frame to frame, so the viewer's spherical interpolation
takes the short way. Nodes are named by the skeleton's joints when their names are given
(joint node ``l_knee``, bone node ``l_hip-l_knee``; :func:`node_names`), else by index
(``joint_16``, ``bone_0_1``). Source: Khronos glTF 2.0 specification, Sec. 3.7 (nodes and TRS
transforms), 3.11 (animations), 4.4 (GLB container). Geometry comes from
``trimesh.creation``; the static pose sequence (:func:`write_pose_sequence_glb`) is a
``trimesh.Scene`` exported by trimesh.

Every file is written through :func:`motionlex.core.atomic.atomic_file`, so a failed export
leaves no partial file.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy.spatial.transform import Rotation

from motionlex.core.atomic import atomic_file
from motionlex.core.motion.glb import GltfBuilder, pack_glb
from motionlex.core.motion.glb import read_glb_accessor as read_glb_accessor
from motionlex.core.motion.glb import read_glb_json as read_glb_json

if TYPE_CHECKING:
    import trimesh

logger = logging.getLogger(__name__)

PART_COLORS_RGB: tuple[tuple[float, float, float], ...] = (
    (0.000, 0.620, 0.451),  # torso   #009E73
    (0.337, 0.706, 0.914),  # l arm   #56B4E9
    (0.902, 0.624, 0.000),  # r arm   #E69F00
    (0.000, 0.447, 0.698),  # l leg   #0072B2
    (0.835, 0.369, 0.000),  # r leg   #D55E00
)
"""Body-part colours (Okabe-Ito, as ``widgets/colors.py``), linear-ish RGB in [0, 1]."""
UNASSIGNED_RGB = (0.733, 0.733, 0.733)

BONE_RADIUS_M = 0.02
"""Stick radius, metres."""

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


# ---------------------------------------------------------------------------------- checks
def _check_motion(joints: np.ndarray, bones: np.ndarray,
                  part_of_joint: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    j = np.asarray(joints, np.float64)
    if j.ndim != 3 or j.shape[-1] != 3 or j.shape[0] < 1 or j.shape[1] < 2:
        raise ValueError(f"joints must be (T, J, 3) with T >= 1, J >= 2; got {j.shape}")
    if not np.isfinite(j).all():
        raise ValueError("joints contain NaN or inf values")
    b = np.asarray(bones)
    if b.ndim != 2 or b.shape[1] != 2 or not np.issubdtype(b.dtype, np.integer) or len(b) == 0:
        raise ValueError(f"bones must be a non-empty int array (B, 2); got {b.dtype} {b.shape}")
    if b.min() < 0 or b.max() >= j.shape[1]:
        raise ValueError(f"bone joint indices must be in [0, {j.shape[1]}); "
                         f"got {b.min()}..{b.max()}")
    if part_of_joint is None:
        parts = np.full(j.shape[1], -1, np.int64)
    else:
        parts = np.asarray(part_of_joint, np.int64)
        if parts.shape != (j.shape[1],):
            raise ValueError(f"part_of_joint must be ({j.shape[1]},); got {parts.shape}")
    return j, b.astype(np.int64), parts


def _part_rgb(part: int) -> tuple[float, float, float]:
    return PART_COLORS_RGB[part] if 0 <= part < len(PART_COLORS_RGB) else UNASSIGNED_RGB


def _part_rgba8(part: int) -> np.ndarray:
    """``(4,)`` uint8 RGBA of a body part (trimesh reads float colours as 0-1)."""
    return np.array([*(round(c * 255) for c in _part_rgb(part)), 255], np.uint8)


def node_names(root: str, bones: np.ndarray, joint_names: Sequence[str] | None,
               num_joints: int) -> tuple[str, list[str], list[str]]:
    """Unique, glTF-safe names of the animated GLB's root, bone and joint nodes.

    With ``joint_names``, joint node ``k`` is named ``joint_names[k]`` and the bone node of
    ``(p, c)`` is ``"<name p>-<name c>"``; without, ``joint_<k>`` and ``bone_<p>_<c>``. Every
    run of characters other than ASCII letters, digits, ``_`` and ``-`` becomes ``_``
    (``mixamorig:Hips`` -> ``mixamorig_Hips``): three.js drops ``.:/[]`` from node names
    when it binds animation tracks and Blender reads ``.001`` as a copy suffix. A name
    already taken (joints are named first, then the root, then the bones) gets ``_2``,
    ``_3``, ...; an empty joint name becomes ``joint_<k>``, an empty root ``motion``.

    Args:
        root: name of the root node (the motion's name).
        bones: ``(B, 2)`` int ``(parent, child)`` joint pairs.
        joint_names: ``J`` joint names, or None.
        num_joints: ``J``.

    Returns:
        ``(root name, B bone node names, J joint node names)``, all distinct.

    Raises:
        ValueError: ``joint_names`` is not ``J`` names.
    """
    if joint_names is not None and len(joint_names) != num_joints:
        raise ValueError(f"joint_names must have one name per joint ({num_joints}); "
                         f"got {len(joint_names)}")
    taken: set[str] = set()

    def claim(raw: str, fallback: str) -> str:
        base = _UNSAFE.sub("_", raw).strip("_") or fallback
        out, n = base, 1
        while out in taken:
            n += 1
            out = f"{base}_{n}"
        taken.add(out)
        return out

    if joint_names is None:
        joints = [claim(f"joint_{k}", f"joint_{k}") for k in range(num_joints)]
        root_name = claim(root, "motion")
        bone_names = [claim(f"bone_{p}_{c}", f"bone_{p}_{c}") for p, c in bones]
    else:
        joints = [claim(str(n), f"joint_{k}") for k, n in enumerate(joint_names)]
        root_name = claim(root, "motion")
        bone_names = [claim(f"{joints[p]}-{joints[c]}", f"bone_{p}_{c}") for p, c in bones]
    return root_name, bone_names, joints


# ---------------------------------------------------------------------------------- maths
def quaternion_from_y(directions: np.ndarray) -> np.ndarray:
    """Shortest-arc rotations taking +Y onto each direction.

    Args:
        directions: ``(..., 3)`` float vectors (any length; zero vectors give identity).

    Returns:
        ``(..., 4)`` float64 unit quaternions ``(x, y, z, w)`` (glTF order). For a direction
        opposite to +Y the result is a half turn about X.

    Source: half-way quaternion ``q = normalize(cross(a, b), 1 + a.b)`` for unit ``a, b``.
    """
    d = np.asarray(directions, np.float64)
    n = np.linalg.norm(d, axis=-1, keepdims=True)
    unit = np.where(n > 1e-12, d / np.where(n > 1e-12, n, 1.0), [0.0, 1.0, 0.0])
    q = np.stack([unit[..., 2], np.zeros_like(unit[..., 0]), -unit[..., 0],
                  1.0 + unit[..., 1]], axis=-1)
    opposite = q[..., 3] < 1e-9
    q[opposite] = [1.0, 0.0, 0.0, 0.0]
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def hemisphere_continuous(q: np.ndarray) -> np.ndarray:
    """Flip quaternion signs along axis 0 so consecutive ones have a non-negative dot product.

    Args:
        q: ``(T, ..., 4)`` unit quaternions.

    Returns:
        ``(T, ..., 4)`` the same rotations, each within 90 degrees (4D) of the previous one,
        so spherical interpolation between frames takes the short way.
    """
    q = np.array(q, np.float64, copy=True)
    for t in range(1, len(q)):
        flip = np.sum(q[t] * q[t - 1], axis=-1) < 0
        q[t][flip] *= -1.0
    return q


def bone_transforms(joints: np.ndarray, bones: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per-frame TRS of unit sticks that span each bone.

    A unit stick runs from the origin to ``(0, 1, 0)``; scaled by ``(1, L, 1)``, rotated by
    the returned quaternion and translated to the parent joint, its tip lands on the child.

    Args:
        joints: ``(T, J, 3)`` float joint positions, metres.
        bones: ``(B, 2)`` int ``(parent, child)`` pairs.

    Returns:
        ``(translation (T, B, 3), rotation (T, B, 4) xyzw, length (T, B))`` float64; zero
        length bones get the identity rotation and length 0.

    Raises:
        ValueError: bad shapes or indices.
    """
    j, b, _ = _check_motion(joints, bones, None)
    head, tail = j[:, b[:, 0]], j[:, b[:, 1]]
    vec = tail - head
    length = np.linalg.norm(vec, axis=-1)
    rot = hemisphere_continuous(quaternion_from_y(vec))
    return head, rot, length


# ---------------------------------------------------------------------------------- meshes
def unit_stick(radius: float = BONE_RADIUS_M, sections: int = 10) -> trimesh.Trimesh:
    """A closed cylinder of ``radius`` metres from ``y = 0`` to ``y = 1`` (trimesh)."""
    import trimesh  # lazy: trimesh is slow to import and only exports need it

    mesh = trimesh.creation.cylinder(radius=radius, height=1.0, sections=sections)
    # trimesh's cylinder is centred on the origin along Z: rotate Z onto Y, lift by 1/2
    rot = trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0])
    rot[1, 3] = 0.5
    mesh.apply_transform(rot)
    return mesh


def joint_ball(radius: float = BONE_RADIUS_M * 1.5) -> trimesh.Trimesh:
    """An icosphere of ``radius`` metres centred on the origin (trimesh)."""
    import trimesh

    return trimesh.creation.icosphere(subdivisions=1, radius=radius)


def stick_figure(pose: np.ndarray, bones: np.ndarray, part_of_joint: np.ndarray | None = None,
                 radius: float = BONE_RADIUS_M) -> trimesh.Trimesh:
    """One pose as a single coloured mesh: a stick per bone and a ball per joint.

    Args:
        pose: ``(J, 3)`` float joint positions, metres.
        bones: ``(B, 2)`` int ``(parent, child)`` pairs.
        part_of_joint: ``(J,)`` int body part per joint (colours), or None (grey).
        radius: stick radius, metres.

    Returns:
        A ``trimesh.Trimesh`` with per-face colours.

    Raises:
        ValueError: bad shapes or indices.
    """
    import trimesh

    j, b, parts = _check_motion(np.asarray(pose)[None], bones, part_of_joint)
    head, rot, length = bone_transforms(j, b)
    stick, ball = unit_stick(radius), joint_ball(radius * 1.5)
    pieces = []
    for k, c in enumerate(b[:, 1]):
        if length[0, k] < 1e-9:
            continue
        verts = stick.vertices * [1.0, length[0, k], 1.0]
        verts = Rotation.from_quat(rot[0, k]).apply(verts) + head[0, k]
        m = trimesh.Trimesh(verts, stick.faces, process=False)
        m.visual.face_colors = _part_rgba8(int(parts[c]))
        pieces.append(m)
    for k in range(j.shape[1]):
        m = trimesh.Trimesh(ball.vertices + j[0, k], ball.faces, process=False)
        m.visual.face_colors = _part_rgba8(int(parts[k]))
        pieces.append(m)
    return trimesh.util.concatenate(pieces)


# ---------------------------------------------------------------------------------- GLB I/O
def write_animated_glb(
    path: str | os.PathLike,
    joints: np.ndarray,
    bones: np.ndarray,
    fps: float,
    part_of_joint: np.ndarray | None = None,
    *,
    radius: float = BONE_RADIUS_M,
    name: str = "motion",
    joint_names: Sequence[str] | None = None,
) -> Path:
    """Write a motion as an animated stick figure in one GLB file.

    Args:
        path: output ``.glb`` file (replaced atomically).
        joints: ``(T, J, 3)`` float joint positions, metres, Y up.
        bones: ``(B, 2)`` int ``(parent, child)`` pairs, e.g. ``Skeleton.bones()``.
        fps: frame rate, frames per second (> 0); frame ``t`` is keyed at ``t / fps`` s.
        part_of_joint: ``(J,)`` int body part per joint (bone colour = child's part).
        radius: stick radius, metres.
        name: the scene's and animation's name (the root node's, made glTF-safe).
        joint_names: ``J`` joint names (``Skeleton.joint_names``) that name the nodes, e.g.
            ``l_knee`` and ``l_hip-l_knee`` (:func:`node_names`); None: ``joint_16``,
            ``bone_0_1``.

    Returns:
        The path written.

    Raises:
        ValueError: bad shapes, indices, ``fps`` or number of ``joint_names``.

    Source: glTF 2.0 specification, Sec. 3.7.3 (TRS), 3.11 (animation samplers, LINEAR
    interpolation; rotations interpolated spherically), 4.4 (GLB).
    """
    j, b, parts = _check_motion(joints, bones, part_of_joint)
    if not np.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    root_name, bone_names, joint_node_names = node_names(name, b, joint_names, j.shape[1])
    head, rot, length = bone_transforms(j, b)
    t_count = j.shape[0]
    g = GltfBuilder()
    stick_arrays = g.add_mesh_arrays(unit_stick(radius))
    ball_arrays = g.add_mesh_arrays(joint_ball(radius * 1.5))

    used_parts = sorted({int(p) for p in parts})
    materials = [{"name": f"part{p}", "pbrMetallicRoughness": {
        "baseColorFactor": [*_part_rgb(p), 1.0], "metallicFactor": 0.0,
        "roughnessFactor": 0.8}} for p in used_parts]
    mat_of = {p: i for i, p in enumerate(used_parts)}
    meshes, mesh_of = [], {}
    for shape, (pos, nrm, idx) in (("stick", stick_arrays), ("ball", ball_arrays)):
        for p in used_parts:
            mesh_of[shape, p] = len(meshes)
            meshes.append({"name": f"{shape}_part{p}", "primitives": [{
                "attributes": {"POSITION": pos, "NORMAL": nrm}, "indices": idx,
                "material": mat_of[p]}]})

    times = g.add(np.arange(t_count, dtype=np.float32) / np.float32(fps), "SCALAR",
                  with_bounds=True)
    nodes: list[dict] = [{"name": root_name, "children": []}]
    samplers, channels = [], []

    def animate(node: int, path_name: str, values: np.ndarray, kind: str) -> None:
        acc = g.add(values.astype(np.float32), kind)
        samplers.append({"input": times, "output": acc, "interpolation": "LINEAR"})
        channels.append({"sampler": len(samplers) - 1,
                         "target": {"node": node, "path": path_name}})

    scale = np.ones((t_count, len(b), 3))
    scale[..., 1] = np.maximum(length, 1e-6)
    for k, (_p, c) in enumerate(b):
        node = len(nodes)
        nodes.append({"name": bone_names[k], "mesh": mesh_of["stick", int(parts[c])],
                      "translation": head[0, k].tolist(), "rotation": rot[0, k].tolist(),
                      "scale": scale[0, k].tolist()})
        nodes[0]["children"].append(node)
        animate(node, "translation", head[:, k], "VEC3")
        animate(node, "rotation", rot[:, k], "VEC4")
        animate(node, "scale", scale[:, k], "VEC3")
    for k in range(j.shape[1]):
        node = len(nodes)
        nodes.append({"name": joint_node_names[k], "mesh": mesh_of["ball", int(parts[k])],
                      "translation": j[0, k].tolist()})
        nodes[0]["children"].append(node)
        animate(node, "translation", j[:, k], "VEC3")

    gltf = {
        "asset": {"version": "2.0", "generator": "motionlex explorer"},
        "scene": 0, "scenes": [{"name": name, "nodes": [0]}], "nodes": nodes,
        "meshes": meshes, "materials": materials,
        "animations": [{"name": name, "samplers": samplers, "channels": channels}],
        "buffers": [{"byteLength": len(g.blob) + (-len(g.blob) % 4)}],
        "bufferViews": g.views, "accessors": g.accessors,
    }
    out = Path(path)
    with atomic_file(out) as tmp:
        tmp.write_bytes(pack_glb(gltf, g.blob))
    logger.info("wrote animated GLB %s (%d frames, %d bones)", out, t_count, len(b))
    return out


def write_pose_sequence_glb(
    path: str | os.PathLike,
    joints: np.ndarray,
    bones: np.ndarray,
    frames: Sequence[int],
    part_of_joint: np.ndarray | None = None,
    *,
    spacing_m: float = 0.0,
    radius: float = BONE_RADIUS_M,
) -> Path:
    """Write chosen frames as static stick figures, one scene node per frame (trimesh).

    Args:
        path: output ``.glb`` file (replaced atomically).
        joints: ``(T, J, 3)`` float joint positions, metres, Y up.
        bones: ``(B, 2)`` int ``(parent, child)`` pairs.
        frames: frame indices to include (each in ``[0, T)``), e.g. every 10th.
        part_of_joint: ``(J,)`` int body part per joint, or None.
        spacing_m: extra shift along +X per listed frame, metres (0: poses where they are).
        radius: stick radius, metres.

    Returns:
        The path written.

    Raises:
        ValueError: bad shapes or a frame out of range / no frames.
    """
    import trimesh

    j, b, parts = _check_motion(joints, bones, part_of_joint)
    frames = [int(f) for f in frames]
    if not frames:
        raise ValueError("frames is empty; give at least one frame index")
    bad = [f for f in frames if not 0 <= f < j.shape[0]]
    if bad:
        raise ValueError(f"frames {bad} out of range [0, {j.shape[0]})")
    scene = trimesh.Scene()
    for n, f in enumerate(frames):
        mesh = stick_figure(j[f] + [n * spacing_m, 0.0, 0.0], b, parts, radius)
        scene.add_geometry(mesh, node_name=f"frame_{f:05d}", geom_name=f"pose_{f:05d}")
    data = scene.export(file_type="glb")
    out = Path(path)
    with atomic_file(out) as tmp:
        tmp.write_bytes(data)
    logger.info("wrote pose sequence GLB %s (%d frames)", out, len(frames))
    return out
