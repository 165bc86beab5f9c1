"""elide: one rule for text that does not fit (cut on the right, "…", full text kept)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics

from motionlex.widgets.car_panel import CarPanel
from motionlex.widgets.elide import (
    ELLIPSIS,
    ID_KEPT,
    elide_heading,
    elide_id,
    elide_right,
    is_elided,
)


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


def test_elide_id_keeps_the_end_with_one_ellipsis(qapp):
    """GUI audit w38 #2: neighbouring Bandai rows read "…proud_001", "bn…-right_old_001"
    and "…turn-left_e…_019" (two "…" in one cell). One rule now: "…" and the longest end
    that fits, starting at a folder when that costs at most a short name's end."""
    fm = QFontMetrics(QFont())
    full = "raw_bvh/bandai_2_wave-right-hand_normal_001"
    name = "bandai_2_wave-right-hand_normal_001"
    assert elide_id(full, fm, fm.horizontalAdvance(full)) == full
    room = fm.horizontalAdvance(ELLIPSIS + "/" + name)
    assert elide_id(full, fm, room) == ELLIPSIS + "/" + name  # the folder goes first
    # a word's end stays, short or long: "alk" tells walk-left from walk-turn-left's
    # "urn", "ight" says the side (audit B #4: starting at the next word lost them)
    assert elide_id("bn1_walk-left_old_001", fm,
                    fm.horizontalAdvance(ELLIPSIS + "alk-left_old_001")) \
        == ELLIPSIS + "alk-left_old_001"
    assert elide_id("bn2_walk-turn-right_elderly_020", fm,
                    fm.horizontalAdvance(ELLIPSIS + "ight_elderly_020")) \
        == ELLIPSIS + "ight_elderly_020"
    assert elide_id("bn2_wave-left-hand_elderly_027", fm,
                    fm.horizontalAdvance(ELLIPSIS + "elderly_027") + 1) \
        == ELLIPSIS + "elderly_027"  # the style and the take
    # only the take fits, then not even that: the end, cut anywhere
    assert elide_id(name, fm, fm.horizontalAdvance(ELLIPSIS + "_001")) == ELLIPSIS + "_001"
    assert elide_id(name, fm, fm.horizontalAdvance(ELLIPSIS + "01")) == ELLIPSIS + "01"
    assert elide_id("000123", fm, fm.horizontalAdvance("000123")) == "000123"
    assert elide_id(full, fm, 0) == ""
    assert elide_id(full, fm, fm.horizontalAdvance(ELLIPSIS) - 1) == ""
    for width in range(20, int(fm.horizontalAdvance(full)) + 2, 3):  # every width: one way
        cut = elide_id(full, fm, width)
        assert fm.horizontalAdvance(cut) <= width
        assert cut == full or (cut.count(ELLIPSIS) == 1 and cut.startswith(ELLIPSIS)
                               and full.endswith(cut[1:])), (width, cut)
        wider = elide_id(full, fm, width + 12)  # more room never shows less of the end
        assert wider == full or len(wider) >= len(cut), (width, cut, wider)


def test_different_ids_are_cut_alike_only_where_nothing_telling_them_apart_fits(qapp):
    """GUI audit B #4: the raw_bvh results read "…normal_001" for the dash, punch, raise
    and wave takes, as each cut started at the next word ("…ash_normal_001" gave up
    "ash"). At every width, two ids cut to the same text only where not one more of
    their characters fits."""
    fm = QFontMetrics(QFont())
    ids = ["bandai_1_bow_normal_001", "bandai_1_dash_normal_001", "bandai_1_kick_normal_001",
           "bandai_1_punch_normal_001", "bandai_2_raise-up-both-hands_normal_001",
           "bandai_2_wave-right-hand_normal_001", "bn1_walk-left_old_001",
           "bn2_walk-turn-left_old_001", "bn1_walk_old_001", "bn2_walk_old_001"]
    for width in range(fm.horizontalAdvance(ELLIPSIS + "_001"), 260, 2):
        cuts: dict[str, list[str]] = {}
        for name in ids:
            cuts.setdefault(elide_id(name, fm, width), []).append(name)
        for cut, names in cuts.items():
            if len(names) < 2:
                continue
            kept = len(cut) - 1  # characters of the id shown after "…"
            for name in names:
                assert fm.horizontalAdvance(ELLIPSIS + name[-kept - 1:]) > width, \
                    (width, cut, names)
    dash = elide_id(ids[1], fm, fm.horizontalAdvance(ELLIPSIS + "dash_normal_001") - 2)
    assert dash == ELLIPSIS + "ash_normal_001"


def test_car_panel_headers_and_cells_elide_on_the_right(qtbot):
    panel = CarPanel()
    qtbot.addWidget(panel)
    table = panel.orders_table
    assert table.textElideMode() == Qt.TextElideMode.ElideRight
    assert table.horizontalHeader().textElideMode() == Qt.TextElideMode.ElideRight


def test_a_heading_drops_its_count_before_its_id_is_cut_to_the_take(qapp):
    """"…normal_001 (4 shared)" named none of a BVH gallery's takes (punch, dash, wave all
    end so): at every width the count stays only while the id keeps ID_KEPT characters."""
    bold = QFont()
    bold.setBold(True)
    fm = QFontMetrics(bold)
    take, count = "bandai_1_punch_normal_001", "  (4 shared)"
    seen = set()
    for width in range(60, fm.horizontalAdvance(take + count) + 20, 3):
        head = elide_heading(take, count, fm, width, item_id=take)
        assert fm.horizontalAdvance(head) <= width and head.count(ELLIPSIS) <= 1, head
        kept = head.split(" (")[0].replace(ELLIPSIS, "").strip()
        assert take.endswith(kept)
        if "shared" in head:
            assert len(kept) >= ID_KEPT, head
            seen.add("count")
        seen.add("cut" if ELLIPSIS in head else "whole")
    assert seen == {"count", "cut", "whole"}
