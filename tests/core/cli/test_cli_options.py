"""The options of every subcommand: ``-v`` on either side of the subcommand, defaults in the
help, one wording for ``--device``, and bad numbers refused while parsing (no torch import)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from motionlex.core.cli import main
from motionlex.core.cli.parser import build_parser
from motionlex.core.cli.types import DEVICE_HELP


def _helps(command: str) -> dict[str, str]:
    p = build_parser()
    sub = p._subparsers._group_actions[0].choices[command]
    return {a.option_strings[-1] if a.option_strings else a.dest: a.help or ""
            for a in sub._actions}


def test_verbose_before_or_after_the_subcommand():
    p = build_parser()
    query = ["search", "x", "--index", "g.mlx"]
    assert p.parse_args(["-v", *query]).verbose
    assert p.parse_args([*query, "-v"]).verbose
    assert p.parse_args([*query, "--verbose"]).verbose
    assert p.parse_args(["-v", *query, "-v"]).verbose
    assert p.parse_args(query).verbose is False
    for command in p._subparsers._group_actions[0].choices:
        assert "--verbose" in _helps(command), command


def test_a_mistyped_option_is_refused_by_its_subcommand_with_the_closest(capsys):
    """argparse refused it with the top-level usage ("usage: motionlex [-h] ... COMMAND")
    and no hint; the subcommand's own usage and its closest option are what help."""
    with pytest.raises(SystemExit) as e:
        main(["search", "a person waves", "--index", "g.mlx", "--mdoe", "dense"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "usage: motionlex search" in err
    assert "unrecognized arguments: --mdoe dense; did you mean --mode?" in err
    with pytest.raises(SystemExit):
        main(["index", "--data", "d", "--out", "o", "--batch-sise=8"])
    assert "did you mean --batch-size?" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # a training setting written as an option
        main(["train", "--config", "c.yaml", "--data", "d", "--out", "o", "--lr=1e-4"])
    err = capsys.readouterr().err
    assert "did you mean lr=1e-4 (settings are written without dashes)?" in err
    with pytest.raises(SystemExit):  # nothing close: no guess (not "--help")
        main(["search", "q", "--index", "g.mlx", "--lr"])
    assert "did you mean" not in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--verbse"])  # no subcommand: the top-level parser refuses it
    err = capsys.readouterr().err
    assert "usage: motionlex [-h]" in err and "did you mean --verbose?" in err


@pytest.mark.parametrize(("command", "options"), [
    ("evaluate", ["--sentence-model", "--threshold", "--car-shuffles", "--chronology-pairs",
                  "--synthetic-chronology", "--batch-size", "--seed"]),
    ("scan", ["--split"]),
    ("index", ["--batch-size", "--split", "--lexical-top-k", "--long-clips"]),
    ("search", ["--words", "--query-words"]),
    ("patches", ["--skip-frames"]),
])
def test_help_names_the_defaults(command, options):
    helps = _helps(command)
    for option in options:
        assert "default" in helps[option], (command, option, helps[option])
    assert "auto" in _helps("patches")["--skip-frames"]


def test_one_wording_for_device():
    p = build_parser()
    found = [c for c in p._subparsers._group_actions[0].choices if "--device" in _helps(c)]
    assert sorted(found) == ["describe", "evaluate", "index", "search", "train", "words"]
    # train's --device stands for Lightning overrides (accelerator=, devices=): its own help
    assert all(_helps(c)["--device"] == DEVICE_HELP for c in found if c != "train")
    assert "accelerator=" in _helps("train")["--device"]


@pytest.mark.parametrize(("option", "value", "says"), [
    ("--car-shuffles", "-1", "must be >= 1, got -1"),
    ("--chronology-pairs", "-3", "must be >= 0, got -3"),
    ("--threshold", "1.5", "must be in [0, 1], got 1.5"),
    ("--fusion-weight", "nan", "must be in [0, 1], got nan"),
    # a class prompt is checked as a template (it ended in an IndexError traceback)
    ("--prompt", "a person {action} {0}",
     "'a person {action} {0}' must hold {action} and no other field (found {0})"),
    ("--prompt", "a person {", "'a person {' is not a template: Single '{'"),
    ("--prompt", "a person walks", "'a person walks' must hold {action}"),
])
def test_bad_evaluate_numbers_are_refused_while_parsing(option, value, says, capsys):
    with pytest.raises(SystemExit) as e:
        main(["evaluate", "--data", "d", "--out", "o", option, value])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: {says}" in err


@pytest.mark.parametrize("argv", [
    ["evaluate", "--data", "A", "--data", "B", "--out", "o"],
    ["search", "walk", "--index", "X", "--index=Y"],
    ["words", "walk", "-k", "5", "-k", "9"],
])
def test_an_option_given_twice_is_refused_not_overwritten(argv, capsys):
    """``evaluate --data A --data B`` used to evaluate B alone, silently."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    option = next(a for a in argv if a.startswith("-") and argv.count(a) > 1) if (
        "--index=Y" not in argv) else "--index"
    assert f"{option} given twice" in capsys.readouterr().err


def test_repeatable_options_still_repeat():
    from motionlex.core.cli.parser import build_parser

    args = build_parser().parse_args(["index", "--data", "A", "--data", "B", "--out", "g"])
    assert args.data == ["A", "B"]


def test_refusing_a_bad_number_imports_no_torch():
    code = ("import sys\nfrom motionlex.core.cli import main\n"
            "try:\n    main(['evaluate', '--data', 'd', '--out', 'o', '--car-shuffles', '-1'])\n"
            "except SystemExit as e:\n    print(e.code)\n"
            "print('torch' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.stdout.split() == ["2", "False"], r.stdout + r.stderr


def test_skip_frames_auto_on_a_real_bvh(shared_data, tmp_path, capsys):
    bvh = shared_data / "raw_bvh" / "bandai_2_wave-right-hand_normal_001.bvh"
    assert main(["patches", str(bvh), "--out", str(tmp_path / "p.png"),
                 "--skip-frames", "auto"]) == 0
    assert "wrote" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["patches", str(bvh), "--out", str(tmp_path / "p.png"), "--skip-frames", "some"])
    assert "must be 'auto' or an integer >= 0, got 'some'" in capsys.readouterr().err


def test_patches_drops_the_daz_tpose_by_default(shared_data, tmp_path, capsys):
    """The default is "auto", as every loader's: the T-pose and its 3 blend frames (4 of
    416 at 120 fps) go; --skip-frames 0 keeps them (canonical 20 fps: 69 vs 70 frames)."""
    from motionlex.core.motion.files import load_motion_file

    bvh = shared_data / "raw_bvh" / "cmu_07_03_daz.bvh"
    kept = load_motion_file(bvh).num_frames  # THE loader, at 20 fps: T-pose dropped
    whole = load_motion_file(bvh, skip_frames=0).num_frames
    assert whole == kept + 1  # 4 source frames at 120 fps are less than one at 20
    out = str(tmp_path / "p.png")
    assert main(["patches", str(bvh), "--out", out]) == 0
    assert f"{kept} frames at 20 fps" in capsys.readouterr().out
    assert main(["patches", str(bvh), "--out", out, "--skip-frames", "0"]) == 0
    assert f"{whole} frames at 20 fps" in capsys.readouterr().out
    assert main(["patches", str(bvh), "--out", out, "--max-frames", "30"]) == 0
    assert f"30 of {kept} frames at 20 fps" in capsys.readouterr().out  # said "30 frames"


@pytest.mark.parametrize(("argv", "line"), [
    (["search", "q", "--index", "g", "--fusion-weight", "2"],
     "motionlex search: error: argument --fusion-weight: must be in [0, 1], got 2"),
    (["export", "x.bvh", "--out", "o", "--to", "fbx"],
     "motionlex export: error: argument --to: invalid choice: 'fbx' (choose from 'glb', "
     "'poses', 'bvh')"),
    (["export", "x.bvh", "--out", "o", "--to", "gif"],  # CLI audit 37 N13: where GIFs come from
     "motionlex export: error: argument --to: invalid choice: 'gif' (choose from 'glb', "
     "'poses', 'bvh'); GIF and MP4 videos come from the explorer's File > Export "
     "(motionlex-explorer)"),
    (["train", "--config", "c", "--data", "d", "--out", "o", "--max-steps", "0"],
     "motionlex train: error: argument --max-steps: must be >= 1, got 0"),
])
def test_a_bad_option_value_is_one_line(argv, line, capsys):
    """A bad value printed the command's 4-8 line usage before the error; a mistyped or
    missing argument still shows the usage (test above)."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2 and capsys.readouterr().err == line + "\n"


@pytest.mark.parametrize(("argv", "line"), [
    (["serch", "q"], "motionlex: error: argument COMMAND: invalid choice: 'serch'"),
    (["search", "q", "--index"], "motionlex search: error: argument --index: expected one "
                                 "argument"),
    (["search", "q", "--index", "g", "--json=1"],
     "motionlex search: error: argument --json: ignored explicit argument '1'"),
])
def test_a_mistyped_command_or_missing_value_keeps_the_usage(argv, line, capsys):
    """These also begin "argument ...": the one-line form is for bad values only."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.startswith("usage: motionlex") and line in err


def test_one_parser_used_twice_keeps_each_errors_form(capsys):
    """The bad-value mark stayed set: a later missing value on the same parser printed one
    line without the usage."""
    p = build_parser()
    with pytest.raises(SystemExit):
        p.parse_args(["search", "q", "--index", "g", "-k", "0"])
    assert not capsys.readouterr().err.startswith("usage:")
    with pytest.raises(SystemExit):
        p.parse_args(["search", "q", "--index"])
    assert capsys.readouterr().err.startswith("usage: motionlex search")


def test_a_mistyped_command_gets_the_closest(capsys):
    """CLI audit 37 N4: options had "did you mean --seed?", commands nothing."""
    for argv, hint in ((["serach", "q"], "; did you mean search?\n"),
                       (["demodata", "d"], "; did you mean demo-data?\n"),
                       (["xyzzy"], "'export')\n")):  # nothing close: no guess
        with pytest.raises(SystemExit) as e:
            main(argv)
        err = capsys.readouterr().err
        assert e.value.code == 2 and err.startswith("usage: motionlex") and err.endswith(hint)


@pytest.mark.parametrize(("argv", "line"), [
    (["search", "a", "person", "waves", "--index", "x.mlx"],
     'unrecognized arguments: person waves (quote a query of several words: '
     '"a person waves")'),
    (["words", "a", "person", "waves"],
     'unrecognized arguments: person waves (quote a text of several words: '
     '"a person waves")'),
    (["events", "a", "person", "walks,", "then", "sits"],
     'unrecognized arguments: person walks, then sits (quote a caption of several words: '
     '"a person walks, then sits")'),
    (["search", "a", "person", "--index", "x.mlx", "--mdoe", "dense"],  # not dense
     'unrecognized arguments: person --mdoe dense; did you mean --mode? (quote a query of '
     'several words: "a person")'),
    (["search", "a person", "--index", "x.mlx", "walk.bvh"],  # a path is no word
     "unrecognized arguments: walk.bvh\n"),
    (["export", "a.bvh", "--out", "o", "bvh"],  # export takes no sentence
     "unrecognized arguments: bvh\n"),
])
def test_an_unquoted_sentence_is_named(argv, line, capsys):
    """CLI audit 37 N3: `search a person waves` said only "unrecognized arguments: person
    waves"; the command takes one argument, which is the sentence quoted."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2 and f"motionlex {argv[0]}: error: {line}" in \
        capsys.readouterr().err
