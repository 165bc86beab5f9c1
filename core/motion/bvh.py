"""BVH (Biovision Hierarchy) files: parsing, forward kinematics, units, loading a Motion.

A BVH file is a joint tree (``HIERARCHY``: each joint's ``OFFSET`` from its parent and its
``CHANNELS``) followed by one line of channel values per frame (``MOTION``). Conventions
(Meredith & Maddock, "Motion Capture File Formats Explained", 2001, Sec. 2.2; Blender
``io_anim_bvh/import_bvh.py``):

- Rotation channels are Euler angles in degrees, applied in the order listed about the
  joint's own, moving axes: ``CHANNELS 3 Zrotation Xrotation Yrotation`` means
  ``R = Rz @ Rx @ Ry`` (scipy ``Rotation.from_euler("ZXY", ...)``; upper case = intrinsic).
- Position channels, on any joint, are that joint's translation from its parent and
  replace the ``OFFSET`` on the axes they name. Bandai files carry positions on every
  joint, equal to the offsets; Blender's importer also treats root positions as absolute
  (Meredith & Maddock add the root OFFSET; they agree when it is 0, as in every file here).
- A joint's world position is ``p_parent + R_parent_world @ t_joint``: its own rotation
  moves only its children. End Sites are not joints and are dropped from the output.
- Y is up (the BVH convention); a warning is logged when the spine does not point up.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from scipy.spatial.transform import Rotation

from motionlex.core.motion import chains as bodyparts
from motionlex.core.motion.motion import (
    MIN_FRAMES,
    Motion,
    MotionFileError,
    make_motion,
    warn_unless_y_up,
)
from motionlex.core.motion.skeleton import Skeleton

logger = logging.getLogger(__name__)

CHANNEL_NAMES: tuple[str, ...] = ("Xposition", "Yposition", "Zposition",
                                   "Xrotation", "Yrotation", "Zrotation")
"""The six BVH channel names (matched case-insensitively)."""

UNIT_SCALES: dict[str, float] = {"metres": 1.0, "centimetres": 0.01, "millimetres": 0.001,
                                 "inches": 0.0254, "CMU ASF units": 0.0254 / 0.45}
"""Candidate file units and their factor to metres. CMU's ASF files declare ``length
0.45`` in inches, so one unit is 1/0.45 inch = 0.056444 m (CMU mocap ASF/AMC notes)."""

MAX_BVH_JOINTS = 1000
"""Joints a BVH tree may have (the largest rigs here have about 250)."""
FPS_RANGE, MAX_DURATION_S = (1.0, 1000.0), 3600.0
"""Frame rates and clip lengths a motion file may have (beyond: a wrong header)."""
TYPICAL_HEIGHT_M = 1.7
PLAUSIBLE_HEIGHT_M = (1.2, 2.1)
INSERTED_JUMP_RATIO = 5.0
"""See :func:`first_frame_is_inserted`."""


@dataclass(frozen=True)
class BvhFile:
    """The raw content of a BVH file, in the file's own units.

    Attributes:
        path: the file, for error messages.
        joint_names: ``J`` joint names in file order (End Sites excluded).
        parents: ``J`` parent indices, ``-1`` for the root; parents precede children.
        offsets: ``(J, 3)`` float64 ``OFFSET`` of each joint from its parent, file units.
        channels: per joint, its channel names (spelled as in :data:`CHANNEL_NAMES`).
        end_sites: ``(joint index, (x, y, z) offset)`` of every End Site, file units.
        frame_time: seconds per frame, as written in the header.
        motion: ``(T, C)`` float64 channel values, ``C = sum(len(c) for c in channels)``.
    """

    path: str
    joint_names: tuple[str, ...]
    parents: tuple[int, ...]
    offsets: np.ndarray
    channels: tuple[tuple[str, ...], ...]
    end_sites: tuple[tuple[int, tuple[float, float, float]], ...]
    frame_time: float
    motion: np.ndarray

    @property
    def num_frames(self) -> int:
        """Number of frames ``T``."""
        return int(self.motion.shape[0])


def _numbers(tokens: Sequence[str], n: int, where: str) -> list[float]:
    if len(tokens) != n:
        raise MotionFileError(f"{where}: expected {n} number(s), got {len(tokens)}")
    out = []
    for k, t in enumerate(tokens):
        try:
            out.append(float(t))
        except ValueError:
            raise MotionFileError(
                f"{where}: non-numeric value {t!r} (value {k + 1} of {n})") from None
    return out


def _parse_hierarchy(lines: list[str], first: int, src: str) -> tuple[dict, int]:
    """Joint tree from the lines after ``lines[first]`` (HIERARCHY); and the MOTION line."""
    lookup = {c.lower(): c for c in CHANNEL_NAMES}
    tree: dict = {"names": [], "parents": [], "offsets": [], "channels": [], "end_sites": []}
    stack: list[int] = []  # open blocks: joint index, or -1 for an End Site
    pending: int | None = None  # block announced by ROOT/JOINT/End, waiting for "{"
    end_parent, end_offset = -1, None
    for ln in range(first + 1, len(lines)):
        tok = lines[ln].split()
        where = f"{src}, line {ln + 1}"
        if not tok:
            continue
        opens = tok[-1] == "{"
        tok = tok[:-1] if opens and len(tok) > 1 else tok
        key = tok[0].upper()
        if key == "MOTION":
            if stack:
                break
            if missing := [n for n, o in zip(tree["names"], tree["offsets"]) if o is None]:
                raise MotionFileError(f"{where}: joint(s) {missing} have no OFFSET block")
            return tree, ln
        if key in ("ROOT", "JOINT"):
            if (key == "ROOT") != (not stack) or (stack and stack[-1] < 0) or (
                    key == "ROOT" and tree["names"]):
                raise MotionFileError(f"{where}: unexpected {tok[0]} (one ROOT, JOINTs inside)")
            tree["names"].append(" ".join(tok[1:]) or f"joint{len(tree['names'])}")
            tree["parents"].append(stack[-1] if stack else -1)
            tree["offsets"].append(None)
            tree["channels"].append(())
            pending = len(tree["names"]) - 1
        elif key == "END":
            if not stack or stack[-1] < 0:
                raise MotionFileError(f"{where}: End Site outside a joint")
            pending, end_parent, end_offset = -1, stack[-1], None
        elif key == "}":
            if not stack:
                raise MotionFileError(f"{where}: unmatched '}}'")
            top = stack.pop()
            if (tree["offsets"][top] if top >= 0 else end_offset) is None:
                what = repr(tree["names"][top]) if top >= 0 else "End Site"
                raise MotionFileError(f"{where}: {what} has no OFFSET")
            if top < 0:
                tree["end_sites"].append((end_parent, tuple(end_offset)))
        elif key == "OFFSET" and stack:
            values = _numbers(tok[1:], 3, where)
            if stack[-1] >= 0:
                tree["offsets"][stack[-1]] = values
            else:
                end_offset = values
        elif key == "CHANNELS" and stack and stack[-1] >= 0:
            count = _numbers(tok[1:2], 1, where)[0]
            unknown = [c for c in tok[2:] if c.lower() not in lookup]
            if unknown:
                raise MotionFileError(f"{where}: unknown channel name(s) {unknown}; "
                                      f"expected some of {list(CHANNEL_NAMES)}")
            if count != len(tok) - 2:
                raise MotionFileError(
                    f"{where}: CHANNELS declares {count:g} channels but lists {len(tok) - 2}")
            chans = tuple(lookup[c.lower()] for c in tok[2:])
            for kind in ("position", "rotation"):
                axes = [c[0] for c in chans if c.endswith(kind)]
                if len(axes) > 3:
                    raise MotionFileError(f"{where}: more than 3 {kind} channels {chans}")
                # ZXZ-style (proper Euler) rotation orders are valid; ZZX is not
                repeated = (len(set(axes)) != len(axes) if kind == "position"
                            else any(a == b for a, b in zip(axes, axes[1:])))
                if repeated:
                    raise MotionFileError(f"{where}: {kind} channels repeat an axis "
                                          f"({' '.join(tok[2:])})")
            tree["channels"][stack[-1]] = chans
        elif key != "{":
            raise MotionFileError(f"{where}: unexpected {tok[0]!r} in the hierarchy")
        if key == "{" or opens:
            if pending is None:
                raise MotionFileError(f"{where}: '{{' without a ROOT, JOINT or End Site")
            stack.append(pending)
            pending = None
    if not tree["names"]:
        raise MotionFileError(f"{src}: the hierarchy has no ROOT joint")
    if stack:
        open_names = [tree["names"][k] if k >= 0 else "End Site" for k in stack]
        raise MotionFileError(
            f"{src}: truncated hierarchy: {len(stack)} block(s) never closed {open_names}")
    raise MotionFileError(f"{src}: MOTION section missing after the hierarchy")


def read_bvh(path: str | Path) -> BvhFile:
    """Parse a BVH file without interpreting its units or body parts.

    Args:
        path: the ``.bvh`` file (text; joint names may contain spaces).

    Returns:
        A :class:`BvhFile` in the file's own units.

    Raises:
        FileNotFoundError: the file does not exist.
        MotionFileError: (naming the file and line) not starting with ``HIERARCHY``; a
            truncated or malformed hierarchy (no ROOT, a joint without OFFSET, unknown
            channels, stray tokens), over :data:`MAX_BVH_JOINTS` joints; no ``MOTION``;
            ``Frames:``/``Frame Time:`` missing or invalid; data lines not ``Frames:``, or
            values not the channel count, or not numbers; NaN or inf values (the first bad
            line named); a channel list with an axis twice in a row (``Zrotation
            Zrotation``) or a position axis twice.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"BVH file not found: {path}")
    src = str(path)
    lines = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None or lines[first].split()[0].upper() != "HIERARCHY":
        raise MotionFileError(f"{src}: not a BVH file (it does not start with HIERARCHY)")
    tree, motion_ln = _parse_hierarchy(lines, first, src)
    if len(tree["names"]) > MAX_BVH_JOINTS:
        raise MotionFileError(f"{src}: {len(tree['names'])} joints in the hierarchy; motionlex "
                              f"reads trees of at most {MAX_BVH_JOINTS} joints")
    rows = [(i, lines[i].split()) for i in range(motion_ln + 1, len(lines)) if lines[i].strip()]
    if (len(rows) < 2 or [t.lower() for t in rows[0][1][:1]] != ["frames:"]
            or [t.lower() for t in rows[1][1][:2]] != ["frame", "time:"]):
        raise MotionFileError(
            f"{src}: MOTION must be followed by 'Frames: N' and 'Frame Time: dt' lines")
    n_frames = _numbers(rows[0][1][1:], 1, f"{src}, line {rows[0][0] + 1}")[0]
    frame_time = _numbers(rows[1][1][2:], 1, f"{src}, line {rows[1][0] + 1}")[0]
    if not (np.isfinite(n_frames) and n_frames >= 1 and n_frames == int(n_frames)
            and np.isfinite(frame_time) and frame_time > 0):
        raise MotionFileError(f"{src}: invalid Frames: {n_frames:g} or Frame Time: {frame_time}")
    data, n_chan = rows[2:], sum(len(c) for c in tree["channels"])
    if len(data) != int(n_frames):
        raise MotionFileError(
            f"{src}: header says Frames: {int(n_frames)} but the file has {len(data)} data lines")
    for i, tok in data:
        if len(tok) != n_chan:
            raise MotionFileError(f"{src}, line {i + 1}: expected {n_chan} values (one per "
                                  f"channel of the hierarchy), got {len(tok)}")
    try:
        motion = np.array([t for _, tok in data for t in tok], dtype=np.float64)
    except ValueError:
        for i, tok in data:
            _numbers(tok, n_chan, f"{src}, line {i + 1}")
        raise
    motion = motion.reshape(int(n_frames), n_chan)
    bad = ~np.isfinite(motion).all(axis=1)
    if bad.any():
        first = int(np.argmax(bad))
        raise MotionFileError(f"{src}, line {data[first][0] + 1}: NaN or inf in the frame data "
                              f"({int(bad.sum())} frame(s), first frame {first})")
    return BvhFile(
        path=src,
        joint_names=tuple(tree["names"]),
        parents=tuple(tree["parents"]),
        offsets=np.asarray(tree["offsets"], dtype=np.float64).reshape(-1, 3),
        channels=tuple(tree["channels"]),
        end_sites=tuple(tree["end_sites"]),
        frame_time=float(frame_time),
        motion=motion,
    )


