"""The model a training run exports: validation's choice, and the files written beside it.

``OUT/model`` holds the model with the best ``cfg.monitor`` figure on the validation split
(:meth:`BestModelExport.consider`, called by :class:`~.validate_export.ValidateAndExport`);
an ``--init`` model is validated before any step and is the first candidate; a resumed run
takes the exported model's score as the one to beat. Each export is a loadable directory
(``save_pretrained``) with ``patch_stats.json``, ``train_config.json`` (the config, data
folders and ``--init`` model: the run's provenance) and ``val_metrics.json``.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from motionlex.core.retrieval.fusion import VAL_METRICS_FILE, checkpoint_fusion_weight
from motionlex.core.retrieval.validation import validation_metrics
from motionlex.core.train.run_record import software_versions
from motionlex.core.value_checks import rounded

if TYPE_CHECKING:
    from motionlex.core.data.pairs import PairExample
    from motionlex.core.model.model import MotionTextModel
    from motionlex.core.patches import PatchStats
    from motionlex.core.train.train_config import TrainConfig

logger = logging.getLogger(__name__)


class BestModelExport:
    """Mixin of :class:`~.training.TrainingRun`: which model lands in ``OUT/model``.

    It reads the run's ``cfg``, ``out_dir``, ``stats``, ``data_roots``, ``init``, ``model``
    and ``val_examples``, and keeps ``best_score`` (``-inf`` until a model is exported),
    ``best_metrics`` (the exported model's validation figures) and ``best_step`` (the best
    trained step's phase, step and score, exported or not; None until one is validated).
    """

    cfg: TrainConfig
    out_dir: Path
    stats: PatchStats
    data_roots: list[str]
    init: str | None
    model: MotionTextModel
    val_examples: list[PairExample]
    best_score: float
    best_metrics: dict[str, float]
    best_step: dict | None

    def _extra_json(self, metrics: dict[str, float], phase: str, step: int) -> dict:
        return {
            "patch_stats.json": self.stats.to_dict(),
            "train_config.json": {**self.cfg.to_dict(), "data": self.data_roots,
                                  "init": self.init, "software": software_versions()},
            VAL_METRICS_FILE: {"phase": phase, "step": step, "seed": self.cfg.seed,
                                 **rounded(metrics)},
        }

    def export(self, model: MotionTextModel, path: Path, metrics: dict[str, float], phase: str,
               step: int) -> None:
        """Save a loadable model directory (atomic: a failed save leaves the old one).

        A model with ``text_trainable_layers >= 0`` stores only its trainable text layers.
        """
        partial_text = model.config.text_trainable_layers >= 0 and model.config.text_pretrained
        model.save_pretrained(
            path, extra_json=self._extra_json(metrics, phase, step),
            include_text_encoder="trainable" if partial_text else True,
        )

    def consider(self, model: MotionTextModel, metrics: dict[str, float], phase: str,
                 step: int) -> bool:
        """Export the model when ``cfg.monitor`` improved; returns whether it did. The best
        trained step is kept as well (:attr:`best_step`), exported or not: a fine-tune whose
        steps never beat its ``--init`` model says how near they came.

        Raises:
            ValueError: ``cfg.monitor`` names no key of a non-empty ``metrics`` (the closest
                one is suggested).
        """
        if metrics and self.cfg.monitor not in metrics:  # a mistyped key: never a best model
            from motionlex.core.text.did_you_mean import closest_name

            close = closest_name(self.cfg.monitor, sorted(metrics))
            raise ValueError(
                f"training config: monitor={self.cfg.monitor} is not a validation figure"
                + (f" (did you mean {close}?)" if close else "")
                + "; it names a key of validation's figures (OUT/val_metrics.json), e.g. "
                "val/rsum, t2m/dense/R@1, m2t/fused/R@5, CAR, side/text")
        score = metrics.get(self.cfg.monitor, -math.inf)
        if phase != "init" and np.isfinite(score) and (
                self.best_step is None or score > self.best_step["score"]):
            self.best_step = {"phase": phase, "step": int(step), "score": float(score),
                              "monitor": self.cfg.monitor}
        if not np.isfinite(score) or score <= self.best_score:
            logger.info("validation %s=%.3f (best %.3f)", self.cfg.monitor, score, self.best_score)
            return False
        self.best_score, self.best_metrics = float(score), dict(metrics)
        self.export(model, self.out_dir / "model", metrics, phase, step)
        logger.info("new best %s=%.3f at %s step %d -> %s", self.cfg.monitor, score, phase,
                    step, self.out_dir / "model")
        return True

    def _consider_init(self) -> None:
        """Validate the ``--init`` model before any step and make it the first candidate:
        a fine-tune that only made it worse (4 stage-4 steps: rsum 499 -> 485, unsaid)
        exports the starting model, as phase ``init``, step 0."""
        metrics = validation_metrics(self.model, self.val_examples, self.stats)
        self.model.train()
        before = checkpoint_fusion_weight(str(self.init))
        if before is not None:  # the same weights, the fusion weight chosen on this run's val
            metrics["init_fusion_weight"] = before
        logger.info("the --init model on validation: %s=%.3f (this run must beat it)",
                    self.cfg.monitor, metrics.get(self.cfg.monitor, float("nan")))
        self.consider(self.model, metrics, "init", 0)

    def _restore_best(self, path: Path) -> None:
        """Take the best validation score of an interrupted run's exported model, so that a
        resumed run replaces that model only with a better one."""
        try:
            metrics = json.loads(path.read_text())
            score = float(metrics[self.cfg.monitor])
        except (OSError, ValueError, KeyError, TypeError):
            return  # no validated export to keep
        if np.isfinite(score):
            self.best_score = score
            self.best_metrics = {k: v for k, v in metrics.items() if k not in ("phase", "step")}
            logger.info("resuming: the exported model's %s=%.3f stands until beaten",
                        self.cfg.monitor, score)

