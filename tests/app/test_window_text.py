"""What the user reads in the explorer window: typo feedback under the query box, and text
that fits (elided on the right, full text in tooltips) at the smallest supported size."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from motionlex.app.window import MainWindow
from motionlex.widgets.elide import ELLIPSIS, is_elided
from motionlex.widgets.lexical_words import value_text

LONG_WAIT_MS = 90000  # model and index loads on a busy 2-core machine


@pytest.fixture
def small_window(open_window) -> MainWindow:
    """A 1024x640 window with the tiny checkpoint and the test gallery open."""
    return open_window((1024, 640), LONG_WAIT_MS)


def test_typos_get_feedback_under_the_query_box(qtbot, small_window):
    w = small_window
    assert len(w.model_info.words) > 1000  # the worker sent the model's vocabulary
    hint = w.query_hint
    assert hint.isHidden()
    toolbar = w.query_edit.parentWidget().parentWidget()
    qtbot.wait(50)  # the layout settled
    tops = (toolbar.height(), w.centralWidget().geometry().top())
    qtbot.keyClicks(w.query_edit, "a persn wavs the lefft hnad ")  # the space: "hnad" is
    qtbot.waitUntil(lambda: not hint.isHidden(), timeout=5000)  # done, checked too
    qtbot.wait(50)
    # it floats over the docks: the toolbar keeps its height, no panel jumps down
    assert (toolbar.height(), w.centralWidget().geometry().top()) == tops
    # ... but the centre's content (a demo banner, the 3D view) makes room: nothing hidden
    layout = w.centralWidget().layout()
    inner = [layout.itemAt(i).widget() for i in range(layout.count())]
    inner = next(x for x in inner if x.isVisible())
    inner_box = inner.geometry().translated(w.centralWidget().mapTo(w, QPoint()))
    assert hint.geometry().intersects(w.centralWidget().geometry())  # it would cover it
    assert not hint.geometry().intersects(inner_box)
    text = hint.shown_text()
    # a wide line names the unknown words; a narrow one (this toolbar at 1024 px) only the
    # suggestion, and its tooltip carries everything
    assert text.startswith(("unknown words: persn, wavs, lefft, hnad", "did you mean: "))
    assert "did you mean: person, wave" in text and text.endswith("left, hand")
    assert "persn, wavs, lefft, hnad" in hint.toolTip()
    # the line sits right under the query box, as wide as it
    edit_box = w.query_edit.geometry().translated(w.query_edit.parentWidget().mapTo(w, QPoint()))
    assert hint.geometry().top() == edit_box.bottom() + 1
    assert (hint.geometry().left(), hint.width()) == (edit_box.left(), edit_box.width())
    # the toolbar hidden, the line goes with the box (it floated over the Gallery dock)
    toolbar.hide()
    qtbot.waitUntil(hint.isHidden, timeout=5000)
    qtbot.waitUntil(lambda: w.centralWidget().layout().contentsMargins().top() == 0,
                    timeout=5000)  # and the room it took is given back
    toolbar.show()
    qtbot.waitUntil(lambda: not hint.isHidden(), timeout=5000)
    # at the bottom of the window (no room below the box) it goes above the box
    w.addToolBar(Qt.ToolBarArea.BottomToolBarArea, toolbar)
    toolbar.show()
    qtbot.waitUntil(lambda: not hint.isHidden(), timeout=5000)
    qtbot.wait(50)
    edit_top = w.query_edit.mapTo(w, QPoint()).y()
    assert hint.geometry().bottom() < edit_top
    # ... and the centre makes its room at the bottom, where the line is
    margins = w.centralWidget().layout().contentsMargins()
    if hint.geometry().intersects(w.centralWidget().geometry()):
        assert margins.top() == 0 and margins.bottom() > 0
    w.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
    toolbar.show()
    qtbot.waitUntil(lambda: not hint.isHidden(), timeout=5000)
    # clicking the suggestion searches the corrected query
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS) as blocker:
        hint.linkActivated.emit("apply")
    assert blocker.args[0].text == w.query_edit.text().strip()
    assert "persn" not in w.query_edit.text() and "hand" in w.query_edit.text()
    qtbot.waitUntil(hint.isHidden, timeout=5000)


def test_text_fits_at_1024x640(qtbot, small_window):
    w = small_window
    bars = w.lexical_bars
    long_word = "counterclockwise" * 2
    bars.set_query_words([(long_word, 0.9), ("hand", 0.5)])
    bars.set_result_words([("hand", 0.4), ("kicks", 0.0786)])
    bars.set_titles("query: a person raises both hands, then walks forward", "motion x")
    label = bars.painted_label("query", long_word)
    assert is_elided(label, long_word)  # the start is kept, "…" at the end
    assert bars.painted_label("query", "hand") == "hand"  # shared: the dot is drawn apart
    # whole (as the panel writes weights: 0.079) or left out; the word panel has room for
    # its weights at 1024 px since the chronology dock and the 3D view can be narrower
    kick = "kick" if bars.is_grouped() else "kicks"  # the model's forms summed, or not
    assert bars.painted_value("result", kick) in ("", value_text(0.0786))
    assert bars.title_text("query").endswith(ELLIPSIS)
    # the gallery's ids show what differs between rows; the full id is in the tooltip
    model = w.gallery_browser.model
    full = model.record(0)["id"]
    shown = model.data(model.index(0, 0))
    assert full.endswith(shown)
    assert full in model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    # every toolbar button is on the toolbar, none behind its "»" overflow (Describe was)
    from PySide6.QtWidgets import QToolBar

    for tb in w.findChildren(QToolBar):
        if not tb.isVisible():
            continue
        hidden = [a.iconText() for a in tb.actions() if not a.isSeparator()
                  and tb.widgetForAction(a) is not None and not tb.widgetForAction(a).isVisible()]
        assert not hidden, (tb.objectName(), hidden)


def test_the_welcome_page_names_menu_entries_that_exist(make_window):
    """The welcome page's steps name File menu entries by their text; the quickest way back
    to something to try (the demo gallery) was missing from it."""
    import re

    w = make_window()
    welcome = w._welcome.text()
    named = re.findall(r"File &rsaquo; ([^<&]+)", welcome)
    assert "Open demo gallery" in named and len(named) == 3
    menu = {a.text().replace("&", "").rstrip(".\u2026") for a in w.menuBar().actions()[0]
            .menu().actions()}
    assert all(n.strip().rstrip(".\u2026") in menu for n in named), (named, menu)


def test_the_unlabelled_boxes_have_tooltips_and_the_score_says_which_it_is(window):
    """The loop box, the query box and both filter boxes had no tooltip, and nothing said
    that the results' score (fused) is not the chronology panel's dense cosine (audit 33
    #8): the score header's tooltip names the similarity of the ranking mode."""
    from PySide6.QtWidgets import QCheckBox

    boxes = {b.text(): b for b in window.skeleton_view.findChildren(QCheckBox)}
    assert "first frame" in boxes["loop"].toolTip() and boxes["follow"].toolTip()
    assert "Enter" in window.query_edit.toolTip()
    assert "every word" in window.results_list.filter_edit.toolTip()
    assert "every word" in window.gallery_browser.filter_edit.toolTip()
    m, score_col = window.results_list.model, 1
    head = lambda role: m.headerData(score_col, Qt.Orientation.Horizontal, role)  # noqa: E731
    tips = {}
    for mode in ("lexical", "dense", "fused"):  # no results shown: the mode box's
        window.mode_box.setCurrentIndex(window.mode_box.findData(mode))
        assert head(Qt.ItemDataRole.DisplayRole) == "score"
        tips[mode] = head(Qt.ItemDataRole.ToolTipRole)
    assert tips["fused"].startswith("fused score:") and "dense cosine" in tips["fused"]
    assert tips["dense"].startswith("dense cosine:")
    assert tips["lexical"].startswith("lexical score:")


def test_an_empty_window_shows_no_word_keys_and_offers_nothing_to_rank(
        qtbot, make_window, gl_platform):
    """The empty window's status bar's only message was the word panel's keyboard hint;
    "Order-aware ranking" was on offer with nothing to rank (GUI audit 36 #19)."""
    w = make_window(size=(1024, 640))
    assert w.lexical_bars.statusTip() == ""  # hovering the empty panel says nothing
    assert not w.analysis.act_order.isEnabled()
    w.lexical_bars.set_query_words([("walk", 0.5)], frozenset({"walk"}))
    assert "Click a word" in w.lexical_bars.statusTip()
