"""The Lightning Trainer of a training config (core/train/trainer_settings.py): precision
``auto``, DDP that lets parameters go unused, explicit values passed through, and one
``ValueError`` naming the settings for a value Lightning refuses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from lightning.pytorch.strategies import DDPStrategy, SingleDeviceStrategy

from motionlex.core.train import trainer_settings
from motionlex.core.train.train_config import TrainConfig
from motionlex.core.train.trainer_settings import (
    check_trainer_settings,
    make_trainer,
    trainer_kwargs,
)

QUIET = {"logger": False, "enable_checkpointing": False, "enable_progress_bar": False,
         "enable_model_summary": False}

_LAUNCHER_ENV = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK",
                 "NODE_RANK", "TORCHELASTIC_RUN_ID", "SLURM_NTASKS", "SLURM_JOB_NAME",
                 "SLURM_PROCID", "LSB_JOBID", "KUBERNETES_PORT")


@pytest.fixture(autouse=True)
def _no_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    """No torchrun/SLURM variables: Lightning would take the world size from them."""
    for name in _LAUNCHER_ENV:
        monkeypatch.delenv(name, raising=False)


def _cuda(monkeypatch: pytest.MonkeyPatch, available: bool, bf16: bool = True) -> None:
    monkeypatch.setattr(trainer_settings.torch.cuda, "is_available", lambda: available)
    def native_bf16(including_emulation: bool = True) -> bool:
        assert not including_emulation, "emulated bf16 (a T4, a V100) is slow: ask for native"
        return bf16

    monkeypatch.setattr(trainer_settings.torch.cuda, "is_bf16_supported", native_bf16)


# -- trainer_kwargs: the settings as Lightning receives them ----------------------------------


def test_precision_auto_is_bf16_mixed_with_cuda_and_32_true_without(monkeypatch):
    cfg = TrainConfig()
    assert cfg.precision == "auto"
    _cuda(monkeypatch, True)
    assert trainer_kwargs(cfg)["precision"] == "bf16-mixed"
    _cuda(monkeypatch, False)
    assert trainer_kwargs(cfg)["precision"] == "32-true"


@pytest.mark.parametrize(("accelerator", "bf16", "expected"), [
    ("cpu", True, "32-true"),  # a CPU run on a GPU machine: no bf16 autocast on the CPU
    ("mps", True, "32-true"),
    ("gpu", True, "bf16-mixed"), ("cuda", True, "bf16-mixed"), ("auto", True, "bf16-mixed"),
    ("gpu", False, "16-mixed"),  # a GPU before Ampere has no bfloat16
])
def test_precision_auto_follows_the_accelerator(monkeypatch, accelerator, bf16, expected):
    _cuda(monkeypatch, True, bf16)
    assert trainer_kwargs(TrainConfig(accelerator=accelerator))["precision"] == expected


@pytest.mark.parametrize("precision", ["32-true", "bf16-mixed", "16-mixed", "64-true"])
@pytest.mark.parametrize("cuda", [True, False])
def test_explicit_precision_is_passed_through(monkeypatch, precision, cuda):
    _cuda(monkeypatch, cuda)
    assert trainer_kwargs(TrainConfig(precision=precision))["precision"] == precision


@pytest.mark.parametrize("strategy", ["ddp", "ddp_spawn", "ddp_fork", "ddp_notebook"])
def test_ddp_becomes_the_find_unused_parameters_strategy(strategy):
    """Every way of starting DDP lets parameters go unused (a registered Lightning name)."""
    from lightning.pytorch.strategies import StrategyRegistry

    got = trainer_kwargs(TrainConfig(strategy=strategy))["strategy"]
    assert got == f"{strategy}_find_unused_parameters_true" and got in StrategyRegistry


@pytest.mark.parametrize("strategy", ["auto", "ddp_find_unused_parameters_false", "fsdp"])
def test_other_strategies_are_passed_through(strategy):
    assert trainer_kwargs(TrainConfig(strategy=strategy))["strategy"] == strategy


def test_device_settings_and_clipping_reach_lightning(monkeypatch):
    _cuda(monkeypatch, False)
    cfg = TrainConfig(accelerator="cpu", devices=3, num_nodes=2, grad_clip=0.5)
    assert trainer_kwargs(cfg) == {"accelerator": "cpu", "devices": 3, "num_nodes": 2,
                                   "strategy": "auto", "precision": "32-true",
                                   "gradient_clip_val": 0.5}


def test_grad_clip_zero_means_no_clipping():
    assert trainer_kwargs(TrainConfig(grad_clip=0.0))["gradient_clip_val"] is None


# -- make_trainer: real Lightning Trainers on CPU ----------------------------------------------


def test_one_cpu_device_is_a_single_device_trainer():
    trainer = make_trainer(TrainConfig(accelerator="cpu", devices=1), max_steps=3, **QUIET)
    assert isinstance(trainer.strategy, SingleDeviceStrategy)
    assert trainer.world_size == 1 and trainer.max_steps == 3  # extra kwargs reach it
    assert trainer.gradient_clip_val == 1.0  # TrainConfig's default grad_clip
    if not torch.cuda.is_available():
        assert trainer.precision == "32-true"


@pytest.mark.parametrize(("devices", "num_nodes"), [(2, 1), (1, 2)])
def test_auto_strategy_on_several_devices_is_ddp_with_unused_parameters(devices, num_nodes):
    """Two processes in all (two devices, or one device on each of two nodes): DDP that lets
    the idle half of the model go without gradients."""
    cfg = TrainConfig(accelerator="cpu", devices=devices, num_nodes=num_nodes)
    trainer = make_trainer(cfg, **QUIET)
    assert trainer.world_size == devices * num_nodes == 2
    assert isinstance(trainer.strategy, DDPStrategy)
    assert trainer.strategy._ddp_kwargs.get("find_unused_parameters") is True


def test_explicit_ddp_lets_parameters_go_unused():
    trainer = make_trainer(TrainConfig(accelerator="cpu", devices=2, strategy="ddp"), **QUIET)
    assert isinstance(trainer.strategy, DDPStrategy)
    assert trainer.strategy._ddp_kwargs.get("find_unused_parameters") is True


def test_explicit_strategy_is_not_replaced_on_several_devices():
    """Only ``auto`` is turned into DDP with unused parameters; a strategy named in full is
    the user's choice."""
    cfg = TrainConfig(accelerator="cpu", devices=2, strategy="ddp_find_unused_parameters_false")
    trainer = make_trainer(cfg, **QUIET)
    assert isinstance(trainer.strategy, DDPStrategy) and trainer.world_size == 2
    assert trainer.strategy._ddp_kwargs.get("find_unused_parameters") is False


