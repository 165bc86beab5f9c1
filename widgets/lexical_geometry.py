"""Where things go in the lexical evidence panel (:mod:`.lexical_bars`): row heights, the
width a column shares between word, bar and weight, and the scroll bar of rows that do not
fit.

Rows keep :data:`ROW_PAD_PX` of padding while they fit the panel's height, shrink down to
:data:`MIN_ROW_PAD_PX`, and then :class:`RowScroll` shows a vertical scroll bar at the right
edge (the headings stay put).

A column's width goes, in this order (:func:`column_widths`), to:

1. the words, up to the median word (of both lists, measured bold with the shared-word dot);
2. the bars, up to :data:`TIGHT_BAR_PX`;
3. the weights, all or none (the widest as painted): they are the panel's point for a
   researcher, so they stay while the median word and a bar fit beside them;
4. the words, up to the :data:`TYPICAL_WORD_QUANTILE` word (typical lengths: one long word
   such as "immediately" among 40 no longer takes the weights away);
5. the bars, up to :data:`MIN_BAR_PX` (room for bars of visibly different lengths);
6. the words, up to the longest word;
7. the bars, the rest.

A word wider than its room is cut on the right with "…" (the tooltip gives it whole, with its
weight). No painting here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from PySide6.QtCore import QCoreApplication, QRect, Qt
from PySide6.QtGui import QFontMetrics, QWheelEvent
from PySide6.QtWidgets import QScrollBar, QStyle, QWidget

from motionlex.widgets.lexical_words import value_text

MIN_BAR_PX = 36
"""Room a bar gets before the words longer than the typical word, pixels: bars of weights a
third apart still differ visibly."""

TIGHT_BAR_PX = 18
"""Room a bar gets before the weights and the words longer than the median, pixels (at
1024x640 "forward" was cut to "forw…" beside a 36-pixel bar)."""

TYPICAL_WORD_QUANTILE = 0.9
"""The word length (as a quantile of both lists' words) a column makes room for before its
bars reach :data:`MIN_BAR_PX`; longer words are cut when the column is narrow."""

ROW_PAD_PX = 6
"""Space added to the font height for a row, pixels, when the rows fit."""

MIN_ROW_PAD_PX = 2
"""Least space added to the font height for a row, pixels: rows shrink to this before the
panel scrolls."""

MARGIN_PX = 8
"""Space around and between the two columns, and below the last row, pixels."""


def row_metrics(font_h: int, height: int, most_words: int) -> tuple[int, int, int]:
    """``(row_h, header_h, margin)`` in pixels for a panel ``height`` pixels high whose
    longer word list has ``most_words`` words: rows shrink (down to :data:`MIN_ROW_PAD_PX`
    of padding) when they do not fit the height; the scroll bar takes the rest.

    Args:
        font_h: the font's height, pixels.
        height: the panel's height, pixels.
        most_words: words of the longer list (0 counts as 1).
    """
    header_h = font_h + 10
    n = max(1, most_words)
    room = (height - header_h - MARGIN_PX) // n
    row_h = max(font_h + MIN_ROW_PAD_PX, min(font_h + ROW_PAD_PX, room))
    return row_h, header_h, MARGIN_PX


def _quantile(sorted_widths: Sequence[int], q: float) -> int:
    """The nearest-rank ``q`` quantile of ascending ``sorted_widths`` (not empty)."""
    return sorted_widths[max(0, math.ceil(q * len(sorted_widths)) - 1)]


def column_widths(col_w: int, words: Mapping[str, Sequence[tuple[str, float]]],
                  fm: QFontMetrics, bold: QFontMetrics) -> tuple[int, int, int]:
    """``(word_w, value_w, dot_w)``: the word column (dot included), the weight column and
    the room kept for the shared-word dot, pixels; the bar gets ``col_w - word_w - value_w``.

    The room goes to words, bars and weights in the order the module docstring gives: the
    weights are left out (``value_w == 0``; the tooltip still gives them) only when the
    median word and a :data:`TIGHT_BAR_PX` bar leave no room for them, and words longer
    than the :data:`TYPICAL_WORD_QUANTILE` word are cut before the bars go below
    :data:`MIN_BAR_PX`.

    Args:
        col_w: a column's width, pixels.
        words: side -> its ``(word, weight)`` pairs (both sides: the columns line up).
        fm: metrics of the panel's font (weights, the dot).
        bold: metrics of its bold font (words are measured bold, as shared words are drawn).
    """
    dot_w = fm.height() // 2 + 4
    values = [value_text(w) for pairs in words.values() for _, w in pairs]
    value_w = max([fm.horizontalAdvance(v) for v in values] or [0]) + 8
    needs = sorted(bold.horizontalAdvance(w) + dot_w + 12
                   for pairs in words.values() for w, _ in pairs) or [40 + dot_w + 12]
    room = col_w

    def take(want: int) -> int:
        nonlocal room
        got = max(0, min(want, room))
        room -= got
        return got

    word_w = take(_quantile(needs, 0.5))
    bar = take(TIGHT_BAR_PX)
    if room >= value_w:
        room -= value_w
    else:
        value_w = 0
    word_w += take(_quantile(needs, TYPICAL_WORD_QUANTILE) - word_w)
    take(MIN_BAR_PX - bar)
    word_w += take(needs[-1] - word_w)
    return max(dot_w + 8, word_w), value_w, dot_w


class RowScroll:
    """The panel's vertical scroll bar: at the right edge below the headings, shown only
    while the rows overflow the panel's height.

    Args:
        panel: the panel (parent of the bar).
    """

    def __init__(self, panel: QWidget) -> None:
        self._panel = panel
        self.bar = QScrollBar(Qt.Orientation.Vertical, panel)
        self.bar.hide()

    def width(self) -> int:
        """Width the bar takes from the columns, pixels (0 while hidden)."""
        return self.bar.width() if not self.bar.isHidden() else 0

    def fit(self, overflow: int, header_h: int, row_h: int) -> None:
        """Show the bar when the rows overflow (``overflow > 0`` pixels) and set its range
        and steps; else hide it, scrolled back to the top."""
        panel = self._panel
        if overflow > 0:
            extent = panel.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, panel)
            self.bar.setGeometry(panel.width() - extent, header_h, extent,
                                 max(0, panel.height() - header_h))
            self.bar.setRange(0, overflow)
            self.bar.setSingleStep(row_h)
            self.bar.setPageStep(max(row_h, panel.height() - header_h))
            self.bar.show()
        else:
            self.bar.hide()
            self.bar.setValue(0)

    def reveal(self, rect: QRect, area: QRect) -> None:
        """Scroll the least that brings ``rect``'s top and bottom inside ``area``'s."""
        if rect.top() < area.top():
            self.bar.setValue(self.bar.value() - (area.top() - rect.top()))
        elif rect.bottom() > area.bottom():
            self.bar.setValue(self.bar.value() + rect.bottom() - area.bottom())

    def wheel(self, event: QWheelEvent) -> bool:
        """Scroll by a wheel event; False (nothing done) while the bar is hidden."""
        if self.bar.isHidden():
            return False
        QCoreApplication.sendEvent(self.bar, event)
        return True
