"""Table columns sized to their content, capped by the view's width.

:func:`fit_columns` gives every column that is not stretched the width of its widest text
(and of its header, measured bold), never more than a share of the view's width: a longer
text is elided in its cell and whole in its tooltip (:mod:`motionlex.widgets.elide`). Room
the stretched columns (the caption) leave unused goes to the capped ones. The widths are
applied again whenever the view is resized or shown (a tabbed dock's table is filled while
hidden, at no real width).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QHeaderView, QTableView

_LONGEST_SAMPLE = 64  # strings measured per column (the longest by character count)

CELL_PADDING_PX = 16
"""Width added to a column's widest text: the cell's margins and the sort arrow's room."""


class _ColumnFitter(QObject):
    """Keeps a table's columns at their content widths, capped by the view's width, and
    applies the cap again whenever the view is resized or shown (a tabbed dock's table is
    filled while hidden, at no real width)."""

    def __init__(self, view: QTableView) -> None:
        super().__init__(view)
        self.view = view
        self.needs: list[int | None] = []  # per column: width its content needs (None: stretch)
        self.stretch_need: int | None = None  # what the stretched columns need (None: all)
        self.max_fraction = 0.45
        view.installEventFilter(self)
        self._viewport = view.viewport()  # resized after the view: apply again then
        self._viewport.installEventFilter(self)

    def apply(self) -> None:
        hh = self.view.horizontalHeader()
        width = max(self.view.viewport().width(), self.view.width())
        cap = max(60, int(width * self.max_fraction))
        # room the stretched columns (the caption) would leave empty goes to capped ones:
        # measured in the viewport, where the columns are (the view's width counts its
        # scroll bar and frame, which cut the caption by as much)
        spare = 0 if self.stretch_need is None else self.view.viewport().width() - \
            self.stretch_need - sum(
            min(n, cap) for c, n in enumerate(self.needs)
            if n is not None and not self.view.isColumnHidden(c))
        for col, need in enumerate(self.needs):
            if need is None or col >= hh.count():
                continue
            size = min(need, cap)
            if need > cap and spare > 0 and not self.view.isColumnHidden(col):
                grow = min(need - cap, spare)
                size, spare = size + grow, spare - grow
            if hh.sectionSize(col) != size:
                hh.resizeSection(col, size)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show) and (
                watched is self.view or watched is self._viewport):
            self.apply()
        return False

def fit_columns(view: QTableView, texts: Sequence[Sequence[str]],
                max_fraction: float = 0.45) -> None:
    """Size every column that is not stretched to its widest text (and header), now and
    whenever the view is resized or shown.

    Args:
        view: the table view.
        texts: per column, the display strings of its rows (e.g.
            ``RecordTableModel.column_texts(c)``); a stretched column is left alone.
        max_fraction: no column gets more than this share of the view's width (the rest is
            elided, the full text stays in the tooltip); at least 60 px; more only where the
            stretched columns' texts (when given) leave room unused.
    """
    hh = view.horizontalHeader()
    fm = view.fontMetrics()
    bold = QFont(hh.font())
    bold.setBold(True)  # some styles draw header labels bold: measure the wider
    hfm = QFontMetrics(bold)
    model = view.model()
    fitter = view.findChild(_ColumnFitter)
    if fitter is None:
        fitter = _ColumnFitter(view)
    fitter.max_fraction = max_fraction
    fitter.needs, fitter.stretch_need = [], 0
    for col, column_texts in enumerate(texts):
        title = str(model.headerData(col, Qt.Orientation.Horizontal) or "") if model else ""
        # measure only the longest strings by characters: 10,000 rows stay cheap
        sample = sorted(set(column_texts), key=len)[-_LONGEST_SAMPLE:]
        widest = max([fm.horizontalAdvance(t) for t in sample] or [0])
        need = max(widest, hfm.horizontalAdvance(title) + 12) + CELL_PADDING_PX
        if hh.sectionResizeMode(col) != QHeaderView.ResizeMode.Stretch:
            fitter.needs.append(need)
            continue
        fitter.needs.append(None)
        if fitter.stretch_need is not None and not view.isColumnHidden(col):
            fitter.stretch_need = None if not column_texts else fitter.stretch_need + need
    fitter.apply()
