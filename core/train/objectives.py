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
  by InfoNCE at a fixed temperature. Sources: SimMIM (Xie et al., CVPR 2022) for the mask token
  and linear head; SimCLR (Chen et al., ICML 2020) for the two-view loss.
- ``lexmmm``: masked motion modelling through the motion's lexical bottleneck: the motion
  encoder sees the whole motion; ``b = softmax(max_i motion logits_i) @ word_embeddings`` is
  the first token of a 2-layer decoder that sees 25 % of the patches (raw values, its own
  patch embedding) and reconstructs the other 75 % (MSE). Source: LexMAE / LexLIP bottleneck
  applied to motion (Lyu et al., ICLR 2025, "LexMMM").
- ``lexcmlp``: contrastive motion-language loss on dense cosine similarity and on lexical
  similarity, both with the CAR shuffled-event negatives as extra motion-to-text columns, plus
  the FLOPS regulariser on both modalities' lexical vectors (quadratic warm-up).

Every ``*_loss`` function returns a dict of scalar tensors whose ``"loss"`` entry is the one to
back-propagate; the other entries are detached components for logging.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import nn

from motionlex.core.model.encoders import patchify
from motionlex.core.model.lexical import flops_loss, flops_weight, lexical_similarity
from motionlex.core.train.losses import (
    IGNORE_INDEX,
    car_pairwise_accuracy,
    contrastive_loss,
    masked_lm_loss,
    masked_patch_loss,
)

if TYPE_CHECKING:
    from motionlex.core.model.model import MotionTextModel

PHASES = ("mlmhead", "lexmlm", "cmmm", "lexmmm", "lexcmlp")
"""Training phases, in the order the method runs them (``mlmhead`` is optional)."""

PHASE_BATCH_KEYS = {
    "mlmhead": ("texts",),
    "lexmlm": ("texts",),
    "cmmm": ("patches", "row_mask"),
    "lexmmm": ("patches", "row_mask"),
    "lexcmlp": ("patches", "row_mask", "texts"),
}
"""Required batch keys per phase (``negative_texts``/``negative_owner`` are optional)."""


# ---------------------------------------------------------------------------------------------
# masking (pure, randomness through an explicit generator)


