"""Training pipeline on real data: batches, negatives, phases, export, resume."""

import json
import logging

import numpy as np
import pytest
import torch

from motionlex.core.cli import main
from motionlex.core.data.batches import unique_batches
from motionlex.core.data.collate import collate_pairs
from motionlex.core.data.pairs import composed_examples, compute_patch_stats, load_pair_examples
from motionlex.core.model.factory import create_model
from motionlex.core.model.model import MotionTextModel
from motionlex.core.motion.skeleton import SMPL22
from motionlex.core.patches import part_resampling_matrix
from motionlex.core.retrieval.evaluate import validation_metrics
from motionlex.core.train import run_record
from motionlex.core.train.objectives import create_objective
from motionlex.core.train.train_config import load_train_config
from motionlex.core.train.training import TrainingRun, train


@pytest.fixture(scope="module")
def examples(small_data):
    return load_pair_examples([small_data], "train", progress=False)


def test_unique_batches_have_no_duplicate_motion_or_caption(examples):
    batches = unique_batches(examples, 16, np.random.default_rng(0))
    assert batches and all(len(b) == 16 for b in batches)
    for b in batches:
        assert len({examples[i].motion_id for i in b}) == 16
        assert len({examples[i].caption.lower() for i in b}) == 16
    again = unique_batches(examples, 16, np.random.default_rng(0))
    assert batches == again
    with pytest.raises(ValueError, match="batch_size"):
        unique_batches(examples, 0, np.random.default_rng(0))


def test_collate_builds_patches_and_car_negatives(examples):
    stats = compute_patch_stats(examples)
    comp = composed_examples(examples, 6, np.random.default_rng(1))
    assert comp and all(len(c.events) >= 2 for c in comp)
    items = examples[:10] + comp
    batch = collate_pairs(items, part_resampling_matrix(SMPL22), stats,
                          np.random.default_rng(0), negatives_per_caption=2)
    n = len(items)
    assert batch["patches"].shape == (n, 3, 224, 80) and batch["patches"].dtype == torch.float32
    assert batch["row_mask"].shape == (n, 14) and batch["row_mask"].dtype == torch.bool
    owners = batch["negative_owner"].tolist()
    assert len(owners) == len(batch["negative_texts"]) > 0
    assert set(owners) <= set(range(10, n))  # only multi-event captions get negatives
    for neg, o in zip(batch["negative_texts"], owners):
        assert neg != batch["texts"][o]
        # a negative has the same events as its owner, in another order
        words = lambda s: sorted(s.replace(",", " ").split())  # noqa: E731
        assert words(neg) == words(", then ".join(items[o].events))
    none = collate_pairs(items, part_resampling_matrix(SMPL22), stats,
                         np.random.default_rng(0), negatives_per_caption=0)
    assert none["negative_texts"] == [] and none["negative_owner"].shape == (0,)


@pytest.mark.slow
def test_each_phase_lowers_its_loss_on_real_data(examples):
    """A few optimiser steps of every phase on one fixed real batch lower that phase's loss."""
    torch.manual_seed(0)
    stats = compute_patch_stats(examples)
    comp = composed_examples(examples, 4, np.random.default_rng(2))
    batch = collate_pairs(examples[:12] + comp, part_resampling_matrix(SMPL22), stats,
                          np.random.default_rng(0), negatives_per_caption=1)
    assert len(batch["negative_texts"]) > 0
    for phase in ("lexmlm", "cmmm", "lexmmm", "lexcmlp", "dense"):
        model = create_model("tiny")
        objective = create_objective(phase, model)
        params = list(model.parameters()) + list(objective.parameters())
        opt = torch.optim.AdamW(params, lr=2e-3)
        losses = []
        for _ in range(12):
            gen = torch.Generator().manual_seed(0)  # same masks each step: a fixed objective
            out = objective(model, batch, step=None, generator=gen)
            opt.zero_grad()
            out["loss"].backward()
            opt.step()
            losses.append(float(out["loss"].detach()))
        assert losses[-1] < 0.9 * losses[0], (phase, losses)


