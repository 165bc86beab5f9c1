"""elide: one rule for text that does not fit (cut on the right, "…", full text kept)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics

from motionlex.widgets.car_panel import CarPanel
from motionlex.widgets.elide import ELLIPSIS, elide_id, elide_right, is_elided


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


def test_elide_id_drops_folders_then_the_middle_of_the_name(qapp):
    fm = QFontMetrics(QFont())
    full = "raw_bvh/bandai_2_wave-right-hand_normal_001"
    name = "bandai_2_wave-right-hand_normal_001"
    assert elide_id(full, fm, fm.horizontalAdvance(full)) == full
    room = fm.horizontalAdvance(ELLIPSIS + "/" + name)
    assert elide_id(full, fm, room) == ELLIPSIS + "/" + name  # the action stays readable
    cut = elide_id(full, fm, fm.horizontalAdvance("bandai_2_wave-ri_001"))
    head, tail = cut.split(ELLIPSIS)
    assert name.startswith(head) and name.endswith(tail) and head and tail
    assert "raw_bvh" not in cut and fm.horizontalAdvance(cut) <= fm.horizontalAdvance(
        "bandai_2_wave-ri_001")
    # the name's start gets the room (the action), its last part stays whole (the take)
    for room_text in ("bandai_2_wave…_001", "bandai_2_wave-right…_001"):
        cut = elide_id(full, fm, fm.horizontalAdvance(room_text))
        assert cut.endswith(ELLIPSIS + "_001") and cut.startswith("bandai_2_wave")
    assert elide_id("000123", fm, fm.horizontalAdvance("000123")) == "000123"
    narrow = elide_id("abcdefghij_0123456789", fm, fm.horizontalAdvance("abc…0123"))
    assert ELLIPSIS in narrow and "_0123456789" not in narrow  # a long last part: middle cut
    assert elide_id(full, fm, 0) == ""


def test_car_panel_headers_and_cells_elide_on_the_right(qtbot):
    panel = CarPanel()
    qtbot.addWidget(panel)
    table = panel.orders_table
    assert table.textElideMode() == Qt.TextElideMode.ElideRight
    assert table.horizontalHeader().textElideMode() == Qt.TextElideMode.ElideRight
