"""The LightningModule of one training phase: the model plus that phase's objective.

The model returns features, the objective (with its decoders) turns them into the loss
(open_clip's split); Lightning owns devices, precision, DDP, clipping and checkpoints.
"""

from __future__ import annotations

import math
import random
from typing import Any

import lightning as L
import numpy as np
import torch

from motionlex.core.data.collate import CPU_KEYS
from motionlex.core.model.model import MotionTextModel
from motionlex.core.train.compile import compile_towers, uncompile
from motionlex.core.train.gather import distributed_world
from motionlex.core.train.objective import Objective
from motionlex.core.train.objectives import MOTION_PHASES
from motionlex.core.train.phase_data import PhaseLoader
from motionlex.core.train.train_config import PhaseConfig, TrainConfig


def lr_factor(step: int, warmup_steps: int, total_steps: int, floor: float = 0.1) -> float:
    """Learning-rate multiplier: linear warm-up, then cosine decay to ``floor``.

    ``(step + 1) / (warmup_steps + 1)`` for ``step < warmup_steps`` (never 0, so the first
    step already moves), then ``floor + (1 - floor) * (1 + cos(pi * p)) / 2`` with
    ``p = (step - warmup) / max(1, total - warmup)`` clipped to 1.

    Not transformers' ``get_cosine_schedule_with_warmup``: that one warms up from 0
    (``step / warmup``) and decays to 0; ``get_cosine_with_min_lr_schedule_with_warmup``
    (``min_lr_rate=0.1``) has the same decay but also warms up from 0, so neither is ours.

    Source: Loshchilov & Hutter, SGDR (ICLR 2017), eq. 5 (cosine annealing to a minimum).
    """
    if step < warmup_steps:
        return (step + 1) / (warmup_steps + 1)
    frac = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * min(1.0, frac)))


def build_optimizer(model: MotionTextModel, objective: Objective, cfg: TrainConfig,
                    phase: PhaseConfig | None = None) -> torch.optim.AdamW:
    """THE optimiser of a training phase: AdamW over the model's parameter groups.

    Groups (``model.param_groups()``) ``text``, ``mlm_head``, ``motion`` and ``heads`` (the
    objective's decoders join ``heads``) get ``cfg.lr_text``, ``cfg.lr_mlm_head`` (else
    ``cfg.lr_heads``), ``cfg.lr_motion`` and ``cfg.lr_heads``, times ``phase.lr_scale``;
    the ``mlmhead`` phase trains the MLM head alone at ``cfg.lr_heads``; the motion-only
    phases (``cmmm``, ``lexmmm``) leave the text tower out (LexMMM reads its word
    embeddings, but a motion-only loss must not move the text vocabulary). Frozen parameters
    are left out. Each group's matrices get ``cfg.weight_decay``; its 1-D parameters
    (biases, norm gains, logit scales) a group of their own (``NAME/no_decay``) without
    decay unless ``cfg.weight_decay_1d`` (open_clip's rule, by dimension: the ViT's class
    and mask tokens and position embeddings are (1, n, D) tensors and decay, as open_clip's
    2-D positional embedding does; timm exempts them by name). On CUDA without
    gradient clipping (``cfg.grad_clip`` 0) the fused AdamW
    kernel is used (one launch per step instead of several per parameter tensor; same
    update); with clipping the multi-tensor (``foreach``) one, because Lightning refuses to
    clip the gradients of a fused optimizer under mixed precision (it may unscale them
    itself).

    Args:
        model: the model being trained.
        objective: the phase's objective (its parameters train with the heads).
        cfg: the training config.
        phase: the phase (None: a plain LexCMLP-like phase at scale 1).

    Returns:
        ``torch.optim.AdamW`` with named groups (``text``, ``text/no_decay``, ...; empty
        ones left out).

    Source: Loshchilov & Hutter, "Decoupled Weight Decay Regularization" (ICLR 2019).
    """
    groups = model.param_groups()
    groups["heads"] = groups["heads"] + list(objective.parameters())
    lr_mlm = cfg.lr_heads if cfg.lr_mlm_head is None else cfg.lr_mlm_head
    lrs = {"text": cfg.lr_text, "mlm_head": lr_mlm, "motion": cfg.lr_motion,
           "heads": cfg.lr_heads}
    if phase is not None and phase.name == "mlmhead":  # the head alone; the encoder stays
        groups, lrs = {"mlm_head": groups["mlm_head"]}, {"mlm_head": cfg.lr_heads}
    elif phase is not None and phase.name in MOTION_PHASES:
        # motions alone: LexMMM's bottleneck and the motion lexical head read the text
        # tower's word embeddings, and nothing on the text side would anchor what their
        # gradient does to that vocabulary space; the text tower waits for a text phase
        groups = {k: v for k, v in groups.items() if k not in ("text", "mlm_head")}
    scale = 1.0 if phase is None else phase.lr_scale
    params = {k: [p for p in ps if p.requires_grad] for k, ps in groups.items()}
    params = {k: ps for k, ps in params.items() if ps}
    on_cuda = all(p.is_cuda for ps in params.values() for p in ps)
    opt_groups = []
    for k, ps in params.items():
        if cfg.weight_decay_1d:
            opt_groups.append({"params": ps, "lr": lrs[k] * scale, "name": k})
            continue
        for name, part, decay in ((k, [p for p in ps if p.ndim >= 2], cfg.weight_decay),
                                  (f"{k}/no_decay", [p for p in ps if p.ndim < 2], 0.0)):
            if part:
                opt_groups.append({"params": part, "lr": lrs[k] * scale, "name": name,
                                   "weight_decay": decay})
    return torch.optim.AdamW(opt_groups, weight_decay=cfg.weight_decay,
                             **adamw_kernel(on_cuda, cfg.grad_clip))