def check_timing(fps: float, num_frames: int, source: str, note: str = "") -> None:
    """Refuse a frame rate outside :data:`FPS_RANGE` or a clip over :data:`MAX_DURATION_S`.

    Raises:
        MotionFileError: naming ``source`` and the value (``note`` says where it came from).
    """
    if not (np.isfinite(fps) and FPS_RANGE[0] <= fps <= FPS_RANGE[1]):
        raise MotionFileError(f"{source}: frame rate {fps:g} fps{note} is outside "
                              f"[{FPS_RANGE[0]:g}, {FPS_RANGE[1]:g}] fps")
    if (num_frames - 1) / fps > MAX_DURATION_S:
        raise MotionFileError(f"{source}: {num_frames} frames at {fps:g} fps{note} last "
                              f"{(num_frames - 1) / fps:.0f} s; at most {MAX_DURATION_S:g} s")


def header_fps(frame_time: float) -> float:
    """Frame rate from a header ``Frame Time``, snapped to a whole number when within 0.01 %.

    Headers truncate ``1/120`` to ``0.00833333``; without the snap, 120.00005 fps loses a
    frame when resampling to 20 fps. Rates like 29.97 stay as they are (same rule as
    pybvh ``io._snap_frame_time``).
    """
    fps = 1.0 / frame_time
    return float(round(fps)) if round(fps) > 0 and abs(round(fps) - fps) < 1e-4 * fps else fps