@pytest.mark.slow
def test_training_run_exports_loadable_model_and_resumes(small_data, repo_root, tmp_path,
                                                          caplog):
    cfg = load_train_config(repo_root / "configs" / "tiny.yaml", [
        "phases.0.max_steps=2", "phases.1.max_steps=2", "phases.2.max_steps=2",
        "phases.3.max_steps=4", "phases.3.val_every=2", "phases.3.batch_size=12", "compose_p=0.25",
    ])
    run = TrainingRun(cfg, [small_data], tmp_path / "out", progress=False)
    assert any(e.motion_id.startswith("composed:") for e in run.val_examples)
    out = run.fit()
    assert (out / "config.json").is_file() and (out / "model.safetensors").is_file()
    stats = json.loads((out / "patch_stats.json").read_text())
    assert "bandai_small/train" in stats["source"]
    val = json.loads((out / "val_metrics.json").read_text())
    for key in ("t2m/dense/R@1", "m2t/lexical/R@10", "t2m/dense/MedR", "CAR", "val/rsum",
                "t2m/fused/R@1", "m2t/fused/MedR", "fusion_weight"):
        assert key in val
    # audit 32: the run folder's copy is the model's (phase and step included), counts ints
    assert (tmp_path / "out" / "val_metrics.json").read_text() == \
        (out / "val_metrics.json").read_text()
    assert type(val["n/texts"]) is int and type(val["CAR/n"]) is int
    for version in range(4):  # one CSV log per phase, short phases too (2-4 steps)
        log = tmp_path / "out" / "logs" / f"version_{version}" / "metrics.csv"
        assert log.is_file() and len(log.read_text().splitlines()) >= 2, log
    head = log.read_text().splitlines()[0].split(",")  # the last phase: LexCMLP's groups
    assert {"lr-AdamW/text", "lr-AdamW/motion", "lr-AdamW/heads"} <= set(head), head
    model = MotionTextModel.from_pretrained(out)
    again = validation_metrics(model, run.val_examples, run.stats)
    assert again["val/rsum"] == pytest.approx(val["val/rsum"], abs=1e-6)
    # resume: finished phases are skipped and loaded from their exports
    assert (tmp_path / "out" / "phases" / "3-lexcmlp" / "config.json").is_file()
    run2 = TrainingRun(cfg, [small_data], tmp_path / "out", progress=False)
    with caplog.at_level(logging.WARNING, logger="motionlex.core.train.training"):
        run2.fit(resume=True)
    assert not list((tmp_path / "out" / "logs").glob("version_4"))  # no phase was re-run
    assert "nothing to resume" in caplog.text and "all 4 phases had finished" in caplog.text
    assert "settings given now do not extend a finished phase" in caplog.text
    assert not (tmp_path / "out" / "checkpoints").exists()  # each deleted as its phase ended
    caplog.clear()  # --resume on a folder where no run started: one note, not one per phase
    with caplog.at_level(logging.WARNING, logger="motionlex.core.train.training"):
        TrainingRun(cfg, [small_data], tmp_path / "fresh", progress=False).fit(max_steps=1,
                                                                              resume=True)
    assert "nothing to resume" in caplog.text and "starts from step 0" not in caplog.text