def test_explicit_bf16_on_cpu_reaches_the_trainer():
    trainer = make_trainer(TrainConfig(accelerator="cpu", devices=1, precision="bf16-mixed"),
                           **QUIET)
    assert trainer.precision == "bf16-mixed"


# -- check_trainer_settings: refused settings before any data ---------------------------------


def test_accepted_settings_pass_and_leave_no_files(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert check_trainer_settings(TrainConfig(accelerator="cpu", devices=1)) is None
    assert check_trainer_settings(TrainConfig(accelerator="cpu", devices=2)) is None
    assert list(tmp_path.iterdir()) == []  # no lightning_logs/ or checkpoints


@pytest.mark.parametrize(("change", "named", "reason"), [
    ({"accelerator": "cpu", "devices": 0}, "devices=0", r"devices=0"),
    ({"accelerator": "cpu", "strategy": "nope"}, "strategy=nope", r"invalid strategy name"),
    ({"accelerator": "cpu", "precision": "17"}, "precision=17", r"Precision '17' is invalid"),
    ({"accelerator": "tpux"}, "accelerator=tpux", r"invalid accelerator name"),
])
def test_refused_settings_raise_one_value_error_naming_them(change, named, reason):
    cfg = TrainConfig(**change)
    with pytest.raises(ValueError, match="refuses the training config's device settings") as e:
        check_trainer_settings(cfg)
    message = str(e.value)
    # every setting is named, as the config holds it ("auto", not what it resolved to)
    for key in ("accelerator", "devices", "num_nodes", "strategy", "precision"):
        assert f"{key}={getattr(cfg, key)}" in message
    assert named in message
    assert e.value.__cause__ is not None  # Lightning's own error, chained
    assert re.search(reason, message), message
