"""The Lightning callback that validates a contrastive phase and exports the best model:
every ``val_every`` steps and at the phase's end, retrieval metrics on the run's validation
split (rank 0 alone; the other ranks wait), logged and handed to the run, which exports the
model when its monitored figure improves (:meth:`.best_model.BestModelExport.consider`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import lightning as L
import numpy as np

from motionlex.core.retrieval.evaluate import validation_metrics
from motionlex.core.train.progress import bar_status
from motionlex.core.train.train_config import PhaseConfig

if TYPE_CHECKING:
    from motionlex.core.train.module import MotionTextModule
    from motionlex.core.train.training import TrainingRun


class ValidateAndExport(L.Callback):
    """Every ``val_every`` steps and at the end of a contrastive phase: validation
    retrieval metrics, logged; the model is exported when ``monitor`` improves."""

    def __init__(self, run: TrainingRun, phase: PhaseConfig) -> None:
        self.run = run
        self.phase = phase

    def _validate(self, trainer: L.Trainer, pl_module: MotionTextModule) -> None:
        if not self.run.val_examples:
            return
        if trainer.is_global_zero:
            with bar_status(trainer, "validating"):
                metrics = validation_metrics(pl_module.model, self.run.val_examples,
                                             self.run.stats)
            pl_module.model.train()
            finite = {k: float(v) for k, v in metrics.items() if np.isfinite(v)}
            if trainer.logger is not None:
                trainer.logger.log_metrics(finite, step=trainer.global_step)
            self.run.consider(pl_module.model, metrics, self.phase.name,
                              trainer.global_step)
        trainer.strategy.barrier()

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: MotionTextModule, outputs: Any,
                           batch: Any, batch_idx: int) -> None:
        """Validate every ``val_every`` steps (not at step 0 nor at the last: on_train_end)."""
        step = trainer.global_step
        if step > 0 and step % max(1, self.phase.val_every) == 0 and step < trainer.max_steps:
            self._validate(trainer, pl_module)

    def on_train_end(self, trainer: L.Trainer, pl_module: MotionTextModule) -> None:
        """Validate at the phase's end."""
        self._validate(trainer, pl_module)
