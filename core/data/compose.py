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

At the first overlapped frame both clips share root and heading; across the overlap the
weight rises from ``w(0) > 0`` to ``w(K - 1) < 1`` (neither end is a pure copy), and the
frames after it are the next clip's own, so the root trajectory and every joint move on
without a jump (at most one blend step at each end of the overlap). The output has
``sum(T_i) - K * (n - 1)`` frames and is put back in canonical form (root at the origin
facing +Z on frame 0, floor at y = 0): a rigid transform of the first clip when that clip
was not canonical already (identity when it was).

Captions are joined by :func:`motionlex.core.text.orders.compose_captions` (one subject,
predicates joined with ", then "), so a negative differs from the true caption only in the
order of its events. Sampling pairs from a pool of clips (training augmentation, the
chronology test set) is in :mod:`motionlex.core.data.pairs`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from motionlex.core.motion.motion import CANONICAL_FPS, Motion, facing_directions, to_canonical
from motionlex.core.text.orders import compose_captions

logger = logging.getLogger(__name__)

DEFAULT_BLEND_FRAMES = 8
"""Frames of overlap at each seam (0.4 s at 20 fps)."""



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
    :func:`motionlex.core.motion.motion.facing_directions`
    (HumanML3D ``motion_representation``, Guo et al., CVPR 2022).
    """
    try:
        f = facing_directions(joints, motion.skeleton)
    except ValueError as e:
        raise ValueError(f"{motion.name or '<motion>'}: {e}") from e
    return np.arctan2(f[:, 0], f[:, 2])


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
        if m.skeleton.layout != first.skeleton.layout:  # one rig's files join
            raise ValueError(
                f"motion {i} ({name}) is on skeleton {m.skeleton.name!r} "
                f"({m.skeleton.num_joints} joints); motion 0 is on {first.skeleton.name!r} "
                f"({first.skeleton.num_joints} joints): all motions must share one skeleton"
            )
        if abs(m.fps - CANONICAL_FPS) > 1e-6:
            raise ValueError(
                f"motion {i} ({name}) is at {m.fps} fps; expected canonical {CANONICAL_FPS} "
                "fps (bring it to canonical form with motionlex.core.motion.motion.to_canonical)"
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
