"""lexical_geometry: rows shrink before the panel scrolls; a column's room goes to the
median word, a bar, the weights, the typical word, a longer bar, then the longest word;
the scroll bar shown only while the rows overflow."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QWidget

from motionlex.widgets.lexical_geometry import (
    MARGIN_PX,
    MIN_BAR_PX,
    MIN_ROW_PAD_PX,
    ROW_PAD_PX,
    TIGHT_BAR_PX,
    RowScroll,
    column_widths,
    row_metrics,
)
from motionlex.widgets.lexical_words import value_text


def test_rows_keep_their_padding_then_shrink_to_the_least():
    assert row_metrics(16, 1000, 20) == (16 + ROW_PAD_PX, 26, MARGIN_PX)
    row_h, header_h, _ = row_metrics(16, 470, 20)
    assert 16 + MIN_ROW_PAD_PX <= row_h < 16 + ROW_PAD_PX
    assert row_h == (470 - header_h - MARGIN_PX) // 20 == 21
    assert row_metrics(16, 100, 20)[0] == 16 + MIN_ROW_PAD_PX  # then the panel scrolls
    assert row_metrics(16, 100, 0) == row_metrics(16, 100, 1)


def _metrics(qapp) -> tuple[QFontMetrics, QFontMetrics]:
    font = QFont()
    bold = QFont(font)
    bold.setBold(True)
    return QFontMetrics(font), QFontMetrics(bold)


# ten words of everyday lengths, then one long one (the 11th: "immediately" took every
# weight of the panel away at 1440x900, audit 32 #1)
TYPICAL = ["up", "hop", "walk", "jumps", "raises", "jumping", "climbing", "backwards",
           "forwards", "sitting"]


def test_weights_stay_beside_typical_words_and_the_long_word_is_cut(qapp):
    fm, bfm = _metrics(qapp)
    words = {"query": [(w, 0.1 + k / 100) for k, w in enumerate(TYPICAL)],
             "result": [("counterclockwise", 0.0786)]}
    dot_w = fm.height() // 2 + 4
    needs = sorted(bfm.horizontalAdvance(w) + dot_w + 12 for pairs in words.values()
                   for w, _ in pairs)
    median, typical, longest = needs[5], needs[9], needs[10]  # nearest ranks of 11 words
    assert longest == bfm.horizontalAdvance("counterclockwise") + dot_w + 12 > typical
    value = max(fm.horizontalAdvance(value_text(w)) for pairs in words.values()
                for _, w in pairs) + 8
    # wide: every word whole, the weights, and the rest to the bars
    word_w, value_w, dot = column_widths(longest + value + MIN_BAR_PX + 50, words, fm, bfm)
    assert (word_w, value_w, dot) == (longest, value, dot_w)
    # room for the typical word, the weights and a MIN_BAR_PX bar, not for the long word:
    # the weights stay (they were left out for the long word) and the long word is cut
    col = typical + value + MIN_BAR_PX + 3
    assert col < longest + value + MIN_BAR_PX
    word_w, value_w, _ = column_widths(col, words, fm, bfm)
    assert value_w == value and word_w == typical + 3 and col - word_w - value_w == MIN_BAR_PX
    # narrower: the bars give way down to TIGHT_BAR_PX, then the words above the median
    col = typical + value + TIGHT_BAR_PX
    assert column_widths(col, words, fm, bfm)[:2] == (typical, value)
    col = median + value + TIGHT_BAR_PX
    assert column_widths(col, words, fm, bfm)[:2] == (median, value)
    # too narrow for the median word, a bar and the weights: the weights go, and the room
    # goes back to the words (up to the typical one) and a bar of at least TIGHT_BAR_PX
    word_w, value_w, _ = column_widths(col - 1, words, fm, bfm)
    assert value_w == 0 and word_w == min(typical, col - 1 - TIGHT_BAR_PX) > median
    assert column_widths(200, {"query": [], "result": []}, fm, bfm)[1] == 8


def test_the_scroll_bar_shows_only_while_rows_overflow(qtbot):
    panel = QWidget()
    panel.resize(300, 200)
    qtbot.addWidget(panel)
    panel.show()
    scroll = RowScroll(panel)
    assert scroll.width() == 0
    scroll.fit(150, 26, 22)
    assert scroll.width() > 0 and scroll.bar.maximum() == 150
    assert scroll.bar.singleStep() == 22 and scroll.bar.pageStep() == 200 - 26
    assert scroll.bar.geometry().right() == panel.width() - 1
    scroll.reveal(QRect(0, 250, 10, 20), QRect(0, 26, 280, 174))  # below: scroll down
    assert scroll.bar.value() == 269 - 199
    scroll.reveal(QRect(0, 10, 10, 20), QRect(0, 26, 280, 174))  # above: back up
    assert scroll.bar.value() == 70 - 16
    scroll.fit(0, 26, 22)
    assert scroll.width() == 0 and scroll.bar.value() == 0
