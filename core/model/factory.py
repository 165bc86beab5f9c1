"""Model registry and the checkpoint loader (timm's ``_factory.py`` pattern).

``register_model(name)`` registers a config builder; :func:`create_model` builds a registered
model, drops ``None`` overrides, fails on unknown names listing the known ones and loads weights
after building. :func:`load_checkpoint` is the one way to open a model directory with its
patch statistics (the CLI, the index, evaluation and the app all call it).
Source: ``huggingface/pytorch-image-models/timm/models/_factory.py``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from motionlex.core.atomic import recover_directory
from motionlex.core.model.config import MotionTextConfig, check_types, unknown_keys_error
from motionlex.core.model.device import resolve_device
from motionlex.core.model.folder import CONFIG_FILE, STATS_FILE, check_model_folder, read_config
from motionlex.core.model.model import MotionTextModel
from motionlex.core.model.text_encoder import MINILM_PACKAGE_ID
from motionlex.core.patches import PatchStats

_MODEL_REGISTRY: dict[str, Callable[[], MotionTextConfig]] = {}


def register_model(
    name: str, *, exist_ok: bool = False,
) -> Callable[[Callable[[], MotionTextConfig]], Callable[[], MotionTextConfig]]:
    """Decorator registering a config builder under ``name`` (timm ``register_model`` style).

    Args:
        name: the name :func:`create_model` and ``--model`` take.
        exist_ok: replace a builder already registered under ``name`` (as transformers'
            ``AutoConfig.register(..., exist_ok=True)``); otherwise that is an error, so a
            plugin cannot silently change what a shipped name such as ``tiny`` builds.

    Raises:
        ValueError: (when decorating) ``name`` is registered and ``exist_ok`` is False.
    """

    def deco(fn: Callable[[], MotionTextConfig]) -> Callable[[], MotionTextConfig]:
        if name in _MODEL_REGISTRY and not exist_ok:
            raise ValueError(f"a model named {name!r} is already registered; pass "
                             f"register_model({name!r}, exist_ok=True) to replace it")
        _MODEL_REGISTRY[name] = fn
        return fn

    return deco


@register_model("tiny")
def _tiny() -> MotionTextConfig:
    """Tests: 2-layer ViT width 32, random 2-layer BERT width 32 on the MiniLM vocabulary."""
    return MotionTextConfig(
        name="tiny",
        motion_hidden_size=32,
        motion_layers=2,
        motion_heads=2,
        motion_intermediate_size=64,
        text_pretrained=False,
        text_random_init={
            "hidden_size": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "intermediate_size": 64,
        },
        embed_dim=32,
    )


@register_model("cpu-small")
def _cpu_small() -> MotionTextConfig:
    """CPU training: 4-layer ViT width 256 from scratch + pretrained all-MiniLM-L6-v2."""
    return MotionTextConfig(
        name="cpu-small",
        motion_hidden_size=256,
        motion_layers=4,
        motion_heads=4,
        motion_intermediate_size=1024,
        text_model=MINILM_PACKAGE_ID,
        text_pooling="mean",
    )


@register_model("paper-base")
def _paper_base() -> MotionTextConfig:
    """Motion Patches setup: ViT-B/16 (ImageNet-21k) + distilbert-base-uncased, [CLS] pooling."""
    return MotionTextConfig(
        name="paper-base",
        motion_pretrained="google/vit-base-patch16-224-in21k",
        text_model="distilbert-base-uncased",
        text_pooling="cls",
    )


def list_models() -> list[str]:
    """Registered model names, sorted: the built-in ``tiny``, ``cpu-small`` and
    ``paper-base`` (``configs/*.yaml`` hold the training recipes that use them) and any added
    with :func:`register_model`."""
    return sorted(_MODEL_REGISTRY)


def model_config(name: str, **overrides: Any) -> MotionTextConfig:
    """The config of a registered model with ``overrides`` applied (None values dropped).

    A ``text_model`` or ``motion_pretrained`` that names a local folder by a relative path is
    stored as its absolute path (a model saved without its text backbone reads it from there).

    Raises:
        ValueError: unknown name (the message lists the known ones), unknown override keys
            (each with the closest known one), ``version`` (fixed by this motionlex), values
            of the wrong type (:func:`~.config.check_types`: a model that saved but would not
            load again), or inconsistent values.
    """
    if name not in _MODEL_REGISTRY:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(list_models())}")
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if "version" in overrides:
        raise ValueError(f"version is not a model setting: this motionlex writes config version "
                         f"{MotionTextConfig.version} (got {overrides['version']!r})")
    known = {f.name for f in dataclasses.fields(MotionTextConfig)} - {"version"}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise unknown_keys_error("model overrides", unknown, known)
    check_types(MotionTextConfig, overrides)
    for key in _SOURCE_KEYS:  # a folder, not a hub id: stored absolute, so a saved model
        if key in overrides:  # that reads it loads from anywhere
            overrides[key] = _absolute_folder(overrides[key])
    return dataclasses.replace(_MODEL_REGISTRY[name](), **overrides)


_SOURCE_KEYS = ("text_model", "motion_pretrained")
"""Config fields that name where weights come from: a hub id or a local folder."""


def _absolute_folder(value: Any) -> Any:
    """A relative path naming an existing folder as its absolute path; anything else as is."""
    if isinstance(value, str) and not Path(value).is_absolute() and Path(value).is_dir():
        return str(Path(value).resolve())
    return value


def create_model(
    name: str,
    *,
    device: str | torch.device | None = None,
    checkpoint_path: str | os.PathLike | None = None,
    **overrides: Any,
) -> MotionTextModel:
    """Build a registered model, then optionally load weights (timm ``create_model`` style).

    Args:
        name: ``"tiny"``, ``"cpu-small"``, ``"paper-base"`` or another registered name.
        device: target device; None picks CUDA when available, else CPU.
        checkpoint_path: a :meth:`MotionTextModel.save_pretrained` directory whose weights
            are loaded after building (same architecture; e.g. the previous phase's output).
        **overrides: config fields to change; None values are dropped.

    Returns:
        The model (train mode), pretrained backbone weights loaded as configured.

    Raises:
        ValueError: unknown name or override keys, inconsistent values, a checkpoint whose
            ``config.json`` differs from the built config in any setting but ``name`` (listed),
            or whose tensors do not fit (see :meth:`MotionTextModel.load_weights`).
        FileNotFoundError: ``checkpoint_path`` has no weights file.
    """
    target = resolve_device(device)
    config = model_config(name, **overrides)
    if checkpoint_path is not None:  # before seconds of building: settings that do not change
        saved = Path(checkpoint_path) / CONFIG_FILE  # a shape would go unnoticed otherwise
        if saved.is_file():
            want, got = read_config(saved).to_dict(), config.to_dict()
            want.update({k: _absolute_folder(want[k]) for k in _SOURCE_KEYS})  # as saved then
            differ = [f"{k}: saved {want[k]!r}, built {got[k]!r}" for k in sorted(want)
                      if k != "name" and want[k] != got.get(k)]
            if differ:
                raise ValueError(
                    f"{saved} describes another model than create_model({name!r}) builds ("
                    f"{'; '.join(differ)}): pass those settings as overrides, or load the "
                    f"folder as it is with load_checkpoint")
    model = MotionTextModel(config)
    if checkpoint_path is not None:
        model.load_weights(checkpoint_path)
    return model.to(target)


def load_checkpoint(
    checkpoint: str | os.PathLike, device: str | torch.device | None = None
) -> tuple[MotionTextModel, PatchStats]:
    """THE checkpoint loader: a model directory and its ``patch_stats.json``.

    Args:
        checkpoint: a directory written by ``MotionTextModel.save_pretrained`` (training
            exports ``OUT/model``; ``resources/default_model`` is one).
        device: target device; None picks CUDA when available, else CPU.

    Returns:
        ``(model in eval mode, patch statistics)``.

    A replacement of the folder that was interrupted (a killed ``save_pretrained``) is
    finished or undone first (:func:`~motionlex.core.atomic.recover_directory`).

    Raises:
        NotAModelFolderError: (a ``FileNotFoundError``) the path is missing, not a folder, or
            lacks ``config.json``, ``model.safetensors``, ``patch_stats.json`` or another model
            file: one message, naming what a model folder holds.
        ValueError: an unreadable or invalid checkpoint (the message names the file; see
            ``MotionTextModel.from_pretrained``), e.g. weights that fail their checksum.
    """
    root = Path(checkpoint)
    recover_directory(root)
    check_model_folder(root, need_stats=True)
    stats = PatchStats.load(root / STATS_FILE)
    return MotionTextModel.from_pretrained(root, device=device), stats
