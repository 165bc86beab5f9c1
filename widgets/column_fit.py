"""Table columns sized to their content, capped by the view's width.

:func:`fit_columns` gives every column that is not stretched the width of its widest text
(and of its header, measured bold), never more than a share of the view's width: a longer
text is elided in its cell and whole in its tooltip (:mod:`motionlex.widgets.elide`). Room
the stretched columns (the caption) leave unused goes to the capped ones. The widths are
applied again whenever the view is resized or shown (a tabbed dock's table is filled while
hidden, at no real width).

Columns given a least width (``least`` of :func:`fit_columns`, e.g. :func:`kept_width`)
give way in this order as the view narrows: the stretched columns shrink to their least
widths first, then the fitted columns listed shrink from their share to their least
widths, and only then is such a fitted column hidden (the results list's id: the caption
yields room before the id goes; a stretched column may keep more, ``least_alone``, once
every such column is hidden). Fitted columns given a floor (``floor``, e.g. the results
list's score) narrow down to it, never hidden, as far as the others need: to keep a least
width column shown at its least width, else to keep the stretched columns at theirs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QHeaderView, QTableView

from motionlex.widgets.elide import ELLIPSIS

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
        self.least: dict[int, int] = {}  # fitted column -> least width (hidden below it)
        self.stretch_least = 0  # least width of the stretched columns together
        self.stretch_alone = 0  # ... once every fitted column with a least width is hidden
        self.floor: dict[int, int] = {}  # fitted column -> width it may narrow to (shown)
        view.installEventFilter(self)
        self._viewport = view.viewport()  # resized after the view: apply again then
        self._viewport.installEventFilter(self)

    def apply(self) -> None:
        view, hh = self.view, self.view.horizontalHeader()
        width = max(view.viewport().width(), view.width())
        cap = max(60, int(width * self.max_fraction))
        room = view.viewport().width()  # where the columns are (no scroll bar, no frame)
        sizes = {col: max(min(need, cap), self.least.get(col, 0))
                 for col, need in enumerate(self.needs) if need is not None and col < hh.count()}
        # the columns with a least width give way after the stretched ones reach theirs:
        # narrowed down to their least width, then hidden
        avail = room - self.stretch_least - sum(
            size for col, size in sizes.items()
            if col not in self.least and not view.isColumnHidden(col))
        floors = {col: min(self.floor[col], sizes[col]) for col in self.floor
                  if col in sizes and col not in self.least and not view.isColumnHidden(col)}
        slack = sum(sizes[col] - floor for col, floor in floors.items())
        for col in sorted(c for c in self.least if c in sizes):
            fits = avail + slack >= self.least[col]  # the floored columns narrowed
            if view.isColumnHidden(col) == fits:
                view.setColumnHidden(col, not fits)
            if fits:
                sizes[col] = min(sizes[col], max(avail, self.least[col]))
                avail -= sizes[col]
        if self.least and all(view.isColumnHidden(c) for c in self.least if c in sizes):
            avail -= max(0, self.stretch_alone - self.stretch_least)  # the floors narrow
        # the floored columns narrow as far as the rest needs (avail < 0), down to floor
        for col, floor in floors.items():
            cut = min(max(0, -avail), sizes[col] - floor)
            sizes[col], avail = sizes[col] - cut, avail + cut
        # room the stretched columns (the caption) would leave empty goes to capped ones:
        # measured in the viewport, where the columns are (the view's width counts its
        # scroll bar and frame, which cut the caption by as much)
        spare = 0 if self.stretch_need is None else room - self.stretch_need - sum(
            size for col, size in sizes.items() if not view.isColumnHidden(col))
        for col, size in sizes.items():
            need = self.needs[col]
            if need > size and spare > 0 and not view.isColumnHidden(col):
                grow = min(need - size, spare)
                size, spare = size + grow, spare - grow
            if hh.sectionSize(col) != size:
                hh.resizeSection(col, size)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show) and (
                watched is self.view or watched is self._viewport):
            self.apply()
        return False

def fit_columns(view: QTableView, texts: Sequence[Sequence[str]],
                max_fraction: float = 0.45, least: Mapping[int, int] | None = None,
                floor: Mapping[int, int] | None = None,
                least_alone: Mapping[int, int] | None = None) -> None:
    """Size every column that is not stretched to its widest text (and header), now and
    whenever the view is resized or shown.

    Args:
        view: the table view.
        texts: per column, the display strings of its rows (e.g.
            ``RecordTableModel.column_texts(c)``); a stretched column is left alone.
        max_fraction: no column gets more than this share of the view's width (the rest is
            elided, the full text stays in the tooltip); at least 60 px; more only where the
            stretched columns' texts (when given) leave room unused.
        least: column -> least width, pixels (never more than the column needs). A
            stretched column listed keeps it before a fitted column listed is narrowed
            below its share of the width; a fitted column listed is shown at least that
            wide, or hidden when the view is too narrow for it beside the other columns.
        floor: fitted column -> width, pixels, it may narrow to (never hidden, its header
            elided) where the view is too narrow for the least widths beside it.
        least_alone: stretched column -> least width, pixels, once every fitted column
            given a least width is hidden (the floors narrow for it); default its ``least``.
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
    fitter.least, fitter.stretch_least, fitter.stretch_alone = {}, 0, 0
    fitter.floor = dict(floor or {})
    least = least or {}
    alone = {**least, **(least_alone or {})}
    for col, column_texts in enumerate(texts):
        title = str(model.headerData(col, Qt.Orientation.Horizontal) or "") if model else ""
        # measure only the longest strings by characters: 10,000 rows stay cheap
        sample = sorted(set(column_texts), key=len)[-_LONGEST_SAMPLE:]
        widest = max([fm.horizontalAdvance(t) for t in sample] or [0])
        need = max(widest, hfm.horizontalAdvance(title) + 12) + CELL_PADDING_PX
        if hh.sectionResizeMode(col) != QHeaderView.ResizeMode.Stretch:
            fitter.needs.append(need)
            if col in least:
                fitter.least[col] = min(need, least[col])
            continue
        fitter.needs.append(None)
        if not view.isColumnHidden(col):
            fitter.stretch_least += min(need, least.get(col, 0))
            fitter.stretch_alone += min(need, alone.get(col, 0))
        if fitter.stretch_need is not None and not view.isColumnHidden(col):
            fitter.stretch_need = None if not column_texts else fitter.stretch_need + need
    fitter.apply()


