"""BVH (Biovision Hierarchy) files: forward kinematics, units, loading a Motion (the text
itself is parsed by :mod:`.bvh_parse`).

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
  moves only its children. End Sites are not joints and are dropped from the output, but
  for a foot without a toe joint, whose End Site is its toe (:func:`end_site_toes`).
- Y is up (the BVH convention); a warning is logged when the spine does not point up.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import numpy as np
from scipy.spatial.transform import Rotation

from motionlex.core.motion import chains as bodyparts
from motionlex.core.motion.bvh_parse import BvhFile, read_bvh
from motionlex.core.motion.file_checks import (
    FPS_RANGE,
    MotionFileError,
    warn_if_sides_swapped,
    warn_unless_y_up,
)
from motionlex.core.motion.joint_arrays import make_motion
from motionlex.core.motion.motion import MIN_FRAMES, Motion
from motionlex.core.motion.pasted_frames import frames_to_skip, leading_inserted_frames
from motionlex.core.motion.skeleton import Skeleton

logger = logging.getLogger(__name__)

UNIT_SCALES: dict[str, float] = {"metres": 1.0, "centimetres": 0.01, "millimetres": 0.001,
                                 "inches": 0.0254, "CMU ASF units": 0.0254 / 0.45}
"""Candidate file units and their factor to metres. CMU's ASF files declare ``length
0.45`` in inches, so one unit is 1/0.45 inch = 0.056444 m (CMU mocap ASF/AMC notes)."""

MAX_DURATION_S = 3600.0
"""Clip length a motion file may have (beyond: a wrong header); its frame rates are
:data:`~.file_checks.FPS_RANGE`."""
TYPICAL_HEIGHT_M = 1.7
PLAUSIBLE_HEIGHT_M = (1.2, 2.1)
LOADER_VERSION = 4
"""Version of what :func:`load_bvh` makes of an unchanged file with its defaults (and a BVH
folder's reader with it). Bump it when that changes: a gallery index records it and
re-encodes its BVH rows read by another version
(:func:`motionlex.core.retrieval.build_work.plan_build`). 2: ``skip_frames="auto"`` is the
default and also drops the blend after a pasted T-pose. 3: a BVH folder's ``index.json``
``true_fps`` replaces a wrong header rate when the folder is read as a dataset. 4: a
foot without a toe joint gets one at its End Site (:func:`end_site_toes`)."""


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
    return _world_poses(bvh)[0]


def _world_poses(bvh: BvhFile) -> tuple[np.ndarray, np.ndarray]:
    """``(positions (T, J, 3), rotations (T, J, 3, 3))`` of every joint, world frame."""
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
    return pos, rot


TOE_MIN_ANGLE_DEG = 45.0
"""An ankle's End Site is read as its toe when it turns at least this far from the shin
(a foot points forward); one that goes on along the shin (an exporter's stub) is not."""


def end_site_toes(bvh: BvhFile, positions: np.ndarray, rotations: np.ndarray
                  ) -> tuple[tuple[str, ...], tuple[int, ...], np.ndarray]:
    """The skeleton with a toe joint at each foot's End Site where the tree has no toe.

    cgspeed's Daz-friendly CMU files end each leg at the ankle (``lFoot``) with the toe as
    an End Site; SMPL-22 legs end at the toe (its ``foot``). A foot with no toe joint below
    it and one End Site that points away from the shin (:data:`TOE_MIN_ANGLE_DEG`) gets a
    joint ``<foot>_toe`` there, so that the leg's last patch points lie along the foot, as
    SMPL-22's do, instead of on the shin (Yu et al., CVPR 2024, Sec. 3.2: body parts sampled
    along their kinematic chains).

    Args:
        bvh: the parsed file.
        positions / rotations: its world joint positions ``(T, J, 3)`` and rotations
            ``(T, J, 3, 3)`` (file units).

    Returns:
        ``(names, parents, positions)`` with the toes appended (unchanged without any).

    Raises:
        ValueError: body parts not found (:func:`~.chains.find_end_joints`).
    """
    names, parents = tuple(bvh.joint_names), tuple(bvh.parents)
    ends = bodyparts.find_end_joints(names, parents)
    has_children = set(parents)
    extra_names, extra_parents, extra_pos = [], [], []
    for side in ("left", "right"):
        foot = ends[f"{side}_foot"]
        sites = [np.asarray(o, float) for j, o in bvh.end_sites if j == foot]
        if f"{side}_toe" in ends or foot in has_children or len(sites) != 1:
            continue
        shin = np.asarray(bvh.offsets[foot], float)
        site = sites[0]
        norm = float(np.linalg.norm(shin) * np.linalg.norm(site))
        if norm <= 0 or np.degrees(np.arccos(np.clip(shin @ site / norm, -1.0, 1.0))) \
                < TOE_MIN_ANGLE_DEG:
            continue
        extra_names.append(f"{names[foot]}_toe")
        extra_parents.append(foot)
        extra_pos.append(positions[:, foot] + np.einsum("tab,b->ta", rotations[:, foot], site))
    if not extra_names:
        return names, parents, positions
    return (names + tuple(extra_names), parents + tuple(extra_parents),
            np.concatenate([positions, np.stack(extra_pos, axis=1)], axis=1))


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
    skip_frames: int | Literal["auto"] = "auto",
    name: str | None = None,
) -> Motion:
    """Load a BVH file as joint positions in metres on the file's own skeleton.

    Args:
        path: the ``.bvh`` file (Y up).
        scale: factor from file units to metres; ``None`` infers it from the skeleton's
            height (:func:`skeleton_height`, :func:`infer_unit_scale`) and logs the choice.
        fps: true frame rate; ``None`` uses the header (:func:`header_fps`). cgspeed CMU
            files say 120 even where the capture rate differs.
        skip_frames: leading frames to drop, or ``"auto"`` (the default) to drop the frames
            pasted in front of the capture (:func:`leading_inserted_frames`: cgspeed CMU
            files start with a T-pose and a blend out of it; other files lose nothing).
        name: motion name; defaults to the file stem.

    Returns:
        A validated :class:`Motion`: ``joints (T - skipped, J', 3)`` float32 metres, End
        Sites (but a toeless foot's toe, :func:`end_site_toes`) and floor-level root
        markers (Bandai ``joint_Root``) excluded; skeleton
        ``"bvh:<stem>"`` with chains, SMPL-matched knots and mirror pairs (:mod:`.chains`).

    Raises:
        FileNotFoundError: the file does not exist.
        MotionFileError: see :func:`read_bvh`; fewer than :data:`MIN_FRAMES` frames; every
            bone below the root of zero length (no size or units to read); body
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
    try:
        names, parents, positions = end_site_toes(bvh, *_world_poses(bvh))
        parent_pos = positions[:, [max(p, 0) for p in parents]]
        bones = np.median(np.linalg.norm(positions - parent_pos, axis=-1), axis=0)
        if len(bones) > 1 and not np.any(bones[1:] > 0):  # OFFSETs (and any position
            raise MotionFileError(  # channels) all 0: a damaged or incomplete export
                f"{src}: every bone below the root has zero length ({len(bones) - 1} "
                "joints: OFFSETs 0 and no position channel moves them), so the skeleton's "
                "size and units cannot be read (a damaged or incomplete export?)")
        chains = bodyparts.derive_chains(names, parents, bones)
        markers = bodyparts.root_markers(parents, chains[0][0])
        if markers:  # a floor-level root (Bandai joint_Root) is no body joint: drop it
            keep, names, parents = bodyparts.drop_joints(names, parents, markers)
            positions, bones = positions[:, keep], bones[keep]
            chains = bodyparts.derive_chains(names, parents, bones)
        ends = bodyparts.find_end_joints(names, parents)
        knots, origins = bodyparts.smpl_matched_knots(  # each leg by its own toe
            chains, bones, ("left_toe" in ends, "right_toe" in ends),
            ankles=(ends["left_foot"], ends["right_foot"]))
        mirror_pairs = bodyparts.mirror_pairs_from_names(names)
    except MotionFileError:  # already names the file
        raise
    except ValueError as e:
        raise MotionFileError(f"{src}: {e}") from e
    body = sorted({k for c in chains for k in c})
    skip = frames_to_skip(skip_frames, positions[:, body], src,
                          lambda p: leading_inserted_frames(p, rate))
    if scale is None:
        height = skeleton_height(bvh)
        scale, unit = infer_unit_scale(height)
        logger.info("%s: skeleton height %.1f file units -> %s (x%g): %.2f m",
                    src, height, unit, scale, height * scale)
        if not PLAUSIBLE_HEIGHT_M[0] <= height * scale <= PLAUSIBLE_HEIGHT_M[1]:
            logger.warning(
                "%s: the skeleton is %.4g file units tall: %.2f m read as %s, the nearest of "
                "the known units (%s), not %g-%g m; unless it is a child or a giant, rescale "
                "the file to one of those units (from Python: load_bvh(path, "
                "scale=FACTOR_TO_METRES))", src, height, height * scale, unit,
                ", ".join(UNIT_SCALES), *PLAUSIBLE_HEIGHT_M)
    elif not (np.isfinite(scale) and scale > 0):
        raise MotionFileError(f"{src}: scale must be > 0, got {scale}")
    skeleton = Skeleton(name=f"bvh:{stem}", joint_names=names, parents=parents, chains=chains,
                        mirror_pairs=mirror_pairs, knots=knots, origins=origins)
    if not bodyparts.chains_mirrored(chains, skeleton.mirror_permutation()):
        logger.warning("%s: the joint names do not pair each left arm and leg joint with a "
                       "right one, so a mirrored copy of this motion (training's mirror "
                       "augmentation, side accuracy's mirrored motions) is not its mirror "
                       "image", src)
    joints = positions[skip:] * scale
    if warn_unless_y_up(joints, skeleton, src):  # (a Z-up file's sides cannot be judged)
        warn_if_sides_swapped(joints, skeleton, src)  # named from the viewer's side?
    logger.debug("%s: %d joints, %d frames (%d skipped), %g fps", src,
                 len(bvh.joint_names), len(joints), skip, rate)
    return make_motion(joints, rate, skeleton, src, name or stem)
