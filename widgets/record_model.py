"""The table model under the results list and the gallery browser: rows as columns.

A ``RecordTableModel`` (``QAbstractTableModel``) holds the rows' values as columns (lists or
NumPy arrays, taken as given) and makes a display string, sort key or search text only for a
row that is shown, sorted or filtered, so a 1,000,000-motion gallery is set without a loop
over its rows (Source of the model/view split:
``napari/napari/napari/_qt/containers/_base_item_model.py``). The model filters itself
(:meth:`RecordTableModel.set_filter_text`); :func:`filter_pattern` is the same rule as a
regular expression, for a ``QSortFilterProxyModel`` over this model. What each column shows,
and the check of rows against the columns, is :mod:`motionlex.widgets.column_specs`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QFont

from motionlex.widgets.column_specs import Column, check_column_values, records_to_columns
from motionlex.widgets.record_columns import (
    ColumnRows,
    likely_widest,
    matching_rows,
    plain,
    search_texts,
    shared_path_prefix,
    sort_keys,
    sorted_rows,
)

ID_ROLE = Qt.ItemDataRole.UserRole + 1
"""Model role holding a row's ``id``."""
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
"""Model role holding a cell's sort key (numbers for numeric columns)."""
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 3
"""Model role (column 0) holding a row's lower-cased searchable text."""

_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole.value)
_FONT = int(Qt.ItemDataRole.FontRole.value)
_ALIGN_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
SAMPLE_ALL = 10_000
"""Up to this many rows :meth:`RecordTableModel.column_sample` gives every row's text."""
_SERVED_ROLES = frozenset(
    {_DISPLAY, _TOOLTIP, _ALIGN, _FONT, int(ID_ROLE), int(SORT_ROLE), int(SEARCH_ROLE)}
)  # every other role (colours, decoration, check state) is None


