"""The LightningModule of a phase and its learning-rate schedule (core/train/module.py)."""

from __future__ import annotations

import math

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint

from motionlex.core.data.text_files import read_caption_corpus
from motionlex.core.model.factory import create_model
from motionlex.core.train.module import MotionTextModule, lr_factor
from motionlex.core.train.objective import ObjectiveConfig
from motionlex.core.train.objectives import create_objective
from motionlex.core.train.phase_data import TextBatches
from motionlex.core.train.train_config import PhaseConfig, load_train_config


def test_lr_factor_warms_up_then_decays_to_the_floor() -> None:
    assert lr_factor(0, 4, 20) == pytest.approx(1 / 5)  # never 0: the first step moves
    assert lr_factor(3, 4, 20) == pytest.approx(4 / 5)
    assert lr_factor(4, 4, 20) == pytest.approx(1.0)
    assert lr_factor(12, 4, 20) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi / 2)))
    assert lr_factor(20, 4, 20) == pytest.approx(0.1)
    assert lr_factor(500, 4, 20) == pytest.approx(0.1)  # clipped after the budget


def test_lr_factor_differs_from_transformers_cosine_schedule() -> None:
    """Why ours is kept: transformers' schedule warms up from 0 and decays to 0."""
    from transformers import get_cosine_schedule_with_warmup

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    theirs = get_cosine_schedule_with_warmup(opt, 4, 20).lr_lambdas[0]
    assert theirs(0) == 0.0 and lr_factor(0, 4, 20) > 0
    assert theirs(20) == pytest.approx(0.0) and lr_factor(20, 4, 20) == pytest.approx(0.1)


def test_mlmhead_phase_fits_only_the_head_on_real_captions(shared_data, repo_root):
    """mlmhead: masked-token loss through the MLM head goes down on real KIT-ML captions, the
    optimiser holds the head alone, and the text backbone (tied word embeddings included)
    is left exactly as it was."""
    captions = read_caption_corpus(shared_data / "kitml_text", "train")[:32]
    torch.manual_seed(0)
    # the packaged all-MiniLM-L6-v2: a pretrained encoder whose MLM head starts untrained
    model = create_model("cpu-small", device="cpu")
    cfg = load_train_config(repo_root / "configs" / "tiny.yaml", ["lr_mlm_head=1e-5"])
    objective = create_objective("mlmhead", model, ObjectiveConfig(mlmhead_flops_weight=0.004))
    module = MotionTextModule(model, objective, cfg, PhaseConfig("mlmhead", 20, 32))
    opt = module.configure_optimizers()["optimizer"]
    head = {id(p) for p in model.param_groups()["mlm_head"]}
    assert [g["name"] for g in opt.param_groups] == ["mlm_head", "mlm_head/no_decay"]
    assert {id(p) for g in opt.param_groups for p in g["params"]} == head
    assert all(g["initial_lr"] == pytest.approx(cfg.lr_heads)  # not lr_mlm_head
               for g in opt.param_groups)
    # matrices decay; biases and norm gains do not (open_clip, timm)
    assert all(p.ndim >= 2 for p in opt.param_groups[0]["params"])
    assert all(p.ndim < 2 for p in opt.param_groups[1]["params"])
    assert opt.param_groups[0]["weight_decay"] == cfg.weight_decay > 0
    assert opt.param_groups[1]["weight_decay"] == 0.0
    backbone = {k: v.clone() for k, v in model.text.backbone.state_dict().items()}
    for g in opt.param_groups:
        g["lr"] = 1e-3  # past the warm-up
    losses = []
    for _ in range(15):
        gen = torch.Generator().manual_seed(0)
        out = objective(model, {"texts": captions}, step=None, generator=gen)
        assert {"mlm_head", "flops", "flops_weight"} <= set(out)
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
        losses.append(float(out["mlm_head"]))
    assert losses[-1] < 0.7 * losses[0], losses
    for k, v in model.text.backbone.state_dict().items():
        assert torch.equal(v, backbone[k]), k
    # other phases give the head lr_mlm_head and train the rest too
    lexmlm = create_objective("lexmlm", model)
    opt2 = MotionTextModule(model, lexmlm, cfg, PhaseConfig("lexmlm", 5, 8)).configure_optimizers()
    lrs = {g["name"]: g["initial_lr"] for g in opt2["optimizer"].param_groups}
    heads = {id(p) for g in opt2["optimizer"].param_groups
             if g["name"] in ("heads", "heads/no_decay") for p in g["params"]}
    assert {id(p) for p in lexmlm.parameters()} <= heads  # the decoder trains at lr_heads
    assert lrs["mlm_head"] == pytest.approx(1e-5) and lrs["text"] == pytest.approx(cfg.lr_text)


