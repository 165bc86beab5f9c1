"""Composed multi-event pairs drawn from a pool of real clips: the training augmentation
(:func:`sample_composed_pairs`) and the reproducible chronology test set
(:func:`chronology_test_set`), over ``(motion, caption, label)`` items
(:func:`composition_pool`). Each pair is joined by
:func:`~motionlex.core.data.compose.compose_pair`.

Source: Fujiwara, Tanaka, Yu, "Chronologically Accurate Retrieval for Temporal Grounding of
Motion-Language Models", ECCV 2024 (event-shuffled captions and composed motions).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from motionlex.core.data.compose import DEFAULT_BLEND_FRAMES, ComposedPair, compose_pair
from motionlex.core.motion.motion import CANONICAL_FPS, Motion
from motionlex.core.patches import MAX_FRAMES
from motionlex.core.text.orders import split_subject

logger = logging.getLogger(__name__)

MIN_EVENT_SECONDS = 1.5
"""A long clip is cropped to no less than this many seconds (shorter clips are kept whole)."""


def composition_pool(samples: Sequence[Any], label_key: str | None = "action"
                     ) -> list[tuple[Motion, str, str | None]]:
    """``(motion, caption, label)`` items from loaded dataset samples.

    Args:
        samples: :class:`motionlex.core.data.records.Sample` objects (``motion``, ``captions``,
            ``record.meta``), e.g. from ``MotionDataset(...).scan()[0]``.
        label_key: key of ``record.meta`` holding the action label (Bandai: ``"action"``);
            ``None``, or a sample without it, gives label ``None`` (caption used as label).

    Returns:
        One item per caption, the motion cropped to the caption's span.
    """
    out: list[tuple[Motion, str, str | None]] = []
    for s in samples:
        label = s.record.meta.get(label_key) if label_key else None
        for cap in s.captions:
            try:
                out.append((s.motion.crop_seconds(cap.start, cap.end, canonical=True),
                            cap.text, label))
            except ValueError as e:
                logger.warning("skipping caption span: %s", e)
    return out


def one_skeleton_pool(pool: Sequence[tuple[Motion, str, object]]
                      ) -> tuple[list[tuple[Motion, str, object]], int, int]:
    """The items of ``pool`` on the skeleton layout most of its motions are on
    (:attr:`~motionlex.core.motion.skeleton.Skeleton.layout`): composition joins clips of
    one skeleton, so on mixed data (a BVH folder beside joint files) the largest one is
    composed and the others are left out.

    Returns:
        ``(kept items, items left out, other layouts)``; ``(pool, 0, 0)`` on one layout.
    """
    counts = Counter(item[0].skeleton.layout for item in pool)
    if len(counts) <= 1:
        return list(pool), 0, 0
    main = counts.most_common(1)[0][0]
    kept = [item for item in pool if item[0].skeleton.layout == main]
    return kept, len(pool) - len(kept), len(counts) - 1


def _label_of(caption: str, label: object) -> str:
    if label is not None:
        return str(label)
    return split_subject(caption)[1].lower()


def _crop_lengths(lengths: Sequence[int], budget: int) -> list[int]:
    """Largest common cap ``c`` with ``sum(min(T_i, c)) <= budget`` applied to every clip."""
    if sum(lengths) <= budget:
        return list(lengths)
    remaining, left = budget, len(lengths)
    cap = 0
    for t in sorted(lengths):
        share = remaining // left
        if t > share:
            cap = share
            break
        remaining -= t
        left -= 1
    return [min(t, cap) for t in lengths]


def _central(m: Motion, length: int) -> Motion:
    if length >= m.num_frames:
        return m
    a = (m.num_frames - length) // 2
    return replace(m, joints=m.joints[a:a + length], name=f"{m.name}[{a}:{a + length}]")


def _check_sampling(events: Sequence[int], n: int, max_frames: int, blend_frames: int) -> int:
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if len(events) == 0 or any(int(k) < 2 for k in events):
        raise ValueError(f"events must list event counts >= 2, got {tuple(events)}")
    min_len = math.ceil(MIN_EVENT_SECONDS * CANONICAL_FPS)
    k = max(int(e) for e in events)
    need = k * min_len - blend_frames * (k - 1)
    if max_frames < need:
        raise ValueError(
            f"max_frames={max_frames} cannot hold {k} events of {MIN_EVENT_SECONDS} s "
            f"({min_len} frames) with blend_frames={blend_frames}: need at least {need}"
        )
    return min_len


class _Sampler:
    """Draws label-distinct clip tuples from a pool and composes them."""

    def __init__(self, pool: Sequence[tuple[Motion, str, object]], events: Sequence[int],
                 max_frames: int, distinct_labels: bool, blend_frames: int) -> None:
        self.events = [int(k) for k in events]
        self.max_frames, self.blend_frames = int(max_frames), int(blend_frames)
        self.distinct = distinct_labels
        self.items: list[tuple[Motion, str, str]] = []
        short = 0
        for i, item in enumerate(pool):
            if len(item) != 3:
                raise ValueError(f"pool item {i} must be (motion, caption, label), "
                                 f"got {len(item)} fields")
            m, cap, lab = item
            if m.num_frames < 2 * blend_frames + 1:
                short += 1
                continue
            self.items.append((m, str(cap), _label_of(str(cap), lab)))
        if short:
            logger.info("composition pool: %d clip(s) shorter than %d frames left out", short,
                        2 * blend_frames + 1)
        self.groups: dict[str, list[int]] = {}
        for i, (_, _, lab) in enumerate(self.items):
            self.groups.setdefault(lab, []).append(i)
        self.labels = sorted(self.groups)
        avail = len(self.labels) if distinct_labels else len(self.items)
        if avail < max(self.events):
            what = "distinct label" if distinct_labels else "usable clip"
            raise ValueError(f"the pool has {avail} {what}{'s' * (avail != 1)} ({len(pool)} "
                             f"item{'s' * (len(pool) != 1)}); "
                             f"{max(self.events)} needed for events={tuple(self.events)}")

    def pick(self, rng: np.random.Generator) -> tuple[list[int], list[tuple[Motion, str]]]:
        """The pool items of one pair and their (centrally cropped) clips with captions, not
        yet composed; :meth:`compose` continues with the same generator."""
        k = self.events[int(rng.integers(len(self.events)))]
        for _ in range(100):
            if self.distinct:
                labs = rng.choice(len(self.labels), size=k, replace=False)
                idx = [self.groups[self.labels[int(j)]][int(rng.integers(
                    len(self.groups[self.labels[int(j)]])))] for j in labs]
            else:
                idx = [int(j) for j in rng.choice(len(self.items), size=k, replace=False)]
            if len({split_subject(self.items[i][1])[1].lower() for i in idx}) >= 2:
                break
        else:
            raise ValueError("could not draw clips with at least 2 different captions in 100 "
                             "tries; the pool's captions are all the same")
        budget = self.max_frames + self.blend_frames * (k - 1)
        lengths = _crop_lengths([self.items[i][0].num_frames for i in idx], budget)
        samples = [(_central(self.items[i][0], t), self.items[i][1]) for i, t in zip(idx, lengths)]
        return idx, samples

    def compose(self, idx: list[int], samples: list[tuple[Motion, str]],
                rng: np.random.Generator) -> ComposedPair:
        """The pair of :meth:`pick`'s clips (``rng``: the generator that picked them)."""
        pair = compose_pair(samples, rng, self.blend_frames)
        return replace(pair, labels=tuple(self.items[i][2] for i in idx))

    def draw(self, rng: np.random.Generator) -> ComposedPair:
        return self.compose(*self.pick(rng), rng)


