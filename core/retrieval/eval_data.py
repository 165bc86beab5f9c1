"""The pairs an evaluation reads: a dataset split, or a folder of BVH files (cross-skeleton).

- HumanML3D/KIT-ML layout: the split's ``(motion, caption)`` pairs
  (:func:`motionlex.core.data.pairs.load_pair_examples`).
- Cross-skeleton (Yu et al., CVPR 2024, Sec. 5.1): a folder of BVH files is read on each
  file's native skeleton (no retargeting); its own resampling matrix maps it to the same
  80 patch columns. Captions come from a sidecar ``{stem}.txt``, else ``index.json``'s
  ``kitml_caption``, else the prompt filled with its ``action``
(:func:`~motionlex.core.data.bvh_folders.action_prompt`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from motionlex.core.data.bvh_folders import DEFAULT_PROMPT, bvh_index_caption, bvh_motion_files
from motionlex.core.data.datasets import MotionDataset
from motionlex.core.data.layout import detect_layout
from motionlex.core.data.pairs import PairExample, load_pair_examples
from motionlex.core.data.text_files import DatasetError, read_captions, read_split
from motionlex.core.motion.bvh_index import (
    BVH_INDEX,
    bvh_index_entry,
    entry_true_fps,
    read_bvh_index,
)
from motionlex.core.motion.files import load_motion_file
from motionlex.core.motion.skeleton import Skeleton
from motionlex.core.text.events import split_events_batch

logger = logging.getLogger(__name__)



@dataclass
class EvalSet:
    """The pairs of one evaluated split.

    Attributes:
        examples: (motion, caption) pairs; joints canonical, each on its own skeleton.
        root: the dataset folder. layout: ``"joints"`` or ``"bvh"``.
        split: the split read (``"all"`` for a BVH folder without split files).
        notes: remarks for the report.
    """

    examples: list[PairExample]
    root: Path
    layout: str
    split: str
    notes: list[str] = field(default_factory=list)


def load_eval_set(root: str | Path, split: str, *, prompt: str = DEFAULT_PROMPT,
                  progress: bool = True) -> EvalSet:
    """Read the pairs of a dataset folder's split (HumanML3D/KIT-ML layout or BVH files).

    BVH files keep their native skeleton; ``index.json`` (if present) gives ``true_fps``
    and the caption (``kitml_caption``, else ``action`` through ``prompt``) when there is no
    sidecar ``{stem}.txt``; frames pasted in front of the capture (a cgspeed T-pose and the
    blend out of it) are dropped (``skip_frames="auto"``, as every loader).

    Returns:
        :class:`EvalSet` with events split for every caption.

    Raises:
        FileNotFoundError: no such folder, or no split file for ``split`` in a joints
            folder (the message lists the splits that exist; a BVH folder without it is
            evaluated whole, with a note).
        DatasetError: not a dataset folder.
        ValueError: no usable pair.
    """
    root = Path(root)
    if detect_layout(root) == "bvh":
        return _load_bvh_set(root, split, prompt, progress)
    ds = MotionDataset(root, split)  # fails early, naming the missing split file
    if not ds.records:  # an empty split file (cmu_kitml's val.txt) says so, not "no pair"
        listed = root / f"{split}.txt"
        raise ValueError(f"{listed if listed.is_file() else root} lists no motion: nothing "
                         f"to evaluate in split '{split}' (another --split?)")
    examples = load_pair_examples([root], split, progress=progress)
    if not examples:
        raise ValueError(f"{root} [{split}]: no (motion, caption) pair to evaluate")
    notes = []
    left_out = len(ds.records) - len({e.motion_id for e in examples})
    if left_out > 0:  # uncaptioned (or unreadable) motions are not in the gallery
        notes.append(f"{left_out} of the {len(ds.records)} motions of split '{split}' "
                     f"{'has' if left_out == 1 else 'have'} no usable caption: left out of the "
                     "gallery")
    return EvalSet(examples, root, "joints", split, notes)


def _load_bvh_set(root: Path, split: str, prompt: str, progress: bool) -> EvalSet:
    index = read_bvh_index(root)
    files, _ = bvh_motion_files(root)  # with subfolders; one file per id, as MotionDataset
    notes, used = [], split
    if (root / f"{split}.txt").is_file():
        keep = set(read_split(root / f"{split}.txt"))
        files = {mid: f for mid, f in files.items() if mid in keep}
    elif split != "all":
        used = "all"
        notes.append(f"{root.name} has no {split}.txt: every BVH file is evaluated")
        logger.warning("%s", notes[-1])
    items: list[tuple[np.ndarray, str, str, str | None, Skeleton]] = []
    prompted = 0  # captions written from an action label (no caption of their own)
    for mid, f in tqdm(files.items(), desc=f"loading {root.name}", unit="file",
                       disable=not progress or not files):
        entry = bvh_index_entry(index, mid, f)
        try:
            fps = entry_true_fps(entry, root / BVH_INDEX, f.name)
            motion = load_motion_file(f, fps=fps, skip_frames="auto", name=f.stem)
        except (ValueError, OSError) as e:  # MotionFileError included; a file gone
            notes.append(f"skipped {mid}{f.suffix}: {e}")
            logger.warning("%s", notes[-1])
            continue
        label = entry.get("action")
        sidecar = f.with_suffix(".txt")
        dropped: list[str] = []
        try:  # one bad caption file (malformed, unreadable) skips its take only
            if sidecar.is_file():
                caps = [(c.text, c.start, c.end) for c in read_captions(sidecar, dropped)]
                text = None
            else:
                caps = []
                text = bvh_index_caption(entry, prompt, f"{root / BVH_INDEX} ({f.name})")
        except (DatasetError, OSError) as e:
            notes.append(f"skipped {mid}{f.suffix}: {e}")
            logger.warning("%s", notes[-1])
            continue
        if text:
            caps = [(text, 0.0, 0.0)]  # the dataset's rule (bvh_folders)
            prompted += not (entry.get("caption") or entry.get("kitml_caption") or "").strip()
        notes += [f"caption left out: {why}" for why in dropped]
        if not caps:
            why = (f"{sidecar.name} holds no caption" if sidecar.is_file()
                   else f"no caption (no {mid}.txt, no index.json entry)")
            notes.append(f"skipped {mid}{f.suffix}: {why}")
            logger.warning("%s", notes[-1])
            continue
        for text, start, end in caps:
            try:
                m = motion.crop_seconds(start, end, canonical=True)
            except ValueError as e:  # in the report's notes, as the other captions left out
                notes.append(f"caption left out: {text!r}: {e}")
                logger.warning("%s", notes[-1])
                continue
            items.append((m.joints, text, mid, label, m.skeleton))
    if not items:
        raise ValueError(f"{root}: no BVH file with a caption could be read")
    events = split_events_batch([it[1] for it in items])
    examples = [PairExample(j, c, tuple(ev) or (c,), mid, lab, sk)
                for (j, c, mid, lab, sk), ev in zip(items, events)]
    if prompted:  # they read like the zero-shot prompt: say so beside the figures
        notes.append(f"{prompted} caption(s) written from the file's action label with the "
                     f"prompt {prompt!r} (no caption or kitml_caption in {BVH_INDEX}, no "
                     "sidecar .txt): they share the zero-shot prompt's wording")
    joints = sorted({e.skeleton.num_joints for e in examples})
    notes.append(f"cross-skeleton: {len({e.motion_id for e in examples})} BVH motions on their "
                 f"native skeletons ({', '.join(map(str, joints))} joints as read: a "
                 "floor-marker root dropped, a toeless foot's End Site added as its toe), no "
                 "retargeting; "
                 "so few motions make every R@k step large")
    return EvalSet(examples, root, "bvh", used, notes)