def forward_kinematics(bvh: BvhFile) -> np.ndarray:
    """World positions of every joint on every frame, all frames at once.

    Args:
        bvh: a parsed file.

    Returns:
        ``(T, J, 3)`` float64 positions in the file's units (End Sites excluded).

    Source: Meredith & Maddock 2001, Sec. 2.2 (Euler order, composition down the tree);
    position channels replace the OFFSET (module docstring).
    """
    t_frames, n_joints = bvh.num_frames, len(bvh.joint_names)
    pos = np.zeros((t_frames, n_joints, 3))
    rot = np.zeros((t_frames, n_joints, 3, 3))
    col = 0
    for j, chans in enumerate(bvh.channels):
        vals = bvh.motion[:, col:col + len(chans)]
        col += len(chans)
        trans = np.repeat(bvh.offsets[j][None], t_frames, axis=0)
        axes, rot_cols = "", []
        for k, ch in enumerate(chans):
            if ch.endswith("position"):
                trans[:, "XYZ".index(ch[0])] = vals[:, k]
            else:
                axes += ch[0]
                rot_cols.append(k)
        local = (Rotation.from_euler(axes, vals[:, rot_cols], degrees=True).as_matrix()
                 if axes else np.broadcast_to(np.eye(3), (t_frames, 3, 3)))
        p = bvh.parents[j]
        if p < 0:
            pos[:, j], rot[:, j] = trans, local
        else:
            pos[:, j] = pos[:, p] + np.einsum("tab,tb->ta", rot[:, p], trans)
            rot[:, j] = rot[:, p] @ local
    return pos