def mask_tokens(
    input_ids: torch.Tensor,
    eligible: torch.Tensor,
    probability: float,
    *,
    mask_token_id: int,
    vocab_size: int,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT masking: choose tokens with a probability, then 80 % [MASK], 10 % random, 10 % kept.

    Every row with at least one eligible token gets at least one masked token.

    Args:
        input_ids: ``(B, L)`` int64 token ids.
        eligible: ``(B, L)`` bool, tokens that may be masked (real, non-special).
        probability: masking probability in ``(0, 1]``.
        mask_token_id: id of [MASK].
        vocab_size: ``V`` (random replacements are drawn from ``[0, V)``).
        generator: random generator (on the tensors' device), or None for the global one.

    Returns:
        ``(masked_ids, labels)``, both ``(B, L)`` int64; ``labels`` holds the original id at
        masked positions and ``-100`` elsewhere.

    Raises:
        ValueError: a probability outside ``(0, 1]`` or mismatched shapes.

    Source:
        Devlin et al., BERT (NAACL 2019), Sec. 3.1 "Task #1: Masked LM".
    """
    if not 0.0 < probability <= 1.0:
        raise ValueError(f"masking probability must be in (0, 1]; got {probability}")
    if eligible.shape != input_ids.shape or eligible.dtype != torch.bool:
        raise ValueError(
            f"eligible must be bool {tuple(input_ids.shape)}; got {eligible.dtype} "
            f"{tuple(eligible.shape)}"
        )
    dev = input_ids.device
    u = torch.rand(input_ids.shape, generator=generator, device=dev)
    chosen = (u < probability) & eligible
    # rows without any chosen token: force the eligible token with the lowest draw
    need = eligible.any(dim=1) & ~chosen.any(dim=1)
    if bool(need.any()):
        first = u.masked_fill(~eligible, 2.0).argmin(dim=1)
        force = torch.zeros_like(chosen)
        force[torch.arange(len(first), device=dev), first] = True
        chosen = chosen | (force & need.unsqueeze(1))
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, IGNORE_INDEX))
    r = torch.rand(input_ids.shape, generator=generator, device=dev)
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator, device=dev)
    masked = torch.where(chosen & (r < 0.8), torch.full_like(input_ids, mask_token_id), input_ids)
    masked = torch.where(chosen & (r >= 0.8) & (r < 0.9), random_ids, masked)
    return masked, labels


def random_patch_mask(
    valid: torch.Tensor, ratio: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Choose ``max(1, round(ratio * n_valid))`` of each row's real patches at random.

    Args:
        valid: ``(B, P)`` bool, True for real (unpadded) patches.
        ratio: share of real patches to mask, in ``(0, 1]``.
        generator: random generator (on ``valid.device``), or None for the global one.

    Returns:
        ``(B, P)`` bool, True for masked patches; padded patches are never masked, and a row
        without real patches masks nothing.

    Raises:
        ValueError: a ratio outside ``(0, 1]`` or a non-bool mask.
    """
    if not 0.0 < ratio <= 1.0:
        raise ValueError(f"mask ratio must be in (0, 1]; got {ratio}")
    if valid.dim() != 2 or valid.dtype != torch.bool:
        raise ValueError(f"valid must be bool (B, P); got {valid.dtype} {tuple(valid.shape)}")
    n_valid = valid.sum(dim=1)
    k = torch.clamp(torch.round(n_valid.float() * ratio).long(), min=1)
    k = torch.minimum(k, n_valid)
    noise = torch.rand(valid.shape, generator=generator, device=valid.device)
    noise = noise.masked_fill(~valid, 2.0)
    ranks = noise.argsort(dim=1).argsort(dim=1)
    return ranks < k.unsqueeze(1)


# ---------------------------------------------------------------------------------------------
# decoders


class ShallowDecoder(nn.Module):
    """A few post-norm transformer layers (BERT-style) with a key padding mask.

    Args:
        width: token width.
        layers: number of layers (2 in LexMAE).
        heads: attention heads (divides ``width``).
        dropout: dropout rate.
    """

    def __init__(self, width: int, layers: int = 2, heads: int = 4, dropout: float = 0.0) -> None:
        super().__init__()
        layer = nn.TransformerEncoderLayer(
            d_model=width,
            nhead=heads,
            dim_feedforward=4 * width,
            dropout=dropout,
            activation="gelu",
            batch_first=True,
        )
        self.layers = nn.TransformerEncoder(layer, num_layers=layers, enable_nested_tensor=False)

    def forward(self, x: torch.Tensor, token_mask: torch.Tensor) -> torch.Tensor:
        """``x (B, L, W)``, ``token_mask (B, L)`` bool (True = real) -> ``(B, L, W)``."""
        return self.layers(x, src_key_padding_mask=~token_mask)


class LexMLMDecoder(nn.Module):
    """Shallow text decoder fed by the lexical bottleneck in place of [CLS].

    Args:
        hidden_size: text width ``H`` (the output goes through the text MLM head).
        layers: decoder depth.
        heads: attention heads.
    """

    def __init__(self, hidden_size: int, layers: int = 2, heads: int = 4) -> None:
        super().__init__()
        self.decoder = ShallowDecoder(hidden_size, layers, heads)

    def forward(
        self, bottleneck: torch.Tensor, token_embeddings: torch.Tensor, token_mask: torch.Tensor
    ) -> torch.Tensor:
        """Decode.

        Args:
            bottleneck: ``(B, H)`` continuous bag of words ``a @ word_embeddings``.
            token_embeddings: ``(B, L, H)`` input embeddings of the (heavily masked) caption.
            token_mask: ``(B, L)`` bool, True for real tokens.

        Returns:
            ``(B, L, H)`` hidden states; position 0 holds the bottleneck.
        """
        x = torch.cat(
            [bottleneck.unsqueeze(1).to(token_embeddings.dtype), token_embeddings[:, 1:]], 1
        )
        return self.decoder(x, token_mask)


class LexMMMDecoder(nn.Module):
    """Shallow motion decoder: bottleneck token + visible raw patches + mask tokens -> patches.

    Args:
        bottleneck_size: width of ``a @ word_embeddings`` (the text width).
        width: decoder width.
        num_patches: patch tokens ``P`` (70).
        patch_dim: values per patch (``3 * 16 * 16``).
        layers: decoder depth.
        heads: attention heads.
    """

    def __init__(
        self,
        bottleneck_size: int,
        width: int,
        num_patches: int,
        patch_dim: int,
        layers: int = 2,
        heads: int = 4,
    ) -> None:
        super().__init__()
        self.bottleneck_proj = nn.Linear(bottleneck_size, width)
        self.patch_embed = nn.Linear(patch_dim, width)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, width))
        self.pos = nn.Parameter(torch.randn(1, 1 + num_patches, width) * 0.02)
        self.decoder = ShallowDecoder(width, layers, heads)
        self.out = nn.Linear(width, patch_dim)

    def forward(
        self,
        bottleneck: torch.Tensor,
        patch_values: torch.Tensor,
        visible: torch.Tensor,
        valid: torch.Tensor,
    ) -> torch.Tensor:
        """Reconstruct every patch.

        Args:
            bottleneck: ``(B, Ht)``.
            patch_values: ``(B, P, patch_dim)`` true patch values (only visible ones are used).
            visible: ``(B, P)`` bool, patches the decoder may see.
            valid: ``(B, P)`` bool, real (unpadded) patches.

        Returns:
            ``(B, P, patch_dim)`` predicted patch values.
        """
        x = self.patch_embed(patch_values)
        x = torch.where(visible.unsqueeze(-1), x, self.mask_token.to(x.dtype))
        first = self.bottleneck_proj(bottleneck.to(x.dtype)).unsqueeze(1)
        x = torch.cat([first, x], dim=1) + self.pos
        mask = torch.cat([torch.ones_like(valid[:, :1]), valid], dim=1)
        return self.out(self.decoder(x, mask)[:, 1:])


