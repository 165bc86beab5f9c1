"""Rows kept as columns: a million-row listing without a million dicts. No Qt.

:class:`ColumnRows` is a read-only ``Sequence[dict]`` over equal-length columns (lists,
NumPy arrays, ``range``): ``rows[i]`` builds row ``i``'s dict when asked, so code written
for a list of dicts keeps working, while :class:`~motionlex.widgets.record_model.
RecordTableModel` takes :meth:`ColumnRows.columns` as they are and does per-row work only
for the rows it shows, sorts or filters.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def check_columns(columns: Mapping[str, Any]) -> int:
    """The common length of ``columns``.

    Args:
        columns: key -> one value per row (a list, tuple, ``range`` or 1-D array).

    Returns:
        The number of rows.

    Raises:
        ValueError: when a column is not a sequence (a string, a scalar, a 2-D array) or the
            columns differ in length; the message names the column.
    """
    n: int | None = None
    first = ""
    for key, col in columns.items():
        if isinstance(col, (str, bytes, Mapping)) or not hasattr(col, "__len__"):
            raise ValueError(f"column {key!r}: expected a sequence, got {type(col).__name__}")
        if isinstance(col, np.ndarray) and col.ndim != 1:
            raise ValueError(f"column {key!r}: expected a 1-D array, got shape {col.shape}")
        if n is None:
            n, first = len(col), key
        elif len(col) != n:
            raise ValueError(f"column {key!r} has {len(col)} values, column {first!r} has {n}")
    return n or 0


def plain(v: Any) -> Any:
    """A NumPy scalar as the Python number it holds (other values unchanged)."""
    return v.item() if isinstance(v, np.generic) else v


class ColumnRows(Sequence):
    """Rows given as columns; ``rows[i]`` is row ``i`` as a dict (built on first access and
    kept, so a caller may change it: :meth:`columns` includes the change).

    Args:
        columns: key -> one value per row, all the same length (not copied).

    Raises:
        ValueError: see :func:`check_columns`.
    """

    def __init__(self, columns: Mapping[str, Any]) -> None:
        self._n = check_columns(columns)
        self._columns = dict(columns)
        self._rows: dict[int, dict] = {}  # rows handed out (possibly edited by the caller)

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: int) -> dict:  # type: ignore[override]
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._n))]
        i = int(i) + (self._n if int(i) < 0 else 0)
        if not 0 <= i < self._n:
            raise IndexError(f"row {i} out of range [0, {self._n})")
        row = self._rows.get(i)
        if row is None:
            row = self._rows[i] = {k: plain(c[i]) for k, c in self._columns.items()}
        return row

    def columns(self) -> dict[str, Any]:
        """The columns, with every change made to a row handed out (a changed column is
        copied into a list; the others are the columns given)."""
        cols = dict(self._columns)
        changed: dict[str, dict[int, Any]] = {}
        for i, row in self._rows.items():
            for k, v in row.items():
                if k not in self._columns or not _same(v, plain(self._columns[k][i])):
                    changed.setdefault(k, {})[i] = v
        for k, edits in changed.items():
            col = list(cols[k]) if k in cols else [None] * self._n
            for i, v in edits.items():
                col[i] = v
            cols[k] = col
        return cols


def _same(a: Any, b: Any) -> bool:
    """Equal, NaN counting as equal to NaN (a row only read is no change)."""
    if a is b:
        return True
    try:
        if a != a and b != b:  # both NaN
            return True
    except (TypeError, ValueError):  # values that do not compare to a bool
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def numbers(key: str, col: Any) -> np.ndarray:
    """Column ``key`` as float64 (``None`` becomes NaN).

    Raises:
        ValueError: when a value is not a number (names the column).
    """
    try:
        return np.asarray(col, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"column {key!r}: expected numbers: {e}") from e


def sort_keys(key: str, col: Any, numeric: bool, n: int) -> np.ndarray | list[str]:
    """Sort keys of a column: float64 (missing or NaN: ``-inf``) for a numeric column, else
    lower-cased strings (missing: ``""``); ``col=None`` is a column missing throughout."""
    if numeric:
        return np.full(n, -np.inf) if col is None else np.nan_to_num(
            numbers(key, col), nan=-np.inf)
    if col is None:
        return [""] * n
    try:
        return list(map(str.lower, col))
    except TypeError:  # not all strings
        return ["" if v is None else str(v).lower() for v in col]


def sorted_rows(keys: np.ndarray | list[str]) -> np.ndarray:
    """Row indices in ascending order of ``keys``, stable (equal keys keep their order): a
    NumPy argsort for numbers, Python's sort for strings. Reversed, it is the descending
    order Qt's ``QSortFilterProxyModel`` gives (equal keys in reverse order)."""
    if isinstance(keys, np.ndarray):
        return np.argsort(keys, kind="stable")
    return np.asarray(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.intp)


def search_texts(columns: Mapping[str, Any], keys: Sequence[str], n: int) -> list[str]:
    """Per row, the values of ``keys`` joined by spaces, lower-cased (missing: ``""``)."""
    parts = []
    for k in keys:
        col = columns.get(k)
        if col is None:
            continue
        strings = all(map(str.__instancecheck__, col))  # a loop in C
        parts.append(col if strings else ["" if v is None else str(v) for v in col])
    if not parts:
        return [""] * n
    return [" ".join(t).lower() for t in zip(*parts)]


def matching_rows(texts: Sequence[str], words: Sequence[str]) -> np.ndarray:
    """Boolean mask of the rows whose text contains every word (words lower-cased)."""
    rows: Any = range(len(texts))
    for w in words:
        rows = [g for g in rows if w in texts[g]]
    keep = np.zeros(len(texts), dtype=bool)
    keep[np.asarray(rows, dtype=np.intp)] = True
    return keep


def likely_widest(key: str, col: Any, numeric: bool, k: int = 64) -> np.ndarray | None:
    """Rows whose texts are likely the widest, for sizing a column without measuring every
    row: the ``k`` longest strings by characters (a NumPy partition of the lengths), or for
    a numeric column its ``k/2`` least and ``k/2`` greatest values; ``None`` when a value of
    a non-numeric column is not a string, or the column is missing (``col=None``)."""
    if col is None:
        return None
    n = len(col)
    if numeric:
        num, h = numbers(key, col), min(k // 2, n // 2)
        if h == 0:
            return np.arange(n)
        part = np.argpartition(num, (h - 1, n - h))
        return np.concatenate([part[:h], part[n - h:]])
    try:
        lens = np.fromiter(map(len, col), dtype=np.int64, count=n)
    except TypeError:
        return None
    return np.argpartition(lens, -k)[-k:] if n > k else np.arange(n)


def shared_path_prefix(col: Sequence[str], sep: str = "/") -> str | None:
    """:func:`~motionlex.widgets.elide.common_path_prefix` of a column without a Python loop
    over its rows: the prefix of its least and greatest values, kept when every value is
    longer (three passes in C); ``None`` when a value is not a string."""
    if not len(col):
        return ""
    try:
        lo, hi, shortest = min(col), max(col), min(map(len, col))
    except TypeError:
        return None
    if not isinstance(lo, str) or not isinstance(hi, str):
        return None
    cut = lo.rfind(sep, 0, len(os.path.commonprefix([lo, hi]))) + 1
    return lo[:cut] if shortest > cut else ""
