"""The chronology and describe docks of the explorer (real tiny model, real index, Xvfb)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QScrollArea

from motionlex.app.analysis_messages import GENERATED_MARK
from motionlex.app.jobs import BANK_NOTE_START
from motionlex.app.window import MainWindow
from motionlex.widgets.car_panel import EMPTY_CAPTION_HINT, NO_CAPTION_SUMMARY

TWO_EVENTS = "a person raises both hands, then walks forward"
LONG_WAIT_MS = 120000  # model, index and caption bank on a busy 2-core machine


@pytest.fixture
def loaded(open_window):
    return open_window((1280, 820), LONG_WAIT_MS)


def _orders_shown(w: MainWindow):
    return bool(w.car_panel.shown_orders()) and not w.car_panel.is_busy()


def test_two_event_query_shows_its_orders_scored_for_the_selected_motion(qtbot, loaded):
    w = loaded
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS) as got:
        w.search(TWO_EVENTS)
    result = got.args[0]
    chrono = w.analysis.chronology
    assert chrono.source() == "query" and chrono.query_available()
    row = result.hits[0]["row"]
    qtbot.waitUntil(lambda: _orders_shown(w) and w.car_panel.caption_edit.text() == TWO_EVENTS
                    and w.state.selected_row == row, timeout=LONG_WAIT_MS)
    orders = w.car_panel.shown_orders()
    true = [t for t, _, is_true in orders if is_true]
    assert len(orders) == 2 and len(true) == 1
    assert true[0].startswith("a person raises both hands, then")  # the query's order
    assert all(np.isfinite(s) for _, s, _ in orders)
    assert "then" in orders[0][0] and orders[0][0] != orders[1][0]
    table = w.car_panel.orders_table
    assert "query" in table.item(w.car_panel.true_rows()[0], 0).text()
    assert "query's events" in chrono.heading()  # the id without its folder (audit 36 #20)
    assert chrono.heading().endswith(f"motion {w.gallery.ids[row].rsplit('/', 1)[-1]}")
    # why its score differs from the list's: in the tooltip, the line stays short
    assert 'joined by ", then "' in chrono._heading.toolTip()
    assert len(chrono.heading()) < 70 + len(w.gallery.ids[row])
    # the scores are the model's: the dense cosine of each order with the motion
    from motionlex.core.retrieval.embed import encode_texts

    worker = w.client.worker
    m = np.asarray(worker.index.dense[row], np.float32)
    ref = encode_texts(worker.model, [t for t, _, _ in orders]).dense @ (m / np.linalg.norm(m))
    np.testing.assert_allclose([s for _, s, _ in orders], ref, atol=1e-3)
    # the toggle shows the result caption's own orders, and back
    chrono.button("caption").click()
    caption = w.gallery.captions[row]
    qtbot.waitUntil(lambda: _orders_shown(w) and w.car_panel.caption_edit.text() == caption,
                    timeout=LONG_WAIT_MS)
    assert "Caption of motion" in chrono.heading()
    chrono.button("query").click()
    qtbot.waitUntil(lambda: _orders_shown(w) and w.car_panel.caption_edit.text() == TWO_EVENTS,
                    timeout=LONG_WAIT_MS)
    # an item query has no events: the query view is off
    hint = w.query_edit.placeholderText()
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS):
        w.search_similar()
    assert chrono.source() == "caption" and not chrono.query_available()
    # the query box no longer shows the text query: the list is "motions like" the shown one
    assert w.query_edit.text() == ""
    # named by its short id, as the lists and the word panel name it (GUI audit w38 #4)
    short = w.gallery.ids[row].rsplit("/", 1)[-1]
    assert w.query_edit.placeholderText().startswith(f"showing motions like {short} —")
    # the word panel's two columns say which is the query motion and which the result
    bars = w.lexical_bars
    qtbot.waitUntil(lambda: bars.title_text("query").startswith("like "),
                    timeout=LONG_WAIT_MS)  # the word panel is set in a later display step
    # the result heading names the result (its id, cut on the left where narrow, its take
    # kept; whole in the heading's tooltip)
    qtbot.waitUntil(lambda: bars.tooltip_at(QPoint(bars.width() - 20, 5)).startswith(
        "result "), timeout=LONG_WAIT_MS)
    title = bars.title_text("result")
    assert any(i.rsplit("/", 1)[-1][-5:] in title for i in w.gallery.ids), title
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS):
        w.search(TWO_EVENTS)
    assert w.query_edit.text() == TWO_EVENTS and w.query_edit.placeholderText() == hint


def test_order_aware_ranking_option(qtbot, loaded):
    w = loaded
    assert not w.analysis.act_order.isChecked()  # plain ranking measured better (R@1)
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS) as plain:
        w.search(TWO_EVENTS)
    assert all(h["order_margin"] == 0.0 for h in plain.args[0].hits)
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS) as aware:
        w.analysis.act_order.setChecked(True)  # re-ranks the shown query
    hits = aware.args[0].hits
    assert any(h["order_margin"] != 0.0 for h in hits)
    assert plain.args[0].order_weight == 0.0 and aware.args[0].order_weight == 1.0
    assert "order-aware (score + 1 \u00d7 order margin" in w.statusBar().currentMessage()
    from PySide6.QtCore import Qt

    m, score_col = w.results_list.model, 1
    head = lambda role: m.headerData(score_col, Qt.Orientation.Horizontal, role)  # noqa: E731
    assert head(Qt.ItemDataRole.DisplayRole) == "score*"  # not a similarity now (tooltip)
    assert "order margin" in head(Qt.ItemDataRole.ToolTipRole)
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    by_row = {h["row"]: h["score"] for h in plain.args[0].hits}
    for h in hits:  # score = plain + 1.0 * margin
        assert h["score"] == pytest.approx(by_row[h["row"]] + h["order_margin"], abs=1e-5)
    assert w.settings.value("search/order_aware") in (True, "true")
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS):
        w.analysis.act_order.setChecked(False)
    assert head(Qt.ItemDataRole.DisplayRole) == "score"
    assert head(Qt.ItemDataRole.ToolTipRole).startswith(f"{w.mode} score:")
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS) as lexical:
        w.mode_box.setCurrentIndex(w.mode_box.findData("lexical"))  # re-ranks the query
    assert lexical.args[0].mode == "lexical"  # the header follows the ranking shown
    assert head(Qt.ItemDataRole.ToolTipRole).startswith("lexical score:")


def test_describe_an_uncaptioned_bvh(qtbot, loaded, screenshot_dir):
    w = loaded
    bvh_rows = [r for r, c in enumerate(w.gallery.captions) if not c]
    assert bvh_rows  # the two BVH files have no caption
    qtbot.waitUntil(lambda: all(w.analysis.generated(r) for r in bvh_rows),
                    timeout=LONG_WAIT_MS)
    browser = w.gallery_browser
    row = bvh_rows[0]
    shown = browser.record(row)["caption"]
    assert shown.startswith(GENERATED_MARK) and "[no caption]" not in shown
    # select it: the caption box is empty with a real hint, not "(no caption: ...)"
    w.gallery_dock.raise_()
    browser.select_row(row)
    qtbot.waitUntil(lambda: w.state.selected_row == row and not w.car_panel.is_busy(),
                    timeout=LONG_WAIT_MS)
    qtbot.waitUntil(lambda: "has no caption" in w.analysis.chronology.heading(),
                    timeout=LONG_WAIT_MS)
    edit = w.car_panel.caption_edit
    assert edit.text() == "" and edit.placeholderText() == EMPTY_CAPTION_HINT
    heading = w.analysis.chronology.heading()
    assert GENERATED_MARK.strip() in heading and not heading.endswith((".", ".,"))
    # the panel under that heading does not contradict it ("Events: none found")
    assert w.car_panel.summary_text() == NO_CAPTION_SUMMARY
    # Describe lists the nearest bank captions with scores
    with qtbot.waitSignal(w.analysis.described, timeout=LONG_WAIT_MS) as got:
        w.analysis.act_describe.trigger()
    res = got.args[0]
    panel = w.analysis.describe_panel
    assert res.row == row and len(res.captions) >= 5 and res.bank_size > 100
    assert panel.shown_captions() == [c["caption"] for c in res.captions]
    assert shown == GENERATED_MARK + res.captions[0]["caption"]
    assert panel.words_text().startswith("Motion's heaviest words")
    assert "retrieval" in panel.toolTip().lower() and "(no caption)" in panel.title_text()
    # the BVH's id as the lists show it, not "raw_bvh/bandai_…" wrapped at its slash (w38 #4)
    name = w.gallery.ids[row].rsplit("/", 1)[-1]
    assert "/" in w.gallery.ids[row]
    assert panel.title_text() == f"Describe motion {name} (no caption)"
    # its heaviest words are the word panel's, grouped alike, with View > Group word forms
    # on and off (Describe listed six forms of two words beside it, GUI audit w38 #5)
    assert w.act_group_words.isChecked() and panel.shown_words()
    assert panel.shown_words() == w.lexical_bars.words("result")[:10]
    w.act_group_words.setChecked(False)
    assert panel.shown_words() == w.lexical_bars.words("result")[:10]
    w.act_group_words.setChecked(True)
    scores = [c["score"] for c in res.captions]
    assert scores == sorted(scores, reverse=True)
    assert w.analysis.tabs.currentWidget() is panel and w.analysis.describe_shown()
    assert not w.statusBar().currentMessage().startswith(BANK_NOTE_START)  # not stale
    w.save_screenshot(screenshot_dir / "app_describe.png")


def test_long_queries_never_grow_the_window(qtbot, open_window):
    """Many events and long captions scroll inside the chronology dock: the window keeps its
    size and the results list its rows (the dock's minimum height once grew the window past
    the screen and left 1-4 result rows)."""
    w = open_window((1024, 640), LONG_WAIT_MS)
    rows_before = w.results_list.view.viewport().height()
    long_query = ", then ".join(["a person walks forward slowly and carefully", "jumps twice",
                                 "turns around to the left", "raises both hands high",
                                 "sits down on the floor"]) * 3
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS):
        w.search(long_query)
    qtbot.waitUntil(lambda: _orders_shown(w), timeout=LONG_WAIT_MS)
    qtbot.wait(200)  # let the layout settle
    assert w.height() <= 640 and w.width() <= 1024
    assert w.results_list.view.viewport().height() >= 0.8 * rows_before
    # it scrolls down only: the panels get their minimum width, nothing is cut at the side
    scroll = w.findChild(QScrollArea, "analysis_scroll")
    assert scroll.viewport().width() >= w.analysis.tabs.minimumWidth()
    assert not scroll.horizontalScrollBar().isVisible()


def test_a_typed_caption_is_called_yours(qtbot, loaded):
    """A caption typed in the panel is "your caption", neither the query nor the motion's own
    caption (it was marked "true" under the motion's caption heading)."""
    w = loaded
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS):
        w.search(TWO_EVENTS)
    qtbot.waitUntil(lambda: _orders_shown(w), timeout=LONG_WAIT_MS)
    typed = "a person walks forward, then raises both hands"
    with qtbot.waitSignal(w.ordersShown, timeout=LONG_WAIT_MS) as got:
        w.car_panel.captionEdited.emit(typed)
    assert got.args[0].caption == typed
    heading = w.analysis.chronology.heading()
    assert heading.startswith("Your caption's events") and "Caption of motion" not in heading
    table = w.car_panel.orders_table
    assert "your caption" in table.item(w.car_panel.true_rows()[0], 0).text()
    assert "your caption" in w.car_panel.summary_text()
    # stepping to another result scores the same typed caption against that motion (it was
    # replaced by the query, so one caption could not be tried on several motions)
    first = w.state.selected_row
    with qtbot.waitSignal(w.ordersShown, timeout=LONG_WAIT_MS) as got:
        w.results_list.select_row(1)
    assert got.args[0].caption == typed and got.args[0].row != first
    assert w.car_panel.caption_edit.text() == typed
    assert w.analysis.chronology.heading().startswith("Your caption's events")
    # the same query ranked in another mode keeps it (a mode switch searches again)
    with qtbot.waitSignal(w.ordersShown, timeout=LONG_WAIT_MS) as got:
        w.mode_box.setCurrentIndex(w.mode_box.findData("dense"))
    assert got.args[0].caption == typed
    # the query button brings the query's orders back, and they stay on the next result
    w.analysis.chronology.button("query").click()
    qtbot.waitUntil(lambda: _orders_shown(w) and w.car_panel.caption_edit.text() == TWO_EVENTS,
                    timeout=LONG_WAIT_MS)
    with qtbot.waitSignal(w.ordersShown, timeout=LONG_WAIT_MS) as got:
        w.results_list.select_row(2)  # (the re-ranked list selected its first row)
    assert got.args[0].caption == TWO_EVENTS
    # typed again, then another query: the new query's orders, not the typed caption
    with qtbot.waitSignal(w.ordersShown, timeout=LONG_WAIT_MS):
        w.car_panel.captionEdited.emit(typed)
    with qtbot.waitSignal(w.ordersShown, timeout=LONG_WAIT_MS) as got:
        w.search("a person walks forward, then sits down")
    assert got.args[0].caption == "a person walks forward, then sits down"
    # a motion query ("Similar motions") has no text: a typed caption goes there too (two
    # of them in a row both had "" as their query and kept it)
    for _ in range(2):
        with qtbot.waitSignal(w.ordersShown, timeout=LONG_WAIT_MS):
            w.car_panel.captionEdited.emit(typed)
        with qtbot.waitSignal(w.ordersShown, timeout=LONG_WAIT_MS) as got:
            w.search_similar()
        assert got.args[0].caption != typed