def test_a_run_without_validation_replaces_an_earlier_runs_model(shared_data, make_subset,
                                                                  repo_root, tmp_path, caplog):
    """Without a validation split the last model is exported, also over an earlier run's
    model in the same OUT (it used to stay, while the CLI said "model written")."""
    src = shared_data / "bandai"
    ids = [ln.strip() for ln in (src / "train.txt").read_text().splitlines()]
    first = make_subset(src, tmp_path / "first", ids[:12], {"train": ids[:12]})
    second = make_subset(src, tmp_path / "second", ids[100:112], {"train": ids[100:112]})
    cfg = load_train_config(repo_root / "configs" / "tiny.yaml", ["compose_p=0"])
    cfg = cfg.__class__.from_dict({**cfg.to_dict(), "phases": [
        {"name": "lexmmm", "max_steps": 1, "batch_size": 8}]})
    out = tmp_path / "out"
    TrainingRun(cfg, [first], out, progress=False).fit()
    recorded = json.loads((out / "model" / "train_config.json").read_text())["data"]
    assert recorded == [str(first)]
    with caplog.at_level("WARNING"):
        TrainingRun(cfg, [second], out, progress=False).fit()
    assert "already holds a trained model" in caplog.text
    # the first run had finished: --resume would only say so (CLI audit 36 U5)
    assert "--resume continues" not in caplog.text
    recorded = json.loads((out / "model" / "train_config.json").read_text())["data"]
    assert recorded == [str(second)]
    assert json.loads((out / "model" / "val_metrics.json").read_text())["step"] == 1
    assert json.loads((out / "val_metrics.json").read_text()) == {}  # not the first run's


def test_the_exported_config_records_what_ran(shared_data, make_subset, repo_root, tmp_path,
                                              caplog, monkeypatch, capfd):
    """train_config.json is the run's provenance: --max-steps caps the recorded phases, the
    --init model is named, the software versions are recorded, and an --init model that is
    not the config's says so."""
    src = shared_data / "bandai"
    ids = [ln.strip() for ln in (src / "train.txt").read_text().splitlines()][:12]
    data = make_subset(src, tmp_path / "d", ids, {"train": ids})
    phase = "phases=[{name: lexmmm, max_steps: 5, batch_size: 8}]"
    import logging

    from motionlex.core.train import quiet

    monkeypatch.setattr(quiet, "_SET_UP", [])  # as in a fresh process (a CLI test set it up)
    level = logging.getLogger("lightning.pytorch").level
    with caplog.at_level("INFO"):
        first = train(repo_root / "configs" / "tiny.yaml", [data], tmp_path / "a",
                      overrides=["compose_p=0", phase], max_steps=1, progress=False)
    assert logging.getLogger("lightning.pytorch").level == level  # quiet for that run only
    out, err = capfd.readouterr()  # progress=False from Python: no Lightning chatter either
    said = out + err + caplog.text
    assert not any(s in said for s in ("Tip:", "GPU available", "litlogger")), said
    caplog.clear()
    recorded = json.loads((first / "train_config.json").read_text())
    assert recorded["phases"][0]["max_steps"] == 1 and recorded["init"] is None
    import torch

    software = recorded["software"]  # what decided its vocabulary and events, too
    assert software["torch"] == torch.__version__ and software["spacy_model"].startswith("en_")
    more = [ln.strip() for ln in (src / "train.txt").read_text().splitlines()][40:52]
    other = make_subset(src, tmp_path / "e", more, {"train": more})
    monkeypatch.chdir(tmp_path)  # --init given relative: recorded absolute, as --data is
    with caplog.at_level("INFO"):
        second = train(repo_root / "configs" / "tiny.yaml", [other], tmp_path / "b",
                       overrides=["compose_p=0", phase, "model_overrides.embed_dim=48"],
                       max_steps=1, init=first.relative_to(tmp_path), progress=False)
    # it said "'tiny' replaces the config's model 'tiny'"; the config's lexical_vocabulary
    # (corpus, as --init's) goes unnamed
    assert "keeps its own architecture: the config's model_overrides ['embed_dim'] are not " \
        "applied" in caplog.text
    assert json.loads((second / "train_config.json").read_text())["init"] == str(
        first.resolve())
    # fine-tuning keeps the --init model's input normalisation, not other data's statistics
    assert "patch statistics of --init" in caplog.text
    kept, own = (json.loads((d / "patch_stats.json").read_text()) for d in (second, first))
    assert kept == own and own["source"] == "d/train"
    load_train_config(second / "train_config.json")  # the record still loads as a config