def test_motion_only_phases_leave_the_text_tower_alone(repo_root, make_batch):
    """LexMMM reads the text tower's word embeddings (its bottleneck and the motion lexical
    head's tied decoder); with a fully trainable text tower its steps still leave the text
    tower exactly as it was (no gradient even computed), while the motion encoder moves.
    LexCMLP trains both."""
    torch.manual_seed(0)
    model = create_model("tiny", device="cpu").eval()
    assert model.config.text_trainable_layers == -1
    cfg = load_train_config(repo_root / "configs" / "tiny.yaml")
    names = {}
    for name in ("cmmm", "lexmmm", "lexcmlp"):
        opt = MotionTextModule(model, create_objective(name, model), cfg,
                               PhaseConfig(name, 4, 4)).configure_optimizers()["optimizer"]
        names[name] = {g["name"].split("/")[0] for g in opt.param_groups}
    assert names["cmmm"] == names["lexmmm"] == {"motion", "heads"}
    assert {"text", "motion", "heads"} <= names["lexcmlp"]

    objective = create_objective("lexmmm", model, ObjectiveConfig(decoder_layers=1))
    module = MotionTextModule(model, objective, cfg, PhaseConfig("lexmmm", 4, 4))
    trainable = [p for p in model.text.parameters() if p.requires_grad]
    module.setup("fit")  # as Trainer.fit calls it, before a strategy wraps the model
    opt = module.configure_optimizers()["optimizer"]
    text = {k: v.clone() for k, v in model.text.state_dict().items()}
    motion = {k: v.clone() for k, v in model.motion.state_dict().items()}
    for _ in range(2):
        out = objective(model, make_batch(), generator=torch.Generator().manual_seed(0))
        opt.zero_grad()
        out["loss"].backward()
        # no gradient is computed, kept or (under DDP) all-reduced for the text tower
        assert all(p.grad is None for p in model.text.parameters())
        opt.step()
    for k, v in model.text.state_dict().items():  # and it does not move
        assert torch.equal(v, text[k]), k
    assert any(not torch.equal(v, motion[k]) for k, v in model.motion.state_dict().items())
    module.teardown("fit")  # the next phase trains it again
    assert trainable and all(p.requires_grad for p in trainable)


