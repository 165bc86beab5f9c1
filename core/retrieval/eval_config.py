"""The settings of one evaluation (:func:`~.evaluate.evaluate`), checked when made."""

from __future__ import annotations

from dataclasses import dataclass

from motionlex.core.data.bvh_folders import DEFAULT_PROMPT, check_prompt
from motionlex.core.retrieval.chronology import CHRONOLOGY_PAIRS, PROTOCOL_SEED
from motionlex.core.retrieval.protocols import DEFAULT_SENTENCE_MODEL
from motionlex.core.value_checks import is_int, is_number

_INT_FIELDS = ("small_batch_size", "seed", "car_shuffles", "chronology_pairs",
               "synthetic_chronology", "batch_size", "max_curve_k")


@dataclass(frozen=True)
class EvalConfig:
    """Settings of one evaluation (saved in ``evaluation.json``).

    Attributes:
        split: split to evaluate; a BVH folder without that split file is read whole.
        fusion_weight: dense weight of the fused score; ``None`` = the checkpoint's
            ``val_metrics.json`` ``fusion_weight``, else chosen on the val split.
        sentence_model: sentence model of the Threshold protocol (the MiniLM package, a
            local sentence-transformers folder) or ``None`` to skip that protocol.
        threshold: Threshold protocol cut-off on TMR's ``(cos + 1) / 2`` scale.
        small_batch_size / seed: Small-batches protocol (and the seed of CAR shuffles and
            the composed test set; the default is validation's, so ``CAR`` and
            ``chronology/...`` match a checkpoint's ``val_metrics.json`` on its val split).
        car_shuffles: shuffled captions per multi-event caption (1 as in CAR's Table 1).
        chronology_pairs: composed test pairs (0 = none).
        synthetic_chronology: pairs of the synthetic motion-side chronology test
            (:func:`synthetic_chronology_report`, generator seed ``seed + 1000`` so they
            differ from the demo gallery; 0 = none).
        zero_shot: classify action labels; ``None`` = when the data has labels.
        prompt: class prompt template with ``{action}`` ('-' in labels becomes ' ').
        batch_size: motions or captions per forward pass.
        device: torch device; ``None`` = CUDA when present.
        progress: progress bars.
        max_curve_k: largest k of the recall curves.
        bvh_pairs: folder of native BVH takes with ``index.json`` naming each one's
            conversion in the evaluated dataset (cross-skeleton agreement, :mod:`.xskel`).
        command: the command line that ran the evaluation (``motionlex evaluate ...``), for
            the report's header; ``None`` when run from Python.

    Raises:
        TypeError: (on construction) a count, size or ``seed`` that is not an int, or a
            ``threshold`` / ``fusion_weight`` that is not a number (every such field named).
        ValueError: (on construction) values out of range (``seed`` < 0 included) or a
            prompt without ``{action}``.
    """

    split: str = "val"
    fusion_weight: float | None = None
    sentence_model: str | None = DEFAULT_SENTENCE_MODEL
    threshold: float = 0.95
    small_batch_size: int = 32
    seed: int = PROTOCOL_SEED
    car_shuffles: int = 1
    chronology_pairs: int = CHRONOLOGY_PAIRS
    synthetic_chronology: int = 50
    zero_shot: bool | None = None
    prompt: str = DEFAULT_PROMPT
    batch_size: int = 64
    device: str | None = None
    progress: bool = True
    max_curve_k: int = 50
    bvh_pairs: str | None = None
    command: str | None = None

    def __post_init__(self) -> None:
        wrong = [f"{name} must be an int, got {type(v).__name__} {v!r:.20}"
                 for name in _INT_FIELDS if not is_int(v := getattr(self, name))]
        wrong += [f"{name} must be a number, got {type(v).__name__} {v!r:.20}"
                  for name in ("threshold", "fusion_weight")
                  if not is_number(v := getattr(self, name))
                  and not (name == "fusion_weight" and v is None)]
        if wrong:
            raise TypeError("invalid evaluation settings: " + "; ".join(wrong))
        bad = []
        try:
            check_prompt(self.prompt)
        except ValueError as e:
            bad.append(f"prompt {e}")
        if self.fusion_weight is not None and not 0.0 <= self.fusion_weight <= 1.0:
            bad.append(f"fusion_weight must be in [0, 1], got {self.fusion_weight}")
        for name in ("small_batch_size", "car_shuffles", "batch_size", "max_curve_k"):
            if getattr(self, name) < 1:
                bad.append(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0.0 <= self.threshold <= 1.0:
            bad.append(f"threshold must be in [0, 1] (TMR scale), got {self.threshold}")
        if self.synthetic_chronology < 0:
            bad.append(f"synthetic_chronology must be >= 0, got {self.synthetic_chronology}")
        if self.chronology_pairs < 0:
            bad.append(f"chronology_pairs must be >= 0, got {self.chronology_pairs}")
        if self.seed < 0:
            bad.append(f"seed must be >= 0, got {self.seed}")
        if bad:
            raise ValueError("invalid evaluation settings: " + "; ".join(bad))
