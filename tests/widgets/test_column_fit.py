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
