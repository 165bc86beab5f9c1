"""ViT helpers for motion patch images: patch order, token masks, position tables, configs.

The patch image ``(B, 3, max_frames, 80)`` (frames as rows, 5 body parts x 16 sample points as
columns) is cut into 16 x 16 patches, a 14 x 5 grid read row by row (token ``r * 5 + c`` is
patch row ``r``, body part ``c``). Source: Yu, Tanaka, Fujiwara, "Motion Patches", CVPR 2024,
Sec. 3.3.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Cut images into non-overlapping square patches, in the ViT token order.

    Args:
        images: ``(B, C, H, W)`` float, ``H`` and ``W`` multiples of ``patch_size``.
        patch_size: patch side ``p`` in pixels.

    Returns:
        ``(B, (H/p) * (W/p), C * p * p)``; patch ``r * (W/p) + c`` is grid row ``r``, column
        ``c`` (row-major, as ``Conv2d(...).flatten(2)`` in the ViT patch embedding), values
        ordered channel, row, column inside a patch.

    Raises:
        ValueError: not 4-D or a side that is not a multiple of ``patch_size``.
    """
    if images.dim() != 4 or images.shape[2] % patch_size or images.shape[3] % patch_size:
        raise ValueError(
            f"patchify expects (B, C, H, W) with H, W multiples of {patch_size}; "
            f"got {tuple(images.shape)}"
        )
    b, c, h, w = images.shape
    gh, gw = h // patch_size, w // patch_size
    x = images.reshape(b, c, gh, patch_size, gw, patch_size)
    return x.permute(0, 2, 4, 1, 3, 5).reshape(b, gh * gw, c * patch_size * patch_size)


def row_mask_to_token_mask(row_mask: torch.Tensor, patches_per_row: int) -> torch.Tensor:
    """Patch-token mask from the frame-block mask.

    Args:
        row_mask: ``(B, R)`` bool, True for a real patch row (16 frames).
        patches_per_row: grid columns (5 body parts).

    Returns:
        ``(B, R * patches_per_row)`` bool in ViT token order (row-major).
    """
    return row_mask.repeat_interleave(patches_per_row, dim=1)


def resize_position_embeddings(
    pos: torch.Tensor, old_grid: tuple[int, int], new_grid: tuple[int, int]
) -> torch.Tensor:
    """Resize a ViT absolute position table to a new patch grid (the [CLS] entry is kept).

    Args:
        pos: ``(1, 1 + gh * gw, D)`` position embeddings, [CLS] first.
        old_grid: ``(gh, gw)`` of ``pos``, e.g. ``(14, 14)`` for ViT-B/16 at 224 px.
        new_grid: target ``(rows, cols)``, e.g. ``(14, 5)`` for motion patches.

    Returns:
        ``(1, 1 + rows * cols, D)``, bicubic interpolation (align_corners False) of the grid.

    Raises:
        ValueError: ``pos`` does not hold ``1 + gh * gw`` entries.

    Source:
        Motion Patches (CVPR 2024) Sec. 3.3 "we resize the position embedding"; same
        interpolation as timm ``resample_abs_pos_embed`` and transformers
        ``ViTEmbeddings.interpolate_pos_encoding``.
    """
    gh, gw = old_grid
    if pos.dim() != 3 or pos.shape[0] != 1 or pos.shape[1] != 1 + gh * gw:
        raise ValueError(
            f"position table must be (1, 1 + {gh}*{gw}, D) for grid {old_grid}; "
            f"got {tuple(pos.shape)}"
        )
    if tuple(old_grid) == tuple(new_grid):
        return pos.clone()
    cls, grid = pos[:, :1], pos[:, 1:]
    d = pos.shape[-1]
    grid = grid.reshape(1, gh, gw, d).permute(0, 3, 1, 2).float()
    grid = F.interpolate(grid, size=tuple(new_grid), mode="bicubic", align_corners=False)
    grid = grid.permute(0, 2, 3, 1).reshape(1, new_grid[0] * new_grid[1], d).to(pos.dtype)
    return torch.cat([cls, grid], dim=1)


def build_vit_config(
    *,
    hidden_size: int,
    num_layers: int,
    num_heads: int,
    intermediate_size: int,
    image_size: tuple[int, int],
    patch_size: int,
    num_channels: int = 3,
    dropout: float = 0.0,
) -> Any:
    """A ``transformers.ViTConfig`` for motion patch images.

    Args:
        hidden_size: token width.
        num_layers: transformer blocks.
        num_heads: attention heads (divides ``hidden_size``).
        intermediate_size: MLP width.
        image_size: ``(frames, 80)`` pixels.
        patch_size: 16.
        num_channels: 3 (x, y, z as colour channels).
        dropout: hidden and attention dropout.

    Returns:
        ``ViTConfig``.

    Raises:
        ValueError: ``hidden_size`` not divisible by ``num_heads``.
    """
    from transformers import ViTConfig  # heavy: keeps --help fast

    if hidden_size % num_heads:
        raise ValueError(f"hidden_size {hidden_size} must be divisible by num_heads {num_heads}")
    return ViTConfig(
        hidden_size=hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        intermediate_size=intermediate_size,
        image_size=list(image_size),
        patch_size=patch_size,
        num_channels=num_channels,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
    )


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' load report and progress bar; we log our own summary."""
    from transformers.utils import logging as hf_logging  # heavy: keeps --help fast

    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


PICKLE_WEIGHTS = ("*.bin", "*.pt", "*.pth", "*.ckpt")
"""Weight files that ``torch.load`` (pickle) reads; motionlex loads backbones from
``*.safetensors`` only (``use_safetensors=True``), which no file can make run code."""


def pickle_only_note(source: str, loader: str) -> str:
    """Why a local backbone folder did not load, when it holds pickle weights only.

    Args:
        source: the folder (or hub id) given to ``from_pretrained``.
        loader: the ``transformers`` class that loads it (``"AutoModelForMaskedLM"``,
            ``"ViTModel"``), named in the conversion command.

    Returns:
        ``""`` unless ``source`` is a folder with :data:`PICKLE_WEIGHTS` files and no
        ``*.safetensors``; then one sentence naming the files and the one-off conversion.
    """
    folder = Path(source)
    if not folder.is_dir() or any(folder.glob("*.safetensors")):
        return ""
    pickles = sorted({p.name for pattern in PICKLE_WEIGHTS for p in folder.glob(pattern)})
    if not pickles:
        return ""
    return (f"{folder} holds {', '.join(pickles)} (PyTorch pickle) but no model.safetensors; "
            "motionlex reads backbone weights from safetensors only (a pickle can run code "
            "when loaded): if you trust the folder, convert it once with python -c \"from "
            f"transformers import {loader}; {loader}.from_pretrained('{folder}', "
            f"use_safetensors=False).save_pretrained('{folder}')\"")


def import_timm() -> Any:
    """The ``timm`` module (the optional motion backend, ``motionlex[timm]``).

    Raises:
        ImportError: timm is not installed or fails to import (e.g. a broken torchvision),
            naming the extra to install.
    """
    try:
        import timm  # optional dependency (motionlex[timm])
    except Exception as e:  # timm may fail with RuntimeError (e.g. a broken torchvision)
        raise ImportError(
            "the 'timm' motion backend needs the optional package timm (pip install "
            f"'motionlex[timm]'); importing it failed: {type(e).__name__}: {e}"
        ) from e
    return timm
