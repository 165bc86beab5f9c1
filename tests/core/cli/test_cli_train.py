"""``motionlex train`` on the command line: what a run says at its end, what it refuses to
replace, and why a folder gave no training pairs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from motionlex.core.cli import main
from motionlex.core.cli.parser import build_parser

ONE_PHASE = "phases=[{name: lexcmlp, max_steps: 1, batch_size: 12, val_every: 1}]"


@pytest.fixture(scope="module")
def bandai_small(shared_data, make_subset, tmp_path_factory):
    """24 real Bandai train clips and 8 val clips."""
    src = shared_data / "bandai"
    train = src.joinpath("train.txt").read_text().split()[::49][:24]
    val = src.joinpath("val.txt").read_text().split()[::4][:8]
    root = tmp_path_factory.mktemp("data") / "bandai_small"
    return make_subset(src, root, train + val, {"train": train, "val": val})


def _train(repo_root, data, out, *flags: str, seed: int = 0) -> int:
    return main(["train", "--config", str(repo_root / "configs" / "tiny.yaml"), "--data",
                 str(data), "--out", str(out), "--max-steps", "1", *flags, ONE_PHASE,
                 f"seed={seed}"])


@pytest.mark.slow
def test_train_headline_refusal_and_a_retrained_index_checkpoint(bandai_small, repo_root,
                                                                  tmp_path, capfd,
                                                                  monkeypatch):
    """A run ends with its validation figures in one line and no Lightning hardware lines;
    it refuses to replace its model without --overwrite; an index built with the replaced
    model then says its checkpoint folder now holds another model (items 2 and 7)."""
    run = tmp_path / "run"
    assert _train(repo_root, bandai_small, run) == 0  # not --quiet: Lightning's INFO level
    out, err = capfd.readouterr()
    assert f"model written to {run / 'model'}" in out
    assert "best on validation (lexcmlp, step 1):\n  R@1 t2m / m2t: dense " in out
    assert f"all figures in {run / 'val_metrics.json'}" in out
    assert "GPU available" not in out + err and "TPU available" not in out + err

    idx = tmp_path / "g.mlx"
    assert main(["index", "--checkpoint", str(run / "model"), "--data", str(bandai_small),
                 "--split", "val", "--out", str(idx), "-q"]) == 0
    weights = (run / "model" / "model.safetensors").read_bytes()
    capfd.readouterr()
    assert _train(repo_root, bandai_small, run, "-q") == 2
    err = capfd.readouterr().err.strip()
    assert err == (f"motionlex train: error: {run / 'model'} already holds a trained model "
                   "(a finished run); give another --out, or --overwrite to replace it "
                   "(indexes built with it then need rebuilding)")  # --resume: nothing to do
    assert not (run / "checkpoints").exists()  # finished phases keep no Lightning checkpoint
    assert (run / "model" / "model.safetensors").read_bytes() == weights
    # an interrupted run (phase checkpoints, no model yet) is not silently trained over
    interrupted = tmp_path / "interrupted"  # (a phase's checkpoint, as Lightning names it)
    (interrupted / "checkpoints").mkdir(parents=True)
    (interrupted / "checkpoints" / "0-lexcmlp-last.ckpt").write_bytes(b"not read")
    saved = sorted(p.name for p in (interrupted / "checkpoints").glob("*.ckpt"))
    assert saved and _train(repo_root, bandai_small, interrupted, "-q") == 2
    assert capfd.readouterr().err.strip() == (
        f"motionlex train: error: {interrupted} holds an interrupted run (checkpoints "
        f"{', '.join(saved)}); --resume to continue it, --overwrite to train again from the "
        f"start, or another --out")

    # interrupted after a validation export: OUT/model holds its best model so far, and the
    # refusal says it is an interrupted run (it read as a finished model to --overwrite)
    shutil.copytree(run / "phases", tmp_path / "phases-kept")
    last = sorted((run / "phases").iterdir())[-1]
    shutil.rmtree(last)
    assert _train(repo_root, bandai_small, run, "-q") == 2
    err = capfd.readouterr().err
    assert f"{run} holds an interrupted run (phase {last.name} of its " in err
    assert f"{run / 'model'} holds its best model so far); --resume to continue it" in err
    shutil.copytree(tmp_path / "phases-kept" / last.name, last)
    stale = run / "checkpoints" / "9-stale-last.ckpt"  # from the run being replaced
    stale.parent.mkdir()
    stale.write_bytes(b"old run")
    assert _train(repo_root, bandai_small, run, "--overwrite", "-q", seed=1) == 0
    assert (run / "model" / "model.safetensors").read_bytes() != weights
    # --overwrite started over: no checkpoint of the old run is left for a --resume
    assert not stale.exists()
    # and only this run's logs: one version folder for its one phase (ONE_PHASE)
    assert [p.name for p in (run / "logs").glob("version_*")] == ["version_0"]
    capfd.readouterr()
    retrained = (run / "model" / "model.safetensors").read_bytes()
    import motionlex.core.train.training as training

    def no_data_loading(*a, **kw):
        raise AssertionError("a finished run's resume loaded its data (~20 s) for nothing")

    monkeypatch.setattr(training, "TrainingRun", no_data_loading)
    # a resume with another config than the run's (its seed) is refused, naming it
    assert _train(repo_root, bandai_small, run, "--resume", "-q") == 2
    assert "seed: 1 (now 0)" in capfd.readouterr().err
    assert _train(repo_root, bandai_small, run, "--resume", "-q", seed=1) == 0  # all done
    monkeypatch.undo()
    out = capfd.readouterr().out
    assert f"model unchanged in {run / 'model'}" in out and "model written" not in out
    assert (run / "model" / "model.safetensors").read_bytes() == retrained
    for argv in (["search", "a person walks", "--index", str(idx)],
                 ["index", "--data", str(bandai_small), "--split", "val", "--out", str(idx),
                  "-q"]):
        assert main(argv) == 2
        err = capfd.readouterr().err
        assert f"its checkpoint folder {run / 'model'} now holds another model" in err, err
        assert err.rstrip().endswith(f"motionlex index --out {idx} --rebuild"), err
        assert "the given model" not in err and "use the checkpoint it was built with" not in err


def test_resume_and_overwrite_exclude_each_other(capsys):
    p = build_parser()
    base = ["train", "--config", "c.yaml", "--data", "d", "--out", "o"]
    assert p.parse_args(base + ["--overwrite"]).overwrite
    with pytest.raises(SystemExit) as e:
        p.parse_args(base + ["--resume", "--overwrite"])
    assert e.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def test_no_training_pairs_says_what_each_folder_holds(shared_data, repo_root, tmp_path,
                                                       capsys):
    """cmu_extra has no train.txt or val.txt (it was left out with a log line while the
    other folders trained); the 5 train motions of humanml3d_samples have no caption files
    (item 3)."""
    out = tmp_path / "run"
    assert main(["train", "--config", str(repo_root / "configs" / "tiny.yaml"),
                 "--data", str(shared_data / "cmu_extra"),
                 "--data", str(shared_data / "humanml3d_samples"), "--out", str(out),
                 "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"motionlex train: error: {shared_data / 'cmu_extra'} has no "
                          "train.txt or val.txt: training reads those splits")
    # what to write in them: the folder's ids, the first few named
    n = len(list((shared_data / "cmu_extra" / "new_joints").glob("*.npy")))
    first = sorted(p.stem for p in (shared_data / "cmu_extra" / "new_joints").glob("*.npy"))[0]
    assert f"its {n} motions' ids are the names of its new_joints/*.npy files without the " \
           f"suffix: {first}, " in err  # a joints folder's ids, not BVH paths
    assert main(["train", "--config", str(repo_root / "configs" / "tiny.yaml"),
                 "--data", str(shared_data / "humanml3d_samples"), "--out", str(out),
                 "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("motionlex train: error: no training pairs: ")
    assert ("humanml3d_samples: 5 train motions, 0 with captions in texts/ (add texts/ID.txt, "
            "one caption a line)") in err
    assert not (out / "model").exists()
    # a folder that is no dataset at all (its texts/ folder) says so, not "no train.txt"
    # with a hint to a scan that fails too
    assert main(["train", "--config", str(repo_root / "configs" / "tiny.yaml"),
                 "--data", str(shared_data / "bandai" / "texts"), "--out", str(out),
                 "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "texts: not a motion dataset" in err and "train.txt" not in err


def test_headline_of_hand_built_metrics():
    from motionlex.core.cli.model import _headline

    assert _headline({}) == "" and _headline({"phase": "lexcmlp", "step": 3}) == ""
    line = _headline({"phase": "lexcmlp", "step": 40, "t2m/dense/R@1": 12.345,
                      "m2t/dense/R@1": 10.0, "t2m/lexical/R@1": 8.0, "fusion_weight": 0.75,
                      "val/rsum": 250.04})
    # one idea per line, rsum said (CLI audit 36 U1, P5: a 600-character line before)
    assert line.splitlines() == [
        "best on validation (lexcmlp, step 40):",
        "  R@1 t2m / m2t: dense 12.3 / 10.0 %, lexical 8.0 / - %",
        "  fusion weight 0.75: fused = 0.75 x dense + 0.25 x lexical / the query's best "
        "lexical score",
        "  rsum 250.0 (dense R@1 + R@5 + R@10 of t2m and m2t), which chose this model"]
    # fused as search and describe define it (CLI audit 37 N9: "0.75 dense + 0.25 lexical")
    assert _headline({"t2m/dense/R@1": 1.0, "val/rsum": 3.0}, "val/t2m/dense/R@1").endswith(
        "\n  rsum 3.0 (dense R@1 + R@5 + R@10 of t2m and m2t; the config's "
        "monitor=val/t2m/dense/R@1 chose this model)")
    # a weight of 1 read as a fused figure of its own (CLI/science audit 35)
    assert _headline({"t2m/dense/R@1": 1.0, "fusion_weight": 1.0}).endswith(
        "fused = 1.00 x dense + 0.00 x lexical / the query's best lexical score (dense alone)")
    line = _headline({"t2m/dense/R@1": 50.0, "CAR": 33.9, "CAR/chance": 50.0,
                      "CAR/event->event/dense": 52.3})
    # what the headline compares, beside the form-matched figure (audit 32: 85 % vs 52 %)
    assert ("\n  CAR 33.9 % (original caption vs its shuffled events, whose wording differs "
            "too; order alone, event->event: 52.3 %; chance 50 %)") in line
    line = _headline({"t2m/dense/R@1": 72.0, "n/texts": 160.0, "n/motions": 120.0,
                      "n/composed": 100.0})  # the gallery named: not evaluate's split alone
    assert line.endswith("\n  over 160 captions and 120 motions (the val splits of every "
                         "--data folder + 100 composed pairs)")
    small = _headline({"t2m/dense/R@1": 100.0, "n/texts": 1.0, "n/motions": 1.0,
                       "fusion_weight": 0.5})  # a 1-motion val split: R@1 100 % by itself
    assert small.endswith("\nnote: validation on 1 motion says little: the chosen step and the "
                          "fusion weight rest on it (give --data folders with larger val splits)")


def test_ctrl_c_during_training_is_interrupted_with_the_resume_hint(bandai_small, repo_root,
                                                                     tmp_path, capsys,
                                                                     monkeypatch):
    """Lightning answers Ctrl-C with a graceful shutdown that ends in ``exit(1)``; the CLI
    says "interrupted" (exit 130) and how to continue, as for every command."""
    import lightning.pytorch as pl
    from lightning.pytorch.trainer.states import TrainerStatus

    def interrupted_fit(self, *args, **kwargs):
        self.state.status = TrainerStatus.INTERRUPTED  # what Lightning sets on Ctrl-C
        raise SystemExit(1)

    monkeypatch.setattr(pl.Trainer, "fit", interrupted_fit)
    assert _train(repo_root, bandai_small, tmp_path / "run", "-q") == 130
    err = capsys.readouterr().err.strip()
    # before the first step nothing is saved: no --resume promised (training audit 35 D7)
    assert err == ("motionlex train: interrupted (before the first step: nothing was saved; "
                   "run the same command again)")
    assert not (tmp_path / "run" / "model" / "config.json").exists()  # nothing exported

    def interrupted_after_a_checkpoint(self, *args, **kwargs):
        ckpt = tmp_path / "run2" / "checkpoints"
        ckpt.mkdir(parents=True, exist_ok=True)
        (ckpt / "1-lexcmlp-last.ckpt").write_bytes(b"state")  # what the callback writes
        return interrupted_fit(self)

    monkeypatch.setattr(pl.Trainer, "fit", interrupted_after_a_checkpoint)
    assert _train(repo_root, bandai_small, tmp_path / "run2", "-q") == 130
    assert capsys.readouterr().err.strip() == (
        "motionlex train: interrupted (the same command with --resume continues from the "
        "last checkpoint)")


def test_a_second_run_into_one_out_refuses_at_once(bandai_small, repo_root, tmp_path, capsys):
    """Two runs into one OUT both exited 0 and the later export silently replaced the other
    run's model (their checkpoints and logs mixed). A run holds OUT's lock (as an index build
    holds its folder's): another process holding it makes this run refuse at once, with one
    line naming the folder, whatever the flags (--overwrite would delete the live run's
    checkpoints)."""
    import subprocess
    import sys

    run = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\n"
         "from motionlex.core.atomic import directory_lock\n"
         f"with directory_lock({str(run)!r}):\n"
         "    print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        for flags in ((), ("--overwrite",), ("--resume",)):
            assert _train(repo_root, bandai_small, run, "-q", *flags) == 2
            err = capsys.readouterr().err.strip()
            assert err == (f"motionlex train: error: {run} is in use by another training run "
                           f"(it holds the lock {tmp_path / '.run.lock'}): wait for that run to "
                           "finish, or give another --out"), err
        assert not run.exists() or not any(run.iterdir())
    finally:
        holder.communicate("")
    assert holder.returncode == 0


def test_the_second_process_of_a_launched_ddp_run_does_not_refuse_its_run(
        repo_root, tmp_path, monkeypatch, capsys):
    """``devices=2 strategy=ddp`` as the README gives it: Lightning's launcher runs the same
    command again in a second process (``LOCAL_RANK=1``) once the first has written
    ``OUT/run_config.json``. That process refused "holds an interrupted run" (exit 2) and
    the launcher killed the run on every new --out; only the first process checks OUT."""
    from motionlex.core.train import run_record, training
    from motionlex.core.train.train_config import load_train_config

    for key in ("RANK", "LOCAL_RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK"):
        monkeypatch.delenv(key, raising=False)
    ran = []

    def started(config, data, out, overrides=(), **kwargs):  # the phases up to the launch
        if run_record.launched_rank() == 0:
            run_record.write_run_config(out, load_train_config(config, overrides))
        ran.append(run_record.launched_rank())
        return Path(out) / "model"

    monkeypatch.setattr(training, "train", started)
    run = tmp_path / "run"
    ddp = ["devices=2", "strategy=ddp", "accelerator=cpu"]
    assert _train(repo_root, tmp_path, run, "-q", *ddp) == 0  # the first process
    assert run_record.recorded_unfinished(run) is not None  # OUT now holds a started run
    monkeypatch.setenv("LOCAL_RANK", "1")  # as the launcher starts the second
    assert _train(repo_root, tmp_path, run, "-q", *ddp) == 0, capsys.readouterr().err
    assert ran == [0, 1]
    monkeypatch.delenv("LOCAL_RANK")  # a run started alone into that OUT still refuses
    assert _train(repo_root, tmp_path, run, "-q", *ddp) == 2
    assert f"{run} holds an interrupted run (phase " in capsys.readouterr().err


def test_a_val_split_equal_to_the_train_split_is_named(bandai_small, repo_root, tmp_path,
                                                       caplog):
    """Probe: train.txt == val.txt trained and chose its model on its training motions
    without a word."""
    import logging

    data = tmp_path / "same"
    shutil.copytree(bandai_small, data)
    shutil.copy(data / "train.txt", data / "val.txt")
    n = len(data.joinpath("train.txt").read_text().split())
    with caplog.at_level(logging.WARNING):
        assert _train(repo_root, data, tmp_path / "run", "-q") == 0
    assert (f"{data}: train.txt and val.txt share {n} of its {n} val ids (e.g. ") in caplog.text


def _interrupted_run(repo_root, data, out, monkeypatch) -> list[str]:
    """A real run of one 4-step phase stopped by Ctrl-C after step 3, validated and exported
    at step 2: ``out/checkpoints/0-lexcmlp-last.ckpt`` is Lightning's own (step 3)."""
    import lightning as L

    class CtrlC(L.Callback):
        def on_train_batch_end(self, trainer, *args) -> None:
            if trainer.global_step == 3:
                raise KeyboardInterrupt

    real = L.Trainer
    monkeypatch.setattr(L, "Trainer", lambda *a, **kw: real(
        *a, **{**kw, "callbacks": [*kw.get("callbacks", []), CtrlC()]}))
    argv = ["train", "--config", str(repo_root / "configs" / "tiny.yaml"), "--data", str(data),
            "--out", str(out), "-q",
            "phases=[{name: lexcmlp, max_steps: 4, batch_size: 12, val_every: 2}]"]
    assert main(argv) == 130
    monkeypatch.setattr(L, "Trainer", real)
    return [*argv, "--resume"]


@pytest.mark.slow
def test_resume_from_a_damaged_checkpoint_is_one_line_and_says_what_ran(
        bandai_small, repo_root, tmp_path, capsys, monkeypatch):
    """A phase checkpoint cut short, emptied, overwritten with random bytes or replaced by a
    pickle with a payload: ``train --resume`` said 54-59 lines of traceback (exit 1; audit A
    D1). Now one line names the file, the problem and what to do (exit 2), before the data
    loads, and no payload runs. A resume whose steps validate no better says which steps it
    trained, not "nothing was left to train" (audit A D4)."""
    import os

    import torch

    run = tmp_path / "run"
    argv = _interrupted_run(repo_root, bandai_small, run, monkeypatch)
    capsys.readouterr()
    ckpt = run / "checkpoints" / "0-lexcmlp-last.ckpt"
    good = ckpt.read_bytes()
    assert torch.load(ckpt, weights_only=True)["global_step"] == 3
    assert (run / "model" / "config.json").is_file()  # validated at step 2
    pwned = tmp_path / "PWNED"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {pwned}",))

    torch.save({"state_dict": {}, "global_step": 3, "x": Payload()}, tmp_path / "payload")
    rng = np.random.default_rng(0)
    end = "; delete it and --resume trains phase 0-lexcmlp again from its step 0 (finished " \
          "phases are kept), or --overwrite trains the whole run again"
    cut = "not a zip archive: cut short by a partial copy or a full disk, or not a PyTorch file"
    for damaged, problem in [
            (good[:-1000], cut), (b"", "an empty file"), (rng.bytes(5000), cut),
            (good[:len(good) // 2] + bytes(len(good) // 2) + good[-2000:], "a damaged archive"),
            ((tmp_path / "payload").read_bytes(), "pickled objects a weights-only load refuses, "
             "not run: a tampered or foreign file; Trying to load unsupported GLOBAL "
             "posix.system whose module posix is blocked")]:
        ckpt.write_bytes(damaged)
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"motionlex train: error: {ckpt}: not a readable training "
                              f"checkpoint ({problem}") and err.count("\n") == 1, err
        assert err.rstrip().endswith(end) and "weights_only" not in err, err
    assert not pwned.exists()

    ckpt.write_bytes(good)
    # whatever step 4 validates at, the model of step 2 stands (as when it was better)
    metrics = json.loads((run / "model" / "val_metrics.json").read_text())
    (run / "model" / "val_metrics.json").write_text(json.dumps({**metrics, "val/rsum": 1e9}))
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("trained step 4 of 0-lexcmlp; none validated better than the model "
                          f"already there: model unchanged in {run / 'model'}\n"), out
    assert main(argv) == 0  # now nothing is left: said as before
    assert capsys.readouterr().out.startswith(
        f"model unchanged in {run / 'model'} (nothing was left to train)")
