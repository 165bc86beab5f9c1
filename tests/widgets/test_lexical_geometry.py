"""lexical_geometry: rows shrink before the panel scrolls, words before weights before bars,
and the scroll bar shown only while the rows overflow."""

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


def test_rows_keep_their_padding_then_shrink_to_the_least():
    assert row_metrics(16, 1000, 20) == (16 + ROW_PAD_PX, 26, MARGIN_PX)
    row_h, header_h, _ = row_metrics(16, 470, 20)
    assert 16 + MIN_ROW_PAD_PX <= row_h < 16 + ROW_PAD_PX
    assert row_h == (470 - header_h - MARGIN_PX) // 20 == 21
    assert row_metrics(16, 100, 20)[0] == 16 + MIN_ROW_PAD_PX  # then the panel scrolls
    assert row_metrics(16, 100, 0) == row_metrics(16, 100, 1)


def test_words_come_before_weights_and_bars(qapp):
    font = QFont()
    bold = QFont(font)
    bold.setBold(True)
    fm, bfm = QFontMetrics(font), QFontMetrics(bold)
    words = {"query": [("counterclockwise", 0.0786), ("walks", 0.5)], "result": [("walks", 1.2)]}
    need = bfm.horizontalAdvance("counterclockwise") + fm.height() // 2 + 4 + 12
    word_w, value_w, dot_w = column_widths(1000, words, fm, bfm)
    assert (word_w, dot_w) == (need, fm.height() // 2 + 4)
    assert value_w == fm.horizontalAdvance("0.079") + 8  # the widest weight as painted
    word_w, value_w, _ = column_widths(need + MIN_BAR_PX + 10, words, fm, bfm)
    assert value_w == 0 and word_w == need  # no room for the weights: left out first
    word_w, value_w, _ = column_widths(need + TIGHT_BAR_PX - 5, words, fm, bfm)
    assert value_w == 0 and word_w == need + TIGHT_BAR_PX - 5 - TIGHT_BAR_PX  # word cut
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
