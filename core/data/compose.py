"""Composed multi-event motion-language pairs built from real single-event clips.

Real multi-event captions are scarce in the data shipped with motionlex (Bandai clips carry
one action each), so chronology is taught and tested on *composed* pairs: two or three real
clips are concatenated with a short blended transition, and their captions are joined in the
same order ("a person waves the right hand, then walks forward"). Each pair comes with two
hard negatives of the kind CAR uses (Fujiwara, Tanaka, Yu, ECCV 2024, Sec. 3.2 and 4.1):

- a text-side negative: the same events joined in another order;
- a motion-side negative: the same clips concatenated in that other order (its own caption is
  the text-side negative, so it is also a positive pair for augmentation).

Concatenation (:func:`concatenate_motions`) follows the transition construction of Motion
Graphs (Kovar, Gleicher, Pighin, SIGGRAPH 2002, Sec. 3.2): the last ``K = blend_frames``
frames of the motion so far overlap the first ``K`` frames of the next clip; the next clip is
first moved by a rigid 2D transform (rotation about Y plus XZ translation; Y is never
changed, so the floor stays at y = 0) so that its first frame has the root XZ position and
the facing of the frame it is laid over (the first overlapped frame), then the two are
crossfaded frame by frame with smooth weights
``w(p) = 3 s^2 - 2 s^3, s = (p + 1) / (K + 1), p = 0..K-1`` (weight of the next clip; the
cubic of Kovar et al.). The crossfade acts on three parts separately, so that no joint jumps
and the body does not shrink when the two headings differ:

- root XZ position: ``(1 - w) r_a + w r_b``;
- heading (yaw about Y): ``th_a + w * wrap(th_b - th_a)`` (shortest arc);
- pose in the body's heading frame, ``R(-th) (joints - root_xz)`` (HumanML3D's rotation-
  invariant local positions, Guo et al., CVPR 2022), with absolute heights: linear blend.

At the first overlapped frame both clips share root and heading, and at the end of the
overlap the result is the next clip itself, so the root trajectory and every joint stay
continuous. The output has ``sum(T_i) - K * (n - 1)`` frames and is put back in canonical
form (root at the origin facing +Z on frame 0, floor at y = 0): a rigid transform of the
first clip when that clip was not canonical already (identity when it was).

Captions (:func:`compose_captions`): each source caption is normalised (whitespace
collapsed, trailing ``.!?;,`` removed). When every caption starts with a recognised subject
("a person", "someone", "the man", "he", ...) the composed caption names the subject once,
taken from the first caption in true order, and joins the predicates with
:func:`motionlex.core.text.events.join_events`: "a person waves the right hand, then walks
forward". The negative keeps the same subject and surface pattern, so only the order
differs. Otherwise the normalised captions are joined whole. Events (``ComposedPair.events``)
are in the full-clause form of :mod:`motionlex.core.text.events` ("a person walks forward"), which
is what :func:`~motionlex.core.text.events.split_events` returns for the composed caption.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from motionlex.core.motion.motion import CANONICAL_FPS, Motion, facing_direction, to_canonical

logger = logging.getLogger(__name__)

DEFAULT_BLEND_FRAMES = 8
"""Frames of overlap at each seam (0.4 s at 20 fps)."""
MIN_EVENT_SECONDS = 1.5
"""A long clip is cropped to no less than this many seconds (shorter clips are kept whole)."""
MAX_FRAMES = 224
"""Default length cap of a composed motion (the motion-patch model's 224 frames, 11.2 s)."""

_SUBJECT = re.compile(
    r"^((?:(?:a|an|the|one|this|that)\s+)?(?:person|man|woman|human|figure|someone|somebody|"
    r"subject|individual|character|guy|actor|he|she))(?![\w'\u2019])\s+(?!and\b|or\b)(?=\S)",
    re.IGNORECASE,
)
_TRAILING = re.compile(r"[\s.!?;,]+$")


# ----------------------------------------------------------------------------- containers
@dataclass(frozen=True)
class ComposedMotion:
    """Several clips concatenated into one motion, with where each clip starts.

    Attributes:
        motion: the canonical composed :class:`Motion`; ``joints (T, J, 3)`` float32, metres,
            20 fps, ``T = sum(lengths) - blend_frames * (len(lengths) - 1)``.
        boundaries: start frame of each source clip in ``motion`` (``boundaries[0] == 0``);
            clip ``i`` covers frames ``[boundaries[i], boundaries[i] + lengths[i])``, its first
            and last ``blend_frames`` frames shared with its neighbours.
        lengths: frame count of each source clip.
        captions: caption of each source clip, in the order of the clips (may be empty).
        sources: name of each source clip.
        blend_frames: overlap ``K`` at each seam (frames).
    """

    motion: Motion
    boundaries: tuple[int, ...]
    lengths: tuple[int, ...]
    captions: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    blend_frames: int = DEFAULT_BLEND_FRAMES

    def segments(self, core: bool = False) -> list[tuple[int, int]]:
        """Frame spans ``[start, end)`` of the source clips in ``motion``.

        Args:
            core: exclude the blended frames, keeping only frames that are exactly the
                (rigidly moved) source clip.

        Returns:
            One ``(start, end)`` per clip.
        """
        out = []
        k, n = self.blend_frames, len(self.boundaries)
        for i, (b, t) in enumerate(zip(self.boundaries, self.lengths)):
            s, e = b, b + t
            if core:
                s, e = s + (k if i > 0 else 0), e - (k if i < n - 1 else 0)
            out.append((s, e))
        return out


@dataclass(frozen=True)
class ComposedPair:
    """A composed motion-caption pair with its two chronological hard negatives.

    Attributes:
        motion: clips in true order.
        caption: their captions joined in true order.
        events: the caption's events in true order, full-clause form ("a person bows").
        text_negative: the events joined in the order ``permutation`` (differs from
            ``caption``).
        motion_negative: the same clips (same crops) concatenated in the order
            ``permutation``; its matching caption is ``text_negative``.
        permutation: ``permutation[j]`` is the true-order index of the j-th event/clip of
            the negatives; never the identity.
        labels: action label of each clip in true order (empty when not sampled from a
            labelled pool).
    """

    motion: ComposedMotion
    caption: str
    events: tuple[str, ...]
    text_negative: str
    motion_negative: ComposedMotion
    permutation: tuple[int, ...]
    labels: tuple[str, ...] = ()


# ----------------------------------------------------------------------------- geometry
def blend_weights(blend_frames: int) -> np.ndarray:
    """Crossfade weights of the incoming clip over a seam.

    Args:
        blend_frames: ``K >= 1``.

    Returns:
        ``(K,)`` float64, ``w(p) = 3 s^2 - 2 s^3`` with ``s = (p + 1) / (K + 1)``; strictly
        increasing in (0, 1) and symmetric (``w(p) + w(K - 1 - p) = 1``).

    Raises:
        ValueError: when ``blend_frames < 1``.

    Source: Kovar, Gleicher, Pighin, "Motion Graphs", SIGGRAPH 2002, Sec. 3.2 (the cubic
    blend weights; here centred so that neither end of the overlap is a pure copy).
    """
    if blend_frames < 1:
        raise ValueError(f"blend_frames must be >= 1, got {blend_frames}")
    s = np.arange(1, blend_frames + 1, dtype=np.float64) / (blend_frames + 1)
    return 3.0 * s**2 - 2.0 * s**3


def _rot_y(theta: np.ndarray) -> np.ndarray:
    """``(..., 3, 3)`` rotation about +Y by ``theta`` radians; maps +Z to (sin, 0, cos)."""
    c, s = np.cos(theta), np.sin(theta)
    z, o = np.zeros_like(c), np.ones_like(c)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1),
                     np.stack([-s, z, c], -1)], -2)


