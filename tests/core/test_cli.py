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
