"""Re-encoding an existing index with another model (``motionlex index --rebuild``): after
the shipped model is updated, or a checkpoint trained again, every index it built is refused
(an index holds one model's encodings); a rebuild reads each of its motions again from the
folders its rows record and encodes them with the model given.

An index records each row's source file (resolved) and dataset (its folder's name), not the
``--data`` folders nor the split it was built from: the folders are found from the rows
(:func:`recorded_folders`), read whole, and only the files the index holds are encoded
again (:func:`rebuild_plan`), so an index of a ``val`` split stays one. The build writes a
new index and swaps it in only once it is complete (:func:`~.index_writer.write_index`), so
a rebuild that fails or is interrupted leaves the old index as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from motionlex.core.retrieval.build_work import BuildPlan, plan_build


def recorded_folders(index: Any) -> list[Path]:
    """The dataset folders an index's rows were read from, in the order of their rows: for
    each row, the folder above its source file named as its dataset (a HumanML3D folder's
    ``new_joints/`` file, a BVH file in a subfolder), else the folder a dataset's file sits in
    (``new_joints/``'s parent; a BVH file's own folder), for a file reached through a link."""
    folders: dict[str, Path] = {}
    for source, dataset in zip(index.sources, index.datasets, strict=True):
        path = Path(source)
        folder = next((p for p in path.parents if p.name == dataset), None)
        if folder is None:
            folder = path.parent.parent if path.parent.name == "new_joints" else path.parent
        folders.setdefault(str(folder), folder)
    return list(folders.values())


def rebuild_plan(index: Any) -> BuildPlan:
    """Every motion of ``index`` to encode again, read from its file as a new build reads it
    (captions from the caption files as they are now).

    Returns:
        A :class:`~.build_work.BuildPlan` for a new index (no rows kept): ``todo`` the files
        of the index that are still there, ``removed`` the ids of the rows whose file is gone
        (or whose folder is: a renamed or deleted data folder), ``skipped`` the reasons of
        those of the index's files that cannot be read now.

    Raises:
        DatasetError: a recorded folder that is no dataset now (as
            :class:`~motionlex.core.data.datasets.MotionDataset`).
    """
    folders = [f for f in recorded_folders(index) if f.is_dir()]
    found = plan_build(None, folders, "all") if folders else BuildPlan()
    wanted = set(index.sources)
    plan = BuildPlan(todo=[t for t in found.todo if t[2] in wanted])
    stems = {Path(s).stem for s in index.sources}  # a record's id is its file's stem
    plan.skipped = [(i, why) for i, why in found.skipped if Path(i).stem in stems]
    read = {t[2] for t in plan.todo}
    plan.removed = [i for i, s in zip(index.ids, index.sources, strict=True) if s not in read]
    return plan