def heading_angles(joints: np.ndarray, motion: Motion) -> np.ndarray:
    """Yaw of the body's facing direction in every frame.

    Args:
        joints: ``(T, J, 3)`` metres, Y up, on ``motion.skeleton``.
        motion: supplies the skeleton (hips and shoulders) and a name for errors.

    Returns:
        ``(T,)`` float64 radians, ``atan2(forward_x, forward_z)`` (0 = facing +Z).

    Raises:
        ValueError: when a frame has no horizontal hip/shoulder extent (names the frame).

    Source: facing from hips and shoulders as in
    :func:`motionlex.core.motion.motion.facing_direction`
    (HumanML3D ``motion_representation``, Guo et al., CVPR 2022).
    """
    out = np.empty(len(joints), dtype=np.float64)
    for t, pose in enumerate(joints):
        try:
            f = facing_direction(pose, motion.skeleton)
        except ValueError as e:
            raise ValueError(f"{motion.name or '<motion>'}: frame {t}: {e}") from e
        out[t] = math.atan2(f[0], f[2])
    return out


def _wrap(a: np.ndarray) -> np.ndarray:
    return (a + np.pi) % (2.0 * np.pi) - np.pi


def _append(prev: np.ndarray, nxt: np.ndarray, k: int, prev_m: Motion, nxt_m: Motion
            ) -> np.ndarray:
    """Overlap-and-crossfade ``nxt (T_b, J, 3)`` onto the end of ``prev (T_a, J, 3)``."""
    root = prev_m.skeleton.root
    a0 = len(prev) - k
    th_a = heading_angles(prev[a0:], prev_m)
    th_b0 = heading_angles(nxt[:1], nxt_m)[0]
    # rigid 2D transform of the next clip: its frame 0 takes the root XZ and facing of prev[a0]
    moved = nxt @ _rot_y(np.asarray(th_a[0] - th_b0)).T
    shift = prev[a0, root] - moved[0, root]
    moved[..., 0] += shift[0]
    moved[..., 2] += shift[2]
    a, b = prev[a0:], moved[:k]
    th_b = heading_angles(b, nxt_m)
    r_a, r_b = a[:, root].copy(), b[:, root].copy()
    r_a[:, 1] = 0.0
    r_b[:, 1] = 0.0
    loc_a = np.einsum("tij,tkj->tki", _rot_y(-th_a), a - r_a[:, None])
    loc_b = np.einsum("tij,tkj->tki", _rot_y(-th_b), b - r_b[:, None])
    w = blend_weights(k)
    th = th_a + w * _wrap(th_b - th_a)
    loc = (1.0 - w)[:, None, None] * loc_a + w[:, None, None] * loc_b
    r = (1.0 - w)[:, None] * r_a + w[:, None] * r_b
    mid = np.einsum("tij,tkj->tki", _rot_y(th), loc) + r[:, None]
    return np.concatenate([prev[:a0], mid, moved[k:]], axis=0)


