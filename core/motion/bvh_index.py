"""A BVH folder's ``index.json``: what the files' headers do not say (a true frame rate, a
caption, the action), read by every command that loads one of its files."""

from __future__ import annotations

import functools
import json
import logging
import math
from pathlib import Path

from motionlex.core.motion.file_checks import MotionFileError

logger = logging.getLogger(__name__)

BVH_INDEX = "index.json"
"""Optional file of a BVH folder: ``{file name: entry}``, an entry holding what the files'
headers do not (``true_fps`` where a header's rate is wrong, a ``kitml_caption``, the
``action``), as in ``raw_bvh/``."""


def read_bvh_index(root: str | Path) -> dict[str, dict]:
    """The folder's :data:`BVH_INDEX` (``{}`` when it has none).

    Raises:
        ValueError: the file is not valid JSON or not an object of objects (names it).
    """
    path = Path(root) / BVH_INDEX
    if not path.is_file():
        return {}
    try:
        index = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from e
    if not isinstance(index, dict) or not all(isinstance(v, dict) for v in index.values()):
        raise ValueError(f"{path}: expected an object file name -> entry object")
    return index


def bvh_index_entry(index: dict[str, dict], motion_id: str, path: str | Path) -> dict:
    """The :data:`BVH_INDEX` entry of the file ``path`` read as ``motion_id`` (``{}``: none):
    keyed by the id with its suffix, the id, or (for a file directly in the folder) its
    name or stem."""
    p = Path(path)
    return (index.get(f"{motion_id}{p.suffix}") or index.get(motion_id)
            or (index.get(p.name) or index.get(p.stem) if "/" not in motion_id else None) or {})


def file_true_fps(path: str | Path) -> float | None:
    """The ``true_fps`` that a BVH folder's ``index.json`` gives the file ``path`` (a header
    whose frame rate is wrong, as some cgspeed conversions have), or None.

    The index is the nearest one up from the file (its own folder first, at most
    :data:`INDEX_LEVELS` folders), and the file's entry is looked up as a dataset read of
    that folder looks it up (:func:`bvh_index_entry`: by its path below the folder).

    An unreadable ``index.json`` is another tool's file as far as a single motion file is
    concerned: it is logged and the header's rate is kept (a dataset read refuses it, with
    :func:`read_bvh_index`'s error).

    Args:
        path: a ``.bvh`` file.

    Returns:
        The rate in frames per second (a positive number), or None: no index, no entry, or
        no ``true_fps`` in it.

    Raises:
        MotionFileError: the entry's ``true_fps`` is not a positive number (names the index).
    """
    p = Path(path)
    for folder in list(p.parents)[:INDEX_LEVELS]:
        if not (folder / BVH_INDEX).is_file():
            continue
        try:
            index = _cached_index(folder / BVH_INDEX)
        except (OSError, ValueError) as e:
            logger.warning("%s: not read for %s's frame rate (%s)", folder / BVH_INDEX,
                           p.name, e)
            return None
        mid = p.relative_to(folder).with_suffix("").as_posix()  # the dataset read's id
        return entry_true_fps(bvh_index_entry(index, mid, p), folder / BVH_INDEX,
                              p.relative_to(folder).as_posix())
    return None


INDEX_LEVELS = 3
"""How many folders up from a BVH file :func:`file_true_fps` looks for an ``index.json``
(the file's own folder first: a folder of takes, or a CMU subject folder below the root)."""


def _cached_index(path: Path) -> dict[str, dict]:
    """:func:`read_bvh_index` of ``path``'s folder, parsed once per version of the file (a
    folder's exports or patch figures read it for every file)."""
    st = path.stat()
    return _parse_index(str(path), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=16)
def _parse_index(path: str, _mtime_ns: int, _size: int) -> dict[str, dict]:
    return read_bvh_index(Path(path).parent)


def entry_true_fps(entry: dict, index_path: str | Path, name: str) -> float | None:
    """An index entry's ``true_fps`` (frames per second), or None when it gives none.

    Raises:
        MotionFileError: (a ``ValueError``) the value is not a positive finite number
            (``true``, ``"30"``), naming ``index_path`` and the file ``name``.
    """
    fps = entry.get("true_fps")
    if fps is None:
        return None
    if (isinstance(fps, bool) or not isinstance(fps, (int, float))
            or not math.isfinite(fps) or not fps > 0):
        raise MotionFileError(f"{index_path}: true_fps of {name} must be a positive number, "
                              f"got {fps!r}")
    return float(fps)
