"""ChronologyPanel: the query / result caption toggle around the orders view."""

from __future__ import annotations

import pytest

from motionlex.widgets.car_panel import CarPanel
from motionlex.widgets.chronology_panel import ChronologyPanel


@pytest.fixture
def panel(qtbot) -> ChronologyPanel:
    w = ChronologyPanel()
    w.resize(460, 420)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_toggle_emits_only_on_user_change(qtbot, panel):
    assert panel.source() == "caption" and not panel.query_available()
    assert isinstance(panel.car_panel, CarPanel)
    panel.set_query_available(True)
    with qtbot.waitSignal(panel.sourceChanged, timeout=1000) as got:
        panel.button("query").click()
    assert got.args == ["query"] and panel.source() == "query"
    # the chosen view is in bold, the other not (they differed by a faint grey only)
    assert panel.button("query").font().bold() and not panel.button("caption").font().bold()
    with qtbot.assertNotEmitted(panel.sourceChanged):
        panel.set_source("caption")  # programmatic: no echo
        with qtbot.waitSignal(panel.sourceClicked, timeout=1000) as clicked:
            panel.button("caption").click()  # already the source: clicked, not changed
    assert clicked.args == ["caption"]
    assert panel.button("caption").isChecked()
    assert panel.button("caption").font().bold() and not panel.button("query").font().bold()
    with pytest.raises(ValueError, match="source must be one of"):
        panel.set_source("motion")


def test_query_orders_are_marked_as_the_query(panel):
    panel.set_query_available(True)
    panel.set_source("query")
    panel.set_heading("Query's event orders against motion M1")
    orders = [("a person raises both hands, then a person walks forward", 0.31, True),
              ("a person walks forward, then a person raises both hands", 0.42, False)]
    panel.car_panel.set_data("a person raises both hands, then walks forward",
                             ["a person raises both hands", "a person walks forward"], orders,
                             order_name="query")
    car = panel.car_panel
    assert car.true_rows() == [1]
    assert "\u2713 query" in car.orders_table.item(1, 0).text()
    assert "query order ranks 2 of 2" in car.summary_text()
    assert "M1" in panel.heading()
    # bars: the cosine on a fixed [0, 1] scale
    from motionlex.widgets.car_panel import BAR_ROLE

    bars = [car.orders_table.item(r, 2).data(BAR_ROLE) for r in range(2)]
    assert bars == pytest.approx([0.42, 0.31])


def test_empty_caption_leaves_a_hint_in_the_box(panel):
    panel.car_panel.set_data("", [], [])
    edit = panel.car_panel.caption_edit
    assert edit.text() == "" and edit.placeholderText() == "type a caption to compare"


def test_a_typed_caption_presses_neither_button(qtbot, panel):
    """A caption typed in the panel is neither the query's nor the result's: neither button
    is pressed (nor bold), the source stays, and a click on one presses it again."""
    panel.set_query_available(True)
    panel.set_source("caption")
    panel.mark_shown("typed")
    for source in ("query", "caption"):
        assert not panel.button(source).isChecked() and not panel.button(source).font().bold()
    assert panel.source() == "caption"
    with qtbot.waitSignal(panel.sourceClicked, timeout=1000) as clicked:
        panel.button("caption").click()
    assert clicked.args == ["caption"] and panel.button("caption").isChecked()
    panel.mark_shown("query")
    assert panel.button("query").isChecked() and not panel.button("caption").isChecked()


def _painted_height(label) -> int:
    """Pixels the label's text takes when painted: QLabel paints plain text with
    ``drawText(contentsRect, alignment | TextWordWrap)``, which wraps as
    ``QFontMetrics.boundingRect`` with the same rectangle and flags."""
    from PySide6.QtCore import QRect, Qt

    width = label.contentsRect().width()
    flags = int(label.alignment()) | int(Qt.TextFlag.TextWordWrap)
    return label.fontMetrics().boundingRect(QRect(0, 0, width, 100_000), flags,
                                            label.text()).height()


def test_long_events_never_paint_over_the_verdict(qtbot):
    """GUI audit B #2: in the window's scroll area, a 15-event query's events line painted
    its last line over the verdict under it: the heading above wrapped to two lines, which
    the scroll area's minimum did not count, so the orders view got less than its least
    height and its labels (held at their least heights) overlapped."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QFrame, QScrollArea, QTabWidget

    events = ["a person walks forward slowly while carrying a heavy box in both hands and "
              "looking around nervously", "a person stops", "a person turns to the left",
              "a person bends down to put the box on the floor", "a person stands up again",
              "a person stretches the back", "a person waves the right hand to a friend far "
              "away", "a person runs quickly out of the room through the open door"] * 2
    panel = ChronologyPanel()
    tabs = QTabWidget()
    tabs.setDocumentMode(True)
    tabs.addTab(panel, "Chronology")
    tabs.addTab(CarPanel(), "Describe")
    scroll = QScrollArea()  # as app/analysis.py holds the panel in its dock
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(tabs)
    qtbot.addWidget(scroll)
    scroll.resize(411, 393)
    scroll.show()
    qtbot.waitExposed(scroll)
    panel.set_query_available(True)
    panel.set_source("query")
    panel.set_heading("Orders of the query's events against motion bn2_walk_feminine_008")
    car = panel.car_panel
    car.set_caption_visible(False)
    orders = [(", then ".join(events), 0.5, True), (", then ".join(events[::-1]), 0.4, False)]
    car.set_data(", then ".join(events), events, orders, order_name="query")
    qtbot.wait(100)  # the deferred fits and the layout requests
    heading, labels = panel._heading, [car._events, car._summary]
    for label in [heading, *labels]:
        assert _painted_height(label) <= label.contentsRect().height(), label.text()[:40]
    shown = [heading.mapTo(panel, heading.rect().bottomLeft()).y()]
    for label in labels:  # each starts below the one above it ends
        top = label.mapTo(panel, label.rect().topLeft()).y()
        assert top > shown[-1], label.text()[:40]
        shown.append(label.mapTo(panel, label.rect().bottomLeft()).y())
    table = car.orders_table
    assert table.mapTo(panel, table.rect().topLeft()).y() > shown[-1]


def test_the_caption_box_is_labelled_by_what_it_holds(panel):
    """GUI audit B #14: in "Query orders" the box labelled "Caption:" held the query."""
    car = panel.car_panel
    assert car.box_label() == "Caption:"
    panel.set_query_available(True)
    for shown, label in (("query", "Query:"), ("typed", "Your text:"),
                         ("caption", "Caption:"), ("", "Caption:")):
        panel.mark_shown(shown)
        assert car.box_label() == label, shown
    panel.set_source("query")
    assert car.box_label() == "Query:"