class PhaseHeads(nn.Module):
    """The training-only decoders of the phases (not needed for retrieval).

    Attributes:
        lexmlm: :class:`LexMLMDecoder` at text width.
        cmmm: linear patch regressor (SimMIM) from motion tokens.
        lexmmm: :class:`LexMMMDecoder`.
    """

    def __init__(
        self,
        *,
        text_hidden: int,
        text_heads: int,
        motion_hidden: int,
        motion_heads: int,
        num_patches: int,
        patch_dim: int,
        decoder_layers: int,
    ) -> None:
        super().__init__()
        self.lexmlm = LexMLMDecoder(text_hidden, decoder_layers, text_heads)
        self.cmmm = nn.Linear(motion_hidden, patch_dim)
        self.lexmmm = LexMMMDecoder(
            text_hidden, motion_hidden, num_patches, patch_dim, decoder_layers, motion_heads
        )


# ---------------------------------------------------------------------------------------------
# batch checks


def check_batch(phase: str, batch: Mapping[str, Any]) -> None:
    """Validate a phase batch (keys, shapes, dtypes) against the contract in core/model.py.

    Raises:
        ValueError: unknown phase, missing keys, or inconsistent shapes/dtypes.
    """
    if phase not in PHASES:
        raise ValueError(f"unknown phase {phase!r}; known phases: {', '.join(PHASES)}")
    missing = [k for k in PHASE_BATCH_KEYS[phase] if k not in batch]
    if missing:
        raise ValueError(
            f"phase {phase!r} batch lacks {missing}; it needs {list(PHASE_BATCH_KEYS[phase])} "
            f"(got keys {sorted(batch)})"
        )
    n = None
    if "patches" in batch:
        n = int(batch["patches"].shape[0])
        if tuple(batch["row_mask"].shape[:1]) != (n,):
            raise ValueError(
                f"row_mask has {tuple(batch['row_mask'].shape)} rows but patches have {n}"
            )
    if "texts" in PHASE_BATCH_KEYS[phase] and n is not None and len(batch["texts"]) != n:
        raise ValueError(f"texts has {len(batch['texts'])} captions but patches have {n} motions")
    neg = batch.get("negative_texts")
    if phase == "lexcmlp" and neg:
        owner = batch.get("negative_owner")
        if owner is None or tuple(torch.as_tensor(owner).shape) != (len(neg),):
            got = None if owner is None else tuple(torch.as_tensor(owner).shape)
            raise ValueError(
                f"negative_owner must be ({len(neg)},) int64 for {len(neg)} "
                f"negative_texts; got {got}"
            )


