"""The model folder: weight checksums, the "not a model folder" check, config readers
(core/model/folder.py). Every malformed input is made here from a freshly saved tiny model."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
import torch

from motionlex.core.model.folder import (
    CHECKSUM_FILE,
    NotAModelFolderError,
    check_model_folder,
    verify_weights,
    weights_sha256,
    write_checksums,
)
from motionlex.core.model.model import MotionTextModel
from motionlex.core.patches import PatchStats


def _flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_save_writes_the_weights_checksum(tiny: MotionTextModel, tmp_path: Path) -> None:
    tiny.save_pretrained(tmp_path / "c")
    sums = json.loads((tmp_path / "c" / CHECKSUM_FILE).read_text())
    assert sums == {"sha256": {name: weights_sha256(tmp_path / "c" / name)
                               for name in ("model.safetensors", "config.json")}}
    assert verify_weights(tmp_path / "c") is True
    tiny.save_pretrained(tmp_path / "s", extra_json={"patch_stats.json": PatchStats.identity()})
    sums = json.loads((tmp_path / "s" / CHECKSUM_FILE).read_text())["sha256"]
    assert sorted(sums) == ["config.json", "model.safetensors", "patch_stats.json"]
    assert sums["patch_stats.json"] == weights_sha256(tmp_path / "s" / "patch_stats.json")


def test_a_model_folders_json_files_are_indented_and_key_sorted(tiny: MotionTextModel,
                                                                tmp_path: Path) -> None:
    """The one JSON writer (code review 36 F6) keeps a model folder's form: two-space indent,
    sorted keys, a final newline; no temporary file is left in the folder."""
    tiny.save_pretrained(tmp_path / "s", extra_json={"patch_stats.json": PatchStats.identity()})
    names = ("config.json", "text_encoder_config.json", "patch_stats.json", CHECKSUM_FILE)
    for name in names:
        text = (tmp_path / "s" / name).read_text()
        assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n", name
    assert not [p.name for p in (tmp_path / "s").iterdir() if p.name.startswith(".")]


def test_files_copied_from_another_model_are_refused_naming_the_file(
        tmp_path: Path, save_tiny, samples_stats) -> None:
    """A ``patch_stats.json`` (or ``config.json``) copied from another model loaded silently:
    other words for every motion. ``checksums.json`` covers them; every loader refuses,
    naming the file; re-saving (or :func:`write_checksums`, an edit its writer meant) makes
    the folder load again."""
    from motionlex.core.model.factory import load_checkpoint
    from motionlex.core.model.lite_load import load_for_queries

    mine, other = save_tiny(tmp_path / "mine"), save_tiny(tmp_path / "other", seed=1,
                                                           stats=samples_stats)
    shutil.copy(other / "patch_stats.json", mine / "patch_stats.json")
    said = (rf"{mine / 'patch_stats.json'}: SHA-256 .* does not match .*checksums.json .*: "
            r"the file changed since the model was saved, or was copied from another model")
    for load in (load_checkpoint, load_for_queries):
        with pytest.raises(ValueError, match=said):
            load(mine, "cpu")
    write_checksums(mine)
    assert load_checkpoint(mine, "cpu")[1].to_dict() == samples_stats.to_dict()
    cfg = json.loads((mine / "config.json").read_text())
    (mine / "config.json").write_text(json.dumps({**cfg, "name": "someone else's"}))
    with pytest.raises(ValueError, match=rf"{mine / 'config.json'}: SHA-256 .* does not match"):
        MotionTextModel.from_pretrained(mine, device="cpu")


def test_a_folder_whose_checksums_cover_the_weights_alone_still_loads(
        tmp_path: Path, save_tiny, samples_stats) -> None:
    """Folders saved before the statistics and config were covered record the weights'
    checksum alone: their other files are not checked, the weights still are."""
    from motionlex.core.model.factory import load_checkpoint

    root = save_tiny(tmp_path / "old")
    sums = root / CHECKSUM_FILE
    sums.write_text(json.dumps({"sha256": {"model.safetensors": weights_sha256(
        root / "model.safetensors")}}))
    (root / "patch_stats.json").write_text(json.dumps(samples_stats.to_dict()))
    assert verify_weights(root) is True
    assert load_checkpoint(root, "cpu")[1].to_dict() == samples_stats.to_dict()
    _flip_byte(root / "model.safetensors", 100)
    with pytest.raises(ValueError, match="model.safetensors: SHA-256"):
        load_checkpoint(root, "cpu")


@pytest.mark.parametrize("where", ["header", "tensor data", "last byte"])
def test_flipped_weight_bytes_are_refused_naming_the_file(
        tiny: MotionTextModel, tmp_path: Path, where: str) -> None:
    """Issue 15 defect 6: one flipped bit in the weights loaded silently before."""
    tiny.save_pretrained(tmp_path / "c")
    weights = tmp_path / "c" / "model.safetensors"
    size = weights.stat().st_size
    _flip_byte(weights, {"header": 20, "tensor data": size // 2, "last byte": size - 1}[where])
    with pytest.raises(ValueError, match=rf"{weights}: SHA-256 .* does not match .*checksums"):
        MotionTextModel.from_pretrained(tmp_path / "c", device="cpu")


def test_folder_without_checksum_still_loads(tiny: MotionTextModel, tmp_path: Path,
                                             caplog: pytest.LogCaptureFixture) -> None:
    tiny.save_pretrained(tmp_path / "c")
    (tmp_path / "c" / CHECKSUM_FILE).unlink()  # as written before checksums existed
    with caplog.at_level(logging.DEBUG, logger="motionlex.core.model.folder"):
        loaded = MotionTextModel.from_pretrained(tmp_path / "c", device="cpu")
    assert "weights not verified" in caplog.text
    want, have = tiny.state_dict(), loaded.state_dict()
    assert have.keys() == want.keys()
    assert all(torch.equal(have[k].cpu(), want[k].cpu()) for k in want)


@pytest.mark.parametrize(("content", "said"), [
    ("{not json", "JSONDecodeError"), ("\xff\xfe", "Unicode"),
    ("[1, 2]", "expected a JSON object .* got a list; copy the model folder again"),
    ('{"sha256": 5}', "got 'sha256': int"), ("{}", "got no 'sha256'"),
    ('{"sha256": {"model.safetensors": 7}}', "model.safetensors is a int, not a string"),
    ('{"sha256": {}}', "model.safetensors is missing")])
def test_malformed_checksum_file_is_named(tiny: MotionTextModel, tmp_path: Path,
                                          content: str, said: str) -> None:
    """Audit A R2: a list said ``TypeError('list indices must be integers ...')``."""
    tiny.save_pretrained(tmp_path / "c")
    (tmp_path / "c" / CHECKSUM_FILE).write_text(content, encoding="latin-1")
    with pytest.raises(ValueError, match=f"cannot read weight checksums .*{CHECKSUM_FILE}: "
                                         f".*{said}") as e:
        MotionTextModel.from_pretrained(tmp_path / "c", device="cpu")
    assert "list indices" not in str(e.value)


def test_shipped_default_model_has_its_checksum(repo_root: Path) -> None:
    root = repo_root / "resources" / "default_model"
    assert verify_weights(root) is True
    sums = json.loads((root / CHECKSUM_FILE).read_text())["sha256"]  # write_checksums' own
    assert sorted(sums) == ["config.json", "model.safetensors", "patch_stats.json"]


def test_check_model_folder_names_what_is_missing(tiny: MotionTextModel, tmp_path: Path) -> None:
    tiny.save_pretrained(tmp_path / "c")
    assert check_model_folder(tmp_path / "c") == tmp_path / "c"
    with pytest.raises(NotAModelFolderError, match=r"\(missing patch_stats.json\)"):
        check_model_folder(tmp_path / "c", need_stats=True)
    (tmp_path / "c" / "config.json").unlink()  # no model at all: the model files missing
    with pytest.raises(NotAModelFolderError, match=r"\(missing config.json, patch_stats.json\)"):
        check_model_folder(tmp_path / "c")
    # a folder that is no model gets one list whatever the command needs
    (tmp_path / "e").mkdir()
    messages = set()
    for kwargs in ({}, {"need_stats": True}, {"also": ("motion_encoder_config.json",)}):
        with pytest.raises(NotAModelFolderError) as err:
            check_model_folder(tmp_path / "e", **kwargs)
        messages.add(str(err.value))
    message = messages.pop()
    assert not messages and "(no model files in it): a model folder holds config.json, " \
        "model.safetensors and patch_stats.json (plus text_encoder_config.json and " \
        "tokenizer/)" in message
    assert message.count("config.json,") == 1  # the files named once, not twice


@pytest.mark.parametrize("name,content", [
    ("motion_encoder_config.json", "[1, 2]"),
    ("motion_encoder_config.json", '{"hidden_size": "wide"}'),
    ("text_encoder_config.json", "{broken"),
    ("text_encoder_config.json", '"a string"'),
])
def test_malformed_backbone_configs_are_named(tiny: MotionTextModel, tmp_path: Path,
                                              name: str, content: str) -> None:
    tiny.save_pretrained(tmp_path / "c")
    (tmp_path / "c" / name).write_text(content)
    with pytest.raises(ValueError, match=f"cannot read backbone config .*{name}"):
        MotionTextModel.from_pretrained(tmp_path / "c", device="cpu")


def test_missing_motion_encoder_config_is_the_folder_message(tiny: MotionTextModel,
                                                             tmp_path: Path) -> None:
    tiny.save_pretrained(tmp_path / "c")
    (tmp_path / "c" / "motion_encoder_config.json").unlink()
    with pytest.raises(NotAModelFolderError, match=r"\(missing motion_encoder_config.json\)"):
        MotionTextModel.from_pretrained(tmp_path / "c", device="cpu")


def test_a_tokenizer_without_its_vocabulary_names_the_missing_file(tmp_path: Path,
                                                                   save_tiny) -> None:
    """Probe: ``tokenizer/tokenizer.json`` deleted gave "tokenizer has 5 tokens but the text
    model's vocabulary has 30522" (transformers built a tokenizer of its config alone),
    naming no file."""
    from motionlex.core.model.factory import load_checkpoint
    from motionlex.core.model.lite_load import load_for_queries

    root = save_tiny(tmp_path / "m")
    (root / "tokenizer" / "tokenizer.json").unlink()
    said = (rf"{root / 'tokenizer' / 'tokenizer.json'} is missing: the model's tokenizer "
            rf"cannot be loaded without its vocabulary \({root / 'tokenizer'} holds "
            r"tokenizer_config.json\); copy the model folder again")
    for load in (load_checkpoint, load_for_queries):
        with pytest.raises(ValueError, match=said):
            load(root, "cpu")