def first_frame_is_inserted(positions: np.ndarray, ratio: float = INSERTED_JUMP_RATIO) -> bool:
    """Whether frame 0 is a pose pasted in front of the capture (cgspeed's T-pose).

    Rule: the largest joint displacement from frame 0 to frame 1 is more than ``ratio``
    times the median over the clip of the largest per-frame displacement. On the cgspeed
    Daz files here the ratio is 8-12 (the arms drop 20 cm in 1/120 s); on the Bandai and
    iClone files it is at most 1.8. A clip that starts fast and then stays still can be
    misjudged (it loses one frame), so :func:`load_bvh` uses this only when asked.

    Args:
        positions: ``(T, J, 3)`` joint positions (any unit), ``T >= 3``; pass body joints
            only so that fingers do not decide.

    Returns:
        True when frame 0 should be dropped.
    """
    if positions.shape[0] < 3:
        return False
    step = np.linalg.norm(np.diff(positions, axis=0), axis=-1).max(axis=1)
    return bool(step[0] > ratio * max(float(np.median(step[1:])), 1e-9))


# ------------------------------------------------------------------------------ loading

def skeleton_height(bvh: BvhFile) -> float:
    """Standing height of a skeleton from its bone lengths, in file units.

    Sum of OFFSET lengths along the tree from the head (plus its End Site, if any) to the
    pelvis and on down the longer leg to the foot (ankle). Independent of posture (Bandai's
    rest pose lies along +X). Approximate: hip offsets add a little, the heel takes some off.

    Raises:
        ValueError: the head or feet cannot be found (see :func:`find_end_joints`).
    """
    ends = bodyparts.find_end_joints(bvh.joint_names, bvh.parents)
    lengths = np.linalg.norm(bvh.offsets, axis=1)
    pelvis = bodyparts.lowest_common_ancestor(bvh.parents,
                                    [ends["head"], ends["left_foot"], ends["right_foot"]])
    head_top = max((float(np.linalg.norm(o)) for j, o in bvh.end_sites if j == ends["head"]),
                   default=0.0)

    def length(end: int) -> float:
        return float(lengths[list(bodyparts.tree_path(bvh.parents, pelvis, end)[1:])].sum())

    return length(ends["head"]) + head_top + max(length(ends[f"{s}_foot"])
                                                 for s in ("left", "right"))