def test_setup_shows_a_bar_between_loading_and_the_first_phase(small_data, repo_root,
                                                              capsys):
    """Audit 32: 20-45 s of silence after the loading bars (spaCy parsing the captions,
    composition, statistics, the vocabulary): each now has a bar on stderr."""
    cfg = load_train_config(repo_root / "configs" / "tiny.yaml", [])
    TrainingRun(cfg, [small_data], "unused-out", progress=True)
    err = capsys.readouterr().err
    for step in ("parsing captions", "preparing: composed pairs", "preparing: patch statistics",
                 "preparing: model and caption vocabulary"):
        assert step in err, step


@pytest.mark.slow
def test_dense_baseline_phase_trains_and_exports(small_data, repo_root, tmp_path):
    """The MotionPatch baseline (phase ``dense``) runs through Lightning and exports a model
    validated on retrieval."""
    cfg = load_train_config(repo_root / "configs" / "tiny.yaml", [
        "negatives_per_caption=0",
    ])
    cfg = cfg.__class__.from_dict({**cfg.to_dict(), "phases": [
        {"name": "dense", "max_steps": 3, "batch_size": 12, "val_every": 3}]})
    run = TrainingRun(cfg, [small_data], tmp_path / "out", progress=False)
    before = {k: v.clone() for k, v in run.model.motion_proj.state_dict().items()}
    out = run.fit()
    assert (out / "model.safetensors").is_file()
    val = json.loads((out / "val_metrics.json").read_text())
    assert val["phase"] == "dense" and "val/rsum" in val
    after = MotionTextModel.from_pretrained(out, device="cpu").motion_proj.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)


@pytest.mark.slow
def test_motionlex_train_from_the_command_line(small_data, repo_root, tmp_path, capsys):
    code = main([
        "train", "--config", str(repo_root / "configs" / "tiny.yaml"), "--data", str(small_data),
        "--out", str(tmp_path / "run"), "--max-steps", "2", "--quiet",
        "phases.3.val_every=2", "phases.3.batch_size=12",
    ])
    assert code == 0
    assert "model written to" in capsys.readouterr().out
    model = MotionTextModel.from_pretrained(tmp_path / "run" / "model", device="cpu")
    assert model.config.name == "tiny"
    assert main(["train", "--config", str(tmp_path / "none.yaml"), "--data", str(small_data),
                 "--out", str(tmp_path / "x")]) == 2


