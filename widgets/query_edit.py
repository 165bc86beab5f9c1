"""The query box: Enter submits, Up/Down walk the history, typing pauses are reported.

Search-as-you-type waits for a pause in typing before it starts work (Source of the
debounce: ``pyapp-kit/superqt/src/superqt/utils/_throttler.py``): every edit restarts a
single-shot timer, and only its timeout emits :attr:`QueryEdit.typingPaused`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QLineEdit, QWidget

LIVE_SEARCH_DELAY_MS = 250
"""Pause after the last keystroke before search-as-you-type sends the query, ms."""

MIN_LIVE_CHARS = 2
"""Shortest typed text (stripped) that search-as-you-type sends."""


class QueryEdit(QLineEdit):
    """Query box: Enter submits, Up/Down walk the history (newest last); Down past the
    newest (on the text being typed) leaves the box for what lists the results.

    Args:
        history: earlier queries, oldest first.
        parent: Qt parent.
        history_size: queries kept.

    Signals:
        submitted(str): Enter pressed: the query, stripped (already added to the
            history); ``""`` for a blank box (not kept), which the window answers as it
            answers "?!" (it said nothing, GUI audit B #11).
        typingPaused(str): with :attr:`live` on, typing paused for
            :data:`LIVE_SEARCH_DELAY_MS` on a text of at least :data:`MIN_LIVE_CHARS`.
        leftDown(): Down pressed on the text being typed (no newer query to show).
        focusLeft(): the keyboard focus left the box (for a list, a button, another
            window; not for a popup menu over it).
    """

    submitted = Signal(str)
    typingPaused = Signal(str)
    leftDown = Signal()
    focusLeft = Signal()

    def __init__(self, history: list[str] | None = None, parent: QWidget | None = None,
                 history_size: int = 100) -> None:
        super().__init__(parent)
        self._history_size = history_size
        self._history: list[str] = list(history or [])[-history_size:]
        self._pos = len(self._history)  # == len: the draft being typed
        self._draft = ""
        self._live = True
        self.setClearButtonEnabled(True)
        self.returnPressed.connect(self._submit)
        self._pause_timer = QTimer(self)
        self._pause_timer.setSingleShot(True)
        self._pause_timer.setInterval(LIVE_SEARCH_DELAY_MS)
        self._pause_timer.timeout.connect(lambda: self.typingPaused.emit(self.text()))
        self.textEdited.connect(self._on_edited)
        self._hint: str | None = None  # the usual placeholder while another query is shown
        self.textChanged.connect(self._end_other_query)

    def show_other_query(self, description: str) -> None:
        """The results are not for a typed text (e.g. "motions like walk_001"): empty the
        box and say so in its placeholder until text is typed or set again."""
        if self._hint is None:
            self._hint = self.placeholderText()
        self.clear()
        self.setPlaceholderText(description)

    def _end_other_query(self, text: str) -> None:
        if text and self._hint is not None:
            self.setPlaceholderText(self._hint)
            self._hint = None

    @property
    def history(self) -> list[str]:
        """Submitted queries, oldest first, each once."""
        return list(self._history)

    @property
    def live(self) -> bool:
        """Whether typing pauses are reported (search as you type)."""
        return self._live

    def set_live(self, live: bool) -> None:
        """Turn search-as-you-type on or off (off also drops a pause being timed)."""
        self._live = bool(live)
        if not self._live:
            self._pause_timer.stop()

    def cancel_pause(self) -> None:
        """Drop the pause being timed (a search was just sent another way)."""
        self._pause_timer.stop()

    def add_history(self, text: str) -> None:
        """Append ``text`` (stripped, non-blank); an earlier entry of it is dropped."""
        text = text.strip()
        if text:  # once: an earlier entry of the same text moves to the end
            self._history = [h for h in self._history if h != text] + [text]
            del self._history[: -self._history_size]
        self._pos = len(self._history)

    def _submit(self) -> None:
        text = self.text().strip()
        self.setModified(False)  # its last word is done (:meth:`typing_word`)
        self.add_history(text)  # (a blank text is not kept)
        self.submitted.emit(text)

    def typing_word(self) -> bool:
        """Whether the box ends in a word being typed: the user edited the text since it
        was set or submitted, the cursor is at its end and a letter is just before it
        (no space, punctuation or Enter has followed the word yet)."""
        text = self.text()
        return (self.isModified() and bool(text) and text[-1].isalpha()
                and self.cursorPosition() == len(text))

    def _on_edited(self, text: str) -> None:
        if self._live and len(text.strip()) >= MIN_LIVE_CHARS:
            self._pause_timer.start()
        else:
            self._pause_timer.stop()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        """Qt override: emit :attr:`focusLeft` unless a popup (a context menu) took the
        focus."""
        super().focusOutEvent(event)
        if event.reason() != Qt.FocusReason.PopupFocusReason:
            self.focusLeft.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """Up: older query; Down: newer query, then back to the draft, then
        :attr:`leftDown`."""
        key = event.key()
        if key == Qt.Key.Key_Up and self._history:
            if self._pos == len(self._history):
                self._draft = self.text()
            self._pos = max(0, self._pos - 1)
            self.setText(self._history[self._pos])
            return
        if key == Qt.Key.Key_Down and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            if self._pos < len(self._history):
                self._pos += 1
                self.setText(self._draft if self._pos == len(self._history)
                             else self._history[self._pos])
            else:  # on the draft: down to the results
                self.leftDown.emit()
            return
        super().keyPressEvent(event)
