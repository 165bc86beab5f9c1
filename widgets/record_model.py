"""The table model under the results list and the gallery browser: rows as plain dicts.

A ``RecordTableModel`` (``QAbstractTableModel``) holds rows as plain dicts with every display
string, sort key and search text precomputed, so ``data()`` is a lookup (Source of the
model/view split: ``napari/napari/napari/_qt/containers/_base_item_model.py``).
:func:`filter_pattern` turns typed words into the proxy's filter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from motionlex.widgets.elide import common_path_prefix

ID_ROLE = Qt.ItemDataRole.UserRole + 1
"""Model role holding a row's ``id``."""
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
"""Model role holding a cell's sort key (numbers for numeric columns)."""
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 3
"""Model role (column 0) holding a row's lower-cased searchable text."""

_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole.value)
_ALIGN_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
_SERVED_ROLES = frozenset(
    {_DISPLAY, _TOOLTIP, _ALIGN, int(ID_ROLE), int(SORT_ROLE), int(SEARCH_ROLE)}
)  # every other role (font, colours, decoration, check state) is None


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
    return f"{float(v):.1f}"


RESULT_COLUMNS: tuple[Column, ...] = (
    Column("rank", "#", str, numeric=True),
    Column("score", "score", _fmt_score, numeric=True),
    Column("caption", "caption"),
)
"""Columns of :class:`ResultsList`; records also need an ``id``."""

GALLERY_COLUMNS: tuple[Column, ...] = (
    Column("id", "id", short=True),
    Column("caption", "caption"),
    Column("duration", "length (s)", _fmt_seconds, numeric=True, required=False),
)
"""Columns of :class:`GalleryBrowser` (``duration`` in seconds is optional)."""


class RecordTableModel(QAbstractTableModel):
    """Read-only table of dict records with precomputed display strings.

    Args:
        columns: the columns shown.
        search_keys: record keys whose values are searchable (joined, lower-cased).
        parent: Qt parent.

    Roles: ``DisplayRole`` (formatted string), ``ToolTipRole`` (caption),
    ``TextAlignmentRole``, :data:`ID_ROLE`, :data:`SORT_ROLE`, :data:`SEARCH_ROLE`.
    """

    def __init__(
        self,
        columns: Sequence[Column],
        search_keys: Sequence[str] = ("caption",),
        parent=None,
    ) -> None:
        super().__init__(parent)
        self._columns = tuple(columns)
        self._search_keys = tuple(search_keys)
        self._records: list[dict] = []
        self._display: list[tuple[str, ...]] = []
        self._sort: list[tuple[Any, ...]] = []
        self._search: list[str] = []
        self._prefixes: list[str] = ["" for _ in self._columns]  # cut from ``short`` columns

    @property
    def columns(self) -> tuple[Column, ...]:
        """The columns shown."""
        return self._columns

    def set_records(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Replace all rows.

        Args:
            records: one mapping per row with every required column key and ``id``.

        Raises:
            ValueError: when a record is not a mapping, lacks a required key (``id`` or a
                required column) or has a value its column cannot format (e.g. a score
                that is not a number); the message gives the row index.
        """
        display, sort, search, kept = [], [], [], []
        for i, rec in enumerate(records):
            if not isinstance(rec, Mapping):
                raise ValueError(f"row {i}: expected a dict, got {type(rec).__name__}")
            needed = {"id"} | {c.key for c in self._columns if c.required}
            missing = sorted(needed - set(rec))
            if missing:
                raise ValueError(f"row {i}: missing key(s) {missing}; got keys {sorted(rec)}")
            cells, keys = [], []
            for c in self._columns:
                if c.key not in rec or rec[c.key] is None:
                    cells.append("")
                    keys.append(-math.inf if c.numeric else "")
                    continue
                v = rec[c.key]
                try:
                    cells.append(c.fmt(v))
                    keys.append(float(v) if c.numeric else str(v).lower())
                except (TypeError, ValueError) as e:
                    raise ValueError(f"row {i}: bad {c.key!r} value {v!r}: {e}") from e
            display.append(tuple(cells))
            sort.append(tuple(keys))
            search.append(" ".join(str(rec.get(k, "")) for k in self._search_keys).lower())
            kept.append(dict(rec))
        prefixes = ["" for _ in self._columns]
        for c, col in enumerate(self._columns):
            if col.short and display:
                prefixes[c] = common_path_prefix([cells[c] for cells in display])
                if prefixes[c]:
                    cut = len(prefixes[c])
                    display = [(*d[:c], d[c][cut:], *d[c + 1:]) for d in display]
        self.beginResetModel()
        self._records, self._display, self._sort, self._search = kept, display, sort, search
        self._prefixes = prefixes
        self.endResetModel()

    def column_texts(self, column: int) -> list[str]:
        """The display strings of column ``column``, one per row (for sizing the column)."""
        return [d[column] for d in self._display]

    def shared_prefix(self, column: int) -> str:
        """The prefix every row shares and the column leaves out (``""`` when none)."""
        return self._prefixes[column]

    def record(self, row: int) -> dict:
        """A copy of row ``row``'s record.

        Raises:
            IndexError: when ``row`` is out of range.
        """
        if not 0 <= row < len(self._records):
            raise IndexError(f"row {row} out of range [0, {len(self._records)})")
        return dict(self._records[row])

    # Qt model API ---------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        """Number of records (0 under any valid parent: this is a flat table)."""
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        """Number of columns."""
        return 0 if parent.isValid() else len(self._columns)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Cell data for ``role`` (see the class docstring).

        Called from C++ for every visible cell and every role a delegate asks for (seven per
        cell per repaint), so the roles this model does not serve return first.
        """
        if role not in _SERVED_ROLES or not index.isValid():
            return None
        r, c = index.row(), index.column()
        if role == _DISPLAY:
            return self._display[r][c]
        if role == SORT_ROLE:
            return self._sort[r][c]
        if role == SEARCH_ROLE:
            return self._search[r]
        if role == ID_ROLE:
            return self._records[r]["id"]
        if role == _TOOLTIP:
            rec = self._records[r]
            return f"{rec.get('caption', '')}\n[{rec['id']}]"
        if self._columns[c].numeric:  # TextAlignmentRole
            return _ALIGN_RIGHT
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        """Column titles; a shortened column's tooltip names the prefix it leaves out."""
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._columns[section].title
        if role == Qt.ItemDataRole.ToolTipRole and self._prefixes[section]:
            return f"{self._columns[section].title}s shown without {self._prefixes[section]!r}"
        return None


def filter_pattern(text: str) -> str:
    """Regular expression that matches text containing every word of ``text``, any order.

    Args:
        text: the typed filter, e.g. ``"walk left"``.

    Returns:
        A pattern such as ``^(?=.*walk)(?=.*left)``; ``""`` (match all) for blank text.
    """
    words = text.lower().split()
    return "^" + "".join(f"(?=.*{re.escape(w)})" for w in words) if words else ""
