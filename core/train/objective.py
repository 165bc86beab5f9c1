"""The base of the phase objectives: their settings, batch checks and shared helpers.

The phase objectives themselves, and the phase list, are in
:mod:`motionlex.core.train.objectives`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from motionlex.core.model.config import unknown_keys_error
from motionlex.core.model.model import MotionTextModel
from motionlex.core.train.losses import flops_weight
from motionlex.core.train.masking import mask_tokens

LEXMMM_BOTTLENECKS = ("softmax", "lexical")
"""The weightings of LexMMM's bottleneck (``ObjectiveConfig.lexmmm_bottleneck``)."""


@dataclass(frozen=True)
class ObjectiveConfig:
    """Loss weights, mask ratios and decoder depth of the phase objectives (training only).

    Attributes:
        decoder_layers: depth of the LexMLM / LexMMM decoders (2 in LexMAE).
        lexmlm_encoder_mask_prob / lexmlm_decoder_mask_prob: caption masking of LexMLM's
            encoder and decoder branches (also ``mlmhead``'s masking: the encoder one).
        cmmm_mask_ratio: share of real patches masked in each CMMM view.
        cmmm_temperature: fixed InfoNCE temperature of CMMM's two views.
        cmmm_contrastive_weight: weight of CMMM's contrastive term.
        lexmmm_decoder_mask_ratio: share of real patches the LexMMM decoder must rebuild.
        lexmmm_uniformity_weight: weight of a uniformity term on the motions' dense
            embeddings added to LexMMM's loss (0 = the paper's LexMMM). Without it LexMMM
            collapses a from-scratch motion ViT's dense space (``docs/prephases.md``).
        lexmmm_trunk_gradient: let LexMMM's loss reach the motion trunk (the paper's
            LexMMM). False detaches the trunk's tokens: LexMMM then trains the motion
            lexical head and its decoder only and leaves the dense space as it was.
        lexmmm_bottleneck: how LexMMM turns the motion's vocabulary logits into the weights
            of its word-embedding bottleneck: ``"softmax"`` of the max logits (LexMAE, the
            paper's LexMMM) or ``"lexical"``, the motion's lexical vector
            ``log1p(relu(max logits))`` divided by its sum (see
            :func:`~motionlex.core.train.objectives.bottleneck_weights`): growing the
            logits flattens it instead of sharpening it; only zeroing words sharpens it.
        lexical_loss_weight: weight of LexCMLP's lexical contrastive term.
        lexical_align_weight: weight of LexCMLP's motion-to-caption lexical alignment.
        mlmhead_flops_weight: FLOPS weight of the ``mlmhead`` phase (0 = none).
        flops_max_weight / flops_warmup_steps: LexCMLP's FLOPS weight after its quadratic
            warm-up over this many steps.
        lexical_word_weight: weight of LexCMLP's word term (motion and caption vocabulary
            distributions toward the caption's content words; 0 = off).
        lexical_word_temperature: softmax temperature of the word term.
        side_pair_weight: weight of LexCMLP's / the dense objective's side pair term
            (:func:`~motionlex.core.train.pair_losses.side_pair_loss`: each caption against its
            side-swapped caption, each caption's motion against its mirrored motion, on the
            dense and, in LexCMLP, the lexical similarity; 0 = side pairs are only extra
            columns of the InfoNCE).
        car_pair_weight: weight of the CAR pair term: the same two-way loss on each motion's
            caption against each of its chronologically shuffled captions (the CAR columns;
            0 = they are only extra columns of the InfoNCE).
        order_pair_weight: weight of the order pair term (the same two-way loss on each
            composed caption's true clips against its reordered clips, with
            ``TrainConfig.order_negatives``; 0 = reordered motions are only extra
            text-to-motion negatives of the InfoNCE).
        near_duplicate_threshold: also mask, as false negatives, captions whose dense
            text-text cosine to a row's caption exceeds this (TMR; None = identical only).

    Raises:
        ValueError: (on construction) a ratio outside ``(0, 1]``, a negative weight or a
            non-positive temperature or depth.
    """

    decoder_layers: int = 2
    lexmlm_encoder_mask_prob: float = 0.3
    lexmlm_decoder_mask_prob: float = 0.5
    cmmm_mask_ratio: float = 0.5
    cmmm_temperature: float = 0.1
    cmmm_contrastive_weight: float = 1.0
    lexmmm_decoder_mask_ratio: float = 0.75
    lexmmm_uniformity_weight: float = 0.0
    lexmmm_trunk_gradient: bool = True
    lexmmm_bottleneck: str = "softmax"
    lexical_loss_weight: float = 1.0
    lexical_align_weight: float = 0.0
    mlmhead_flops_weight: float = 0.0
    flops_max_weight: float = 0.002
    flops_warmup_steps: int = 2000
    lexical_word_weight: float = 0.0
    lexical_word_temperature: float = 1.0
    side_pair_weight: float = 0.0
    order_pair_weight: float = 0.0
    car_pair_weight: float = 0.0
    near_duplicate_threshold: float | None = None

    def __post_init__(self) -> None:
        problems = []
        for f in (
            "lexmlm_encoder_mask_prob",
            "lexmlm_decoder_mask_prob",
            "cmmm_mask_ratio",
            "lexmmm_decoder_mask_ratio",
        ):
            if not 0.0 < getattr(self, f) <= 1.0:
                problems.append(f"{f} must be in (0, 1], got {getattr(self, f)}")
        for f in ("mlmhead_flops_weight", "flops_max_weight", "lexical_align_weight",
                  "lexical_word_weight", "lexmmm_uniformity_weight", "side_pair_weight",
                  "order_pair_weight", "car_pair_weight"):
            if getattr(self, f) < 0:
                problems.append(f"{f} must be >= 0, got {getattr(self, f)}")
        if self.lexmmm_bottleneck not in LEXMMM_BOTTLENECKS:
            problems.append(f"lexmmm_bottleneck must be one of {list(LEXMMM_BOTTLENECKS)}, "
                            f"got {self.lexmmm_bottleneck!r}")
        if self.lexmmm_uniformity_weight and not self.lexmmm_trunk_gradient:
            problems.append("lexmmm_uniformity_weight acts on the motion trunk, which "
                            "lexmmm_trunk_gradient=false leaves untouched: set one of them")
        if self.cmmm_temperature <= 0 or self.decoder_layers < 1:
            problems.append("cmmm_temperature and decoder_layers must be positive")
        if self.lexical_word_temperature <= 0:
            problems.append(f"lexical_word_temperature must be > 0, got "
                            f"{self.lexical_word_temperature}")
        if problems:
            raise ValueError("invalid ObjectiveConfig: " + "; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        """JSON/YAML-ready dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ObjectiveConfig:
        """Build from a dict, rejecting unknown keys.

        Raises:
            ValueError: unknown keys (listed with the known ones) or invalid values.
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise unknown_keys_error("objective", unknown, known)
        return cls(**data)


def caption_tokens(
    model: MotionTextModel, texts: Sequence[str]
) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Tokenised captions on the model's device and the ``(B, L)`` bool mask of the tokens
    that may be masked (real, non-special)."""
    tok = model.text.tokenize(texts, device=model.device)
    ids, attn = tok["input_ids"], tok["attention_mask"].bool()
    return tok, attn & ~torch.isin(ids, model.special_token_ids.to(ids.device))


def mask_caption(
    model: MotionTextModel,
    ids: torch.Tensor,
    eligible: torch.Tensor,
    probability: float,
    generator: torch.Generator | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`mask_tokens` with the text model's [MASK] id and vocabulary size."""
    return mask_tokens(
        ids,
        eligible,
        probability,
        mask_token_id=model.text.tokenizer.mask_token_id,
        vocab_size=model.text.vocab_size,
        generator=generator,
    )


def ramped_flops_weight(step: int | None, max_weight: float, warmup_steps: int) -> float:
    """:func:`flops_weight` at ``step``; the full ``max_weight`` when the step is unknown."""
    return max_weight if step is None else flops_weight(step, max_weight, warmup_steps)


class Objective(nn.Module):
    """The loss of one phase; subclasses hold that phase's decoders (if any).

    Args:
        model: the model the objective trains (read for its sizes only; not stored).
        cfg: loss settings.
    """

    phase: ClassVar[str]
    batch_keys: ClassVar[tuple[str, ...]]

    def __init__(self, model: MotionTextModel, cfg: ObjectiveConfig) -> None:
        super().__init__()
        self.cfg = cfg

    @classmethod
    def check_batch(cls, batch: Mapping[str, Any]) -> None:
        """Validate a batch of this phase (keys, shapes, dtypes) against the table in
        :mod:`motionlex.core.train.objectives`.

        Raises:
            ValueError: missing keys, or inconsistent shapes/dtypes.
        """
        phase, keys = cls.phase, cls.batch_keys
        missing = [k for k in keys if k not in batch]
        if missing:
            raise ValueError(
                f"phase {phase!r} batch lacks {missing}; it needs {list(keys)} "
                f"(got keys {sorted(batch)})"
            )
        n = None
        if "patches" in batch:
            n = int(batch["patches"].shape[0])
            if tuple(batch["row_mask"].shape[:1]) != (n,):
                raise ValueError(
                    f"row_mask has {tuple(batch['row_mask'].shape)} rows but patches have {n}"
                )
        if "texts" in keys and n is not None and len(batch["texts"]) != n:
            raise ValueError(
                f"texts has {len(batch['texts'])} captions but patches have {n} motions"
            )
        neg = batch.get("negative_texts")
        tokens = batch.get("text_tokens")
        if tokens is not None and "texts" in batch:
            rows = len(batch["texts"]) + len(neg or [])
            if tuple(tokens["input_ids"].shape[:1]) != (rows,):
                raise ValueError(f"text_tokens must hold the {rows} captions texts + "
                                 f"negative_texts; got {tuple(tokens['input_ids'].shape)}")
        if phase in ("lexcmlp", "dense") and neg:
            owner = batch.get("negative_owner")
            if owner is None or tuple(torch.as_tensor(owner).shape) != (len(neg),):
                got = None if owner is None else tuple(torch.as_tensor(owner).shape)
                raise ValueError(
                    f"negative_owner must be ({len(neg)},) int64 for {len(neg)} "
                    f"negative_texts; got {got}"
                )

    def forward(
        self,
        model: MotionTextModel,
        batch: Mapping[str, Any],
        *,
        step: int | None = None,
        generator: torch.Generator | None = None,
    ) -> dict[str, torch.Tensor]:
        """Loss of this phase on a batch (see the batch table in the module doc).

        Args:
            model: the model whose features the loss is computed from.
            batch: the batch dict.
            step: global optimiser step (FLOPS warm-up); None = full weight.
            generator: random generator for the masks (on the model's device), or None.

        Returns:
            dict of scalar tensors; ``"loss"`` carries the graph, the rest are detached.

        Raises:
            ValueError: a batch that breaks the contract.
        """
        self.check_batch(batch)
        out = self.loss(model, batch, step, generator)
        return {k: (v if k == "loss" else v.detach()) for k, v in out.items()}

    def loss(
        self,
        model: MotionTextModel,
        batch: Mapping[str, Any],
        step: int | None,
        generator: torch.Generator | None,
    ) -> dict[str, torch.Tensor]:
        """The phase's loss terms (``"loss"`` and components); see :meth:`forward`."""
        raise NotImplementedError