def header_width(view: QTableView, col: int) -> int:
    """Width of column ``col`` of ``view`` that shows its header title whole (measured
    bold, as some styles draw it), padding included; a least width or floor below it clips
    the title mid-word ("ptic" for "caption", audit 35 #1)."""
    model = view.model()
    title = str(model.headerData(col, Qt.Orientation.Horizontal) or "") if model else ""
    bold = QFont(view.horizontalHeader().font())
    bold.setBold(True)
    return QFontMetrics(bold).horizontalAdvance(title) + CELL_PADDING_PX


def kept_width(view: QTableView, texts: Sequence[str], kept: int, *, end: bool = False) -> int:
    """Width of a column of ``view`` that shows ``kept`` characters of its widest text and
    "…": its start (``"a person waves t…"``), or with ``end`` its end (``"…_normal_030"``,
    the part of an id that tells takes apart), padding included; the whole text's width
    when it has no more than ``kept`` characters; 0 for no texts.

    Args:
        view: the table view (its font).
        texts: the column's display strings (a sample: the longest are measured).
        kept: characters kept.
        end: keep the end instead of the start.
    """
    fm = view.fontMetrics()
    sample = sorted(set(texts), key=len)[-_LONGEST_SAMPLE:]
    if not sample:
        return 0
    widest = max(sample, key=fm.horizontalAdvance)
    shown = widest if len(widest) <= kept else (
        ELLIPSIS + widest[-kept:] if end else widest[:kept] + ELLIPSIS)
    return fm.horizontalAdvance(shown) + CELL_PADDING_PX
