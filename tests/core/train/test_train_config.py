"""TrainConfig: YAML configs, overrides, legacy keys (core/train/train_config.py)."""

from __future__ import annotations

import logging

import pytest

from motionlex.core.train.objective import ObjectiveConfig
from motionlex.core.train.train_config import TrainConfig, load_train_config


def test_config_overrides_and_errors(repo_root, tmp_path):
    cfg = load_train_config(
        repo_root / "configs" / "tiny.yaml",
        ["lr_motion=0.01", "phases.0.max_steps=2", "model_overrides.embed_dim=32"],
    )
    assert cfg.lr_motion == 0.01 and cfg.phases[0].max_steps == 2
    assert cfg.model_overrides["embed_dim"] == 32
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    for name in ("cpu-small", "paper-base", "dense-baseline-cpu"):
        load_train_config(repo_root / "configs" / f"{name}.yaml")
    with pytest.raises(ValueError, match="unknown training config keys"):
        load_train_config(None, ["learning_rate=1"])
    with pytest.raises(ValueError, match="unknown phase"):
        TrainConfig.from_dict({"phases": ["pretrain"]})
    with pytest.raises(ValueError, match="key=value"):
        load_train_config(None, ["oops"])
    with pytest.raises(FileNotFoundError, match="training config not found"):
        load_train_config(tmp_path / "none.yaml")


def test_every_shipped_config_loads_and_round_trips(repo_root):
    for path in sorted((repo_root / "configs").glob("*.yaml")):
        cfg = load_train_config(path)
        assert TrainConfig.from_dict(cfg.to_dict()) == cfg, path.name


def test_loss_settings_leave_the_model_overrides(repo_root, caplog):
    cfg = load_train_config(repo_root / "configs" / "cpu-small.yaml",
                            ["objective.flops_max_weight=0.01"])
    assert cfg.objective.flops_max_weight == 0.01 and cfg.objective.lexical_align_weight == 1.0
    assert "flops_max_weight" not in cfg.model_overrides
    # an older train_config.json: loss settings in model_overrides, export_phase_heads
    with caplog.at_level(logging.INFO, logger="motionlex.core.train.train_config"):
        old = TrainConfig.from_dict({
            "model_overrides": {"flops_max_weight": 0.003, "motion_lexical_tokens": "rows"},
            "export_phase_heads": False,
        })
    assert old.model_overrides == {"motion_lexical_tokens": "rows"}
    assert old.objective == ObjectiveConfig(flops_max_weight=0.003)
    assert "moved from model_overrides to objective" in caplog.text
    with pytest.raises(ValueError, match="unknown objective keys"):
        load_train_config(None, ["objective.flops=1"])