def _check_motions(motions: Sequence[Motion], blend_frames: int) -> None:
    if len(motions) < 2:
        raise ValueError(f"concatenation needs at least 2 motions, got {len(motions)}")
    if blend_frames < 1:
        raise ValueError(f"blend_frames must be >= 1, got {blend_frames}")
    first = motions[0]
    for i, m in enumerate(motions):
        name = m.name or m.source or "<motion>"
        if m.skeleton != first.skeleton:
            raise ValueError(
                f"motion {i} ({name}) is on skeleton {m.skeleton.name!r} "
                f"({m.skeleton.num_joints} joints); motion 0 is on {first.skeleton.name!r} "
                f"({first.skeleton.num_joints} joints): all motions must share one skeleton"
            )
        if abs(m.fps - CANONICAL_FPS) > 1e-6:
            raise ValueError(
                f"motion {i} ({name}) is at {m.fps} fps; expected canonical {CANONICAL_FPS} "
                "fps (bring it to canonical form with core.motion.to_canonical)"
            )
        need = blend_frames + 1 if i in (0, len(motions) - 1) else 2 * blend_frames + 1
        if m.num_frames < need:
            raise ValueError(
                f"motion {i} ({name}) has {m.num_frames} frames; at least {need} needed "
                f"for blend_frames={blend_frames}"
            )


