"""Motion-patch images computed on a torch device: the index build's GPU path.

:func:`~motionlex.core.retrieval.embed.encode_motions` groups a batch's clips by skeleton
(:func:`pad_joints`) and, when the model sits on an accelerator, builds their patch images
there (:func:`device_patches`) rather than with NumPy on the host; the images equal
:func:`~motionlex.core.patches.motion_patch_image` to float32 round-off (MotionPatch,
Yu et al. 2024, Sec. 3.2, for the patch construction itself).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import torch

from motionlex.core.motion.skeleton import Skeleton
from motionlex.core.patches import PATCH_LEN, PatchStats, part_resampling_matrix, patch_row_mask


class JointGroup(NamedTuple):
    """One skeleton's clips of a batch: their positions, padded joints and lengths."""

    skeleton: Skeleton
    positions: list[int]
    joints: np.ndarray  # (b, max_frames, J, 3) float32, zeros after each clip's end
    lengths: np.ndarray  # (b,) int64


def pad_joints(skeleton: Skeleton, positions: list[int], windows: list[np.ndarray],
               max_frames: int) -> JointGroup:
    """One skeleton's clips zero-padded to ``max_frames`` (longer clips cut to it).

    Args:
        skeleton: the clips' skeleton (``J`` joints).
        positions: each clip's row in the batch.
        windows: ``(T_k, J, 3)`` float32 joints in metres, one per clip.
        max_frames: the model's window (224 frames at 20 fps by default).

    Returns:
        A :class:`JointGroup` of ``(b, max_frames, J, 3)`` float32 joints and ``(b,)`` lengths.

    Raises:
        ValueError: a clip whose shape does not fit the skeleton (names its position).
    """
    j = skeleton.num_joints
    joints = np.zeros((len(windows), max_frames, j, 3), np.float32)
    lengths = np.zeros(len(windows), np.int64)
    for k, w in enumerate(windows):
        if w.ndim != 3 or w.shape[1:] != (j, 3):
            raise ValueError(f"motion {k}: expected (T, {j}, 3), got {w.shape}")
        joints[k, :len(w)] = w[:max_frames]
        lengths[k] = min(len(w), max_frames)
    return JointGroup(skeleton, positions, joints, lengths)


def device_patch_images(joints: torch.Tensor, lengths: torch.Tensor, matrix: torch.Tensor,
                        stats: PatchStats | None) -> torch.Tensor:
    """:func:`~.patches.motion_patch_image` on a torch device (the build's GPU path).

    The same operations in the same order (last real pose repeated into the last partial
    patch row, z-score as subtract-then-multiply, zeros past the kept rows); the resampling
    product is computed in float64 (no TF32 or bf16 autocast can touch it) and rounded to
    float32, so the images equal the NumPy ones to float32 round-off.

    Args:
        joints: ``(B, T, J, 3)`` float32 padded joints, metres.
        lengths: ``(B,)`` int64 valid frame counts (``1 .. T``).
        matrix: ``(80, J)`` resampling matrix.
        stats: z-score statistics or ``None`` (metres).

    Returns:
        ``(B, 3, T, 80)`` float32 on ``joints.device``.
    """
    dev = joints.device
    with torch.autocast(dev.type, enabled=False):
        b, t = joints.shape[:2]
        frames = torch.arange(t, device=dev)
        idx = torch.minimum(frames[None, :], lengths.clamp(min=1)[:, None] - 1)
        joints = joints[torch.arange(b, device=dev)[:, None], idx]  # (B, T, J, 3)
        img = (joints.permute(0, 3, 1, 2).double() @ matrix.T.double()).float()
        if stats is not None:
            mean = torch.as_tensor(np.asarray(stats.mean, np.float32).T, device=dev)
            inv = torch.as_tensor((1.0 / np.asarray(stats.std, np.float32)).T, device=dev)
            img = (img - mean[None, :, None, :]) * inv[None, :, None, :]
        rows_end = torch.clamp(-(-lengths // PATCH_LEN) * PATCH_LEN, max=t)
        pad = frames[None, :] >= rows_end[:, None]
        return img.masked_fill(pad[:, None, :, None], 0.0)


def device_patches(groups: list[JointGroup], stats: PatchStats, device: torch.device,
                   matrices: dict[Skeleton, Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch's patch images and row masks from its padded joint groups.

    Args:
        groups: the batch's clips, one :class:`JointGroup` per skeleton.
        stats: z-score statistics (metres).
        device: where the images are built.
        matrices: cache of each skeleton's ``(80, J)`` resampling matrix on ``device``
            (filled as skeletons are met).

    Returns:
        ``(B, 3, T, 80)`` float32 images on ``device`` in batch order, and the ``(B, rows)``
        bool row masks on the host.
    """
    n = sum(len(g.positions) for g in groups)
    images = masks = None
    for g in groups:
        if g.skeleton not in matrices:
            matrices[g.skeleton] = torch.from_numpy(part_resampling_matrix(g.skeleton)).to(device)
        img = device_patch_images(torch.from_numpy(g.joints).to(device),
                                  torch.from_numpy(g.lengths).to(device),
                                  matrices[g.skeleton], stats)
        mask = torch.from_numpy(patch_row_mask(g.lengths, PATCH_LEN, g.joints.shape[1]))
        if len(groups) == 1:
            return img, mask
        if images is None:
            images = torch.empty((n,) + img.shape[1:], dtype=img.dtype, device=device)
            masks = torch.empty((n,) + mask.shape[1:], dtype=mask.dtype)
        pos = torch.as_tensor(g.positions)
        images[pos.to(device)] = img
        masks[pos] = mask
    return images, masks
