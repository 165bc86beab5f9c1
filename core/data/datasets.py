"""Motion-language datasets on disk: HumanML3D and KIT-ML layouts, BVH folders, captions.

Layouts (Guo et al., CVPR 2022, HumanML3D repository; KIT-ML in the same processed form):

```
root/new_joints/{id}.npy    (T, J, 3) joint positions; J = 22 (HumanML3D, 20 fps, metres)
                            or 21 (KIT-ML, 12.5 fps, millimetres in the original release)
root/texts/{id}.txt         one caption per line: caption#tokens#start#end (seconds;
                            0.0#0.0 = the whole clip)
root/{train,val,test,all}.txt   ids, one per line
root/meta.json              optional: id -> metadata (labels, source)
```

A folder of ``.bvh`` files is a dataset too (native skeletons, captions from a sibling
``{stem}.txt`` or its ``index.json``). :class:`MotionDataset` reads either, validates every
file, brings motions to the canonical form and yields ``(motion, captions)`` pairs per split.
The text files (captions, splits, ``meta.json``, caption corpora) are read by
:mod:`.text_files`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from motionlex.core.data.bvh_folders import bvh_files, bvh_index_caption, bvh_motion_files
from motionlex.core.data.layout import detect_layout
from motionlex.core.data.records import MotionRecord, Sample, ScanReport
from motionlex.core.data.text_files import (
    Caption,
    DatasetError,
    MissingIdsError,
    not_a_caption_file,
    read_captions,
    read_meta,
    read_split,
)
from motionlex.core.motion.bvh import load_bvh
from motionlex.core.motion.bvh_index import (
    BVH_INDEX,
    bvh_index_entry,
    entry_true_fps,
    read_bvh_index,
)
from motionlex.core.motion.file_checks import MotionFileError, is_y_up, not_a_motion_file, read_npy
from motionlex.core.motion.files import read_joints_file
from motionlex.core.motion.motion import Motion, to_canonical
from motionlex.core.motion.skeleton import (
    Skeleton,
    as_skeleton,
    side_check,
    skeleton_for_joint_count,
)

logger = logging.getLogger(__name__)

SKELETON_SAMPLE = 64
"""Joint files whose headers decide a joints dataset's skeleton (spread over the records)."""

UPRIGHT_WARNINGS = 5
"""Files of one dataset named in a not-upright warning (the rest at debug level)."""


SIDE_SAMPLE = 32
"""Joint files of one dataset whose left/right labels are checked on the data
(:func:`~motionlex.core.motion.skeleton.side_check`) when they are first read."""

SIDES_SWAPPED_BELOW = 0.3
"""Median side check under which a dataset's left and right joints are reported swapped."""


STRAY_BVH_REASON = ("a BVH file in a HumanML3D/KIT-ML dataset folder, where only "
                    "new_joints/*.npy is read: open a folder of BVH files on its own")
"""Why a BVH file inside a joints-layout dataset folder is skipped."""


def split_file_of(root: str | Path, split: str, motion_ids: Sequence[str] | dict = ()
                  ) -> Path | None:
    """The split file ``ROOT/SPLIT.txt`` of a dataset folder (``None`` for ``"all"`` without
    one: every motion), checked before any motion is read.

    Args:
        root: the dataset folder.
        split: ``"train"``, ``"val"``, ``"test"``, ``"all"`` or another split file's stem.
        motion_ids: ids of a BVH folder's motions, whose ``.txt`` files beside them hold
            captions, not splits (left out of the error's list of splits).

    Raises:
        FileNotFoundError: no such split file (names the splits the folder has).
    """
    root = Path(root)
    split_file = root / f"{split}.txt"
    if split_file.is_file():
        return split_file
    if split == "all":
        return None
    have = sorted(p.stem for p in root.glob("*.txt") if p.stem not in motion_ids)
    where = f"splits here: {', '.join(have)}" if have else f"{root} has no split files"
    raise FileNotFoundError(f"split file not found: {split_file} ({where}; the split "
                            "'all', e.g. --split all, takes every motion)")


