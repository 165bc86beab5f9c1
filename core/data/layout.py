"""Which layout a motion folder has: a HumanML3D/KIT-ML dataset (``new_joints/``), a folder
of BVH files, or neither (an index, a folder of datasets, a ``new_joints/`` given itself),
said in one message that names what was looked for."""

from __future__ import annotations

import os
from pathlib import Path

from motionlex.core.data.bvh_folders import has_bvh
from motionlex.core.data.text_files import DatasetError
from motionlex.core.motion.file_checks import read_npy


class SeveralDatasetsError(DatasetError):
    """A folder of datasets given where one dataset is wanted. The message is the command
    line's (``--data`` takes several); ``root``, ``names`` (the datasets, BVH folders
    marked ``"(BVH)"``) and ``example`` (one of them, a path) let another front end (the
    explorer opens one gallery) give its own advice."""

    def __init__(self, root: Path, names: list[str], example: Path) -> None:
        self.root, self.names, self.example = root, list(names), example
        super().__init__(
            f"{root} holds several datasets ({', '.join(self.names)}), not one: open or give "
            f"one of them (e.g. {example}); the command line takes several as their own "
            f"--data options")


def _entries(root: Path, *, dirs: bool) -> list[Path]:
    """``root``'s own visible folders (``dirs``) or files, links not followed; an
    unreadable entry is left out (as the BVH walk leaves it)."""
    out = []
    try:
        with os.scandir(root) as it:
            for e in it:
                if e.name.startswith("."):
                    continue
                try:
                    if (e.is_dir(follow_symlinks=False) if dirs
                            else e.is_file(follow_symlinks=False)):
                        out.append(Path(e.path))
                except OSError:
                    continue
    except OSError:
        return []
    return out


def _nested_datasets(root: Path) -> list[str]:
    """Names of ``root``'s subfolders that are HumanML3D/KIT-ML datasets (``new_joints/``)."""
    found = []
    for d in _entries(root, dirs=True):
        try:
            if (d / "new_joints").is_dir():
                found.append(d.name)
        except OSError:  # unreadable: not ours to judge
            continue
    return sorted(found)


def detect_layout(root: str | Path) -> str:
    """``"joints"`` (HumanML3D/KIT-ML ``new_joints/``) or ``"bvh"`` (a folder of BVH files).

    Raises:
        FileNotFoundError: the folder does not exist.
        DatasetError: neither layout is found (names what was looked for).
        SeveralDatasetsError: the folder holds datasets in its subfolders (names them): two
            or more, or one beside no BVH file of its own (a BVH folder with one converted
            dataset inside is read as BVH).
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(
            f"{root} is a file, not a dataset folder (give the folder that holds it)"
            if root.exists() else f"dataset folder not found: {root}")
    if (root / "new_joints").is_dir():
        return "joints"
    nested = _nested_datasets(root)
    own_bvh = any(p.suffix.lower() == ".bvh" for p in _entries(root, dirs=False))
    if len(nested) >= 2 or (nested and not own_bvh):
        # a folder of datasets (e.g. ../shared/data): the BVH files in one of its
        # subfolders were read as the dataset, the others left out silently
        others = sorted(d.name for d in _entries(root, dirs=True)
                        if d.name not in nested and has_bvh(d))
        raise SeveralDatasetsError(root, nested + [f"{n} (BVH)" for n in others],
                                   root / nested[0])
    if has_bvh(root):
        return "bvh"
    if (root / "manifest.json").is_file() and (root / "dense.npy").is_file():
        raise DatasetError(  # the index's own dense.npy is no joint file
            f"{root} is a gallery index (made by motionlex index), not a motion dataset: "
            f"search it with 'motionlex search --index {root}', or give the dataset folder "
            f"it was built from")
    hint = ""
    first = next(root.glob("*.npy"), None)
    if root.name == "new_joints" or first is not None:
        what = "joint files"
        try:  # HumanML3D's new_joint_vecs/ holds 263-wide feature vectors, not joints
            shape = read_npy(first, mmap=True).shape if first is not None else ()  # a FIFO:
            # refused, never opened
            if len(shape) == 2 and shape[-1] != 3:
                what = f"arrays of {shape[-1]} features per frame (not joints)"
        except (OSError, ValueError):
            pass
        hint = (f"; {root} itself holds .npy {what}: give the folder above it, which "
                "holds new_joints/ and texts/")
    raise DatasetError(
        f"{root}: not a motion dataset (expected a new_joints/ folder in the HumanML3D/KIT-ML "
        f"layout, or .bvh files){hint}"
    )
