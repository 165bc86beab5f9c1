"""Id cells of the results list, as painted: every cut id reads one way ("…" and its end,
the style and the take), and fits the text rectangle Qt paints it in (Qt cut a text too
wide a second time)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QFontMetricsF, QTextLayout
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

from motionlex.widgets.elide import ELLIPSIS, IdElideDelegate
from motionlex.widgets.results_list import ResultsList


@pytest.fixture(scope="module")
def val_ids(shared_data: Path) -> list[str]:
    """The 70 real Bandai val ids, as a gallery index names them (``bandai/bn2_…``)."""
    lines = (shared_data / "bandai" / "val.txt").read_text().splitlines()
    return [f"bandai/{ln.strip()}" for ln in lines if ln.strip()]


class _Recording(IdElideDelegate):
    """The id column's own delegate, keeping the options of the cells it paints."""

    def __init__(self, view) -> None:
        super().__init__(view)
        self.painted: dict[int, QStyleOptionViewItem] = {}

    def initStyleOption(self, option, index) -> None:  # noqa: N802 - Qt override
        super().initStyleOption(option, index)
        self.painted[index.row()] = QStyleOptionViewItem(option)


@pytest.fixture
def painted(qtbot, val_ids):
    """``painted(width)``: the id cells' options as painted at that column width (every
    row of a results list tall enough to show them all)."""
    rl = ResultsList()
    rl.resize(900, 1600)
    qtbot.addWidget(rl)
    rl.show()
    qtbot.waitExposed(rl)
    rl.set_results([{"rank": k + 1, "score": 0.5, "caption": "a person waves.", "id": i}
                    for k, i in enumerate(val_ids)])
    view = rl.view
    col = [c.key for c in rl.model.columns].index("id")
    rec = _Recording(view)
    view.setItemDelegateForColumn(col, rec)

    def paint(width: int) -> list[QStyleOptionViewItem]:
        view.horizontalHeader().resizeSection(col, width)
        rec.painted.clear()
        view.viewport().grab()  # paints every visible cell
        assert len(rec.painted) == len(val_ids)
        return [rec.painted[r] for r in range(len(val_ids))]

    return paint


def test_cut_ids_read_one_way_and_keep_the_style_and_the_take(painted, val_ids):
    """GUI audit w38 #2: neighbouring rows were cut three ways ("…proud_001",
    "bn…-right_old_001", "…turn-left_e…_019": two "…" in one cell), as each cut looked at
    the rows beside it. Every cut id is "…" and an end of the id, the same at a width for
    every row, and the takes of one action (the caption says the action) read differently
    wherever their style and take fit."""
    names = [i.split("/", 1)[1] for i in val_ids]
    elderly, masculine = (names.index(f"bn2_wave-left-hand_{s}_027")
                          for s in ("elderly", "masculine"))
    seen_style = False
    for width in range(60, 260, 6):
        texts = [o.text for o in painted(width)]
        for text, name in zip(texts, names):
            if ELLIPSIS not in text:
                assert text == name
                continue
            assert text.count(ELLIPSIS) == 1 and text.startswith(ELLIPSIS), (width, text)
            assert name.endswith(text[1:]), (width, text)
        if texts[elderly].endswith("elderly_027"):
            seen_style = True
            assert texts[elderly] != texts[masculine]
    assert seen_style


def _natural_width(text: str, option: QStyleOptionViewItem) -> float:
    layout = QTextLayout(text, option.font)  # as Qt's item views measure a cell's text
    layout.beginLayout()
    line = layout.createLine()
    line.setLineWidth(1e6)
    layout.endLayout()
    return line.naturalTextWidth()


def test_a_cut_id_fits_the_text_rectangle_qt_paints(painted):
    """"…walk_e…rly_016": the id was cut for the cell's room measured in whole pixels, a
    fraction of a pixel too wide for the text rectangle of Qt's style, and Qt cut it again
    in its middle. Qt cuts a cell's text when its natural width exceeds the style's text
    rectangle less the focus-frame margins (qcommonstyle.cpp, viewItemDrawText)."""
    for width in range(60, 240, 4):
        for opt in painted(width):
            style = opt.widget.style()
            margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None,
                                       opt.widget) + 1
            rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt,
                                        opt.widget)
            room = rect.width() - 2 * margin
            assert _natural_width(opt.text, opt) <= room, (width, opt.text, room)
            assert QFontMetricsF(opt.font).elidedText(opt.text, opt.textElideMode,
                                                      room) == opt.text
