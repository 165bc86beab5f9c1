"""The line under the query box: query words the model does not know, and what was meant.

"a persn wavs the lefft hnad" shows ``unknown words: persn, wavs, lefft, hnad — did you
mean: person, waves, left, hand``; clicking the suggestion puts the corrected query in the
box and emits :attr:`QueryHint.correctionChosen`. A query of function words alone ("the a
of", "a person") gets a line too: it names no motion, so its ranking means little. The
matching is
:class:`motionlex.core.text.spelling.Speller` (pure Python); the app supplies the model's
vocabulary (:meth:`QueryHint.set_vocabulary`) and the open gallery's caption words
(:meth:`QueryHint.set_gallery_words`). Checks run after a short pause in typing, and leave
out the word being typed at the end of the box (:meth:`QueryHint.follow`): "a person cli"
said "unknown words: cli" (GUI audit B #8). Once that word is done (Enter, the focus left
the box) a known word it begins is proposed before a closer one ("ladd": "ladder", not
"lad"; :class:`~motionlex.core.text.completion.Completer`).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from motionlex.core.text.completion import Completer
from motionlex.core.text.spelling import (
    WORD_PATTERN,
    Correction,
    Speller,
    apply_corrections,
    names_a_word_of,
    names_no_motion,
    reads_as_english,
    unknown_words_note,
)
from motionlex.widgets.colors import ACCENT_HEX
from motionlex.widgets.elide import elide_right
from motionlex.widgets.query_edit import QueryEdit

CHECK_DELAY_MS = 200
"""Pause after the last edit before the query's words are checked, milliseconds."""

_MEANT = " \u2014 did you mean: "

MAX_LISTED = 5
"""Most unknown words named in the line (all are in its tooltip)."""

NO_MOTION_TEXT = ("the query names no motion, so its results mean little: describe one, "
                  "e.g. 'a person walks forward'")
"""The line for a query of function words alone."""

NO_WORDS_TEXT = ("the query has no words, so it is not searched: describe a motion in "
                 "English, e.g. 'a person walks forward'")
"""The line for a query of digits or symbols alone ("12345", "?!"): the search refuses it,
and the line stays while the box holds it (the status bar's message went after 8 s, over
the previous query's results)."""

NO_MOTION_WORD_TEXT = ("no word of this query is one the model learned from motion "
                       "captions, so its results mean little: describe a motion, e.g. "
                       "'a person walks forward'")
"""The line for a query whose words are all known but none is a word of the model's lexical
vocabulary (its caption words): "the weather is nice today" ranked bows at 0.67, near a real
match's 0.71, with no word of warning (GUI audit 37 #5)."""

NOT_ENGLISH_TEXT = unknown_words_note()
"""The line for a query in another language
(:func:`~motionlex.core.text.spelling.reads_as_english`): suggestions would be unrelated
English words."""


def hint_text(corrections: list[Correction]) -> str:
    """The plain text of the line for ``corrections`` (``""`` when there are none).

    e.g. ``"unknown words: persn, wavs — did you mean: person, waves"``; words without a
    close known word are named only (the model reads them as word pieces).
    """
    if not corrections:
        return ""
    words = list(dict.fromkeys(c.word for c in corrections))
    named = ", ".join(words[:MAX_LISTED]) + (", \u2026" if len(words) > MAX_LISTED else "")
    fixes = list(dict.fromkeys(c.suggestion for c in corrections if c.suggestion))
    if not fixes:
        return f"unknown words: {named} (the model reads them as word pieces)"
    return f"unknown words: {named}{_MEANT}{', '.join(fixes)}"