def adamw_kernel(on_cuda: bool, grad_clip: float | None) -> dict[str, bool | None]:
    """AdamW's ``fused`` / ``foreach`` arguments (see :func:`build_optimizer`): fused on
    CUDA without gradient clipping, multi-tensor on CUDA with it, torch's default off CUDA."""
    if not on_cuda:
        return {"fused": None, "foreach": None}
    if grad_clip:
        return {"fused": None, "foreach": True}
    return {"fused": True, "foreach": None}


def seed_rank(seed: int, rank: int) -> None:
    """Seed Python's, NumPy's and torch's global generators (CUDA's too) with
    ``seed + rank``: each DDP rank its own stream of dropout and mask draws, rank 0 the base
    seed (open_clip's ``random_seed(seed, rank)``, ``open_clip_train/main.py``)."""
    random.seed(seed + rank)
    np.random.seed(seed + rank)
    torch.manual_seed(seed + rank)


class MotionTextModule(L.LightningModule):
    """Wraps a :class:`MotionTextModel` and one phase's :class:`Objective` for ``Trainer``.

    Args:
        model: the model being trained (shared across phases).
        objective: the phase's loss and decoders (fresh per phase; saved in the phase's
            Lightning checkpoint, so a resumed phase continues with its decoders).
        cfg: the training config (learning rates, warm-up, seed, ``num_workers``).
        phase: the phase being trained.
        batches: the phase's batches (:func:`~.phase_data.phase_dataset`): :meth:`setup`
            gives them this process's rank, :meth:`train_dataloader` loads them
            (:class:`~.phase_data.PhaseLoader`); None: ``Trainer.fit`` is given a loader.
    """

    def __init__(self, model: MotionTextModel, objective: Objective, cfg: TrainConfig,
                 phase: PhaseConfig, batches: torch.utils.data.Dataset | None = None) -> None:
        super().__init__()
        self.model = model
        self.objective = objective
        self.cfg = cfg
        self.phase = phase
        self.batches = batches

    def setup(self, stage: str) -> None:
        """In each launched process, after DDP is set up and before the strategy wraps the
        model: the batches take this rank's share (a process started by ``ddp_spawn`` or
        ``ddp_fork`` learns its rank only here); under DDP each rank draws its own random
        stream, ``seed + rank`` (:func:`seed_rank`: Lightning reseeds every rank with one
        seed, so dropout and masks were the same draws on all ranks; rank 0 keeps the base
        seed, one process its stream untouched). A motion-only phase freezes the text tower
        it leaves out of the optimiser (:func:`build_optimizer`), so LexMMM's backward
        computes, keeps and all-reduces no gradient for it; the towers are compiled when
        the config asks (``compile``, :func:`~.compile.compile_towers`). :meth:`teardown`
        undoes the last two."""
        rank, world = distributed_world()  # the gathers' ranks; (0, 1) without DDP
        if self.batches is not None and (self.batches.rank, self.batches.world_size) != (
                rank, world):
            self.batches.shard(rank, world)
        if world > 1:
            seed_rank(self.cfg.seed, rank)
        self._compiled = compile_towers(self.model, self.cfg.compile)
        self._frozen_text: list[torch.nn.Parameter] = []
        if self.phase.name in MOTION_PHASES:
            groups = self.model.param_groups()
            self._frozen_text = [p for k in ("text", "mlm_head") for p in groups[k]
                                 if p.requires_grad]
            for p in self._frozen_text:
                p.requires_grad_(False)

    def teardown(self, stage: str) -> None:
        """The text tower trainable again after a motion-only phase, the towers eager again
        (see :meth:`setup`)."""
        for p in getattr(self, "_frozen_text", []):
            p.requires_grad_(True)
        self._frozen_text = []
        uncompile(getattr(self, "_compiled", []))
        self._compiled = []

    def forward(self, batch: dict, step: int | None = None) -> dict[str, torch.Tensor]:
        """The phase's loss dict on a batch (``"loss"`` with graph, detached components)."""
        return self.objective(self.model, batch, step=step)

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        out = self(batch, self.global_step)
        bs = len(batch.get("texts") or batch.get("patches"))
        # every scalar is logged as a tensor: asking whether it is finite would wait for the
        # device in every step (a diverged loss shows as NaN in the logs)
        logs = {f"train/{k}": v.float() for k, v in out.items()
                if torch.is_tensor(v) and v.numel() == 1}
        self.log_dict(logs, batch_size=bs, on_step=True, prog_bar=False)
        self.log("loss", out["loss"].detach(), batch_size=bs, prog_bar=True)
        return out["loss"]

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        """After the optimiser step: the logit scales back under their cap
        (:meth:`MotionTextModel.clamp_logit_scales_`)."""
        self.model.clamp_logit_scales_()

    def configure_optimizers(self) -> dict[str, Any]:
        opt = build_optimizer(self.model, self.objective, self.cfg, self.phase)
        total = max(1, self.phase.max_steps)
        warm = min(self.cfg.warmup_steps, total // 2)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, warm, total))
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    def transfer_batch_to_device(self, batch: Any, device: torch.device,
                                 dataloader_idx: int) -> Any:
        """Move a batch to the device, except its index metadata (``collate.CPU_KEYS``)."""
        if not isinstance(batch, dict):
            return super().transfer_batch_to_device(batch, device, dataloader_idx)
        keep = {k: batch[k] for k in CPU_KEYS if k in batch}
        rest = {k: v for k, v in batch.items() if k not in keep}
        return {**super().transfer_batch_to_device(rest, device, dataloader_idx), **keep}

    def on_fit_start(self) -> None:
        self.model.train()  # from_pretrained / validation leave the model in eval mode
        self.objective.train()

    def train_dataloader(self) -> PhaseLoader:
        """The phase's batches, loaded in each launched process (after :meth:`setup`, so
        DataLoader workers copy this rank's share) and resumable mid-epoch.

        Raises:
            ValueError: the module was built without ``batches``.
        """
        if self.batches is None:
            raise ValueError("MotionTextModule was built without batches: pass batches= "
                             "or give Trainer.fit a train_dataloaders")
        return PhaseLoader(self.batches, num_workers=self.cfg.num_workers)

    def on_train_epoch_start(self) -> None:
        """Next epoch's batches (a run resumed mid-epoch skips this hook: its loader's
        state holds the epoch, :class:`~.phase_data.PhaseLoader`)."""
        ds = getattr(self.trainer.train_dataloader, "dataset", None)
        if hasattr(ds, "set_epoch"):
            ds.set_epoch(self.current_epoch)

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        """Where a checkpoint written after this batch resumes
        (:meth:`~.phase_data.PhaseLoader.mark`)."""
        loader = self.trainer.train_dataloader
        if isinstance(loader, PhaseLoader):
            loader.mark(self.current_epoch, batch_idx)
