import subprocess
import sys

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


def test_scan_and_errors(shared_data, tmp_path, capsys):
    assert main(["scan", str(shared_data / "humanml3d_samples"), "-q"]) == 0
    assert "7 motion(s) usable" in capsys.readouterr().out
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
    got = json.loads(capsys.readouterr().out)
    assert got["query"] == "a person waves the left hand" and len(got["words"]) == 5
    weights = [w["weight"] for w in got["words"]]
    assert weights == sorted(weights, reverse=True) and weights[-1] > 0
    f = shared_data / "bandai" / "new_joints" / "bn2_wave-right-hand_normal_001.npy"
    assert main(["words", "--motion", str(f), "-k", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and all(float(ln.split()[0]) > 0 for ln in lines)
    bvh = shared_data / "raw_bvh" / "bandai_2_wave-right-hand_normal_001.bvh"
    assert main(["words", "--motion", str(bvh), "-k", "2", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["words"]) == 2


def test_words_errors(tmp_path, capsys):
    assert main(["words"]) == 2
    assert "exactly one" in capsys.readouterr().err
    assert main(["words", "walks", "--motion", "x.npy"]) == 2
    assert main(["words", "walks", "-k", "0"]) == 2
    assert main(["words", "walks", "--checkpoint", str(tmp_path / "none")]) == 2
    assert "not found" in capsys.readouterr().err
