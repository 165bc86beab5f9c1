"""Progress bars in a log file (SLURM, ``2> log``): few lines, not one per update."""

from __future__ import annotations

import io
import logging
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


def test_a_logged_warning_reads_as_the_clis_other_warnings(tmp_path):
    """CLI audit 37 D4: a warning that core logs reached the user as a log line with its
    module path ("WARNING motionlex.core.train.train_config: ..."); without -v it reads
    "motionlex train: warning: ...", as compare's warnings do."""
    run = subprocess.run(
        [sys.executable, "-m", "motionlex.core", "train", "--config", "tiny", "--data",
         str(tmp_path / "missing"), "--out", str(tmp_path / "run"), "order_negatives=true",
         "compose_p=0"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and run.stderr.splitlines() == [
        "motionlex train: warning: training config: order_negatives needs composed pairs "
        "(compose_p > 0); it does nothing",
        f"motionlex train: error: dataset folder not found: {tmp_path / 'missing'}"]


def test_another_librarys_warning_keeps_its_name():
    """Only motionlex's own logger names are left out (theirs say where a warning is from)."""
    from motionlex.core.cli.parser import UserLogFormatter

    def line(name: str, level: int = logging.WARNING) -> str:
        record = logging.LogRecord(name, level, __file__, 1, "a %s", ("thing",), None)
        return UserLogFormatter("index").format(record)

    assert line("motionlex.core.retrieval.build") == "motionlex index: warning: a thing"
    assert line("transformers.x") == "motionlex index: warning: transformers.x: a thing"
    assert line("motionlex.app", logging.ERROR) == "motionlex index: error: a thing"
    assert UserLogFormatter(None).format(logging.LogRecord(
        "motionlex", logging.WARNING, __file__, 1, "m", (), None)) == "motionlex: warning: m"


def test_a_second_main_call_labels_warnings_with_its_own_command(monkeypatch):
    """Review 37 #3: logging.basicConfig kept the first call's handler, so a notebook's
    second call printed "motionlex words: warning:" for a train warning and ignored its -v;
    a root logger with handlers of its own (an application's) is left alone."""
    from motionlex.core.cli import parser

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])  # a fresh process: no handler yet
    monkeypatch.setattr(parser, "_LOG_HANDLER", [])
    level = root.level
    try:
        parser._log_to_stderr("words", verbose=False)
        parser._log_to_stderr("train", verbose=False)
        [handler] = root.handlers
        record = logging.LogRecord("motionlex.core.train.training", logging.WARNING, "", 0,
                                   "nothing to resume", None, None)
        assert handler.format(record) == "motionlex train: warning: nothing to resume"
        parser._log_to_stderr("index", verbose=True)
        [handler] = root.handlers
        assert root.level == logging.DEBUG and "motionlex.core.train.training" in \
            handler.format(record)
        mine = logging.NullHandler()
        root.handlers[:] = [mine]  # an application's handler, after ours went
        parser._log_to_stderr("index", verbose=False)
        assert root.handlers == [mine]
    finally:
        root.setLevel(level)
