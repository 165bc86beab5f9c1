"""Ranked results and the gallery browser: table models and filterable views.

Model/view separation as in napari (plain data in a model, views that only display and
report selections; Source: ``napari/napari/napari/_qt/containers/_base_item_model.py``
and ``qt_list_view.py``): a
``RecordTableModel`` (``QAbstractTableModel``) holds rows as plain dicts with every display
string, sort key and search text precomputed, so ``data()`` is a lookup; a
``QSortFilterProxyModel`` filters and sorts; a ``QTableView`` draws only the visible rows.
No per-row widgets and no thumbnails: 10,000 rows load, filter or sort in under 0.1 s.
Typed filter text is applied after a short pause (``FILTER_DEBOUNCE_MS``).

``ResultsList`` shows ranked retrieval results (rank, score, caption); ``GalleryBrowser``
shows the gallery (id, caption, length). Both filter on the typed words (all must occur, any
order, case-insensitive) and report the selected row as an index into the list they were
given.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QRegularExpression,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

logger = logging.getLogger(__name__)

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

FILTER_DEBOUNCE_MS = 150
"""Pause after the last keystroke in the filter box before the filter runs, milliseconds."""


@dataclass(frozen=True)
class Column:
    """One table column.

    Attributes:
        key: the record key shown.
        title: header text.
        fmt: value -> display string.
        numeric: right-aligned, sorted as a number.
        required: the key must be in every record (else ``""`` is shown when missing).
    """

    key: str
    title: str
    fmt: Callable[[Any], str] = str
    numeric: bool = False
    required: bool = True


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
    Column("id", "id"),
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
        self.beginResetModel()
        self._records, self._display, self._sort, self._search = kept, display, sort, search
        self.endResetModel()

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
        """Column titles."""
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._columns[section].title
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


class _RecordBrowser(QWidget):
    """Filter box + count + table view over a :class:`RecordTableModel`."""

    def __init__(
        self,
        columns: Sequence[Column],
        search_keys: Sequence[str],
        placeholder: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._model = RecordTableModel(columns, search_keys, self)
        self._proxy = QSortFilterProxyModel(self)
        self._proxy.setSourceModel(self._model)
        self._proxy.setFilterRole(SEARCH_ROLE)
        self._proxy.setFilterKeyColumn(0)
        self._proxy.setSortRole(SORT_ROLE)

        self._filter = QLineEdit(self)
        self._filter.setPlaceholderText(placeholder)
        self._filter.setClearButtonEnabled(True)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DEBOUNCE_MS)
        self._filter_timer.timeout.connect(lambda: self.set_filter_text(self._filter.text()))
        self._filter.textChanged.connect(lambda _t: self._filter_timer.start())
        self._count = QLabel(self)
        self._count.setMinimumWidth(self.fontMetrics().horizontalAdvance("000,000 of 000,000"))
        self._count.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        self._view = QTableView(self)
        self._view.setModel(self._proxy)
        self._view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self._view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._view.setAlternatingRowColors(True)
        self._view.setWordWrap(False)
        self._view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self._view.setSortingEnabled(True)
        self._view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # keep the given order
        vh = self._view.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 6)
        hh = self._view.horizontalHeader()
        for i, col in enumerate(columns):
            if col.key == "caption":
                hh.setSectionResizeMode(i, QHeaderView.ResizeMode.Stretch)
            else:
                hh.setSectionResizeMode(i, QHeaderView.ResizeMode.Interactive)
                sample = "0000000" if col.numeric else "000000000"
                hh.resizeSection(i, self.fontMetrics().horizontalAdvance(sample) + 24)
        self._view.selectionModel().currentRowChanged.connect(self._on_current_changed)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self._filter, 1)
        top.addWidget(self._count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self._view, 1)
        self._update_count()

    # accessors -------------------------------------------------------------
    @property
    def model(self) -> RecordTableModel:
        """The source model (rows in the order given)."""
        return self._model

    @property
    def proxy(self) -> QSortFilterProxyModel:
        """The filtering/sorting proxy the view shows."""
        return self._proxy

    @property
    def view(self) -> QTableView:
        """The table view."""
        return self._view

    @property
    def filter_edit(self) -> QLineEdit:
        """The filter box."""
        return self._filter

    def row_count(self) -> int:
        """Rows given (before filtering)."""
        return self._model.rowCount()

    def visible_count(self) -> int:
        """Rows that pass the filter."""
        return self._proxy.rowCount()

    def record(self, row: int) -> dict:
        """A copy of the record at source row ``row``.

        Raises:
            IndexError: when ``row`` is out of range.
        """
        return self._model.record(row)

    def visible_rows(self) -> list[int]:
        """Source rows that pass the filter, in display order."""
        return [
            self._proxy.mapToSource(self._proxy.index(r, 0)).row()
            for r in range(self._proxy.rowCount())
        ]

    def selected_row(self) -> int | None:
        """Source row of the current row, or ``None``."""
        idx = self._view.selectionModel().currentIndex()
        return self._proxy.mapToSource(idx).row() if idx.isValid() else None

    # actions ----------------------------------------------------------------
    def _set_records(self, records: Sequence[Mapping[str, Any]]) -> None:
        self._model.set_records(records)
        self._update_count()

    def set_filter_text(self, text: str) -> None:
        """Show only rows whose searchable text contains every word of ``text`` (now,
        without the typing debounce; the filter box shows ``text``)."""
        self._filter_timer.stop()
        if self._filter.text() != text:
            self._filter.blockSignals(True)
            self._filter.setText(text)
            self._filter.blockSignals(False)
        self._proxy.setFilterRegularExpression(
            QRegularExpression(
                filter_pattern(text), QRegularExpression.PatternOption.CaseInsensitiveOption
            )
        )
        self._update_count()

    def select_row(self, row: int) -> None:
        """Make source row ``row`` current (emits the selection signal if it passes the
        filter and changed).

        Raises:
            IndexError: when ``row`` is out of range.
        """
        if not 0 <= row < self._model.rowCount():
            raise IndexError(f"row {row} out of range [0, {self._model.rowCount()})")
        idx = self._proxy.mapFromSource(self._model.index(row, 0))
        if idx.isValid():
            self._view.selectionModel().setCurrentIndex(
                idx,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            self._view.scrollTo(idx)

    def _update_count(self) -> None:
        n, m = self._proxy.rowCount(), self._model.rowCount()
        self._count.setText(f"{m:,}" if n == m else f"{n:,} of {m:,}")

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self._row_selected(self._proxy.mapToSource(current).row())

    def _row_selected(self, row: int) -> None:  # overridden
        raise NotImplementedError


class ResultsList(_RecordBrowser):
    """Ranked retrieval results: rank, score and caption, with a word filter.

    Signals:
        resultSelected(int): the current row changed; the index into the list given to
            :meth:`set_results` (use :meth:`record` for its ``id``).
    """

    resultSelected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(RESULT_COLUMNS, ("caption", "id"), "filter results by words…", parent)

    def set_results(self, results: Sequence[Mapping[str, Any]]) -> None:
        """Replace the results.

        Args:
            results: dicts with ``rank`` (int, 1 = best), ``score`` (float similarity),
                ``caption`` (str) and ``id`` (the motion's id); extra keys are kept.

        Raises:
            ValueError: on a missing key or a non-numeric rank/score (names the row).
        """
        self._set_records(results)

    def _row_selected(self, row: int) -> None:
        self.resultSelected.emit(row)


class GalleryBrowser(_RecordBrowser):
    """The gallery's motions: id, caption and length, with a word filter (id or caption).

    Signals:
        itemSelected(int): the current row changed; the index into the list given to
            :meth:`set_items`.
    """

    itemSelected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            GALLERY_COLUMNS, ("id", "caption"), "filter gallery by id or words…", parent
        )

    def set_items(self, items: Sequence[Mapping[str, Any]]) -> None:
        """Replace the gallery listing.

        Args:
            items: dicts with ``id`` and ``caption`` (str); optional ``duration`` (s).

        Raises:
            ValueError: on a missing key or a non-numeric duration (names the row).
        """
        self._set_records(items)

    def _row_selected(self, row: int) -> None:
        self.itemSelected.emit(row)
