"""fit_columns: a column gets its widest text (and bold header) plus padding, capped by a
share of the view's width, applied again when the view is resized."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontMetrics, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QHeaderView, QTableView

from motionlex.widgets.column_fit import CELL_PADDING_PX, fit_columns


def _table(qtbot, columns: list[list[str]], headers: list[str]) -> QTableView:
    model = QStandardItemModel(max(len(c) for c in columns), len(columns))
    model.setHorizontalHeaderLabels(headers)
    for col, texts in enumerate(columns):
        for row, text in enumerate(texts):
            model.setItem(row, col, QStandardItem(text))
    view = QTableView()
    view.setModel(model)
    view.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
    view.resize(600, 300)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_a_column_gets_its_widest_text_plus_padding(qtbot):
    ids = ["a1", "bb22", "ccc333"]
    captions = ["a person walks forward and then turns around to the left " * 3] * 3
    view = _table(qtbot, [ids, captions], ["id", "caption"])
    fit_columns(view, [ids, captions])
    bold = QFont(view.horizontalHeader().font())
    bold.setBold(True)
    need = max(view.fontMetrics().horizontalAdvance("ccc333"),
               QFontMetrics(bold).horizontalAdvance("id") + 12) + CELL_PADDING_PX
    assert view.horizontalHeader().sectionSize(0) == need


def test_a_long_column_is_capped_and_follows_the_view_width(qtbot):
    ids = ["bandai/bn2_wave-left-hand_normal_023_with_a_long_style_suffix" * 2]
    captions = ["a person waves the left hand above the head, then lowers it slowly " * 3]
    view = _table(qtbot, [ids, captions], ["id", "caption"])
    fit_columns(view, [ids, captions], max_fraction=0.3)
    hh = view.horizontalHeader()
    width = max(view.viewport().width(), view.width())
    assert hh.sectionSize(0) == max(60, int(width * 0.3))
    view.resize(1000, 300)  # the cap is applied again at the new width
    qtbot.waitUntil(lambda: hh.sectionSize(0) == max(
        60, int(max(view.viewport().width(), view.width()) * 0.3)), timeout=2000)
    assert hh.sectionSize(0) > 200


def test_a_column_with_a_least_width_outlasts_the_stretched_ones_then_hides(qtbot):
    """The caption (stretched) yields room down to its least width first; then the id
    narrows from its share down to its least width; only then is the id hidden."""
    from motionlex.widgets.column_fit import kept_width

    ids = ["bn2_wave-left-hand_elderly_027", "bn2_wave-left-hand_normal_030"]
    captions = ["a person waves the left hand like an elderly person.",
                "a person waves the left hand."]
    view = _table(qtbot, [ids, captions], ["id", "caption"])
    view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
    id_least, cap_least = kept_width(view, ids, 12, end=True), kept_width(view, captions, 12)
    fm = view.fontMetrics()
    widest = max(ids, key=fm.horizontalAdvance)  # its end: "…_normal_030"
    assert id_least == fm.horizontalAdvance("\u2026" + widest[-12:]) + CELL_PADDING_PX
    assert cap_least == fm.horizontalAdvance(captions[0][:12] + "\u2026") + CELL_PADDING_PX
    assert kept_width(view, ["demo_s117"], 12, end=True) == fm.horizontalAdvance(
        "demo_s117") + CELL_PADDING_PX and kept_width(view, [], 12) == 0
    fit_columns(view, [ids, captions], max_fraction=0.3, least={0: id_least, 1: cap_least})
    hh, frame = view.horizontalHeader(), view.width() - view.viewport().width()

    def at(viewport_w: int) -> tuple[bool, int, int]:
        view.resize(viewport_w + frame, 300)
        qtbot.waitUntil(lambda: view.viewport().width() == viewport_w, timeout=2000)
        return view.isColumnHidden(0), hh.sectionSize(0), hh.sectionSize(1)

    low = id_least + cap_least
    assert 0.3 * (low + 40 + frame) < id_least  # its share alone would cut the id more
    for extra in (40, 20, 5, 0):  # the caption yields, the id keeps its least width
        assert at(low + extra) == (False, id_least, cap_least + extra)
    hidden, _, caption_w = at(low - 1)  # too narrow for both: the id goes
    assert hidden and caption_w == low - 1
    assert at(low + 10)[:2] == (False, id_least)  # and comes back
    fit_columns(view, [ids, captions], max_fraction=0.3)  # no least widths: never hidden
    assert at(low - 30)[0] is False


def _score_id_caption_table(qtbot):
    """The results list's columns on two Bandai rows: score and id sized by hand, the
    caption stretched; returns the columns' texts, the view and its header."""
    scores = ["0.905", "0.842"]
    ids = ["bn2_wave-left-hand_elderly_027", "bn2_wave-left-hand_normal_030"]
    captions = ["a person waves the left hand like an elderly person.",
                "a person waves the left hand."]
    view = _table(qtbot, [scores, ids, captions], ["a long score title", "id", "caption"])
    hh = view.horizontalHeader()
    for col in (0, 1):
        hh.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
    hh.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
    return scores, ids, captions, view, hh


