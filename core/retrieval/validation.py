"""Validation during training: the same protocols as ``motionlex evaluate``, cheap ones only.

Protocol All (dense and lexical), CAR, side accuracy and the word metrics, through the same
functions :func:`.evaluate.evaluate_steps` calls, so a metric name means one protocol in
``val_metrics.json`` and in ``metrics.json``. The pairs differ: training validates on the
``val`` splits of every ``--data`` folder together plus 100 composed two-event pairs (a
larger, harder gallery), ``motionlex evaluate`` on the one folder and split it is given; both
record their gallery as ``n/texts`` and ``n/motions``, so retrieval figures are compared only
where those agree. The composed pairs and the CAR shuffles are the same in both
(:func:`.chronology.composed_test_examples`, seed :data:`.chronology.PROTOCOL_SEED`): on one
folder's val split, ``CAR/...`` and ``chronology/motion/dense`` of a checkpoint are the same
numbers in ``val_metrics.json`` and in ``evaluate``'s ``metrics.json`` (default ``--seed``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import torch

from motionlex.core.data.pairs import PairExample, distinct_motions
from motionlex.core.model.types import EncoderModel
from motionlex.core.patches import PatchStats
from motionlex.core.retrieval.chronology import (
    PROTOCOL_SEED,
    car_items,
    car_report,
    motion_order_report,
)
from motionlex.core.retrieval.embed import Scorer, encode_motions, encode_texts
from motionlex.core.retrieval.fusion import choose_fusion_weight
from motionlex.core.retrieval.metrics import (
    bidirectional_metrics,
    flatten_metrics,
    integer_counts,
)
from motionlex.core.retrieval.protocols import owner_positives, scored
from motionlex.core.retrieval.side import mirrored_clips, side_captions, side_report
from motionlex.core.retrieval.word_protocol import scorer_word_report
from motionlex.core.text.orders import join_events

logger = logging.getLogger(__name__)


@torch.inference_mode()
def validation_metrics(model: EncoderModel, examples: Sequence[PairExample], stats: PatchStats,
                       car_shuffles: int = 1, seed: int = PROTOCOL_SEED, batch_size: int = 64,
                       words: bool = True) -> dict[str, float]:
    """Retrieval (protocol All, dense and lexical) and CAR on validation pairs (training).

    The same definitions as :func:`evaluate`: the All gallery
    (:func:`~motionlex.core.data.pairs.distinct_motions`),
    its positives (:func:`.protocols.owner_positives`), the encoding (:mod:`.embed`,
    first 224 frames) and CAR (:func:`.chronology.car_report`, ``car_shuffles`` shuffled
    captions per multi-event caption drawn from ``default_rng(seed)``). ``CAR`` is the same
    metric over the same items as ``motionlex evaluate``'s on one folder's split: the split's
    captions and its composed pairs (:func:`.chronology.composed_test_examples`, appended to
    ``examples`` by the training run), shuffled with the same ``seed`` (evaluate's default).

    Args:
        model: a ``MotionTextModel`` or ``LiteModel`` (:data:`~.types.EncoderModel`).
        examples: validation ``(motion, caption)`` pairs.
        stats: the training split's patch statistics.
        car_shuffles: shuffled captions per multi-event caption (evaluate's default 1).
        seed: seed of the shuffles (:data:`.chronology.PROTOCOL_SEED`, as evaluate's
            default; not the training seed).
        batch_size: motions or captions per forward pass.
        words: also word precision@10 and query word recall (:mod:`.word_protocol`; spaCy,
            content words cached per caption); skipped with a warning without spaCy's model.

    Returns:
        Flat dict: ``n/texts``, ``n/motions`` (the All gallery's captions and motions),
        ``n/composed`` (composed pairs among them), ``t2m/dense/R@1`` ... ``m2t/fused/MedR``
        (All; fused with the weight below, as evaluate's ``t2m/All/fused/...``), ``val/rsum``
        (dense t2m
        R@1+R@5+R@10 + m2t R@1+R@5+R@10), ``fusion_weight`` (dense weight of the fused
        similarity chosen on these pairs), the ``CAR`` keys of :func:`.chronology.car_report`
        when a caption has several events, the side accuracies of :func:`.side.side_report`
        (``side/text``, ``side/motion``, per similarity, mirrored motions encoded here),
        ``chronology/motion/...`` and ``chronology/n`` when composed pairs carry their
        reordered motion (:func:`.chronology.motion_order_report`), the
        ``words/...`` keys of :func:`.word_protocol.word_report`, ``lexical/nnz_motion``,
        ``lexical/nnz_text``. Counts are ints (:func:`.metrics.integer_counts`).

    Raises:
        ValueError: no examples.
    """
    motions, owners = distinct_motions(examples)
    texts = [e.caption for e in examples]
    items = car_items([(int(owners[i]), e.caption, e.events) for i, e in enumerate(examples)],
                      car_shuffles, np.random.default_rng(seed))
    mirror_clips, mirrored = mirrored_clips(motions, texts, owners)
    # composed val pairs carry the same clips in another order: the chronology test's
    # motion side (a caption prefers its clip order), encoded after the mirrored clips
    composed = [i for i, e in enumerate(examples) if e.reordered_joints is not None]
    reordered = [(examples[i].reordered_joints, examples[i].skeleton) for i in composed]
    uniq = list(dict.fromkeys(texts + [s for it in items for s in it.shuffles]
                              + [join_events(it.events) for it in items] + side_captions(texts)))
    score = Scorer(uniq, encode_texts(model, uniq, batch_size),
                   encode_motions(model, [(m.joints, m.skeleton) for m in motions]
                                  + mirror_clips + reordered, stats, batch_size=batch_size,
                                  long_clips="first", assume_canonical=True),
                   model.config.lexical_similarity)
    dense, lex = score(texts, np.arange(len(motions)))
    positives = owner_positives(texts, owners, len(motions))
    out: dict[str, float] = {"n/texts": len(texts), "n/motions": len(motions),
                             "n/composed": len(composed)}  # the gallery, as evaluate's
    weight = float(choose_fusion_weight(dense, lex, positives, direction="both"))
    for name, (t2m, m2t) in scored(dense, lex, weight).items():  # fused as evaluate's All
        out.update(flatten_metrics(bidirectional_metrics(t2m, positives, sim_m2t=m2t), name))
    out["val/rsum"] = sum(out[f"{d}/dense/R@{k}"] for d in ("t2m", "m2t") for k in (1, 5, 10))
    out["fusion_weight"] = weight
    if items:
        own = np.ones(len(motions), bool)  # the retrieval rows query the split's motions
        own[owners[composed]] = False
        out.update(car_report(score, texts, owners, len(motions), items, out["fusion_weight"],
                              queries=own))
    out.update(side_report(score, texts, owners, len(motions),
                           {m: len(motions) + k for k, m in enumerate(mirrored)},
                           out["fusion_weight"]))
    if composed:
        first = len(motions) + len(mirror_clips)
        out.update(motion_order_report(
            score, [texts[i] for i in composed], [int(owners[i]) for i in composed],
            list(range(first, first + len(composed))), first + len(composed),
            out["fusion_weight"]))
    if words:
        try:
            out.update(scorer_word_report(score, texts, owners, len(motions), model.vocabulary))
        except RuntimeError as e:  # no spaCy English model: the other metrics still count
            logger.warning("word metrics skipped: %s", e)
    text_rows = [score.row[t] for t in texts]
    out["lexical/nnz_motion"] = float((score.m.lexical > 0).sum(axis=1).mean())
    out["lexical/nnz_text"] = float((score.t.lexical[text_rows] > 0).sum(axis=1).mean())
    return integer_counts(out)
