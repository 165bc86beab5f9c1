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


def test_neighbour_start_is_what_a_row_shares_with_the_row_above_or_below(qapp):
    """Takes of one action together in a ranked list: each cuts the start it shares with a
    neighbour, but keeps its last two parts (the style and the take)."""
    from PySide6.QtGui import QStandardItem, QStandardItemModel

    from motionlex.widgets.elide import neighbour_start

    names = ["bn2_raise-up-both-hands_normal_057", "bn2_wave-left-hand_active_035",
             "bn2_wave-left-hand_elderly_027", "bn2_wave-left-hand_elderly_031",
             "demo_s117", "demo_s118", "000123"]
    model = QStandardItemModel()
    for n in names:
        model.appendRow(QStandardItem(f"bandai/{n}"))

    def start(row: int) -> str:
        index = model.index(row, 0)
        return neighbour_start(index, index.data())

    assert start(0) == "bn2_"  # shares only the collection with the row below
    assert start(1) == "bn2_wave-left-hand_"  # with the row below
    assert start(2) == start(3) == "bn2_wave-left-hand_"  # not "…_elderly_": style stays
    assert start(4) == start(5) == ""  # one separator: the name stays whole
    assert start(6) == ""
