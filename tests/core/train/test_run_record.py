"""The config a training run was started with, and the resume check (core/train/run_record.py)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from motionlex.core.train.run_record import (
    RUN_CONFIG,
    check_resume_config,
    config_differences,
    write_run_config,
)
from motionlex.core.train.train_config import load_train_config


def test_differences_name_dotted_keys_list_items_and_missing_settings():
    started = {"seed": 0, "phases": [{"name": "lexmlm", "max_steps": 60},
                                     {"name": "lexcmlp", "max_steps": 200}],
               "objective": {"flops_max_weight": 0.003}, "old": 1}
    now = {"seed": 0, "phases": [{"name": "lexmlm", "max_steps": 60},
                                 {"name": "lexcmlp", "max_steps": 8}],
           "objective": {"flops_max_weight": 0.003, "new": True}}
    assert config_differences(started, now) == [
        "objective.new: not set (now True)", "old: 1 (now not set)",
        "phases.1.max_steps: 200 (now 8)"]
    assert config_differences(started, started) == []
    assert config_differences({"phases": [1, 2]}, {"phases": [1]}) == [
        "phases: [1, 2] (now [1])"]


def test_a_resume_with_another_config_is_refused(repo_root, tmp_path):
    cfg = load_train_config(repo_root / "configs" / "tiny.yaml", ["phases.3.max_steps=200"])
    check_resume_config(tmp_path, cfg)  # no record (an older run): not checked
    write_run_config(tmp_path, cfg)
    check_resume_config(tmp_path, cfg)  # the same config: fine
    plain = load_train_config(repo_root / "configs" / "tiny.yaml")
    with pytest.raises(ValueError, match=r"phases\.3\.max_steps: 200 \(now \d+\).*"
                                         r"--overwrite"):
        check_resume_config(tmp_path, plain)
    # a record from before a setting existed: it counts at its default; compile may change
    record = json.loads((tmp_path / RUN_CONFIG).read_text())
    del record["compile"], record["weight_decay_1d"]
    (tmp_path / RUN_CONFIG).write_text(json.dumps(record))
    check_resume_config(tmp_path, cfg)
    check_resume_config(tmp_path, dataclasses.replace(cfg, compile="inductor"))
    with pytest.raises(ValueError, match=r"weight_decay_1d: False \(now True\)"):
        check_resume_config(tmp_path, dataclasses.replace(cfg, weight_decay_1d=True))
    (tmp_path / RUN_CONFIG).write_text("{not json")
    with pytest.raises(ValueError, match=f"{RUN_CONFIG}: cannot read the config"):
        check_resume_config(tmp_path, cfg)


def test_a_phase_folder_without_its_exported_model_is_unfinished(tmp_path):
    """A phase counts as finished only when its model was exported into its folder (its
    config.json written last): a folder a killed export left half-written is run again."""
    from motionlex.core.train.run_record import phase_dir, unfinished_phases

    names = ["lexmlm", "lexcmlp"]
    assert unfinished_phases(tmp_path, names) == ["0-lexmlm", "1-lexcmlp"]
    phase_dir(tmp_path, 0, "lexmlm").mkdir(parents=True)
    (phase_dir(tmp_path, 0, "lexmlm") / "model.safetensors").write_bytes(b"half")
    assert unfinished_phases(tmp_path, names) == ["0-lexmlm", "1-lexcmlp"]
    (phase_dir(tmp_path, 0, "lexmlm") / "config.json").write_text("{}")
    assert unfinished_phases(tmp_path, names) == ["1-lexcmlp"]


def test_a_run_folder_lock_refuses_another_holder_at_once(tmp_path, monkeypatch, caplog):
    """``train`` holds OUT's lock (the one an index build takes, :func:`directory_lock`): a
    second run refuses at once, naming the folder and the lock; the command line's lock and
    ``train``'s own nest in one process; DDP ranks other than 0 take none."""
    import threading

    from motionlex.core.atomic import DirectoryBusyError, directory_lock
    from motionlex.core.train.run_record import run_folder_lock
    from motionlex.core.train.training import train

    out = tmp_path / "run"
    with run_folder_lock(out), run_folder_lock(out):  # the CLI, then train() inside
        pass
    held, release = threading.Event(), threading.Event()

    def holder() -> None:  # another process's run (a thread: its own flock descriptor)
        with directory_lock(out):
            held.set()
            release.wait()

    t = threading.Thread(target=holder)
    t.start()
    held.wait()
    try:
        busy = (rf"{out} is in use by another training run \(it holds the lock "
                rf"{tmp_path / '.run.lock'}\): wait for that run to finish")
        with pytest.raises(DirectoryBusyError, match=busy):
            with run_folder_lock(out):
                pass
        with pytest.raises(DirectoryBusyError, match=busy):  # before any data is read
            train(None, [tmp_path / "no data"], out)
        assert "waiting for another" not in caplog.text  # it does not wait: one line
        monkeypatch.setenv("LOCAL_RANK", "1")  # a launched rank writes nothing of OUT's
        with run_folder_lock(out):
            pass
    finally:
        release.set()
        t.join()
