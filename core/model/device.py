"""Devices: the one a user asked for, checked, and copies onto it.

``resolve_device`` checks a ``--device`` before any model moves; ``to_device`` is the one
host-to-device copy of the model and the training losses (non-blocking on CUDA only).
"""

from __future__ import annotations

import os
import platform

import torch


def default_device() -> torch.device:
    """CUDA when available, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def to_device(tensor: torch.Tensor, device: torch.device | str) -> torch.Tensor:
    """``tensor`` on ``device``; a host-to-CUDA copy does not wait for the GPU.

    ``non_blocking`` is used for CUDA only: a copy from pageable host memory is staged
    before the call returns there, so the source may be freed at once; other backends (MPS)
    may still read the source later (pytorch/pytorch#189690).
    """
    device = torch.device(device)
    return tensor.to(device, non_blocking=device.type == "cuda")


def resolve_device(device: str | torch.device | None) -> torch.device:
    """The torch device a user asked for (``--device``), checked before any model moves.

    Args:
        device: ``cpu``, ``cuda``, ``cuda:N``, ``mps``, a ``torch.device``, or None for
            :func:`default_device`.

    Returns:
        The device.

    Raises:
        ValueError: a name torch does not know, CUDA or MPS on a machine or torch build
            without it, or a CUDA index beyond the visible devices.
    """
    if device is None:
        return default_device()
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as e:
        raise ValueError(f"unknown torch device {str(device)!r}: use cpu, cuda, cuda:N or "
                         f"mps") from e
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {str(device)!r}: CUDA is not available here (torch "
                             f"{torch.__version__}); use --device cpu")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device {str(device)!r}: only {torch.cuda.device_count()} CUDA "
                             f"device(s) visible")
    elif dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {str(device)!r}: MPS is not available here; use --device cpu")
    elif dev.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device {str(device)!r}: motionlex runs on cpu, cuda or mps")
    return dev


def readable_device(device: str | torch.device) -> str:
    """Readable name of a torch device: ``"GPU <name>"``, or ``"CPU (<processor>, <n>
    threads)"``."""
    dev = torch.device(device)
    if dev.type == "cuda" and torch.cuda.is_available():
        return f"GPU {torch.cuda.get_device_name(dev)}"
    proc = platform.processor() or platform.machine() or "unknown"
    return f"CPU ({proc}, {os.cpu_count() or '?'} threads)"
