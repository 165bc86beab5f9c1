"""The pair objectives: LexCMLP (dense + lexical) and the dense MotionPatch baseline.

Both read a pair batch (table in :mod:`motionlex.core.train.objectives`) and share one
contrastive set-up (:class:`PairObjective`):

- false-negative mask: a column whose caption equals, by
  :func:`~motionlex.core.text.orders.normalize_caption`, motion ``i``'s own caption is no
  negative of row ``i``, in both directions and in every term (true captions, CAR columns,
  side columns); optionally also near-duplicates above a text-text cosine
  (``near_duplicate_threshold``, TMR's filtering);
- hard negative columns (``negative_texts``): CAR's shuffled-event captions and, with
  ``side_negatives``, side-swapped captions, motion-to-text only;
- hard negative motions (``negative_motion_patches``): the mirrored motion of a pair whose
  caption names a side (``side_negatives``) and the reordered motion of a composed pair
  (``order_negatives``) join that caption's text-to-motion softmax only, one slot per kind.

Under DDP every rank gathers the features of the global batch (:mod:`.gather`: motions, true
captions, CAR and side columns, negative motions, with gradients) and the captions, owners,
side flags and kinds that build the masks, so that all terms above, the FLOPS regulariser and
the diagnostics are those of the global batch; with one process nothing is gathered.

Diagnostics on the training batch (dense similarity): ``car_accuracy`` (shuffled columns
scored below the true caption), ``side_accuracy`` (side columns below the true caption),
``side_motion_accuracy`` (mirrored motion below the true motion, for its caption) and
``order_motion_accuracy`` (reordered motion below the true motion, for its caption).

Sources: Lyu et al., ICLR 2025 (LexCMLP); CAR (Fujiwara et al., ECCV 2024) Sec. 4.1, eq. 3-5;
TMR (Petrovich et al., ICCV 2023) Sec. 3.2; MotionPatch (Yu et al., CVPR 2024) Sec. 3.5; LexLIP
(Luo et al., ICCV 2023) Sec. 3.3.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import torch
import torch.nn.functional as F

from motionlex.core.data.collate import MIRRORED, NEGATIVE_MOTION_KINDS, REORDERED
from motionlex.core.model.device import to_device
from motionlex.core.model.lexical import lexical_similarity
from motionlex.core.model.model import MotionTextModel
from motionlex.core.train.gather import distributed_world, gather_objects, gather_output
from motionlex.core.train.losses import (
    contrastive_loss,
    flops_loss,
    near_duplicate_mask,
    same_text_mask,
    word_loss,
)
from motionlex.core.train.objective import Objective, ObjectiveConfig, ramped_flops_weight
from motionlex.core.train.pair_losses import (
    car_pairwise_accuracy,
    column_pair_loss,
    motion_pair_loss,
    side_pair_loss,
)
from motionlex.core.train.word_targets import CaptionWordIds


def negative_motion_logits(text: torch.Tensor, motions: torch.Tensor, owner: torch.Tensor,
                           kind: torch.Tensor,
                           similarity: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                           scale: torch.Tensor) -> torch.Tensor:
    """``(N, len(NEGATIVE_MOTION_KINDS))`` scaled logits of caption ``i`` against its own
    negative motion of each kind (slot :data:`MIRRORED`, slot :data:`REORDERED`), ``-inf``
    where caption ``i`` has none of that kind (the ``t2m_negatives`` of
    :func:`~motionlex.core.train.losses.contrastive_loss`).

    Args:
        text: ``(N, D)`` features of the true captions.
        motions: ``(S, D)`` features of the negative motions.
        owner: ``(S,)`` int64, the caption (row) each negative motion belongs to.
        kind: ``(S,)`` int64, each one's kind (index in ``NEGATIVE_MOTION_KINDS``); a
            caption has at most one negative motion of each kind.
        similarity: ``(A, D), (B, D) -> (A, B)`` similarity function (dense cosine, or
            lexical similarity with ``D = V``).
        scale: scalar logit scale (the dense or lexical learned temperature).

    Returns:
        ``(N, len(NEGATIVE_MOTION_KINDS))`` float32 on ``text.device``; all ``-inf`` when
        ``S == 0``.

    Raises:
        IndexError: an ``owner`` outside ``[0, N)`` or a ``kind`` outside
            ``[0, len(NEGATIVE_MOTION_KINDS))`` (from torch indexing, on the CPU).
        RuntimeError: ``owner`` / ``kind`` not of length ``S``.

    Source: the motion-side counterpart of CAR's hard negatives (Fujiwara et al., ECCV 2024,
    Sec. 4.1, eq. 3-5, which adds shuffled-event captions only); the mirrored and reordered
    negative motions are motionlex's extension.
    """
    out = text.new_full((text.shape[0], len(NEGATIVE_MOTION_KINDS)), float("-inf"),
                        dtype=torch.float32)
    if len(owner) == 0:
        return out
    owner = to_device(owner, text.device).long()
    kind = to_device(kind, text.device).long()
    sim = similarity(text[owner], motions).float().diagonal() * scale
    return out.index_put((owner, kind), sim)


def column_accuracy(similarity: torch.Tensor, owner: torch.Tensor, chosen: torch.Tensor
                    ) -> torch.Tensor:
    """:func:`car_pairwise_accuracy` on the chosen negative columns only (NaN when none).

    Args:
        similarity: ``(N, N + K)`` motion x text similarities, true captions in the first
            ``N`` columns, then ``K`` negative captions.
        owner: ``(K,)`` int64, the row (motion) each negative column belongs to.
        chosen: ``(K,)`` bool, the negative columns to score (e.g. CAR's, ``~side``; or the
            side-swapped ones, ``side``); copied to the CPU.

    Returns:
        Scalar float32 in ``[0, 1]`` (detached): share of chosen columns scored below their
        motion's true caption; NaN when none is chosen.

    Raises:
        ValueError: a chosen ``owner`` outside ``[0, N)`` (as :func:`car_pairwise_accuracy`).
    """
    n = similarity.shape[0]
    if chosen.numel() != similarity.shape[1] - n or owner.numel() != chosen.numel():
        raise ValueError(f"chosen / owner have {chosen.numel()} / {owner.numel()} entries for "
                         f"{similarity.shape[1] - n} negative columns")
    chosen = chosen.cpu().bool()  # on the CPU in training: column ids without a device sync
    cols = to_device(n + torch.nonzero(chosen).flatten(), similarity.device)
    sub = torch.cat([similarity[:, :n], similarity.index_select(1, cols)], dim=1)
    return car_pairwise_accuracy(sub, owner.cpu()[chosen])


FEATURE_FIELDS = ("dense", "lexical", "max_logits")
"""The fields of a model output the pair objectives may read (``MotionOutput`` /
``TextOutput``)."""


def gather_pair_features(f: dict[str, Any],
                         fields: tuple[str, ...] = FEATURE_FIELDS) -> dict[str, Any]:
    """The global batch's features (module doc) from every rank's local ones.

    Motions, true captions, negative captions and negative motions are laid out as one
    process would lay out the concatenated global batch (rank 0's rows first in each
    group); owners are shifted to global rows. Every rank calls the same collectives in the
    same order, also a rank without negative motions (it sends zero rows). Only ``fields``
    travel (each a ``(B, V)`` all-gather for ``lexical`` and ``max_logits``); the others
    come back None, never as local rows beside global ones.

    Args:
        f: the local features: ``m``, ``t`` (true captions then negatives), ``n``,
            ``neg_motions`` (or None), ``owner``, ``side``, ``motion_owner``,
            ``motion_kind``, ``texts``, ``negatives``.
        fields: the output fields the objective reads (of :data:`FEATURE_FIELDS`); the
            negative motions' ``max_logits`` never travel (no term reads them).

    Returns:
        The same keys for the global batch (``neg_motions`` None when no rank has one).
    """
    meta = gather_objects({"texts": f["texts"], "negatives": f["negatives"],
                           "owner": f["owner"].tolist(), "side": f["side"].tolist(),
                           "motion_owner": f["motion_owner"].tolist(),
                           "motion_kind": f["motion_kind"].tolist()})
    rows = [len(r["texts"]) for r in meta]
    offsets = [sum(rows[:i]) for i in range(len(rows))]
    negs = [len(r["negatives"]) for r in meta]
    motion_rows = [len(r["motion_owner"]) for r in meta]
    neg_fields = tuple(k for k in fields if k != "max_logits")
    m, t = _only(f["m"], fields), _only(f["t"], fields)
    neg_motions = f["neg_motions"]
    if neg_motions is None:  # zero rows of the right shapes, still on the graph
        neg_motions = dataclasses.replace(m, **{k: getattr(m, k)[:0] for k in neg_fields
                                                if getattr(m, k) is not None})
    neg_motions = gather_output(_only(neg_motions, neg_fields), [motion_rows], neg_fields)

    def joined(key: str) -> list:
        return [v for r in meta for v in r[key]]

    def shifted(key: str) -> torch.Tensor:  # local rows -> rows of the global batch
        return torch.tensor([v + o for r, o in zip(meta, offsets) for v in r[key]],
                            dtype=torch.long)

    return {
        "m": gather_output(m, [rows], fields),
        "t": gather_output(t, [rows, negs], fields),
        "n": sum(rows),
        "neg_motions": neg_motions if sum(motion_rows) else None,
        "owner": shifted("owner"),
        "side": torch.tensor(joined("side"), dtype=torch.bool),
        "motion_owner": shifted("motion_owner"),
        "motion_kind": torch.tensor(joined("motion_kind"), dtype=torch.long),
        "texts": joined("texts"),
        "negatives": joined("negatives"),
    }


def _only(out: Any, fields: tuple[str, ...]) -> Any:
    """A copy of a model output with the :data:`FEATURE_FIELDS` not in ``fields`` None."""
    return dataclasses.replace(out, **{k: None for k in FEATURE_FIELDS if k not in fields})


class PairObjective(Objective):
    """Shared set-up of the pair objectives: features, masks, hard negatives, diagnostics.

    Args:
        model: the model the objective trains (sizes only).
        cfg: loss settings.
        false_negative_mask: mask identical captions (``TrainConfig.false_negative_mask``).
    """

    batch_keys = ("patches", "row_mask", "texts")

    def __init__(self, model: MotionTextModel, cfg: ObjectiveConfig, *,
                 false_negative_mask: bool = True) -> None:
        super().__init__(model, cfg)
        self.false_negative_mask = false_negative_mask

    def features(self, model: MotionTextModel, batch: Any, lexical: bool) -> dict[str, Any]:
        """Encode the batch: motions, true + negative captions, negative motions, masks
        (those of the global batch under DDP, module doc). Returns the keys of
        :func:`gather_pair_features`'s ``f`` (``t``: ``N`` true captions, then ``K``
        negatives) and ``mask``: ``(N, N + K)`` bool false negatives, or None."""
        texts: list[str] = list(batch["texts"])
        negatives: list[str] = list(batch.get("negative_texts") or [])
        n = len(texts)
        m = model.forward_motion(batch["patches"], batch["row_mask"], lexical=lexical)
        # captions tokenised by the data loader (phase_data), else here
        t = model.forward_text(batch.get("text_tokens") or texts + negatives, lexical=lexical)
        mp = batch.get("negative_motion_patches")
        neg_motions = None
        if mp is not None and len(mp):
            neg_motions = model.forward_motion(mp, batch["negative_motion_row_mask"],
                                               lexical=lexical)
        # the index metadata stay on the CPU (TrainingModule.transfer_batch_to_device): the
        # decisions taken on them never wait for the device
        owner = torch.as_tensor(batch.get("negative_owner", []), dtype=torch.long).cpu()
        side = torch.as_tensor(batch.get("negative_side", torch.zeros(len(negatives))),
                               dtype=torch.bool).cpu()
        if side.numel() != len(negatives):
            side = torch.zeros(len(negatives), dtype=torch.bool)
        m_owner = torch.as_tensor(batch.get("negative_motion_owner", []), dtype=torch.long).cpu()
        m_kind = torch.as_tensor(batch.get("negative_motion_kind", torch.zeros(len(m_owner))),
                                 dtype=torch.long).cpu()
        f = {"m": m, "t": t, "n": n, "neg_motions": neg_motions, "owner": owner, "side": side,
             "motion_owner": m_owner, "motion_kind": m_kind, "texts": texts,
             "negatives": negatives}
        if distributed_world()[1] > 1:
            f = gather_pair_features(f, self.gathered_fields())
        texts, negatives, n, t = f["texts"], f["negatives"], f["n"], f["t"]
        mask = None
        if self.false_negative_mask:
            mask = to_device(same_text_mask(texts, texts + negatives), model.device)
            if self.cfg.near_duplicate_threshold is not None:
                mask |= near_duplicate_mask(t.dense, n, self.cfg.near_duplicate_threshold)
        return {**f, "mask": mask}

    def gathered_fields(self) -> tuple[str, ...]:
        """The output fields this objective reads, gathered under DDP
        (:func:`gather_pair_features`): dense and lexical features (None in a dense-only
        batch)."""
        return ("dense", "lexical")

    def dense_terms(self, model: MotionTextModel, f: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Dense contrastive loss and the training diagnostics."""
        n, m, t = f["n"], f["m"], f["t"]
        scale = model.dense_scale()
        sim = m.dense.float() @ t.dense.float().t()
        extra = self.motion_logits(f, t.dense[:n], lambda a, b: a.float() @ b.float().t(),
                                   scale)
        res = contrastive_loss(scale * sim, false_negatives=f["mask"], t2m_negatives=extra)
        out = {"dense": res.loss, "dense_m2t": res.m2t, "dense_t2m": res.t2m}
        out.update(self.pair_terms("dense", scale * sim, f, extra))
        owner, side = f["owner"], f["side"]
        if len(owner) and bool((~side).any()):
            out["car_accuracy"] = column_accuracy(sim, owner, ~side)
        if bool(side.any()):
            out["side_accuracy"] = column_accuracy(sim, owner, side)
        if extra is not None:
            for name, slot in (("side_motion_accuracy", MIRRORED),
                               ("order_motion_accuracy", REORDERED)):
                chosen = f["motion_owner"][f["motion_kind"] == slot]  # CPU: no device sync
                if len(chosen):
                    rows = to_device(chosen, sim.device)
                    out[name] = (sim[rows, rows] > extra[rows, slot] / scale).float().mean()
        return out

    @staticmethod
    def motion_logits(f: dict[str, Any], text: torch.Tensor,
                      similarity: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                      scale: torch.Tensor, lexical: bool = False) -> torch.Tensor | None:
        """:func:`negative_motion_logits` of the batch's true captions (``text``: ``(N, D)``
        dense or ``(N, V)`` lexical, per ``lexical``) against the same features of its
        negative motions, times the scalar ``scale``: ``(N, 2)``, ``-inf`` in unused slots;
        None when the batch has no negative motion."""
        if f["neg_motions"] is None:
            return None
        motions = f["neg_motions"].lexical if lexical else f["neg_motions"].dense
        return negative_motion_logits(text, motions, f["motion_owner"], f["motion_kind"],
                                      similarity, scale)

    def pair_terms(self, prefix: str, logits: torch.Tensor, f: dict[str, Any],
                   extra: torch.Tensor | None) -> dict[str, torch.Tensor]:
        """The side, order and CAR pair terms whose weight is positive (``PREFIX_side_pair``,
        ``PREFIX_order_pair``, ``PREFIX_car_pair``: scalars) on ``(N, N + K)`` scaled
        similarities ``logits`` and ``(N, 2)`` negative-motion logits ``extra`` (or None)
        (:mod:`motionlex.core.train.pair_losses`)."""
        out = {}
        if self.cfg.car_pair_weight > 0:
            out[f"{prefix}_car_pair"] = column_pair_loss(logits, f["owner"], ~f["side"],
                                                         f["mask"])
        if self.cfg.side_pair_weight > 0:
            mirrored = None if extra is None else extra[:, MIRRORED:MIRRORED + 1]
            out[f"{prefix}_side_pair"] = side_pair_loss(logits, f["owner"], f["side"],
                                                        mirrored, f["mask"])
        if self.cfg.order_pair_weight > 0 and extra is not None:
            out[f"{prefix}_order_pair"] = motion_pair_loss(
                logits, extra[:, REORDERED:REORDERED + 1])
        return out

    def pair_loss(self, out: dict[str, torch.Tensor], prefix: str) -> torch.Tensor | float:
        """``side_pair_weight * PREFIX_side_pair + order_pair_weight * PREFIX_order_pair +
        car_pair_weight * PREFIX_car_pair`` over the terms present in ``out`` (0 when none)."""
        return sum(weight * out[f"{prefix}_{name}"]
                   for name, weight in (("side_pair", self.cfg.side_pair_weight),
                                        ("order_pair", self.cfg.order_pair_weight),
                                        ("car_pair", self.cfg.car_pair_weight))
                   if f"{prefix}_{name}" in out)


