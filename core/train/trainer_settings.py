"""The Lightning ``Trainer`` of a training config: accelerator, devices, nodes, strategy and
precision, checked before any data is loaded.

``motionlex train`` hands these settings to Lightning (no launcher of our own); a value
Lightning refuses (``accelerator=gpu`` on a machine without one, ``devices=0``, an unknown
strategy) is reported as one ``ValueError`` naming the settings, at start, not as
Lightning's traceback after minutes of loading.
"""

from __future__ import annotations

import logging
from typing import Any

import lightning as L
import torch

from motionlex.core.train.compile import check_compile_backend

logger = logging.getLogger(__name__)

DDP_STRATEGIES = {name: f"{name}_find_unused_parameters_true"
                  for name in ("ddp", "ddp_spawn", "ddp_fork", "ddp_notebook")}
"""Strategy names of the config that reach Lightning as another registered strategy: DDP
(each way of starting it) must let parameters go unused (the text phases never touch the
motion encoder)."""

CUDA_ACCELERATORS = ("auto", "gpu", "cuda")
"""``accelerator`` values that train on CUDA when it is present."""


def auto_precision(accelerator: str) -> str:
    """Precision ``auto``: ``bf16-mixed`` where training runs on a CUDA GPU with bfloat16
    (Ampere or later), ``16-mixed`` on an older one, ``32-true`` elsewhere (CPU, MPS, or
    ``accelerator=cpu`` on a GPU machine)."""
    if str(accelerator).lower() not in CUDA_ACCELERATORS or not torch.cuda.is_available():
        return "32-true"
    # native bfloat16 only: by default torch also answers True where it is emulated (slowly)
    return "bf16-mixed" if torch.cuda.is_bf16_supported(including_emulation=False) \
        else "16-mixed"


def trainer_kwargs(cfg: Any) -> dict:
    """``L.Trainer`` keyword arguments of a :class:`~.train_config.TrainConfig`'s device
    settings (precision ``auto``: :func:`auto_precision`)."""
    precision = cfg.precision
    if precision == "auto":
        precision = auto_precision(cfg.accelerator)
    strategy = DDP_STRATEGIES.get(cfg.strategy, cfg.strategy)
    return {"accelerator": cfg.accelerator, "devices": cfg.devices,
            "num_nodes": cfg.num_nodes, "strategy": strategy, "precision": precision,
            "gradient_clip_val": cfg.grad_clip or None}


def make_trainer(cfg: Any, **kwargs: Any) -> L.Trainer:
    """A ``Trainer`` with the config's devices; DDP (``ddp``, or ``auto`` on several
    devices) lets parameters go unused, as each phase leaves part of the model idle.

    Args:
        cfg: the :class:`~.train_config.TrainConfig`.
        kwargs: further ``L.Trainer`` arguments (steps, callbacks, logger...).
    """
    trainer = L.Trainer(**kwargs, **trainer_kwargs(cfg))
    if cfg.strategy == "auto" and trainer.world_size > 1:
        trainer = L.Trainer(**kwargs, **{**trainer_kwargs(cfg),
                                         "strategy": DDP_STRATEGIES["ddp"]})
    return trainer


def check_trainer_settings(cfg: Any) -> None:
    """Build (and drop) the config's ``Trainer`` now, so a device setting Lightning refuses
    stops the run before its data is loaded.

    Also checks ``compile`` (:func:`~.compile.check_compile_backend`).

    Raises:
        ValueError: Lightning refused the settings (the message names them and quotes
            Lightning's reason), or ``compile`` names no ``torch.compile`` backend.
    """
    check_compile_backend(cfg.compile)
    try:
        make_trainer(cfg, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                     enable_model_summary=False)
    except Exception as e:  # noqa: BLE001 - Lightning raises MisconfigurationException,
        # ValueError, RuntimeError... for settings it refuses: each is the user's setting
        settings = (f"accelerator={cfg.accelerator}, devices={cfg.devices}, "
                    f"num_nodes={cfg.num_nodes}, strategy={cfg.strategy}, "
                    f"precision={cfg.precision}")
        raise ValueError(f"Lightning refuses the training config's device settings "
                         f"({settings}): {e}") from e
