"""Bad input found by a probe of every command: each reaches the user as one line that names
the file or option and the problem (exit 2), or as a warning, never a traceback or a silent
wrong result."""

import json
import logging
import shutil

import numpy as np
import pytest

from motionlex.core.cli import main

BVH = "raw_bvh/bandai_1_dash_normal_001.bvh"


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def _bvh_variant(shared_data, tmp_path, name, edit) -> str:
    """A copy of a real Bandai BVH file with ``edit(header_lines, frame_lines)`` applied."""
    lines = (shared_data / BVH).read_text().splitlines()
    at = next(i for i, ln in enumerate(lines) if ln.startswith("Frames:"))
    header, frames = lines[:at], lines[at + 2:]
    header, frames = edit(list(header), list(frames[:10]))
    out = tmp_path / f"{name}.bvh"
    out.write_text("\n".join([*header, f"Frames: {len(frames)}", lines[at + 1], *frames]) + "\n")
    return str(out)


def _nan_in_frame_5(header, frames):
    row = frames[5].split()
    row[7] = "nan"
    frames[5] = " ".join(row)
    return header, frames


def _repeat_an_axis(header, frames):
    k = next(i for i, ln in enumerate(header) if "CHANNELS" in ln and i > 5)
    header[k] = header[k].replace("Zrotation Xrotation", "Zrotation Zrotation")
    return header, frames


@pytest.mark.parametrize("name,edit,expected", [
    ("nan", _nan_in_frame_5, "NaN or inf in the frame data"),
    ("dup_axis", _repeat_an_axis, "rotation channels repeat an axis"),
    ("one_frame", lambda h, f: (h, f[:1]), "a motion needs at least 2 frames"),
])
def test_broken_bvh_files_are_named_with_the_problem(shared_data, tmp_path, capsys, name, edit,
                                                     expected):
    path = _bvh_variant(shared_data, tmp_path, name, edit)
    assert main(["patches", path, "--out", str(tmp_path / "x.png")]) == 2
    err = _one_error_line(capsys)
    assert path in err and expected in err
    if name == "nan":
        assert ", line " in err  # the line of the bad frame


def test_z_up_joints_are_flagged(shared_data, tmp_path, caplog):
    from motionlex.core.motion.files import load_motion_file

    joints = np.load(shared_data / "cmu_extra" / "new_joints" / "cmu_01_02.npy")
    zup = tmp_path / "zup.npy"
    np.save(zup, joints[..., [0, 2, 1]])  # Y and Z swapped: a Z-up export
    with caplog.at_level(logging.WARNING):
        load_motion_file(zup)
    assert "zup.npy" in caplog.text and "not along +Y" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        load_motion_file(shared_data / "cmu_extra" / "new_joints" / "cmu_01_02.npy")
    assert "not along +Y" not in caplog.text


def test_upper_case_bvh_files_make_a_gallery(shared_data, tmp_path, capsys):
    folder = tmp_path / "takes"
    folder.mkdir()
    shutil.copy(shared_data / BVH, folder / "DASH.BVH")
    shutil.copy(shared_data / "raw_bvh/bandai_1_bow_normal_001.bvh", folder / "bow.Bvh")
    assert main(["scan", str(folder), "-q"]) == 0
    assert "2 usable motions" in capsys.readouterr().out


@pytest.mark.parametrize("argv,expected", [
    (["patches", "F", "--out", "x.png", "--max-frames", "-5"], "--max-frames: must be >= 1"),
    (["patches", "F", "--out", "x.png", "--fps", "0"], "--fps: must be a finite number > 0"),
    (["index", "--data", "d", "--out", "o", "--batch-size", "0"], "--batch-size: must be >= 1"),
    (["search", "walk", "--index", "i", "--words", "-1"], "--words: must be >= 0"),
])
def test_bad_numbers_are_refused_while_parsing(capsys, argv, expected):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2 and expected in capsys.readouterr().err


