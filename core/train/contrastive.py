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
- hard negative motions (``mirrored_patches``): the mirrored motion of a pair whose caption
  names a side joins that caption's text-to-motion softmax only.

Under DDP every rank gathers the features of the global batch (:mod:`.gather`: motions, true
captions, CAR and side columns, mirrored motions, with gradients) and the captions, owners and
side flags that build the masks, so that all terms above, the FLOPS regulariser and the
diagnostics are those of the global batch; with one process nothing is gathered.

Diagnostics on the training batch (dense similarity): ``car_accuracy`` (shuffled columns
scored below the true caption), ``side_accuracy`` (side columns below the true caption) and
``side_motion_accuracy`` (mirrored motion below the true motion, for its caption).

Sources: CAR (Fujiwara et al., ECCV 2024) eq. 3-5; TMR (Petrovich et al., ICCV 2023) Sec. 3.2;
MotionPatch (Yu et al., CVPR 2024) Sec. 3.5; LexLIP (Luo et al., ICCV 2023) Sec. 3.3.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from motionlex.core.model.device import to_device
from motionlex.core.model.lexical import lexical_similarity
from motionlex.core.model.model import MotionTextModel
from motionlex.core.train.gather import distributed_world, gather_objects, gather_output
from motionlex.core.train.losses import (
    car_pairwise_accuracy,
    contrastive_loss,
    flops_loss,
    near_duplicate_mask,
    same_text_mask,
    side_pair_loss,
    word_loss,
)
from motionlex.core.train.objective import Objective, ObjectiveConfig, ramped_flops_weight
from motionlex.core.train.word_targets import CaptionWordIds


def mirrored_logits(text: torch.Tensor, mirrored: torch.Tensor, owner: torch.Tensor,
                    similarity: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                    scale: torch.Tensor) -> torch.Tensor:
    """``(N, 1)`` scaled logits of caption ``i`` against its own mirrored motion, ``-inf``
    where caption ``i`` has none (the ``t2m_negatives`` of
    :func:`~motionlex.core.train.losses.contrastive_loss`).

    Args:
        text: ``(N, D)`` features of the true captions.
        mirrored: ``(S, D)`` features of the mirrored motions.
        owner: ``(S,)`` int64, the caption (row) each mirrored motion belongs to.
        similarity: ``(A, D), (B, D) -> (A, B)`` similarity function.
        scale: scalar logit scale.
    """
    out = text.new_full((text.shape[0], 1), float("-inf"), dtype=torch.float32)
    if len(owner) == 0:
        return out
    owner = to_device(owner, text.device).long()
    sim = (similarity(text[owner], mirrored).float().diagonal() * scale).unsqueeze(1)
    return out.index_put((owner, torch.zeros_like(owner)), sim.squeeze(1))


def column_accuracy(similarity: torch.Tensor, owner: torch.Tensor, chosen: torch.Tensor
                    ) -> torch.Tensor:
    """:func:`car_pairwise_accuracy` on the chosen negative columns only (NaN when none)."""
    n = similarity.shape[0]
    chosen = chosen.cpu().bool()  # on the CPU in training: column ids without a device sync
    cols = to_device(n + torch.nonzero(chosen).flatten(), similarity.device)
    sub = torch.cat([similarity[:, :n], similarity.index_select(1, cols)], dim=1)
    return car_pairwise_accuracy(sub, owner.cpu()[chosen])


