"""Chronology (CAR) view: does the motion prefer the true order of a caption's events?

For the selected motion it shows a caption (the result's own, or the query's: see
:mod:`motionlex.widgets.chronology_panel`), the events the parser split it into, and the
captions made by putting those events in other orders, each with the model's motion-text
similarity, sorted best first; the true order is marked and the best-scoring order
highlighted. This is the per-example view of Chronologically Accurate Retrieval
(Fujiwara, Tanaka, Yu, ECCV 2024, Sec. 3-4: shuffled-event captions as hard negatives; CAR
accuracy counts how often the true order scores highest). A caption box lets the user try
their own sentence; edits are debounced before ``captionEdited`` is emitted
(Source of the debounce pattern: ``pyapp-kit/superqt/src/superqt/utils/_throttler.py``;
here a restarted single-shot ``QTimer``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from motionlex.widgets.colors import ACCENT_HEX
from motionlex.widgets.elide import elide_headers
from motionlex.widgets.order_text import (
    check_orders,
    distinct_orders,
    order_steps,
    order_verdict,
    poor_note,
    scored_note,
    shown,
    tied_rows,
)
from motionlex.widgets.wrap_label import WrapLabel

logger = logging.getLogger(__name__)

MAX_ORDERS = 24
"""Most event orders listed (4 events give 24 orders); the true order is always kept."""

DEBOUNCE_MS = 300
"""Quiet time after the last keystroke before ``captionEdited`` fires, milliseconds."""

COLUMNS: tuple[str, ...] = ("", "event order", "dense cosine")
"""The similarity column is the dense cosine of each order's caption with the motion (CAR's
score); the results list ranks by its own mode (fused by default), hence other numbers."""

_TRUE_HEX = "#009E73"  # Okabe-Ito bluish green: the true order's mark
_NEGATIVE_HEX = "#D55E00"  # Okabe-Ito vermillion: a negative cosine's bar
NEGATIVE_TIP = ("a negative cosine: this order's caption points away from the motion (its bar "
                "grows from the right, in red)")

EMPTY_CAPTION_HINT = "type a caption to compare"
"""Placeholder of the caption box when the motion has no caption."""

NO_CAPTION_SUMMARY = ("No caption to analyse: type one below to score its event orders "
                      "against this motion.")
"""The panel's verdict line for a motion without a caption."""

BAR_ROLE = int(Qt.ItemDataRole.UserRole) + 1
"""Item data role of a similarity cell: its bar length in ``[-1, 1]`` (the cosine, clipped:
the same scale for every motion, so small differences between orders look small)."""


