"""Cooperative shutdown: closing the explorer while its worker loads a model or builds an
index ends the process with status 0, never Qt's abort ("QThread: Destroyed while thread is
still running", exit 134). Each case is a real ``motionlex-explorer`` process
(``benchmarks/close_loop.py --child``, which runs the app's ``main()``); 100 such runs are
the benchmark."""

from __future__ import annotations

import subprocess
import sys

import pytest

from motionlex.app.client import join_busy_threads
from motionlex.app.driver import JobDriver


def _close_during(repo_root, phase, data, checkpoint, cache):
    cmd = [sys.executable, str(repo_root / "benchmarks" / "close_loop.py"), "--child", phase,
           "--data", str(data), "--checkpoint", str(checkpoint), "--cache", str(cache),
           "--seed", "3"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("phase", ["load", "build", "quit"])
def test_closing_mid_job_exits_zero(gl_platform, repo_root, tiny_checkpoint, bandai_subset,
                                    tmp_path, phase):
    r = _close_during(repo_root, phase, bandai_subset, tiny_checkpoint, tmp_path / "cache")
    assert r.returncode == 0, r.stderr[-2000:]
    assert f"closing during {phase}" in r.stdout, r.stdout + r.stderr[-2000:]
    assert "QThread: Destroyed" not in r.stderr
    # a build cut short leaves no half-written index: only complete ones, no temporary folders
    leftovers = [p.name for p in (tmp_path / "cache").rglob(".*") if ".tmp-" in p.name
                 or ".new-" in p.name]
    assert leftovers == []


def test_shut_down_cancels_queued_jobs(qapp):
    d = JobDriver()
    finished = []
    d.jobFinished.connect(lambda k, o: finished.append((k, o)))
    started = []

    def job():
        started.append(1)
        yield 1, 2
        yield 2, 2
        return "x"

    assert d._drive("gallery", "first", job()) == "x"
    d.shut_down()
    assert d.closing
    assert d._drive("gallery", "queued after the close", job()) is None
    assert len(started) == 1 and finished == [("gallery", "done")]  # never started
    assert join_busy_threads(0.1)  # nothing left waiting
