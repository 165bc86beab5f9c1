"""Phase-specific decoders, masking, and the loss of each training phase.

The four phases of the lexical method (../shared/DESIGN.md, "The four phases"; Lyu et al.,
ICLR 2025, Fig. 2), as implemented here, after an optional preliminary one:

- ``mlmhead``: fit the text model's MLM head (transform and bias; the decoder is the tied word
  embeddings) with the whole text encoder frozen, on masked captions. Text models shipped as
  sentence encoders (the default all-MiniLM-L6-v2) have no trained MLM head, and a random head
  gives lexical vectors of arbitrary words ("waves the left hand" -> "additional, assumes");
  the papers start from distilbert-base-uncased, whose head is pretrained. A few hundred steps
  recover a head whose max-pooled vocabulary weights name the caption's words and their
  neighbours ("waves, hand, left, wave"). Only the head is trained, as in linear probing
  before fine-tuning (Kumar et al., "Fine-Tuning can Distort Pretrained Features", ICLR 2022).

- ``lexmlm``: masked language modelling through a lexical bottleneck. The text encoder sees a
  caption with 30 % of its tokens masked and predicts them (encoder MLM loss); its max-pooled
  vocabulary distribution ``a = softmax(max_i logits_i)`` becomes one vector
  ``b = a @ word_embeddings``, which replaces [CLS] at the input of a 2-layer decoder that sees
  the caption with 50 % masked and predicts those tokens (decoder MLM loss). ``b`` is the only
  path from the encoder to the decoder. Source: Shen et al., LexMAE (ICLR 2023), Sec. 3;
  Luo et al., LexLIP (ICCV 2023), Sec. 3.2.
- ``cmmm``: two random patch maskings of each motion; a linear head reconstructs the masked
  patches of each view (MSE), and the dense embeddings of the two views are pulled together
  by InfoNCE at a fixed temperature (over the global batch under DDP: :mod:`.gather`).
  Sources: SimMIM (Xie et al., CVPR 2022) for the mask token and linear head; the two-view
  loss is CLIP's symmetric cross-view InfoNCE (each view's embedding against the other
  view's of every motion), not SimCLR's NT-Xent, which also contrasts views of one side.
- ``lexmmm``: masked motion modelling through the motion's lexical bottleneck: the motion
  encoder sees the whole motion; ``b = softmax(max_i motion logits_i) @ word_embeddings`` is
  the first token of a 2-layer decoder that sees 25 % of the patches (raw values, its own
  patch embedding) and reconstructs the other 75 % (MSE). Source: LexMAE / LexLIP bottleneck
  applied to motion (Lyu et al., ICLR 2025, "LexMMM").
- ``lexcmlp``: contrastive motion-language loss on dense cosine similarity and on lexical
  similarity, both with the false-negative mask, the CAR shuffled-event negatives and (with
  ``side_negatives``) side-swapped captions as extra motion-to-text columns and mirrored
  motions as extra text-to-motion negatives, plus the FLOPS regulariser on both modalities'
  lexical vectors (quadratic warm-up) and optional alignment / word terms
  (:mod:`motionlex.core.train.contrastive`).
- ``dense``: the MotionPatch baseline, LexCMLP's data with the dense InfoNCE only (no lexical
  term); it takes the same mask and negatives when configured, the ablation ladder's first
  rung. Source: Yu et al., CVPR 2024, Sec. 3.5, eq. 2-4 (the two directions averaged, as
  open_clip does: half the paper's sum).

The model returns features; each phase's :class:`Objective` (an ``nn.Module`` holding that
phase's decoders, if any) computes the loss from them (open_clip's split of model and loss).
An objective is called as ``objective(model, batch, step=..., generator=...)`` and returns a
dict of scalar tensors whose ``"loss"`` entry is the one to back-propagate; the other entries
are detached components for logging. :data:`PHASES` is the one phase list.

Batch dict (the data module builds it; ``R = max_frames // patch_size``):

======================  ==================================  ====================================
key                     type / shape                        meaning
======================  ==================================  ====================================
``patches``             ``(B, 3, max_frames, 80)`` float32  z-scored motion patch images
``row_mask``            ``(B, R)`` bool                     True = real patch row
``texts``               ``list[str]``, length ``B``         caption of each motion (same order)
``negative_texts``      ``list[str]``, length ``K``         optional: CAR shuffled-event captions,
                                                            then side-swapped captions
``negative_owner``      ``(K,)`` int64                      row in ``[0, B)`` of the motion whose
                                                            caption each negative shuffles/swaps
``negative_side``       ``(K,)`` bool                       optional: True = side-swapped column
``negative_motion_*``   ``(S, 3, max_frames, 80)`` float32, optional: mirrored motions of pairs
                        ``(S, R)`` bool, ``(S,)`` int64,    naming a side, reordered motions of
                        ``(S,)`` int64                      composed pairs; row masks, owners,
                                                            kinds (0 mirrored, 1 reordered)
``text_tokens``         ``input_ids`` / ``attention_mask``  optional: ``texts + negative_texts``
                        ``(B + K, L)`` int64                tokenised by the data loader
======================  ==================================  ====================================
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from motionlex.core.model.model import MotionTextModel
from motionlex.core.model.vit import patchify
from motionlex.core.train.contrastive import DenseObjective, LexCMLPObjective, PairObjective
from motionlex.core.train.decoders import LexMLMDecoder, LexMMMDecoder, divisor_heads
from motionlex.core.train.gather import distributed_world, gather_rows
from motionlex.core.train.losses import (
    IGNORE_INDEX,
    contrastive_loss,
    flops_loss,
    masked_lm_loss,
    masked_patch_loss,
    uniformity_loss,
)
from motionlex.core.train.masking import random_patch_mask
from motionlex.core.train.objective import (
    Objective,
    ObjectiveConfig,
    caption_tokens,
    mask_caption,
    ramped_flops_weight,
)

TEXT_PHASES = ("mlmhead", "lexmlm")
"""Phases trained on captions alone."""
MOTION_PHASES = ("cmmm", "lexmmm")
"""Phases trained on motions alone."""
PAIR_PHASES = ("lexcmlp", "dense")
"""Phases trained on (motion, caption) pairs; validated on retrieval."""



class MLMHeadObjective(Objective):
    """MLM-head fit: masked-token cross-entropy through the MLM head of a frozen text encoder.

    The caption is masked as in LexMLM's encoder branch (``lexmlm_encoder_mask_prob``); the
    backbone runs without gradients and the head is applied to the masked positions only, so
    a step costs one text forward plus a small ``(n_masked, V)`` product. With
    ``mlmhead_flops_weight > 0`` the lexical vectors of the unmasked captions also get the FLOPS
    regulariser (raw vectors, quadratic warm-up over ``flops_warmup_steps``): the
    cross-entropy is blind to a shift of all logits, FLOPS moves them below zero except for
    the caption's strongest words, as in SPLADE's training of an MLM head (Formal et al.,
    SIGIR 2021, eq. 4).

    Returns (of a call): ``loss`` (= ``mlm_head + w * flops``), ``mlm_head``, and
    ``flops``/``flops_weight`` when the FLOPS weight is positive.

    Source:
        Devlin et al., BERT (NAACL 2019), Sec. 3.1 (masked LM); the encoder is frozen as in
        linear probing (Kumar et al., ICLR 2022).
    """

    phase = "mlmhead"
    batch_keys = ("texts",)

    def loss(  # noqa: D102 - see Objective.loss
        self, model: MotionTextModel, batch: Mapping[str, Any], step: int | None,
        generator: torch.Generator | None,
    ) -> dict[str, torch.Tensor]:
        cfg, text = self.cfg, model.text
        tok, eligible = caption_tokens(model, batch["texts"])
        ids, attn = tok["input_ids"], tok["attention_mask"].bool()
        masked_ids, labels = mask_caption(
            model, ids, eligible, cfg.lexmlm_encoder_mask_prob, generator
        )
        with torch.no_grad():
            hidden = text.backbone(input_ids=masked_ids, attention_mask=tok["attention_mask"])
            hidden = hidden.last_hidden_state
        chosen = labels != IGNORE_INDEX
        logits = text.mlm_head(hidden[chosen].detach())
        mlm = F.cross_entropy(logits.float(), labels[chosen])
        out = {"loss": mlm, "mlm_head": mlm}
        if cfg.mlmhead_flops_weight > 0:
            with torch.no_grad():
                clean = text.backbone(input_ids=ids, attention_mask=tok["attention_mask"])
                clean = clean.last_hidden_state
            cols = model.lexical_columns()
            lex, _ = model.pool_lexical(text.mlm_head(clean.detach(), cols), attn, cols)
            fl = flops_loss(lex)
            w = ramped_flops_weight(step, cfg.mlmhead_flops_weight, cfg.flops_warmup_steps)
            out.update(loss=mlm + w * fl, flops=fl, flops_weight=torch.tensor(w))
        return out


class LexMLMObjective(Objective):
    """LexMLM: encoder MLM + decoder MLM through the lexical bottleneck (see module doc).

    Source: Lyu et al., ICLR 2025 (phase 1; the poster text names no section); Shen et al.,
    LexMAE (ICLR 2023), Sec. 3.

    Returns (of a call): ``loss`` (= ``mlm_encoder + mlm_decoder``), ``mlm_encoder``,
    ``mlm_decoder``.
    """

    phase = "lexmlm"
    batch_keys = ("texts",)

    def __init__(self, model: MotionTextModel, cfg: ObjectiveConfig) -> None:
        super().__init__(model, cfg)
        mlm_cfg = model.text.mlm.config
        text_heads = int(
            getattr(mlm_cfg, "num_attention_heads", 0) or getattr(mlm_cfg, "n_heads", 1)
        )
        self.decoder = LexMLMDecoder(model.text.hidden_size, cfg.decoder_layers, text_heads)

    def loss(  # noqa: D102 - see Objective.loss
        self, model: MotionTextModel, batch: Mapping[str, Any], step: int | None,
        generator: torch.Generator | None,
    ) -> dict[str, torch.Tensor]:
        cfg, text = self.cfg, model.text
        tok, eligible = caption_tokens(model, batch["texts"])
        ids, attn = tok["input_ids"], tok["attention_mask"].bool()
        enc_ids, enc_labels = mask_caption(
            model, ids, eligible, cfg.lexmlm_encoder_mask_prob, generator
        )
        dec_ids, dec_labels = mask_caption(
            model, ids, eligible, cfg.lexmlm_decoder_mask_prob, generator
        )
        out = model.forward_text(
            {"input_ids": enc_ids, "attention_mask": tok["attention_mask"]},
            return_token_logits=True,
        )
        enc_loss = masked_lm_loss(out.token_logits, enc_labels)
        bottleneck = bottleneck_weights(out.max_logits) @ text.word_embeddings.float()
        hidden = self.decoder(bottleneck, text.embed_tokens(dec_ids), attn)
        dec_loss = masked_lm_loss(text.mlm_head(hidden), dec_labels)
        return {"loss": enc_loss + dec_loss, "mlm_encoder": enc_loss, "mlm_decoder": dec_loss}


class CMMMObjective(Objective):
    """CMMM: reconstruct masked patches of two views and pull the views' embeddings together.

    Source: Lyu et al., ICLR 2025 (phase 2); SimMIM (Xie et al., CVPR 2022); a CLIP-style
    cross-view InfoNCE between the two views (see module doc).

    Returns (of a call): ``loss`` (= ``reconstruction + cmmm_contrastive_weight *
    contrastive``), ``reconstruction``, ``contrastive``.
    """

    phase = "cmmm"
    batch_keys = ("patches", "row_mask")

    def __init__(self, model: MotionTextModel, cfg: ObjectiveConfig) -> None:
        super().__init__(model, cfg)
        motion = model.motion
        self.decoder = nn.Linear(motion.hidden_size, motion.num_channels * motion.patch_size**2)

    def loss(  # noqa: D102 - see Objective.loss
        self, model: MotionTextModel, batch: Mapping[str, Any], step: int | None,
        generator: torch.Generator | None,
    ) -> dict[str, torch.Tensor]:
        cfg = self.cfg
        patches, row_mask = model.prepare_motion(batch["patches"], batch["row_mask"])
        valid = model.motion.token_mask(row_mask)[:, 1:]
        target = patchify(patches, model.motion.patch_size)
        recon, dense = [], []
        for _ in range(2):
            masked = random_patch_mask(valid, cfg.cmmm_mask_ratio, generator)
            out = model.forward_motion(patches, row_mask, bool_masked_pos=masked, lexical=False)
            pred = self.decoder(out.tokens[:, 1:])
            recon.append(masked_patch_loss(pred, target, masked))
            dense.append(out.dense)
        rec = (recon[0] + recon[1]) / 2
        if distributed_world()[1] > 1:  # the two views of the global batch (DDP)
            dense = [gather_rows(d) for d in dense]
        logits = (dense[0].float() @ dense[1].float().t()) / cfg.cmmm_temperature
        con = contrastive_loss(logits).loss
        return {
            "loss": rec + cfg.cmmm_contrastive_weight * con,
            "reconstruction": rec,
            "contrastive": con,
        }


def bottleneck_weights(max_logits: torch.Tensor, kind: str = "softmax") -> torch.Tensor:
    """The vocabulary weights of a lexical bottleneck (LexMAE; Lyu et al. 2025, LexMLM/LexMMM).

    Args:
        max_logits: ``(B, V)`` float max-pooled vocabulary logits (excluded words at the
            dtype's lowest value).
        kind: ``"softmax"``: ``softmax(max_logits)`` (LexMAE, Shen et al. ICLR 2023), which
            grows sharper as the logits grow; ``"lexical"``: the lexical vector
            ``log1p(relu(max_logits))`` divided by its sum, which grows flatter as all logits
            grow and sharpens only when words drop to zero (sparsity).

    Returns:
        ``(B, V)`` float, non-negative rows summing to 1 (or 0 for a lexical vector of zeros).

    Raises:
        ValueError: an unknown ``kind``.
    """
    if kind == "softmax":
        return torch.softmax(max_logits, dim=-1)
    if kind == "lexical":
        lexical = torch.log1p(torch.relu(max_logits))
        return lexical / lexical.sum(-1, keepdim=True).clamp_min(1e-6)
    raise ValueError(f"unknown bottleneck {kind!r}; known: softmax, lexical")


class LexMMMObjective(Objective):
    """LexMMM: reconstruct masked patches from the motion's vocabulary bottleneck.

    Source: Lyu et al., ICLR 2025 (phase 3); the LexMAE / LexLIP bottleneck (Shen et al.,
    ICLR 2023; Luo et al., ICCV 2023) on motion patches.

    Returns (of a call): ``loss`` (= ``reconstruction``, plus ``lexmmm_uniformity_weight *
    uniformity`` when that weight is set), ``reconstruction`` (and ``uniformity``).
    """

    phase = "lexmmm"
    batch_keys = ("patches", "row_mask")

    def __init__(self, model: MotionTextModel, cfg: ObjectiveConfig) -> None:
        super().__init__(model, cfg)
        motion = model.motion
        self.decoder = LexMMMDecoder(
            model.text.hidden_size,
            motion.hidden_size,
            motion.num_patches,
            motion.num_channels * motion.patch_size**2,
            cfg.decoder_layers,
            divisor_heads(motion.hidden_size, model.config.motion_heads),
        )

    def loss(  # noqa: D102 - see Objective.loss
        self, model: MotionTextModel, batch: Mapping[str, Any], step: int | None,
        generator: torch.Generator | None,
    ) -> dict[str, torch.Tensor]:
        patches, row_mask = model.prepare_motion(batch["patches"], batch["row_mask"])
        valid = model.motion.token_mask(row_mask)[:, 1:]
        if self.cfg.lexmmm_trunk_gradient:
            out = model.forward_motion(patches, row_mask)
            max_logits = out.max_logits
        else:  # the head learns to name the motion; the trunk (and its dense space) stays
            with torch.no_grad():
                out = model.forward_motion(patches, row_mask, lexical=False)
            _, max_logits = model.motion_lexical_from_tokens(
                out.tokens, out.token_mask, row_mask)
        a = bottleneck_weights(max_logits, self.cfg.lexmmm_bottleneck)
        bottleneck = a @ model.text.word_embeddings.float()
        target = patchify(patches, model.motion.patch_size)
        hidden = random_patch_mask(valid, self.cfg.lexmmm_decoder_mask_ratio, generator)
        pred = self.decoder(bottleneck, target, valid & ~hidden, valid)
        rec = masked_patch_loss(pred, target, hidden)
        if self.cfg.lexmmm_uniformity_weight == 0:
            return {"loss": rec, "reconstruction": rec}
        dense = out.dense
        if distributed_world()[1] > 1:  # the global batch's spread (DDP)
            dense = gather_rows(dense)
        uni = uniformity_loss(dense)
        return {"loss": rec + self.cfg.lexmmm_uniformity_weight * uni,
                "reconstruction": rec, "uniformity": uni}


OBJECTIVES: dict[str, type[Objective]] = {
    cls.phase: cls
    for cls in (
        MLMHeadObjective,
        LexMLMObjective,
        CMMMObjective,
        LexMMMObjective,
        LexCMLPObjective,
        DenseObjective,
    )
}
"""Phase name -> objective class, in the order the method runs the phases."""

PHASES: tuple[str, ...] = tuple(OBJECTIVES)
"""THE phase list: ``mlmhead`` (optional), ``lexmlm``, ``cmmm``, ``lexmmm``, ``lexcmlp``, and
``dense`` (the MotionPatch baseline, run instead of the lexical phases)."""


def create_objective(
    phase: str, model: MotionTextModel, cfg: ObjectiveConfig | None = None, *,
    false_negative_mask: bool = True,
) -> Objective:
    """The objective of one phase, its decoders sized for ``model`` (fresh initialisation).

    ``false_negative_mask`` (``TrainConfig.false_negative_mask``) reaches the pair phases.

    Raises:
        ValueError: unknown phase (the message lists the known ones).
    """
    if phase not in OBJECTIVES:
        raise ValueError(f"unknown phase {phase!r}; known phases: {', '.join(PHASES)}")
    cls, cfg = OBJECTIVES[phase], cfg or ObjectiveConfig()
    if issubclass(cls, PairObjective):
        return cls(model, cfg, false_negative_mask=false_negative_mask).to(model.device)
    return cls(model, cfg).to(model.device)


def check_batch(phase: str, batch: Mapping[str, Any]) -> None:
    """Validate a phase batch (keys, shapes, dtypes) against the table in the module doc.

    Raises:
        ValueError: unknown phase, missing keys, or inconsistent shapes/dtypes.
    """
    if phase not in OBJECTIVES:
        raise ValueError(f"unknown phase {phase!r}; known phases: {', '.join(PHASES)}")
    OBJECTIVES[phase].check_batch(batch)