class _BarDelegate(QStyledItemDelegate):
    """Draws a similarity cell's bar (its :data:`BAR_ROLE` share of the cell) behind the
    number, so the orders' similarities compare at a glance; a negative cosine's bar grows
    from the right edge in vermillion (it had none: the column read as bars that failed to
    draw, GUI audit 36 #15)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        share = index.data(BAR_ROLE)
        if isinstance(share, float) and share != 0:
            r = option.rect.adjusted(2, 3, -2, -3)
            hue = _NEGATIVE_HEX if share < 0 else _TRUE_HEX if index.data(BAR_ROLE + 1) \
                else "#999999"
            color = QColor(hue)
            color.setAlpha(90)
            width = int(r.width() * min(abs(share), 1.0))
            left = r.right() + 1 - width if share < 0 else r.left()
            painter.fillRect(QRect(left, r.top(), width, r.height()), color)
        super().paint(painter, option, index)


class CarPanel(QWidget):
    """Caption, events and scored event orders of one motion, plus a caption to try.

    Signals:
        captionEdited(str): the user typed a caption and paused for ``DEBOUNCE_MS``
            (or pressed Enter); the stripped, non-empty text.
    """

    captionEdited = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._orders: list[tuple[str, float, bool]] = []  # shown rows, best first
        self._last_emitted: str | None = None
        self._order_name = "true"
        self._events_list: list[str] = []

        self._caption = WrapLabel(self)
        self._caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFont(self._caption.font())
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self._caption.setFont(font)
        self._events = WrapLabel(self)
        self._summary = WrapLabel(self)

        self._table = QTableWidget(0, len(COLUMNS), self)
        self._table.setHorizontalHeaderLabels(list(COLUMNS))
        self._table.horizontalHeaderItem(2).setToolTip(
            "dense cosine of each order's caption with the motion (what CAR compares); the "
            "results list shows its own score (fused by default)")
        self._table.verticalHeader().setVisible(False)
        self._table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self._table.setWordWrap(True)  # an order, then its caption wrapped (see _fit_rows)
        # display only: never holds the keyboard focus, so greying it out while busy
        # cannot push the focus on to the caption box below it
        self._table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._table.setTextElideMode(Qt.TextElideMode.ElideRight)
        elide_headers(self._table)  # headers cut on the right with "…"
        header = self._table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        self._table.setColumnWidth(2, 84)
        self._table.setItemDelegateForColumn(2, _BarDelegate(self._table))
        self._table.setMinimumHeight(self.min_table_height())
        # a narrower or wider caption column, or a lower table: rows fitted again
        self._rewrap = QTimer(self)
        self._rewrap.setSingleShot(True)
        self._rewrap.setInterval(0)  # after the layout settles (a scroll bar may come)
        self._rewrap.timeout.connect(self._refit)
        self._reveal_true = False  # new data: the settled fit scrolls to the true order
        header.sectionResized.connect(lambda col, _old, _new: col == 1 and self._rewrap.start())

        self._busy = QProgressBar(self)
        self._busy.setRange(0, 0)  # indeterminate
        self._busy.setTextVisible(False)
        self._busy.setMaximumHeight(6)
        # showing/hiding the bar keeps its space, so it never re-lays out the panel (and the
        # window's docks) twice per selected motion
        policy = self._busy.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self._busy.setSizePolicy(policy)
        self._busy.setVisible(False)

        self._edit = QLineEdit(self)
        self._edit.setPlaceholderText(EMPTY_CAPTION_HINT)
        self._edit.setClearButtonEnabled(True)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self._emit_caption)
        self._edit.textEdited.connect(lambda _text: self._debounce.start())
        self._edit.returnPressed.connect(self._flush)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self._caption)
        layout.addWidget(self._events)
        layout.addWidget(self._summary)
        layout.addWidget(self._busy)
        layout.addWidget(self._table, 1)
        # it holds the caption analysed above (the motion's or the query): edit it to try
        # another wording or order ("Your caption:" read as if the user had typed it)
        # on the box's own line: the table keeps a row more at 1024x640
        self._edit_label = QLabel("Caption:", self)
        tip = ("The caption analysed above; edit it to try your own wording or order (Enter, "
               "or a pause in typing, scores it)")
        self._edit_label.setToolTip(tip)
        self._edit.setToolTip(tip)
        self._edit_label.setBuddy(self._edit)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self._edit_label)
        row.addWidget(self._edit, 1)
        layout.addLayout(row)
        self.clear()

    # ------------------------------------------------------------------ accessors
    @property
    def orders_table(self) -> QTableWidget:
        """The table of event orders (rows best first)."""
        return self._table

    @property
    def caption_edit(self) -> QLineEdit:
        """The editable caption box."""
        return self._edit

    def shown_orders(self) -> list[tuple[str, float, bool]]:
        """The listed ``(caption, similarity, is_true_order)`` rows, best first."""
        return list(self._orders)

    def true_rows(self) -> list[int]:
        """Table rows of the true order (usually one)."""
        return [i for i, (_, _, t) in enumerate(self._orders) if t]

    def best_row(self) -> int | None:
        """Table row of the best-scoring order (row 0 when any), ``None`` when empty."""
        return 0 if self._orders else None

    def summary_text(self) -> str:
        """The one-line verdict shown above the table."""
        return self._summary.text()

    # ------------------------------------------------------------------ data
    def set_data(
        self,
        caption: str,
        events: Sequence[str],
        orders: Sequence[tuple[str, float, bool]],
        order_name: str = "true",
    ) -> None:
        """Show a motion's caption, its events and its scored event orders.

        Also puts ``caption`` in the edit box (without emitting ``captionEdited``); an
        empty caption leaves the box empty with the hint "type a caption to compare".

        Args:
            caption: the caption as written.
            events: the events the parser found, in true order.
            orders: ``(joined caption, similarity, is_true_order)`` per event order;
                similarity is the model's motion-text score (cosine, unitless). Sorted best
                first for display; beyond ``MAX_ORDERS`` the lowest-scoring wrong orders are
                dropped.
            order_name: what the written order is called in the marks and the verdict
                (``"true"`` for a motion's caption, ``"query"`` for the query's order).

        Raises:
            ValueError: when an order is not ``(str, finite number, bool)`` or an event is
                not a str (the message gives the index).
        """
        for i, ev in enumerate(events):
            if not isinstance(ev, str):
                raise ValueError(f"events[{i}]: expected a str, got {type(ev).__name__}")
        checked = check_orders(orders)
        ranked = sorted(checked, key=lambda o: -o[1])
        shown = ranked[:MAX_ORDERS]
        missing_true = [o for o in ranked[MAX_ORDERS:] if o[2]]
        if missing_true:
            shown = ranked[: MAX_ORDERS - len(missing_true)] + missing_true
        self._orders = shown
        self._order_name = order_name
        self._events_list = [str(e) for e in events]

        self._caption.setText(caption or "(no caption)")
        self._caption.setToolTip(caption)
        if events:
            steps = "  \u2192  ".join(f"{k}. {e}" for k, e in enumerate(events, start=1))
            self._events.setText(f"Events ({len(events)}): {steps}")
        else:  # no caption: nothing was looked for ("none found" read as a parser miss)
            self._events.setText("Events: none found" if caption else "")
        self._events.setVisible(bool(self._events.text()))
        summary = (order_verdict(ranked, order_name) if caption or ranked else
                   NO_CAPTION_SUMMARY)
        summary += poor_note(ranked) + scored_note(len(ranked), distinct_orders(events))
        self._summary.setText(summary)
        self._fill_table()
        typing = self._edit.hasFocus() and self._edit.isModified() and self._edit.text()
        if typing and self._edit.text().strip() == caption.strip():
            self._edit.setModified(False)  # the typed caption's own analysis: shown now, so
            # the next caption shown (the query's, another result's) replaces it in the box
        elif not typing:  # only text the user is typing is kept; setText clears isModified
            self._edit.setText(caption)  # setText does not emit textEdited; "" shows the hint
            self._edit.setCursorPosition(0)
        self._edit.setEnabled(True)
        self._last_emitted = None

    def _fill_table(self) -> None:
        self._table.setRowCount(len(self._orders))
        bold = QFont(self._table.font())
        bold.setBold(True)
        best_bg = QColor(ACCENT_HEX)
        best_bg.setAlpha(60)
        true_fg = QColor(_TRUE_HEX)
        tied = tied_rows(self._orders)  # equal best scores: no one order is "best"
        for row, (text, sim, is_true) in enumerate(self._orders):
            marks = []
            if is_true:
                marks.append(f"\u2713 {self._order_name}")
            if row < tied:
                marks.append("best" if tied == 1 else "tied")
            steps = order_steps(text, self._events_list)
            # the order on its own line, the caption under it with the column's whole width
            # (wrapped): four events' "4 → 1 → 2 → 3" left no room to read it
            cells = ["\n".join(marks), f"{steps}\n{text}" if steps else text, f"{shown(sim):.3f}"]
            for col, value in enumerate(cells):
                item = QTableWidgetItem(value)
                if col == 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                    item.setData(BAR_ROLE, float(min(max(sim, -1.0), 1.0)))
                    item.setData(BAR_ROLE + 1, bool(is_true))
                    if sim < 0:
                        item.setToolTip(NEGATIVE_TIP)
                if col == 1:
                    item.setToolTip(text)
                if is_true:
                    item.setFont(bold)
                    if col == 0:
                        item.setForeground(QBrush(true_fg))
                if row < tied:
                    item.setBackground(QBrush(best_bg))
                self._table.setItem(row, col, item)
        self._fit_rows()
        self._show_true_row()  # only for new data: not on a resize (review 36 #11)
        self._reveal_true = True
        self._rewrap.start()  # again once the layout settles

    def _fit_rows(self) -> None:
        """Rows fitted to their text, each caption wrapped whole under its order; when the
        rows down to the (first) true order's would not fit the table so, each row is two
        lines (the order, then the caption cut with "…", whole in its tooltip): at 1024x640
        the best row took 4 lines and hid the query's own order (GUI audit 36 #8)."""
        t = self._table
        true = self.true_rows()
        t.setWordWrap(True)
        t.resizeRowsToContents()
        if true and sum(t.rowHeight(r) for r in range(true[0] + 1)) > t.viewport().height():
            t.setWordWrap(False)
            t.resizeRowsToContents()

    def min_table_height(self) -> int:
        """The table's least height, pixels: its header and two rows in their two-line form
        (the best order and the next, usually the query's), so a short dock scrolls
        rather than squeezing the table to one row (GUI audit w38 #1: at 1024x640 it kept
        1.5 rows, the best one scrolled off)."""
        t = self._table
        row = 2 * t.fontMetrics().lineSpacing() + 8  # two lines and the cell's margins
        return t.horizontalHeader().sizeHint().height() + 2 * row + 2 * t.frameWidth()

    def _show_true_row(self) -> None:
        """Scroll to the top (the best order) and then, only as far as needed, to the
        (first) true order's row, the one the user asked about."""
        self._table.scrollToTop()
        true = self.true_rows()
        if true and self._table.item(true[0], 0) is not None:
            self._table.scrollToItem(self._table.item(true[0], 0),
                                     QAbstractItemView.ScrollHint.EnsureVisible)

    def _refit(self) -> None:
        """Rows fitted again once the layout settled, or after a resize or a caption column
        drag; only new data (:meth:`_fill_table`) scrolls to the true order, so a user who
        scrolled to read other orders keeps them (review 36 #11)."""
        self._fit_rows()
        if self._reveal_true and self.isVisible():  # a hidden panel waits for showEvent
            self._reveal_true = False
            self._show_true_row()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """A lower or higher panel fits its rows again (:meth:`_refit`)."""
        super().resizeEvent(event)
        self._rewrap.start()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        """New data set while the panel was hidden (a tabbed dock) is fitted and scrolled
        to its true order when the panel shows."""
        super().showEvent(event)
        if self._reveal_true:
            self._rewrap.start()

    def clear(self) -> None:
        """Show an empty panel, its caption box empty and off: with no motion there is
        nothing to score a caption against (it invited typing with no gallery open, GUI
        audit w38 #8); :meth:`set_data` turns it on."""
        self._orders = []
        self._edit.clear()
        self._edit.setEnabled(False)
        self._caption.setText("(no motion selected)")
        self._events.setText("")
        self._summary.setText("")
        self._table.setRowCount(0)

    def set_box_label(self, text: str) -> None:
        """The caption box's label, what it holds: ``"Query:"``, ``"Caption:"`` or ``"Your
        text:"`` (it read "Caption:" over the query, GUI audit B #14)."""
        self._edit_label.setText(text)

    def box_label(self) -> str:
        """The caption box's label."""
        return self._edit_label.text()

    def set_caption_visible(self, visible: bool) -> None:
        """Show or hide the caption line (hidden when the caption is the query, which the
        query box already shows)."""
        self._caption.setVisible(bool(visible))

    def set_busy(self, busy: bool) -> None:
        """Show (``True``) or hide the busy indicator while similarities are computed."""
        self._busy.setVisible(bool(busy))
        self._table.setEnabled(not busy)

    def is_busy(self) -> bool:
        """Whether the busy indicator is shown."""
        return not self._busy.isHidden()

    # ------------------------------------------------------------------ editing
    def _flush(self) -> None:
        self._debounce.stop()
        self._emit_caption()

    def _emit_caption(self) -> None:
        text = self._edit.text().strip()
        if not text or text == self._last_emitted:
            return
        self._last_emitted = text
        self.captionEdited.emit(text)