def test_skip_frames_beyond_a_joint_file_is_refused(shared_data, tmp_path, capsys):
    npy = str(shared_data / "cmu_extra" / "new_joints" / "cmu_01_02.npy")
    assert main(["patches", npy, "--out", str(tmp_path / "x.png"), "--skip-frames", "99999"]) == 2
    line = _one_error_line(capsys)
    assert "cmu_01_02.npy" in line and "--skip-frames must be 'auto' or an int in [0, " in line


@pytest.mark.parametrize("device,expected", [
    ("banana", "unknown torch device 'banana'"),
    ("cuda:99", "device 'cuda:99'"),
])
def test_a_bad_device_is_one_line(capsys, device, expected):
    assert main(["words", "a person walks", "--device", device]) == 2
    assert expected in _one_error_line(capsys)


@pytest.mark.parametrize("text,expected", [
    ("", "the query is empty"),
    ("?!...,;", "has no words"),
])
def test_words_refuses_a_text_without_words(capsys, text, expected):
    assert main(["words", text]) == 2
    assert expected in _one_error_line(capsys)


def test_wrong_kinds_of_path_are_named_as_such(shared_data, tmp_path, capsys):
    afile = tmp_path / "stats.json"
    afile.write_text("{}")
    assert main(["describe", str(shared_data / "bandai")]) == 2
    assert "is a folder, not a motion file" in _one_error_line(capsys)
    assert main(["search", "walk", "--index", str(afile)]) == 2
    assert "is a file, not a gallery index" in _one_error_line(capsys)
    assert main(["search", "walk", "--index", str(shared_data / "raw_bvh")]) == 2
    assert "it is a dataset folder: build an index of it with 'motionlex index --data" in \
        _one_error_line(capsys)
    from motionlex.resources import default_model_dir

    assert main(["search", "walk", "--index", str(default_model_dir())]) == 2
    assert "it is a model folder: build an index with it by 'motionlex index --checkpoint" in \
        _one_error_line(capsys)
    one = shared_data / "cmu_extra" / "new_joints" / "cmu_01_02.npy"
    assert main(["index", "--data", str(one), "--out", str(tmp_path / "g.mlx"), "-q"]) == 2
    assert "is a file, not a dataset folder" in _one_error_line(capsys)
    assert main(["evaluate", "--data", str(shared_data / "bandai"), "--out", str(afile)]) == 2
    assert "evaluate writes a folder" in _one_error_line(capsys)
    # new_joints/ itself: name the folder to give instead (before any model loads)
    joints = shared_data / "cmu_extra" / "new_joints"
    assert main(["index", "--data", str(joints), "--out", str(tmp_path / "g.mlx"), "-q"]) == 2
    assert "itself holds .npy joint files: give the folder above it" in _one_error_line(capsys)
    vecs = shared_data / "humanml3d_samples" / "new_joint_vecs"  # features, not joints
    assert main(["index", "--data", str(vecs), "--out", str(tmp_path / "g.mlx"), "-q"]) == 2
    assert "itself holds .npy arrays of 263 features per frame (not joints)" in \
        _one_error_line(capsys)
    with pytest.raises(SystemExit) as e:  # argparse names the option
        main(["events", "walks, then sits", "--seed", "-5"])
    assert e.value.code == 2
    assert "argument --seed: must be >= 0, got -5" in capsys.readouterr().err
    for caption in ("   ,  then ", "and then"):  # sequence words alone: no event
        assert main(["events", caption]) == 2
        assert "has no events, only sequence words" in _one_error_line(capsys)


def test_a_folder_without_usable_motions_says_why(tmp_path, capsys):
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "c.bvh").write_text("HIERARCHY nothing here\n")
    assert main(["index", "--data", str(junk), "--out", str(tmp_path / "g.mlx"), "-q"]) == 2
    err = _one_error_line(capsys)
    assert f"no usable motion in {junk} (split 'all'): c: " in err
    assert "c.bvh" in err and not (tmp_path / "g.mlx").exists()