def concatenate_motions(
    motions: Sequence[Motion],
    blend_frames: int = DEFAULT_BLEND_FRAMES,
    captions: Sequence[str] | None = None,
) -> ComposedMotion:
    """Concatenate canonical motions with root-aligned, crossfaded seams.

    Method (module docstring): each next clip is rotated about Y and translated in XZ so
    that its first frame has the root XZ and facing of the frame it is laid over (the first
    of the last ``blend_frames`` frames so far), then root XZ, heading and heading-frame pose
    are crossfaded over the ``blend_frames`` overlapping frames. Heights are never changed.

    Args:
        motions: ``n >= 2`` motions at 20 fps on one skeleton, each ``(T_i, J, 3)`` metres;
            the first and last need ``T > blend_frames`` frames, inner ones
            ``T > 2 * blend_frames``.
        blend_frames: overlap ``K >= 1`` of each seam, in frames.
        captions: optional caption of each motion, stored in the result.

    Returns:
        :class:`ComposedMotion` with ``sum(T_i) - K (n - 1)`` frames in canonical form and
        ``boundaries[i] = sum_{j<i} (T_j - K)``.

    Raises:
        ValueError: fewer than 2 motions; motions on different skeletons; a frame rate other
            than 20 fps; ``blend_frames < 1``; a clip too short for its seams; ``captions``
            of the wrong length; a frame without a facing direction.

    Source: Kovar, Gleicher, Pighin, "Motion Graphs", SIGGRAPH 2002, Sec. 3.2 (aligned,
    crossfaded transitions); local pose in the heading frame as in HumanML3D (Guo et al.,
    CVPR 2022).
    """
    motions = list(motions)
    _check_motions(motions, blend_frames)
    if captions is not None and len(captions) != len(motions):
        raise ValueError(f"got {len(captions)} captions for {len(motions)} motions")
    out = motions[0].joints.astype(np.float64)
    bounds = [0]
    for prev_m, m in zip(motions[:-1], motions[1:]):
        bounds.append(len(out) - blend_frames)
        out = _append(out, m.joints.astype(np.float64), blend_frames, prev_m, m)
    names = tuple(m.name for m in motions)
    composed = replace(motions[0], joints=out.astype(np.float32), source=None,
                       name="+".join(names))
    composed = to_canonical(composed)
    logger.debug("composed %s: %d frames, boundaries %s", composed.name,
                 composed.num_frames, bounds)
    return ComposedMotion(composed, tuple(bounds), tuple(m.num_frames for m in motions),
                          tuple(captions or ()), names, blend_frames)


# ----------------------------------------------------------------------------- captions
def _lower_first(text: str) -> str:
    first = text.split(" ", 1)[0]
    if first == "I" or (len(first) > 1 and first.isupper()):
        return text
    return text[:1].lower() + text[1:]


def split_subject(caption: str) -> tuple[str | None, str]:
    """Normalise a caption and split off a leading subject.

    Args:
        caption: e.g. ``"Someone raises both hands energetically. "``.

    Returns:
        ``(subject, rest)``: ``("Someone", "raises both hands energetically")``; subject is
        ``None`` (and ``rest`` the whole normalised caption) when the caption does not start
        with a recognised subject such as "a person", "someone", "the man", "he", "she".
        Whitespace is collapsed and trailing ``.!?;,`` removed.

    Raises:
        ValueError: when ``caption`` is empty after normalisation.
    """
    text = _TRAILING.sub("", " ".join(str(caption).split()))
    if not text:
        raise ValueError(f"empty caption: {caption!r}")
    m = _SUBJECT.match(text)
    if m is None:
        return None, text
    return m.group(1), text[m.end():]


def compose_captions(captions: Sequence[str], order: Sequence[int] | None = None
                     ) -> tuple[str, list[str]]:
    """Join single-event captions into one multi-event caption.

    Args:
        captions: ``n >= 1`` captions in true chronological order.
        order: indices into ``captions`` giving the order to join them in (default: true
            order). The subject is always that of ``captions[0]``, so a reordered caption
            differs from the true one only in the order of its events.

    Returns:
        ``(caption, events)``: e.g. ``("a person waves the right hand, then walks
        forward", ["a person waves the right hand", "a person walks forward"])``; events in
        the joined order, full-clause form. See the module docstring for the rules.

    Raises:
        ValueError: no captions, an empty caption, or ``order`` that is not a permutation.
    """
    from motionlex.core.text.orders import join_events

    if len(captions) == 0:
        raise ValueError("compose_captions needs at least one caption, got none")
    order = list(range(len(captions))) if order is None else [int(i) for i in order]
    if sorted(order) != list(range(len(captions))):
        raise ValueError(f"order {order} is not a permutation of 0..{len(captions) - 1}")
    parts = [split_subject(c) for c in captions]
    if all(s is not None for s, _ in parts):
        subject = parts[0][0]
        preds = [_lower_first(parts[i][1]) for i in order]
        return f"{subject} {join_events(preds)}", [f"{subject} {p}" for p in preds]
    whole = [_lower_first(s + " " + r if s else r) for s, r in parts]
    events = [whole[i] for i in order]
    return join_events(events), events


