"""DescribePanel: nearest bank captions with scores and words (retrieval-based captioning)."""

from __future__ import annotations

import pytest

from motionlex.widgets.describe_panel import DescribePanel

CAPTIONS = [
    {"caption": "a person waves the right hand.", "score": 0.849, "dense": 0.849,
     "lexical": 0.781, "words": [("hand", 0.2), ("waving", 0.1)]},
    {"caption": "someone waves the left hand.", "score": 0.721, "dense": 0.721,
     "lexical": 0.77, "words": []},
]


@pytest.fixture
def panel(qtbot) -> DescribePanel:
    w = DescribePanel()
    w.resize(520, 360)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_lists_captions_scores_and_words(qtbot, panel):
    panel.set_data("motion take_1 (no caption)", CAPTIONS, [("hand", 0.9), ("wave", 0.8)],
                   "caption_bank.txt (training captions)", 886)
    assert panel.shown_captions() == [c["caption"] for c in CAPTIONS]
    t = panel.table
    assert t.item(0, 1).text() == "0.849" and t.item(0, 4).text() == "hand, waving"
    panel.set_data("m (no caption)", CAPTIONS, [("hand", 0.9), ("wave", 0.8)], "bank.txt", 2,
                   weight=1.0)
    assert "score = 1.00 \u00d7 dense" in panel._source.text()
    assert "CSLS" not in panel._source.text()
    panel.set_data("m (no caption)", CAPTIONS, [("hand", 0.9), ("wave", 0.8)], "bank.txt", 2,
                   weight=0.6, ranked_by="csls")
    assert "ranked by CSLS" in panel._source.text() and "hubness" in panel._source.toolTip()
    assert panel.words_text() == "Motion's heaviest words: hand, wave"
    assert "retrieval" in panel.toolTip().lower() and "not a generated" in panel.toolTip()
    assert "(no caption)" in panel.title_text()
    with qtbot.waitSignal(panel.describeRequested, timeout=1000):
        panel.describe_button.click()
    panel.set_busy(True)
    assert panel.is_busy()
    panel.clear()
    assert panel.shown_captions() == [] and panel.table.rowCount() == 0


def test_bad_rows_name_the_index(panel):
    with pytest.raises(ValueError, match=r"captions\[1\]"):
        panel.set_data("m", [CAPTIONS[0], {"score": 1.0}], [])
    with pytest.raises(ValueError, match=r"captions\[0\]"):
        panel.set_data("m", [{"caption": "x", "score": "high"}], [])


def test_narrow_panel_keeps_the_caption_readable(qtbot, panel):
    panel.set_data("m", CAPTIONS, [])
    panel.resize(340, 360)
    qtbot.waitUntil(lambda: panel.table.isColumnHidden(4), timeout=2000)
    assert not panel.table.isColumnHidden(0) and not panel.table.isColumnHidden(1)
    assert "shared words: hand, waving" in panel.table.item(0, 0).toolTip()
    panel.resize(900, 360)
    qtbot.waitUntil(lambda: not panel.table.isColumnHidden(4), timeout=2000)


def test_a_long_caption_wraps_instead_of_being_cut(qtbot, panel):
    """The retrieved captions are what the tab is for: a long one was cut with an ellipsis
    while the table had room below; it wraps onto more lines now."""
    long = dict(CAPTIONS[0], caption="someone jumps in place twice, then quickly kicks "
                "forward with the right leg and finally sits down on the floor slowly")
    panel.set_data("m", [long, CAPTIONS[1]], [])
    t = panel.table
    fm = t.fontMetrics()
    assert fm.horizontalAdvance(long["caption"]) > t.columnWidth(0)  # it would not fit
    assert t.rowHeight(0) >= 2 * fm.lineSpacing() and t.rowHeight(0) > t.rowHeight(1)


def test_tab_leaves_the_caption_table(qtbot):
    """Tab cycled through the table's cells forever (30 presses never left it)."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

    host = QWidget()
    qtbot.addWidget(host)
    box = QVBoxLayout(host)
    panel = DescribePanel(host)
    box.addWidget(panel)
    after = QLineEdit(host)
    box.addWidget(after)
    host.show()
    qtbot.waitExposed(host)
    panel.set_data("m (no caption)", CAPTIONS, [], "bank.txt", 2)
    host.activateWindow()
    panel.table.setFocus()
    qtbot.waitUntil(panel.table.hasFocus, timeout=5000)
    for _ in range(2 * panel.table.rowCount() * panel.table.columnCount() + 2):
        if not panel.table.hasFocus():
            break
        qtbot.keyClick(host.focusWidget(), Qt.Key.Key_Tab)
    assert not panel.table.hasFocus()


def test_the_motions_words_follow_the_word_panels_grouping(qtbot, panel):
    """GUI audit w38 #5: Describe listed "forward, forwards, walks, walked, walking, walk,
    quickly, far, bow, ahead" (six of ten slots on two words, "hand" left out) while the word
    panel, View > Group word forms on, listed "walk, forward, hand, bow, …". Both group the
    same way now (the vocabulary's groups, lexical_groups.drawn_words)."""
    from motionlex.core.text.word_groups import word_groups
    from motionlex.widgets.lexical_bars import LexicalBars

    words = [("forward", 0.2), ("forwards", 0.15), ("walks", 0.14), ("walked", 0.13),
             ("walking", 0.12), ("walk", 0.11), ("quickly", 0.1), ("far", 0.09),
             ("bow", 0.08), ("ahead", 0.07), ("hand", 0.065), ("hands", 0.06),
             ("run", 0.05), ("turn", 0.04), ("jump", 0.03), ("sit", 0.02)]
    groups = word_groups([w for w, _ in words])
    panel.set_data("motion demo_s078", CAPTIONS, words)
    assert [w for w, _ in panel.shown_words()] == [w for w, _ in words[:10]]  # no groups yet
    panel.set_word_groups(groups)
    shown = panel.shown_words()
    assert [w for w, _ in shown[:3]] == ["walk", "forward", "hand"]
    assert dict(shown)["walk"] == pytest.approx(0.14 + 0.13 + 0.12 + 0.11)
    assert len(shown) == 10 and panel.words_text().startswith(
        "Motion's heaviest words: walk, forward, hand, quickly")
    assert "walk 0.5 = walks 0.14 + walked 0.13" in panel._words.toolTip()
    bars = LexicalBars(max_words=20)  # the word panel's rows for the same words
    qtbot.addWidget(bars)
    bars.set_word_groups(groups)
    bars.set_result_words(words)
    assert bars.words("result")[:10] == shown
    panel.set_grouped(False)  # View > Group word forms off: every vocabulary word
    bars.set_grouped(False)
    assert panel.shown_words() == words[:10] == bars.words("result")[:10]