def infer_unit_scale(height: float) -> tuple[float, str]:
    """The factor to metres that makes a skeleton of ``height`` file units a human.

    Rule: of :data:`UNIT_SCALES`, the factor whose height in metres is nearest to
    :data:`TYPICAL_HEIGHT_M` (1.7 m) on a log scale. The plausible range 1.2-2.1 m maps
    to disjoint ranges of file units (cm 120-210, inches 47-83, CMU units 21-37, m 1.2-2.1,
    mm 1200-2100), so an adult-sized skeleton always gets the right unit.

    Returns:
        ``(factor, unit name)``.
    """
    unit = min(UNIT_SCALES, key=lambda u: abs(np.log(max(height, 1e-12) * UNIT_SCALES[u]
                                                     / TYPICAL_HEIGHT_M)))
    return UNIT_SCALES[unit], unit


def load_bvh(
    path: str | Path,
    *,
    scale: float | None = None,
    fps: float | None = None,
    skip_frames: int | Literal["auto"] = 0,
    name: str | None = None,
) -> Motion:
    """Load a BVH file as joint positions in metres on the file's own skeleton.

    Args:
        path: the ``.bvh`` file (Y up).
        scale: factor from file units to metres; ``None`` infers it from the skeleton's
            height (:func:`skeleton_height`, :func:`infer_unit_scale`) and logs the choice.
        fps: true frame rate; ``None`` uses the header (:func:`header_fps`). cgspeed CMU
            files say 120 even where the capture rate differs.
        skip_frames: leading frames to drop, or ``"auto"`` to drop leading rest-pose frames
            (:func:`first_frame_is_inserted`; cgspeed files start with a T-pose). Opt-in.
        name: motion name; defaults to the file stem.

    Returns:
        A validated :class:`Motion`: ``joints (T - skipped, J', 3)`` float32 metres, End
        Sites and floor-level root markers (Bandai ``joint_Root``) excluded; skeleton
        ``"bvh:<stem>"`` with chains, SMPL-matched knots and mirror pairs (:mod:`.chains`).

    Raises:
        FileNotFoundError: the file does not exist.
        MotionFileError: see :func:`read_bvh`; fewer than :data:`MIN_FRAMES` frames; body
            parts not found (which, what was looked
            for, the joint names); ``scale`` <= 0; ``skip_frames`` not "auto" or in
            ``[0, T - 2]``; a frame rate or duration out of range (:func:`check_timing`);
            joints that are not plausible metres.
    """
    bvh = read_bvh(path)
    src, stem = bvh.path, Path(bvh.path).stem
    if bvh.num_frames < MIN_FRAMES:
        raise MotionFileError(f"{src}: {bvh.num_frames} frame(s): a motion needs at least "
                              f"{MIN_FRAMES} frames")
    rate = header_fps(bvh.frame_time) if fps is None else fps
    check_timing(rate, bvh.num_frames, src,
                 f" (Frame Time: {bvh.frame_time:g} s)" if fps is None else "")
    positions = forward_kinematics(bvh)
    parent_pos = positions[:, [max(p, 0) for p in bvh.parents]]
    bones = np.median(np.linalg.norm(positions - parent_pos, axis=-1), axis=0)
    names, parents = bvh.joint_names, bvh.parents
    try:
        chains = bodyparts.derive_chains(names, parents, bones)
        markers = bodyparts.root_markers(parents, chains[0][0])
        if markers:  # a floor-level root (Bandai joint_Root) is no body joint: drop it
            keep, names, parents = bodyparts.drop_joints(names, parents, markers)
            positions, bones = positions[:, keep], bones[keep]
            chains = bodyparts.derive_chains(names, parents, bones)
        ends = bodyparts.find_end_joints(names, parents)
        knots, origins = bodyparts.smpl_matched_knots(chains, bones, "left_toe" in ends)
    except ValueError as e:
        raise MotionFileError(f"{src}: {e}") from e
    body = sorted({k for c in chains for k in c})
    if skip_frames == "auto":
        skip = int(first_frame_is_inserted(positions[:, body]))
    elif isinstance(skip_frames, (int, np.integer)) and 0 <= skip_frames <= bvh.num_frames - 2:
        skip = int(skip_frames)
    else:
        raise MotionFileError(f"{src}: skip_frames must be 'auto' or an int in "
                              f"[0, {bvh.num_frames - 2}], got {skip_frames!r}")
    if scale is None:
        height = skeleton_height(bvh)
        scale, unit = infer_unit_scale(height)
        logger.info("%s: skeleton height %.1f file units -> %s (x%g): %.2f m",
                    src, height, unit, scale, height * scale)
        if not PLAUSIBLE_HEIGHT_M[0] <= height * scale <= PLAUSIBLE_HEIGHT_M[1]:
            logger.warning("%s: inferred height %.2f m is not in %s m; pass scale= if the "
                           "units are wrong", src, height * scale, PLAUSIBLE_HEIGHT_M)
    elif not (np.isfinite(scale) and scale > 0):
        raise MotionFileError(f"{src}: scale must be > 0, got {scale}")
    skeleton = Skeleton(name=f"bvh:{stem}", joint_names=names, parents=parents, chains=chains,
                        mirror_pairs=bodyparts.mirror_pairs_from_names(names), knots=knots,
                        origins=origins)
    joints = positions[skip:] * scale
    warn_unless_y_up(joints, skeleton, src)
    logger.debug("%s: %d joints, %d frames (%d skipped), %g fps", src,
                 len(bvh.joint_names), len(joints), skip, rate)
    return make_motion(joints, rate, skeleton, src, name or stem)
