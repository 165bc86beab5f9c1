"""QueryHint: the unknown-words line under the query box, with the shipped model's vocabulary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from motionlex.widgets.query_hint import (
    CHECK_DELAY_MS,
    NO_MOTION_TEXT,
    NO_MOTION_WORD_TEXT,
    NO_WORDS_TEXT,
    NOT_ENGLISH_TEXT,
    QueryHint,
    hint_text,
)

TOKENIZER = Path(__file__).parents[2] / "resources" / "default_model" / "tokenizer"


@pytest.fixture(scope="module")
def vocabulary() -> list[str]:
    """The shipped model's WordPiece vocabulary (30,522 tokens)."""
    return list(json.loads((TOKENIZER / "tokenizer.json").read_text())["model"]["vocab"])


@pytest.fixture
def hint(qtbot, vocabulary) -> QueryHint:
    w = QueryHint()
    w.resize(520, 24)
    qtbot.addWidget(w)
    w.set_vocabulary(vocabulary, ["waves", "wave", "hand", "left", "walks", "jump", "sit"])
    return w


def test_typos_are_named_with_what_was_meant(qtbot, hint):
    found = hint.check("a persn wavs the lefft hnad")
    assert [c.word for c in found] == ["persn", "wavs", "lefft", "hnad"]
    assert hint.shown_text() == ("unknown words: persn, wavs, lefft, hnad \u2014 did you mean: "
                                 "person, waves, left, hand")
    assert "did you mean" in hint.text() and "<a href" in hint.text()  # the clickable part
    assert hint.toolTip().startswith(hint.shown_text())
    with qtbot.waitSignal(hint.correctionChosen, timeout=1000) as blocker:
        hint.linkActivated.emit("apply")  # what a click on the link sends
    assert blocker.args == ["a person waves the left hand"]


def test_known_queries_hide_the_line(hint):
    hint.check("a persn waves")
    assert not hint.isHidden()
    assert hint.check("a person waves the left hand, then walks counterclockwise") == []
    assert hint.isHidden() and hint.shown_text() == ""


def test_queries_of_function_words_are_told_they_name_no_motion(hint):
    # "the and of" ranked 100 confident-looking results (0.61) with no word of warning
    hint.resize(900, 24)
    for text in ("the and of", "A person.", "someone who is there"):
        assert hint.check(text) == []
        assert not hint.isHidden() and hint.shown_text() == NO_MOTION_TEXT
        assert "<a href" not in hint.text()  # nothing to click: no correction to apply
    hint.check("a person jumps")
    assert hint.isHidden()
    hint.resize(200, 24)
    hint.check("the of")
    assert hint.shown_text().endswith("\u2026")  # cut to a narrow line, all in the tooltip
    assert hint.toolTip() == NO_MOTION_TEXT


@pytest.mark.parametrize("text", ["eine Person springt zweimal und setzt sich dann hin",
                                  "\u4e00\u4e2a\u4eba\u8df3\u4e24\u6b21\u7136\u540e\u5750\u4e0b",
                                  "asdf qwerty zzz"])
def test_another_language_is_told_the_model_reads_english(qtbot, hint, text):
    """Audit 32: a German query got "did you mean: sprint, weimar, sic, danny", and a click
    searched that; the line now says the model reads English and offers nothing to click.
    Audit 33: keyboard mash was told "the model reads English" first, as if written in
    another language; the one line now says the words are unknown to the model first."""
    hint.resize(900, 24)
    found = hint.check(text)
    assert found and all(c.suggestion is None for c in found)
    assert hint.shown_text() == NOT_ENGLISH_TEXT and "<a href" not in hint.text()
    assert NOT_ENGLISH_TEXT.startswith("most words of this query are unknown to the model")
    assert hint.corrected_text() == text  # nothing to apply
    hint.check("a persn wavs the lefft hnad")  # English with typos keeps its suggestions
    assert "did you mean: person, waves, left, hand" in hint.shown_text()


def test_a_query_without_words_is_told_it_is_not_searched(hint):
    """Audit 32: "12345" was refused by an 8-second status message while the box kept it
    over the previous query's results; the line now stays while the box holds it."""
    hint.resize(900, 24)
    for text in ("12345", "?!", "  42 "):
        assert hint.check(text) == []
        assert not hint.isHidden() and hint.shown_text() == NO_WORDS_TEXT, text
    hint.check("")
    assert hint.isHidden()  # an empty box is no query


def test_gallery_words_are_known_and_suggested(hint):
    assert [c.word for c in hint.check("a person does a somersault")] == ["somersault"]
    assert "word pieces" in hint.shown_text()  # no close known word: named only
    hint.set_gallery_words(["A person does a somersault.", "someone somersaults twice"])
    assert hint.isHidden()  # rechecked with the gallery's words
    assert hint.check("a person does a somersalt")[0].suggestion == "somersault"


def test_dictionary_words_are_named_without_a_suggestion(hint, vocabulary):
    """The explorer passes spaCy's dictionary (ModelInfo.dictionary): an English word that
    the tokenizer splits ("lunges", "somersault") is no typo ("did you mean: lungs"), but
    the user still learns the model reads it in pieces; a typo keeps its suggestion."""
    assert [c.suggestion for c in hint.check("a person lunges")] == ["lungs"]
    hint.set_vocabulary(vocabulary, ["waves", "hand"], dictionary=["lunge", "somersault"])
    found = hint.check("a person lunges, then a somersault")
    assert [(c.word, c.suggestion) for c in found] == [("lunges", None), ("somersault", None)]
    assert hint.shown_text() == ("unknown words: lunges, somersault (the model reads them "
                                 "as word pieces)")
    assert [c.suggestion for c in hint.check("a persn lunges")] == ["person", None]


