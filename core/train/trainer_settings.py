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

logger = logging.getLogger(__name__)

DDP_STRATEGIES = {"ddp": "ddp_find_unused_parameters_true"}
"""Strategy names of the config that reach Lightning as another registered strategy: DDP
must let parameters go unused (the text phases never touch the motion encoder)."""


def trainer_kwargs(cfg: Any) -> dict:
    """``L.Trainer`` keyword arguments of a :class:`~.train_config.TrainConfig`'s device
    settings (precision ``auto``: ``bf16-mixed`` on CUDA, ``32-true`` elsewhere)."""
    precision = cfg.precision
    if precision == "auto":
        precision = "bf16-mixed" if torch.cuda.is_available() else "32-true"
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

    Raises:
        ValueError: Lightning refused the settings; the message names them and quotes
            Lightning's reason.
    """
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
