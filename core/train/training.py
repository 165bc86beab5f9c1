"""Training with PyTorch Lightning: phases in sequence, validation retrieval, best export.

``motionlex train --config configs/NAME.yaml --data DIR ... --out DIR`` runs the phases of
the config (any subset of LexMLM, CMMM, LexMMM, LexCMLP; Lyu et al., ICLR 2025, Sec. 3) one
after another on one model. Each phase is a ``lightning.Trainer.fit`` with its own step
budget; Lightning handles devices (CUDA when present), bf16 on GPU, DDP on several GPUs,
gradient clipping, the progress bar, CSV logs and resumable ``last.ckpt`` files.

The model chosen on the VALIDATION split (never test) is exported with
``MotionTextModel.save_pretrained`` as a loadable directory: ``OUT/model/`` (config.json,
model.safetensors, patch_stats.json, tokenizer files, train_config.json, val_metrics.json).
Resumable trainer state goes to ``OUT/checkpoints/<phase>-last.ckpt`` (Lightning's own format,
written and read only by this run; distribute ``OUT/model``, never ``.ckpt`` files).
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from motionlex.core.data.batches import unique_batches
from motionlex.core.data.collate import collate_pairs
from motionlex.core.data.pairs import (
    PairExample,
    composed_examples,
    compute_patch_stats,
    load_pair_examples,
)
from motionlex.core.patches import (
    MAX_FRAMES,
    PatchStats,
    part_resampling_matrix,
    patches_from_joints,
)
from motionlex.core.retrieval.evaluate import validation_metrics

logger = logging.getLogger(__name__)

PAIR_PHASES = ("lexcmlp", "dense")
MOTION_PHASES = ("cmmm", "lexmmm")
TEXT_PHASES = ("mlmhead", "lexmlm")


@dataclass(frozen=True)
class PhaseConfig:
    """One training phase.

    Attributes:
        name: ``mlmhead`` (fit the text MLM head alone, encoder frozen: for text models
            without a trained MLM head), ``lexmlm``, ``cmmm``, ``lexmmm``, ``lexcmlp`` or
            ``dense`` (LexCMLP's data with the dense-only MotionPatch loss: no lexical term,
            no negatives).
        max_steps: optimisation steps.
        batch_size: examples per step (per device).
        val_every: validate every this many steps (contrastive phases).
    """

    name: str
    max_steps: int = 100
    batch_size: int = 64
    val_every: int = 100


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs besides its data paths (saved with the model).

    Attributes:
        model: registry name for ``create_model`` (``tiny``, ``cpu-small``, ``paper-base``).
        model_overrides: keyword overrides for ``create_model``.
        phases: phases in order.
        lr_text / lr_motion / lr_heads: learning rates of the text encoder, the motion
            encoder and everything else (MotionPatch reference: 1e-5 / 1e-4 / 1e-3).
        lr_mlm_head: learning rate of the text MLM head (the text lexical head) outside the
            ``mlmhead`` phase, which always uses ``lr_heads``; None = ``lr_heads``. Once the
            head is fitted (or pretrained, as distilbert's), a text-like rate keeps its words
            on the caption: at ``lr_heads`` the contrastive phase drifts them to arbitrary
            vocabulary.
        weight_decay: AdamW weight decay.
        warmup_steps: linear learning-rate warm-up per phase, then cosine decay to 10 %.
        grad_clip: gradient-norm clipping.
        negatives_per_caption: CAR shuffled captions per multi-event caption (0 = none).
        event_text_p: probability of feeding a multi-event caption as its joined events.
        mirror_p: probability of the mirroring augmentation.
        compose_p: share of each pair batch replaced by composed multi-event pairs.
        text_corpora: caption corpora for LexMLM (folders or annotations.json), besides
            the training captions.
        precision: Lightning precision; ``auto`` = bf16-mixed on CUDA, 32 on CPU.
        accelerator / devices / strategy: Lightning's (``auto`` picks CUDA when present).
        num_workers: DataLoader workers.
        seed: global seed (Lightning ``seed_everything``).
        monitor: validation metric that chooses the exported model (higher is better).
        export_phase_heads: keep the training-only phase decoders in ``OUT/model`` (False
            gives a smaller inference checkpoint; ``OUT/phases/*`` always keep them). A model
            with ``text_trainable_layers >= 0`` stores only its trainable text layers.
    """

    model: str = "tiny"
    model_overrides: dict = field(default_factory=dict)
    phases: tuple[PhaseConfig, ...] = (PhaseConfig("lexcmlp"),)
    lr_text: float = 1e-5
    lr_motion: float = 1e-4
    lr_heads: float = 1e-3
    lr_mlm_head: float | None = None
    weight_decay: float = 0.01
    warmup_steps: int = 20
    grad_clip: float = 1.0
    negatives_per_caption: int = 1
    event_text_p: float = 0.5
    mirror_p: float = 0.5
    compose_p: float = 0.0
    text_corpora: tuple[str, ...] = ()
    precision: str = "auto"
    accelerator: str = "auto"
    devices: Any = "auto"
    strategy: str = "auto"
    num_workers: int = 0
    seed: int = 0
    monitor: str = "val/rsum"
    export_phase_heads: bool = True

    def to_dict(self) -> dict:
        """JSON/YAML-ready dict."""
        d = asdict(self)
        d["phases"] = [asdict(p) for p in self.phases]
        d["text_corpora"] = list(self.text_corpora)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        """Build from a dict (YAML), rejecting unknown keys.

        Raises:
            ValueError: unknown keys or an unknown phase name.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown training config keys {unknown}; known: {sorted(known)}")
        d = dict(d)
        phases = []
        for p in d.get("phases", [{"name": "lexcmlp"}]):
            p = {"name": p} if isinstance(p, str) else dict(p)
            if p.get("name") not in PAIR_PHASES + MOTION_PHASES + TEXT_PHASES:
                raise ValueError(
                    f"unknown phase {p.get('name')!r}; known: "
                    f"{list(TEXT_PHASES + MOTION_PHASES + PAIR_PHASES)}"
                )
            phases.append(PhaseConfig(**p))
        d["phases"] = tuple(phases)
        d["text_corpora"] = tuple(d.get("text_corpora", ()))
        d["model_overrides"] = dict(d.get("model_overrides") or {})
        return cls(**d)


def _coerce(value: str) -> Any:
    """Parse a ``key=value`` override value as YAML (numbers, booleans, lists); ``1e-5``
    (a string to YAML 1.1) is read as a float."""
    import yaml

    parsed = yaml.safe_load(value)
    if isinstance(parsed, str):
        try:
            return float(parsed)
        except ValueError:
            return parsed
    return parsed


def load_train_config(path: str | Path | None, overrides: Sequence[str] = ()) -> TrainConfig:
    """Read a YAML training config and apply ``key=value`` overrides.

    Dotted keys reach into dicts (``model_overrides.hidden_size=128``); ``phases.N.key``
    into the N-th phase.

    Raises:
        FileNotFoundError: no such config file. ValueError: a malformed override or key.
    """
    import yaml

    d: dict = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"training config not found: {path}")
        d = yaml.safe_load(path.read_text()) or {}
        if not isinstance(d, dict):
            raise ValueError(f"{path}: a training config must be a YAML mapping")
    for ov in overrides:
        if "=" not in ov:
            raise ValueError(f"override {ov!r} is not key=value")
        key, value = ov.split("=", 1)
        parts = key.split(".")
        target: Any = d
        for p in parts[:-1]:
            if isinstance(target, list):
                target = target[int(p)]
            else:
                target = target.setdefault(p, {})
        if isinstance(target, list):
            target[int(parts[-1])] = _coerce(value)
        else:
            target[parts[-1]] = _coerce(value)
    return TrainConfig.from_dict(d)


# ----------------------------------------------------------------------------------------
# data


class PairBatches(torch.utils.data.Dataset):
    """An epoch of collated pair batches (unique motions and captions per batch).

    Batch ``b`` of epoch ``e`` is built with ``np.random.default_rng([seed, e, b])``, so runs
    are reproducible whatever the number of workers.
    """

    def __init__(self, examples: Sequence[PairExample], stats: PatchStats, batch_size: int,
                 cfg: TrainConfig, composed: Sequence[PairExample] = ()):
        if not examples:
            raise ValueError("no training pairs")
        self.examples = list(examples)
        self.composed = list(composed)
        self.stats = stats
        self.cfg = cfg
        self.batch_size = min(batch_size, len({e.motion_id for e in examples}))
        self.matrix = part_resampling_matrix(examples[0].skeleton)
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        rng = np.random.default_rng([self.cfg.seed, epoch])
        self.batches = unique_batches(self.examples, self.batch_size, rng)

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, b: int) -> dict:
        from motionlex.core.data.pairs import augment

        rng = np.random.default_rng([self.cfg.seed, self.epoch, b, 1])
        items = [augment(self.examples[i], rng, self.cfg.mirror_p) for i in self.batches[b]]
        if self.composed and self.cfg.compose_p > 0:
            k = int(round(self.cfg.compose_p * len(items)))
            picks = rng.choice(len(self.composed), size=min(k, len(self.composed)), replace=False)
            items[len(items) - len(picks):] = [self.composed[i] for i in picks]
        return collate_pairs(
            items, self.matrix, self.stats, rng,
            negatives_per_caption=self.cfg.negatives_per_caption,
            event_text_p=self.cfg.event_text_p,
        )


class MotionBatches(PairBatches):
    """Batches of motions only (CMMM, LexMMM): one entry per distinct motion."""

    def __init__(self, examples: Sequence[PairExample], stats: PatchStats, batch_size: int,
                 cfg: TrainConfig):
        seen: dict[str, PairExample] = {}
        for e in examples:
            seen.setdefault(e.motion_id, e)
        super().__init__(list(seen.values()), stats, batch_size, cfg)

    def __getitem__(self, b: int) -> dict:
        from motionlex.core.data.pairs import augment

        rng = np.random.default_rng([self.cfg.seed, self.epoch, b, 2])
        items = [augment(self.examples[i], rng, self.cfg.mirror_p) for i in self.batches[b]]
        starts = [int(rng.integers(0, max(1, len(e.joints) - MAX_FRAMES + 1))) for e in items]
        patches, row_mask, lengths = patches_from_joints(
            [e.joints for e in items], self.matrix, self.stats, MAX_FRAMES, starts
        )
        return {"patches": torch.from_numpy(patches), "row_mask": torch.from_numpy(row_mask),
                "lengths": torch.from_numpy(lengths)}


class TextBatches(torch.utils.data.Dataset):
    """Batches of captions only (LexMLM), reshuffled per epoch."""

    def __init__(self, captions: Sequence[str], batch_size: int, seed: int):
        uniq = sorted(set(c.strip() for c in captions if c.strip()))
        if not uniq:
            raise ValueError("no captions for the text phase")
        self.captions = uniq
        self.batch_size = min(batch_size, len(uniq))
        self.seed = seed
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        order = np.random.default_rng([self.seed, epoch, 3]).permutation(len(self.captions))
        n = len(order) // self.batch_size
        self.batches = [order[i * self.batch_size:(i + 1) * self.batch_size] for i in range(n)]

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, b: int) -> dict:
        return {"texts": [self.captions[i] for i in self.batches[b]]}


# ----------------------------------------------------------------------------------------
# Lightning


def dense_only_loss(model, batch: dict) -> dict[str, torch.Tensor]:
    """The MotionPatch baseline: symmetric InfoNCE on dense cosine similarity only.

    Source: Yu et al., CVPR 2024, Sec. 3.5, eq. 2-4 (no lexical term, no CAR negatives).
    """
    from motionlex.core.train.losses import contrastive_loss

    m = model.forward_motion(batch["patches"], batch["row_mask"], lexical=False)
    t = model.forward_text(list(batch["texts"]), lexical=False)
    res = contrastive_loss(model.dense_scale() * (m.dense.float() @ t.dense.float().t()))
    return {"loss": res.loss, "dense_m2t": res.m2t.detach(), "dense_t2m": res.t2m.detach()}


def _lightning_module_class():
    import lightning as L

    class MotionTextModule(L.LightningModule):
        """Wraps a MotionTextModel and one phase's loss for ``lightning.Trainer``."""

        def __init__(self, model, cfg: TrainConfig, phase: PhaseConfig):
            super().__init__()
            self.model = model
            self.cfg = cfg
            self.phase = phase

        def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
            if self.phase.name == "dense":
                out = dense_only_loss(self.model, batch)
            else:
                out = self.model.phase_loss(self.phase.name, batch, step=self.global_step)
            bs = len(batch.get("texts") or batch.get("patches"))
            logs = {f"train/{k}": v.float() for k, v in out.items()
                    if torch.is_tensor(v) and v.numel() == 1 and torch.isfinite(v)}
            self.log_dict(logs, batch_size=bs, on_step=True, prog_bar=False)
            self.log("loss", out["loss"].detach(), batch_size=bs, prog_bar=True)
            return out["loss"]

        def configure_optimizers(self):
            groups = self.model.param_groups()
            lr_mlm = self.cfg.lr_heads if self.cfg.lr_mlm_head is None else self.cfg.lr_mlm_head
            lrs = {"text": self.cfg.lr_text, "mlm_head": lr_mlm, "motion": self.cfg.lr_motion,
                   "heads": self.cfg.lr_heads}
            if self.phase.name == "mlmhead":  # the head alone; the encoder stays as it is
                groups, lrs = {"mlm_head": groups["mlm_head"]}, {"mlm_head": self.cfg.lr_heads}
            opt = torch.optim.AdamW(
                [{"params": [p for p in ps if p.requires_grad], "lr": lrs[k], "name": k}
                 for k, ps in groups.items() if any(p.requires_grad for p in ps)],
                weight_decay=self.cfg.weight_decay,
            )
            total = max(1, self.phase.max_steps)
            warm = min(self.cfg.warmup_steps, total // 2)

            def schedule(step: int) -> float:
                if step < warm:
                    return (step + 1) / (warm + 1)
                frac = (step - warm) / max(1, total - warm)
                return 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * min(1.0, frac)))

            sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

        def on_fit_start(self) -> None:
            self.model.train()  # from_pretrained / validation leave the model in eval mode

        def on_train_epoch_start(self) -> None:
            loader = self.trainer.train_dataloader
            ds = getattr(loader, "dataset", None)
            if hasattr(ds, "set_epoch"):
                ds.set_epoch(self.current_epoch)

    return MotionTextModule


