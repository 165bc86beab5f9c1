"""The per-motion metadata of a gallery index, stored so a million motions open at once.

An index of format version 2 keeps its item columns in two files:

- ``items_head.json``: ``{"ids": [...], "captions": [...]}``, every motion's id and first
  caption (``""`` when it has none): the columns a results list shows, read at open (about
  0.2 s for a million motions);
- ``items.jsonl``: one JSON object per motion and line, ``{"captions", "source", "sha256",
  "dataset", "meta"}``, decoded only when a row is used (:class:`ItemRows`); the byte offset
  of each line is ``row_offsets (N+1,) int64`` in ``items.npz``.

Version 1 indexes keep every column in ``items.json`` (parsed whole, as before:
:func:`read_items_json`). Either way :class:`~.index.GalleryIndex` exposes the same columns
(``ids``, ``captions``, ``sources``, ``source_sha256``, ``datasets``, ``meta``) as
sequences, so its readers do not care which version they hold.
"""

from __future__ import annotations

import json
import mmap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from motionlex.core.retrieval.index_checks import ITEM_COLUMNS, items_problems

ITEMS_HEAD = "items_head.json"
ITEMS_ROWS = "items.jsonl"
ROW_KEYS = {"captions": "captions", "sources": "source", "source_sha256": "sha256",
            "datasets": "dataset", "meta": "meta"}
"""Column name -> key of that column in an ``items.jsonl`` row."""


def write_items(folder: Path, items: dict[str, Sequence]) -> np.ndarray:
    """Write ``items_head.json`` and ``items.jsonl`` into ``folder``.

    Args:
        folder: the (temporary) index folder.
        items: the columns of :data:`~.index_checks.ITEM_COLUMNS`, each of length ``N``.

    Returns:
        ``(N+1,)`` int64 byte offset of each row of ``items.jsonl`` (for ``items.npz``).

    Raises:
        ValueError: a column is missing, of another length or of the wrong type.
    """
    cols = {k: list(items[k]) for k in ITEM_COLUMNS if k in items}
    problems = items_problems(cols)
    n = len(cols.get("ids", []))
    problems += [f"column {k!r} has {len(v)} entries, expected {n}" for k, v in cols.items()
                 if len(v) != n]
    if problems:
        raise ValueError("cannot write items: " + "; ".join(problems))
    head = {"ids": cols["ids"], "captions": [c[0] if c else "" for c in cols["captions"]]}
    (folder / ITEMS_HEAD).write_text(json.dumps(head, ensure_ascii=False) + "\n",
                                     encoding="utf-8")
    offsets = np.zeros(n + 1, np.int64)
    with open(folder / ITEMS_ROWS, "wb") as f:
        for i in range(n):
            row = {key: cols[col][i] for col, key in ROW_KEYS.items()}
            line = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
            f.write(line)
            offsets[i + 1] = offsets[i] + len(line)
    return offsets


def read_items_json(path: Path, error: type[Exception]) -> dict[str, list]:
    """The columns of a version 1 ``items.json``, type-checked.

    Raises:
        the ``error`` class: unreadable JSON or malformed columns (the file named).
    """
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise error(f"{path}: unreadable JSON ({e})") from e
    problems = items_problems(items)
    if problems:
        raise error(f"{path}: malformed items: " + "; ".join(problems))
    return {k: list(items[k]) for k in ITEM_COLUMNS}


def read_items_head(path: Path, error: type[Exception]) -> tuple[list[str], list[str]]:
    """``(ids, first captions)`` of an ``items_head.json``, type-checked.

    Raises:
        the ``error`` class: unreadable JSON, or columns that are not lists of strings of
            one length (the file named).
    """
    try:
        head = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise error(f"{path}: unreadable JSON ({e})") from e
    if not isinstance(head, dict):
        raise error(f"{path}: expected an object with 'ids' and 'captions'")
    cols = []
    for key in ("ids", "captions"):
        v = head.get(key)
        if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
            raise error(f"{path}: {key!r} must be a list of strings")
        cols.append(v)
    if len(cols[0]) != len(cols[1]):
        raise error(f"{path}: {len(cols[0])} ids but {len(cols[1])} captions")
    return cols[0], cols[1]


class ItemRows:
    """The rows of an ``items.jsonl``, memory-mapped and decoded one at a time.

    Args:
        path: the ``items.jsonl`` file (its checksum was verified when the index opened).
        offsets: ``(N+1,)`` int64 byte offsets of the rows.
        error: exception class raised for a row that cannot be used.

    Raises:
        the ``error`` class: offsets that do not fit the file.
    """

    def __init__(self, path: Path, offsets: np.ndarray, error: type[Exception]) -> None:
        self.path = Path(path)
        self.offsets = np.asarray(offsets, np.int64)
        self._error = error
        size = self.path.stat().st_size
        if (self.offsets.ndim != 1 or len(self.offsets) < 1 or self.offsets[0] != 0
                or self.offsets[-1] != size or np.any(np.diff(self.offsets) <= 0)):
            raise error(f"{self.path}: row offsets do not fit its {size} bytes")
        self._map: mmap.mmap | None = None
        if size:
            with open(self.path, "rb") as f:
                self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        # rows are often read column by column: the last row's checked JSON text is kept
        self._last: tuple[int, str] | None = None

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def row(self, i: int) -> dict[str, Any]:
        """Row ``i`` as a dict with the keys of :data:`ROW_KEYS`' values: a new dict on each
        call (a caller that changes it, or a list in it, changes no other caller's row).

        Raises:
            IndexError: ``i`` out of range. The ``error`` class: the row is not valid JSON
                or a value has the wrong type (file and row named), or the file has no
                bytes mapped for it.
        """
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"item {i} out of range for {n} motions")
        i %= n
        last = self._last
        if last is not None and last[0] == i:
            return json.loads(last[1])  # checked already: a fresh copy of the cached row
        if self._map is None:  # only an empty file is not mapped, and it has no rows
            raise self._error(f"{self.path}: row {i} asked of an empty file")
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        raw = self._map[a:b]  # a slice of the map: a copy, no file position involved
        try:
            text = raw.decode("utf-8")
            row = json.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise self._error(f"{self.path}: row {i} is not valid JSON ({e})") from e
        problem = _row_problem(row)
        if problem:
            raise self._error(f"{self.path}: row {i}: {problem}")
        self._last = (i, text)
        return row


def _row_problem(row: Any) -> str | None:
    if not isinstance(row, dict):
        return f"expected an object, got {type(row).__name__}"
    for col, key in ROW_KEYS.items():
        v, kind = row.get(key), ITEM_COLUMNS[col]
        ok = (isinstance(v, dict) if kind == "object" else
              isinstance(v, list) and all(isinstance(c, str) for c in v)
              if kind == "list of str" else isinstance(v, str))
        if not ok:
            return f"{key!r} must be {kind}, got {type(v).__name__}"
    return None


class ItemColumn(Sequence):
    """One column of :class:`ItemRows` as a read-only sequence (rows decoded on access)."""

    def __init__(self, rows: ItemRows, column: str) -> None:
        self._rows = rows
        self._key = ROW_KEYS[column]

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self._rows.row(j)[self._key] for j in range(*i.indices(len(self)))]
        return self._rows.row(int(i))[self._key]

    def __iter__(self) -> Iterator[Any]:
        for j in range(len(self)):
            yield self._rows.row(j)[self._key]
