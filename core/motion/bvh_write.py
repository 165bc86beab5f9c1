"""Writing BVH files from joint positions: rest skeleton, per-joint rotations, text output.

Joint-position datasets (HumanML3D/SMPL-22, KIT-ML-21, generated motions) have no joint
rotations, so a BVH file needs them solved from the positions, the same problem as the
joints-to-BVH converters of the text-to-motion tools (MoMask, Guo et al. CVPR 2024,
``visualization/joints2bvh.py``, which fits a template with the ``BasicInverseKinematics``
of Holden, Saito & Komura, SIGGRAPH 2016: rotate each joint so that its rest bone
directions line up with the posed ones). Here, without a template and without iterations:

1. Rest skeleton (:func:`rest_offsets`): every bone gets the median of its length over the
   motion. Its rest direction is a T-pose built from the five body-part chains (torso up,
   arms out to their side, thighs and shins down, feet forward; left at +X, facing +Z, as
   in the canonical form) or, with ``rest="first_frame"``, the bone's direction on frame 0.
   Bones outside the chains (fingers, twist bones) keep their frame-0 direction relative to
   their parent bone. A joint with several children (pelvis, chest) moves them rigidly, so
   their rest offsets are the motion's mean arrangement (generalised Procrustes mean over
   frames, Gower 1975), turned as a whole to best match the wanted directions.
2. Rotations (:func:`local_rotations`), per frame, parents before children:
   - several children: the least-squares rotation taking the rest offsets onto the posed
     ones (Kabsch 1976, SVD with a determinant check), each child weighted by the number
     of joints its bone carries: where the data's sibling arrangement is not rigid, a
     misfit moves that child's whole subtree, so this minimises the summed squared
     position error over all joints;
   - one child: the shortest-arc rotation taking the rest direction onto the posed one,
     expressed in the parent's frame, i.e. no twist about the bone relative to the parent
     (positions do not determine that twist; inheriting the parent's keeps chains steady);
   - no child (leaves): the parent's orientation (identity local rotation).
3. File: root ``Xposition Yposition Zposition`` + three rotations, every other joint
   three rotation channels, degrees, intrinsic ``Zrotation Xrotation Yrotation``
   (``R = Rz @ Rx @ Ry`` as :mod:`.bvh` reads it) or ``Zrotation Yrotation Xrotation``,
   whichever keeps that joint farther from gimbal lock on this motion (a knee bent 90
   degrees about X is singular under ZXY, a root turned 90 degrees about Y under ZYX);
   channels are unwrapped over time so none jumps by 360 degrees. Leaves get an
   ``End Site`` half their bone's length further along it.
   Units are centimetres by default (``scale=100``), as most DCC tools expect.

Positions read back match the input up to each bone's deviation from its median length,
accumulated along the chain from the root: exactly for HumanML3D's retargeted skeleton.
Limit: a rotation-only BVH moves a joint's children rigidly, so where the data's siblings
do not keep their angles (some CMU conversions' pelvis and chest; the KIT-ML tree, whose
head and shoulders all hang from BLN) the misfit of those bones remains (tens of mm at
worst; the report in tests/core/motion/test_bvh_write.py measures it). Format: Meredith & Maddock,
"Motion Capture File Formats Explained", 2001, Sec. 2.2.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from scipy.spatial.transform import Rotation

from motionlex.core.atomic import atomic_file
from motionlex.core.motion.rotations import (
    best_rotation,
    procrustes_mean,
    shortest_arc,
    spans_plane,
    unit_vectors,
)
from motionlex.core.motion.skeleton import Skeleton

logger = logging.getLogger(__name__)

EULER_ORDERS: tuple[str, ...] = ("ZXY", "ZYX")
"""Candidate rotation channel orders (intrinsic, scipy upper-case axes); each joint gets the
one farther from gimbal lock on the motion (:func:`euler_channels`)."""
ZERO_BONE_M = 1e-4
"""Bones whose median length is below this (metres) get a zero offset and no direction."""
END_SITE_FRACTION = 0.5
"""End Site offset of a leaf joint, as a fraction of the leaf's own bone length."""

