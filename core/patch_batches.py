"""Batching clips into padded motion-patch images: one resampling matrix for clips on one
skeleton, or one per skeleton when a batch mixes skeletons (a BVH folder beside a joints
dataset; each group of clips sharing a skeleton is one matrix product). Built on
:mod:`motionlex.core.patches` (the patch geometry and statistics); :func:`motion_pairs`
turns what a user passes as motions into those clips."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from motionlex.core.motion.file_checks import check_finite_joints
from motionlex.core.motion.joint_arrays import make_motion
from motionlex.core.motion.motion import (
    CANONICAL_FPS,
    MIN_FRAMES,
    Motion,
    joints_fps,
    to_canonical,
)
from motionlex.core.motion.skeleton import Skeleton, as_skeleton, joint_count_hint
from motionlex.core.patches import (
    MAX_FRAMES,
    PATCH_LEN,
    POINTS_PER_PART,
    PatchStats,
    crop_or_pad,
    motion_patch_image,
    part_resampling_matrix,
    patch_row_mask,
)


def clip_matrices(matrix: np.ndarray | Mapping[Skeleton, np.ndarray],
                  skeletons: Sequence[Skeleton]) -> np.ndarray | list[np.ndarray]:
    """The resampling matrix of each clip, for :func:`patches_from_joints`.

    Args:
        matrix: one ``(80, J)`` matrix (every clip on its skeleton), or one per skeleton.
        skeletons: each clip's skeleton.

    Returns:
        ``matrix`` itself when it is one array, else the ``B`` matrices of ``skeletons``.

    Raises:
        ValueError: a skeleton with no matrix in the mapping.
    """
    if isinstance(matrix, np.ndarray):
        return matrix
    missing = {s.name for s in skeletons if s not in matrix}
    if missing:
        raise ValueError(f"no resampling matrix for skeleton(s) {', '.join(sorted(missing))}")
    return [matrix[s] for s in skeletons]


def part_matrices(skeletons: Iterable[Skeleton], points_per_part: int = POINTS_PER_PART
                  ) -> np.ndarray | dict[Skeleton, np.ndarray]:
    """Resampling matrices for clips on ``skeletons``: the one matrix when they share a
    skeleton (the fast path of :func:`patches_from_joints`), else one per skeleton.

    Raises:
        ValueError: no skeleton given (or see :func:`part_resampling_matrix`).
    """
    mats = {s: part_resampling_matrix(s, points_per_part) for s in set(skeletons)}
    if not mats:
        raise ValueError("no skeleton to resample")
    return next(iter(mats.values())) if len(mats) == 1 else mats


def patches_from_joints(
    joint_list: list[np.ndarray],
    matrix: np.ndarray | Sequence[np.ndarray],
    stats: PatchStats | None,
    max_frames: int = MAX_FRAMES,
    starts: list[int] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batch clips of different lengths into a padded patch image and its row mask.

    Args:
        joint_list: ``B`` arrays ``(T_i, J, 3)`` float, metres, all on the skeleton of
            ``matrix`` (or each on its own matrix's).
        matrix: ``(80, J)`` resampling matrix, or ``B`` of them, one per clip (clips on
            different skeletons: each is resampled to its 80 sample points first, so
            joint counts may differ; clips are batched per matrix).
        stats: z-score statistics or ``None``.
        max_frames: padded length (224 = 14 patch rows).
        starts: optional first frame per clip when cropping longer clips (random crops
            during training come from the caller's seeded generator); default 0.

    Returns:
        ``(patches (B, 3, max_frames, 80) float32, row_mask (B, max_frames // 16) bool,
        lengths (B,) int64)``.

    Raises:
        ValueError: empty list or mismatched joint counts.
    """
    if not joint_list:
        raise ValueError("no motions to batch")
    if not isinstance(matrix, np.ndarray):
        mats = list(matrix)
        if len(mats) != len(joint_list):
            raise ValueError(f"{len(mats)} resampling matrices for {len(joint_list)} motions")
        groups: dict[int, list[int]] = {}  # clips by matrix (by skeleton): one call each
        for i, m in enumerate(mats):
            groups.setdefault(id(m), []).append(i)
        if len(groups) > 1:
            return _patches_by_matrix(joint_list, mats, list(groups.values()), stats,
                                      max_frames, starts)
        matrix = mats[0]
    j = matrix.shape[1]
    batch = np.zeros((len(joint_list), max_frames, j, 3), np.float32)
    lengths = np.zeros(len(joint_list), np.int64)
    for i, jt in enumerate(joint_list):
        if jt.ndim != 3 or jt.shape[1:] != (j, 3):
            raise ValueError(f"motion {i}: expected (T, {j}, 3), got {jt.shape}")
        batch[i], lengths[i] = crop_or_pad(jt, max_frames, 0 if starts is None else starts[i])
    img = motion_patch_image(batch, matrix, stats, lengths)
    return img, patch_row_mask(lengths, PATCH_LEN, max_frames), lengths


