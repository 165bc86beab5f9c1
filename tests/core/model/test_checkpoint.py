"""save_pretrained / from_pretrained: files, atomicity, errors, legacy checkpoints
(core/model/checkpoint.py)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import torch

from motionlex.core.model.factory import create_model, model_config
from motionlex.core.model.folder import write_checksums
from motionlex.core.model.model import MotionTextModel


def _changed_base(source: Path, model: MotionTextModel, out: Path) -> Path:
    """A copy of the 'pretrained' text model at ``source`` whose layer 0 differs slightly."""
    from transformers import BertForMaskedLM

    base = BertForMaskedLM.from_pretrained(source)
    with torch.no_grad():
        base.bert.encoder.layer[0].output.dense.weight.add_(0.01)
    base.save_pretrained(out)
    model.tokenizer.save_pretrained(out)
    return out


def test_save_load_round_trip_is_bit_identical(
    tiny: MotionTextModel, tmp_path: Path, make_batch, outputs
) -> None:
    target = tmp_path / "ckpt"
    from motionlex.core.patches import PatchStats

    stats = PatchStats.identity().to_dict()
    tiny.save_pretrained(target, extra_json={"patch_stats.json": stats})
    names = {p.name for p in target.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer", "patch_stats.json"} <= names
    assert json.loads((target / "patch_stats.json").read_text()) == stats
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]  # no temporary leftovers
    assert (target / "model.safetensors").stat().st_mode & 0o777 == 0o644  # others may read
    loaded = MotionTextModel.from_pretrained(target, device="cpu")
    batch = make_batch()
    for x, y in zip(outputs(tiny, batch), outputs(loaded, batch)):
        assert torch.equal(x, y)
    assert loaded.text.mlm.get_output_embeddings().weight.data_ptr() == (
        loaded.text.word_embeddings.data_ptr()
    )
    tiny.save_pretrained(target)  # overwriting replaces the directory
    assert not (target / "patch_stats.json").exists()


def test_save_failure_leaves_no_partial_directory(
    tiny: MotionTextModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from motionlex.core.model import checkpoint

    target = tmp_path / "ckpt"
    tiny.save_pretrained(target, extra_json={"marker.json": 1})

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint, "save_file", broken)
    with pytest.raises(OSError, match="disk full"):
        tiny.save_pretrained(target)
    with pytest.raises(OSError, match="disk full"):
        tiny.save_pretrained(tmp_path / "fresh")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]
    assert json.loads((target / "marker.json").read_text()) == 1  # old checkpoint intact


def test_save_rejects_bad_extra_json(tiny: MotionTextModel, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="plain"):
        tiny.save_pretrained(tmp_path / "a", extra_json={"../x.json": {}})
    with pytest.raises(ValueError, match="plain"):
        tiny.save_pretrained(tmp_path / "a", extra_json={"config.json": {}})
    with pytest.raises(ValueError, match="not JSON-serialisable"):
        tiny.save_pretrained(tmp_path / "a", extra_json={"x.json": {1, 2}})
    assert not (tmp_path / "a").exists()


def test_a_model_saved_without_statistics_is_told_how(tiny: MotionTextModel,
                                                       tmp_path: Path) -> None:
    # load_checkpoint refused it ("missing patch_stats.json") without saying how to save
    # them; a PatchStats passes as it is (it was "not JSON-serialisable")
    from motionlex.core.model.factory import load_checkpoint
    from motionlex.core.model.folder import NotAModelFolderError
    from motionlex.core.patches import PatchStats

    tiny.save_pretrained(tmp_path / "bare")
    with pytest.raises(NotAModelFolderError, match=r"\(missing patch_stats.json\).* from "
                       r"Python, by model.save_pretrained\(DIR, extra_json="):
        load_checkpoint(tmp_path / "bare")
    stats = PatchStats.identity()
    tiny.save_pretrained(tmp_path / "full", extra_json={"patch_stats.json": stats})
    _, loaded = load_checkpoint(tmp_path / "full")
    assert loaded.to_dict() == stats.to_dict()


def test_save_rejects_file_target(tiny: MotionTextModel, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(FileExistsError, match="not a directory"):
        tiny.save_pretrained(tmp_path / "f")


def test_save_refuses_a_folder_of_other_files(tiny: MotionTextModel, tmp_path: Path) -> None:
    """Saving replaces the folder: a folder of a user's files (a thesis, a dataset) was
    deleted without a word. A new, empty or model folder is fine."""
    from motionlex.core.patches import PatchStats

    stats = {"patch_stats.json": PatchStats.identity()}
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "thesis.tex").write_text("chapter 1")
    (work / "sub" / "data.csv").write_text("1,2")
    with pytest.raises(FileExistsError, match=r"work is a folder that holds no model \(sub/, "
                                              r"thesis.tex\); saving replaces the whole folder"):
        tiny.save_pretrained(work, extra_json=stats)
    assert (work / "thesis.tex").read_text() == "chapter 1"
    assert (work / "sub" / "data.csv").is_file()
    (tmp_path / "empty").mkdir()
    tiny.save_pretrained(tmp_path / "empty", extra_json=stats)
    tiny.save_pretrained(tmp_path / "empty", extra_json=stats)  # a model folder: replaced
    assert (tmp_path / "empty" / "model.safetensors").is_file()


def test_replacing_a_model_folder_names_the_old_models_files_it_removes(
        tiny: MotionTextModel, tmp_path: Path, caplog) -> None:
    """Probe: re-saving onto a copy of the shipped model removed its README.md,
    caption_bank.txt and val_metrics.json without a word."""
    from motionlex.core.patches import PatchStats

    stats = {"patch_stats.json": PatchStats.identity()}
    tiny.save_pretrained(tmp_path / "m", extra_json={**stats, "val_metrics.json": {"a": 1}})
    (tmp_path / "m" / "caption_bank.txt").write_text("a person waves\n")
    with caplog.at_level(logging.WARNING, logger="motionlex.core.model.checkpoint"):
        tiny.save_pretrained(tmp_path / "m", extra_json=stats)
    assert "its caption_bank.txt, val_metrics.json go with the old model" in caplog.text
    assert not (tmp_path / "m" / "caption_bank.txt").exists()  # they described the old weights
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="motionlex.core.model.checkpoint"):
        tiny.save_pretrained(tmp_path / "m", extra_json=stats)  # writes all it held: no word
    assert "go with the old model" not in caplog.text


def test_save_refuses_patch_statistics_that_are_not(tiny: MotionTextModel, tmp_path: Path) -> None:
    """A path given for the statistics wrote a folder that failed only when loaded."""
    for bad in ("stats/patch_stats.json", [[0.0, 1.0]], {"mean": [0.0]}):
        with pytest.raises(ValueError, match=r"extra_json\['patch_stats.json'\] must be patch "
                                             r"statistics \(a PatchStats or its to_dict\(\)\)"):
            tiny.save_pretrained(tmp_path / "m", extra_json={"patch_stats.json": bad})
    assert not (tmp_path / "m").exists()


def test_save_without_random_text_encoder_is_refused(tiny: MotionTextModel, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs a pretrained text model"):
        tiny.save_pretrained(tmp_path / "a", include_text_encoder=False)


def test_load_rejects_older_config_version(tiny: MotionTextModel, tmp_path: Path) -> None:
    tiny.save_pretrained(tmp_path / "c")
    cfg = json.loads((tmp_path / "c" / "config.json").read_text())
    cfg["version"] = 0
    (tmp_path / "c" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="config.json: config version 0"):
        MotionTextModel.from_pretrained(tmp_path / "c", device="cpu")


def _rewrite_weights(path: Path, edit) -> None:
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
    tensors = load_file(str(path))
    edit(tensors)
    save_file(tensors, str(path), metadata=meta)
    write_checksums(path.parent)  # an edit its writer meant: the checksum follows


def test_load_lists_missing_and_unexpected_tensors(tiny: MotionTextModel, tmp_path: Path) -> None:
    tiny.save_pretrained(tmp_path / "c")
    weights = tmp_path / "c" / "model.safetensors"

    def edit(t: dict) -> None:
        del t["motion_proj.weight"]
        t["extra.weight"] = torch.zeros(2)

    _rewrite_weights(weights, edit)
    with pytest.raises(ValueError) as err:
        MotionTextModel.from_pretrained(tmp_path / "c", device="cpu")
    assert "missing 1 ['motion_proj.weight']" in str(err.value)
    assert "unexpected 1 ['extra.weight']" in str(err.value)


def test_load_lists_shape_mismatch(tiny: MotionTextModel, tmp_path: Path) -> None:
    tiny.save_pretrained(tmp_path / "c")

    def edit(t: dict) -> None:
        t["motion_proj.weight"] = torch.zeros(3, 3)

    _rewrite_weights(tmp_path / "c" / "model.safetensors", edit)
    with pytest.raises(ValueError, match=r"motion_proj.weight: file \(3, 3\) vs model \(32, 32\)"):
        MotionTextModel.from_pretrained(tmp_path / "c", device="cpu")


def test_load_rejects_missing_files(tiny: MotionTextModel, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nothing is not a motionlex model folder"):
        MotionTextModel.from_pretrained(tmp_path / "nothing", device="cpu")
    tiny.save_pretrained(tmp_path / "c")
    (tmp_path / "c" / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match=r"\(missing model.safetensors\)"):
        MotionTextModel.from_pretrained(tmp_path / "c", device="cpu")


def test_save_without_text_encoder(
    tiny_text_source: Path, tmp_path: Path, make_batch, outputs
) -> None:
    from safetensors import safe_open

    torch.manual_seed(0)
    model = create_model(
        "tiny", device="cpu", text_pretrained=True, text_model=str(tiny_text_source)
    ).eval()
    full, small = tmp_path / "full", tmp_path / "small"
    model.save_pretrained(full)
    model.save_pretrained(small, include_text_encoder=False)
    with safe_open(str(small / "model.safetensors"), framework="pt") as f:
        keys = list(f.keys())
    assert not any(k.startswith("text.mlm.bert.") for k in keys)
    assert "text.mlm.cls.predictions.transform.dense.weight" in keys  # trained MLM head is kept
    assert (small / "model.safetensors").stat().st_size < (
        full / "model.safetensors"
    ).stat().st_size
    loaded = MotionTextModel.from_pretrained(small, device="cpu")
    batch = make_batch()
    for x, y in zip(outputs(model, batch), outputs(loaded, batch)):
        assert torch.equal(x, y)


def test_a_half_precision_model_keeps_its_text_backbone_in_the_checkpoint(
        tiny_text_source: Path, tmp_path: Path) -> None:
    """Probe: a bf16 model saved without its text backbone could not be loaded again ("base
    text weights ... differ": its fingerprint was of the rounded weights)."""
    model = create_model("tiny", device="cpu", text_pretrained=True,
                         text_model=str(tiny_text_source),
                         text_trainable_layers=1).to(torch.bfloat16)  # "trainable" drops layer 0
    for mode in (False, "trainable"):
        with pytest.raises(ValueError, match=r"text backbone is torch.bfloat16 cannot leave it "
                                             r"out of the checkpoint"):
            model.save_pretrained(tmp_path / "small", include_text_encoder=mode)
    assert not (tmp_path / "small").exists()
    model.save_pretrained(tmp_path / "full")  # the whole model: loads (as float32, exact)
    loaded = MotionTextModel.from_pretrained(tmp_path / "full", device="cpu")
    a = next(iter(model.text.parameters()))
    assert torch.equal(next(iter(loaded.text.parameters())), a.float())


def test_load_without_text_encoder_detects_changed_base(
    tiny_text_source: Path, tmp_path: Path
) -> None:

    torch.manual_seed(0)
    model = create_model(
        "tiny", device="cpu", text_pretrained=True, text_model=str(tiny_text_source)
    )
    model.save_pretrained(tmp_path / "small", include_text_encoder=False)
    other = _changed_base(tiny_text_source, model, tmp_path / "other_base")
    with pytest.raises(ValueError, match="differ from the ones"):
        MotionTextModel.from_pretrained(tmp_path / "small", device="cpu", text_source=str(other))


def test_partial_text_checkpoint_stores_only_trainable_layers(
    tiny_text_source: Path, tmp_path: Path, make_batch, outputs) -> None:
    from safetensors import safe_open

    torch.manual_seed(0)
    model = create_model(
        "tiny", device="cpu", text_pretrained=True, text_model=str(tiny_text_source),
        text_trainable_layers=1,
    )
    layers = model.text.transformer_layers()
    assert all(p.requires_grad for p in layers[-1].parameters())
    assert not any(p.requires_grad for p in layers[0].parameters())
    assert not model.text.word_embeddings.requires_grad  # tied to the MLM decoder
    with torch.no_grad():  # what fine-tuning would do: only the top layer moves
        for p in layers[-1].parameters():
            p.add_(0.01)
    model.eval()
    model.save_pretrained(tmp_path / "partial", include_text_encoder="trainable")
    with safe_open(str(tmp_path / "partial" / "model.safetensors"), framework="pt") as f:
        keys, meta = set(f.keys()), f.metadata()
    top = f"text.mlm.bert.encoder.layer.{len(layers) - 1}."
    text_keys = {k for k in keys if k.startswith("text.mlm.bert.")}
    assert meta["text_encoder_included"] == "partial"
    assert text_keys and all(k.startswith(top) for k in text_keys)
    loaded = MotionTextModel.from_pretrained(tmp_path / "partial", device="cpu")
    batch = make_batch()
    for x, y in zip(outputs(model, batch), outputs(loaded, batch)):
        assert torch.equal(x, y)
    # a base whose frozen layers differ is refused
    other = _changed_base(tiny_text_source, model, tmp_path / "other_base")
    with pytest.raises(ValueError, match="differ from the ones"):
        MotionTextModel.from_pretrained(tmp_path / "partial", device="cpu", text_source=str(other))


def test_partial_text_options_are_checked(tiny: MotionTextModel, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="trainable_layers must be in"):
        tiny.text.freeze_lower_layers(99)
    with pytest.raises(ValueError, match="text_trainable_layers must be -1"):
        model_config("tiny", text_trainable_layers=-2)
    with pytest.raises(ValueError, match="include_text_encoder must be"):
        tiny.save_pretrained(tmp_path / "x", include_text_encoder="some")
    with pytest.raises(ValueError, match="lexical_vocabulary must be one of"):
        model_config("tiny", lexical_vocabulary="words")
    with pytest.raises(ValueError, match="needs lexical_vocabulary='corpus'"):
        tiny.set_lexical_vocabulary([5, 6])


def test_legacy_phase_decoder_tensors_are_ignored_on_load(
    tiny: MotionTextModel, tmp_path: Path, make_batch, outputs, caplog: pytest.LogCaptureFixture
) -> None:
    """Older versions kept the phase decoders in the model (``phase_heads.*``)."""
    tiny.save_pretrained(tmp_path / "c")

    def edit(t: dict) -> None:
        t["phase_heads.cmmm.weight"] = torch.zeros(768, 32)
        t["phase_heads.lexmlm.decoder.layers.0.norm1.bias"] = torch.zeros(32)

    cfg = json.loads((tmp_path / "c" / "config.json").read_text())
    cfg.update(decoder_layers=1, flops_max_weight=0.002)  # legacy loss keys
    (tmp_path / "c" / "config.json").write_text(json.dumps(cfg))
    _rewrite_weights(tmp_path / "c" / "model.safetensors", edit)  # checksums follow both
    with caplog.at_level(logging.DEBUG, logger="motionlex.core.model"):
        loaded = MotionTextModel.from_pretrained(tmp_path / "c", device="cpu")
    assert "ignored 2 legacy phase-decoder tensors" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    batch = make_batch()
    for x, y in zip(outputs(tiny, batch), outputs(loaded, batch)):
        assert torch.equal(x, y)


def test_unreadable_files_give_an_error_naming_the_file(
    tiny: MotionTextModel, tmp_path: Path
) -> None:
    tiny.save_pretrained(tmp_path / "c")
    (tmp_path / "c" / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"cannot read model config .*c/config.json"):
        MotionTextModel.from_pretrained(tmp_path / "c", device="cpu")
    tiny.save_pretrained(tmp_path / "d")
    (tmp_path / "d" / "model.safetensors").write_bytes(b"garbage")
    (tmp_path / "d" / "checksums.json").unlink()  # an older folder: the parser's own error
    with pytest.raises(ValueError, match=r"cannot read model weights .*d/model.safetensors"):
        MotionTextModel.from_pretrained(tmp_path / "d", device="cpu")


def test_nan_weights_are_refused_naming_the_file(repo_root, tmp_path):
    """A checkpoint whose weights hold NaN is refused (it would embed every motion as NaN)."""
    import shutil

    from safetensors.torch import load_file, save_file

    from motionlex.core.model.factory import load_checkpoint

    bad = tmp_path / "bad"
    shutil.copytree(repo_root / "resources" / "default_model", bad)
    tensors = load_file(str(bad / "model.safetensors"))
    # one NaN among many finite values (a tensor wholly NaN is the easy case)
    name = next(k for k, v in tensors.items() if v.is_floating_point() and v.numel() > 100)
    tensors[name] = tensors[name].clone()
    tensors[name].view(-1)[7] = float("nan")
    from safetensors import safe_open

    with safe_open(str(repo_root / "resources" / "default_model" / "model.safetensors"),
                   "pt") as f:
        meta = f.metadata()
    save_file(tensors, str(bad / "model.safetensors"), metadata=meta)
    write_checksums(bad)  # NaN as written (e.g. a diverged run), not as corrupted
    with pytest.raises(ValueError, match=f"NaN or inf.*{name}"):
        load_checkpoint(bad, "cpu")
