"""Text that fits: elide on the right with "…", keep the full text in a tooltip.

One rule for every view of the explorer: a text that does not fit its cell keeps its
beginning and ends in "…" (``Qt.ElideRight``), and the full text is one hover away. The
helpers here give custom-painted widgets the elided string to paint (so tests can read what
is painted) and give table views headers that elide on the right and columns sized to their
content.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFont, QFontMetrics, QFontMetricsF
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
)

ELLIPSIS = "\u2026"
"""The character an elided text ends with."""

_LONGEST_SAMPLE = 64  # strings measured per column (the longest by character count)

CELL_PADDING_PX = 16
"""Width added to a column's widest text: the cell's margins and the sort arrow's room."""


def elide_right(text: str, metrics: QFontMetrics | QFont, width: int) -> str:
    """``text`` cut on the right to fit ``width`` pixels, ending in "…" when cut.

    Args:
        text: the full text.
        metrics: the font (or its metrics) the text is painted with; give the bold font's
            metrics for bold text, or the cut text overflows.
        width: room in pixels (``<= 0`` gives ``""``).

    Returns:
        ``text`` itself when it fits, else its longest prefix that fits followed by "…"
        (possibly "…" alone, or ``""`` when not even that fits).
    """
    fm = metrics if isinstance(metrics, QFontMetrics) else QFontMetrics(metrics)
    if width <= 0:
        return ""
    return fm.elidedText(text, Qt.TextElideMode.ElideRight, int(width))


def is_elided(shown: str, full: str) -> bool:
    """Whether ``shown`` is ``full`` cut on the right by :func:`elide_right`."""
    return shown != full and shown.endswith(ELLIPSIS) and full.startswith(shown[:-1])


def elide_headers(view: QAbstractItemView) -> None:
    """Make a table view's cells and its horizontal header elide on the right (the header's
    own default cuts in the middle or not at all, depending on the style)."""
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    if isinstance(view, QTableView):
        view.horizontalHeader().setTextElideMode(Qt.TextElideMode.ElideRight)


_ID_SEPARATORS = "_-. "


def shared_name_start(names: Sequence[str]) -> str:
    """The start every name shares, up to and including its last id separator (``_``,
    ``-``, ``.``, space): ``"bn2_wave-left-hand_"`` for ``bn2_wave-left-hand_normal_023``
    and ``bn2_wave-left-hand_active_017``; ``""`` when none (or one name). From the least
    and the greatest name alone (the prefix all of them share)."""
    names = [n for n in names if n]
    if len(names) < 2:
        return ""
    lo, hi = min(names), max(names)
    common = os.path.commonprefix([lo, hi])
    cut = max(common.rfind(c) for c in _ID_SEPARATORS) + 1
    return lo[:cut] if all(len(n) > cut for n in (lo, hi)) else ""


Metrics = QFontMetrics | QFontMetricsF


def elide_id(text: str, metrics: Metrics | QFont, width: float, shared: str = "") -> str:
    """An id (``"raw_bvh/bandai_2_wave-right-hand_normal_001"``) cut to fit ``width`` pixels:
    its folders go first (``"…/bandai_2_wave-right-hand_normal_001"``), then the middle of
    its name, keeping its last part whole (the take number: ``"bandai_2_wave-ri…_001"``)
    and giving the rest of the room to its start, where the action usually is (an even
    middle cut, ``"bandai_2…mal_001"``, kept only a collection prefix on every row). A
    name without separators, or whose last part would take over half the room, is cut in
    the middle.

    Args:
        text: the full id; ``"/"`` separates folders.
        metrics: the font (or its metrics) the id is painted with; float metrics
            (``QFontMetricsF``) measure as Qt's item views do, which cut again a text
            rounded down to fit.
        width: room in pixels (``<= 0`` gives ``""``).
        shared: the start its neighbours share (:func:`shared_name_start`), cut before the
            middle is: "…normal_023" tells two takes of one action apart where
            "bn2_wave-le…_023" did not.

    Returns:
        ``text`` when it fits, else the cut id (with "…").
    """
    fm = metrics if isinstance(metrics, QFontMetrics | QFontMetricsF) else QFontMetrics(metrics)
    if width <= 0:
        return ""
    if fm.horizontalAdvance(text) <= width:
        return text
    name = text.rstrip("/").rsplit("/", 1)[-1]
    if name != text:
        short = ELLIPSIS + "/" + name
        if fm.horizontalAdvance(short) <= width:
            return short
    if shared and name.startswith(shared) and len(name) > len(shared):
        rest = ELLIPSIS + name[len(shared):]
        if fm.horizontalAdvance(rest) <= width:
            return rest
    cut = max(name.rfind(c) for c in _ID_SEPARATORS)
    tail = name[cut:] if cut > 0 else ""
    tail_w = fm.horizontalAdvance(ELLIPSIS + tail)
    if not tail or 2 * tail_w > width:
        return fm.elidedText(name, Qt.TextElideMode.ElideMiddle, int(width))
    head = name[:cut]
    while head and fm.horizontalAdvance(head) + tail_w > width:
        head = head[:-1]
    return head + ELLIPSIS + tail if head else fm.elidedText(
        name, Qt.TextElideMode.ElideMiddle, int(width))