class MotionDataset:
    """One split of a motion-language dataset folder.

    Args:
        root: dataset folder (HumanML3D/KIT-ML layout or a folder of ``.bvh`` files).
        split: ``"train"``, ``"val"``, ``"test"``, ``"all"``; a missing split file with
            ``split="all"`` means every motion file in the folder.
        skip_missing: ids in the split file without a motion file are skipped with a
            warning instead of raising :class:`MissingIdsError`.
        skeleton: skeleton of ``.npy`` joints (or a built-in one's name, ``"smpl22"``);
            default: the one of the joint count most of
            the dataset's files have (22 -> SMPL, 21 -> KIT-ML); a file of another joint
            count is skipped with a reason (not read as another skeleton).
        fps: frame rate of ``.npy`` joints; default 20 (SMPL) or 12.5 (KIT-ML).
        scale: factor to metres for ``.npy`` joints; ``None`` = auto (KIT-ML millimetres
            are detected from the body size and scaled by 0.001).
        canonical: bring motions to the canonical form on load (20 fps, floor at 0, root
            at origin facing +Z).

    A folder of BVH files may hold an ``index.json`` (``{file name: entry}``,
    :func:`~motionlex.core.motion.bvh_index.read_bvh_index`): a file without a sidecar
    ``{stem}.txt`` takes the entry's ``caption`` / ``kitml_caption``, else its ``action``
    label as "a person ACTION" (:func:`~.bvh_folders.bvh_index_caption`, the rule
    ``motionlex evaluate`` reads too); its ``true_fps`` replaces a wrong header rate, and the
    entry is the record's ``meta``.

    Raises:
        FileNotFoundError: folder or split file missing (the message lists the splits that
            exist).
        MissingIdsError: split ids without motion files (all listed), unless skip_missing.
        DatasetError: an unrecognised folder.
        ValueError: a BVH folder's ``index.json`` that cannot be read (names it).
    """

    def __init__(
        self,
        root: str | Path,
        split: str = "train",
        *,
        skip_missing: bool = False,
        skeleton: Skeleton | str | None = None,
        fps: float | None = None,
        scale: float | None = None,
        canonical: bool = True,
    ) -> None:
        self.root = Path(root)
        if skeleton is not None:  # a name ("smpl22") as make_motion takes it
            skeleton = as_skeleton(skeleton, str(self.root))
        self.split = split
        self.layout = detect_layout(self.root)
        self.canonical = canonical
        self._skeleton = skeleton
        self._fps = fps
        self._scale = scale
        self.report = ScanReport(self.root, split)
        meta_path = self.root / "meta.json"
        self.meta: dict = read_meta(meta_path) if meta_path.is_file() else {}
        # a BVH folder's index.json: captions, true frame rates and labels per file
        self._bvh_index = read_bvh_index(self.root) if self.layout == "bvh" else {}
        self.records = self._index(skip_missing)
        self.report.kept = len(self.records)
        self._not_upright = 0  # motions warned about (the first few each name their file)
        self.not_upright_ids: list[str] = []  # ids of the joint files read not upright
        self._side_votes: list[float] = []  # side checks of the first SIDE_SAMPLE files read
        if self.layout == "joints" and self._skeleton is None:
            self._skeleton = self._joints_skeleton()

    def _joints_skeleton(self) -> Skeleton | None:
        """The skeleton of the dataset's joint files, by the joint count most of them have
        (up to :data:`SKELETON_SAMPLE` headers read): every file is then read on it, so an
        odd file (21 joints among SMPL-22's 22) is refused, not read as another skeleton."""
        recs = self.records
        step = max(1, len(recs) // SKELETON_SAMPLE)
        counts: dict[int, int] = {}
        for rec in recs[::step][:SKELETON_SAMPLE]:
            try:
                shape = read_npy(rec.path, mmap=True).shape
            except (MotionFileError, OSError, ValueError):
                continue  # reported when the file is loaded
            if len(shape) == 3:
                counts[shape[1]] = counts.get(shape[1], 0) + 1
        if not counts:
            return None
        try:
            return skeleton_for_joint_count(max(counts, key=counts.get))
        except ValueError:
            return None  # each file gets read_joints_file's own message

    # -- indexing -----------------------------------------------------------------------
    def _motion_files(self) -> dict[str, Path]:
        if self.layout == "joints":
            # BVH files here are not read (the joints layout wins): say so, not nothing
            stray = bvh_files(self.root, prune=("texts", "new_joint_vecs", "new_joints"))
            self.report.skipped += [
                (p.relative_to(self.root).as_posix(), STRAY_BVH_REASON) for p in stray]
            return {p.stem: p for p in sorted((self.root / "new_joints").glob("*.npy"))}
        files, passed = bvh_motion_files(self.root)  # with subfolders; one file per id
        for mid, why in passed:
            logger.info("skipping %s: %s", mid, why)  # in self.report, shown by its users
        self.report.skipped += passed
        return files

    def _split_ids(self, files: dict[str, Path]) -> tuple[list[str], Path | None]:
        split_file = split_file_of(self.root, self.split, files)
        if split_file is not None:
            return read_split(split_file), split_file
        return list(files), None

    def _captions_for(self, mid: str, path: Path) -> tuple[Caption, ...]:
        if self.layout == "joints":
            tpath = self.root / "texts" / f"{mid}.txt"
        else:
            tpath = path.with_suffix(".txt")
        if not tpath.is_file():
            problem = not_a_caption_file(tpath)  # a folder texts/ID.txt: said, not "no caption"
            if problem:
                raise DatasetError(problem)
            text = bvh_index_caption(bvh_index_entry(self._bvh_index, mid, path),
                                     where=f"{self.root / BVH_INDEX} ({path.name})")
            return (Caption(text),) if text else ()
        dropped: list[str] = []
        caps = tuple(read_captions(tpath, dropped))
        self.report.wordless += [(mid, why) for why in dropped]
        return caps

    def _index(self, skip_missing: bool) -> list[MotionRecord]:
        files = self._motion_files()
        ids, split_file = self._split_ids(files)
        missing = [i for i in ids if i not in files]
        if missing:
            if not skip_missing:
                raise MissingIdsError(split_file or self.root, missing)
            shown = ", ".join(missing[:20]) + (" ..." if len(missing) > 20 else "")
            logger.info("%s: %d listed id(s) without a motion file skipped: %s",
                        split_file or self.root, len(missing), shown)
            listed = split_file.name if split_file is not None else "the split"
            self.report.skipped += [(i, f"listed in {listed}, no motion file") for i in missing]
        records = []
        for mid in ids:
            if mid not in files:
                continue
            try:
                caps = self._captions_for(mid, files[mid])
            except DatasetError as e:
                self.report.skipped.append((mid, str(e)))
                logger.info("skipping %s: %s", mid, e)  # the report lists it
                continue
            meta = self.meta.get(mid) or bvh_index_entry(self._bvh_index, mid, files[mid])
            records.append(MotionRecord(mid, files[mid], caps, dict(meta)))
        return records

    # -- loading ------------------------------------------------------------------------
    def load_motion(self, record: MotionRecord) -> Motion:
        """Load, validate and (if ``canonical``) canonicalise one record's motion.

        The same checks as :func:`~.files.load_motion_file`: :func:`~.bvh.load_bvh` and
        :func:`~.files.read_joints_file` (units detected and verified, frame rate and
        duration in range); a file loses the frames pasted in front of its capture
        (``skip_frames="auto"``: :func:`~.pasted_frames.leading_inserted_frames` for BVH,
        :func:`~.pasted_frames.pasted_first_frame` for ``.npy``).

        Raises:
            MotionFileError: an invalid file (names it and the problem).
            FileNotFoundError: the file is gone, or a broken link (names it).
        """
        if not record.path.is_file():
            raise FileNotFoundError(not_a_motion_file(record.path))
        if record.path.suffix.lower() == ".bvh":  # index.json's true_fps over the header's
            true_fps = entry_true_fps(bvh_index_entry(self._bvh_index, record.id, record.path),
                                      self.root / BVH_INDEX, record.path.name)
            motion = load_bvh(record.path, name=record.id, fps=true_fps)
        else:
            motion = self._read_joints(record)
        return to_canonical(motion) if self.canonical else motion

    def _read_joints(self, record: MotionRecord) -> Motion:
        sk = self._skeleton
        try:
            motion = read_joints_file(record.path, skeleton=sk, fps=self._fps,
                                      scale=self._scale, name=record.id)
        except MotionFileError as e:  # a file of another joint count: say so in these words
            j = read_npy(record.path, mmap=True).shape if sk is not None else ()
            if len(j) == 3 and j[1] != sk.num_joints:
                raise MotionFileError(
                    f"{record.path}: {j[1]} joints, where this dataset's files have "
                    f"{sk.num_joints} ({sk.name}); every file of a dataset is on one skeleton"
                ) from e
            raise
        if not is_y_up(motion.joints, motion.skeleton):  # as load_motion_file warns
            self._not_upright += 1
            self.not_upright_ids.append(record.id)
            if self._not_upright <= UPRIGHT_WARNINGS:
                logger.warning("%s: the body is not upright along +Y over most of the clip; "
                               "motionlex expects Y up (a Z-up export must be rotated first)%s",
                               record.path, "; further such files of this dataset are logged "
                               "at debug level" if self._not_upright == UPRIGHT_WARNINGS else "")
            else:
                logger.debug("%s: not upright along +Y", record.path)
        self._check_sides(motion)
        return motion

    def _check_sides(self, motion: Motion) -> None:
        """Vote on whether the files' left joints sit on the body's left (DESIGN: sides are
        checked on data, not assumed from joint names); after :data:`SIDE_SAMPLE` files,
        warn once when the median vote says left and right are swapped."""
        if len(self._side_votes) >= SIDE_SAMPLE:
            return
        try:
            self._side_votes.append(side_check(motion.joints, motion.skeleton))
        except ValueError:
            return
        if len(self._side_votes) == min(SIDE_SAMPLE, len(self.records)):
            median = float(np.median(self._side_votes))
            if median < SIDES_SWAPPED_BELOW:
                logger.warning(
                    "%s: left and right joints look swapped (%s side check %.2f, median of the "
                    "first %d files; 1 = left chains on the body's left): side words in its "
                    "captions would be learned backwards; fix the joint order of its files",
                    self.root, motion.skeleton.name, median, len(self._side_votes))

    def __repr__(self) -> str:
        """Folder, split, layout, skeleton and counts, e.g. ``MotionDataset('data/bandai',
        split='val', joints on smpl22, 70 motions, 140 captions, 0 skipped)``."""
        skeleton = ("native skeletons" if self.layout == "bvh" else
                    f"on {self._skeleton.name}" if self._skeleton is not None else "on ?")
        captions = sum(len(r.captions) for r in self.records)
        return (f"MotionDataset({str(self.root)!r}, split={self.split!r}, {self.layout} "
                f"{skeleton}, {len(self.records)} motions, {captions} captions, "
                f"{len(self.report.skipped)} skipped{'' if self.canonical else ', raw'})")

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> Sample:
        rec = self.records[i]
        return Sample(self.load_motion(rec), rec.captions, rec)

    def scan(self, progress: bool = False) -> tuple[list[Sample], ScanReport]:
        """Load every motion, keeping the good ones and reporting each bad one.

        One bad file (invalid, unreadable, a broken link) never stops the scan: it is listed
        in the report with its reason (and logged at INFO level: the report's users show it).

        Args:
            progress: show a tqdm bar.

        Returns:
            ``(samples, report)``; ``report.kept == len(samples)``.
        """
        from tqdm.auto import tqdm

        samples: list[Sample] = []
        report = ScanReport(self.root, self.split, skipped=list(self.report.skipped),
                            wordless=list(self.report.wordless))
        for rec in tqdm(self.records, desc=f"loading {self.root.name}/{self.split}",
                        disable=not progress or not self.records, unit="motion"):
            try:
                samples.append(Sample(self.load_motion(rec), rec.captions, rec))
            except (MotionFileError, ValueError, OSError) as e:  # OSError: gone, unreadable
                report.skipped.append((rec.id, str(e)))
                logger.info("skipping %s: %s", rec.id, e)  # the report lists it
                continue
            if not is_y_up(samples[-1].motion.joints, samples[-1].motion.skeleton):
                report.not_upright.append(rec.id)  # kept (as a single file), but named
            for cap in rec.captions:  # a span the crop cannot take: said here, not later
                if not cap.whole_clip:
                    try:
                        samples[-1].motion.crop_seconds(cap.start, cap.end)
                    except ValueError as e:
                        report.spans.append((rec.id, f"{cap.text!r}: {e}"))
        report.kept = len(samples)
        return samples, report

    def pairs(self, samples: Sequence[Sample] | None = None) -> Iterator[tuple[Motion, str]]:
        """Yield ``(motion, caption)`` pairs, cropping the motion to each caption's span.

        Args:
            samples: already loaded samples (from :meth:`scan`); default loads each record.

        Spans too short to keep 2 frames are skipped with a warning.
        """
        source = samples if samples is not None else (self[i] for i in range(len(self)))
        for s in source:
            for cap in s.captions:
                try:
                    yield (s.motion.crop_seconds(cap.start, cap.end, canonical=self.canonical),
                           cap.text)
                except ValueError as e:
                    logger.warning("skipping caption span: %s", e)
