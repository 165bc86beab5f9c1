"""Re-encoding an existing index with another model (``motionlex index --rebuild``): after
the shipped model is updated, or a checkpoint trained again, every index it built is refused
(an index holds one model's encodings); a rebuild reads each of its motions again from the
folders it records and encodes them with the model given.

A build records its ``--data`` folders (resolved) and the split each was read with in the
manifest (:data:`DATA_FOLDERS_KEY`, kept and merged across incremental builds,
:func:`data_record`). A rebuild reads those folders with those splits and encodes again only
the files the index holds (:func:`rebuild_plan`; no other file is hashed), so an index of a
``val`` split stays one, and a file reached through a link (``new_joints/`` linked to another
disk) is read with its folder's captions and ids. An index written before the record existed
is read from the folders its rows name, only where each row's file lies in a folder of its
dataset's name that gives it the same id (:func:`guessed_folders`); otherwise the rebuild is
refused. A rebuild that would change a row's id, or lose its captions, is refused too
(:func:`check_same_rows`). The build writes a new index and swaps it in only once it is
complete (:func:`~.index_writer.write_index`), so a rebuild that fails or is interrupted
leaves the old index as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from motionlex.core.retrieval.build_work import BuildPlan, plan_build, row_key
from motionlex.core.wording import count

logger = logging.getLogger(__name__)

DATA_FOLDERS_KEY = "data_folders"
"""Manifest key of the data folders an index was built from: ``[{"folder": resolved path,
"split": split read}, ...]`` in the order given (optional: older indexes have none)."""


def recorded_data(manifest: dict) -> list[tuple[str, str]] | None:
    """``(folder, split)`` of each data folder ``manifest`` records, or None (an index
    written before they were recorded, or by an incremental build of one)."""
    record = manifest.get(DATA_FOLDERS_KEY)
    if not isinstance(record, list):
        return None
    return [(str(d["folder"]), str(d["split"])) for d in record]  # checked on load


def data_record(old: Any, kept: bool, folders: Sequence[tuple[str, str]],
                prune: bool = False) -> list[dict] | None:
    """The data folders to record in an index written from ``old``'s kept rows (``kept``:
    some are) and the ``folders`` read now (:attr:`~.build_work.BuildPlan.folders`).

    Returns:
        ``old``'s record, then each new ``(folder, split)`` pair (``prune``: without the
        recorded folders that no longer exist); None when ``old`` records none while some
        of its rows are kept (a partial record would hide them from a rebuild).
    """
    pairs: list[tuple[str, str]] = []
    if old is not None and kept:
        recorded = recorded_data(old.manifest)
        if recorded is None:
            return None
        pairs = [(f, s) for f, s in recorded if not prune or Path(f).is_dir()]
    for pair in folders:
        if pair not in pairs:
            pairs.append(pair)
    return [{"folder": f, "split": s} for f, s in pairs]


def _gives_id(folder: Path, source: Path, base: str) -> bool:
    """Whether reading ``folder`` as a dataset gives its file ``source`` the id ``base`` (a
    joints file ``new_joints/ID.npy``; a BVH file its path below the folder)."""
    if source.suffix.lower() == ".bvh":
        return source.relative_to(folder).with_suffix("").as_posix() == base
    return source == folder / "new_joints" / f"{base}.npy"


def guessed_folders(index: Any) -> list[Path]:
    """The dataset folders of an index that records none (written before they were), from
    its rows: for each row, the folder above its file named as its dataset and giving it
    its id, in the order of the rows.

    Raises:
        ValueError: a row whose file lies in no such folder (reached through a link, say):
            which folder it was read from is unknown.
    """
    folders: dict[str, Path] = {}
    for item_id, source, dataset in zip(index.ids, index.sources, index.datasets, strict=True):
        path, base = Path(source), row_key(item_id)[1]
        folder = next((p for p in path.parents if p.name == dataset
                       and _gives_id(p, path, base)), None)
        if folder is None:
            raise ValueError(
                f"{index.path} records no data folders (an index of an earlier motionlex) and "
                f"the file of its motion {item_id}, {source}, is not in a folder named "
                f"{dataset!r} (a link to another folder?): a rebuild cannot tell which folder "
                f"to read it from; index the data again instead: motionlex index --data DIR "
                f"--out NEW.mlx (or delete {index.path} first)")
        folders.setdefault(str(folder), folder)
    return list(folders.values())


def check_same_rows(index: Any, todo: Sequence[tuple[Any, Any, str, str]]) -> None:
    """Refuse a rebuild that reads a file of ``index`` as another motion than its row: another
    id (read from another folder), or no captions where its row has some.

    Raises:
        ValueError: naming the first such row (the index is left as it is).
    """
    row_of = {s: i for i, s in enumerate(index.sources)}
    changed = []
    for ds, rec, source, _ in todo:
        i = row_of[source]
        dataset = Path(ds.root).resolve().name
        was, now = index.ids[i], f"{dataset}/{rec.id}"
        lost = bool(index.captions[i]) and not rec.captions
        if "/".join(row_key(was)) != now or lost:
            changed.append(f"{was} would be read as {now}"
                           + (" without its captions" if lost else ""))
    if changed:
        more = f" (and {len(changed) - 1} more)" if len(changed) > 1 else ""
        raise ValueError(f"{index.path}: a rebuild would change its motions: {changed[0]}"
                         f"{more}; the index is left as it is (its files are reached from "
                         f"other folders than it was built from?): index the data again "
                         f"with --data into a new --out")


def rebuild_plan(index: Any, prune: bool = False) -> BuildPlan:
    """Every motion of ``index`` to encode again, read from its file as a new build reads it
    (captions from the caption files as they are now), from the folders it records.

    Args:
        prune: drop the rows of recorded folders that are missing, and of files that are
            there but no longer found in them (another split file), instead of refusing.

    Returns:
        A :class:`~.build_work.BuildPlan` for a new index (no rows kept): ``todo`` the files
        of the index that are still there, ``removed`` the ids of the rows whose file is gone
        (or with ``prune``, not found), ``skipped`` the reasons of those of the index's
        files that cannot be read now, ``folders`` the folders read.

    Raises:
        FileNotFoundError: a recorded folder that is missing, without ``prune``.
        ValueError: every recorded folder missing; rows whose files are there but not
            found, without ``prune``; an index that records no folders and whose rows do not
            name them (:func:`guessed_folders`); a rebuild that would change rows
            (:func:`check_same_rows`).
        DatasetError: a recorded folder that is no dataset now (as
            :class:`~motionlex.core.data.datasets.MotionDataset`).
    """
    recorded = recorded_data(index.manifest)
    if recorded is None:  # read whole: only the index's files are encoded
        recorded = [(str(f), "all") for f in guessed_folders(index)]
    missing = [f for f, _ in recorded if not Path(f).is_dir()]
    if missing and not prune:
        raise FileNotFoundError(
            f"{missing[0]}: a data folder {index.path} was built from is missing (moved, "
            f"renamed or not mounted?); put it back to rebuild, or rebuild with --prune to "
            f"drop its motions")
    present = [(f, s) for f, s in recorded if Path(f).is_dir()]
    if not present:
        raise ValueError(f"{index.path}: every data folder it was built from is missing "
                         f"({', '.join(missing)}): nothing to rebuild")
    for folder in missing:
        logger.warning("%s no longer exists: the rebuild drops its motions (--prune)", folder)
    found = plan_build(None, [f for f, _ in present], [s for _, s in present],
                       only=set(index.sources))
    check_same_rows(index, found.todo)
    plan = BuildPlan(todo=found.todo, folders=found.folders)
    rows = {row_key(i) for i in index.ids}
    for (i, why), dataset in zip(found.skipped, found.skipped_datasets, strict=True):
        if (dataset, i) in rows:  # a file of the index, not another of its folders
            plan.skipped.append((i, why))
            plan.skipped_datasets.append(dataset)
    read = {t[2] for t in plan.todo}
    unread = [i for i, s in enumerate(index.sources) if s not in read]
    there = [i for i in unread if Path(index.sources[i]).exists()
             and index.sources[i] not in found.unreadable]
    if there and not prune and not missing:
        shown = ", ".join(f"{index.ids[i]} ({index.sources[i]})" for i in there[:3])
        raise ValueError(
            f"{index.path}: {count(len(there), 'motion')} whose files are there "
            f"{'is' if len(there) == 1 else 'are'} not found in the folders it records "
            f"({', '.join(f'{f} split {s}' for f, s in recorded)}): {shown}"
            f"{' ...' if len(there) > 3 else ''}; rebuild with --prune to drop them")
    plan.removed = [index.ids[i] for i in unread]
    return plan


def nothing_usable(data: Sequence[Any], folders: Sequence[tuple[str, str]], target: Any,
                   rebuild: bool, skipped: Sequence[tuple[str, str]]) -> str:
    """The error of a build that found no usable motion, naming the folders read (as given,
    else as recorded) with the split each was read with, and what was skipped."""
    names = [str(d) for d in data] or [f for f, _ in folders]
    where = ", ".join(f"{n} (split {s!r})" for n, (_, s) in zip(names, folders, strict=False))
    where = where or (f"the folders {target} records" if rebuild else ", ".join(names))
    why = "; ".join(f"{i}: {r}" for i, r in skipped[:3])
    more = f" (and {len(skipped) - 3} more)" if len(skipped) > 3 else ""
    split = f" --split {folders[0][1]}" if folders and folders[0][1] != "all" else ""
    scan = f"'motionlex scan {names[0]}{split}' lists what it holds" if names else \
        "its data folders are gone"
    return f"no usable motion in {where}" + (f": {why}{more}" if why else f"; {scan}")