def _patches_by_matrix(joint_list: list[np.ndarray], mats: list[np.ndarray],
                       groups: list[list[int]], stats: PatchStats | None, max_frames: int,
                       starts: list[int] | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`patches_from_joints` of clips on several skeletons: one batch per group of
    clips sharing a matrix, written back in the clips' order."""
    out = None
    for idx in groups:
        part = patches_from_joints([joint_list[i] for i in idx], mats[idx[0]], stats,
                                   max_frames, None if starts is None else
                                   [starts[i] for i in idx])
        if out is None:
            out = tuple(np.empty((len(joint_list),) + a.shape[1:], a.dtype) for a in part)
        for whole, a in zip(out, part):
            whole[idx] = a
    return out


def motion_pairs(motions: Sequence[Any], *, assume_canonical: bool = False
                 ) -> list[tuple[np.ndarray, Skeleton]]:
    """The canonical ``(joints, skeleton)`` pairs of what a user passes as motions to encode.

    By default every motion is brought to the canonical form (20 fps, facing +Z on frame 0,
    pelvis at XZ = 0, its lowest foot on the floor) by
    :func:`~motionlex.core.motion.motion.to_canonical`, which leaves a canonical clip as it
    is (to float32 round-off), so an array read with ``np.load`` encodes as its loaded
    :class:`Motion` does and as ``Searcher.embed_motion(joints, skeleton)`` does.

    Args:
        motions: :class:`~motionlex.core.motion.motion.Motion` objects (at their own
            ``fps``), or ``(joints (T, J, 3), skeleton)`` pairs: NumPy or CPU torch float
            metres, Y up, ``T >= 2``, with the skeleton or a built-in skeleton's name
            (``"smpl22"``); a pair is checked and read as ``Searcher.embed_motion`` reads
            an array (:func:`~motionlex.core.motion.joint_arrays.make_motion`) at the frame
            rate of the skeleton's joint files
            (:func:`~motionlex.core.motion.motion.joints_fps`: 12.5 fps for ``"kit21"``,
            else 20; pass a :class:`Motion` for another rate).
        assume_canonical: the motions are canonical already and are used as they are (the
            fast path of index builds, evaluation and validation, whose clips come from
            the loaders in canonical form; a crop keeping its whole clip's floor,
            ``crop_seconds(..., canonical=True)``, must go so: made canonical again it
            would be put on the floor). Pairs are then taken at 20 fps; only shapes are
            checked.

    Returns:
        ``(joints (T, J, 3) float32 metres canonical at 20 fps, skeleton)`` pairs, in order.

    Raises:
        TypeError: a single motion, string or path instead of a sequence, or an item that is
            neither a Motion nor a ``(joints, skeleton)`` pair (naming its index).
        ValueError: no motions; joints whose shape does not match their skeleton (naming the
            built-in skeleton of that joint count); fewer than 2 frames; a skeleton name
            that is not built in; with ``assume_canonical``, a Motion not at 20 fps; else a
            pair ``make_motion`` refuses (NaN, not metres: a ``MotionFileError``) or a
            motion ``to_canonical`` cannot turn (no facing direction), naming ``motions[i]``.
    """
    if isinstance(motions, (str, bytes, Motion)) or not isinstance(motions, Sequence):
        raise TypeError(f"motions must be a list of Motion objects or (joints, skeleton) "
                        f"pairs, got {type(motions).__name__}")
    if not motions:
        raise ValueError("no motions to encode")
    out = []
    for i, m in enumerate(motions):
        where = f"motions[{i}]"
        if isinstance(m, Motion):
            if assume_canonical and m.fps != CANONICAL_FPS:
                raise ValueError(f"{where} is at {m.fps:g} fps: canonical motions are at "
                                 f"{CANONICAL_FPS:g} (leave assume_canonical False to "
                                 f"bring it there)")
            c = m if assume_canonical else _canonical(m, where)
            out.append((c.joints, c.skeleton))
            continue
        if not (isinstance(m, tuple | list) and len(m) == 2):
            raise TypeError(f"{where} is {type(m).__name__}: expected a Motion (e.g. from "
                            f"load_motion_file) or a (joints (T, J, 3), Skeleton) pair")
        skeleton = as_skeleton(m[1], where)  # a Skeleton, or "smpl22" / "kit21"
        joints = np.asarray(m[0], dtype=np.float32)
        j = skeleton.num_joints
        if joints.ndim != 3 or joints.shape[1:] != (j, 3):
            hint = joint_count_hint(joints.shape[1], skeleton) if joints.ndim == 3 else ""
            raise ValueError(f"{where}: joints must be (T, {j}, 3) for its skeleton "
                             f"({j} joints), got {joints.shape}{hint}")
        if len(joints) < MIN_FRAMES:
            raise ValueError(f"{where}: {len(joints)} frame(s); at least {MIN_FRAMES} needed")
        if not assume_canonical:  # read as embed_motion reads an array
            check_finite_joints(joints, skeleton, where)  # names the frame and joint
            motion = make_motion(joints, joints_fps(skeleton), skeleton, name=where)
            joints = _canonical(motion, where).joints
        out.append((joints, skeleton))
    return out


def _canonical(motion: Motion, where: str) -> Motion:
    """:func:`to_canonical` of one of the motions to encode; its errors name ``where``."""
    try:
        return to_canonical(motion)
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from e
