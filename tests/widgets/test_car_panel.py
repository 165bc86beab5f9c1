"""CarPanel: true-order marking, best highlighting, debounced caption edits, errors."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel

from motionlex.widgets.car_panel import DEBOUNCE_MS, MAX_ORDERS, CarPanel


@pytest.fixture
def caption(shared_data: Path) -> str:
    """A real two-event HumanML3D caption of motion 000000 ("... before going back ...")."""
    lines = (shared_data / "humanml3d_samples" / "texts" / "000000.txt").read_text().splitlines()
    text = next(line.split("#")[0] for line in lines if " before " in line)
    return text


@pytest.fixture
def panel(qtbot) -> CarPanel:
    w = CarPanel()
    w.resize(460, 420)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def _orders(events: list[str], sims: list[float]) -> list[tuple[str, float, bool]]:
    perms = list(itertools.permutations(range(len(events))))
    return [
        (", then ".join(events[i] for i in p), s, p == tuple(range(len(events))))
        for p, s in zip(perms, sims)
    ]


def test_marks_true_order_and_best(qtbot, panel, caption, screenshot_dir):
    # "X before going back" = [X, goes back] (DESIGN.md: "before" keeps this order)
    events = ["kicks with their left foot", "goes back to their original stance"]
    orders = _orders(events, [0.41, 0.47])  # the model prefers the wrong order here
    panel.set_data(caption, events, orders)
    table = panel.orders_table
    assert table.rowCount() == 2
    assert panel.best_row() == 0
    # best first, its event numbers before its caption: "2 -> 1   goes back ..., then kicks ..."
    assert table.item(0, 1).text() == "2 \u2192 1\n" + orders[1][0]
    assert table.item(1, 1).text().startswith("1 \u2192 2\n")
    assert panel.true_rows() == [1]
    assert "true" in table.item(1, 0).text() and table.item(1, 1).font().bold()
    assert "best" in table.item(0, 0).text() and "true" not in table.item(0, 0).text()
    assert "ranks 2 of 2" in panel.summary_text()
    assert panel.caption_edit.text() == caption
    qtbot.wait(20)  # let the layout settle the wrapped labels' heights
    panel.grab().save(str(screenshot_dir / "widget_car_panel.png"))

    panel.set_data(caption, events, _orders(events, [0.52, 0.47]))
    assert panel.true_rows() == [0] and "prefers the true order" in panel.summary_text()
    assert table.item(0, 0).text() == "\u2713 true\nbest"
    panel.set_data(caption, events, _orders(events, [0.52, 0.47]), order_name="your caption")
    assert panel.summary_text().startswith("The model prefers your caption's order by 0.050 "
                                           "(2 orders)")
    panel.set_data(caption, events, _orders(events, [0.41, 0.47]), order_name="your caption")
    assert panel.summary_text().startswith("Your caption's order ranks 2 of 2: the model "
                                           "prefers")
    assert panel.summary_text().endswith("by 0.060.")  # the winner's gap, never negative
    one = ["a person waves the left hand"]
    panel.set_data(one[0], one, _orders(one, [0.7]))
    assert panel.summary_text().startswith("One event: no other order to compare.")
    assert "then" in panel.summary_text()  # says how a caption gets several events


def test_caption_edited_once_after_typing(qtbot, panel, caption):
    panel.set_data(caption, [], [])
    edit = panel.caption_edit
    edit.clear()
    emitted: list[str] = []
    panel.captionEdited.connect(emitted.append)
    edit.setFocus()
    qtbot.keyClicks(edit, "walks forward, then sits down")
    assert emitted == []  # debounced: nothing yet
    qtbot.waitUntil(lambda: len(emitted) > 0, timeout=3 * DEBOUNCE_MS + 1000)
    qtbot.wait(DEBOUNCE_MS + 100)
    assert emitted == ["walks forward, then sits down"]


def test_typed_caption_stays_while_analysed_then_gives_way(qtbot, panel, caption):
    """Text being typed is not replaced by a caption shown meanwhile; once its own analysis
    is shown, the next caption (the query's orders, another result) replaces it: the box
    kept the typed text under the query's analysis."""
    panel.set_data(caption, [], [])
    edit = panel.caption_edit
    panel.show()
    qtbot.waitExposed(panel)
    panel.activateWindow()
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    edit.selectAll()
    qtbot.keyClicks(edit, "a person kicks, then jumps")
    panel.set_data("a person waves", [], [])  # another result, mid-typing: the typing stays
    assert edit.text() == "a person kicks, then jumps"
    panel.set_data("a person kicks, then jumps", ["a person kicks", "jumps"], [])  # its own
    panel.set_data("a person raises both hands", [], [])  # then the query's orders
    assert edit.text() == "a person raises both hands" and edit.hasFocus()


def test_set_data_does_not_emit(qtbot, panel, caption):
    with qtbot.assertNotEmitted(panel.captionEdited, wait=DEBOUNCE_MS + 100):
        panel.set_data(caption, [], [])


def test_a_motion_without_caption_is_told_to_type_one(qtbot, panel, caption):
    """No caption: no "Events: none found" / "No event orders to compare" (they read as a
    parser that failed on a caption); the verdict says how to compare, and a caption
    shown afterwards brings its events back."""
    from motionlex.widgets.car_panel import EMPTY_CAPTION_HINT, NO_CAPTION_SUMMARY

    panel.set_data("", [], [])
    assert panel.summary_text() == NO_CAPTION_SUMMARY
    assert panel.caption_edit.text() == "" and panel.caption_edit.placeholderText() == \
        EMPTY_CAPTION_HINT
    assert all("none found" not in lab.text() for lab in panel.findChildren(QLabel)
               if lab.isVisible())
    events = ["a person walks forward", "a person sits down"]
    panel.set_data(caption, events, _orders(events, [0.6, 0.4]))
    assert panel.summary_text().startswith("The model prefers the true order")
    assert any(lab.isVisible() and lab.text().startswith("Events (2)")
               for lab in panel.findChildren(QLabel))


def test_many_orders_keep_the_true_one(panel):
    events = ["walks", "turns", "sits", "stands", "waves"]  # 120 orders
    sims = [0.9 - 0.001 * k for k in range(120)]
    sims[0] = 0.1  # the true (identity) order scores lowest
    panel.set_data("walks, turns, sits, stands and waves", events, _orders(events, sims))
    assert panel.orders_table.rowCount() == MAX_ORDERS
    assert panel.true_rows() == [MAX_ORDERS - 1]
    assert "ranks 120 of 120" in panel.summary_text()


def test_text_rows_shrink_back_after_a_long_query(qtbot, panel):
    # the events and summary lines kept the height of the longest text they ever held
    long_events = ["a person dances happily", "bows deeply to the audience",
                   "kicks with the right leg", "punches forward twice", "turns around"]
    short = ["a person waves the left hand"]
    heights = []
    for events in (short, long_events, short):
        caption = ", then ".join(events)
        panel.set_data(caption, events, _orders(events, [0.5 - i / 100 for i in range(24)]))
        qtbot.wait(30)
        heights.append((panel._events.minimumHeight(), panel._summary.minimumHeight()))
    (ev0, su0), (ev1, su1), (ev2, su2) = heights
    assert ev1 > ev0 and (ev2, su2) == (ev0, su0)


def test_busy_indicator(panel):
    assert not panel.is_busy()
    panel.set_busy(True)
    assert panel.is_busy() and not panel.orders_table.isEnabled()
    panel.set_busy(False)
    assert not panel.is_busy() and panel.orders_table.isEnabled()


def test_busy_indicator_keeps_the_layout(qtbot, panel, caption):
    panel.set_data(caption, ["a", "b"], _orders(["a", "b"], [0.4, 0.2]))
    qtbot.wait(20)
    idle = panel.orders_table.geometry()
    panel.set_busy(True)
    qtbot.wait(20)
    busy = panel.orders_table.geometry()
    panel.set_busy(False)
    qtbot.wait(20)
    assert busy == idle == panel.orders_table.geometry()  # nothing moves: no relayout


@pytest.mark.parametrize(
    ("events", "orders", "match"),
    [
        (["a"], [("a", 0.5)], "expected \\(caption, similarity, is_true_order\\)"),
        (["a"], [("a", float("inf"), True)], "finite"),
        (["a"], [("a", "high", True)], "must be a number"),
        (["a"], [(3, 0.5, True)], "caption must be a str"),
        ([3], [("a", 0.5, True)], "events\\[0\\]"),
    ],
)
def test_rejects_bad_data(panel, events, orders, match):
    with pytest.raises(ValueError, match=match):
        panel.set_data("a", events, orders)


def test_a_sample_of_orders_is_named_and_ties_are_not_called_a_preference(panel):
    # five events: the worker scores 24 of their 120 orders, and the panel says so
    events = ["walks", "jumps", "sits down", "waves", "turns"]
    orders = _orders(events, [0.5 - i / 100 for i in range(24)])
    panel.set_data("; ".join(events), events, orders)
    assert panel.summary_text().endswith("Scored: a sample of 24 of its 120 orders.")
    panel.set_data("; ".join(events[:2]), events[:2], _orders(events[:2], [0.5, 0.4]))
    assert "Scored" not in panel.summary_text()
    # every order scores the same (events past the 64 tokens read): no "best", no preference
    panel.set_data("; ".join(events), events, _orders(events, [0.455] * 24))
    assert panel.summary_text().startswith("The model cannot tell these 24 orders apart")
    marks = [panel.orders_table.item(r, 0).text() for r in range(panel.orders_table.rowCount())]
    assert not any("best" in m for m in marks) and sum("tied" in m for m in marks) == 24
    # two orders share the best score: both are marked tied, the rest are not
    panel.set_data("; ".join(events), events, _orders(events, [0.5, 0.5] + [0.4] * 22))
    marks = [panel.orders_table.item(r, 0).text() for r in range(panel.orders_table.rowCount())]
    assert [("tied" in m) for m in marks] == [True, True] + [False] * 22
    assert panel.summary_text().startswith("No clear preference: the true order and 1 other "
                                           "order score 0.500, the best of 24.")


@pytest.mark.parametrize("width", [420, 300])  # the left dock at 1440x900 and at 1024x640
def test_four_event_orders_keep_their_captions_readable(qtbot, width, screenshot_dir):
    """Orders of 4 events showed "4 -> 1 -> 2 -> 3  a person ju..." with the caption only
    in a tooltip: the caption now has a line (or more) of its own under the order."""
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QFontMetrics
    from PySide6.QtWidgets import QStyle

    w = CarPanel()
    w.resize(width, 520)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    events = ["a person jumps up", "walks forward", "turns around", "sits down on a chair"]
    orders = _orders(events, [0.5 - 0.01 * k for k in range(24)])
    w.set_data(", then ".join(events), events, orders)
    table = w.orders_table
    fm = QFontMetrics(table.font())
    margin = table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 1

    def misfits() -> list[tuple[int, int, int]]:
        """Rows whose whole caption, wrapped to the column's width, overflows the row."""
        out = []
        for row in range(4):
            cell = table.visualRect(table.model().index(row, 1))
            need = fm.boundingRect(QRect(0, 0, cell.width() - 2 * margin, 10000),
                                   int(Qt.TextFlag.TextWordWrap),
                                   table.item(row, 1).text()).height()
            if need > table.rowHeight(row):
                out.append((row, need, table.rowHeight(row)))
        return out

    # rows re-wrap once the layout settles (a zero timer; later on a loaded machine)
    qtbot.waitUntil(lambda: not misfits(), timeout=3000)
    for row in range(4):
        steps, caption = table.item(row, 1).text().split("\n")
        assert steps.count("\u2192") == 3 and caption == w.shown_orders()[row][0]
        cell = table.visualRect(table.model().index(row, 1))
        assert cell.width() > 0.5 * table.viewport().width()  # the caption column is wide
    w.grab().save(str(screenshot_dir / f"widget_car_panel_4events_{width}.png"))


def test_negative_cosines_get_a_bar_and_poor_orders_are_said(qtbot, panel, screenshot_dir):
    """Four events on a walk scored -0.37 for all 24 orders: the cosine column was bare
    numbers, read as bars that failed to draw, and nothing said every order matched badly
    (GUI audit 36 #15)."""
    from PySide6.QtGui import QColor

    from motionlex.widgets.car_panel import BAR_ROLE

    events = ["walks", "jumps", "sits down", "waves"]
    panel.set_data(", then ".join(events), events,
                   _orders(events, [-0.37 - i / 1000 for i in range(24)]))
    table = panel.orders_table
    assert table.item(0, 2).data(BAR_ROLE) == pytest.approx(-0.37)
    assert "negative" in table.item(0, 2).toolTip()
    assert "Every order matches this motion poorly (best -0.370)" in panel.summary_text()
    qtbot.wait(50)
    image = table.viewport().grab().toImage()
    rect = table.visualItemRect(table.item(0, 2))
    right = QColor(image.pixel(rect.right() - 6, rect.center().y()))
    left = QColor(image.pixel(rect.left() + 4, rect.center().y()))
    assert right.red() > right.blue() + 40  # vermillion bar from the right edge
    assert abs(left.red() - left.blue()) < 30  # nothing on the left
    panel.grab().save(str(screenshot_dir / "car_panel_negative.png"))
    panel.set_data(", then ".join(events[:2]), events[:2], _orders(events[:2], [0.45, 0.4]))
    assert "poorly" not in panel.summary_text()
    assert table.item(0, 2).toolTip() == ""


def _short_panel_of_24_orders(qtbot, panel) -> tuple[list[str], list]:
    """The panel at 1024x640's size holding a 4-event query's 24 orders, the true order
    (the first permutation) ranked last; returns the events and the orders."""
    panel.resize(290, 260)
    qtbot.wait(50)
    events = ["a person raises both hands", "a person walks forward", "turns around",
              "sits down"]
    orders = _orders(events, [0.26 + i / 100 for i in range(24)])
    panel.set_data(", then ".join(events), events, orders, order_name="query")
    return events, orders


def test_the_true_orders_row_stays_in_view_in_a_short_panel(qtbot, panel):
    """At 1024x640 the best row wrapped to 4 lines and the query's own row was cut at the
    bottom: rows are two lines (the order, then the caption cut with "…", whole in the
    tooltip) and the true order's row is scrolled into view (GUI audit 36 #8)."""
    events, _ = _short_panel_of_24_orders(qtbot, panel)
    table = panel.orders_table
    (row,) = panel.true_rows()
    assert row == 23
    lines = table.fontMetrics().lineSpacing()
    assert all(table.rowHeight(r) < 3 * lines for r in range(table.rowCount()))
    qtbot.waitUntil(lambda: table.viewport().rect().contains(
        table.visualItemRect(table.item(row, 1))), timeout=2000)
    assert table.item(row, 1).toolTip() == ", then ".join(events)


def test_a_resize_keeps_the_rows_the_user_scrolled_to(qtbot, panel):
    """Every resize of the panel (a window or dock resized) and every width change of the
    caption column scrolled back to the true order: a user reading other orders lost them
    (review 36 #11). Only new data scrolls to it."""
    events, orders = _short_panel_of_24_orders(qtbot, panel)
    bar = panel.orders_table.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.value() > 0, timeout=2000)  # new data: the true row shown
    qtbot.wait(50)
    bar.setValue(0)  # the user scrolls up to the best orders
    panel.resize(300, 280)
    qtbot.wait(50)
    panel.resize(310, 270)
    qtbot.wait(50)
    assert bar.value() == 0
    panel.set_data(", then ".join(events), events, orders, order_name="query")
    qtbot.waitUntil(lambda: bar.value() > 0, timeout=2000)


