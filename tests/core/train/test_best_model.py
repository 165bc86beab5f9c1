"""The model a training run exports (core/train/best_model.py): validation's choice kept
on resume, and an --init model no step beats."""

import json
import logging

import numpy as np
import pytest

from motionlex.core.train.train_config import load_train_config
from motionlex.core.train.training import TrainingRun


def test_resume_keeps_the_validated_model_and_its_metrics(small_data, repo_root, tmp_path):
    """A run resumed after its last checkpoint (the phase's done-marker never written) keeps
    the model validation chose, with its metrics (fusion weight included), unless it
    validates a better one; it never puts an unvalidated last model in its place."""
    import shutil

    cfg = load_train_config(repo_root / "configs" / "tiny.yaml", ["compose_p=0"])
    cfg = cfg.__class__.from_dict({**cfg.to_dict(), "phases": [
        {"name": "lexcmlp", "max_steps": 4, "batch_size": 8, "val_every": 2}]})
    out = tmp_path / "out"
    TrainingRun(cfg, [small_data], out, progress=False).fit()
    before = json.loads((out / "model" / "val_metrics.json").read_text())
    assert "fusion_weight" in before
    shutil.rmtree(out / "phases")
    # the exported model validated better than anything the resumed steps can reach (rsum
    # is at most 600): it must stay, weights and metrics
    before["val/rsum"] = 10_000.0
    (out / "model" / "val_metrics.json").write_text(json.dumps(before))
    weights = (out / "model" / "model.safetensors").read_bytes()
    run = TrainingRun(cfg, [small_data], out, progress=False)
    run.fit(resume=True)
    after = json.loads((out / "model" / "val_metrics.json").read_text())
    assert after == before and (out / "model" / "model.safetensors").read_bytes() == weights
    assert json.loads((out / "val_metrics.json").read_text())["val/rsum"] == after["val/rsum"]
    # a validation that gives NaN (a diverged model) never replaces a model
    assert not run.consider(run.model, {"val/rsum": float("nan")}, "lexcmlp", 9)
    assert json.loads((out / "model" / "val_metrics.json").read_text()) == before
    # a monitor that validation does not report (mistyped) would never export a model
    run.cfg = cfg.__class__.from_dict({**cfg.to_dict(), "monitor": "val/t2m/dense/R@1"})
    with pytest.raises(ValueError, match=r"monitor=val/t2m/dense/R@1 is not a validation "
                                         r"figure \(did you mean t2m/dense/R@1\?\)"):
        run.consider(run.model, after, "lexcmlp", 9)


def test_an_init_model_no_step_beats_is_the_one_exported(small_data, repo_root, tmp_path,
                                                          caplog):
    """A fine-tune from --init that only made the model worse exported its best step
    anyway (4 stage-4 steps: rsum 499 -> 485, unsaid): the --init model, validated before
    step 1, is the first candidate."""
    from safetensors.numpy import load_file

    cfg = load_train_config(repo_root / "configs" / "tiny.yaml", ["compose_p=0"])
    one = [{"name": "lexcmlp", "max_steps": 4, "batch_size": 8, "val_every": 4}]
    cfg = cfg.__class__.from_dict({**cfg.to_dict(), "phases": one})
    first = TrainingRun(cfg, [small_data], tmp_path / "a", progress=False).fit()
    wreck = cfg.__class__.from_dict({**cfg.to_dict(), "phases": [  # steps that only harm
        {**one[0], "max_steps": 2, "val_every": 2, "lr_scale": 3000.0}]})
    with caplog.at_level(logging.INFO, logger="motionlex.core.train.best_model"):
        out = TrainingRun(wreck, [small_data], tmp_path / "b", init=first,
                          progress=False).fit()
    assert "the --init model on validation" in caplog.text
    val = json.loads((out / "val_metrics.json").read_text())
    assert (val["phase"], val["step"]) == ("init", 0)
    assert val["val/rsum"] == pytest.approx(
        json.loads((first / "val_metrics.json").read_text())["val/rsum"], abs=1e-6)
    mine, theirs = (load_file(d / "model.safetensors") for d in (out, first))
    assert all(np.array_equal(mine[k], theirs[k]) for k in theirs)
    from motionlex.core.cli.model import _headline

    assert _headline(val).startswith("best on validation (the --init model itself: no step "
                                     "of this run beat it)")
    # the run's own file says how near its best step came; the seed and the fusion weight
    # the --init model had ride along (training audit 35: the same weights evaluated
    # differently, the fusion weight chosen again on this run's validation, unsaid)
    run_level = json.loads((tmp_path / "b" / "val_metrics.json").read_text())
    best = run_level["best_step"]
    assert (best["phase"], best["step"], best["monitor"]) == ("lexcmlp", 2, "val/rsum")
    assert best["score"] < val["val/rsum"] and run_level["seed"] == cfg.seed == val["seed"]
    assert val["init_fusion_weight"] == json.loads(
        (first / "val_metrics.json").read_text())["fusion_weight"]
    line = _headline({**run_level, "fusion_weight": 0.75, "init_fusion_weight": 0.6})
    assert (f"no step of this run beat it; its best step, lexcmlp step 2, scored val/rsum "
            f"{best['score']:.1f})") in line
    assert ("the weights are the --init model's, the fusion weight chosen again on this "
            "run's validation, 0.60 before)") in line and f"seed {cfg.seed}" in line


def test_a_fine_tune_adds_its_caption_words_to_the_init_vocabulary(small_data, repo_root,
                                                                    tmp_path, caplog):
    """--init kept the init model's lexical words only: "clap" and "dash", which the
    vocabulary rule once missed (WordPiece splits "claps" into "clap", "##s"), could never be
    learned by continuing training. A fine-tune keeps every word its model had and adds its
    own captions' words."""
    from motionlex.core.model.factory import create_model
    from motionlex.core.model.lexical import corpus_vocabulary
    from motionlex.core.patches import PatchStats

    model = create_model("tiny", lexical_vocabulary="corpus")
    had = [model.vocabulary.index(w) for w in ("walks", "zebra")]
    model.set_lexical_vocabulary(had)
    init = model.save_pretrained(tmp_path / "init", extra_json={
        "patch_stats.json": PatchStats.identity().to_dict()})
    cfg = load_train_config(repo_root / "configs" / "tiny.yaml", ["compose_p=0"])
    with caplog.at_level(logging.INFO, logger="motionlex.core.train.training"):
        run = TrainingRun(cfg, [small_data], tmp_path / "out", init=init, progress=False)
    allowed = set(np.flatnonzero(run.model.lexical_allowed.numpy()).tolist())
    own = set(corpus_vocabulary(run._training_captions(), run.model.tokenizer))
    assert allowed == own | set(had)  # "zebra" (no Bandai caption has it) stays
    assert run.model.vocabulary.index("dash") in allowed  # Bandai's "dashes": a stem
    assert f"caption words join the --init model's {len(had)}" in caplog.text