def test_the_chronology_toggle_shows_what_the_panel_shows(qtbot, loaded):
    """After a caption was typed in the panel, "Result caption" stayed pressed over "Your
    caption's events": the toggle presses the button of what is shown, neither for a typed
    caption, and a click on either brings its orders back."""
    w = loaded
    chron = w.analysis.chronology
    pressed = lambda: [s for s in ("query", "caption") if chron.button(s).isChecked()]  # noqa: E731
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS):
        w.search(TWO_EVENTS)
    qtbot.waitUntil(lambda: _orders_shown(w), timeout=LONG_WAIT_MS)
    assert pressed() == ["query"]
    assert w.car_panel.box_label() == "Query:"  # it read "Caption:" (GUI audit B #14)
    with qtbot.waitSignal(w.ordersShown, timeout=LONG_WAIT_MS):
        chron.button("caption").click()
    assert pressed() == ["caption"] and chron.heading().startswith("Caption of motion")
    assert w.car_panel.box_label() == "Caption:"
    with qtbot.waitSignal(w.ordersShown, timeout=LONG_WAIT_MS):
        w.car_panel.captionEdited.emit("a person walks forward, then raises both hands")
    assert chron.heading().startswith("Your caption's events")
    assert pressed() == [] and w.car_panel.box_label() == "Your text:"
    with qtbot.waitSignal(w.ordersShown, timeout=LONG_WAIT_MS):
        w.results_list.select_row(1)  # the typed caption against the next result
    assert chron.heading().startswith("Your caption's events") and pressed() == []
    with qtbot.waitSignal(w.ordersShown, timeout=LONG_WAIT_MS):
        chron.button("caption").click()  # the source shown before the caption was typed
    assert pressed() == ["caption"] and chron.heading().startswith("Caption of motion")