class QueryHint(QLabel):
    """The unknown-words line; hidden while every query word is known (and the query names
    a motion: :data:`NO_MOTION_TEXT` otherwise).

    Signals:
        correctionChosen(str): the user clicked the suggestion (or :meth:`apply` was
            called: the window's Search > Use the suggested spelling, Ctrl+Enter); the
            corrected query.
        suggestionChanged(bool): a suggestion is now offered (``True``) or no longer.

    Args:
        parent: Qt parent.
    """

    correctionChosen = Signal(str)
    suggestionChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lexical: tuple[str, ...] = ()
        self._lexical_set: frozenset[str] = frozenset()
        self._gallery: frozenset[str] = frozenset()
        self._model_speller = Speller([])  # the model's vocabulary, read once per model
        self._speller = self._model_speller
        self._completer = Completer(())
        self._text = ""
        self._typing = False  # the last word of the text is being typed: not checked
        self._corrections: list[Correction] = []
        self._no_motion = False
        self._no_motion_word = False
        self._no_words = False
        self._not_english = False
        self._shown = ""
        self._suggesting = False  # a suggestion is shown
        self._accept_keys = ""  # the keys that accept it, named in the tooltip
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(CHECK_DELAY_MS)
        self._timer.timeout.connect(lambda: self.check(self._text, typing=self._typing))
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setContentsMargins(4, 0, 4, 1)
        self.linkActivated.connect(lambda _link: self.apply())
        self.hide()

    # ------------------------------------------------------------------ vocabulary
    def set_vocabulary(self, words: Iterable[str], lexical_words: Iterable[str] = (),
                       dictionary: Iterable[str] = ()) -> None:
        """The model's known words: the whole words of its vocabulary, the words its
        lexical vectors can weigh (preferred as suggestions) and English words that are
        known but never suggested (:class:`~motionlex.core.text.spelling.Speller`'s
        ``dictionary``). Rechecks the last text."""
        self._lexical = tuple(lexical_words)
        self._lexical_set = frozenset(w.lower() for w in self._lexical)
        self._model_speller = Speller(words, dictionary=dictionary)
        self._rebuild()

    def set_gallery_words(self, captions: Iterable[str]) -> None:
        """The open gallery's captions: their words are known and preferred as suggestions."""
        self._gallery = frozenset(w.lower() for c in captions for w in WORD_PATTERN.findall(c))
        self._rebuild()

    def _rebuild(self) -> None:
        self._speller = self._model_speller.with_preferred((*self._lexical, *self._gallery))
        self._completer = Completer(self._speller.known, self._speller.preferred)
        self.check(self._text, typing=self._typing)

    def follow(self, edit: QueryEdit, words_of: Callable[[str], str] = str) -> None:
        """Check ``edit``'s text after each pause in typing, leaving out the word being
        typed at its end (:meth:`QueryEdit.typing_word`); the whole text at once when
        Enter is pressed or the focus leaves the box.

        Args:
            edit: the query box.
            words_of: the text to check, of the box's text (``""`` for a file's path).
        """
        def later(*_args: object) -> None:
            self.check_later(words_of(edit.text()), typing=edit.typing_word())

        edit.textChanged.connect(later)
        edit.cursorPositionChanged.connect(later)  # Home: the last word is no longer typed
        edit.submitted.connect(lambda _text: self.check(words_of(edit.text())))
        edit.focusLeft.connect(lambda: self.check(words_of(edit.text())))

    # ------------------------------------------------------------------ checking
    def check_later(self, text: str, typing: bool = False) -> None:
        """Check ``text`` after :data:`CHECK_DELAY_MS` without further calls (typing);
        ``typing``: as :meth:`check`."""
        self._text, self._typing = text, bool(typing)
        self._timer.start()

    def check(self, text: str, typing: bool = False) -> list[Correction]:
        """Check ``text`` now and show (or hide) the line.

        Args:
            text: the query.
            typing: its last word, ending the text, is still being typed: it is not
                checked, nor is the query judged whole (naming no motion). Otherwise such
                a word's suggestion is a known word it begins, where one is
                (:class:`~motionlex.core.text.completion.Completer`).

        Returns:
            The unknown words of ``text`` with their suggestions (empty before a vocabulary
            is set).
        """
        self._timer.stop()
        self._text, self._typing = text, bool(typing)
        last = next(reversed(list(WORD_PATTERN.finditer(text))), None)
        open_end = last is not None and last.end() == len(text)  # nothing after the word
        checked = text[:last.start()] if typing and open_end else text
        whole = not (typing and open_end)  # a query being typed is not judged whole
        self._no_words = bool(text.strip()) and not WORD_PATTERN.search(text)
        self._no_motion = self._no_words or (whole and names_no_motion(text))
        self._corrections = [] if self._no_motion else self._speller.check(checked)
        if open_end and not typing:  # "ladd" ended the text: "ladder" before "lad"
            self._corrections = [replace(c, suggestion=self._completer.complete(c.word)
                                         or c.suggestion)
                                 if c.end == len(text) and not c.english else c
                                 for c in self._corrections]
        self._not_english = bool(self._corrections) and not reads_as_english(
            checked, self._corrections, self._speller.english)
        if self._not_english:  # no suggestions: they would be unrelated English words
            self._corrections = [replace(c, suggestion=None) for c in self._corrections]
        # the model's lexical words and the gallery's caption words: motion words both
        self._no_motion_word = (whole and not self._no_motion and not self._corrections
                                and bool(self._lexical_set) and not names_a_word_of(
                                    text, self._lexical_set | self._gallery))
        self._render()
        return list(self._corrections)

    def _render(self) -> None:
        """Show the line that fits: the whole line, else only "did you mean: …" (the unknown
        words are in the box above), cut on the right with "…"; the tooltip has it all."""
        plain = (NO_WORDS_TEXT if self._no_words else NO_MOTION_TEXT if self._no_motion
                 else NOT_ENGLISH_TEXT if self._not_english
                 else NO_MOTION_WORD_TEXT if self._no_motion_word
                 else hint_text(self._corrections))
        self._set_suggesting(_MEANT in plain)
        if not plain:
            self._shown = ""
            self.setToolTip("")
            self.clear()
            self.hide()
            return
        head, sep, fixes = plain.partition(_MEANT)
        fm = self.fontMetrics()
        room = max(1, self.contentsRect().width() - 2)
        if sep and fm.horizontalAdvance(plain) > room:
            head, sep = "", "did you mean: "
            fixes = elide_right(fixes, fm, room - fm.horizontalAdvance(sep))
        elif not sep:
            head = elide_right(head, fm, room)
        self._shown = head + sep + fixes
        rich = html.escape(head) + html.escape(sep)
        if fixes:
            rich += f"<a href='apply' style='color:{ACCENT_HEX}'>{html.escape(fixes)}</a>"
        keys = f" or press {self._accept_keys}" if self._accept_keys else ""
        self.setToolTip(plain + (f"\n(click the suggestion{keys} to use it)" if fixes else ""))
        self.setText(rich)
        self.show()

    def _set_suggesting(self, on: bool) -> None:
        if on != self._suggesting:
            self._suggesting = on
            self.suggestionChanged.emit(on)

    def has_suggestion(self) -> bool:
        """Whether the line offers corrected words (:meth:`apply` would use them)."""
        return self._suggesting

    def set_accept_keys(self, keys: str) -> None:
        """Name ``keys`` (e.g. ``"Ctrl+Enter"``) in the tooltip as a way to accept the
        suggestion (the window owns the shortcut)."""
        self._accept_keys = keys
        self._render()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Fit the line to the new width."""
        super().resizeEvent(event)
        if self._corrections or self._no_motion:
            self._render()

    @property
    def corrections(self) -> list[Correction]:
        """The unknown words of the last text checked."""
        return list(self._corrections)

    def shown_text(self) -> str:
        """The line as painted (plain text; ``""`` while hidden)."""
        return "" if self.isHidden() else self._shown

    def corrected_text(self) -> str:
        """The last text checked with every suggestion applied."""
        return apply_corrections(self._text, self._corrections)

    def apply(self) -> None:
        """Emit :attr:`correctionChosen` with the corrected query (when anything changes);
        a word still being typed at its end is corrected too: accepting ends the typing."""
        if self._typing or self._timer.isActive():
            self.check(self._text)
        fixed = self.corrected_text()
        if fixed != self._text:
            self.correctionChosen.emit(fixed)