@pytest.mark.slow
def test_resume_continues_a_phase_from_its_lightning_checkpoint(
    small_data, repo_root, tmp_path, monkeypatch
):
    """A phase interrupted mid-way resumes from ``<phase>-last.ckpt`` (model, decoders,
    optimiser, step), loaded with ``weights_only=True``, and finishes its step budget."""
    import lightning as L

    overrides = ["phases.0.max_steps=4", "phases.0.batch_size=8"]
    cfg = load_train_config(repo_root / "configs" / "tiny.yaml", overrides)
    cfg = cfg.__class__.from_dict({**cfg.to_dict(), "phases": [cfg.to_dict()["phases"][2]]})
    assert cfg.phases[0].name == "lexmmm"  # a phase with its own decoder

    class Interrupt(L.Callback):
        def on_train_batch_end(self, trainer, *args) -> None:
            if trainer.global_step == 3:  # checkpoints run last: step 2 is saved, not 3
                raise RuntimeError("interrupted")

    real_trainer = L.Trainer

    def trainer_with_interrupt(*args, **kwargs):
        kwargs["callbacks"] = [*kwargs.get("callbacks", []), Interrupt()]
        return real_trainer(*args, **kwargs)

    out = tmp_path / "out"
    monkeypatch.setattr(L, "Trainer", trainer_with_interrupt)
    with pytest.raises(RuntimeError, match="interrupted"):
        TrainingRun(cfg, [small_data], out, progress=False).fit()
    ckpt = out / "checkpoints" / "0-lexmmm-last.ckpt"
    assert ckpt.is_file() and not (out / "phases" / "0-lexmmm").exists()
    state = torch.load(ckpt, map_location="cpu", weights_only=True)  # no pickled objects
    assert state["global_step"] == 2
    # where its batches resume: epoch 0 after its first 2 batches (phase_data.PhaseLoader)
    assert state["loops"]["fit_loop"]["state_dict"]["combined_loader"] == [
        {"epoch": 0, "next_batch": 2}]
    assert any(k.startswith("objective.decoder.") for k in state["state_dict"])
    monkeypatch.setattr(L, "Trainer", real_trainer)

    seen_fit = {}
    real_fit = L.Trainer.fit

    def spy_fit(self, *args, **kwargs):
        seen_fit.update(kwargs)
        out = real_fit(self, *args, **kwargs)
        seen_fit["global_step"] = self.global_step
        return out

    monkeypatch.setattr(L.Trainer, "fit", spy_fit)
    # another step budget than the run was started with: refused before anything runs (the
    # interrupted phase was "finished" at the new budget and its steps left were dropped)
    other = cfg.__class__.from_dict({**cfg.to_dict(), "phases": [
        {**cfg.to_dict()["phases"][0], "max_steps": 2}]})
    with pytest.raises(ValueError, match=r"another config than this one \(phases\.0\."
                                         r"max_steps: 4 \(now 2\)"):
        TrainingRun(other, [small_data], out, progress=False).fit(resume=True)
    assert not seen_fit
    TrainingRun(cfg, [small_data], out, progress=False).fit(resume=True)
    assert seen_fit["ckpt_path"] == str(ckpt) and seen_fit["weights_only"] is True
    assert (out / "phases" / "0-lexmmm" / "config.json").is_file()
    assert seen_fit["global_step"] == 4  # from step 2 to the budget's end
    # the finished phase's checkpoint (model + optimiser state) is gone: its model is in
    # phases/, and a finished run kept hundreds of MB of them
    assert not ckpt.exists() and not (out / "checkpoints").exists()


def test_ctrl_c_saves_a_checkpoint_at_the_step_reached(small_data, repo_root, tmp_path,
                                                      monkeypatch):
    """Audit 32: Ctrl-C / SIGTERM kept only the last quarter-phase checkpoint (step 6 of 7,
    12 of 15). A KeyboardInterrupt (the CLI's SIGTERM too) now saves the step reached, and
    ``--resume`` continues from it to the phase's end."""
    import lightning as L

    cfg = load_train_config(repo_root / "configs" / "tiny.yaml", ["compose_p=0"])
    cfg = cfg.__class__.from_dict({**cfg.to_dict(), "phases": [
        {"name": "lexmmm", "max_steps": 8, "batch_size": 8}]})  # periodic: every 2 steps

    class CtrlC(L.Callback):
        def on_train_batch_end(self, trainer, *args) -> None:
            if trainer.global_step == 3:  # before the periodic checkpoints run (step 2 kept)
                raise KeyboardInterrupt

    real_trainer = L.Trainer
    monkeypatch.setattr(L, "Trainer", lambda *a, **kw: real_trainer(
        *a, **{**kw, "callbacks": [*kw.get("callbacks", []), CtrlC()]}))
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        TrainingRun(cfg, [small_data], out, progress=False).fit()
    ckpt = out / "checkpoints" / "0-lexmmm-last.ckpt"
    assert torch.load(ckpt, map_location="cpu", weights_only=True)["global_step"] == 3
    monkeypatch.setattr(L, "Trainer", real_trainer)
    steps = []
    real_fit = L.Trainer.fit

    def spy_fit(self, *args, **kwargs):
        real_fit(self, *args, **kwargs)
        steps.append(self.global_step)

    monkeypatch.setattr(L.Trainer, "fit", spy_fit)
    TrainingRun(cfg, [small_data], out, progress=False).fit(resume=True)
    assert steps == [8] and (out / "phases" / "0-lexmmm" / "config.json").is_file()