class LexCMLPObjective(PairObjective):
    """LexCMLP: dense + lexical contrastive loss with CAR/side negatives, FLOPS, word term.

    Dense logits: ``model.dense_scale() * cos(motion, text)`` (scale clamped at 100).
    Lexical logits: ``model.lexical_scale() * sim(w_motion, w_text)`` with ``sim`` the model's
    configured :func:`~motionlex.core.model.lexical.lexical_similarity` (cosine by default, with
    its own learned temperature, as in LexLIP). Both terms use the false-negative mask, the
    negative columns and the mirrored motions (module doc). FLOPS is applied to the vectors
    the similarity compares (normalised for cosine).

    With ``lexical_align_weight > 0`` each motion's L2-normalised lexical vector is pulled
    towards its own caption's, held fixed (stop-gradient): ``1 - cos(w_m, sg(w_t))`` (ours,
    distillation-like: Hinton et al., 2015). With ``lexical_word_weight > 0`` the motion's and
    the caption's vocabulary distributions are pulled toward the caption's content words
    (:func:`~motionlex.core.train.losses.word_loss`, targets from
    :class:`~motionlex.core.train.word_targets.CaptionWordIds`).

    With ``side_pair_weight > 0`` every side pair (caption vs its side-swapped caption, motion
    vs its mirrored motion) also gets a two-way loss of its own on both similarities
    (:func:`~motionlex.core.train.pair_losses.side_pair_loss`); with ``order_pair_weight > 0``
    every composed caption's motion vs its reordered motion does
    (:func:`~motionlex.core.train.pair_losses.motion_pair_loss`); with ``car_pair_weight > 0``
    every caption vs each of its shuffled-event captions does.

    Returns (of a call): ``loss`` (= ``dense + lexical_loss_weight * lexical + flops_weight *
    flops + lexical_align_weight * lexical_align + lexical_word_weight * lexical_word +
    side_pair_weight * (dense_side_pair + lexical_loss_weight * lexical_side_pair) +
    order_pair_weight * (dense_order_pair + lexical_loss_weight * lexical_order_pair) +
    car_pair_weight * (dense_car_pair + lexical_loss_weight * lexical_car_pair)``),
    ``dense``, ``dense_m2t``, ``dense_t2m``, ``lexical``, ``lexical_m2t``, ``lexical_t2m``,
    ``flops``, ``flops_weight``, ``logit_scale``, ``lexical_logit_scale``, ``lexical_align`` /
    ``lexical_word``, ``*_side_pair`` / ``*_order_pair`` / ``*_car_pair`` when their weight is
    positive, and the diagnostics of the module doc.

    Source: Lyu et al., ICLR 2025 (phase 4, LexCMLP; the poster text names no section);
    Fujiwara et al., ECCV 2024, Sec. 4.1, eq. 3-5 (shuffled-event columns); Luo et al., LexLIP,
    ICCV 2023, Sec. 3.3 (lexical contrastive term with its own temperature); FLOPS: Paria et
    al., ICLR 2020. The align, word (on LexLIP's vocabulary softmax) and pair terms are ours.
    """

    phase = "lexcmlp"

    def __init__(self, model: MotionTextModel, cfg: ObjectiveConfig, *,
                 false_negative_mask: bool = True) -> None:
        super().__init__(model, cfg, false_negative_mask=false_negative_mask)
        self.word_ids = CaptionWordIds()

    def gathered_fields(self) -> tuple[str, ...]:
        """Also the max logits when the word term reads them (``lexical_word_weight > 0``)."""
        return ("dense", "lexical", "max_logits") if self.cfg.lexical_word_weight > 0 else \
            ("dense", "lexical")

    def loss(  # noqa: D102 - see Objective.loss
        self, model: MotionTextModel, batch: Mapping[str, Any], step: int | None,
        generator: torch.Generator | None,
    ) -> dict[str, torch.Tensor]:
        cfg = self.cfg
        f = self.features(model, batch, lexical=True)
        n, m, t = f["n"], f["m"], f["t"]
        out = self.dense_terms(model, f)
        similarity = model.config.lexical_similarity
        scale = model.lexical_scale()
        lex_sim = lexical_similarity(m.lexical, t.lexical, similarity)
        extra = self.motion_logits(f, t.lexical[:n],
                                   lambda a, b: lexical_similarity(a, b, similarity), scale,
                                   lexical=True)
        lexical = contrastive_loss(scale * lex_sim, false_negatives=f["mask"],
                                   t2m_negatives=extra)
        if similarity == "cosine":
            wm, wt = F.normalize(m.lexical, dim=-1), F.normalize(t.lexical[:n], dim=-1)
        else:
            wm, wt = m.lexical, t.lexical[:n]
        flops = flops_loss(wm) + flops_loss(wt)
        fw = ramped_flops_weight(step, cfg.flops_max_weight, cfg.flops_warmup_steps)
        loss = out["dense"] + cfg.lexical_loss_weight * lexical.loss + fw * flops
        out.update(self.pair_terms("lexical", scale * lex_sim, f, extra))
        loss = loss + self.pair_loss(out, "dense") + (cfg.lexical_loss_weight
                                                      * self.pair_loss(out, "lexical"))
        out.update(lexical=lexical.loss, lexical_m2t=lexical.m2t, lexical_t2m=lexical.t2m,
                   flops=flops, flops_weight=torch.tensor(fw), logit_scale=model.dense_scale(),
                   lexical_logit_scale=scale)
        if cfg.lexical_align_weight > 0:
            teacher = F.normalize(t.lexical[:n].detach(), dim=-1)
            align = (1.0 - (F.normalize(m.lexical, dim=-1) * teacher).sum(-1)).mean()
            loss = loss + cfg.lexical_align_weight * align
            out["lexical_align"] = align
        if cfg.lexical_word_weight > 0:
            target = self.word_ids.targets(model, f["texts"])
            temp = cfg.lexical_word_temperature
            words = (word_loss(m.max_logits, target, temp)
                     + word_loss(t.max_logits[:n], target, temp)) / 2
            loss = loss + cfg.lexical_word_weight * words
            out["lexical_word"] = words
        return {"loss": loss, **out}


class DenseObjective(PairObjective):
    """The MotionPatch baseline: symmetric InfoNCE on dense cosine similarity only.

    With the same switches as LexCMLP (false-negative mask, CAR and side negatives when the
    batch carries them), it is the baseline rung of the ablation ladder.

    Returns (of a call): ``loss`` (+ ``side_pair_weight * dense_side_pair + order_pair_weight *
    dense_order_pair + car_pair_weight * dense_car_pair``, the terms whose weight is
    positive), ``dense_m2t``, ``dense_t2m`` and the diagnostics of the module doc.

    Source: Yu et al., CVPR 2024, Sec. 3.5, eq. 2-4, with the two directions averaged as
    open_clip does (half the paper's sum L_m2t + L_t2m; the learning rates absorb the factor).
    """

    phase = "dense"

    def loss(  # noqa: D102 - see Objective.loss
        self, model: MotionTextModel, batch: Mapping[str, Any], step: int | None,
        generator: torch.Generator | None,
    ) -> dict[str, torch.Tensor]:
        out = self.dense_terms(model, self.features(model, batch, lexical=False))
        loss = out.pop("dense") + self.pair_loss(out, "dense")
        return {"loss": loss, **out}

