"""elide: one rule for text that does not fit (cut on the right, "…", full text kept)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics

from motionlex.widgets.car_panel import CarPanel
from motionlex.widgets.elide import ELLIPSIS, elide_right, is_elided


def test_elide_right_keeps_the_start(qapp):
    font = QFont()
    fm = QFontMetrics(font)
    word = "outperforming"
    assert elide_right(word, fm, fm.horizontalAdvance(word) + 2) == word
    cut = elide_right(word, fm, fm.horizontalAdvance("outper") + fm.horizontalAdvance(ELLIPSIS))
    assert cut.endswith(ELLIPSIS) and word.startswith(cut[:-1]) and is_elided(cut, word)
    assert cut != "\u2026erforming"  # not the left elision the bars used to paint
    assert elide_right(word, font, 0) == ""
    # bold text measured bold fits where the plain measure would overflow
    bold = QFont(font)
    bold.setBold(True)
    room = fm.horizontalAdvance(word) - 1
    assert QFontMetrics(bold).horizontalAdvance(elide_right(word, bold, room)) <= room
    assert not is_elided(word, word) and not is_elided("out", word)


def test_car_panel_headers_and_cells_elide_on_the_right(qtbot):
    panel = CarPanel()
    qtbot.addWidget(panel)
    table = panel.orders_table
    assert table.textElideMode() == Qt.TextElideMode.ElideRight
    assert table.horizontalHeader().textElideMode() == Qt.TextElideMode.ElideRight