def sample_composed_pairs(
    pool: Sequence[tuple[Motion, str, object]],
    n: int,
    rng: np.random.Generator,
    events: Sequence[int] = (2, 3),
    max_frames: int = MAX_FRAMES,
    distinct_labels: bool = True,
    blend_frames: int = DEFAULT_BLEND_FRAMES,
) -> list[ComposedPair]:
    """Random composed pairs for training augmentation.

    Each pair: an event count ``k`` drawn uniformly from ``events``; ``k`` different labels
    drawn uniformly without replacement (so every action is equally likely whatever its clip
    count), one clip of each label drawn uniformly; long clips cropped to their central part
    to a common cap so that the composed motion has at most ``max_frames`` frames (no clip
    cropped below :data:`MIN_EVENT_SECONDS`); then :func:`compose_pair`.

    Args:
        pool: ``(motion, caption, label)`` items (see :func:`composition_pool`); canonical
            motions on one skeleton; ``label`` e.g. Bandai's ``meta["action"]``, or ``None``
            to use the caption without its subject, lower-cased, as the label. Clips with at
            most ``2 * blend_frames`` frames are left out.
        n: number of pairs (>= 0).
        rng: the only source of randomness; the same generator state gives the same pairs.
        events: allowed event counts (each >= 2).
        max_frames: frame cap of each composed motion (224 = 11.2 s at 20 fps).
        distinct_labels: require different labels within a pair (otherwise "walks, then
            walks" has no observable order); when False, clips are drawn uniformly and only
            captions that all give the same event are redrawn.
        blend_frames: overlap of each seam, frames.

    Returns:
        ``n`` :class:`ComposedPair`, with ``labels`` set.

    Raises:
        ValueError: ``n < 0``; ``events`` empty or with a count < 2; ``max_frames`` too
            small for the largest event count; a pool item that is not a 3-tuple; fewer
            distinct labels (or clips) than the largest event count; and everything
            :func:`compose_pair` raises.
    """
    _check_sampling(events, n, max_frames, blend_frames)
    sampler = _Sampler(pool, events, max_frames, distinct_labels, blend_frames)
    return [sampler.draw(rng) for _ in range(n)]


