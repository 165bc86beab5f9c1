"""Side accuracy: does the model tell left from right (CAR's pairwise test applied to space)?

- Text side (``side/text``): for every caption that names a side (:func:`names_side`), its
  motion scores the caption strictly above the side-swapped caption (:func:`mirror_caption`:
  left <-> right, leftward(s) <-> rightward(s), clockwise <-> counterclockwise).
- Motion side (``side/motion``): the same caption scores its motion strictly above the
  mirrored motion (:func:`mirror_motion`, encoded through :mod:`.embed` like every motion).

Each is given for the three similarities (``side/text/dense|lexical|fused``; the unqualified
key is dense, as ``CAR`` is) with its count ``side/text/n``. Fused scores are normalised as in
retrieval: over the texts (captions and their swapped versions) for the text side, over the
motions (gallery and mirrored ones) for the motion side. ``motionlex evaluate`` and validation
during training both call :func:`side_report`, so ``side/text`` means one thing everywhere.

Source: the CAR accuracy of Fujiwara et al., ECCV 2024, Sec. 3 Eq. (2)
(:func:`.metrics.preference_accuracy`), with mirroring as DESIGN.md's "Mirroring".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from motionlex.core.motion.motion import Motion, mirror_motion
from motionlex.core.motion.skeleton import Skeleton
from motionlex.core.retrieval.embed import Scorer
from motionlex.core.retrieval.metrics import preference_accuracy
from motionlex.core.retrieval.protocols import scored
from motionlex.core.text.sides import mirror_caption, names_side


def side_captions(texts: Sequence[str]) -> list[str]:
    """The side-swapped version of every caption that names a side (to encode with the rest)."""
    return [mirror_caption(t) for t in texts if names_side(t)]


def mirrored_clips(motions: Sequence[Any], texts: Sequence[str], owners: np.ndarray,
                   fps: float = 20.0) -> tuple[list[tuple[np.ndarray, Skeleton]], list[int]]:
    """Mirrored copies of the motions that own a caption naming a side.

    Args:
        motions: gallery motions with ``joints (T, J, 3)`` float32 metres and ``skeleton``
            (``PairExample``).
        texts / owners: the captions and ``(N,)`` int motion index of each.
        fps: frame rate of the joints (canonical 20 fps); mirroring does not use it.

    Returns:
        ``(clips, motion indices)``: ``(joints, skeleton)`` of each mirrored motion, to be
        encoded after the gallery, and the gallery index each one mirrors.
    """
    which = sorted({int(owners[i]) for i, t in enumerate(texts) if names_side(t)})
    clips = []
    for m in which:
        mirrored = mirror_motion(Motion(motions[m].joints, fps, motions[m].skeleton))
        clips.append((mirrored.joints, mirrored.skeleton))
    return clips, which


def side_report(score: Scorer, texts: Sequence[str], owners: np.ndarray, num_motions: int,
                mirror_rows: Mapping[int, int], weight: float) -> dict[str, float]:
    """Side accuracy, text side and motion side, per similarity (percent).

    Args:
        score: similarity lookup that has encoded ``texts``, :func:`side_captions` of them,
            the ``num_motions`` gallery motions and their mirrored copies.
        texts / owners: the gallery captions and ``(N,)`` int motion index of each.
        num_motions: gallery motions (rows ``0 .. num_motions - 1`` of the scorer).
        mirror_rows: gallery motion index -> scorer row of its mirrored copy (every motion
            owning a caption that names a side).
        weight: fusion weight.

    Returns:
        ``side/text/<sim>``, ``side/motion/<sim>``, ``side/text``, ``side/motion`` (dense)
        and the counts ``side/text/n``, ``side/motion/n``; empty when no caption names a side.

    Raises:
        KeyError: a motion owning a side caption has no row in ``mirror_rows``, or a caption
            was not encoded.
    """
    side = np.array([i for i, t in enumerate(texts) if names_side(t)], np.int64)
    if side.size == 0:
        return {}
    own = np.asarray(owners, np.int64)[side]
    swapped = [mirror_caption(texts[i]) for i in side]
    out: dict[str, float] = {}
    # text side: one motion against its caption and the swapped caption (m2t)
    g = len(texts)
    dense, lex = score(list(texts) + swapped, np.arange(num_motions))
    for sim, (_, m2t) in scored(dense, lex, weight).items():
        out[f"side/text/{sim}"] = preference_accuracy(m2t[side, own],
                                                      m2t[g + np.arange(side.size), own])
    # motion side: one caption against its motion and the mirrored motion (t2m)
    mirrors = sorted({int(m) for m in own})
    cols = np.concatenate([np.arange(num_motions), [mirror_rows[m] for m in mirrors]])
    mirror_col = {m: num_motions + k for k, m in enumerate(mirrors)}
    dense, lex = score([texts[i] for i in side], cols)
    rows = np.arange(side.size)
    alt = np.array([mirror_col[int(m)] for m in own], np.int64)
    for sim, (t2m, _) in scored(dense, lex, weight).items():
        out[f"side/motion/{sim}"] = preference_accuracy(t2m[rows, own], t2m[rows, alt])
    out["side/text"], out["side/motion"] = out["side/text/dense"], out["side/motion/dense"]
    out["side/text/n"] = out["side/motion/n"] = float(side.size)
    return out
