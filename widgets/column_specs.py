"""What a table of records shows: one :class:`Column` per column, the columns of the
results list and of the gallery browser, and the check of rows against them.

A :class:`Column` names the record key it shows, its header title, how a value becomes a
string, whether it is numeric (right-aligned, sorted as a number), required or shown
without the path prefix every row shares. :func:`records_to_columns` and
:func:`check_column_values` check rows (dicts, or columns of values) against the columns
before :class:`~motionlex.widgets.record_model.RecordTableModel` takes them. No Qt.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from motionlex.widgets.record_columns import check_columns, numbers


@dataclass(frozen=True)
class Column:
    """One table column.

    Attributes:
        key: the record key shown.
        title: header text.
        fmt: value -> display string.
        numeric: right-aligned, sorted as a number.
        required: the key must be in every record (else ``""`` is shown when missing).
        short: show each value without the path prefix all rows share (ids such as
            ``demo-v1/demo_s117`` show ``demo_s117``; the full value is in the tooltip).
    """

    key: str
    title: str
    fmt: Callable[[Any], str] = str
    numeric: bool = False
    required: bool = True
    short: bool = False


def _fmt_score(v: Any) -> str:
    return f"{float(v):.3f}"


def _fmt_seconds(v: Any) -> str:
    """Seconds to one decimal, a tie rounded up as a reader rounds it, after taking the
    value to 6 significant digits (which undoes float32's error): a 13-frame clip at 20 fps
    (0.65 s, stored as 0.64999998) read "0.6" (GUI audit w38 #8)."""
    x = float(v)
    if not math.isfinite(x):
        return f"{x:.1f}"
    return str(Decimal(f"{x:.6g}").quantize(Decimal("0.1"), ROUND_HALF_UP))


RESULT_COLUMNS: tuple[Column, ...] = (
    Column("rank", "#", str, numeric=True),
    Column("score", "score", _fmt_score, numeric=True),
    Column("caption", "caption"),
    Column("id", "id", short=True),
)
"""Columns of :class:`ResultsList`: the id tells rows with the same (or a retrieved)
caption apart."""

GALLERY_COLUMNS: tuple[Column, ...] = (
    Column("id", "id", short=True),
    Column("caption", "caption"),
    Column("duration", "length (s)", _fmt_seconds, numeric=True, required=False),
)
"""Columns of :class:`GalleryBrowser` (``duration`` in seconds is optional)."""


def _required_keys(columns: Sequence[Column]) -> set[str]:
    """``id`` and the keys of the required columns."""
    return {"id"} | {c.key for c in columns if c.required}


def records_to_columns(
    records: Sequence[Mapping[str, Any]], columns: Sequence[Column], search_keys: Sequence[str]
) -> tuple[dict[str, list], list[dict]]:
    """Rows given as dicts, checked against ``columns`` and turned into columns.

    Args:
        records: one mapping per row with every required column key and ``id``.
        columns: the columns shown.
        search_keys: record keys whose values are searchable (kept as columns too).

    Returns:
        ``(cols, kept)``: key -> one value per row (``None`` where a row lacks the key), for
        ``id``, every search key and every column key; and a copy of each record.

    Raises:
        ValueError: when a record is not a mapping, lacks a required key (``id`` or a
            required column) or has a value its column cannot format (e.g. a score that is
            not a number); the message gives the row index.
    """
    needed = _required_keys(columns)
    kept = []
    for i, rec in enumerate(records):
        if not isinstance(rec, Mapping):
            raise ValueError(f"row {i}: expected a dict, got {type(rec).__name__}")
        missing = sorted(needed - set(rec))
        if missing:
            raise ValueError(f"row {i}: missing key(s) {missing}; got keys {sorted(rec)}")
        for c in columns:
            v = rec.get(c.key)
            try:
                _ = None if v is None else (c.fmt(v), float(v) if c.numeric else 0)
            except (TypeError, ValueError) as e:
                raise ValueError(f"row {i}: bad {c.key!r} value {v!r}: {e}") from e
        kept.append(dict(rec))
    keys = {"id", *search_keys, *(c.key for c in columns)}
    return {k: [rec.get(k) for rec in kept] for k in keys}, kept


def check_column_values(values: Mapping[str, Any], columns: Sequence[Column]) -> int:
    """Check rows given as columns against ``columns`` (no loop over the rows).

    Args:
        values: key -> one value per row (list, ``range`` or 1-D array), all the same
            length: ``id`` and every required column; numeric columns must convert to
            float64 (e.g. a float32 array of seconds).
        columns: the columns shown.

    Returns:
        The number of rows.

    Raises:
        ValueError: when a column is missing, not a sequence, of another length than the
            others, or (numeric column) not numbers; the message names the column.
    """
    missing = sorted(_required_keys(columns) - set(values))
    if missing:
        raise ValueError(f"missing column(s) {missing}; got columns {sorted(values)}")
    n = check_columns(values)
    for c in columns:
        if c.numeric and c.key in values:
            numbers(c.key, values[c.key])
    return n
