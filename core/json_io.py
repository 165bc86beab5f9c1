"""The one JSON writer of motionlex: :func:`write_json`, atomic (:func:`~.atomic.atomic_file`).

Every JSON file motionlex writes goes through it: a model folder's configs and checksums,
patch statistics, an evaluation's reports, a run's ``val_metrics.json`` and a gallery
index's manifest. NumPy scalars are written as the numbers they are (an ``np.float32``
metric as a number, not as the text ``"0.12345679"``, which readers of metrics skip).

Below every folder of ``core`` (like :mod:`motionlex.core.atomic`), so any of them may use it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from motionlex.core.atomic import atomic_file


def _indented_default(value: Any) -> Any:
    """What an indented file writes for a value JSON has no type for: a NumPy scalar's
    number (``np.float32(0.5)`` -> ``0.5``), a NumPy array's list, anything else (a Path)
    as text."""
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    return os.fspath(value) if isinstance(value, os.PathLike) else str(value)


def _compact_default(value: Any) -> Any:
    """A compact file (a gallery index's) takes NumPy scalars as numbers and nothing else."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def write_json(path: str | os.PathLike, value: Any, *, compact: bool = False, indent: int = 2,
               sort_keys: bool = False) -> Path:
    """Write ``value`` as JSON and a newline to ``path`` (UTF-8) atomically
    (:func:`~.atomic.atomic_file`): the one JSON writer of motionlex.

    Args:
        path / value: the file (its folder is made) and a JSON-ready value; NumPy scalars
            are written as numbers.
        compact: one line, non-ASCII characters as they are (a gallery index's files), and
            a value JSON cannot hold raises; otherwise indented by ``indent`` spaces,
            non-ASCII escaped (``\\uXXXX``), NumPy arrays as lists and other values written
            as ``str`` (a Path).
        sort_keys: object keys sorted.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        TypeError: (``compact``) a value JSON cannot hold; nothing is written.
        OSError / PermissionError / IsADirectoryError: as :func:`~.atomic.atomic_file`.
    """
    text = (json.dumps(value, ensure_ascii=False, sort_keys=sort_keys,
                       default=_compact_default) if compact else
            json.dumps(value, indent=indent, sort_keys=sort_keys, default=_indented_default))
    with atomic_file(path) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")
    return Path(path)