class RecordTableModel(QAbstractTableModel):
    """Read-only table over columns of values; display texts, sort keys and search texts
    are made only for the rows shown, sorted or filtered.

    Rows come as dicts (:meth:`set_records`) or as columns (:meth:`set_columns`, or a
    :class:`~motionlex.widgets.record_columns.ColumnRows` given to :meth:`set_records`): a
    million-row gallery is set without a Python loop over its rows. ``data()`` formats the
    cells asked for; the first sort by a column builds its keys (a NumPy argsort for numeric
    columns, a sort of lower-cased strings otherwise); the first filter builds every row's
    search text. The model sorts (:meth:`sort`) and filters (:meth:`set_filter_text`) itself:
    its rows are the display rows, :meth:`source_row` maps them to the rows given (a
    ``QSortFilterProxyModel`` would call ``data()`` from C++ per row and per comparison).

    Args:
        columns: the columns shown.
        search_keys: record keys whose values are searchable (joined, lower-cased).
        parent: Qt parent.

    Roles: ``DisplayRole`` (formatted string), ``ToolTipRole`` (caption),
    ``TextAlignmentRole``, ``FontRole`` (italic: the pending row, :meth:`set_pending_row`),
    :data:`ID_ROLE`, :data:`SORT_ROLE`, :data:`SEARCH_ROLE`.
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
        self._sort_column, self._sort_desc = -1, False
        self._words: list[str] = []  # the filter's words
        self._titles: dict[int, tuple[str, str]] = {}  # column -> (title, tooltip) shown
        self._italic = QFont()
        self._italic.setItalic(True)
        self._install({}, 0, None)

    @property
    def columns(self) -> tuple[Column, ...]:
        """The columns shown."""
        return self._columns

    def set_records(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Replace all rows.

        Args:
            records: one mapping per row with every required column key and ``id``; a
                :class:`~motionlex.widgets.record_columns.ColumnRows` is taken as columns.

        Raises:
            ValueError: when a record is not a mapping, lacks a required key (``id`` or a
                required column) or has a value its column cannot format (e.g. a score
                that is not a number); the message gives the row index.
        """
        if isinstance(records, ColumnRows):
            self.set_columns(records.columns())
            return
        cols, kept = records_to_columns(records, self._columns, self._search_keys)
        self._install(cols, len(kept), kept)

    def set_columns(self, columns: Mapping[str, Any]) -> None:
        """Replace all rows with columns taken as they are (not copied, no loop over rows).

        Args:
            columns: key -> one value per row (list, ``range`` or 1-D array), all the same
                length: ``id`` and every required column; numeric columns must convert to
                float64 (e.g. a float32 array of seconds).

        Raises:
            ValueError: when a column is missing, not a sequence, of another length than the
                others, or (numeric column) not numbers; the message names the column.
        """
        n = check_column_values(columns, self._columns)  # raises before anything changes
        self._install(dict(columns), n, None)

    def set_pending_row(self, row: int | None) -> None:
        """Show source row ``row`` in italics, as chosen but not yet shown (a video is being
        recorded from the motion shown); None: no row."""
        old, self._pending = self._pending, row
        for r in {old, row} - {None}:
            d = self.display_row(r) if 0 <= r < self._n else -1
            if d >= 0:
                self.dataChanged.emit(self.index(d, 0), self.index(d, len(self._columns) - 1),
                                      [Qt.ItemDataRole.FontRole])

    def _install(self, cols: dict[str, Any], n: int, records: list[dict] | None) -> None:
        self.beginResetModel()
        self._pending: int | None = None  # new rows: none is pending
        self._cols, self._n, self._records = cols, n, records
        self._by_col = [cols.get(c.key) for c in self._columns]
        self._keys: dict[int, Any] = {}  # column -> sort keys per source row (built lazily)
        self._ascending: dict[int, np.ndarray] = {}  # column -> source rows in its order
        self._search: list[str] | None = None  # per source row (built on the first filter)
        self._prefixes = [self._shared_prefix(c) for c in range(len(self._columns))]
        self._sorted = self._sort_rows(self._sort_column, self._sort_desc)  # kept sorted
        self._keep = self._matching(self._words)  # and filtered
        self._layout()
        self.endResetModel()

    def _shared_prefix(self, c: int) -> str:
        """The path prefix a ``short`` column's values share (``""`` for other columns)."""
        col = self._by_col[c]
        if not self._columns[c].short or col is None or not self._n:
            return ""
        prefix = shared_path_prefix(col)  # None: not all strings, compare the texts shown
        return prefix if prefix is not None else \
            shared_path_prefix([self._text(c, g) for g in range(self._n)]) or ""

    # rows ------------------------------------------------------------------
    def source_row(self, row: int) -> int:
        """The source row (index into the rows given) shown at display row ``row``."""
        return row if self._order is None else self._order[row]

    def display_row(self, source: int) -> int:
        """The display row of source row ``source`` (inverse of :meth:`source_row`; ``-1``
        when the filter hides it)."""
        return source if self._rank is None else int(self._rank[source])

    def _text(self, c: int, g: int) -> str:
        v = None if self._by_col[c] is None else self._by_col[c][g]
        return "" if v is None else self._columns[c].fmt(v)

    def column_texts(self, column: int) -> list[str]:
        """The display strings of column ``column``, one per source row (every row: use
        :meth:`column_sample` for sizing a column)."""
        cut = len(self._prefixes[column])
        return [self._text(column, g)[cut:] for g in range(self._n)]

    def column_sample(self, column: int, k: int = 64) -> list[str]:
        """Display strings of the rows likely widest, for sizing the column: every row up to
        ``SAMPLE_ALL`` rows; beyond, the ``k`` longest values by characters (a NumPy
        partition of the lengths) or, for a numeric column, its ``k/2`` least and greatest."""
        col, c = self._by_col[column], self._columns[column]
        rows = None if self._n <= SAMPLE_ALL else likely_widest(c.key, col, c.numeric, k)
        if rows is None:  # few rows, or not all strings: every row
            return self.column_texts(column) if col is not None else []
        cut = len(self._prefixes[column])
        return [self._text(column, int(g))[cut:] for g in rows]

    def shared_prefix(self, column: int) -> str:
        """The prefix every row shares and the column leaves out (``""`` when none)."""
        return self._prefixes[column]

    def record(self, row: int) -> dict:
        """A copy of source row ``row``'s record (rows given as columns: a new dict of its
        values, NumPy scalars as Python numbers).

        Raises:
            IndexError: when ``row`` is out of range.
        """
        if not 0 <= row < self._n:
            raise IndexError(f"row {row} out of range [0, {self._n})")
        if self._records is not None:
            return dict(self._records[row])
        return {k: plain(c[row]) for k, c in self._cols.items()}

    # sorting and filtering ------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Show the rows sorted by ``column`` (equal keys in the given order, reversed when
        descending, as Qt's proxy; ``-1``: the given order). The first sort by a column
        builds its keys and order; the other direction is that order reversed."""
        self._sort_column = column
        self._sort_desc = order == Qt.SortOrder.DescendingOrder
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        sources = [self.source_row(p.row()) for p in persistent]
        self._sorted = self._sort_rows(column, self._sort_desc)
        self._layout()
        self.changePersistentIndexList(
            persistent, [self.index(self.display_row(g), p.column())
                         for p, g in zip(persistent, sources)])
        self.layoutChanged.emit()

    def set_filter_text(self, text: str) -> None:
        """Show only the rows whose search text contains every word of ``text`` (any order,
        case-insensitive; blank: every row). The first filter builds the search texts."""
        words = text.lower().split()
        if words != self._words:
            self.beginResetModel()
            self._words, self._keep = words, self._matching(words)
            self._layout()
            self.endResetModel()

    def source_count(self) -> int:
        """Rows given (before filtering)."""
        return self._n

    def _sort_keys(self, c: int) -> Any:
        if c not in self._keys:
            col = self._columns[c]
            self._keys[c] = sort_keys(col.key, self._by_col[c], col.numeric, self._n)
        return self._keys[c]

    def _sort_rows(self, c: int, desc: bool) -> np.ndarray | None:
        if not (0 <= c < len(self._columns) and self._n):
            return np.arange(self._n)[::-1] if desc and self._n else None  # as Qt's proxy
        if c not in self._ascending:
            self._ascending[c] = sorted_rows(self._sort_keys(c))
        return self._ascending[c][::-1] if desc else self._ascending[c]

    def _search_text(self, g: int) -> str:
        if self._search is None:
            self._search = search_texts(self._cols, self._search_keys, self._n)
        return self._search[g]

    def _matching(self, words: list[str]) -> np.ndarray | None:
        if not words or not self._n:
            return None
        self._search_text(0)
        return matching_rows(self._search, words)

    def _layout(self) -> None:
        """Display rows from the sort order and the filter mask."""
        if self._sorted is None and self._keep is None:
            self._order = self._rank = None
            return
        rows = np.arange(self._n) if self._sorted is None else self._sorted
        if self._keep is not None:
            rows = rows[self._keep[rows]]
        self._order = rows.tolist()
        self._rank = np.full(self._n, -1, dtype=np.intp)
        self._rank[rows] = np.arange(len(rows))

    # Qt model API ---------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        """Rows shown: those passing the filter (0 under any valid parent: a flat table)."""
        if parent.isValid():
            return 0
        return self._n if self._order is None else len(self._order)

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
        if role == _FONT and self._pending is None:  # italic only while a video records
            return None
        c = index.column()
        g = index.row() if self._order is None else self._order[index.row()]
        if role == _DISPLAY:
            cut = len(self._prefixes[c])
            return self._text(c, g)[cut:] if cut else self._text(c, g)
        if role == SORT_ROLE:
            keys = self._sort_keys(c)
            return float(keys[g]) if isinstance(keys, np.ndarray) else keys[g]
        if role == SEARCH_ROLE:
            return self._search_text(g)
        if role == ID_ROLE:
            return self._cols["id"][g]
        if role == _FONT:
            return self._italic if g == self._pending else None
        if role == _TOOLTIP:
            cap = self._cols.get("caption")
            return f"{'' if cap is None or cap[g] is None else cap[g]}\n[{self._cols['id'][g]}]"
        if self._columns[c].numeric:  # TextAlignmentRole
            return _ALIGN_RIGHT
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        """Column titles (:meth:`set_title` may replace one); a shortened column's tooltip
        names the prefix it leaves out."""
        if orientation != Qt.Orientation.Horizontal:
            return None
        title, tip = self._titles.get(section, (self._columns[section].title, ""))
        if role == Qt.ItemDataRole.DisplayRole:
            return title
        if role == Qt.ItemDataRole.ToolTipRole:
            if tip:
                return tip
            if self._prefixes[section]:
                return f"{title}s shown without {self._prefixes[section]!r}"
        return None

    def set_title(self, key: str, title: str | None = None, tooltip: str = "") -> None:
        """Show column ``key`` under ``title`` with ``tooltip`` (None: its own title again),
        e.g. the score of an order-aware ranking, which is not a similarity.

        Raises:
            KeyError: no column has that key.
        """
        col = next((i for i, c in enumerate(self._columns) if c.key == key), None)
        if col is None:
            raise KeyError(f"no column {key!r} (columns: {[c.key for c in self._columns]})")
        if title is None:
            self._titles.pop(col, None)
        else:
            self._titles[col] = (title, tooltip)
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, col, col)


def filter_pattern(text: str) -> str:
    """Regular expression that matches text containing every word of ``text``, any order.

    Args:
        text: the typed filter, e.g. ``"walk left"``.

    Returns:
        A pattern such as ``^(?=.*walk)(?=.*left)``; ``""`` (match all) for blank text.
    """
    words = text.lower().split()
    return "^" + "".join(f"(?=.*{re.escape(w)})" for w in words) if words else ""