def chronology_test_set(
    pool: Sequence[tuple[Motion, str, object]],
    n: int,
    rng: np.random.Generator | int = 0,
    events: Sequence[int] = (2, 3),
    max_frames: int = MAX_FRAMES,
    blend_frames: int = DEFAULT_BLEND_FRAMES,
) -> list[ComposedPair]:
    """A reproducible chronology test set of ``n`` distinct composed pairs.

    Seed semantics, so that an evaluation can be rebuilt exactly:

    - ``rng`` is an ``int`` seed (recommended; default 0) or a generator, from which one
      integer seed is drawn.
    - The pool is first sorted by ``(motion name, caption, label)``, so the set depends on
      the pool's content, not on its order.
    - Pair ``i`` is drawn with its own generator, the ``i``-th child of
      ``np.random.SeedSequence(seed)`` (spawned one by one), so the set is prefix-stable:
      ``chronology_test_set(pool, m, s) == chronology_test_set(pool, n, s)[:m]`` for m <= n.
    - Labels are always distinct within a pair; a pair whose clips (in order) repeat an
      earlier pair's is skipped and the next child generator is used.

    Evaluation (CAR's test, Fujiwara et al., ECCV 2024, Sec. 3.2-3.3, with a reordered-motion
    negative added: ours): a model passes a pair when it scores ``(motion, caption)`` above
    ``(motion, text_negative)`` and above ``(motion_negative, caption)``.

    Args:
        pool, events, max_frames, blend_frames: as in :func:`sample_composed_pairs`.
        n: number of pairs (>= 0).
        rng: seed or generator (see above).

    Returns:
        ``n`` :class:`ComposedPair` with distinct clip sequences.

    Raises:
        ValueError: as :func:`sample_composed_pairs`; also when ``50 * n`` draws do not give
            ``n`` distinct pairs (the pool is too small).
    """
    _check_sampling(events, n, max_frames, blend_frames)
    seed = int(rng.integers(2**63)) if isinstance(rng, np.random.Generator) else int(rng)
    ordered = sorted(pool, key=lambda it: (it[0].name, str(it[1]), str(it[2])))
    sampler = _Sampler(ordered, events, max_frames, True, blend_frames)
    ss = np.random.SeedSequence(seed)
    out: list[ComposedPair] = []
    seen: set[tuple[str, ...]] = set()
    for _ in range(max(50 * n, 1)):
        if len(out) == n:
            break
        gen = np.random.default_rng(ss.spawn(1)[0])
        idx, samples = sampler.pick(gen)
        # the composed motion's (sources, captions), known before the costly composition
        key = tuple(m.name for m, _ in samples) + tuple(str(c) for _, c in samples)
        if key not in seen:
            seen.add(key)
            out.append(sampler.compose(idx, samples, gen))
    if len(out) < n:
        raise ValueError(f"only {len(out)} distinct pairs in {50 * n} draws from a pool of "
                         f"{len(pool)} items; {n} requested")
    return out