_UP, _DOWN, _FWD = np.array([0.0, 1, 0]), np.array([0.0, -1, 0]), np.array([0.0, 0, 1])
_LEFT, _RIGHT = np.array([1.0, 0, 0]), np.array([-1.0, 0, 0])
_NAME_BAD = re.compile(r"[{}]")


# ------------------------------------------------------------------------------ checks
def _check_inputs(joints: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    arr = np.asarray(joints)
    if arr.dtype.kind not in "fiu":
        raise ValueError(f"joints must be numeric, got dtype {arr.dtype}")
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] < 1:
        raise ValueError(f"joints must be (T, J, 3) with T >= 1, got shape {arr.shape}")
    if arr.shape[1] != skeleton.num_joints:
        raise ValueError(f"skeleton {skeleton.name!r} has {skeleton.num_joints} joints, "
                         f"the joint array has {arr.shape[1]} (shape {arr.shape})")
    arr = arr.astype(np.float64)
    bad = ~np.isfinite(arr).all(axis=(1, 2))
    if bad.any():
        frames = np.nonzero(bad)[0]
        raise ValueError(f"joints contain NaN or inf in {len(frames)} frame(s), first at "
                         f"frame {frames[0]}")
    return arr


def _tree_order(skeleton: Skeleton) -> tuple[list[int], list[list[int]]]:
    """Depth-first pre-order from the root (the BVH file order) and each joint's children.

    Raises:
        ValueError: joints not reachable from the root (a cycle in ``parents``).
    """
    children: list[list[int]] = [[] for _ in range(skeleton.num_joints)]
    for c, p in enumerate(skeleton.parents):
        if p >= 0:
            children[p].append(c)
    order, stack = [], [skeleton.root]
    while stack and len(order) <= skeleton.num_joints:
        j = stack.pop()
        order.append(j)
        stack.extend(reversed(children[j]))
    if len(order) != skeleton.num_joints or len(set(order)) != len(order):
        missing = sorted(set(range(skeleton.num_joints)) - set(order))
        raise ValueError(f"skeleton {skeleton.name!r}: joints {missing} are not reachable "
                         "from the root (cycle in parents); cannot write a BVH tree")
    return order, children


def _bvh_names(skeleton: Skeleton, joint_names: Sequence[str] | None) -> list[str]:
    names = list(skeleton.joint_names if joint_names is None else joint_names)
    if len(names) != skeleton.num_joints:
        raise ValueError(f"joint_names has {len(names)} names, skeleton {skeleton.name!r} has "
                         f"{skeleton.num_joints} joints")
    out = []
    for n in names:
        clean = "_".join(str(n).split())
        if not clean or _NAME_BAD.search(clean):
            raise ValueError(f"joint name {n!r} cannot be written to BVH (empty or has braces)")
        if clean != n:
            logger.info("BVH joint name %r written as %r (no whitespace)", n, clean)
        out.append(clean)
    dup = sorted({n for n in out if out.count(n) > 1})
    if dup:
        raise ValueError(f"joint names must be unique in a BVH file; repeated: {dup}")
    return out


# ------------------------------------------------------------------------------ rest pose
def _tpose_directions(skeleton: Skeleton) -> dict[int, np.ndarray]:
    """Wanted rest direction of the bone ending at each chain joint (T-pose, facing +Z)."""
    out: dict[int, np.ndarray] = {}
    side = {1: _LEFT, 2: _RIGHT, 3: _LEFT, 4: _RIGHT}
    for part, chain in enumerate(skeleton.chains):
        for k, c in enumerate(chain[1:], start=1):
            if c in out:
                continue
            if part == 0:
                out[c] = _UP
            elif part in (1, 2):
                out[c] = side[part]
            else:
                out[c] = side[part] if k == 1 else _DOWN if k <= 3 else _FWD
    return out


