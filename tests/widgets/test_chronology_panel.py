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