def test_a_missing_text_corpus_is_named_before_loading(repo_root, tmp_path, capsys,
                                                       monkeypatch):
    monkeypatch.chdir(tmp_path)  # the shipped configs name ../shared/data/kitml_text

    def reached(*args, **kwargs):
        raise AssertionError("training started (Lightning loaded: 12-18 s) before the check")

    monkeypatch.setattr("motionlex.core.train.training.train", reached)
    assert main(["train", "--config", str(repo_root / "configs" / "cpu-small.yaml"),
                 "--data", "anything", "--out", str(tmp_path / "run")]) == 2
    err = _one_error_line(capsys)
    assert "text_corpora" in err and "kitml_text" in err and str(tmp_path) in err


def test_patch_figures_follow_the_suffix_and_refuse_a_folder(shared_data, tmp_path, capsys):
    src = str(shared_data / BVH)
    assert main(["patches", src, "--out", str(tmp_path / "p.jpg")]) == 0
    assert (tmp_path / "p.jpg").read_bytes()[:3] == b"\xff\xd8\xff"  # JPEG, not PNG data
    assert main(["patches", src, "--out", str(tmp_path / "p.xyz")]) == 2
    assert "cannot write .xyz figures" in _one_error_line(capsys)
    assert main(["patches", src, "--out", str(tmp_path)]) == 2
    err = _one_error_line(capsys)
    assert "is a folder" in err and ".tmp" not in err and not list(tmp_path.glob(".*"))