# ---------------------------------------------------------------------------------------------
# phase losses


def _detached(d: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: (v if k == "loss" else v.detach()) for k, v in d.items()}


def _caption_tokens(
    model: MotionTextModel, texts: Sequence[str]
) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Tokenised captions on the model's device and the ``(B, L)`` bool mask of the tokens
    that may be masked (real, non-special)."""
    tok = model.text.tokenize(texts, device=model.device)
    ids, attn = tok["input_ids"], tok["attention_mask"].bool()
    return tok, attn & ~torch.isin(ids, model.special_token_ids.to(ids.device))


def _mask_caption(
    model: MotionTextModel,
    ids: torch.Tensor,
    eligible: torch.Tensor,
    probability: float,
    generator: torch.Generator | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`mask_tokens` with the text model's [MASK] id and vocabulary size."""
    text = model.text
    return mask_tokens(
        ids,
        eligible,
        probability,
        mask_token_id=text.tokenizer.mask_token_id,
        vocab_size=text.vocab_size,
        generator=generator,
    )


def _ramped_flops_weight(step: int | None, max_weight: float, warmup_steps: int) -> float:
    """:func:`flops_weight` at ``step``; the full ``max_weight`` when the step is unknown."""
    return max_weight if step is None else flops_weight(step, max_weight, warmup_steps)