def _validation_callback_class():
    import lightning as L

    class ValidateAndExport(L.Callback):
        """Every ``val_every`` steps and at the end of a contrastive phase: validation
        retrieval metrics, logged; the model is exported when ``monitor`` improves."""

        def __init__(self, run: TrainingRun, phase: PhaseConfig):
            self.run = run
            self.phase = phase

        def _validate(self, trainer, pl_module) -> None:
            if not self.run.val_examples:
                return
            if trainer.is_global_zero:
                metrics = validation_metrics(pl_module.model, self.run.val_examples,
                                             self.run.stats, seed=self.run.cfg.seed)
                pl_module.model.train()
                finite = {k: float(v) for k, v in metrics.items() if np.isfinite(v)}
                if trainer.logger is not None:
                    trainer.logger.log_metrics(finite, step=trainer.global_step)
                self.run.consider(pl_module.model, metrics, self.phase.name,
                                  trainer.global_step)
            trainer.strategy.barrier()

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
            step = trainer.global_step
            if step > 0 and step % max(1, self.phase.val_every) == 0 and step < trainer.max_steps:
                self._validate(trainer, pl_module)

        def on_train_end(self, trainer, pl_module) -> None:
            self._validate(trainer, pl_module)

    return ValidateAndExport


class TrainingRun:
    """State of one ``motionlex train`` run: data, statistics, best-model export.

    Args:
        cfg: the training config.
        data_roots: dataset folders (train and val splits are read from each).
        out_dir: output folder; the chosen model lands in ``out_dir/model``.
        init: a model directory to start from instead of ``create_model(cfg.model)``.
        progress: progress bars.

    Raises:
        ValueError: no training pairs in any folder.
    """

    def __init__(self, cfg: TrainConfig, data_roots: Sequence[str | Path], out_dir: str | Path,
                 init: str | Path | None = None, progress: bool = True):
        import lightning as L

        self.cfg = cfg
        self.out_dir = Path(out_dir)
        self.progress = progress
        L.seed_everything(cfg.seed, workers=True, verbose=False)
        self.train_examples = load_pair_examples(data_roots, "train", progress=progress)
        if not self.train_examples:
            raise ValueError(f"no training pairs in {[str(r) for r in data_roots]}")
        self.val_examples = load_pair_examples(data_roots, "val", progress=progress)
        if not self.val_examples:
            logger.warning("no validation split in %s: the last model is exported",
                           [str(r) for r in data_roots])
        rng = np.random.default_rng([cfg.seed, 7])
        self.composed = (
            composed_examples(self.train_examples, 2000, rng) if cfg.compose_p > 0 else []
        )
        if self.val_examples:
            # a real chronology test: val clips composed in a known order (motion side)
            self.val_examples += composed_examples(self.val_examples, 100, rng, test_set=True)
        self.stats = compute_patch_stats(
            self.train_examples, source=", ".join(f"{Path(r).name}/train" for r in data_roots)
        )
        from motionlex.core.model.model import MotionTextModel, create_model

        if init is not None:
            self.model = MotionTextModel.from_pretrained(init)
        else:
            self.model = create_model(cfg.model, **cfg.model_overrides)
            if self.model.config.lexical_vocabulary == "corpus":
                self.model.set_lexical_vocabulary(self._corpus_vocabulary())
        self.best_score = -math.inf
        self.best_metrics: dict[str, float] = {}
        self.data_roots = [str(r) for r in data_roots]

    def _training_captions(self) -> list[str]:
        from motionlex.core.data.datasets import read_caption_corpus

        caps = [e.caption for e in self.train_examples]
        for c in self.cfg.text_corpora:
            caps += read_caption_corpus(c, "train")
        return caps

    def _corpus_vocabulary(self) -> list[int]:
        from motionlex.core.model.lexical import corpus_vocabulary

        ids = corpus_vocabulary(self._training_captions(), self.model.tokenizer)
        logger.info("lexical vocabulary: %d caption words of %d WordPieces", len(ids),
                    len(self.model.vocabulary))
        return ids

    # -- export -------------------------------------------------------------------------
    def _extra_json(self, metrics: dict[str, float], phase: str, step: int) -> dict:
        return {
            "patch_stats.json": self.stats.to_dict(),
            "train_config.json": {**self.cfg.to_dict(), "data": self.data_roots},
            "val_metrics.json": {"phase": phase, "step": step, **metrics},
        }

    def export(self, model, path: Path, metrics: dict[str, float], phase: str, step: int,
               *, phase_heads: bool | None = None) -> None:
        """Save a loadable model directory (atomic: a failed save leaves the old one).

        ``phase_heads``: keep the phase decoders (None: ``cfg.export_phase_heads``).
        """
        partial_text = model.config.text_trainable_layers >= 0 and model.config.text_pretrained
        model.save_pretrained(
            path, extra_json=self._extra_json(metrics, phase, step),
            include_text_encoder="trainable" if partial_text else True,
            include_phase_heads=self.cfg.export_phase_heads if phase_heads is None else phase_heads,
        )

    def consider(self, model, metrics: dict[str, float], phase: str, step: int) -> bool:
        """Export the model when ``cfg.monitor`` improved; returns whether it did."""
        score = metrics.get(self.cfg.monitor, -math.inf)
        if not np.isfinite(score) or score <= self.best_score:
            logger.info("validation %s=%.3f (best %.3f)", self.cfg.monitor, score, self.best_score)
            return False
        self.best_score, self.best_metrics = float(score), dict(metrics)
        self.export(model, self.out_dir / "model", metrics, phase, step)
        logger.info("new best %s=%.3f at %s step %d -> %s", self.cfg.monitor, score, phase,
                    step, self.out_dir / "model")
        return True

    # -- phases -------------------------------------------------------------------------
    def _dataset(self, phase: PhaseConfig):
        if phase.name in TEXT_PHASES:
            return TextBatches(self._training_captions(), phase.batch_size, self.cfg.seed)
        if phase.name in MOTION_PHASES:
            return MotionBatches(self.train_examples, self.stats, phase.batch_size, self.cfg)
        return PairBatches(self.train_examples, self.stats, phase.batch_size, self.cfg,
                           composed=self.composed)

    def _trainer_kwargs(self) -> dict:
        precision = self.cfg.precision
        if precision == "auto":
            precision = "bf16-mixed" if torch.cuda.is_available() else "32-true"
        return {"accelerator": self.cfg.accelerator, "devices": self.cfg.devices,
                "strategy": self.cfg.strategy, "precision": precision,
                "gradient_clip_val": self.cfg.grad_clip or None}

    def fit(self, max_steps: int | None = None, resume: bool = False) -> Path:
        """Run every phase in order; returns the exported model directory.

        Args:
            max_steps: cap on each phase's steps (quick runs).
            resume: continue from ``OUT/checkpoints/<phase>-last.ckpt`` and skip phases
                already finished (marked by ``OUT/phases/<phase>/``).
        """
        import lightning as L
        from lightning.pytorch.callbacks import ModelCheckpoint
        from lightning.pytorch.loggers import CSVLogger

        from motionlex.core.model.model import MotionTextModel

        Module = _lightning_module_class()
        Validate = _validation_callback_class()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        ckpt_dir = self.out_dir / "checkpoints"
        last_phase = None
        for i, phase in enumerate(self.cfg.phases):
            tag = f"{i}-{phase.name}"
            done_dir = self.out_dir / "phases" / tag
            if resume and (done_dir / "config.json").is_file():
                self.model = MotionTextModel.from_pretrained(done_dir)
                logger.info("phase %s already done, loaded %s", tag, done_dir)
                last_phase = phase
                continue
            steps = phase.max_steps if max_steps is None else min(phase.max_steps, max_steps)
            phase = PhaseConfig(phase.name, steps, phase.batch_size,
                                min(phase.val_every, steps))
            data = self._dataset(phase)
            loader = torch.utils.data.DataLoader(
                data, batch_size=None, shuffle=False, num_workers=self.cfg.num_workers,
                collate_fn=lambda b: b, persistent_workers=False,
            )
            callbacks = [ModelCheckpoint(dirpath=ckpt_dir, filename=f"{tag}-last",
                                         save_last=False, every_n_train_steps=max(1, steps // 4),
                                         save_top_k=1, monitor=None, enable_version_counter=False)]
            if phase.name in PAIR_PHASES:
                callbacks.append(Validate(self, phase))
            trainer = L.Trainer(
                max_steps=steps, max_epochs=-1, logger=CSVLogger(self.out_dir, name="logs"),
                callbacks=callbacks, enable_progress_bar=self.progress, log_every_n_steps=10,
                enable_model_summary=False, num_sanity_val_steps=0, limit_val_batches=0,
                use_distributed_sampler=False, **self._trainer_kwargs(),
            )
            ckpt = ckpt_dir / f"{tag}-last.ckpt"
            module = Module(self.model, self.cfg, phase)
            trainer.fit(module, train_dataloaders=loader,
                        ckpt_path=str(ckpt) if resume and ckpt.is_file() else None)
            self.model = module.model
            if trainer.is_global_zero:
                # phase directories keep the decoders: --resume continues from them
                self.export(self.model, done_dir, self.best_metrics, phase.name, steps,
                            phase_heads=True)
            last_phase = phase
        final = self.out_dir / "model"
        if not (final / "config.json").is_file() and last_phase is not None:
            self.export(self.model, final, {}, last_phase.name, 0)
        with open(self.out_dir / "val_metrics.json", "w") as f:
            json.dump(self.best_metrics, f, indent=1)
        return final


def train(config: str | Path | None, data_roots: Sequence[str | Path], out_dir: str | Path, *,
          overrides: Sequence[str] = (), max_steps: int | None = None,
          init: str | Path | None = None, resume: bool = False, progress: bool = True) -> Path:
    """Train from a YAML config on dataset folders; returns the exported model directory.

    Raises:
        FileNotFoundError: config or data folder missing. ValueError: bad config/overrides
            or no training data.
    """
    cfg = load_train_config(config, overrides)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    run = TrainingRun(cfg, data_roots, out_dir, init=init, progress=progress)
    return run.fit(max_steps=max_steps, resume=resume)
