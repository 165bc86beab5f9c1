"""Built-in demo gallery: seeded procedural SMPL-22 motions with captions from their parameters.

motionlex builds this gallery at first start (:func:`ensure_demo_dataset`), so the explorer
and the command line have motions to show before the user points them at HumanML3D, KIT-ML
or BVH files. Nothing here reads ``../shared/data``: the body is a hard-coded rest pose.

The body and its kinematics are in :mod:`motionlex.core.data.demo.kinematics`, the actions
in :mod:`~motionlex.core.data.demo.actions`, their synthesis (floor contact, root path,
foot locking) in :mod:`~motionlex.core.data.demo.synthesis`, the captions in
:mod:`~motionlex.core.data.demo.captions`.

Compositions of 2-3 events use :func:`motionlex.core.data.compose.concatenate_motions` (aligned,
crossfaded seams; the crossfade shortens bones, so :func:`restore_bone_lengths` follows) and
captions joined with ", then " (:func:`motionlex.core.text.orders.compose_captions`).

Frame rate: 20 fps (:data:`motion.CANONICAL_FPS`); every motion is in canonical form.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from motionlex.core.atomic import atomic_directory
from motionlex.core.cache import cache_dir
from motionlex.core.data.compose import (
    ComposedMotion,
    ComposedPair,
    compose_pair,
    concatenate_motions,
)
from motionlex.core.data.demo.actions import ACTIONS, GENERATORS, STANDING
from motionlex.core.data.demo.captions import caption_tokens, draw_captions
from motionlex.core.data.demo.kinematics import FPS, restore_bone_lengths
from motionlex.core.data.demo.synthesis import realise, sample_params
from motionlex.core.motion.joint_arrays import validate_joints
from motionlex.core.motion.motion import Motion
from motionlex.core.motion.skeleton import SMPL22
from motionlex.core.patches import MAX_FRAMES

logger = logging.getLogger(__name__)


DEMO_VERSION = 1
"""Bump whenever generated motions or captions change (the cache folder is versioned)."""
MANIFEST_NAME = "demo.json"
"""Written last into a demo dataset folder; its presence marks a complete folder."""
BLEND_FRAMES = 8
"""Seam overlap of composed motions (0.4 s)."""
MAX_COMPOSED_FRAMES = MAX_FRAMES
"""Composed motions fit the motion-patch model's 224 frames (11.2 s)."""
SINGLE_SECONDS = (2.0, 6.0)
"""Duration range of a single-action demo motion, seconds."""



def compose_events(motions: Sequence[Motion], blend_frames: int = BLEND_FRAMES
                   ) -> ComposedMotion:
    """Concatenate demo motions in order (aligned, crossfaded seams) with rigid bones.

    :func:`motionlex.core.data.compose.concatenate_motions`, then :func:`restore_bone_lengths`
    (seams only differ).

    Args:
        motions: ``n >= 2`` canonical SMPL-22 motions at 20 fps.
        blend_frames: seam overlap, frames.

    Returns:
        :class:`motionlex.core.data.compose.ComposedMotion` (canonical, bones of
        :data:`REST_POSE`).

    Raises:
        ValueError: as :func:`motionlex.core.data.compose.concatenate_motions`.
    """
    composed = concatenate_motions(motions, blend_frames)
    return _rigid(composed)


def _rigid(composed: ComposedMotion) -> ComposedMotion:
    joints = restore_bone_lengths(composed.motion.joints)
    return replace(composed, motion=replace(composed.motion, joints=joints))


@dataclass(frozen=True)
class DemoItem:
    """One demo motion with its captions and the parameters it was generated from.

    Attributes:
        id: dataset id (``"demo_s000"`` single action, ``"demo_c000"`` composed).
        motion: canonical SMPL-22 :class:`Motion`, ``joints (T, 22, 3)`` float32, metres,
            20 fps.
        captions: 3 captions, each true to the motion (composed: events in order, joined
            with ", then ").
        labels: action label of every event, in order, e.g. ``("walk", "jump")``.
        params: ``{"events": [params of each event]}`` (JSON-ready).
        boundaries: start frame of each event in ``motion`` (``(0,)`` for a single action;
            composed events overlap their neighbours by :data:`BLEND_FRAMES` frames).
    """

    id: str
    motion: Motion
    captions: tuple[str, ...]
    labels: tuple[str, ...]
    params: dict
    boundaries: tuple[int, ...] = (0,)