def gather_pair_features(f: dict[str, Any]) -> dict[str, Any]:
    """The global batch's features (module doc) from every rank's local ones.

    Motions, true captions, negative captions and mirrored motions are laid out as one
    process would lay out the concatenated global batch (rank 0's rows first in each
    group); owners are shifted to global rows. Every rank calls the same collectives in the
    same order, also a rank without mirrored motions (it sends zero rows).

    Args:
        f: the local features: ``m``, ``t`` (true captions then negatives), ``n``,
            ``mirrored`` (or None), ``owner``, ``side``, ``mirrored_owner``, ``texts``,
            ``negatives``.

    Returns:
        The same keys for the global batch (``mirrored`` None when no rank has one).
    """
    meta = gather_objects({"texts": f["texts"], "negatives": f["negatives"],
                           "owner": f["owner"].tolist(), "side": f["side"].tolist(),
                           "mirrored_owner": f["mirrored_owner"].tolist()})
    rows = [len(r["texts"]) for r in meta]
    offsets = [sum(rows[:i]) for i in range(len(rows))]
    negs = [len(r["negatives"]) for r in meta]
    mirrored_rows = [len(r["mirrored_owner"]) for r in meta]
    m = f["m"]
    mirrored = f["mirrored"]
    if mirrored is None:  # zero rows of the right shapes, still on the graph
        mirrored = dataclasses.replace(m, **{k: getattr(m, k)[:0] for k in
                                             ("dense", "lexical", "max_logits")
                                             if getattr(m, k) is not None})
    mirrored = gather_output(mirrored, [mirrored_rows])

    def joined(key: str) -> list:
        return [v for r in meta for v in r[key]]

    def shifted(key: str) -> torch.Tensor:  # local rows -> rows of the global batch
        return torch.tensor([v + o for r, o in zip(meta, offsets) for v in r[key]],
                            dtype=torch.long)

    return {
        "m": gather_output(m, [rows]),
        "t": gather_output(f["t"], [rows, negs]),
        "n": sum(rows),
        "mirrored": mirrored if sum(mirrored_rows) else None,
        "owner": shifted("owner"),
        "side": torch.tensor(joined("side"), dtype=torch.bool),
        "mirrored_owner": shifted("mirrored_owner"),
        "texts": joined("texts"),
        "negatives": joined("negatives"),
    }


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
        """Encode the batch: motions, true + negative captions, mirrored motions, masks
        (those of the global batch under DDP, module doc)."""
        texts: list[str] = list(batch["texts"])
        negatives: list[str] = list(batch.get("negative_texts") or [])
        n = len(texts)
        m = model.forward_motion(batch["patches"], batch["row_mask"], lexical=lexical)
        # captions tokenised by the data loader (phase_data), else here
        t = model.forward_text(batch.get("text_tokens") or texts + negatives, lexical=lexical)
        mp = batch.get("mirrored_patches")
        mirrored = None
        if mp is not None and len(mp):
            mirrored = model.forward_motion(mp, batch["mirrored_row_mask"], lexical=lexical)
        # the index metadata stay on the CPU (TrainingModule.transfer_batch_to_device): the
        # decisions taken on them never wait for the device
        owner = torch.as_tensor(batch.get("negative_owner", []), dtype=torch.long).cpu()
        side = torch.as_tensor(batch.get("negative_side", torch.zeros(len(negatives))),
                               dtype=torch.bool).cpu()
        if side.numel() != len(negatives):
            side = torch.zeros(len(negatives), dtype=torch.bool)
        m_owner = torch.as_tensor(batch.get("mirrored_owner", []), dtype=torch.long).cpu()
        f = {"m": m, "t": t, "n": n, "mirrored": mirrored, "owner": owner, "side": side,
             "mirrored_owner": m_owner, "texts": texts, "negatives": negatives}
        if distributed_world()[1] > 1:
            f = gather_pair_features(f)
        texts, negatives, n, t = f["texts"], f["negatives"], f["n"], f["t"]
        mask = None
        if self.false_negative_mask:
            mask = to_device(same_text_mask(texts, texts + negatives), model.device)
            if self.cfg.near_duplicate_threshold is not None:
                mask |= near_duplicate_mask(t.dense, n, self.cfg.near_duplicate_threshold)
        return {**f, "mask": mask}

    def dense_terms(self, model: MotionTextModel, f: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Dense contrastive loss and the training diagnostics."""
        n, m, t = f["n"], f["m"], f["t"]
        scale = model.dense_scale()
        sim = m.dense.float() @ t.dense.float().t()
        extra = None
        if f["mirrored"] is not None:
            extra = mirrored_logits(t.dense[:n], f["mirrored"].dense, f["mirrored_owner"],
                                    lambda a, b: a.float() @ b.float().t(), scale)
        res = contrastive_loss(scale * sim, false_negatives=f["mask"], t2m_negatives=extra)
        out = {"dense": res.loss, "dense_m2t": res.m2t, "dense_t2m": res.t2m}
        owner, side = f["owner"], f["side"]
        if self.cfg.side_pair_weight > 0:
            out["dense_side_pair"] = side_pair_loss(scale * sim, owner, side, extra, f["mask"])
        if len(owner) and bool((~side).any()):
            out["car_accuracy"] = column_accuracy(sim, owner, ~side)
        if bool(side.any()):
            out["side_accuracy"] = column_accuracy(sim, owner, side)
        if extra is not None:
            rows = to_device(f["mirrored_owner"], sim.device)
            mirrored_sim = extra[rows, 0] / scale
            out["side_motion_accuracy"] = (sim[rows, rows] > mirrored_sim).float().mean()
        return out


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
    (:func:`~motionlex.core.train.losses.side_pair_loss`).

    Returns (of a call): ``loss`` (= ``dense + lexical_loss_weight * lexical + flops_weight *
    flops + lexical_align_weight * lexical_align + lexical_word_weight * lexical_word +
    side_pair_weight * (dense_side_pair + lexical_loss_weight * lexical_side_pair)``),
    ``dense``, ``dense_m2t``, ``dense_t2m``, ``lexical``, ``lexical_m2t``, ``lexical_t2m``,
    ``flops``, ``flops_weight``, ``logit_scale``, ``lexical_logit_scale``, ``lexical_align`` /
    ``lexical_word``, ``dense_side_pair`` / ``lexical_side_pair`` when their weight is positive,
    and the diagnostics of the module doc.
    """

    phase = "lexcmlp"

    def __init__(self, model: MotionTextModel, cfg: ObjectiveConfig, *,
                 false_negative_mask: bool = True) -> None:
        super().__init__(model, cfg, false_negative_mask=false_negative_mask)
        self.word_ids = CaptionWordIds()

    def loss(self, model, batch, step, generator):  # noqa: D102 - see Objective.loss
        cfg = self.cfg
        f = self.features(model, batch, lexical=True)
        n, m, t = f["n"], f["m"], f["t"]
        out = self.dense_terms(model, f)
        similarity = model.config.lexical_similarity
        scale = model.lexical_scale()
        lex_sim = lexical_similarity(m.lexical, t.lexical, similarity)
        extra = None
        if f["mirrored"] is not None:
            extra = mirrored_logits(t.lexical[:n], f["mirrored"].lexical, f["mirrored_owner"],
                                    lambda a, b: lexical_similarity(a, b, similarity), scale)
        lexical = contrastive_loss(scale * lex_sim, false_negatives=f["mask"],
                                   t2m_negatives=extra)
        if similarity == "cosine":
            wm, wt = F.normalize(m.lexical, dim=-1), F.normalize(t.lexical[:n], dim=-1)
        else:
            wm, wt = m.lexical, t.lexical[:n]
        flops = flops_loss(wm) + flops_loss(wt)
        fw = ramped_flops_weight(step, cfg.flops_max_weight, cfg.flops_warmup_steps)
        loss = out["dense"] + cfg.lexical_loss_weight * lexical.loss + fw * flops
        if cfg.side_pair_weight > 0:
            pair = side_pair_loss(scale * lex_sim, f["owner"], f["side"], extra, f["mask"])
            out["lexical_side_pair"] = pair
            loss = loss + cfg.side_pair_weight * (out["dense_side_pair"]
                                                  + cfg.lexical_loss_weight * pair)
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

    Returns (of a call): ``loss`` (+ ``side_pair_weight * dense_side_pair`` when that weight is
    positive), ``dense_m2t``, ``dense_t2m`` and the diagnostics of the module doc.

    Source: Yu et al., CVPR 2024, Sec. 3.5, eq. 2-4.
    """

    phase = "dense"

    def loss(self, model, batch, step, generator):  # noqa: D102 - see Objective.loss
        out = self.dense_terms(model, self.features(model, batch, lexical=False))
        loss = out.pop("dense")
        if "dense_side_pair" in out:
            loss = loss + self.cfg.side_pair_weight * out["dense_side_pair"]
        return {"loss": loss, **out}

