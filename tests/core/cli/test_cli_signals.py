"""SIGTERM and full disks on the command line (core/cli/parser.py): a SIGTERM (``kill``, a
scheduler's stop) ends a command as Ctrl-C does, saying "terminated" (exit 143) and keeping
the same work; a write error that names no file names what the command was writing."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys

import pytest

from motionlex.core.cli import main


class SigtermReachedTheTest(Exception):
    pass


@pytest.fixture(autouse=True)
def _sigterm_fails_the_test_not_the_run():
    """A SIGTERM the command does not take fails the test (by default it ends pytest)."""
    def fail(signum, frame):
        raise SigtermReachedTheTest("SIGTERM reached the test: the command did not handle it")

    before = signal.signal(signal.SIGTERM, fail)
    yield
    signal.signal(signal.SIGTERM, before)


def test_sigterm_in_a_real_process_exits_143(tmp_path):
    code = ("import os, signal, sys\nimport motionlex.core.text.orders as o\n"
            "def report(*a, **k):\n    os.kill(os.getpid(), signal.SIGTERM)\n"
            "o.format_events_report = report\nfrom motionlex.core.cli import main\n"
            "sys.exit(main(['events', 'walks']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 143 and r.stderr.strip() == "motionlex events: terminated", r.stderr


def test_sigterm_during_index_keeps_the_encoded_motions(repo_root, shared_data, tmp_path,
                                                        capsys, monkeypatch):
    """Probe: SIGTERM to ``index`` killed it silently (rc 143, no word); it now stops as
    Ctrl-C does: "terminated", the batches encoded so far kept for the rerun."""
    import motionlex.core.retrieval.build as build

    out = tmp_path / "g.mlx"
    args = ["index", "--checkpoint", str(repo_root / "resources" / "default_model"), "--data",
            str(shared_data / "humanml3d_samples"), "--out", str(out), "-q", "--batch-size", "2"]
    real, calls = build.encode_batch, []

    def terminated_at_the_third(*a, **k):
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGTERM)  # a real signal, to this process
        return real(*a, **k)

    before = signal.getsignal(signal.SIGTERM)  # the fixture's
    monkeypatch.setattr(build, "encode_batch", terminated_at_the_third)
    assert main(args) == 143
    assert capsys.readouterr().err.strip() == (
        "motionlex index: terminated (the motions encoded so far are kept: run the same "
        "command again to continue)")
    assert signal.getsignal(signal.SIGTERM) == before  # the handler was the command's only
    monkeypatch.setattr(build, "encode_batch", real)
    assert main(args) == 0
    assert "  4 of the encoded restored from the interrupted build, 3 encoded in this run" \
        in capsys.readouterr().out


@pytest.mark.slow
def test_sigterm_during_a_training_phase_is_terminated(shared_data, make_subset, repo_root,
                                                       tmp_path, capsys, monkeypatch):
    """Lightning's own SIGTERM handler runs first during a fit, then the command's: the run
    stops as after Ctrl-C (its checkpoints kept for --resume), saying "terminated"."""
    from motionlex.core.train.module import MotionTextModule

    src = shared_data / "bandai"
    train = src.joinpath("train.txt").read_text().split()[::49][:12]
    data = make_subset(src, tmp_path / "d", train, {"train": train})
    real = MotionTextModule.training_step

    def step(self, batch, batch_idx):
        if self.trainer.global_step == 1:
            os.kill(os.getpid(), signal.SIGTERM)
        return real(self, batch, batch_idx)

    monkeypatch.setattr(MotionTextModule, "training_step", step)
    assert main(["train", "--config", str(repo_root / "configs" / "tiny.yaml"), "--data",
                 str(data), "--out", str(tmp_path / "run"), "-q",
                 "phases=[{name: cmmm, max_steps: 4, batch_size: 4}]"]) == 143
    assert capsys.readouterr().err.strip().endswith(
        "motionlex train: terminated (the same command with --resume continues from the last "
        "checkpoint)")


@pytest.mark.parametrize(("code", "said"), [
    (errno.EFBIG, "a file grew past the size limit (ulimit -f, or the file system's largest "
                  "file) (File too large)"),
    (errno.ENOSPC, "no space left on the device (No space left on device)"),
])
def test_a_full_disk_names_what_was_being_written(repo_root, shared_data, tmp_path, capsys,
                                                  monkeypatch, code, said):
    """Probe: ``ulimit -f`` gave "motionlex index: error: [Errno 27] File too large" (NumPy and
    fsspec raise it without the file's name)."""
    import motionlex.core.retrieval.build as build

    def full(*a, **k):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(build, "write_index", full)
    out = tmp_path / "g.mlx"
    assert main(["index", "--checkpoint", str(repo_root / "resources" / "default_model"),
                 "--data", str(shared_data / "humanml3d_samples"), "--out", str(out),
                 "-q"]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"motionlex index: error: cannot write {out}: {said}")
