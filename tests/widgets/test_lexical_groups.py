"""The lexical panel with the model's word groups: one row per word, its forms summed."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from motionlex.core.text.word_groups import word_groups
from motionlex.widgets.lexical_bars import LexicalBars
from motionlex.widgets.lexical_groups import drawn_words

# the default model's query words for "a person raises both hands" (stage 5, rounded)
QUERY = [("handed", 0.145), ("raised", 0.143), ("hands", 0.142), ("hand", 0.141),
         ("raising", 0.141), ("raises", 0.139), ("arms", 0.086), ("both", 0.05)]
RESULT = [("raised", 0.2), ("handed", 0.199), ("left", 0.157), ("right", 0.138),
          ("arms", 0.118), ("arm", 0.05)]
GROUPS = word_groups(["hand", "hands", "handed", "raised", "raises", "raising", "arm",
                      "arms", "left", "right", "both"], known=["raise"])


@pytest.fixture
def bars(qtbot) -> LexicalBars:
    w = LexicalBars(max_words=4)
    w.resize(520, 240)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.set_query_words(QUERY, own=["raises", "both", "hands"])
    w.set_result_words(RESULT)
    return w


def test_forms_are_one_row_with_their_weights_summed(qtbot, bars):
    assert not bars.is_grouped()  # no groups yet: one row per vocabulary word
    assert [w for w, _ in bars.words("query")] == ["handed", "raised", "hands", "hand"]
    bars.set_word_groups(GROUPS)
    assert bars.is_grouped()
    rows = bars.words("query")
    assert [w for w, _ in rows] == ["hand", "raise", "arm", "both"]  # 4 rows, 4 words
    assert rows[1][1] == pytest.approx(0.143 + 0.141 + 0.139)
    assert rows[0][1] == pytest.approx(0.145 + 0.142 + 0.141)
    assert bars.shared_words() == {"raise", "hand", "arm"}
    # a group is the query's own when one of its forms is; "arm" is an expansion
    assert not bars.is_expansion("query", "raise") and not bars.is_expansion("query", "hand")
    assert bars.is_expansion("query", "arm")
    # the tooltip names the forms and their weights
    tip = bars.tooltip_at(bars.word_rect("query", "raise").center())
    assert tip.startswith("raise: 0.423 = raised 0.143 + raising 0.141 + raises 0.139")
    # side words keep their rows
    assert [w for w, _ in bars.words("result")] == ["raise", "hand", "arm", "left"]
    # clicking a group searches its word
    with qtbot.waitSignal(bars.wordClicked, timeout=1000) as blocker:
        qtbot.mouseClick(bars, Qt.MouseButton.LeftButton,
                         pos=bars.word_rect("query", "raise").center())
    assert blocker.args == ["raise"]
    # off: every vocabulary word on its own row again, with nothing lost
    bars.set_grouped(False)
    assert not bars.is_grouped()
    assert [w for w, _ in bars.words("query")] == ["handed", "raised", "hands", "hand"]
    bars.set_grouped(True)
    assert [w for w, _ in bars.words("query")][0] == "hand"


def test_drawn_words_without_groups_keep_the_words_as_given():
    side = drawn_words(QUERY, None, None, 3)
    assert side.pairs == QUERY[:3] and side.own is None and side.forms == {}
    grouped = drawn_words(QUERY, None, GROUPS, 10)
    assert grouped.forms["hand"] == (("handed", 0.145), ("hands", 0.142), ("hand", 0.141))
    assert "both" not in grouped.forms  # a word of one form is no group
