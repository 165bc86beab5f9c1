"""CAR and the chronology tests: does the model prefer the true order of events?

- CAR (:func:`car_items`, :func:`car_report`): a caption's true event order against
  ``shuffles`` shuffled orders (``orig->event``: the original caption; ``event->event``:
  the events joined in the true order), and motion-to-text retrieval with the shuffled
  captions added to the gallery. ``CAR`` is orig->event with dense similarity, the one
  definition of ``motionlex evaluate`` and of validation during training.
- Chronology on composed clips (:func:`chronology_report`) and on the synthetic demo
  generator's pairs (:func:`synthetic_chronology_report`).
- Every order of one caption's events against one motion is :mod:`.event_orders` (the
  explorer's chronology panel); ranking by order agreement is :mod:`.order_ranking`.

Source: Fujiwara et al., ECCV 2024, Sec. 3 Eq. (2) and Table 1.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from motionlex.core.data.composition import chronology_test_set, one_skeleton_pool
from motionlex.core.data.demo.gallery import chronology_pairs
from motionlex.core.data.pairs import PairExample, distinct_motions
from motionlex.core.model.types import EncoderModel
from motionlex.core.motion.motion import Motion
from motionlex.core.patches import PatchStats
from motionlex.core.retrieval.embed import Scorer, encode_motions, encode_texts
from motionlex.core.retrieval.metrics import (
    CAR_SETTINGS,
    car_accuracy,
    flatten_metrics,
    m2t_with_negatives,
)
from motionlex.core.retrieval.protocols import caption_positives, owner_positives, scored
from motionlex.core.text.orders import join_events, shuffled_captions
from motionlex.core.wording import count

logger = logging.getLogger(__name__)

PROTOCOL_SEED = 0
"""Seed of the composed chronology test pairs and of the CAR shuffles: validation during
training and ``motionlex evaluate`` (its default ``--seed``) draw the same ones for a split,
so ``CAR`` and ``chronology/...`` of one checkpoint agree in ``val_metrics.json`` and
``metrics.json`` (the training seed does not move them)."""

CHRONOLOGY_PAIRS = 100
"""Composed chronology test pairs drawn from a split (validation and evaluate's default)."""


@dataclass
class CarItem:
    """A multi-event caption of a motion with its shuffled versions (CAR)."""

    motion: int     # motion index (split motions, then composed ones)
    caption: str    # original caption
    events: tuple[str, ...]
    shuffles: list[str]


def car_items(captions: Sequence[tuple[int, str, Sequence[str]]], shuffles: int,
              rng: np.random.Generator) -> list[CarItem]:
    """The CAR items of multi-event captions, each with ``shuffles`` shuffled captions.

    Args:
        captions: ``(motion index, caption, events)``; captions with fewer than two events
            are left out, and so are those whose events admit no other order.
        shuffles: shuffled captions per caption
            (:func:`~motionlex.core.text.orders.shuffled_captions`).
        rng: the generator of the shuffles (drawn in ``captions`` order).

    Returns:
        :class:`CarItem` list.
    """
    items = [CarItem(int(m), c, tuple(ev), []) for m, c, ev in captions if len(ev) > 1]
    for it in items:
        it.shuffles = shuffled_captions(list(it.events), shuffles, rng)
    return [it for it in items if it.shuffles]


def car_report(score: Scorer, texts: list[str], owners: np.ndarray, num_motions: int,
               items: Sequence[CarItem], weight: float,
               papers_set: np.ndarray | None = None,
               queries: np.ndarray | None = None) -> dict[str, float]:
    """CAR accuracy and motion-to-text retrieval with shuffled captions (both settings).

    Args:
        score: similarity lookup.
        texts / owners: every caption of the gallery (split and composed) and its motion.
        num_motions: motions of the gallery (split and composed).
        items: multi-event captions with their shuffled versions.
        weight: fusion weight.
        papers_set: optional ``(len(items),)`` bool, the items of the papers' test set
            (each test motion's first caption, from the data, not composed: Fujiwara et al.
            Sec. 3.3 "the first one for testing"); their CAR is reported as
            ``CAR/first/<setting>/<sim>`` with ``CAR/first/n`` and ``CAR/first/chance``.
        queries: optional ``(num_motions,)`` bool, the motions the retrieval rows
            (``m2t/CAR-...``) query: the split's own motions, as Fujiwara et al. Table 1
            (the test motions against the test captions plus their shuffled versions);
            their gallery holds these motions' captions and their own items' shuffles, so
            composed clips are neither queries nor gallery there. Default every motion.
            CAR accuracy counts every item either way.

    Returns:
        ``CAR/<setting>/<sim>``, ``m2t/CAR-<setting>/<sim>/<metric>`` (left out when no
        queried motion has an item), ``m2t/CAR/n_motions`` and ``m2t/CAR/n_shuffles`` (the
        retrieval rows' queries and shuffled gallery texts), counts and chance.

    Raises:
        ValueError: if ``papers_set`` does not have one entry per item, or ``queries`` one
            entry per motion.

    Source: Fujiwara et al., ECCV 2024, Sec. 3 Eq. (2) and Table 1.
    """
    out: dict[str, float] = {}
    if papers_set is not None and len(papers_set) != len(items):
        raise ValueError(f"papers_set has {len(papers_set)} entries for {len(items)} items")
    first = np.zeros(len(items), bool) if papers_set is None else np.asarray(papers_set, bool)
    queried = np.ones(num_motions, bool) if queries is None else np.asarray(queries, bool)
    if queried.shape != (num_motions,):
        raise ValueError(f"queries has shape {queried.shape} for {num_motions} motions")
    shuffles = [s for it in items for s in it.shuffles]
    motions = np.array([it.motion for it in items], np.int64)
    first_shuffle = np.cumsum([0] + [len(it.shuffles) for it in items])[:-1]
    # the retrieval rows' sub-gallery: the queried motions' captions and their items' shuffles
    q_cols = np.flatnonzero(queried)
    q_texts = np.flatnonzero(queried[owners])
    q_shuffles = np.array([first_shuffle[i] + j for i, it in enumerate(items)
                           if queried[it.motion] for j in range(len(it.shuffles))], np.int64)
    q_owners = (np.cumsum(queried) - 1)[owners[q_texts]]
    joined = {it.caption: join_events(it.events) for it in items}
    # a shuffle that reads as a motion's own caption is its positive, not a negative; the
    # shuffles are joined events ("a person sits down, then a person walks"), so they are
    # compared with the gallery's captions joined the same way, in both settings
    shuf_pos = caption_positives(shuffles, [joined.get(t, t) for t in texts], owners,
                                 num_motions)
    for setting in CAR_SETTINGS:
        gallery = texts if setting == "orig->event" else [joined.get(t, t) for t in texts]
        row = {t: i for i, t in reversed(list(enumerate(gallery)))}
        true_rows = np.array([row[it.caption if setting == "orig->event" else joined[it.caption]]
                              for it in items])
        dense, lex = score(gallery + shuffles, np.arange(num_motions))
        g = len(gallery)
        if len(q_shuffles):
            rows = np.concatenate([q_texts, g + q_shuffles])
            pos = owner_positives([gallery[i] for i in q_texts], q_owners, len(q_cols))
            sub = np.ix_(rows, q_cols)
            for sim, (_, m2t) in scored(dense[sub], lex[sub], weight).items():
                t = len(q_texts)
                res = m2t_with_negatives(m2t[:t].T, m2t[t:].T, pos.T,
                                         shuffled_positives=shuf_pos[np.ix_(q_shuffles,
                                                                            q_cols)].T)
                out.update(flatten_metrics({"m2t": res}, f"CAR-{setting}/{sim}"))
        for sim, (_, m2t) in scored(dense, lex, weight).items():
            shuf = np.full((len(items), max(len(it.shuffles) for it in items)), np.nan)
            for i, it in enumerate(items):
                shuf[i, :len(it.shuffles)] = m2t[g + first_shuffle[i]:
                                                 g + first_shuffle[i] + len(it.shuffles),
                                                 it.motion]
            true_sim = m2t[true_rows, motions]
            out[f"CAR/{setting}/{sim}"] = car_accuracy(true_sim, shuf)
            if first.any():
                out[f"CAR/first/{setting}/{sim}"] = car_accuracy(true_sim[first], shuf[first])
    out["CAR"] = out["CAR/orig->event/dense"]
    out["CAR/n"] = float(len(items))
    out["m2t/CAR/n_motions"] = float(len(q_cols))
    out["m2t/CAR/n_shuffles"] = float(len(q_shuffles))
    chance = np.array([1.0 / (1 + len(it.shuffles)) for it in items])
    out["CAR/chance"] = 100.0 * float(np.mean(chance))
    if first.any():
        out["CAR/first/n"] = float(first.sum())
        out["CAR/first/chance"] = 100.0 * float(np.mean(chance[first]))
    return out


def chronology_report(score: Scorer, pairs: Sequence[Any], caption_texts: Sequence[str],
                      first_motion: int, num_motions: int, weight: float) -> dict[str, float]:
    """Chronology test on composed clips, per similarity (percent of pairs passed).

    ``chronology/text``: the motion scores its caption above the caption in the other
    order (``text_negative``, same surface form); ``chronology/motion``: the caption scores
    its motion above the clips in the other order (``motion_negative``); ``both``: both.

    Args:
        score: similarity lookup (composed motions at ``first_motion + p``, their
            negatives at ``first_motion + P + p``; ``num_motions`` in all).
        pairs: :class:`compose.ComposedPair` list (``P``); each pair's ``caption`` must be
            one of ``caption_texts``.
        caption_texts: every caption of the gallery (for the per-query normalisation).
        first_motion: column of the first composed motion (``P`` composed motions, then
            their ``P`` reordered negatives, in ``pairs`` order).
        num_motions: number of motion columns of the whole gallery (``>= first_motion + 2P``).
        weight: fusion weight (dense share) of the fused score.

    Returns:
        ``chronology/{text,motion,both}/{dense,lexical,fused}`` (percent of pairs passed;
        a tie fails) and ``chronology/n`` (``P``).

    Source: Fujiwara et al., ECCV 2024, Sec. 3.2-3.3 (CAR), applied to the motion side as in
    :func:`~motionlex.core.data.composition.chronology_test_set`.
    """
    p = len(pairs)
    gallery = list(caption_texts) + [c.text_negative for c in pairs]
    dense, lex = score(gallery, np.arange(num_motions))
    row = {t: i for i, t in reversed(list(enumerate(gallery)))}
    cap_row = np.array([row[c.caption] for c in pairs])
    neg_row = len(caption_texts) + np.arange(p)
    mot = first_motion + np.arange(p)
    out: dict[str, float] = {}
    for sim, (t2m, m2t) in scored(dense, lex, weight).items():
        text_ok = m2t[cap_row, mot] > m2t[neg_row, mot]
        motion_ok = motion_order_passed(t2m, cap_row, mot, mot + p)
        out[f"chronology/text/{sim}"] = 100.0 * float(text_ok.mean())
        out[f"chronology/motion/{sim}"] = 100.0 * float(motion_ok.mean())
        out[f"chronology/both/{sim}"] = 100.0 * float((text_ok & motion_ok).mean())
    out["chronology/n"] = float(p)
    return out


def motion_order_passed(t2m: np.ndarray, caption_rows: np.ndarray, motions: np.ndarray,
                        reordered: np.ndarray) -> np.ndarray:
    """``(P,)`` bool: caption ``caption_rows[i]`` scores its motion ``motions[i]`` strictly
    above the same clips in another order, ``reordered[i]`` (the motion side of the
    chronology test; a tie fails).

    Args:
        t2m: ``(N_text, N_motion)`` text-to-motion scores (one similarity of :func:`scored`).
        caption_rows / motions / reordered: ``(P,)`` int row and column indices.
    """
    return t2m[caption_rows, motions] > t2m[caption_rows, reordered]


def motion_order_report(score: Scorer, captions: Sequence[str], motions: Sequence[int],
                        reordered: Sequence[int], num_motions: int, weight: float
                        ) -> dict[str, float]:
    """``chronology/motion/{dense,lexical,fused}`` (percent passed, :func:`motion_order_passed`)
    and ``chronology/n`` for composed pairs given as columns of ``score``: the motion side of
    :func:`chronology_report` where the true and the reordered clips are already encoded
    (validation during training: composed val pairs carry their reordered motion).

    Args:
        score: similarity lookup over ``num_motions`` motions (fused scores normalise each
            caption over all of them).
        captions: the composed captions (``P``).
        motions / reordered: their motions' and reordered motions' columns.
        weight: fusion weight.
    """
    rows = np.arange(len(captions))
    dense, lex = score(list(captions), np.arange(num_motions))
    out = {f"chronology/motion/{sim}": 100.0 * float(motion_order_passed(
        t2m, rows, np.asarray(motions), np.asarray(reordered)).mean())
        for sim, (t2m, _) in scored(dense, lex, weight).items()}
    out["chronology/n"] = float(len(captions))
    return out


def synthetic_chronology_report(model: EncoderModel, stats: PatchStats, *, n: int = 50,
                                seed: int = 0, weight: float = 1.0) -> dict[str, float]:
    """Chronology test on the synthetic demo generator's pairs, per similarity (percent passed).

    :func:`motionlex.core.data.demo.gallery.chronology_pairs` gives ``n`` procedural SMPL-22
    motions of two
    or three actions in caption order ("a person walks forward, then jumps twice") and the
    same actions in another order, with that order's caption. ``synthetic_chronology/motion``:
    the caption scores its true-order motion above the reordered one (a motion-side test with
    known event order); ``.../text``: the motion scores its caption above the reordered
    caption; ``.../both``: both. Chance is 50 %.

    Args:
        model: a ``MotionTextModel`` or ``LiteModel`` (:data:`~.types.EncoderModel`).
        stats: the model's patch statistics.
        n: number of pairs, ``>= 1``.
        seed: generator seed.
        weight: fusion weight (dense share) of the fused score.

    Returns:
        ``{"synthetic_chronology/{text,motion,both}/{dense,lexical,fused}": percent,
        "synthetic_chronology/n": n}``.

    Raises:
        ValueError: ``n < 1``.

    Source: Fujiwara et al., ECCV 2024, Sec. 3 (chronological hard negatives), on the motion
    side as :func:`chronology_report`.
    """
    if n < 1:
        raise ValueError(f"need n >= 1 synthetic chronology pairs, got {n}")
    pairs = chronology_pairs(seed=seed, n=n)
    clips = [p.motion.motion for p in pairs] + [p.motion_negative.motion for p in pairs]
    motions = encode_motions(model, [(c.joints, c.skeleton) for c in clips], stats,
                             batch_size=64, long_clips="first", assume_canonical=True)
    captions = [p.caption for p in pairs]
    texts = list(dict.fromkeys(captions + [p.text_negative for p in pairs]))
    score = Scorer(texts, encode_texts(model, texts), motions, model.config.lexical_similarity)
    out = chronology_report(score, pairs, captions, 0, len(clips), weight)
    return {k.replace("chronology/", "synthetic_chronology/", 1): v for k, v in out.items()}


def composed_pairs(motions: Sequence[Any], n: int, seed: int, notes: list[str]) -> list:
    """The composed chronology test pairs of a split's distinct motions (none when ``n == 0``
    or composition fails; on several skeletons, from the motions of the one most are on;
    what was left out and why is appended to ``notes``).

    Args:
        motions: distinct motions (``PairExample``: ``joints`` canonical 20 fps,
            ``skeleton``, ``motion_id``, ``caption``, ``label``).
        n: pairs wanted. seed: composition seed.
        notes: remarks for the report (appended to).

    Returns:
        ``ComposedPair`` list (:func:`motionlex.core.data.composition.chronology_test_set`).
    """
    if n == 0:
        return []
    pool, left_out, others = one_skeleton_pool(
        [(Motion(m.joints, 20.0, m.skeleton, name=m.motion_id), m.caption, m.label)
         for m in motions])
    pool_note = (f"the {count(len(pool), 'motion')} on the skeleton of {pool[0][0].name} "
                 f"({left_out} on {count(others, 'other skeleton')} left out: composition "
                 "joins clips of one skeleton)") if left_out else ""
    try:
        pairs = chronology_test_set(pool, n, seed)
    except ValueError as e:  # one note (the report's notes are printed): not a log line too
        notes.append(f"no composed chronology test: {e}"
                     + (f"; the pool was {pool_note}" if pool_note else ""))
        logger.info("%s", notes[-1])
        return []
    if pool_note:
        notes.append(f"composed chronology test from {pool_note}")
    return pairs


def composed_test_examples(examples: Sequence[PairExample], n: int = CHRONOLOGY_PAIRS,
                           seed: int = PROTOCOL_SEED) -> list[PairExample]:
    """The composed chronology test pairs of a split as ``(motion, caption)`` pairs: the same
    pairs as :func:`composed_pairs` on the split's :func:`distinct_motions` (what
    ``motionlex evaluate`` draws with the same ``seed``), each carrying its reordered motion
    (``reordered_joints``) for validation during training.

    Args:
        examples: the split's pairs (several skeletons: the one most motions are on).
        n: pairs wanted. seed: composition seed.

    Returns:
        Up to ``n`` :class:`PairExample` (``motion_id`` ``composed:<sources>``, no label);
        none when composition fails (logged).
    """
    notes: list[str] = []
    pairs = composed_pairs(distinct_motions(examples)[0], n, seed, notes)
    if pairs and notes:  # the pool left motions out (a failure composed_pairs logs itself)
        logger.info("%s", notes[-1])
    return [PairExample(p.motion.motion.joints, p.caption, tuple(p.events),
                        "composed:" + "+".join(s or "?" for s in p.motion.sources), None,
                        p.motion.motion.skeleton, reordered_joints=p.motion_negative.motion.joints)
            for p in pairs]