@pytest.mark.parametrize("setting, reason", [
    ("devices=0", "devices=0"), ("strategy=foo", "invalid strategy name"),
    ("precision=fp8", "Precision 'fp8' is invalid"), ("accelerator=mps", "mps"),
])
def test_device_settings_lightning_refuses_stop_the_run_before_loading(
        repo_root, tmp_path, capsys, setting, reason):
    """They ended in Lightning's traceback (exit 1) after the data had loaded; now one line
    naming the settings, exit 2, and nothing written."""
    out = tmp_path / "out"
    rc = main(["train", "--config", str(repo_root / "configs" / "tiny.yaml"),
               "--data", str(tmp_path / "not-even-read"), "--out", str(out), "-q", setting])
    err = capsys.readouterr().err
    assert rc == 2 and "Lightning refuses the training config's device settings" in err
    assert reason in err and "Traceback" not in err and not out.exists()


def _fit_interrupted(cfg, data, out, monkeypatch) -> None:
    """A run that fails at its last step, after the checkpoint of the step before (a
    finished phase deletes its checkpoint)."""
    import lightning as L

    class Interrupt(L.Callback):
        def on_train_batch_end(self, trainer, *args) -> None:
            if trainer.global_step == trainer.max_steps:  # checkpoints run after this
                raise RuntimeError("interrupted")

    real_trainer = L.Trainer

    def trainer_with_interrupt(*args, **kwargs):
        kwargs["callbacks"] = [*kwargs.get("callbacks", []), Interrupt()]
        return real_trainer(*args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(L, "Trainer", trainer_with_interrupt)
        with pytest.raises(RuntimeError, match="interrupted"):
            TrainingRun(cfg, [data], out, progress=False).fit()
    assert list((out / "checkpoints").glob("*.ckpt")) and not (out / "phases").exists()


def test_resuming_with_other_optimiser_groups_says_how(small_data, repo_root, tmp_path,
                                                       caplog, monkeypatch):
    """A run checkpointed with every parameter decayed (weight_decay_1d, the rule before
    2026-12-06) resumed under the new rule: one message naming the checkpoint and the
    setting that resumes it, not torch's bare optimiser error."""
    import shutil

    cfg = load_train_config(repo_root / "configs" / "tiny.yaml", ["compose_p=0"])
    old = cfg.__class__.from_dict({**cfg.to_dict(), "weight_decay_1d": True, "phases": [
        {"name": "lexcmlp", "max_steps": 2, "batch_size": 8}]})
    out = tmp_path / "out"
    _fit_interrupted(old, small_data, out, monkeypatch)  # after a checkpoint
    new = old.__class__.from_dict({**old.to_dict(), "weight_decay_1d": False})
    with pytest.raises(ValueError, match=r"weight_decay_1d: True \(now False\)"):
        TrainingRun(new, [small_data], out, progress=False).fit(resume=True)  # run_config.json
    (out / "run_config.json").unlink()  # a run from before the record: the optimiser says
    with pytest.raises(ValueError, match="resume it with weight_decay_1d=true"):
        TrainingRun(new, [small_data], out, progress=False).fit(resume=True)
    with caplog.at_level(logging.INFO, logger="motionlex.core.train.training"):
        TrainingRun(old, [small_data], out, progress=False).fit(resume=True)  # as it was: fine
    # asked for: said at INFO, not as a WARNING (audit 32)
    said = [r for r in caplog.records if "resuming phase 0-lexcmlp from its last" in r.message]
    assert said and all(r.levelno == logging.INFO for r in said)
    assert not (out / "checkpoints").exists()  # the phase finished: its checkpoint is gone
    shutil.rmtree(out / "phases")  # interrupted before the phase's first checkpoint, in a
    run_record.write_run_config(out, old)  # recorded run (without a record: a fresh run)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="motionlex.core.train.training"):
        TrainingRun(old, [small_data], out, progress=False).fit(resume=True)
    assert "phase 0-lexcmlp starts from step 0: no checkpoint of it was saved" in caplog.text
    out2 = tmp_path / "out2"  # the other way round: no advice to set what is already set
    _fit_interrupted(new, small_data, out2, monkeypatch)
    (out2 / "run_config.json").unlink()
    with pytest.raises(ValueError, match="resume it with the config it was started with"):
        TrainingRun(old, [small_data], out2, progress=False).fit(resume=True)


def test_a_corpus_vocabulary_run_allows_the_words_of_its_captions_and_text_corpora(
        small_data, shared_data, repo_root, tmp_path, caplog):
    """Every shipped config trains with ``lexical_vocabulary: corpus``: the run limits the
    lexical vectors to the words of its training captions plus its ``text_corpora`` (KIT-ML
    captions here), so a motion word that only the corpus has is allowed, and a word in
    neither is not."""
    from motionlex.core.data.text_files import read_caption_corpus
    from motionlex.core.model.lexical import corpus_vocabulary
    from motionlex.core.text.words import dictionary_inflection

    corpus = shared_data / "kitml_text"
    cfg = load_train_config(repo_root / "configs" / "tiny.yaml")
    cfg = cfg.__class__.from_dict({**cfg.to_dict(),
                                   "model_overrides": {"lexical_vocabulary": "corpus"},
                                   "text_corpora": [str(corpus)]})
    with caplog.at_level(logging.INFO, logger="motionlex.core.train.training"):
        run = TrainingRun(cfg, [small_data], tmp_path / "out", progress=False)
    own = [e.caption for e in load_pair_examples([small_data], "train", progress=False)]
    extra = read_caption_corpus(corpus, "train")
    tok = run.model.tokenizer
    want = corpus_vocabulary(own + extra, tok, known_inflection=dictionary_inflection)
    allowed = torch.nonzero(run.model.lexical_allowed).flatten().tolist()
    assert allowed == want
    assert torch.equal(run.model.lexical_columns(), torch.tensor(want))
    words_of = lambda caps: {w for c in caps for w in tok.tokenize(c.lower())}  # noqa: E731
    only_corpus = sorted(tok.convert_tokens_to_ids(w) for w in
                         words_of(extra) - words_of(own) if w.isalpha())
    assert set(only_corpus) & set(allowed)  # words the KIT-ML captions bring
    assert tok.convert_tokens_to_ids("banana") not in allowed
    assert f"lexical vocabulary: {len(want)} caption words" in caplog.text


def test_a_resume_warns_only_of_the_phase_it_lost_steps_of(small_data, repo_root, tmp_path,
                                                           caplog, monkeypatch):
    """Interrupted in its first phase (after a checkpoint), a resume continues that phase
    and starts the next at step 0 as planned: no "no checkpoint of it was saved" warning for
    a phase that never started (it warned for every later phase, as if work was lost)."""
    cfg = load_train_config(repo_root / "configs" / "tiny.yaml", ["compose_p=0"])
    cfg = cfg.__class__.from_dict({**cfg.to_dict(), "phases": [
        {"name": "lexmlm", "max_steps": 2, "batch_size": 8},
        {"name": "lexcmlp", "max_steps": 2, "batch_size": 8}]})
    out = tmp_path / "out"
    _fit_interrupted(cfg, small_data, out, monkeypatch)  # in phase 0, after a checkpoint
    with caplog.at_level(logging.INFO, logger="motionlex.core.train.training"):
        TrainingRun(cfg, [small_data], out, progress=False).fit(resume=True)
    assert "resuming phase 0-lexmlm from its last checkpoint" in caplog.text
    assert "starts from step 0" not in caplog.text
    assert (out / "phases" / "1-lexcmlp" / "config.json").is_file()  # the next phase ran