def test_gallery_descriptions_keep_a_multi_selection(qtbot, loaded):
    """The uncaptioned rows' descriptions refill the results list: every selected row stays
    selected (a comparison being set up lost all but one)."""
    w = loaded
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS):
        w.search("a person waves")
    w.results_list.select_rows([0, 2, 3])
    with qtbot.waitSignal(w.analysis.galleryDescribed, timeout=LONG_WAIT_MS):
        w.analysis._describeGallery.emit()
    assert w.results_list.selected_rows() == [0, 2, 3]
    assert w.results_list.compare_button.text() == "Compare 3"


def test_the_chronology_dock_gives_the_results_what_its_orders_leave(qtbot, open_window):
    """GUI audit B #15: at 1440x900 a two-event query's two orders left ~120 px of an empty
    table under the results list's 16 rows. The chronology dock takes no more than its
    rows need (never more than half the column); a split the user moved stays theirs."""
    w = open_window((1440, 900), LONG_WAIT_MS)
    table = w.car_panel.orders_table
    results_before = w.results_dock.height()
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS):
        w.search(TWO_EVENTS)
    qtbot.waitUntil(lambda: _orders_shown(w) and table.rowCount() == 2, timeout=LONG_WAIT_MS)
    qtbot.waitUntil(lambda: w.results_dock.height() > results_before + 40, timeout=5000)
    qtbot.wait(100)
    rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
    empty = table.viewport().height() - rows
    assert empty <= 2 * table.fontMetrics().lineSpacing() + 2 or \
        table.height() == table.minimumHeight(), (empty, table.height())
    assert w.car_dock.height() <= w.results_dock.height()
    # the Describe tab (8 captions) gets the default half back, and the orders their fit
    fitted, half = w.car_dock.height(), (w.car_dock.height() + w.results_dock.height()) // 2
    w.analysis.tabs.setCurrentWidget(w.analysis.describe_panel)
    qtbot.waitUntil(lambda: w.car_dock.height() >= half - 8, timeout=5000)
    w.analysis.tabs.setCurrentWidget(w.analysis.chronology)
    qtbot.waitUntil(lambda: abs(w.car_dock.height() - fitted) <= 16, timeout=5000)
    qtbot.wait(100)
    # the user moves the splitter: a later query leaves it there
    total = w.results_dock.height() + w.car_dock.height()
    w.resizeDocks([w.results_dock, w.car_dock], [total // 3, total - total // 3],
                  Qt.Orientation.Vertical)
    qtbot.wait(100)
    theirs = w.car_dock.height()
    with qtbot.waitSignal(w.ordersShown, timeout=LONG_WAIT_MS):
        w.search("a person walks forward, then sits down")
    qtbot.wait(300)
    assert abs(w.car_dock.height() - theirs) <= 2
