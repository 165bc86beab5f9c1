"""register_model, the model registry (core/model/factory.py): a registered builder is found
by name everywhere a model is built; registering a name again is refused unless asked for.

Each test works on a copy of the registry, so the shipped names are never changed for the
rest of the session.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

from motionlex.core.model import factory
from motionlex.core.model.config import MotionTextConfig
from motionlex.core.model.factory import create_model, list_models, model_config, register_model


@pytest.fixture(autouse=True)
def registry(monkeypatch: pytest.MonkeyPatch) -> dict:
    """A private copy of the registry for the test (register_model writes into it)."""
    copy = dict(factory._MODEL_REGISTRY)
    monkeypatch.setattr(factory, "_MODEL_REGISTRY", copy)
    return copy


TINY = model_config("tiny")
"""The shipped ``tiny`` config, read before any test registers a name."""


def _tiny_with(**changes) -> MotionTextConfig:
    return dataclasses.replace(TINY, **changes)


def test_a_registered_builder_is_listed_and_built():
    calls = []

    def build() -> MotionTextConfig:
        calls.append(1)
        return _tiny_with(name="test-narrow", embed_dim=16)

    returned = register_model("test-narrow")(build)
    assert returned is build  # the decorator hands the function back unchanged
    names = list_models()
    assert "test-narrow" in names and names == sorted(names)
    cfg = model_config("test-narrow")
    assert (cfg.name, cfg.embed_dim) == ("test-narrow", 16)
    assert model_config("test-narrow", embed_dim=24, motion_layers=None).embed_dim == 24
    assert len(calls) == 2  # built afresh on every lookup


def test_create_model_builds_a_registered_name():
    @register_model("test-narrow")
    def _narrow() -> MotionTextConfig:
        return _tiny_with(name="test-narrow", embed_dim=16)

    model = create_model("test-narrow", device="cpu").eval()
    assert model.config.name == "test-narrow"
    with torch.no_grad():
        out = model.forward_text(["a person walks forward then sits down"])
    assert out.dense.shape == (1, 16)  # the registered embedding width, not tiny's 32
    assert torch.isfinite(out.dense).all()


def test_registering_a_name_again_is_an_error_unless_exist_ok():
    """A second builder under a registered name is refused (a plugin cannot silently change
    what ``tiny`` builds); ``exist_ok=True`` replaces it on purpose."""
    register_model("test-dup")(lambda: _tiny_with(name="test-dup", embed_dim=8))
    with pytest.raises(ValueError, match="'test-dup' is already registered.*exist_ok=True"):
        register_model("test-dup")(lambda: _tiny_with(name="test-dup", embed_dim=40))
    assert model_config("test-dup").embed_dim == 8  # the first builder stays
    with pytest.raises(ValueError, match="'tiny' is already registered"):
        register_model("tiny")(lambda: _tiny_with(embed_dim=64))
    assert model_config("tiny").embed_dim == TINY.embed_dim == 32
    register_model("test-dup", exist_ok=True)(lambda: _tiny_with(name="test-dup", embed_dim=40))
    assert model_config("test-dup").embed_dim == 40
    assert list_models().count("test-dup") == 1


def test_unknown_names_list_the_registered_ones():
    register_model("test-extra")(lambda: _tiny_with(name="test-extra"))
    with pytest.raises(ValueError, match=r"unknown model 'test-missing'; known models: .*"
                                         r"test-extra"):
        model_config("test-missing")