def test_phase_lr_scale_multiplies_every_rate_and_is_read_from_the_config(repo_root):
    """A phase's ``lr_scale`` scales each group's rate in that phase only; 0 or a negative
    scale is refused naming the phase."""
    cfg = load_train_config(repo_root / "configs" / "tiny.yaml", [
        "phases=[{name: cmmm, max_steps: 4, batch_size: 8, lr_scale: 0.1},"
        " {name: lexcmlp, max_steps: 4, batch_size: 8}]"])
    assert [p.lr_scale for p in cfg.phases] == [0.1, 1.0]
    model = create_model("tiny", device="cpu")
    rates = []
    for phase in cfg.phases:
        opt = MotionTextModule(model, create_objective(phase.name, model), cfg,
                               phase).configure_optimizers()["optimizer"]
        rates.append({g["name"]: g["initial_lr"] for g in opt.param_groups})
    assert rates[0]["motion"] == pytest.approx(0.1 * cfg.lr_motion)
    assert rates[0]["heads"] == pytest.approx(0.1 * cfg.lr_heads)
    assert rates[1]["motion"] == pytest.approx(cfg.lr_motion)
    assert rates[0]["heads/no_decay"] == pytest.approx(0.1 * cfg.lr_heads)
    # weight_decay_1d: one group each, every parameter decayed (the rule before 2026-12-06)
    old = load_train_config(repo_root / "configs" / "tiny.yaml", ["weight_decay_1d=true"])
    opt = MotionTextModule(model, create_objective("lexcmlp", model), old,
                           old.phases[-1]).configure_optimizers()["optimizer"]
    assert "heads/no_decay" not in {g["name"] for g in opt.param_groups}
    assert all(g["weight_decay"] == old.weight_decay for g in opt.param_groups)
    opt = MotionTextModule(model, create_objective("lexcmlp", model), cfg,
                           cfg.phases[-1]).configure_optimizers()["optimizer"]
    undecayed = {id(p) for g in opt.param_groups if g["weight_decay"] == 0 for p in g["params"]}
    assert id(model.logit_scale) in undecayed and id(model.lexical_logit_scale) in undecayed
    with pytest.raises(ValueError, match=r"phases\[0\]: lr_scale must be > 0"):
        load_train_config(repo_root / "configs" / "tiny.yaml",
                          ["phases=[{name: cmmm, max_steps: 4, lr_scale: 0}]"])


def test_batch_transfer_keeps_the_index_metadata_on_the_cpu(repo_root) -> None:
    """Patches and masks go to the device; ``collate.CPU_KEYS`` stay where the objectives
    read them without waiting for the device (the meta device stands in for a GPU)."""
    cfg = load_train_config(repo_root / "configs" / "tiny.yaml")
    model = create_model("tiny", device="cpu")
    module = MotionTextModule(model, create_objective("lexcmlp", model), cfg, cfg.phases[-1])
    batch = {"patches": torch.zeros(2, 3, 224, 80), "row_mask": torch.ones(2, 14, dtype=bool),
             "texts": ["a person walks", "a person waves the left hand"],
             "text_groups": torch.arange(2), "negative_texts": ["a person waves the right hand"],
             "negative_owner": torch.tensor([1]), "negative_side": torch.tensor([True]),
             "negative_motion_patches": torch.zeros(1, 3, 224, 80),
             "negative_motion_row_mask": torch.ones(1, 14, dtype=bool),
             "negative_motion_owner": torch.tensor([1]), "negative_motion_kind": torch.tensor([0])}
    moved = module.transfer_batch_to_device(batch, torch.device("meta"), 0)
    assert set(moved) == set(batch)
    for key in ("patches", "row_mask", "negative_motion_patches", "negative_motion_row_mask"):
        assert moved[key].device.type == "meta", key
    for key in ("text_groups", "negative_owner", "negative_side", "negative_motion_owner",
                "negative_motion_kind"):
        assert moved[key].device.type == "cpu", key
        assert torch.equal(moved[key], batch[key])
    assert moved["texts"] == batch["texts"]


def test_adamw_is_fused_on_cuda_only_without_gradient_clipping() -> None:
    """Lightning refuses to clip a fused optimizer's gradients under mixed precision, and
    the configs clip: there the multi-tensor kernel is used."""
    from motionlex.core.train.module import adamw_kernel

    assert adamw_kernel(True, 1.0) == {"fused": None, "foreach": True}
    assert adamw_kernel(True, 0.0) == {"fused": True, "foreach": None}
    assert adamw_kernel(True, None) == {"fused": True, "foreach": None}
    assert adamw_kernel(False, 1.0) == {"fused": None, "foreach": None}