class MiddleElideDelegate(QStyledItemDelegate):
    """Id cells cut by :func:`elide_id`: folders first, then the start the column's ids
    share ("…normal_030" among takes of one action), then the middle of the name
    ("bn2_wave-left-h…_030"), keeping the start (the action, often) and the take number.

    The shared start comes from the model's ``shared_name_start(column)`` when it has one
    (:class:`~motionlex.widgets.record_model.RecordTableModel`), through a proxy too. The
    room is the cell's text rectangle as the style lays it out, less the margins Qt's
    item views keep inside it, measured in float pixels: a cut a pixel too wide was cut
    again by Qt ("…walk_e…rly_016")."""

    def initStyleOption(self, option: QStyleOptionViewItem, index) -> None:  # noqa: N802
        """Qt override: the default options with the id cut to the cell's text room."""
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle
        if not option.text:
            return
        room = text_room(option)
        if room > 0:
            model = index.model()
            while hasattr(model, "sourceModel") and model.sourceModel() is not None:
                model = model.sourceModel()  # through proxies: same column
            shared = (model.shared_name_start(index.column())
                      if hasattr(model, "shared_name_start") else "")
            option.text = elide_id(option.text, QFontMetricsF(option.font), room, shared)


def text_room(option: QStyleOptionViewItem) -> int:
    """Pixels an item view paints a cell's text in: the style's text rectangle
    (``SE_ItemViewItemText``: the cell less its check box and icon) less the focus-frame
    margin Qt's item views keep on each side of it (``qcommonstyle.cpp``, viewItemDrawText)."""
    widget = option.widget
    style = widget.style() if widget is not None else QApplication.style()
    rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, widget)
    margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1
    return rect.width() - 2 * margin


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


ID_KEPT = 12
"""Characters of an item's id a heading keeps before it drops the name in front of it."""


def elide_heading(title: str, count: str, metrics: QFontMetrics | QFont, width: int, *,
                  item_id: str = "") -> str:
    """A column heading ``title + count`` (``"result bn2_wave-right-hand_normal_001"`` and
    ``"  (3 shared)"``) cut to fit ``width`` pixels.

    With ``item_id`` (the end of ``title``, after a name such as ``"result "``), the id is
    what stays: cut in its middle (:func:`elide_id`, its take number kept), the name goes
    first when the id would keep fewer than :data:`ID_KEPT` characters, then the count.
    Otherwise the title is cut on the right and the count kept whole
    (``"motion demo_c… (3 shared)"``), unless that leaves fewer than six characters of the
    title: then the count is cut too.

    Returns:
        ``title + count`` when it fits, else the cut heading (with "…").
    """
    fm = metrics if isinstance(metrics, QFontMetrics) else QFontMetrics(metrics)
    full = title + count
    if fm.horizontalAdvance(full) <= width:
        return full
    tail = " " + count.strip() if count else ""  # one space: the room goes to the title
    if item_id:
        name = title[: -len(item_id)]
        room = width - fm.horizontalAdvance(tail)
        with_name = name + elide_id(item_id, fm, room - fm.horizontalAdvance(name))
        if len(with_name[len(name):].replace(ELLIPSIS, "")) >= min(ID_KEPT, len(item_id)):
            return with_name + tail
        for t in dict.fromkeys((tail, "")):
            cut = elide_id(item_id, fm, width - fm.horizontalAdvance(t))
            if len(cut.replace(ELLIPSIS, "")) >= min(6, len(item_id)):
                return cut + t
    if not count:
        return elide_right(full, fm, width)
    cut = elide_right(title, fm, width - fm.horizontalAdvance(tail))
    if len(cut.rstrip(ELLIPSIS)) >= min(6, len(title)):
        return cut + tail
    return elide_right(full, fm, width)


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


def common_path_prefix(values: Sequence[str], sep: str = "/") -> str:
    """The longest prefix every value shares that ends in ``sep`` (``""`` when none).

    Ids such as ``demo-v1/demo_s117`` all start with their collection's name; a column that
    shows the part after this prefix shows what differs between rows.

    Args:
        values: the strings (e.g. every row's id).
        sep: the separator a prefix must end with.

    Returns:
        e.g. ``"demo-v1/"`` for ``["demo-v1/a", "demo-v1/b"]``; ``""`` for no values, no
        shared part or a value that the prefix would empty.
    """
    if not values:
        return ""
    lo, hi = min(values), max(values)  # the common prefix of all = that of the extremes
    n = 0
    while n < min(len(lo), len(hi)) and lo[n] == hi[n]:
        n += 1
    cut = lo.rfind(sep, 0, n) + 1
    prefix = lo[:cut]
    return "" if any(len(v) <= cut for v in values) else prefix
