"""Training pipeline on real data: batches, negatives, phases, export, resume."""

import json
import shutil

import numpy as np
import pytest
import torch

from motionlex.core.data.batches import unique_batches
from motionlex.core.data.collate import collate_pairs
from motionlex.core.data.pairs import composed_examples, compute_patch_stats, load_pair_examples
from motionlex.core.motion.skeleton import SMPL22
from motionlex.core.patches import part_resampling_matrix
from motionlex.core.train.training import (
    TrainConfig,
    TrainingRun,
    load_train_config,
    validation_metrics,
)


@pytest.fixture(scope="module")
def small_data(shared_data, tmp_path_factory):
    """A small real dataset: 60 Bandai train clips (many actions) and 16 val clips."""
    src = shared_data / "bandai"
    root = tmp_path_factory.mktemp("data") / "bandai_small"
    (root / "new_joints").mkdir(parents=True)
    (root / "texts").mkdir()
    train = [ln.strip() for ln in (src / "train.txt").read_text().splitlines()][::49][:60]
    val = [ln.strip() for ln in (src / "val.txt").read_text().splitlines()][::4][:16]
    for i in train + val:
        shutil.copy(src / "new_joints" / f"{i}.npy", root / "new_joints")
        shutil.copy(src / "texts" / f"{i}.txt", root / "texts")
    (root / "train.txt").write_text("\n".join(train) + "\n")
    (root / "val.txt").write_text("\n".join(val) + "\n")
    meta = json.loads((src / "meta.json").read_text())
    (root / "meta.json").write_text(json.dumps({i: meta[i] for i in train + val}))
    return root


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


def test_config_overrides_and_errors(repo_root, tmp_path):
    cfg = load_train_config(
        repo_root / "configs" / "tiny.yaml",
        ["lr_motion=0.01", "phases.0.max_steps=2", "model_overrides.embed_dim=32"],
    )
    assert cfg.lr_motion == 0.01 and cfg.phases[0].max_steps == 2
    assert cfg.model_overrides["embed_dim"] == 32
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    for name in ("cpu-small", "paper-base", "dense-baseline-cpu"):
        load_train_config(repo_root / "configs" / f"{name}.yaml")
    with pytest.raises(ValueError, match="unknown training config keys"):
        load_train_config(None, ["learning_rate=1"])
    with pytest.raises(ValueError, match="unknown phase"):
        TrainConfig.from_dict({"phases": ["pretrain"]})
    with pytest.raises(ValueError, match="key=value"):
        load_train_config(None, ["oops"])
    with pytest.raises(FileNotFoundError, match="training config not found"):
        load_train_config(tmp_path / "none.yaml")


@pytest.mark.slow
def test_each_phase_lowers_its_loss_on_real_data(examples):
    """A few optimiser steps of every phase on one fixed real batch lower that phase's loss."""
    from motionlex.core.model.model import create_model

    torch.manual_seed(0)
    stats = compute_patch_stats(examples)
    comp = composed_examples(examples, 4, np.random.default_rng(2))
    batch = collate_pairs(examples[:12] + comp, part_resampling_matrix(SMPL22), stats,
                          np.random.default_rng(0), negatives_per_caption=1)
    assert len(batch["negative_texts"]) > 0
    for phase in ("lexmlm", "cmmm", "lexmmm", "lexcmlp"):
        model = create_model("tiny")
        opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
        losses = []
        for _ in range(12):
            gen = torch.Generator().manual_seed(0)  # same masks each step: a fixed objective
            out = model.phase_loss(phase, batch, step=None, generator=gen)
            opt.zero_grad()
            out["loss"].backward()
            opt.step()
            losses.append(float(out["loss"].detach()))
        assert losses[-1] < 0.9 * losses[0], (phase, losses)


@pytest.mark.slow
def test_training_run_exports_loadable_model_and_resumes(small_data, repo_root, tmp_path):
    from motionlex.core.model.model import MotionTextModel

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
    for key in ("t2m/dense/R@1", "m2t/lexical/R@10", "t2m/dense/MedR", "CAR", "val/rsum"):
        assert key in val
    model = MotionTextModel.from_pretrained(out)
    again = validation_metrics(model, run.val_examples, run.stats, seed=cfg.seed)
    assert again["val/rsum"] == pytest.approx(val["val/rsum"], abs=1e-6)
    # resume: finished phases are skipped and loaded from their exports
    assert (tmp_path / "out" / "phases" / "3-lexcmlp" / "config.json").is_file()
    run2 = TrainingRun(cfg, [small_data], tmp_path / "out", progress=False)
    run2.fit(resume=True)
    assert not list((tmp_path / "out" / "logs").glob("version_4"))  # no phase was re-run


def test_mlmhead_phase_fits_only_the_head_on_real_captions(shared_data, repo_root):
    """mlmhead: masked-token loss through the MLM head goes down on real KIT-ML captions, the
    optimiser holds the head alone, and the text backbone (tied word embeddings included)
    is left exactly as it was."""
    from motionlex.core.data.datasets import read_caption_corpus
    from motionlex.core.model.model import create_model
    from motionlex.core.train.training import PhaseConfig, _lightning_module_class

    captions = read_caption_corpus(shared_data / "kitml_text", "train")[:32]
    torch.manual_seed(0)
    # the packaged all-MiniLM-L6-v2: a pretrained encoder whose MLM head starts untrained
    model = create_model("cpu-small", device="cpu", mlmhead_flops_weight=0.004)
    cfg = load_train_config(repo_root / "configs" / "tiny.yaml", ["lr_mlm_head=1e-5"])
    module = _lightning_module_class()(model, cfg, PhaseConfig("mlmhead", 20, 32))
    opt = module.configure_optimizers()["optimizer"]
    head = {id(p) for p in model.param_groups()["mlm_head"]}
    assert [g["name"] for g in opt.param_groups] == ["mlm_head"]
    assert {id(p) for p in opt.param_groups[0]["params"]} == head
    assert opt.param_groups[0]["initial_lr"] == pytest.approx(cfg.lr_heads)  # not lr_mlm_head
    backbone = {k: v.clone() for k, v in model.text.backbone.state_dict().items()}
    for g in opt.param_groups:
        g["lr"] = 1e-3  # past the warm-up
    losses = []
    for _ in range(15):
        gen = torch.Generator().manual_seed(0)
        out = model.phase_loss("mlmhead", {"texts": captions}, step=None, generator=gen)
        assert {"mlm_head", "flops", "flops_weight"} <= set(out)
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
        losses.append(float(out["mlm_head"]))
    assert losses[-1] < 0.7 * losses[0], losses
    for k, v in model.text.backbone.state_dict().items():
        assert torch.equal(v, backbone[k]), k
    # other phases give the head lr_mlm_head and train the rest too
    opt2 = _lightning_module_class()(model, cfg, PhaseConfig("lexmlm", 5, 8)).configure_optimizers()
    lrs = {g["name"]: g["initial_lr"] for g in opt2["optimizer"].param_groups}
    assert lrs["mlm_head"] == pytest.approx(1e-5) and lrs["text"] == pytest.approx(cfg.lr_text)