def test_a_column_with_a_floor_narrows_before_a_least_column_hides(qtbot):
    """A floored column (the results list's score) narrows to its floor, never hidden, as
    far as needed to keep a least-width column (the id) shown; once that one is hidden it
    narrows again only as far as the stretched column's least width needs."""
    from motionlex.widgets.column_fit import kept_width

    scores, ids, captions, view, hh = _score_id_caption_table(qtbot)
    id_least, cap_least = kept_width(view, ids, 12, end=True), kept_width(view, captions, 12)
    floor = kept_width(view, scores, 5)
    fit_columns(view, [scores, ids, captions], max_fraction=0.9,
                least={1: id_least, 2: cap_least}, floor={0: floor})
    frame = view.width() - view.viewport().width()

    def at(viewport_w: int) -> tuple[int, bool, int]:
        view.resize(viewport_w + frame, 300)
        qtbot.waitUntil(lambda: view.viewport().width() == viewport_w, timeout=2000)
        return hh.sectionSize(0), view.isColumnHidden(1), hh.sectionSize(2)

    full = at(1000)[0]
    assert full > floor + 20  # the title makes it wider than its numbers
    low = full + id_least + cap_least
    assert at(low) == (full, False, cap_least)
    assert at(low - 20) == (full - 20, False, cap_least)  # the score gives way, not the id
    assert at(low - (full - floor)) == (floor, False, cap_least)
    assert hh.sectionSize(1) == id_least
    assert at(low - (full - floor) - 1)[1]  # too narrow even so: the id goes, and the
    assert at(full + cap_least - 10) == (full - 10, True, cap_least)  # score narrows for
    assert at(floor + cap_least - 10) == (floor, True, cap_least - 10)  # the caption


def test_a_stretched_column_keeps_more_once_the_least_columns_are_hidden(qtbot):
    """``least_alone``: the caption yields down to its title while the id fits beside it
    (rows whose caption starts are alike, GUI audit B #6); once the id is hidden, the
    floored score narrows again for the caption's start."""
    from motionlex.widgets.column_fit import kept_width

    scores, ids, captions, view, hh = _score_id_caption_table(qtbot)
    id_least, title, start = (kept_width(view, ids, 12, end=True), 40,
                              kept_width(view, captions, 16))
    floor = kept_width(view, scores, 5)
    fit_columns(view, [scores, ids, captions], max_fraction=0.9,
                least={1: id_least, 2: title}, floor={0: floor}, least_alone={2: start})
    frame = view.width() - view.viewport().width()

    def at(viewport_w: int) -> tuple[int, bool, int]:
        view.resize(viewport_w + frame, 300)
        qtbot.waitUntil(lambda: view.viewport().width() == viewport_w, timeout=2000)
        return hh.sectionSize(0), view.isColumnHidden(1), hh.sectionSize(2)

    full = at(1000)[0]
    assert at(full + id_least + title) == (full, False, title)  # the id before the start
    assert at(floor + id_least + title) == (floor, False, title)
    score, hidden, caption = at(floor + id_least + title - 1)  # the id goes: the caption
    assert hidden and caption >= start and score == max(floor, floor + id_least + title - 1
                                                        - start)  # takes its start back
