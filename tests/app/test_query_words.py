"""A query with no words is refused in the status bar, never with a message box (Xvfb)."""

from __future__ import annotations

LONG_WAIT_MS = 120000


def test_wordless_queries_are_refused_quietly(qtbot, open_window):
    w = open_window((1280, 820), LONG_WAIT_MS)
    shown = w.state.selected_row
    for text in ("12", "?!...", "  ...  "):
        assert w.search(text) is False
        assert w.error_box is None  # typing goes on: no modal box
        assert "has no words" in w.statusBar().currentMessage()
    w.query_edit.setText("12")
    w._live_search("12")  # search-as-you-type after a pause
    qtbot.wait(50)
    assert w.error_box is None and w.state.selected_row == shown
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS):
        assert w.search("a person walks") is True


def test_a_refused_query_leaves_the_results_marked_as_the_previous_querys(qtbot, open_window):
    """Audit 35 #7: "?!" after "asdkjh qwpoeiru zxmcnv" left the word panel titled "query:
    asdkjh…" over that query's words, under "?!" in the box. The results and words stay,
    titled as the previous query's, until another query is searched."""
    w = open_window((1280, 820), LONG_WAIT_MS)
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS):
        w.search("asdkjh qwpoeiru zxmcnv")
    bars = w.lexical_bars
    qtbot.waitUntil(lambda: bars._full_title("query") == "query: asdkjh qwpoeiru zxmcnv",
                    timeout=5000)
    rows = w.results_list.row_count()
    w.query_edit.setText("?!")
    w._live_search("?!")  # search-as-you-type after a pause
    assert bars._full_title("query") == "previous query: asdkjh qwpoeiru zxmcnv"
    assert w.results_list.row_count() == rows  # kept: the box tells why none are new
    assert w.search("12") is False  # said once
    assert bars._full_title("query") == "previous query: asdkjh qwpoeiru zxmcnv"
    # Enter on an empty box is answered alike (GUI audit B #11: it said nothing)
    w.query_edit.clear()
    w.query_edit.returnPressed.emit()
    assert "the query is empty" in w.statusBar().currentMessage()
    assert w.error_box is None and w.results_list.row_count() == rows
    assert bars._full_title("query") == "previous query: asdkjh qwpoeiru zxmcnv"
    w.skeleton_view.setFocus()
    w.results_list.select_row(1)  # another result: the query column keeps the mark
    qtbot.waitUntil(lambda: w.state.motion is not None and w.state.motion.row
                    == int(w.results_list.record(1)["row"]), timeout=LONG_WAIT_MS)
    qtbot.wait(100)
    assert bars._full_title("query").startswith("previous query: ")
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS):
        w.search("a person walks")
    qtbot.waitUntil(lambda: bars._full_title("query") == "query: a person walks",
                    timeout=5000)


def test_a_text_query_is_asked_again_of_a_newly_opened_gallery(qtbot, open_window,
                                                              gallery_index):
    """Opening another gallery with results shown re-runs the text query there (the old
    query text and its word bars once stayed over an empty results list)."""
    w = open_window((1280, 820), LONG_WAIT_MS)
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS):
        w.search("a person walks")
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS) as again:
        w.open_gallery(gallery_index)
    assert again.args[0].text == "a person walks" and w.results_list.row_count() > 0
    assert w.state.last_result is again.args[0]


def test_the_query_and_result_words_say_which_are_their_texts_own(qtbot, open_window):
    """The word panel draws the model's expansions apart from the text's own words: the
    worker marks them with the English parser (the query's words; the result's captions;
    none for an uncaptioned motion)."""
    from motionlex.core.text.words import own_words

    w = open_window((1280, 820), LONG_WAIT_MS)
    text = "a person waves the left hand"
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS) as shown:
        w.search(text)
    result = shown.args[0]
    words = [wd for wd, _ in result.query_words]
    assert result.query_own == own_words(words, [text])  # the tiny model's words are random
    bars = w.lexical_bars
    assert "Grey italics: added by the model" in w.lexical_dock.toolTip()  # the legend
    for wd, _ in bars.words("query"):
        assert bars.is_expansion("query", wd) == (wd not in result.query_own), wd
    gallery = w.gallery
    for row in (next(r for r, c in enumerate(gallery.captions) if c),
                next(r for r, c in enumerate(gallery.captions) if not c)):
        with qtbot.waitSignal(w.motionShown, timeout=LONG_WAIT_MS) as got:
            w.show_gallery_row(row)
        motion = got.args[0]
        if motion.caption:
            assert motion.own_words == own_words([wd for wd, _ in motion.words],
                                                 motion.captions)
        else:  # no caption: every word is the model's (they read as caption words)
            assert motion.own_words == frozenset()
            assert all(bars.is_expansion("result", wd) for wd, _ in bars.words("result"))