def mlmhead_loss(
    model: MotionTextModel,
    batch: Mapping[str, Any],
    generator: torch.Generator | None = None,
    step: int | None = None,
) -> dict[str, torch.Tensor]:
    """MLM-head fit: masked-token cross-entropy through the MLM head of a frozen text encoder.

    The caption is masked as in LexMLM's encoder branch (``lexmlm_encoder_mask_prob``); the
    backbone runs without gradients and the head is applied to the masked positions only, so
    a step costs one text forward plus a small ``(n_masked, V)`` product. With
    ``mlmhead_flops_weight > 0`` the lexical vectors of the unmasked captions also get the FLOPS
    regulariser (raw vectors, quadratic warm-up over ``flops_warmup_steps``): the
    cross-entropy is blind to a shift of all logits, FLOPS moves them below zero except for
    the caption's strongest words, as in SPLADE's training of an MLM head (Formal et al.,
    SIGIR 2021, eq. 4).

    Returns:
        ``loss`` (= ``mlm_head + w * flops``), ``mlm_head``, and ``flops``/``flops_weight``
        when the FLOPS weight is positive.

    Source:
        Devlin et al., BERT (NAACL 2019), Sec. 3.1 (masked LM); the encoder is frozen as in
        linear probing (Kumar et al., ICLR 2022).
    """
    cfg = model.config
    text = model.text
    tok, eligible = _caption_tokens(model, batch["texts"])
    ids, attn = tok["input_ids"], tok["attention_mask"].bool()
    masked_ids, labels = _mask_caption(
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
        w = _ramped_flops_weight(step, cfg.mlmhead_flops_weight, cfg.flops_warmup_steps)
        out.update(loss=mlm + w * fl, flops=fl, flops_weight=torch.tensor(w))
    return _detached(out)


def lexmlm_loss(
    model: MotionTextModel,
    batch: Mapping[str, Any],
    generator: torch.Generator | None = None,
) -> dict[str, torch.Tensor]:
    """LexMLM: encoder MLM + decoder MLM through the lexical bottleneck (see module doc).

    Returns:
        ``loss`` (= ``mlm_encoder + mlm_decoder``), ``mlm_encoder``, ``mlm_decoder``.
    """
    cfg = model.config
    text = model.text
    tok, eligible = _caption_tokens(model, batch["texts"])
    ids, attn = tok["input_ids"], tok["attention_mask"].bool()
    enc_ids, enc_labels = _mask_caption(
        model, ids, eligible, cfg.lexmlm_encoder_mask_prob, generator
    )
    dec_ids, dec_labels = _mask_caption(
        model, ids, eligible, cfg.lexmlm_decoder_mask_prob, generator
    )
    out = model.forward_text(
        {"input_ids": enc_ids, "attention_mask": tok["attention_mask"]}, return_token_logits=True
    )
    enc_loss = masked_lm_loss(out.token_logits, enc_labels)
    a = torch.softmax(out.max_logits, dim=-1)
    bottleneck = a @ text.word_embeddings.float()
    hidden = model.phase_heads.lexmlm(bottleneck, text.embed_tokens(dec_ids), attn)
    dec_loss = masked_lm_loss(text.mlm_head(hidden), dec_labels)
    return _detached(
        {"loss": enc_loss + dec_loss, "mlm_encoder": enc_loss, "mlm_decoder": dec_loss}
    )


def cmmm_loss(
    model: MotionTextModel,
    batch: Mapping[str, Any],
    generator: torch.Generator | None = None,
) -> dict[str, torch.Tensor]:
    """CMMM: reconstruct masked patches of two views and pull the views' embeddings together.

    Returns:
        ``loss`` (= ``reconstruction + cmmm_contrastive_weight * contrastive``),
        ``reconstruction``, ``contrastive``.
    """
    cfg = model.config
    patches, row_mask = model.prepare_motion(batch["patches"], batch["row_mask"])
    valid = model.motion.token_mask(row_mask)[:, 1:]
    target = patchify(patches, model.motion.patch_size)
    recon, dense = [], []
    for _ in range(2):
        masked = random_patch_mask(valid, cfg.cmmm_mask_ratio, generator)
        out = model.forward_motion(patches, row_mask, bool_masked_pos=masked, lexical=False)
        pred = model.phase_heads.cmmm(out.tokens[:, 1:])
        recon.append(masked_patch_loss(pred, target, masked))
        dense.append(out.dense)
    rec = (recon[0] + recon[1]) / 2
    logits = (dense[0].float() @ dense[1].float().t()) / cfg.cmmm_temperature
    con = contrastive_loss(logits).loss
    return _detached(
        {"loss": rec + cfg.cmmm_contrastive_weight * con, "reconstruction": rec, "contrastive": con}
    )


def lexmmm_loss(
    model: MotionTextModel,
    batch: Mapping[str, Any],
    generator: torch.Generator | None = None,
) -> dict[str, torch.Tensor]:
    """LexMMM: reconstruct masked patches from the motion's vocabulary bottleneck.

    Returns:
        ``loss`` (= ``reconstruction``), ``reconstruction``.
    """
    cfg = model.config
    patches, row_mask = model.prepare_motion(batch["patches"], batch["row_mask"])
    valid = model.motion.token_mask(row_mask)[:, 1:]
    out = model.forward_motion(patches, row_mask)
    a = torch.softmax(out.max_logits, dim=-1)
    bottleneck = a @ model.text.word_embeddings.float()
    target = patchify(patches, model.motion.patch_size)
    hidden = random_patch_mask(valid, cfg.lexmmm_decoder_mask_ratio, generator)
    pred = model.phase_heads.lexmmm(bottleneck, target, valid & ~hidden, valid)
    rec = masked_patch_loss(pred, target, hidden)
    return _detached({"loss": rec, "reconstruction": rec})


def lexcmlp_loss(
    model: MotionTextModel,
    batch: Mapping[str, Any],
    step: int | None = None,
) -> dict[str, torch.Tensor]:
    """LexCMLP: dense + lexical contrastive loss with CAR negatives, plus FLOPS.

    Dense logits: ``exp(logit_scale) * cos(motion, text)`` (scale clamped at 100).
    Lexical logits: ``exp(lexical_logit_scale) * sim(w_motion, w_text)`` with ``sim`` the
    configured :func:`~motionlex.core.model.lexical.lexical_similarity` (cosine by default: the
    unnormalised dot products of untrained heads span orders of magnitude, so they are
    L2-normalised and given their own learned temperature, as in LexLIP).
    FLOPS is applied to the vectors the similarity compares (normalised for cosine).

    With ``lexical_align_weight > 0`` each motion's L2-normalised lexical vector is also pulled
    towards its own caption's, which is held fixed (stop-gradient): ``1 - cos(w_m, sg(w_t))``.
    The contrastive term alone only asks motion vectors to tell captions apart, which a few
    hundred CPU steps satisfy with any discriminative words ("kata, drunk, fist" for a
    left-hand wave); the aligned term asks for the caption's own words. The text side is the
    teacher, as in distillation (Hinton et al., 2015); our addition, not in the papers.

    Returns:
        ``loss`` (= ``dense + lexical_loss_weight * lexical + flops_weight * flops
        + lexical_align_weight * lexical_align``),
        ``dense``, ``dense_m2t``, ``dense_t2m``, ``lexical``, ``lexical_m2t``, ``lexical_t2m``,
        ``flops``, ``flops_weight``, ``logit_scale``, ``lexical_logit_scale``,
        ``lexical_align`` when its weight is positive, and ``car_accuracy`` (dense, training
        batch) when negatives are given.
    """
    cfg = model.config
    texts: Sequence[str] = list(batch["texts"])
    negatives: Sequence[str] = list(batch.get("negative_texts") or [])
    n = len(texts)
    m = model.forward_motion(batch["patches"], batch["row_mask"])
    t = model.forward_text(texts + list(negatives))
    dense_sim = m.dense.float() @ t.dense.float().t()
    dense = contrastive_loss(model.dense_scale() * dense_sim)
    lex_sim = lexical_similarity(m.lexical, t.lexical, cfg.lexical_similarity)
    lexical = contrastive_loss(model.lexical_scale() * lex_sim)
    if cfg.lexical_similarity == "cosine":
        wm, wt = F.normalize(m.lexical, dim=-1), F.normalize(t.lexical[:n], dim=-1)
    else:
        wm, wt = m.lexical, t.lexical[:n]
    flops = flops_loss(wm) + flops_loss(wt)
    fw = _ramped_flops_weight(step, cfg.flops_max_weight, cfg.flops_warmup_steps)
    loss = dense.loss + cfg.lexical_loss_weight * lexical.loss + fw * flops
    align = None
    if cfg.lexical_align_weight > 0:
        teacher = F.normalize(t.lexical[:n].detach(), dim=-1)
        align = (1.0 - (F.normalize(m.lexical, dim=-1) * teacher).sum(-1)).mean()
        loss = loss + cfg.lexical_align_weight * align
    out = {
        "loss": loss,
        "dense": dense.loss,
        "dense_m2t": dense.m2t,
        "dense_t2m": dense.t2m,
        "lexical": lexical.loss,
        "lexical_m2t": lexical.m2t,
        "lexical_t2m": lexical.t2m,
        "flops": flops,
        "flops_weight": torch.tensor(fw),
        "logit_scale": model.dense_scale(),
        "lexical_logit_scale": model.lexical_scale(),
    }
    if align is not None:
        out["lexical_align"] = align
    if negatives:
        owner = torch.as_tensor(batch["negative_owner"], dtype=torch.long)
        out["car_accuracy"] = car_pairwise_accuracy(dense_sim, owner)
    return _detached(out)
