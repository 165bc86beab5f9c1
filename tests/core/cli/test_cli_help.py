"""Every subcommand's help reads alike: a description, each option's default, Examples for
the main commands, ``-q`` where a bar shows; ``train --device`` stands for the accelerator
overrides; ``train --config NAME`` finds a shipped config from any folder."""

from __future__ import annotations

import argparse

import pytest

from motionlex.core.cli import build_parser, main
from motionlex.core.train.configs import CONFIG_DIR, resolve_config, shipped_configs

#: options that are one of a command's alternative inputs: "default" means nothing there
NO_DEFAULT = {("words", "--motion"), ("search", "--motion"), ("search", "--item"),
              ("index", "--data")}  # index: --data, or --rebuild of an existing index


def _commands() -> dict[str, argparse.ArgumentParser]:
    return build_parser().commands


def test_every_command_has_a_description_and_states_its_defaults() -> None:
    for name, parser in _commands().items():
        assert parser.description, f"{name} has no description"
        for a in parser._actions:
            if (not a.option_strings or a.required or a.nargs == 0
                    or (name, a.option_strings[-1]) in NO_DEFAULT):
                continue
            assert "default" in (a.help or ""), f"{name} {a.option_strings}: no default stated"


@pytest.mark.parametrize("name", ["search", "index", "train", "evaluate", "words", "events",
                                  "describe", "export", "compare", "patches", "scan",
                                  "stats", "demo-data"])
def test_main_commands_show_examples_as_written(name: str) -> None:
    text = _commands()[name].format_help()
    examples = text.split("Examples:\n", 1)[1].splitlines()
    assert examples and all(line.startswith(f"  motionlex {name} ") for line in examples)


def test_describe_takes_quiet_as_the_others(shared_data, capsys) -> None:
    bvh = shared_data / "raw_bvh" / "bandai_2_wave-right-hand_normal_001.bvh"
    assert main(["describe", str(bvh), "-k", "1", "-q"]) == 0
    got = capsys.readouterr()
    assert "caption bank" not in got.err and "retrieved, not generated" in got.out


@pytest.mark.parametrize(("given", "overrides"), [
    ("cpu", ["accelerator=cpu"]), ("cuda", ["accelerator=gpu"]),
    ("cuda:1", ["accelerator=gpu", "devices=[1]"])])
def test_train_device_stands_for_the_accelerator_overrides(given, overrides) -> None:
    args = build_parser().parse_args(["train", "--config", "tiny", "--data", "d", "--out", "o",
                                      "--device", given])
    assert args.device == overrides
    assert "accelerator=" in _commands()["train"].format_help()


def test_train_device_errors(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as e:
        main(["train", "--config", "tiny", "--data", "d", "--out", "o", "--device", "tpu"])
    assert e.value.code == 2 and "must be cpu, cuda or cuda:N, got 'tpu'" in \
        capsys.readouterr().err
    assert main(["train", "--config", "tiny", "--data", "d", "--out", str(tmp_path / "o"),
                 "--device", "cpu", "accelerator=gpu"]) == 2
    assert "--device and the accelerator= override both given" in capsys.readouterr().err


def test_train_device_without_cuda_says_so_as_every_command(tmp_path, monkeypatch,
                                                             capsys) -> None:
    """CLI audit 37 D3: on a machine without CUDA, ``train --device cuda`` gave Lightning's
    "refuses the training config's device settings (accelerator=gpu ...)"; now the one line
    ``words``/``search`` give, before any data loads."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for given in ("cuda", "cuda:1"):
        assert main(["train", "--config", "tiny", "--data", "d", "--out",
                     str(tmp_path / "o"), "--device", given]) == 2
        err = capsys.readouterr().err.strip()
        assert err == (f"motionlex train: error: device {given!r}: CUDA is not available "
                       f"here (torch {torch.__version__}); use --device cpu"), err


def test_a_shipped_config_is_found_by_name_from_any_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no configs/ here
    shipped = shipped_configs()
    assert {"tiny", "cpu-small", "default"} <= set(shipped)
    for given in ("tiny", "tiny.yaml", "configs/tiny.yaml"):
        assert resolve_config(given) == str(CONFIG_DIR / "tiny.yaml")
    own = tmp_path / "tiny"  # a file of that name wins over the shipped config
    own.write_text("phases: []\n")
    assert resolve_config("tiny") == "tiny"


def test_an_unknown_config_lists_the_shipped_ones(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--config", "tny", "--data", "d", "--out", "o"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("motionlex train: error: training config not found: tny (not a "
                          "file, nor the name of a shipped config: ")
    assert "tiny" in err and "cpu-small" in err and not (tmp_path / "o").exists()
    assert err.endswith("; did you mean tiny?")  # CLI audit 37 N5: listed, not suggested
    for typed, meant in (("tyni", "tiny"), ("cpu-smal", "cpu-small"), ("Default", "default")):
        assert main(["train", "--config", typed, "--data", "d", "--out", "o"]) == 2
        assert capsys.readouterr().err.strip().endswith(f"; did you mean {meant}?")
    assert main(["train", "--config", "xyzzy", "--data", "d", "--out", "o"]) == 2
    assert "did you mean" not in capsys.readouterr().err
