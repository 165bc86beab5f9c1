"""MotionTextConfig: architecture only, JSON round trip, legacy keys (core/model/config.py)."""

from __future__ import annotations

import json
import logging

import pytest

from motionlex.core.model.config import CONFIG_VERSION, LEGACY_LOSS_KEYS, MotionTextConfig
from motionlex.core.model.factory import model_config


def test_config_round_trip_through_json() -> None:
    cfg = model_config("tiny")
    again = MotionTextConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg
    assert cfg.version == CONFIG_VERSION
    assert cfg.image_size == (224, 80)
    a, b = MotionTextConfig(), MotionTextConfig()
    assert a.text_random_init is not b.text_random_init  # default_factory, not shared


def test_config_from_dict_rejects_other_version() -> None:
    data = model_config("tiny").to_dict()
    data["version"] = CONFIG_VERSION - 1
    with pytest.raises(ValueError, match=f"config version {CONFIG_VERSION - 1}"):
        MotionTextConfig.from_dict(data)


def test_config_from_dict_rejects_unknown_keys() -> None:
    data = model_config("tiny").to_dict()
    data["temperature"] = 0.07
    with pytest.raises(ValueError, match=r"unknown config keys \['temperature'\]"):
        MotionTextConfig.from_dict(data)


def test_config_rejects_invalid_values() -> None:
    with pytest.raises(ValueError, match="text_pooling must be 'mean' or 'cls'"):
        MotionTextConfig(text_pooling="max")
    with pytest.raises(ValueError, match="multiple of patch_size"):
        MotionTextConfig(max_frames=200)


def test_config_drops_legacy_loss_keys_with_a_debug_log(caplog: pytest.LogCaptureFixture) -> None:
    data = model_config("tiny").to_dict()
    legacy = {"flops_max_weight": 0.003, "decoder_layers": 1, "lexical_align_weight": 1.0}
    assert set(legacy) <= LEGACY_LOSS_KEYS
    with caplog.at_level(logging.DEBUG, logger="motionlex.core.model.config"):
        cfg = MotionTextConfig.from_dict({**data, **legacy})
    assert cfg == model_config("tiny")
    assert "dropped legacy loss keys" in caplog.text
    assert not LEGACY_LOSS_KEYS & set(cfg.to_dict())  # architecture only
