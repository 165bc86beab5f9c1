"""Progress bars in a log file (SLURM, ``2> log``): few lines, not one per update."""

from __future__ import annotations

import io
import os
import subprocess
import sys


def test_bars_written_to_a_file_update_rarely(shared_data, tmp_path):
    """CLI audit 36 P3: `index` of Bandai left ~100 bar lines in a redirected log, `scan` 60+;
    with stderr a file, a bar draws its start and its end (TQDM_MININTERVAL 30 s)."""
    log = tmp_path / "err.txt"
    env = {k: v for k, v in os.environ.items() if k != "TQDM_MININTERVAL"}
    with log.open("w") as err:
        subprocess.run([sys.executable, "-m", "motionlex.core", "scan",
                        str(shared_data / "bandai")], env=env,
                       stderr=err, stdout=subprocess.DEVNULL, check=True, timeout=300)
    updates = log.read_text().replace("\r", "\n").splitlines()
    bars = [ln for ln in updates if "/3002" in ln]
    assert 1 <= len(bars) < 10, updates  # 3,002 motions in ~8 s: 46 lines before


def test_a_users_own_interval_is_kept_and_main_leaves_the_environment(monkeypatch):
    """A value the user set wins; main() called in-process removes what it set (review 36
    #6: it stayed set for the rest of the process and its children)."""
    from motionlex.core.cli import main
    from motionlex.core.cli.parser import LOG_BAR_INTERVAL, _slow_bars_in_logs

    monkeypatch.delenv("TQDM_MININTERVAL", raising=False)
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # no terminal
    assert _slow_bars_in_logs() and os.environ["TQDM_MININTERVAL"] == LOG_BAR_INTERVAL
    monkeypatch.delenv("TQDM_MININTERVAL")
    assert main(["events", "a person walks"]) == 0
    assert "TQDM_MININTERVAL" not in os.environ
    monkeypatch.setenv("TQDM_MININTERVAL", "2")
    assert not _slow_bars_in_logs() and os.environ["TQDM_MININTERVAL"] == "2"