def _single(label: str, rng: np.random.Generator, pad: tuple[float, float],
            bounds: tuple[float, float]) -> tuple[dict[str, Any], Motion]:
    """Draw parameters until the motion lasts within ``bounds`` seconds (pad to the minimum)."""
    for _ in range(50):
        p = sample_params(label, rng, pad)
        track = GENERATORS[label](p)
        if track.t.size / FPS < bounds[0]:
            p["pad_end"] = round(p["pad_end"] + bounds[0] - (track.t.size - 1) / FPS + 0.05, 2)
            track = GENERATORS[label](p)
        if bounds[0] <= track.t.size / FPS <= bounds[1]:
            return p, realise(track, label)
    raise RuntimeError(f"{label}: no parameters within {bounds} s in 50 draws")  # not reached


def demo_items(n_single: int = 130, n_composed: int = 70, seed: int = 0) -> list[DemoItem]:
    """The demo gallery: single actions and 2-3-event compositions, deterministic in ``seed``.

    Single action ``i`` is :data:`ACTIONS` ``[i % 13]`` (every action equally often) with
    parameters drawn uniformly from its own generator (``SeedSequence([seed, 0, i])``), so a
    smaller gallery is a prefix of a larger one; 2-6 s each. Composition ``i``
    (``SeedSequence([seed, 1, i])``) draws 2 or 3 different actions (sit-down only last or
    followed by stand-up, stand-up only after sit-down), quiet pads of 0.1-0.3 s, at most
    :data:`MAX_COMPOSED_FRAMES` frames, concatenated by
    :func:`motionlex.core.data.compose.concatenate_motions`.

    Args:
        n_single: number of single-action motions (>= 0).
        n_composed: number of composed motions (>= 0).
        seed: the gallery's seed.

    Returns:
        ``n_single + n_composed`` :class:`DemoItem` (singles first).

    Raises:
        ValueError: a negative count.
    """
    if n_single < 0 or n_composed < 0:
        raise ValueError(f"n_single and n_composed must be >= 0, got {n_single}, {n_composed}")
    items: list[DemoItem] = []
    for i in range(n_single):
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0, i]))
        label = ACTIONS[i % len(ACTIONS)]
        p, motion = _single(label, rng, (0.2, 0.6), SINGLE_SECONDS)
        iid = f"demo_s{i:03d}"
        items.append(DemoItem(iid, replace(motion, name=iid), draw_captions([label], [p], rng),
                              (label,), {"events": [p]}))
    for i in range(n_composed):
        rng = np.random.default_rng(np.random.SeedSequence([seed, 1, i]))
        items.append(_composed_item(f"demo_c{i:03d}", rng))
    return items


def _draw_labels(rng: np.random.Generator, k: int) -> list[str]:
    """``k`` different action labels; sitting down only last or before standing up."""
    labels = [str(x) for x in rng.choice(STANDING, size=k, replace=False)]
    r = rng.random()
    if r < 0.08:
        labels[-1] = "sit-down"
    elif r < 0.16:
        labels[-2:] = ["sit-down", "stand-up"]
    return labels


