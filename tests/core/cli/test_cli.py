import shlex
import shutil
import subprocess
import sys

import numpy as np
import pytest

from motionlex.core.cli import main


def test_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for sub in ("patches", "scan", "stats", "events"):
        assert sub in out


def test_module_entry_point():
    r = subprocess.run([sys.executable, "-m", "motionlex.core", "--version"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "motionlex" in r.stdout


def test_patches_png_with_train_stats(shared_data, tmp_path, capsys):
    stats = tmp_path / "stats.json"
    assert main(["stats", str(shared_data / "cmu_kitml"), "--out", str(stats)]) == 0
    f = shared_data / "bandai" / "new_joints" / "bn2_wave-right-hand_normal_001.npy"
    out = tmp_path / "p.png"
    assert main(["patches", str(f), "--out", str(out), "--stats", str(stats)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 5000
    assert "wrote" in capsys.readouterr().out
    # a model folder stands for its patch_stats.json (it said "not found: FOLDER")
    from motionlex.resources import default_model_dir

    folder_png = tmp_path / "q.png"
    assert main(["patches", str(f), "--out", str(folder_png), "--stats",
                 str(default_model_dir())]) == 0
    assert folder_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["patches", str(f), "--out", str(folder_png), "--stats", str(tmp_path)]) == 2
    assert "without patch_stats.json" in capsys.readouterr().err


def test_scan_and_errors(shared_data, tmp_path, capsys):
    assert main(["scan", str(shared_data / "humanml3d_samples"), "-q"]) == 0
    out = capsys.readouterr().out
    assert "7 usable motions" in out
    n_caps = sum(len([x for x in p.read_text().splitlines() if x.strip()]) for p in
                 (shared_data / "humanml3d_samples" / "texts").glob("*.txt"))
    with_caps = len(list((shared_data / "humanml3d_samples" / "texts").glob("*.txt")))
    assert f"captions: {n_caps:,} ({7 - with_caps} motions without one); frames: " in out
    assert main(["patches", str(tmp_path / "none.npy"), "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "none.npy" in err and "error" in err
    assert not (tmp_path / "x.png").exists()


def test_help_imports_no_torch():
    code = ("import sys\nfrom motionlex.core.cli import main\n"
            "try:\n    main(['words', '--help'])\nexcept SystemExit:\n    pass\n"
            "print('torch' in sys.modules, 'spacy' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip().endswith("False False"), r.stdout + r.stderr
    assert "--motion" in r.stdout and "--checkpoint" in r.stdout


def test_words_of_a_text_and_of_a_real_motion_file(shared_data, capsys):
    import json

    assert main(["words", "a person waves the left hand", "-k", "5", "--json"]) == 0
    out, err = capsys.readouterr()
    got = json.loads(out)
    assert got["query"] == "a person waves the left hand" and len(got["words"]) == 5
    assert got["file"] is None and got["unknown_words"] == []
    assert "does not know" not in err
    # the words of the text itself are told from the ones the model adds (any form counts)
    in_text = {w["word"]: w["in_text"] for w in got["words"]}
    assert in_text.get("left") is True and in_text.get("waves", True) is True
    # a text reads only the text tower: the full model's words and weights all the same
    from motionlex.core.model.factory import load_checkpoint
    from motionlex.core.retrieval.word_protocol import word_weights
    from motionlex.resources import default_model_dir

    full, stats = load_checkpoint(default_model_dir())
    ref = word_weights(full, stats, text="a person waves the left hand", k=5)
    assert [w["word"] for w in got["words"]] == [w for w, _, _ in ref]
    assert [w["weight"] for w in got["words"]] == pytest.approx([v for _, v, _ in ref],
                                                                abs=1e-5)
    assert main(["words", "a person waves the left hand", "-k", "12"]) == 0
    table = capsys.readouterr().out.splitlines()
    added = [ln.split()[2] for ln in table[1:] if ln.endswith("(added)")]
    assert added and not {"left", "hand", "hands", "wave", "waves"} & set(added)
    assert table[-1].startswith("(added): not a word of the text")
    assert main(["words", "a persn wavs the left hand", "-k", "2"]) == 0  # typos get a note
    err = capsys.readouterr().err
    assert "persn (did you mean 'person'?)" in err and "try: 'a person waves the left hand'" in err
    assert "tokens long" not in err
    assert main(["words", "eine Person springt zweimal und setzt sich", "-k", "2"]) == 0
    err = capsys.readouterr().err  # another language: no suggestions of unrelated words
    assert ("note: most words of 'eine Person springt zweimal und setzt sich' are unknown to "
            "the model, which reads English" in err and "did you mean" not in err)
    assert main(["words", "The person, and them", "-k", "2"]) == 0  # no motion named: a note
    assert "names no motion" in capsys.readouterr().err
    assert main(["words", "a person turns", "-k", "2"]) == 0
    err = capsys.readouterr().err
    assert "names no motion" not in err and "no word of the query" not in err
    assert main(["words", "the weather is nice today", "-k", "2"]) == 0  # as the explorer
    assert ("note: no word of the query is one the model learned from motion captions"
            in capsys.readouterr().err)
    long_query = " ".join(["a person walks forward and then turns left"] * 30)
    assert main(["words", long_query, "-k", "2"]) == 0  # cut to the encoder's length: said
    err = capsys.readouterr().err
    n = 30 * 8 + 2  # 8 words, one WordPiece each, 30 times; [CLS] and [SEP]
    assert f"note: the query is {n} tokens long; the model reads its first 64" in err
    weights = [w["weight"] for w in got["words"]]
    assert weights == sorted(weights, reverse=True) and weights[-1] > 0
    # the share is the weight over the whole vector's norm: one ratio for every word, <= 1
    ratios = [w["share"] / w["weight"] for w in got["words"]]
    assert max(ratios) - min(ratios) < 1e-4 and 0 < got["words"][0]["share"] <= 1
    f = shared_data / "bandai" / "new_joints" / "bn2_wave-right-hand_normal_001.npy"
    assert main(["words", "--motion", str(f), "-k", "3"]) == 0
    header, *lines = capsys.readouterr().out.strip().splitlines()
    assert header.split() == ["weight", "share", "word"]
    assert len(lines) == 3 and all(float(ln.split()[0]) >= float(ln.split()[1]) > 0
                                   for ln in lines)
    bvh = shared_data / "raw_bvh" / "bandai_2_wave-right-hand_normal_001.bvh"
    assert main(["words", "--motion", str(bvh), "-k", "2", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)  # a motion is its file, as in search/describe
    assert got["file"] == str(bvh) and got["query"] is None and len(got["words"]) == 2
    assert all(w["in_text"] is None for w in got["words"])  # a motion has no text
    # a path given as the text is the motion's words, as search reads it (it printed the
    # words of the path's letters, "bvh, bvh" unknown, exit 0)
    assert main(["words", str(bvh), "-k", "2", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == got and f"the words of the motion in {bvh}" in err


def test_words_errors(tmp_path, capsys):
    assert main(["words"]) == 2
    assert "exactly one" in capsys.readouterr().err
    assert main(["words", "walks", "--motion", "x.npy"]) == 2
    capsys.readouterr()
    for command in (["words", "walks"], ["describe", "x.bvh"], ["search", "q", "--index", "g"]):
        with pytest.raises(SystemExit) as e:  # a bad value: one line, the same for all three
            main([*command, "-k", "0"])
        assert e.value.code == 2
        assert capsys.readouterr().err == (f"motionlex {command[0]}: error: argument -k: must be "
                                           ">= 1, got 0\n")
    assert main(["words", "walks", "--checkpoint", str(tmp_path / "none")]) == 2
    assert "none is not a motionlex model folder (no such folder)" in capsys.readouterr().err


BANDAI_IDS = ["bn2_wave-right-hand_normal_001", "bn2_walk_normal_001"]


# -- expected failures: one line naming the file, exit 2; Ctrl-C 130; bugs raise -------------
def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_bad_motion_files_give_one_line(tmp_path, capsys):
    text = tmp_path / "notes.npy"
    text.write_text("a person walks\n")  # a text file named .npy
    empty = tmp_path / "empty.npy"
    empty.write_bytes(b"")
    for f in (text, empty):
        assert main(["patches", str(f), "--out", str(tmp_path / "x.png")]) == 2
        assert str(f) in _one_error_line(capsys)
    assert not (tmp_path / "x.png").exists()


def test_yaml_syntax_error_names_the_file_or_override(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: cpu-small\nphases: [a, b\n  x: : y\n")
    out = tmp_path / "run"
    assert main(["train", "--config", str(bad), "--data", str(tmp_path), "--out", str(out)]) == 2
    err = _one_error_line(capsys)
    assert str(bad) in err and "invalid YAML at line" in err and "<unicode string>" not in err
    good = tmp_path / "good.yaml"
    good.write_text("model: tiny\n")
    assert main(["train", "--config", str(good), "--data", str(tmp_path), "--out", str(out),
                 "lr_motion=[1,"]) == 2
    assert "override 'lr_motion=[1,'" in _one_error_line(capsys)
    # a second folder after --data is read as an override: the message says to repeat --data
    other = tmp_path / "more_data"
    other.mkdir()
    assert main(["train", "--config", str(good), "--data", str(tmp_path), str(other),
                 "--out", str(out)]) == 2
    err = _one_error_line(capsys)
    assert f"override '{other}' is not key=value" in err and "repeat --data" in err
    afile = tmp_path / "afile.txt"
    afile.write_text("notes")
    assert main(["train", "--config", str(good), "--data", str(tmp_path), "--out",
                 str(afile)]) == 2
    assert f"--out {afile} is a file" in _one_error_line(capsys)
    assert not out.exists()


def test_missing_and_corrupt_checkpoints(tmp_path, repo_root, capsys):
    missing = tmp_path / "no_model"
    assert main(["index", "--checkpoint", str(missing), "--data", str(tmp_path),
                 "--out", str(tmp_path / "g.mlx"), "-q"]) == 2
    assert str(missing) in _one_error_line(capsys)
    ckpt = tmp_path / "corrupt"
    shutil.copytree(repo_root / "resources" / "default_model", ckpt)
    weights = ckpt / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100_000])  # truncated download
    assert main(["words", "walks", "--checkpoint", str(ckpt)]) == 2
    assert str(weights) in _one_error_line(capsys)
    weights.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}......")
    assert main(["words", "walks", "--checkpoint", str(ckpt)]) == 2
    assert str(weights) in _one_error_line(capsys)
    emptied = tmp_path / "no_tokenizer"  # a model folder whose tokenizer/ lost its files
    shutil.copytree(repo_root / "resources" / "default_model", emptied)
    for f in (emptied / "tokenizer").iterdir():
        f.unlink()
    assert main(["words", "walks", "--checkpoint", str(emptied)]) == 2
    err = _one_error_line(capsys)
    assert f"{emptied / 'tokenizer'}: the model's tokenizer cannot be loaded" in err
    assert "holds no files" in err


def test_missing_ids_are_skipped_by_index_and_named_by_scan(shared_data, make_subset, caplog,
                                                              tmp_path, capsys):
    data = make_subset(shared_data / "bandai", tmp_path / "ds", BANDAI_IDS)
    (data / "all.txt").write_text("\n".join(BANDAI_IDS) + "\nghost_042\n")
    from motionlex.resources import default_model_dir

    # index builds what exists and names what it skipped (as for a deleted BVH file)
    assert main(["index", "--checkpoint", str(default_model_dir()), "--data", str(data),
                 "--out", str(tmp_path / "g.mlx"), "-q"]) == 0
    out = capsys.readouterr().out
    assert f"{len(BANDAI_IDS)} motions" in out and "1 skipped" in out
    assert "skipped ghost_042: listed in all.txt, no motion file" in out
    # scan reports them (it stopped on them, hiding the other skipped files: CLI audit D1);
    # --skip-missing is still accepted, and changes nothing
    (data / "new_joints" / "bad1.npy").write_text("not an array")
    (data / "all.txt").write_text("\n".join(BANDAI_IDS) + "\nghost_042\nbad1\n")
    for flag in ([], ["--skip-missing"]):
        caplog.clear()
        assert main(["scan", str(data), "-q", *flag]) == 0
        out = capsys.readouterr().out
        # the skip, in the report, once (no WARNING line beside it), beside the bad file
        assert "  ghost_042: listed in all.txt, no motion file" in out
        assert "  bad1: " in out and "2 skipped" in out
        assert not [r for r in caplog.records if r.levelname == "WARNING"]
    # a command that refuses them points to scan, with no Python in the CLI's line
    assert main(["stats", str(data), "--split", "all", "--out", str(tmp_path / "s.json"),
                 "-q"]) == 2
    err = _one_error_line(capsys)
    assert f"'motionlex scan {data}' lists them" in err and "skip_missing" not in err


def test_interrupt_bug_and_verbose(monkeypatch, capsys):
    import motionlex.core.text.orders as orders

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(orders, "format_events_report", interrupted)
    assert main(["events", "walks, then sits"]) == 130
    assert _one_error_line(capsys) == "motionlex events: interrupted"

    def bug(*a, **k):
        raise RuntimeError("a real bug")

    monkeypatch.setattr(orders, "format_events_report", bug)
    with pytest.raises(RuntimeError, match="a real bug"):
        main(["events", "walks"])

    def broken_import(*a, **k):
        import motionlex.core.no_such_module  # noqa: F401

    monkeypatch.setattr(orders, "format_events_report", broken_import)
    with pytest.raises(ModuleNotFoundError):
        main(["events", "walks"])

    def bad_input(*a, **k):
        raise ValueError("caption.txt: line 3\n  is empty")

    monkeypatch.setattr(orders, "format_events_report", bad_input)
    assert main(["events", "walks"]) == 2
    assert _one_error_line(capsys) == "motionlex events: error: caption.txt: line 3 is empty"
    for argv in (["-v", "events", "walks"], ["events", "walks", "-v"],
                 ["events", "--verbose", "walks"]):  # -v before or after the subcommand
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "Traceback" in err and err.strip().endswith("caption.txt: line 3 is empty")


def test_ctrl_c_in_a_real_process_exits_130(tmp_path):
    code = ("import os, signal, sys\nimport motionlex.core.text.orders as o\n"
            "signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal\n"
            "def report(*a, **k):\n    os.kill(os.getpid(), signal.SIGINT)\n"
            "o.format_events_report = report\nfrom motionlex.core.cli import main\n"
            "sys.exit(main(['events', 'walks']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 130 and r.stderr.strip() == "motionlex events: interrupted", r.stderr


def test_text_search_loads_no_motion_file_code(shared_data, make_subset, tmp_path):
    from motionlex.resources import default_model_dir

    data = make_subset(shared_data / "bandai", tmp_path / "ds", BANDAI_IDS)
    idx = tmp_path / "g.mlx"
    assert main(["index", "--checkpoint", str(default_model_dir()), "--data", str(data),
                 "--out", str(idx), "-q"]) == 0
    code = ("import sys\nfrom motionlex.core.cli import main\n"
            f"rc = main(['search', 'a person walks', '--index', {str(idx)!r}, '-k', '2'])\n"
            "print(rc, *(m in sys.modules for m in ('motionlex.core.motion.files',"
            " 'motionlex.core.motion.bvh', 'lightning', 'spacy', 'matplotlib')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    lines = r.stdout.strip().splitlines()
    assert r.returncode == 0 and lines[-1] == "0 False False False False False", r.stdout + r.stderr
    assert len(lines) == 4 and lines[0].split()[:4] == ["#", "fused", "dense", "lexical"]
    assert lines[1].lstrip().startswith("1 ")
    bad = tmp_path / "notes.npy"
    bad.write_text("not an array")
    r = subprocess.run([sys.executable, "-m", "motionlex.core", "search", "--index", str(idx),
                        "--motion", str(bad)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert str(bad) in r.stderr
    # a path as the query searches by that motion, as the explorer's query box does (it was
    # ranked as the text "/tmp/.../bvh", with spelling suggestions for its parts)
    take = data / "new_joints" / f"{BANDAI_IDS[0]}.npy"
    r = subprocess.run([sys.executable, "-m", "motionlex.core", "search", f"'{take}'",
                        "--index", str(idx), "-k", "1"], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert f"searching by the motion in {take}" in r.stderr and "does not know" not in r.stderr
    assert r.stdout.splitlines()[1].split()[4] == f"ds/{BANDAI_IDS[0]}"  # # fused dense lex id
    r = subprocess.run([sys.executable, "-m", "motionlex.core", "search", "./no/such.bvh",
                        "--index", str(idx)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "no/such.bvh" in r.stderr.splitlines()[-1]


def test_train_refuses_max_steps_zero(capsys):
    from motionlex.core.cli import main

    with pytest.raises(SystemExit) as e:
        main(["train", "--config", "configs/tiny.yaml", "--data", "x", "--out", "y",
              "--max-steps", "0"])
    assert e.value.code == 2
    assert "must be >= 1" in capsys.readouterr().err


def test_index_out_pointing_at_a_file_is_one_line(repo_root, shared_data, tmp_path, capsys,
                                                  monkeypatch):
    """Issue 15: ``--out`` naming an existing regular file said 'gallery index not found'."""
    import motionlex.core.model.lite_load as lite

    monkeypatch.setattr(lite, "load_for_queries", lambda *a: pytest.fail("model loaded"))
    out = tmp_path / "notes.txt"
    out.write_text("not an index")
    assert main(["index", "--checkpoint", str(repo_root / "resources" / "default_model"),
                 "--data", str(shared_data / "humanml3d_samples"), "--out", str(out),
                 "-q"]) == 2
    err = _one_error_line(capsys)
    assert f"--out {out} is a file" in err and out.read_text() == "not an index"


def test_index_into_an_empty_folder_and_interrupt_hint(repo_root, shared_data, tmp_path,
                                                       capsys, monkeypatch):
    out = tmp_path / "empty"
    out.mkdir()
    args = ["index", "--checkpoint", str(repo_root / "resources" / "default_model"), "--data",
            str(shared_data / "humanml3d_samples"), "--out", str(out), "-q"]
    import motionlex.core.retrieval.build as build

    real = build.encode_batch

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "encode_batch", interrupted)
    assert main(args + ["--batch-size", "2"]) == 130
    assert "interrupted (the motions encoded so far are kept" in capsys.readouterr().err
    monkeypatch.setattr(build, "encode_batch", real)
    assert main(args) == 0
    assert "7 motions, " in (got := capsys.readouterr().out) and "(7 encoded, 0 kept)" in got
    # Ctrl-C while the model loads: nothing was encoded, so nothing is promised
    import motionlex.core.model.lite_load as lite

    monkeypatch.setattr(lite, "load_for_queries", interrupted)
    assert main(args) == 130
    assert capsys.readouterr().err.strip() == "motionlex index: interrupted"


def test_resumed_index_rates_only_what_it_encoded(repo_root, shared_data, tmp_path, capsys,
                                                  monkeypatch):
    """Item 6: a build interrupted after 3 batches of 2 restores those 6 motions and encodes
    1; its rate counts that 1 (it said millions of motions/s for the restored ones)."""
    import motionlex.core.retrieval.build as build

    out = tmp_path / "g.mlx"
    args = ["index", "--checkpoint", str(repo_root / "resources" / "default_model"), "--data",
            str(shared_data / "humanml3d_samples"), "--out", str(out), "-q", "--batch-size", "2"]
    real, calls = build.encode_batch, []

    def fourth_interrupted(*a, **k):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(build, "encode_batch", fourth_interrupted)
    assert main(args) == 130
    capsys.readouterr()
    monkeypatch.setattr(build, "encode_batch", real)
    assert main(args) == 0
    line, *parts = capsys.readouterr().out.strip().splitlines()
    assert "7 motions, " in line and "(7 encoded, 0 kept)" in line, line
    assert parts == ["  6 of the encoded restored from the interrupted build, 1 encoded in "
                     "this run"], parts  # one line each: no nested parentheses (audit N8)
    assert line.endswith(" motions/s"), line
    rate = float(line.rsplit(", ", 1)[1].split()[0])
    assert 0 < rate < 1000, line


@pytest.mark.parametrize("damage", ["empty folder", "no stats", "config type", "flipped"])
def test_bad_model_folders_give_one_line(repo_root, tmp_path, capsys, damage):
    """One line naming the file for every way a model folder can be wrong (issue 15 item 3:
    one 'not a model folder' message; defect 6: flipped weight bytes, wrong config types)."""
    import json

    ckpt = tmp_path / "model"
    if damage == "empty folder":
        ckpt.mkdir()
    else:
        shutil.copytree(repo_root / "resources" / "default_model", ckpt)
    if damage == "no stats":
        (ckpt / "patch_stats.json").unlink()
    elif damage == "config type":
        cfg = json.loads((ckpt / "config.json").read_text())
        cfg["embed_dim"] = "256"
        (ckpt / "config.json").write_text(json.dumps(cfg))
    elif damage == "flipped":
        data = bytearray((ckpt / "model.safetensors").read_bytes())
        data[len(data) // 3] ^= 0x10
        (ckpt / "model.safetensors").write_bytes(bytes(data))
    assert main(["words", "walks", "--checkpoint", str(ckpt)]) == 2
    err = _one_error_line(capsys)
    expected = {"empty folder": f"{ckpt} is not a motionlex model folder",
                "no stats": "(missing patch_stats.json): a model folder holds config.json",
                "config type": f"{ckpt / 'config.json'}: wrong value types",
                "flipped": f"{ckpt / 'model.safetensors'}: SHA-256"}[damage]
    assert expected in err, err


def test_demo_data_writes_the_explorers_gallery_as_a_dataset(tmp_path, capsys):
    from motionlex.core.data.datasets import MotionDataset

    out = tmp_path / "demo"
    assert main(["demo-data", str(out)]) == 0
    assert "200 synthetic motions (160 train, 20 val, 20 test)" in capsys.readouterr().out
    val = MotionDataset(out, split="val")
    assert len(val) == 20
    assert main(["demo-data", str(out)]) == 0  # an earlier demo-data folder is replaced
    assert "note:" not in capsys.readouterr().err  # by the same gallery: nothing to say
    assert main(["demo-data", str(out), "--seed", "7"]) == 0  # by another: said (audit N12)
    assert capsys.readouterr().err.strip() == (
        f"note: replaced the seed-0 gallery in {out} with the seed-7 one")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    assert main(["demo-data", str(busy)]) == 2
    assert "other files in it" in capsys.readouterr().err
    assert (busy / "notes.txt").read_text() == "mine"
    assert main(["demo-data", str(tmp_path / "quiet"), "-q"]) == 0  # as every long command
    assert capsys.readouterr().out == "" and (tmp_path / "quiet" / "val.txt").is_file()
    spaced = tmp_path / "my demo"  # the printed next step stays one word per path
    assert main(["demo-data", str(spaced)]) == 0
    printed = capsys.readouterr().out.splitlines()[-1].split(" && ")[0]
    assert shlex.split(printed) == ["motionlex", "index", "--data", str(spaced), "--out",
                                    "my demo.mlx"]


def test_lightning_lines_are_said_once_per_run():
    import logging

    from motionlex.core.train.quiet import DropTips

    f = DropTips()

    def shown(msg: str) -> bool:
        return f.filter(logging.LogRecord("lightning.pytorch", logging.INFO, "", 0, msg, None,
                                          None))

    assert shown("GPU available: False, used: False")
    assert not shown("GPU available: False, used: False")  # the next phase's Trainer
    assert not shown("`Trainer.fit` stopped: `max_steps=4` reached.")
    assert shown("`Trainer.fit` stopped: No training batches.")  # a real problem: said
    assert not shown("💡 Tip: For seamless cloud logging, try installing [litlogger]")
    # what the run says itself (Lightning's own wording, trainer/call.py and
    # checkpoint_connector.py): Ctrl-C and the restoring of a resumed phase
    assert not shown("\nDetected KeyboardInterrupt, attempting graceful shutdown ...")
    assert not shown("Restoring states from the checkpoint path at /r/checkpoints/x.ckpt")
    assert not shown("Restored all states from the checkpoint at /r/checkpoints/x.ckpt")
    assert shown("something else") and shown("something else")
    f = DropTips(verbose=False)  # without -v: no hardware lines at all (item 7)
    assert not shown("GPU available: False, used: False")
    assert not shown("TPU available: False, using: 0 TPU cores")
    assert shown("`Trainer.fit` stopped: No training batches.")


def test_an_index_built_with_other_stats_is_extended_with_its_own(shared_data, tmp_path,
                                                                    capsys):
    """Adding to an index built with ``--stats`` needs no ``--stats`` again: the index's own
    patch statistics (what its motions were encoded with) are the default."""
    import json

    from motionlex.resources import default_model_dir

    stats = json.loads((default_model_dir() / "patch_stats.json").read_text())
    stats["mean"] = (np.asarray(stats["mean"]) * 1.01).tolist()
    (tmp_path / "st.json").write_text(json.dumps(stats))
    idx = tmp_path / "g.mlx"
    assert main(["index", "--data", str(shared_data / "humanml3d_samples"), "--split", "all",
                 "--out", str(idx), "--stats", str(tmp_path / "st.json"), "-q"]) == 0
    # allowed, but said: the model was trained on its own statistics
    assert "differs from the statistics" in capsys.readouterr().err
    assert main(["index", "--data", str(shared_data / "raw_bvh"), "--split", "all",
                 "--out", str(idx), "-q"]) == 0
    out, err = capsys.readouterr()
    assert "using the patch statistics it was built with" in err
    assert "--stats to choose" not in err and "other statistics need a new --out" in err
    assert "17 motions, " in out and "(10 encoded, 7 kept)" in out


def test_reindex_summary_adds_up(shared_data, tmp_path, capsys):
    """"1 encoded, 18 kept, 1 replaced" did not add up: a re-encoded row is one of the
    encoded ones, and the summary says so inside that count."""
    import shutil

    data = tmp_path / "h"
    shutil.copytree(shared_data / "humanml3d_samples", data)
    idx = tmp_path / "g.mlx"
    assert main(["index", "--data", str(data), "--out", str(idx), "-q"]) == 0
    capsys.readouterr()
    first = sorted((data / "texts").glob("*.txt"))[0]
    first.write_text("a person waves the left hand.#a/DET#0.0#0.0\n")
    assert main(["index", "--data", str(data), "--out", str(idx), "-q"]) == 0
    line, part = capsys.readouterr().out.splitlines()
    n = len(list((data / "new_joints").glob("*.npy")))
    assert f"{n} motions, " in line and f"(1 encoded, {n - 1} kept)" in line, line
    assert part == "  1 of the encoded re-read: changed file or caption, or a newer BVH reader"
    # a deleted motion its split file still lists: once, as removed (it was also "1 skipped")
    gone = sorted((data / "new_joints").glob("*.npy"))[-1]
    gone.unlink()
    (data / "all.txt").write_text("\n".join(p.stem for p in sorted(
        (data / "new_joints").glob("*.npy"))) + f"\n{gone.stem}\n")
    assert main(["index", "--data", str(data), "--out", str(idx), "-q"]) == 0
    line, part = capsys.readouterr().out.splitlines()
    assert f"(0 encoded, {n - 1} kept, 1 removed)" in line and "skipped" not in line, line
    assert part == f"  removed 1 motion whose file is gone or unreadable: h/{gone.stem}"