def test_data_set_while_hidden_shows_its_true_order_when_shown(qtbot, panel):
    """New data set in a hidden panel (a tabbed dock) is scrolled to the true order when
    the panel shows, not before (review 36 #11)."""
    panel.resize(290, 260)
    panel.hide()
    events = ["a person raises both hands", "a person walks forward", "turns around",
              "sits down"]
    sims = [0.26 + i / 100 for i in range(24)]
    panel.set_data(", then ".join(events), events, _orders(events, sims), order_name="query")
    qtbot.wait(50)
    panel.show()
    qtbot.waitExposed(panel)
    table, (row,) = panel.orders_table, panel.true_rows()
    qtbot.waitUntil(lambda: table.viewport().rect().contains(
        table.visualItemRect(table.item(row, 1))), timeout=2000)



def test_a_short_dock_scrolls_and_keeps_the_best_and_the_query_rows(qtbot):
    """GUI audit w38 #1: at 1024x640 the table got 1.5 rows, scrolled so the best order
    (the panel's answer) was off its top, and the caption box was cut by the dock. In a
    dock as short as that (the panel in tabs in a scroll area, as app/analysis.py builds
    it), the table keeps the best and the query's rows, scrolled to its top, and the dock
    scrolls down to the caption box."""
    from PySide6.QtWidgets import QLabel, QScrollArea, QTabWidget

    from motionlex.widgets.chronology_panel import ChronologyPanel

    chron = ChronologyPanel()
    panel = chron.car_panel
    tabs = QTabWidget()
    tabs.addTab(chron, "Chronology")
    tabs.addTab(QLabel("describe"), "Describe")
    dock = QScrollArea()
    dock.setWidgetResizable(True)
    dock.setWidget(tabs)
    dock.resize(290, 270)
    qtbot.addWidget(dock)
    dock.show()
    qtbot.waitExposed(dock)
    chron.set_heading("Orders of the query's events against motion demo_c065")
    panel.set_caption_visible(False)
    events = ["a person raises both hands", "a person walks forward"]
    panel.set_data(", then ".join(events), events, _orders(events, [0.469, 0.563]),
                   order_name="query")
    table = panel.orders_table
    assert panel.true_rows() == [1] and table.rowCount() == 2
    qtbot.wait(100)  # the settled fit
    for row in (0, 1):  # the best order and the query's, whole
        qtbot.waitUntil(lambda r=row: table.viewport().rect().contains(
            table.visualItemRect(table.item(r, 1))), timeout=2000)
    assert table.verticalScrollBar().value() == 0
    edit = panel.caption_edit
    dock.ensureWidgetVisible(edit)  # the dock scrolls to the caption box
    qtbot.waitUntil(lambda: dock.viewport().rect().contains(
        edit.rect().translated(edit.mapTo(dock.viewport(), edit.rect().topLeft()))),
        timeout=2000)