def _composed_item(iid: str, rng: np.random.Generator) -> DemoItem:
    k = 2 + int(rng.random() < 0.4)
    labels = _draw_labels(rng, k)
    budget = MAX_COMPOSED_FRAMES + BLEND_FRAMES * (k - 1)
    for _ in range(50):
        parts = [_single(lab, rng, (0.1, 0.3), (1.5, 5.0)) for lab in labels]
        if sum(m.num_frames for _, m in parts) <= budget:
            break
    else:  # pragma: no cover - durations are far below the budget on average
        raise RuntimeError(f"{iid}: no composition of {labels} within {budget} frames")
    params = [p for p, _ in parts]
    composed = compose_events([m for _, m in parts], BLEND_FRAMES)
    return DemoItem(iid, replace(composed.motion, name=iid),
                    draw_captions(labels, params, rng), tuple(labels), {"events": params},
                    composed.boundaries)


def chronology_pairs(seed: int = 0, n: int = 20) -> list[ComposedPair]:
    """Motion-side chronology test: two events in order, and the same two in reverse.

    Pair ``i`` (``SeedSequence([seed, 2, i])``) draws two different standing actions (not
    sit-down/stand-up, so either order is a plausible motion), synthesises each, and builds
    :func:`motionlex.core.data.compose.compose_pair`: ``caption`` ("a person walks forward, then
    jumps twice") with ``motion`` in that order, and ``motion_negative`` with the same two
    clips in the reverse order (``text_negative`` is its caption).

    Args:
        seed: the set's seed.
        n: number of pairs (>= 0).

    Returns:
        ``n`` :class:`motionlex.core.data.compose.ComposedPair` with ``labels`` (true order) set;
        ``permutation == (1, 0)``; ``motion.boundaries`` / ``motion_negative.boundaries``
        give where each clip starts.

    Raises:
        ValueError: ``n < 0``.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    out = []
    for i in range(n):
        rng = np.random.default_rng(np.random.SeedSequence([seed, 2, i]))
        labels = [str(x) for x in rng.choice(STANDING, size=2, replace=False)]
        parts = [_single(lab, rng, (0.1, 0.3), (1.5, 5.0)) for lab in labels]
        caps = [draw_captions([lab], [p], rng, k=1, subjects=("a person",))[0]
                for lab, (p, _) in zip(labels, parts)]
        samples = [(replace(m, name=f"{lab}{j}"), c)
                   for j, (lab, (_, m), c) in enumerate(zip(labels, parts, caps))]
        pair = compose_pair(samples, rng, BLEND_FRAMES)
        out.append(replace(pair, motion=_rigid(pair.motion),
                           motion_negative=_rigid(pair.motion_negative), labels=tuple(labels)))
    return out


def write_demo_dataset(root: str | os.PathLike, items: Sequence[DemoItem] | None = None, *,
                       seed: int = 0) -> Path:
    """Write demo items as a HumanML3D-layout dataset folder, atomically.

    Layout (read by :class:`motionlex.core.data.datasets.MotionDataset`): ``new_joints/{id}.npy``
    ``(T, 22, 3)`` float32 metres; ``texts/{id}.txt`` lines ``caption#tokens#0.0#0.0``
    (tokens lower-cased words tagged ``/X``, as the shared data does where no tagger ran);
    ``all.txt``, ``train.txt`` / ``val.txt`` / ``test.txt`` (a seeded 80/10/10 split);
    ``meta.json`` (id -> ``synthetic``, ``labels``, ``params``, ``boundaries``, and
    ``action`` for single actions); and :data:`MANIFEST_NAME` (version, seed, ids). The
    folder is built under a temporary name and renamed into place, so ``root`` is either
    the complete old folder or the complete new one.

    Args:
        root: the dataset folder to create or replace.
        items: what to write (default: ``demo_items(seed=seed)``).
        seed: seed of the default items and of the split.

    Returns:
        ``root`` as a Path.

    Raises:
        ValueError: no items, duplicate ids, or an id that is not a plain file name.
        motionlex.core.motion.file_checks.MotionFileError: an item's joints are not valid
            SMPL-22 metres (nothing is written).
        FileExistsError: ``root`` exists and is not a folder.
    """
    root = Path(root)
    t0 = time.perf_counter()
    items = list(demo_items(seed=seed) if items is None else items)
    if not items:
        raise ValueError(f"{root}: no demo items to write")
    ids = [it.id for it in items]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"{root}: duplicate item ids {dup[:10]}")
    bad = [i for i in ids if not i or i != Path(i).name or i.startswith(".") or "#" in i]
    if bad:
        raise ValueError(f"{root}: item ids must be plain file names, got {bad[:10]}")
    order = np.random.default_rng(np.random.SeedSequence([seed, 3])).permutation(len(ids))
    n_test = n_val = max(1, len(ids) // 10) if len(ids) >= 10 else 0
    split_of = {}
    for rank, idx in enumerate(order):
        split_of[ids[idx]] = ("test" if rank < n_test else "val" if rank < n_test + n_val
                              else "train")
    with atomic_directory(root) as tmp:
        (tmp / "new_joints").mkdir()
        (tmp / "texts").mkdir()
        meta = {}
        for it in items:
            joints = validate_joints(it.motion.joints, SMPL22, f"demo item {it.id}")
            np.save(tmp / "new_joints" / f"{it.id}.npy", joints)
            lines = [f"{c}#{caption_tokens(c)}#0.0#0.0" for c in it.captions]
            (tmp / "texts" / f"{it.id}.txt").write_text("\n".join(lines) + "\n",
                                                        encoding="utf-8")
            entry = {"synthetic": True, "source": f"motionlex.core.demo v{DEMO_VERSION}",
                     "labels": list(it.labels), "params": it.params,
                     "boundaries": [int(b) for b in it.boundaries],
                     "frames": int(it.motion.num_frames), "fps": FPS, "split": split_of[it.id]}
            if len(it.labels) == 1:
                entry["action"] = it.labels[0]
            meta[it.id] = entry
        for split in ("train", "val", "test"):
            chosen = [i for i in ids if split_of[i] == split]
            (tmp / f"{split}.txt").write_text("".join(f"{i}\n" for i in chosen))
        (tmp / "all.txt").write_text("".join(f"{i}\n" for i in ids))
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
        manifest = {"generator": "motionlex.core.demo", "version": DEMO_VERSION, "seed": seed,
                    "synthetic": True, "count": len(ids), "ids": ids}
        (tmp / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1))
    logger.info("wrote demo dataset %s: %d motions in %.1f s", root, len(ids),
                time.perf_counter() - t0)
    return root


def default_demo_dir() -> Path:
    """Where the built-in demo dataset lives.

    Returns:
        ``cache_dir()/demo-v{DEMO_VERSION}`` (:func:`motionlex.core.cache.cache_dir`:
        ``$MOTIONLEX_CACHE`` if set, else the platform's user cache folder for motionlex).
    """
    return cache_dir(f"demo-v{DEMO_VERSION}")


def demo_dataset_complete(root: str | os.PathLike, seed: int = 0) -> bool:
    """True when ``root`` holds a complete demo dataset of this version and seed.

    Checks the manifest (:data:`MANIFEST_NAME`: version, seed) and that every listed id has
    its motion and caption files.
    """
    root = Path(root)
    try:
        man = json.loads((root / MANIFEST_NAME).read_text())
        if man.get("version") != DEMO_VERSION or man.get("seed") != seed:
            return False
        ids = man["ids"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return bool(ids) and all((root / "new_joints" / f"{i}.npy").is_file()
                             and (root / "texts" / f"{i}.txt").is_file() for i in ids)


def ensure_demo_dataset(root: str | os.PathLike | None = None, *, seed: int = 0) -> Path:
    """The demo dataset folder, generated first if it is absent or incomplete.

    Args:
        root: folder (default :func:`default_demo_dir`).
        seed: gallery seed.

    Returns:
        The folder, complete (see :func:`demo_dataset_complete`).

    Raises:
        OSError: the folder cannot be written.
    """
    root = Path(root) if root is not None else default_demo_dir()
    if demo_dataset_complete(root, seed):
        return root
    logger.info("building the demo dataset at %s", root)
    return write_demo_dataset(root, seed=seed)