# ----------------------------------------------------------------------------- pairs
def compose_pair(
    samples: Sequence[tuple[Motion, str]],
    rng: np.random.Generator,
    blend_frames: int = DEFAULT_BLEND_FRAMES,
) -> ComposedPair:
    """Compose clips and captions in order, with a text-side and a motion-side negative.

    Args:
        samples: ``n >= 2`` ``(motion, caption)`` pairs in true order; canonical motions on
            one skeleton (see :func:`concatenate_motions`).
        rng: draws the negatives' order: uniform over the orders whose caption differs from
            the true caption (rejection sampling, as CAR's shuffling).
        blend_frames: overlap of each seam, frames.

    Returns:
        :class:`ComposedPair` (``labels`` empty).

    Raises:
        ValueError: fewer than 2 samples; all captions give the same event, so no order is
            observable; and everything :func:`concatenate_motions` raises.

    Source: Fujiwara, Tanaka, Yu, ECCV 2024, Sec. 3.2 (shuffled events as negatives);
    the motion-side negative is the same idea applied to the clips.
    """
    samples = list(samples)
    if len(samples) < 2:
        raise ValueError(f"a composed pair needs at least 2 (motion, caption) samples, "
                         f"got {len(samples)}")
    motions = [m for m, _ in samples]
    captions = [str(c) for _, c in samples]
    caption, events = compose_captions(captions)
    if len(set(events)) < 2:
        raise ValueError(f"all {len(captions)} captions give the same event {events[0]!r}; "
                         "no other order is observable")
    composed = concatenate_motions(motions, blend_frames, captions)
    identity = list(range(len(samples)))
    while True:  # terminates: some order differs, each draw is uniform
        perm = [int(i) for i in rng.permutation(len(samples))]
        if perm == identity:
            continue
        negative = compose_captions(captions, perm)[0]
        if negative != caption:
            break
    motion_negative = concatenate_motions([motions[i] for i in perm], blend_frames,
                                          [captions[i] for i in perm])
    return ComposedPair(composed, caption, tuple(events), negative, motion_negative,
                        tuple(perm))


def composition_pool(samples: Sequence[Any], label_key: str | None = "action"
                     ) -> list[tuple[Motion, str, str | None]]:
    """``(motion, caption, label)`` items from loaded dataset samples.

    Args:
        samples: :class:`motionlex.core.data.datasets.Sample` objects (``motion``, ``captions``,
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
                out.append((s.motion.crop_seconds(cap.start, cap.end), cap.text, label))
            except ValueError as e:
                logger.warning("skipping caption span: %s", e)
    return out


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
            what = "distinct labels" if distinct_labels else "usable clips"
            raise ValueError(f"the pool has {avail} {what} ({len(pool)} items); "
                             f"{max(self.events)} needed for events={tuple(self.events)}")

    def draw(self, rng: np.random.Generator) -> ComposedPair:
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
        pair = compose_pair(samples, rng, self.blend_frames)
        return replace(pair, labels=tuple(self.items[i][2] for i in idx))


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

    Evaluation (CAR, Fujiwara et al., ECCV 2024, Sec. 5): a model passes a pair when it
    scores ``(motion, caption)`` above ``(motion, text_negative)`` and above
    ``(motion_negative, caption)``.

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
        pair = sampler.draw(np.random.default_rng(ss.spawn(1)[0]))
        key = pair.motion.sources + tuple(pair.motion.captions)
        if key not in seen:
            seen.add(key)
            out.append(pair)
    if len(out) < n:
        raise ValueError(f"only {len(out)} distinct pairs in {50 * n} draws from a pool of "
                         f"{len(pool)} items; {n} requested")
    return out