def test_logit_scales_are_clamped_in_place_after_each_step(repo_root) -> None:
    """The scales' clamp passes no gradient above the cap: a parameter pushed past it would
    stay there for good, so the module clamps the parameters after each step (open_clip)."""
    cfg = load_train_config(repo_root / "configs" / "tiny.yaml")
    model = create_model("tiny", device="cpu")
    module = MotionTextModule(model, create_objective("lexcmlp", model), cfg, cfg.phases[-1])
    top = math.log(model.config.logit_scale_max)
    with torch.no_grad():
        model.logit_scale.fill_(top + 0.5)
        model.lexical_logit_scale.fill_(-0.25)
    model.dense_scale().backward()
    assert model.logit_scale.grad.item() == 0.0  # stuck: why the clamp is needed
    module.on_train_batch_end(None, None, 0)
    assert model.logit_scale.item() == pytest.approx(top)
    assert model.lexical_logit_scale.item() == -0.25  # a scale below 1 is left (dot mode)
    model.logit_scale.grad = None
    model.dense_scale().backward()
    assert model.logit_scale.grad.item() > 0  # trainable again at the cap


def test_a_phase_shorter_than_the_warm_up_warms_up_over_half_its_steps(tiny, repo_root) -> None:
    """``warmup_steps: 2000`` with a 10-step phase: the learning rate peaks at step 5 (half
    the phase) and decays after, rather than spending every step warming up."""
    cfg = load_train_config(repo_root / "configs" / "tiny.yaml", ["warmup_steps=2000"])
    module = MotionTextModule(tiny, create_objective("dense", tiny), cfg,
                              PhaseConfig("dense", 10, 8))
    sched = module.configure_optimizers()["lr_scheduler"]["scheduler"]
    factors = [sched.lr_lambdas[0](s) for s in range(10)]
    assert factors[5] == pytest.approx(1.0) and factors[4] == pytest.approx(5 / 6)
    assert factors[9] < factors[5]


@pytest.mark.parametrize("stop", [6, 8])  # mid-epoch 1; after epoch 1's last batch
def test_a_run_resumed_from_its_checkpoint_trains_on_the_batches_it_would_have(
        batch_recorder, tmp_path, stop) -> None:
    """Interrupted after ``stop`` steps (4 batches an epoch) and resumed from the checkpoint
    written then, a run trains steps ``stop..9`` on the batches the uninterrupted run did:
    the same epoch's shuffle and the batches left in it (Lightning calls no
    on_train_epoch_start on a mid-epoch restart, so only the loader's state knows)."""
    captions = [f"caption number {i}" for i in range(16)]

    def run(max_steps: int, ckpt_dir: str, ckpt_path: str | None = None) -> list[dict]:
        module = batch_recorder(TextBatches(captions, 4, 0))
        trainer = L.Trainer(
            accelerator="cpu", devices=1, max_steps=max_steps, max_epochs=-1, logger=False,
            enable_progress_bar=False, enable_model_summary=False,
            use_distributed_sampler=False,
            callbacks=[ModelCheckpoint(dirpath=ckpt_dir, filename="last", monitor=None,
                                       every_n_train_steps=stop, save_top_k=1,
                                       enable_version_counter=False)])
        trainer.fit(module, ckpt_path=ckpt_path, weights_only=True)
        return module.seen

    full = run(10, str(tmp_path / "a"))
    run(stop, str(tmp_path / "b"))
    state = torch.load(tmp_path / "b" / "last.ckpt", weights_only=True)
    assert state["loops"]["fit_loop"]["state_dict"]["combined_loader"] == [
        {"epoch": 1, "next_batch": stop - 4}]
    resumed = run(10, str(tmp_path / "b"), str(tmp_path / "b" / "last.ckpt"))
    assert [r["step"] for r in resumed] == list(range(stop, 10))
    assert [(r["epoch"], r["texts"]) for r in resumed] == [
        (r["epoch"], r["texts"]) for r in full[stop:]]