def test_a_query_without_a_motion_word_is_told_its_results_mean_little(hint):
    """GUI audit 37 #5: "the weather is nice today" (every word known, none a word the
    model learned from motion captions) ranked bows at 0.67 with no word of warning."""
    hint.resize(900, 24)
    assert hint.check("the weather is nice today") == []
    assert not hint.isHidden() and hint.shown_text() == NO_MOTION_WORD_TEXT
    for text in ("a person jumped twice", "someone sits"):  # a form of a lexical word
        hint.check(text)
        assert hint.isHidden(), text
    hint.check("the weather is nice")
    hint.set_gallery_words(["the weather is nice"])  # a gallery's caption words count
    assert hint.isHidden()


def test_typing_is_checked_after_a_pause(qtbot, hint):
    hint.check_later("a persn")
    hint.check_later("a persn wavs")
    assert hint.corrections == []  # not yet
    qtbot.waitUntil(lambda: len(hint.corrections) == 2, timeout=CHECK_DELAY_MS * 10)


def test_no_vocabulary_no_line(qtbot):
    w = QueryHint()
    qtbot.addWidget(w)
    assert w.check("a persn wavs") == [] and w.isHidden()


def test_hint_text_lists_at_most_five_words():
    from motionlex.core.text.spelling import Correction

    many = [Correction(f"xq{i}", 0, 3, None) for i in range(7)]
    assert hint_text(many).startswith("unknown words: xq0, xq1, xq2, xq3, xq4, \u2026")
    assert hint_text([]) == ""


def test_a_narrow_line_keeps_the_suggestions(qtbot, hint):
    from motionlex.widgets.elide import ELLIPSIS

    hint.resize(220, 24)
    hint.show()
    hint.check("a persn wavs the lefft hnad")
    shown = hint.shown_text()
    assert shown.startswith("did you mean: person")  # the typed words are in the box above
    assert shown.endswith(ELLIPSIS) or shown.endswith("hand")
    assert hint.fontMetrics().horizontalAdvance(shown) <= hint.contentsRect().width()
    assert "lefft" in hint.toolTip() and "left, hand" in hint.toolTip()  # all of it
    hint.resize(900, 24)  # room again: the whole line
    assert hint.shown_text().startswith("unknown words: persn")


def test_it_says_when_a_suggestion_is_offered_and_which_keys_accept_it(qtbot, hint):
    """The line was mouse-only: the window now offers Ctrl+Enter while it suggests words,
    and the line says so in its tooltip."""
    seen: list[bool] = []
    hint.suggestionChanged.connect(seen.append)
    hint.set_accept_keys("Ctrl+Enter")
    hint.check("a persn wavs")
    assert hint.has_suggestion() and seen == [True]
    assert "press Ctrl+Enter" in hint.toolTip()
    hint.check("a person waves")  # every word known: nothing to accept
    assert not hint.has_suggestion() and seen == [True, False]
    hint.check("the a of")  # a line (it names no motion), but no words to accept
    assert hint.toolTip().startswith(NO_MOTION_TEXT)
    assert not hint.has_suggestion() and seen == [True, False]


def test_the_word_being_typed_is_left_out_then_completed(qtbot, hint):
    """GUI audit B #8: with search as you type, a pause in "a person climbs a ladd" said
    "did you mean: lad", and "a person cli" "unknown words: cli". The word at the end of the
    box is not checked while it is typed; once done, a known word it begins comes first."""
    assert hint.check("a person cli", typing=True) == [] and hint.isHidden()
    assert hint.check("a person", typing=True) == [] and hint.isHidden()  # no "names no
    assert hint.check("a persn cli", typing=True)[0].word == "persn"  # motion"; the words
    assert hint.shown_text().endswith("did you mean: person")  # before it are checked
    found = hint.check("a person climbs a ladd")  # Enter: done, "ladd" ends the query
    assert [(c.word, c.suggestion) for c in found] == [("ladd", "ladder")]
    found = hint.check("a person climbs a ladd then sits")  # inside: the closest word
    assert [(c.word, c.suggestion) for c in found] == [("ladd", "lad")]
    assert hint.check("a person jum")[0].suggestion == "jump"  # preferred: a lexical word


def test_the_box_s_last_word_is_checked_when_done(qtbot, hint):
    """:meth:`QueryHint.follow`: typed, the last word waits; Enter (or a space, or leaving
    the box) checks it; a text set (from the history) is checked whole."""
    from PySide6.QtCore import Qt

    from motionlex.widgets.query_edit import QueryEdit

    edit = QueryEdit()
    qtbot.addWidget(edit)
    edit.show()
    hint.follow(edit)
    qtbot.keyClicks(edit, "a person climbs a ladd")
    qtbot.wait(CHECK_DELAY_MS + 100)
    assert edit.typing_word() and hint.isHidden()
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert not edit.typing_word() and hint.shown_text().endswith("did you mean: ladder")
    qtbot.keyClicks(edit, " and jum")  # typing again: the new last word waits
    qtbot.wait(CHECK_DELAY_MS + 100)
    assert "ladd" in hint.shown_text() and "jum" not in hint.shown_text()
    qtbot.keyClick(edit, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: "jum" in hint.shown_text(), timeout=1000)
    edit.setText("a person cli")  # set, not typed: checked whole
    qtbot.waitUntil(lambda: "cli" in hint.shown_text(), timeout=1000)
