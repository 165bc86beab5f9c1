"""Text that fits: elide on the right with "…", keep the full text in a tooltip.

One rule for every view of the explorer: a text that does not fit its cell keeps its
beginning and ends in "…" (``Qt.ElideRight``), and the full text is one hover away. The
helpers here give custom-painted widgets the elided string to paint (so tests can read what
is painted) and give table views headers that elide on the right. Columns sized to their
content are :mod:`motionlex.widgets.column_fit`.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Iterable, Sequence

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


def _last_part(name: str) -> str:
    """``name`` from its last id separator on (the take number, ``"_027"``); ``""`` when it
    has none."""
    cut = max(name.rfind(c) for c in _ID_SEPARATORS)
    return name[cut:] if cut > 0 else ""


class DistinctNames:
    """The names (ids without their folders) of one id column, to keep a cut name telling
    its row apart. A cut keeps a start and an end of its name (``head…tail``) or, after
    the start every name shares, a stretch of its middle and an end (``…middle…tail``):
    it can be no other name's cut when no other name has that start (or that stretch)
    and that end.

    Names are grouped by their last part (a tail keeps it whole) and sorted: a check of a
    start is a binary search in one group.

    Args:
        names: every name of the column (repeats are fine).
    """

    def __init__(self, names: Iterable[str]) -> None:
        groups: dict[str, list[str]] = {}
        for n in set(names):
            groups.setdefault(_last_part(n), []).append(n)
        self._groups = {k: sorted(v) for k, v in groups.items()}
        self._all = sorted(n for v in groups.values() for n in v)
        self.cuts: dict[tuple, str] = {}
        """Cuts made for these names (:class:`MiddleElideDelegate`'s cache: a repaint
        cuts every visible cell again)."""

    def _group(self, name: str) -> list[str]:
        last = _last_part(name)
        return self._groups.get(last, []) if last else self._all

    def tells_apart(self, name: str, head: str, tail: str) -> bool:
        """Whether no other name starts with ``head`` and ends with ``tail`` (``tail``
        ends with ``name``'s last part, or ``name`` has none)."""
        group = self._group(name)
        i = bisect_left(group, head)
        while i < len(group) and group[i].startswith(head):
            other = group[i]
            if other != name and other.endswith(tail) and len(other) >= len(head) + len(tail):
                return False
            i += 1
        return True

    def middle_tells_apart(self, name: str, middle: str, tail: str) -> bool:
        """Whether no other name holds ``middle`` before an end ``tail`` (as
        :meth:`tells_apart`, for a cut ``…middle…tail``)."""
        return not any(other != name and other.endswith(tail)
                       and middle in other[: len(other) - len(tail)]
                       for other in self._group(name))


Metrics = QFontMetrics | QFontMetricsF

_CUTS_KEPT = 4096  # cuts cached per column (cleared when more)


def _fit_head(text: str, suffix: str, fm: Metrics, width: float) -> str:
    """The longest start of ``text`` that fits ``width`` pixels followed by ``suffix``."""
    room = width - fm.horizontalAdvance(suffix)
    if room <= 0:
        return ""
    n = len(fm.elidedText(text, Qt.TextElideMode.ElideRight, room + fm.horizontalAdvance(
        ELLIPSIS)).removesuffix(ELLIPSIS))  # a first guess, then exact on the whole string
    while n < len(text) and fm.horizontalAdvance(text[: n + 1] + suffix) <= width:
        n += 1
    while n and fm.horizontalAdvance(text[:n] + suffix) > width:
        n -= 1
    return text[:n]


_MIDDLE_KEPT = 3
"""Characters a stretch of an id's middle keeps before a cut that keeps fewer (``"…w…"``)
is tried."""


def _distinct_cut(name: str, fm: Metrics, width: float, shared: str,
                  names: DistinctNames) -> str | None:
    """A cut of ``name`` that fits and tells it apart from every other name of ``names``,
    the first of: its start and a longer end kept whole from a separator on
    (``"bn2_wave-l…_masculine_027"``); a stretch of its middle from a separator after the
    start every name shares, and such an end (``"…wave-b…_masculine_027"``,
    ``"…left-hand…_041"`` where only "left" tells two takes apart), of at least
    :data:`_MIDDLE_KEPT` characters, then shorter; its start and an end cut anywhere; a
    stretch from anywhere (narrow cells). None when none fits."""
    last = _last_part(name)
    stop = len(name) - len(last)  # where the last part starts
    ends = [name[i:] for i in range(stop, 0, -1) if name[i] in _ID_SEPARATORS]
    for tail in ends[1:]:  # the head keeps more than the shared start: it tells something
        head = _fit_head(name[: len(name) - len(tail)], ELLIPSIS + tail, fm, width)
        if len(head) > len(shared) and names.tells_apart(name, head, tail):
            return head + ELLIPSIS + tail
    first = max(1, len(shared))
    words = [i for i in range(first, stop) if i == len(shared) or name[i - 1] in _ID_SEPARATORS]
    for kept in (_MIDDLE_KEPT, 1):
        cut = _middle_cut(name, words, ends, fm, width, names, kept)
        if cut is not None:
            return cut
    for n in range(len(last) + 1, len(name)):  # the shortest end that tells it apart
        tail = name[-n:]
        if fm.horizontalAdvance(ELLIPSIS + tail) > width:
            break
        head = _fit_head(name[:-n], ELLIPSIS + tail, fm, width)
        if names.tells_apart(name, head, tail):
            return head + ELLIPSIS + tail
    return _middle_cut(name, range(first, stop), ends[:2], fm, width, names, 1)


def _middle_cut(name: str, starts: Iterable[int], ends: list[str], fm: Metrics,
                width: float, names: DistinctNames, kept: int) -> str | None:
    """The first ``…middle…tail`` that fits and tells ``name`` apart, its middle (at least
    ``kept`` characters) starting at one of ``starts`` (tried in order, each with every
    end of ``ends``)."""
    room = width - fm.horizontalAdvance(ELLIPSIS)
    for i in starts:
        for tail in ends:
            if i >= len(name) - len(tail):
                break
            middle = _fit_head(name[i: len(name) - len(tail)], ELLIPSIS + tail, fm, room)
            if len(middle) >= kept and names.middle_tells_apart(name, middle, tail):
                return ELLIPSIS + middle + ELLIPSIS + tail
    return None


def elide_id(text: str, metrics: Metrics | QFont, width: float, shared: str = "",
             names: DistinctNames | None = None) -> str:
    """An id (``"raw_bvh/bandai_2_wave-right-hand_normal_001"``) cut to fit ``width`` pixels:
    its folders go first (``"…/bandai_2_wave-right-hand_normal_001"``), then the middle of
    its name, keeping its last part whole (the take number: ``"bandai_2_wave-ri…_001"``)
    and giving the rest of the room to its start, where the action usually is (an even
    middle cut, ``"bandai_2…mal_001"``, kept only a collection prefix on every row). A
    name without separators, or whose last part would take over half the room, is cut in
    the middle. With ``names`` (the column's), a cut that other names would share keeps
    more of the end instead (:func:`_distinct_cut`), so that rows whose ids differ read
    differently: ``"bn2_wave-l…_027"`` was both the elderly and the masculine take.

    Args:
        text: the full id; ``"/"`` separates folders.
        metrics: the font (or its metrics) the id is painted with; float metrics
            (``QFontMetricsF``) measure as Qt's item views do, which cut again a text
            rounded down to fit.
        width: room in pixels (``<= 0`` gives ``""``).
        shared: the start its neighbours share (:func:`shared_name_start`), cut before the
            middle is: "…normal_023" tells two takes of one action apart where
            "bn2_wave-le…_023" did not.
        names: the names (ids without folders) of its column, or None.

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
    tail = _last_part(name)
    tail_w = fm.horizontalAdvance(ELLIPSIS + tail)
    head = _fit_head(name[: len(name) - len(tail)], ELLIPSIS + tail, fm, width) \
        if tail and 2 * tail_w <= width else ""
    if names is not None and not (head and names.tells_apart(name, head, tail)):
        distinct = _distinct_cut(name, fm, width, shared, names)
        if distinct is not None:
            return distinct
    return head + ELLIPSIS + tail if head else fm.elidedText(
        name, Qt.TextElideMode.ElideMiddle, width)


class MiddleElideDelegate(QStyledItemDelegate):
    """Id cells cut by :func:`elide_id`: folders first, then the start the column's ids
    share ("…normal_030" among takes of one action), then the middle of the name
    ("bn2_wave-left-h…_030"), keeping the start (the action, often) and the take number,
    and more of the end where other ids of the column would read the same.

    The shared start and the column's names come from the model's
    ``shared_name_start(column)`` and ``distinct_names(column)`` when it has them
    (:class:`~motionlex.widgets.record_model.RecordTableModel`), through a proxy too. The
    room is the cell's text rectangle as the style lays it out, less the margins Qt's
    item views keep inside it, measured in float pixels: a cut a pixel too wide was cut
    again by Qt ("…walk_e…rly_016").

    Args:
        parent: the view.
        neighbours: also cut the start an id shares with the row above or below
            (:func:`neighbour_start`): in a ranked list, takes of one action come together
            and read "…elderly_027", "…normal_030" (their caption says the action) where
            "bn2_wave…_027" kept only the action every one of them shows.
    """

    def __init__(self, parent=None, *, neighbours: bool = False) -> None:
        super().__init__(parent)
        self.neighbours = neighbours

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
            col = index.column()
            shared = model.shared_name_start(col) if hasattr(model, "shared_name_start") \
                else ""
            names = model.distinct_names(col) if hasattr(model, "distinct_names") else None
            if self.neighbours:
                shared = max(shared, neighbour_start(index, option.text), key=len)
            key = (option.text, room, option.font.key(), shared)
            cut = names.cuts.get(key) if names is not None else None
            if cut is None:
                cut = elide_id(option.text, QFontMetricsF(option.font), room, shared, names)
                if names is not None:
                    if len(names.cuts) > _CUTS_KEPT:
                        names.cuts.clear()
                    names.cuts[key] = cut
            option.text = cut


def neighbour_start(index, text: str) -> str:
    """The longest start (:func:`shared_name_start`) the name of ``text`` (the display text
    of ``index``, folders dropped) shares with the name of the row above or below it, up to
    its last two parts, which stay ("…active_001", not "…001", beside "…active_017")."""
    name = text.rstrip("/").rsplit("/", 1)[-1]
    last = max(name.rfind(c) for c in _ID_SEPARATORS)
    keep = max(name.rfind(c, 0, last) for c in _ID_SEPARATORS) + 1  # the last two parts
    starts = [shared_name_start([name, str(other.data()).rstrip("/").rsplit("/", 1)[-1]])
              for other in (index.siblingAtRow(index.row() - 1),
                            index.siblingAtRow(index.row() + 1)) if other.isValid()]
    return max(starts, key=len, default="")[:max(0, keep)]


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