def _first_directions(vec: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``(J, 3)`` unit bone directions on frame 0 (first frame with a non-zero bone)."""
    unit, n = unit_vectors(vec)
    out = np.tile(_UP, (vec.shape[1], 1))
    for j in range(vec.shape[1]):
        ok = np.nonzero(n[:, j] > 0.01 * max(lengths[j], ZERO_BONE_M))[0]
        if len(ok):
            out[j] = unit[ok[0], j]
    return out


def rest_offsets(joints: np.ndarray, skeleton: Skeleton,
                 rest: Literal["tpose", "first_frame"] = "tpose") -> np.ndarray:
    """The BVH ``OFFSET`` of every joint from its parent, in metres.

    Args:
        joints: ``(T, J, 3)`` float joint positions, metres, Y up.
        skeleton: its kinematic tree and body-part chains (chains choose the T-pose).
        rest: ``"tpose"`` (torso up, arms out sideways, legs down, feet forward; left side
            at +X, facing +Z) or ``"first_frame"`` (the bone directions of frame 0).

    Returns:
        ``(J, 3)`` float64 offsets, metres; the root's row is zero. Each bone's length is
        its median over frames (zero below :data:`ZERO_BONE_M`); siblings keep the motion's
        mean arrangement (see the module docstring).

    Raises:
        ValueError: bad shape, NaN/inf, a joint count other than the skeleton's, an unknown
            ``rest`` or a tree not reachable from the root.

    Source: module docstring, step 1.
    """
    if rest not in ("tpose", "first_frame"):
        raise ValueError(f"rest must be 'tpose' or 'first_frame', got {rest!r}")
    x = _check_inputs(joints, skeleton)
    order, children = _tree_order(skeleton)
    parents = np.asarray(skeleton.parents)
    par = np.where(parents < 0, np.arange(len(parents)), parents)
    vec = x - x[:, par]                                       # (T, J, 3) bone vectors
    lengths = np.median(np.linalg.norm(vec, axis=-1), axis=0)
    lengths[lengths < ZERO_BONE_M] = 0.0
    lengths[skeleton.root] = 0.0
    first = _first_directions(vec, lengths)
    wanted = _tpose_directions(skeleton) if rest == "tpose" else {}
    offsets = np.zeros((skeleton.num_joints, 3))
    to_rest = {skeleton.root: np.eye(3)}  # per joint: frame-0 world -> rest world
    for j in order:
        kids = [c for c in children[j] if lengths[c] > 0]
        p = skeleton.parents[j]
        if j != skeleton.root:
            to_rest[j] = (shortest_arc(first[j], unit_vectors(offsets[j])[0]) if lengths[j] > 0
                          else to_rest[p])
        if not kids:
            continue
        target = np.stack([wanted[c] if c in wanted else to_rest[j] @ first[c] for c in kids])
        if spans_plane(first[kids]):
            shape = procrustes_mean(vec[:, kids], lengths[kids])
            offsets[kids] = shape @ best_rotation(shape, target * lengths[kids, None]).T
        else:
            offsets[kids] = target * lengths[kids, None]
    return offsets


# ------------------------------------------------------------------------------ rotations
def local_rotations(joints: np.ndarray, skeleton: Skeleton, offsets: np.ndarray) -> np.ndarray:
    """Per-frame local joint rotations that pose ``offsets`` like ``joints``.

    Args:
        joints: ``(T, J, 3)`` float joint positions, metres.
        skeleton: the kinematic tree.
        offsets: ``(J, 3)`` float rest offsets from :func:`rest_offsets`, metres.

    Returns:
        ``(T, J, 3, 3)`` float64 rotation matrices ``L_j`` with world orientation
        ``G_j = G_parent @ L_j`` (``G_root = L_root``), so that forward kinematics
        ``x_c = x_j + G_j @ offsets[c]`` reproduces every bone's direction.

    Raises:
        ValueError: bad shapes, NaN/inf or a tree not reachable from the root.

    Source: module docstring, step 2 (Kabsch 1976 for several children; shortest arc with
    the parent's twist for one child; cf. Holden et al. 2016 ``BasicInverseKinematics``).
    """
    x = _check_inputs(joints, skeleton)
    off = np.asarray(offsets, np.float64)
    if off.shape != (skeleton.num_joints, 3):
        raise ValueError(f"offsets must be ({skeleton.num_joints}, 3), got {off.shape}")
    order, children = _tree_order(skeleton)
    n_frames = x.shape[0]
    eye = np.broadcast_to(np.eye(3), (n_frames, 3, 3))
    world = np.zeros((n_frames, skeleton.num_joints, 3, 3))
    local = np.zeros_like(world)
    lengths = np.linalg.norm(off, axis=-1)
    subtree = np.ones(skeleton.num_joints)  # joints moved by each bone: Kabsch weights
    for j in reversed(order):
        if skeleton.parents[j] >= 0:
            subtree[skeleton.parents[j]] += subtree[j]
    for j in order:
        p = skeleton.parents[j]
        g_par = world[:, p] if p >= 0 else eye
        kids = [c for c in children[j] if lengths[c] > 0]
        if len(kids) >= 2 and spans_plane(off[kids]):
            g = best_rotation(off[kids], x[:, kids] - x[:, j, None], subtree[kids])
        elif kids:
            c = max(kids, key=lambda k: lengths[k])
            posed = np.einsum("tji,tj->ti", g_par, x[:, c] - x[:, j])   # in parent's frame
            b, n = unit_vectors(posed)
            a = np.broadcast_to(unit_vectors(off[c])[0], b.shape)
            b = np.where((n > 1e-9)[:, None], b, a)
            g = g_par @ shortest_arc(a, b)
        else:
            g = np.array(g_par)
        world[:, j] = g
        local[:, j] = np.swapaxes(g_par, -1, -2) @ g
    return local


# ------------------------------------------------------------------------------ writing
def euler_channels(local: np.ndarray,
                   orders: Sequence[str] = EULER_ORDERS) -> tuple[np.ndarray, list[str]]:
    """BVH rotation channels of local rotations, with one Euler order chosen per joint.

    For each joint the order (of ``orders``) whose middle angle stays furthest from
    +-90 degrees over the motion is used: the middle angle of a Tait-Bryan sequence is
    where gimbal lock happens (e.g. a 90-degree knee bend about X under ``ZXY``), and near
    it the other two angles swing wildly between frames.

    Args:
        local: ``(T, J, 3, 3)`` float rotation matrices.
        orders: candidate intrinsic orders (scipy upper-case axes).

    Returns:
        ``(angles, chosen)``: ``(T, J, 3)`` float64 degrees in each joint's chosen order,
        unwrapped over frames (no 360-degree jumps), and the ``J`` chosen orders.

    Source: Diebel, "Representing Attitude: Euler Angles, Unit Quaternions, and Rotation
    Vectors", 2006, Sec. 5 (singularity of the middle angle).
    """
    n_frames, n_joints = local.shape[:2]
    rot = Rotation.from_matrix(local.reshape(-1, 3, 3))
    best = np.zeros((n_frames, n_joints, 3))
    best_margin = np.full(n_joints, -np.inf)
    chosen = [orders[0]] * n_joints
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # gimbal lock: still an exact rotation
        for order in orders:
            eul = rot.as_euler(order, degrees=True).reshape(n_frames, n_joints, 3)
            margin = 90.0 - np.abs(eul[..., 1]).max(axis=0)
            better = margin > best_margin + 1e-9
            best[:, better] = eul[:, better]
            best_margin[better] = margin[better]
            for k in np.nonzero(better)[0]:
                chosen[k] = order
    return np.unwrap(best, period=360.0, axis=0), chosen


def _hierarchy(names: list[str], order: list[int], children: list[list[int]],
               offsets: np.ndarray, skeleton: Skeleton, eulers: list[str]) -> str:
    lines = ["HIERARCHY"]

    def block(j: int, depth: int) -> None:
        tab = "\t" * depth
        root = skeleton.parents[j] < 0
        rot = " ".join(f"{a}rotation" for a in eulers[j])
        lines.append(f"{tab}{'ROOT' if root else 'JOINT'} {names[j]}")
        lines.append(f"{tab}{{")
        lines.append(f"{tab}\tOFFSET {' '.join(f'{v:.6f}' for v in offsets[j])}")
        lines.append(f"{tab}\tCHANNELS 6 Xposition Yposition Zposition {rot}" if root
                     else f"{tab}\tCHANNELS 3 {rot}")
        if children[j]:
            for c in children[j]:
                block(c, depth + 1)
        else:
            d, n = unit_vectors(offsets[j])
            end = d * n * END_SITE_FRACTION if n > 0 else np.zeros(3)
            lines.extend([f"{tab}\tEnd Site", f"{tab}\t{{",
                          f"{tab}\t\tOFFSET {' '.join(f'{v:.6f}' for v in end)}", f"{tab}\t}}"])
        lines.append(f"{tab}}}")

    block(order[0], 0)
    return "\n".join(lines) + "\n"


def write_bvh(
    path: str | os.PathLike,
    joints: np.ndarray,
    skeleton: Skeleton,
    fps: float,
    *,
    scale: float = 100.0,
    joint_names: Sequence[str] | None = None,
    rest: Literal["tpose", "first_frame"] = "tpose",
) -> Path:
    """Write joint positions as a BVH file with solved joint rotations.

    Args:
        path: output ``.bvh`` file; written under a temporary name and renamed into place,
            so a failure leaves no partial file and an existing file untouched.
        joints: ``(T, J, 3)`` float joint positions, metres, Y up, ``T >= 1``.
        skeleton: the motion's skeleton (``J`` joints; its tree becomes the hierarchy, its
            chains choose the T-pose).
        fps: frames per second (> 0); written as ``Frame Time: 1/fps``.
        scale: file units per metre (100: centimetres, as most DCC tools expect; 1: metres).
        joint_names: ``J`` names to write instead of ``skeleton.joint_names`` (whitespace
            becomes ``_``).
        rest: rest pose, ``"tpose"`` or ``"first_frame"`` (see :func:`rest_offsets`).

    Returns:
        The path written.

    Raises:
        ValueError: bad shape, NaN/inf, a joint count other than the skeleton's, ``fps`` or
            ``scale`` not positive, names empty, repeated or with braces, unknown ``rest``,
            or a tree not reachable from the root.
        OSError: the file cannot be written (e.g. its folder is a file).

    Source: module docstring (rest skeleton, Kabsch / shortest-arc rotations, BVH layout of
    Meredith & Maddock 2001).
    """
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number (file units per metre), got {scale!r}")
    x = _check_inputs(joints, skeleton)
    names = _bvh_names(skeleton, joint_names)
    order, children = _tree_order(skeleton)
    offsets = rest_offsets(x, skeleton, rest)
    local = local_rotations(x, skeleton, offsets)
    angles, eulers = euler_channels(local)                           # (T, J, 3)
    cols = [np.concatenate([x[:, j] * scale, angles[:, j]], axis=1) if skeleton.parents[j] < 0
            else angles[:, j] for j in order]
    values = np.concatenate(cols, axis=1)
    values[np.abs(values) < 5e-7] = 0.0                               # no "-0.000000"
    header = _hierarchy(names, order, children, offsets * scale, skeleton, eulers)
    row = " ".join(["%.6f"] * values.shape[1])
    body = "\n".join(row % tuple(r) for r in values.tolist())
    text = (f"{header}MOTION\nFrames: {x.shape[0]}\nFrame Time: {1.0 / float(fps):.8f}\n"
            f"{body}\n")
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    logger.info("wrote BVH %s (%d frames, %d joints, %g fps, x%g units per metre)",
                path, x.shape[0], skeleton.num_joints, fps, scale)
    return Path(path)
