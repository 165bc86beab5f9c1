"""Text that fits: elide on the right with "…", keep the full text in a tooltip.

One rule for every view of the explorer: a text that does not fit its cell keeps its
beginning and ends in "…" (``Qt.ElideRight``), and the full text is one hover away. The
helpers here give custom-painted widgets the elided string to paint (so tests can read what
is painted) and give table views headers that elide on the right. Ids are the one
exception, cut on the left (:func:`elide_id`: "…elderly_027"), as their end tells takes
apart. Columns sized to their content are :mod:`motionlex.widgets.column_fit`.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics, QFontMetricsF
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
)

ELLIPSIS = "\u2026"
"""The character an elided text ends with."""


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


_ID_SEPARATORS = "_-. /"

_SNAP = 4
"""Characters (a folder name's end) a cut id's end may give up to start at a folder:
"…/bandai_2_wave…", not "…h/bandai_2_wave…". Never within the name: a cut that started at
the name's next word cut four actions' takes to the same "…normal_001" (GUI audit B #4)."""

Metrics = QFontMetrics | QFontMetricsF


def _last_part(name: str) -> str:
    """``name`` from its last id separator on (the take number, ``"_027"``); ``""`` when it
    has none."""
    cut = max(name.rfind(c) for c in _ID_SEPARATORS)
    return name[cut:] if cut > 0 else ""


def elide_id(text: str, metrics: Metrics | QFont, width: float) -> str:
    """An id cut to fit ``width`` pixels, one way only: "…" and the longest end of the id
    that fits, so every cut id of a column reads alike and keeps what follows the action
    (``"bn2_wave-left-hand_elderly_027"`` -> ``"…hand_elderly_027"``, ``"…elderly_027"``):
    the style and the take number, which tell the takes of one action apart (the caption
    beside it says the action), and the side where the action ends with it
    (``"…left_normal_014"``). The end starts at a folder's ``/`` when that costs at most
    :data:`_SNAP` characters, else wherever the room ends, mid-word: "…ash_normal_001"
    still names the dash take, where starting at the next word ("…normal_001") read the
    same for the dash, punch and wave takes (GUI audit B #4). Two ids are so cut to the
    same text only where no character that tells them apart fits.

    One rule for every row: a cut that looked at the neighbouring rows or sought a text no
    other row had read three ways in three rows, with two "…" in one cell
    ("…turn-left_e…_019" under "bn…-right_old_001", GUI audit w38 #2).

    Args:
        text: the full id (``"raw_bvh/bandai_2_wave-right-hand_normal_001"``).
        metrics: the font (or its metrics) the id is painted with; float metrics
            (``QFontMetricsF``) measure as Qt's item views do, which cut again a text
            rounded down to fit.
        width: room in pixels (``<= 0`` gives ``""``).

    Returns:
        ``text`` when it fits, else "…" and an end of it (at most one "…"); ``""`` when not
        even "…" fits.
    """
    fm = metrics if isinstance(metrics, QFontMetrics | QFontMetricsF) else QFontMetrics(metrics)
    if width <= 0:
        return ""
    if fm.horizontalAdvance(text) <= width:
        return text
    lo, hi = 0, len(text)  # the fewest leading characters to drop: binary search
    while lo < hi:
        mid = (lo + hi) // 2
        if fm.horizontalAdvance(ELLIPSIS + text[mid:]) <= width:
            hi = mid
        else:
            lo = mid + 1
    if lo >= len(text):
        return ELLIPSIS if fm.horizontalAdvance(ELLIPSIS) <= width else ""
    take = len(text) - len(_last_part(text))
    for k in range(lo, min(lo + _SNAP + 1, take)):  # start at a folder when it costs little
        if text[k] == "/":
            return ELLIPSIS + text[k:]
    return ELLIPSIS + text[lo:]


class IdElideDelegate(QStyledItemDelegate):
    """Id cells cut by :func:`elide_id`: "…" and the longest end that fits, the same way
    in every row. The room is the cell's text rectangle as the style lays it out, less
    the margins Qt's item views keep inside it, measured in float pixels: a cut a pixel
    too wide was cut again by Qt ("…walk_e…rly_016").

    Args:
        parent: the view.
    """

    def initStyleOption(self, option: QStyleOptionViewItem, index) -> None:  # noqa: N802
        """Qt override: the default options with the id cut to the cell's text room."""
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideLeft
        if option.text:
            room = text_room(option)
            if room > 0:
                option.text = elide_id(option.text, QFontMetricsF(option.font), room)


def text_room(option: QStyleOptionViewItem) -> int:
    """Pixels an item view paints a cell's text in: the style's text rectangle
    (``SE_ItemViewItemText``: the cell less its check box and icon) less the focus-frame
    margin Qt's item views keep on each side of it (``qcommonstyle.cpp``, viewItemDrawText)."""
    widget = option.widget
    style = widget.style() if widget is not None else QApplication.style()
    rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, widget)
    margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1
    return rect.width() - 2 * margin


ID_KEPT = 12
"""Characters of an item's id a heading keeps before it drops the name in front of it."""


def elide_heading(title: str, count: str, metrics: QFontMetrics | QFont, width: int, *,
                  item_id: str = "") -> str:
    """A column heading ``title + count`` (``"result bn2_wave-right-hand_normal_001"`` and
    ``"  (3 shared)"``) cut to fit ``width`` pixels.

    With ``item_id`` (the end of ``title``, after a name such as ``"result "``), the id is
    what stays: cut at its start (:func:`elide_id`, its take number kept), the name goes
    first when the id would keep fewer than :data:`ID_KEPT` characters, then the count
    ("…normal_001 (4 shared)" did not say which of a gallery's takes it was).
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
        for t, least in dict.fromkeys(((tail, ID_KEPT), ("", 6))):  # the count goes before
            cut = elide_id(item_id, fm, width - fm.horizontalAdvance(t))  # the id is cut to
            if len(cut.replace(ELLIPSIS, "")) >= min(least, len(item_id)):  # its take alone
                return cut + t
    if not count:
        return elide_right(full, fm, width)
    cut = elide_right(title, fm, width - fm.horizontalAdvance(tail))
    if len(cut.rstrip(ELLIPSIS)) >= min(6, len(title)):
        return cut + tail
    return elide_right(full, fm, width)


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