def test_scan_of_a_split_with_no_usable_motion_is_an_error(tmp_path, capsys):
    root = tmp_path / "E"
    (root / "new_joints").mkdir(parents=True)
    (root / "all.txt").write_text("")
    assert main(["scan", str(root), "-q"]) == 2  # was exit 1 with no error line
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("motionlex scan: error: ")
    # an empty split file says so (CLI audit 36 U7; "lists none that has a motion file")
    assert err[0].endswith(f"{root / 'all.txt'} lists no motion (another --split?)")
    (root / "all.txt").write_text("m1\n")  # listed, but no motion file: the old wording
    assert main(["scan", str(root), "-q", "--skip-missing"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"{root} [all]: no usable motion" in err


def test_stats_skips_a_bad_file_and_names_an_empty_split(shared_data, make_subset, tmp_path,
                                                         capsys):
    src = shared_data / "bandai"
    ids = [ln for ln in (src / "val.txt").read_text().split() if ln][:3]
    root = make_subset(src, tmp_path / "ds", ids)
    (root / "new_joints" / f"{ids[1]}.npy").write_text("not an array")
    out = tmp_path / "s.json"
    assert main(["stats", str(root), "--split", "all", "--out", str(out), "-q"]) == 0
    io = capsys.readouterr()
    assert f"skipped {ids[1]}: " in io.err and "1 motion skipped" in io.out
    assert json.loads(out.read_text())["count"] > 0
    assert main(["stats", str(root), "--split", "all", "--out", str(tmp_path), "-q"]) == 2
    assert f"--out {tmp_path} is a folder" in capsys.readouterr().err  # before any loading
    (root / "val.txt").write_text("")
    assert main(["stats", str(root), "--split", "val", "--out", str(out), "-q"]) == 2
    assert "no usable motion in ds/val: its val.txt lists no motion" in capsys.readouterr().err
    # scan says the same of an empty split file (CLI audit 36 U7: "lists none that has a file")
    assert main(["scan", str(root), "--split", "val", "-q"]) == 2
    assert f"{root / 'val.txt'} lists no motion (another --split?)" in capsys.readouterr().err


def test_stats_reads_a_folder_given_twice_once(shared_data, make_subset, tmp_path, capsys):
    """Probe S04: 'stats DIR DIR' counted every frame twice (as index --data DIR --data DIR
    does not); a folder inside another given too counted its files twice."""
    src = shared_data / "bandai"
    ids = [ln for ln in (src / "val.txt").read_text().split() if ln][:2]
    root = make_subset(src, tmp_path / "ds", ids, {"train": ids})
    once, twice = tmp_path / "once.json", tmp_path / "twice.json"
    assert main(["stats", str(root), "--out", str(once), "-q"]) == 0
    capsys.readouterr()
    assert main(["stats", str(root), f"{root}/", "--out", str(twice), "-q"]) == 0
    io = capsys.readouterr()
    assert f"note: {root}/ is given twice (as {root}): read once" in io.err
    assert "from ds/train\n" in io.out  # the source listed once
    assert json.loads(twice.read_text()) == json.loads(once.read_text())
    # another dataset folder whose files are links to this one's: each file counted once
    (tmp_path / "outer").mkdir()
    shutil.copytree(root, tmp_path / "outer" / "ds2", symlinks=True)
    for f in (tmp_path / "outer" / "ds2" / "new_joints").iterdir():
        f.unlink()
        f.symlink_to(root / "new_joints" / f.name)
    assert main(["stats", str(root), str(tmp_path / "outer" / "ds2"), "--out", str(twice),
                 "-q"]) == 0
    assert "note: 2 motion files of one --data folder read already from another" in (
        capsys.readouterr().err)
    assert json.loads(twice.read_text())["count"] == json.loads(once.read_text())["count"]


def test_stats_checks_every_split_before_reading_a_motion(shared_data, make_subset, tmp_path,
                                                          capsys, monkeypatch):
    """CLI audit D6: 'stats A B' computed A, then failed on B's missing train.txt."""
    from motionlex.core.data.datasets import MotionDataset

    src = shared_data / "bandai"
    ids = [ln for ln in (src / "val.txt").read_text().split() if ln][:2]
    root = make_subset(src, tmp_path / "ds", ids, {"train": ids})
    read = []
    monkeypatch.setattr(MotionDataset, "load_motion",
                        lambda self, rec: read.append(rec) or 1 / 0)  # never reached
    out = tmp_path / "s.json"
    assert main(["stats", str(root), str(shared_data / "raw_bvh"), "--out", str(out)]) == 2
    err = _one_error_line(capsys)
    assert f"split file not found: {shared_data / 'raw_bvh' / 'train.txt'}" in err
    assert read == [] and not out.exists()


def test_stats_refuses_an_out_that_is_not_json(shared_data, make_subset, tmp_path, capsys):
    """Probe S05 (data loss): 'stats --out keep.txt' wrote JSON over a caption file."""
    src = shared_data / "bandai"
    ids = [ln for ln in (src / "val.txt").read_text().split() if ln][:2]
    root = make_subset(src, tmp_path / "ds", ids, {"train": ids})
    caption = root / "texts" / f"{ids[0]}.txt"
    before = caption.read_bytes()
    assert main(["stats", str(root), "--out", str(caption), "-q"]) == 2
    assert (f"--out {caption}: stats writes JSON; give a file name ending in .json"
            in _one_error_line(capsys))
    assert caption.read_bytes() == before
    assert main(["stats", str(root), "--out", str(tmp_path / "S.JSON"), "-q"]) == 0


def test_evaluate_on_a_folder_without_texts_says_so(shared_data, tmp_path, capsys):
    """Probe L08: 'no (motion, caption) pair to evaluate' did not say that texts/ is
    missing, as train on the same data does (pairs.why_no_pairs)."""
    root = tmp_path / "e"
    (root / "new_joints").mkdir(parents=True)
    src = shared_data / "bandai"
    ids = [ln for ln in (src / "val.txt").read_text().split() if ln][:2]
    for i in ids:
        shutil.copy(src / "new_joints" / f"{i}.npy", root / "new_joints")
    (root / "val.txt").write_text("\n".join(ids) + "\n")
    assert main(["evaluate", "--data", str(root), "--split", "val", "--out",
                 str(tmp_path / "ev"), "--sentence-model", "none"]) == 2
    err = _one_error_line(capsys)
    assert err == (f"motionlex evaluate: error: no (motion, caption) pair to evaluate: e: 2 val "
                   f"motions, none with captions: {root / 'texts'} is missing (add "
                   "texts/ID.txt, one caption a line)")
    assert not (tmp_path / "ev").exists()
    # a split that is not there is still named as such
    assert main(["evaluate", "--data", str(root), "--split", "test", "--out",
                 str(tmp_path / "ev"), "--sentence-model", "none"]) == 2
    assert "split file not found" in _one_error_line(capsys)


def test_train_names_a_config_folder_and_a_phase_that_is_not_there(repo_root, tmp_path, capsys):
    """Probes T14 and T02: '--config FOLDER' said "training config not found";
    'phases.99.max_steps=1' said "list index out of range"."""
    configs = repo_root / "configs"
    assert main(["train", "--config", str(configs), "--data", "d", "--out",
                 str(tmp_path / "t")]) == 2
    assert (f"--config {configs} is a folder, not a training config: give a YAML file, e.g. "
            f"{configs / 'tiny.yaml'} (one of its ") in _one_error_line(capsys)
    assert main(["train", "--config", str(configs / "tiny.yaml"), "--data", "d", "--out",
                 str(tmp_path / "t"), "phases.99.max_steps=1"]) == 2
    assert ("override 'phases.99.max_steps=1' does not fit the config: no entry 99 in phases "
            "(phases has 4 entries, phases.0 to phases.3)") in _one_error_line(capsys)


def test_train_checks_init_before_loading_data(repo_root, shared_data, tmp_path, capsys,
                                               caplog):
    """A bad --init was named only after every dataset had loaded (11.7 s on Bandai), after a
    warning that training would go on without its patch statistics."""
    cfg = str(repo_root / "configs" / "tiny.yaml")
    run = tmp_path / "run"
    (run / "model").mkdir(parents=True)
    for name in ("config.json", "model.safetensors"):
        (run / "model" / name).write_text("{}")
    for init, problem in ((tmp_path / "nope", "no such folder"),
                          (run, f"no model files in it; {run / 'model'} is one: give that "
                                "folder")):
        with caplog.at_level(logging.WARNING):
            assert main(["train", "--config", cfg, "--data", str(shared_data / "bandai"),
                         "--out", str(tmp_path / "t"), "--init", str(init)]) == 2
        assert f"{init} is not a motionlex model folder ({problem})" in _one_error_line(capsys)
        assert not caplog.records and not (tmp_path / "t").exists()


def test_demo_data_quotes_an_empty_name(tmp_path, capsys, monkeypatch):
    """Probe M04: "error:  is the current folder" (the empty name unquoted)."""
    monkeypatch.chdir(tmp_path)
    assert main(["demo-data", ""]) == 2
    assert "error: '' is the current folder (or holds it)" in _one_error_line(capsys)
    assert not list(tmp_path.iterdir())


def test_events_of_a_caption_without_english_words(capsys):
    """Probe V06: a Chinese caption had "no events, only sequence words"."""
    assert main(["events", "一个人走路，然后坐下"]) == 2
    err = _one_error_line(capsys)
    assert "'一个人走路，然后坐下' has no English words" in err and "sequence" not in err


def test_patches_names_the_skip_frames_option(shared_data, tmp_path, capsys):
    """Probe P06: "skip_frames must be ..." named the Python argument."""
    src = str(shared_data / BVH)
    assert main(["patches", src, "--skip-frames", "100000", "--out",
                 str(tmp_path / "p.png")]) == 2
    err = _one_error_line(capsys)
    assert f"{src}: --skip-frames must be 'auto' or an int in [0, " in err
    assert "got 100000" in err and " skip_frames" not in err


def _with_closed_stdout(argv: list[str]) -> tuple[int, str]:
    """Run ``motionlex ARGV`` with its stdout a pipe whose reader has gone (``| true``):
    exit status and stderr."""
    import os
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [sys.executable, "-c", "import sys; from motionlex.core.cli import main; "
             "sys.exit(main(sys.argv[1:]))", *argv],
            stdout=write, stderr=subprocess.PIPE, text=True, timeout=300)
    finally:
        os.close(write)
    return done.returncode, done.stderr


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_a_closed_stdout_ends_every_command_quietly(shared_data, make_subset, tmp_path,
                                                    unbuffered, monkeypatch):
    """Probe V07: 'events ... | true' (and scan, search) exited 1 with nothing on stderr,
    or 120 with Python's "Exception ignored ... BrokenPipeError" when stdout was buffered;
    'words | head -1' exited 0. Now every command ends with 0 and nothing said."""
    monkeypatch.setenv("PYTHONUNBUFFERED", unbuffered)
    src = shared_data / "bandai"
    ids = [ln for ln in (src / "val.txt").read_text().split() if ln][:2]
    root = make_subset(src, tmp_path / "ds", ids)
    for argv in (["events", "a person walks, then sits"], ["scan", str(root), "-q"],
                 ["--help"], ["scan", "--help"]):
        assert _with_closed_stdout(argv) == (0, ""), argv
    # an error is still one, with stdout closed or not
    code, err = _with_closed_stdout(["events", ""])
    assert code == 2 and "the caption is empty" in err


def test_a_bug_after_output_with_stdout_closed_still_fails():
    """A command that printed, then hit a bug, exited 0 when stdout's reader had gone: the
    final flush's BrokenPipeError replaced the bug's exception."""
    import os
    import subprocess
    import sys

    code = ("import sys, motionlex.core.cli.data as d\n"
            "def bug(args):\n"
            "    print('some output')\n"
            "    raise RuntimeError('a real bug')\n"
            "d.cmd_events = bug\n"
            "from motionlex.core.cli import main\n"
            "sys.exit(main(['events', 'a person walks']))\n")
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([sys.executable, "-c", code], stdout=write,
                              stderr=subprocess.PIPE, text=True, timeout=120,
                              env={**os.environ, "PYTHONUNBUFFERED": ""})  # print buffered
    finally:
        os.close(write)
    # Python's own exit status for an uncaught error (1; 120 when its exit flush fails too)
    assert done.returncode in (1, 120) and "RuntimeError: a real bug" in done.stderr


def test_a_broken_pipe_that_is_not_stdout_is_an_error(capfd, monkeypatch):
    """A BrokenPipeError from another pipe (a data-loader worker's) while stdout is fine
    is a failure (exit 2, said), not a reader that went away."""
    import motionlex.core.cli.data as data

    def broken(args):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(data, "cmd_events", broken)
    assert main(["events", "a person walks"]) == 2
    assert "motionlex events: error: [Errno 32] Broken pipe" in capfd.readouterr().err


def test_index_names_a_missing_split_before_the_model_loads(shared_data, tmp_path, capsys,
                                                            monkeypatch):
    """A mistyped --split failed only after 7-10 s of model loading."""
    import motionlex.core.model.lite_load as lite

    def no_load(*args, **kwargs):
        raise AssertionError("the model was loaded before the split was checked")

    monkeypatch.setattr(lite, "load_for_queries", no_load)
    assert main(["index", "--data", str(shared_data / "bandai"), "--split", "nosuch",
                 "--out", str(tmp_path / "g.mlx")]) == 2
    err = capsys.readouterr().err
    assert "split file not found: " in err and "nosuch.txt (splits here: all, train, val" in err
    assert not (tmp_path / "g.mlx").exists()
