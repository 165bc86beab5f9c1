"""Registry, create_model and THE checkpoint loader (core/model/factory.py)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch

from motionlex.core.model.factory import create_model, list_models, load_checkpoint, model_config
from motionlex.core.model.folder import NotAModelFolderError
from motionlex.core.model.model import MotionTextModel
from motionlex.core.model.text_encoder import MINILM_PACKAGE_ID
from motionlex.core.patches import PatchStats


def test_registry_names_and_overrides() -> None:
    assert {"tiny", "cpu-small", "paper-base"} <= set(list_models())
    assert model_config("tiny", embed_dim=None).embed_dim == 32  # None overrides are dropped
    assert model_config("tiny", embed_dim=64).embed_dim == 64
    small = model_config("cpu-small")
    assert (small.motion_layers, small.motion_hidden_size, small.text_model) == (
        4,
        256,
        MINILM_PACKAGE_ID,
    )
    base = model_config("paper-base")
    assert base.motion_pretrained == "google/vit-base-patch16-224-in21k"
    assert base.text_model == "distilbert-base-uncased" and base.text_pooling == "cls"


def test_create_model_rejects_unknown_name() -> None:
    with pytest.raises(ValueError, match="known models: .*cpu-small.*tiny"):
        create_model("huge")


def test_create_model_rejects_unknown_override() -> None:
    with pytest.raises(ValueError, match=r"unknown model overrides keys: 'embed_dimm' \(did you "
                                         r"mean 'embed_dim'\?\)"):
        create_model("tiny", embed_dimm=3)


@pytest.mark.parametrize(("override", "message"), [
    ({"max_text_length": True}, "max_text_length must be int, got bool True"),
    ({"lexical_exclude_special": 0}, "lexical_exclude_special must be bool, got int 0"),
    ({"logit_scale_init": "14"}, "logit_scale_init must be float, got str '14'"),
    ({"version": 2}, "version is not a model setting"),
])
def test_overrides_of_the_wrong_type_are_refused_before_a_model_is_saved(
        override: dict, message: str) -> None:
    """Probe: such a model built and saved, then its own config.json was refused on load
    (or a bare TypeError came from deep inside)."""
    with pytest.raises(ValueError, match=re.escape(message)):
        model_config("tiny", **override)
    assert model_config("tiny", logit_scale_init=14).logit_scale_init == 14  # an int is a float


def test_create_model_loads_checkpoint_after_building(
    tiny: MotionTextModel, tmp_path: Path, make_batch, outputs) -> None:
    tiny.save_pretrained(tmp_path / "c")
    again = create_model("tiny", device="cpu", checkpoint_path=tmp_path / "c").eval()
    batch = make_batch()
    for x, y in zip(outputs(tiny, batch), outputs(again, batch)):
        assert torch.equal(x, y)
    # settings that change no shape were followed silently (probe): the config is compared
    for override, said in (({"embed_dim": 64}, "embed_dim: saved 32, built 64"),
                           ({"text_pooling": "cls"}, "text_pooling: saved 'mean', built 'cls'")):
        with pytest.raises(ValueError, match=r"c/config.json describes another model than "
                                             r"create_model\('tiny'\) builds \(" + re.escape(said)):
            create_model("tiny", device="cpu", checkpoint_path=tmp_path / "c", **override)
    (tmp_path / "c" / "config.json").unlink()  # weights alone: their shapes are still checked
    with pytest.raises(ValueError, match="shape mismatches 2 .*motion_proj.weight"):
        create_model("tiny", device="cpu", embed_dim=64, checkpoint_path=tmp_path / "c")


def test_create_model_checkpoint_without_weights(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="model.safetensors not found"):
        create_model("tiny", device="cpu", checkpoint_path=tmp_path)


def test_load_checkpoint_returns_model_and_stats(tiny: MotionTextModel, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    saved = PatchStats(rng.normal(size=(80, 3)).astype(np.float32),
                       rng.uniform(0.1, 1.0, (80, 3)).astype(np.float32))
    stats = saved.to_dict()
    with pytest.raises(NotAModelFolderError, match="none is not a motionlex model folder"):
        load_checkpoint(tmp_path / "none", "cpu")
    tiny.save_pretrained(tmp_path / "c")
    with pytest.raises(FileNotFoundError, match=r"\(missing patch_stats.json\)"):
        load_checkpoint(tmp_path / "c", "cpu")
    tiny.save_pretrained(tmp_path / "c", extra_json={"patch_stats.json": stats})
    model, got = load_checkpoint(tmp_path / "c", "cpu")
    assert isinstance(model, MotionTextModel) and not model.training
    np.testing.assert_array_equal(got.mean, saved.mean)
    np.testing.assert_array_equal(got.std, saved.std)
    want = tiny.state_dict()
    have = model.state_dict()
    assert have.keys() == want.keys()
    assert all(torch.equal(have[k].cpu(), want[k].cpu()) for k in want)


def test_default_model_loads_and_embeds_as_its_legacy_free_copy(
    repo_root: Path, tmp_path: Path
) -> None:
    """A checkpoint whose config.json still has the old loss keys (as checkpoints written
    before the model/loss split do) loads through the one loader and gives exactly the
    embeddings of the same weights with a clean config (the current format, as shipped)."""
    import json
    import shutil

    from motionlex.core.model.config import LEGACY_LOSS_KEYS

    clean = repo_root / "resources" / "default_model"
    assert not set(json.loads((clean / "config.json").read_text())) & LEGACY_LOSS_KEYS
    src = tmp_path / "legacy"
    shutil.copytree(clean, src)
    cfg = json.loads((src / "config.json").read_text())
    legacy_values = {"lexmlm_encoder_mask_prob": 0.3, "cmmm_mask_ratio": 0.5,
                     "lexical_loss_weight": 1.0, "flops_max_weight": 0.003,
                     "flops_warmup_steps": 200, "decoder_layers": 2}
    cfg.update({k: v for k, v in legacy_values.items() if k in LEGACY_LOSS_KEYS})
    assert set(cfg) & LEGACY_LOSS_KEYS
    (src / "config.json").write_text(json.dumps(cfg))
    sums = json.loads((src / "checksums.json").read_text())  # as such a folder records them:
    (src / "checksums.json").write_text(json.dumps(  # the weights' checksum alone
        {"sha256": {"model.safetensors": sums["sha256"]["model.safetensors"]}}))
    legacy, stats = load_checkpoint(src, "cpu")
    new = MotionTextModel.from_pretrained(clean, device="cpu")
    assert legacy.config == new.config and stats.mean.shape == (80, 3)
    g = torch.Generator().manual_seed(0)
    patches = torch.randn(2, 3, 224, 80, generator=g)
    rows = torch.arange(14).unsqueeze(0) < torch.tensor([[14], [5]])
    texts = ["a person waves the left hand", "someone walks forward then turns"]
    with torch.no_grad():
        a = [legacy.forward_motion(patches, rows), legacy.forward_text(texts)]
        b = [new.forward_motion(patches, rows), new.forward_text(texts)]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.dense.numpy(), y.dense.numpy())
        np.testing.assert_array_equal(x.lexical.numpy(), y.lexical.numpy())
    words = [w for w, _ in legacy.top_words(a[1].lexical[0], 3)[0]]
    assert "waves" in words


@pytest.mark.parametrize("what", ["missing", "file", "empty", "no weights", "no stats"])
def test_one_message_for_not_a_model_folder(tiny: MotionTextModel, tmp_path: Path,
                                            what: str) -> None:
    """Every way of not being a model folder gives the same message naming its files."""
    root = tmp_path / "m"
    if what == "file":
        root.write_text("not a folder")
    elif what == "empty":
        root.mkdir()
    elif what != "missing":
        tiny.save_pretrained(root, extra_json={"patch_stats.json": PatchStats.identity()})
        (root / ("model.safetensors" if what == "no weights" else "patch_stats.json")).unlink()
    with pytest.raises(NotAModelFolderError) as err:
        load_checkpoint(root, "cpu")
    text = str(err.value)
    assert f"{root} is not a motionlex model folder" in text
    assert "holds config.json, model.safetensors and patch_stats.json" in text


def test_load_checkpoint_finishes_an_interrupted_swap(tiny: MotionTextModel,
                                                      tmp_path: Path) -> None:
    """A save killed between its renames leaves the folder hidden; the next open restores it."""
    import os

    rng = np.random.default_rng(0)
    saved = PatchStats(rng.normal(size=(80, 3)).astype(np.float32),
                       rng.uniform(0.1, 1.0, (80, 3)).astype(np.float32))
    stats = saved.to_dict()
    root = tmp_path / "m"
    tiny.save_pretrained(root, extra_json={"patch_stats.json": stats})
    dead = 2**22 + 17  # a process id that is not running (above the usual pid_max)
    os.replace(root, tmp_path / f".m.old-{dead}-abcd1234")  # killed after step 2 ...
    (tmp_path / f".m.tmp-{dead}-x1").mkdir()  # ... with an unfinished temp folder around
    model, _ = load_checkpoint(root, "cpu")
    assert isinstance(model, MotionTextModel)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
    # the early check of index/evaluate/search (check_model_folder) recovers it as well
    from motionlex.core.model.folder import check_model_folder

    os.replace(root, tmp_path / f".m.old-{dead}-abcd1234")
    assert check_model_folder(root, need_stats=True) == root
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


@pytest.mark.parametrize("device,expected", [
    ("banana", "unknown torch device 'banana'"),
    ("tpu", "unknown torch device 'tpu': use cpu, cuda, cuda:N or mps"),
])
def test_resolve_device_names_bad_devices(device, expected):
    from motionlex.core.model.device import resolve_device

    with pytest.raises(ValueError, match=expected):
        resolve_device(device)


def test_resolve_device_cpu_cuda_and_default():
    import torch

    from motionlex.core.model.device import default_device, resolve_device

    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(None) == default_device()
    if torch.cuda.is_available():
        assert resolve_device("cuda:0").type == "cuda"
        with pytest.raises(ValueError, match="CUDA device"):
            resolve_device(f"cuda:{torch.cuda.device_count()}")
    else:
        with pytest.raises(ValueError, match="CUDA is not available here"):
            resolve_device("cuda")


def test_a_relative_text_model_folder_is_stored_absolute(tmp_path: Path, monkeypatch) -> None:
    """Probe: a model saved without its text backbone, built with ``text_model="base"``,
    failed to load from any other working folder ("no hub access")."""
    (tmp_path / "base").mkdir()
    monkeypatch.chdir(tmp_path)
    assert model_config("tiny", text_model="base").text_model == str(tmp_path / "base")
    assert model_config("tiny", text_model="distilbert-base-uncased").text_model == (
        "distilbert-base-uncased")  # a hub id (no such folder) as it is
    assert model_config("tiny", motion_pretrained="base").motion_pretrained == str(
        tmp_path / "base")
