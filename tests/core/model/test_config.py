"""MotionTextConfig: architecture only, JSON round trip, legacy keys (core/model/config.py)."""

from __future__ import annotations

import json
import logging
import re

import pytest

from motionlex.core.model.config import (
    CONFIG_VERSION,
    LEGACY_LOSS_KEYS,
    OPTIONAL_KEYS,
    MotionTextConfig,
)
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


@pytest.mark.parametrize("key,value", [("patch_size", 8), ("points_per_part", 32),
                                       ("num_parts", 6)])
def test_config_rejects_patch_geometry_the_data_path_cannot_build(key: str, value: int) -> None:
    # patches.py / embed.py / PatchStats build 5 parts x 16 points in 16-frame rows: a
    # config promising another grid would fail only at the first forward pass
    with pytest.raises(ValueError, match=f"{key} must be .* not {value}"):
        MotionTextConfig(**{key: value})
    assert MotionTextConfig(max_frames=112).image_size == (112, 80)  # length is free


def test_config_drops_legacy_loss_keys_with_a_debug_log(caplog: pytest.LogCaptureFixture) -> None:
    data = model_config("tiny").to_dict()
    legacy = {"flops_max_weight": 0.003, "decoder_layers": 1, "lexical_align_weight": 1.0}
    assert set(legacy) <= LEGACY_LOSS_KEYS
    with caplog.at_level(logging.DEBUG, logger="motionlex.core.model.config"):
        cfg = MotionTextConfig.from_dict({**data, **legacy})
    assert cfg == model_config("tiny")
    assert "dropped legacy loss keys" in caplog.text
    assert not LEGACY_LOSS_KEYS & set(cfg.to_dict())  # architecture only


def test_config_missing_keys_are_an_error_naming_them() -> None:
    """Issue 15 defect 6: a config with missing keys loaded on defaults contradicting the
    weights (here a width of 768 for a 32-wide model)."""
    data = model_config("tiny").to_dict()
    del data["motion_hidden_size"], data["embed_dim"]
    with pytest.raises(ValueError, match=r"missing config keys \['embed_dim', "
                       r"'motion_hidden_size'\]"):
        MotionTextConfig.from_dict(data)


def test_config_keys_added_during_version_1_may_be_missing() -> None:
    """Version 1 configs written before lexical_vocabulary / text_trainable_layers existed
    still load, on the defaults those models had."""
    data = model_config("tiny").to_dict()
    for k in OPTIONAL_KEYS[CONFIG_VERSION]:
        del data[k]
    cfg = MotionTextConfig.from_dict(data)
    assert cfg.lexical_vocabulary == "all" and cfg.text_trainable_layers == -1


@pytest.mark.parametrize("key,value,expected", [
    ("embed_dim", "256", "embed_dim must be int, got str '256'"),
    ("embed_dim", 25.6, "embed_dim must be int, got float 25.6"),
    ("text_pretrained", "yes", "text_pretrained must be bool, got str"),
    ("motion_layers", True, "motion_layers must be int, got bool True"),
    ("text_random_init", [1], "text_random_init must be mapping, got list"),
    ("motion_pretrained", 3, "motion_pretrained must be str or None, got int 3"),
    ("logit_scale_init", None, "logit_scale_init must be float, got NoneType"),
    ("version", True, "config version True"),
])
def test_config_wrong_value_types_name_key_and_type(key: str, value, expected: str) -> None:
    """Issue 15 defect 6/7: wrong types ended in TypeErrors deep inside."""
    data = model_config("tiny").to_dict()
    data[key] = value
    with pytest.raises(ValueError, match=re.escape(expected)):
        MotionTextConfig.from_dict(data)


@pytest.mark.parametrize("key", ["patch_size", "max_frames", "motion_heads", "embed_dim"])
def test_config_zero_sizes_are_value_errors(key: str) -> None:
    data = model_config("tiny").to_dict()
    data[key] = 0
    with pytest.raises(ValueError, match=f"{key} must be a positive integer"):
        MotionTextConfig.from_dict(data)


@pytest.mark.parametrize("content", ["[1, 2, 3]", '"config"', "null", "{broken",
                                     '{"version": 1, "embed_dim": "x"}'])
def test_read_config_names_the_file(tmp_path, content: str) -> None:
    from motionlex.core.model.folder import read_config

    path = tmp_path / "config.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=f"cannot read model config {re.escape(str(path))}"):
        read_config(path)



def _json_values():
    from hypothesis import strategies as st

    return st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                  st.floats(allow_nan=False), st.text(max_size=8)),
        lambda kids: st.one_of(st.lists(kids, max_size=3),
                               st.dictionaries(st.text(max_size=6), kids, max_size=3)),
        max_leaves=6)


def test_config_from_dict_raises_only_value_errors_on_random_values() -> None:
    """Fuzz (as benchmarks/fuzz_loaders.py, smaller): any key set to any JSON value is
    loaded or refused with a ValueError, never a TypeError from inside."""
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    base = model_config("tiny").to_dict()

    @hypothesis.settings(max_examples=300, deadline=None, database=None)
    @hypothesis.given(st.sampled_from(sorted(base)), _json_values())
    def check(key, value) -> None:
        try:
            MotionTextConfig.from_dict({**base, key: value})
        except ValueError:
            pass

    check()
