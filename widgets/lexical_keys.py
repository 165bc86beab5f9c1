"""Keyboard use of the lexical evidence panel (:class:`~.lexical_bars.LexicalBars`), as an
item view's: the panel takes the focus by Tab and click and has a current word (a
:data:`~.lexical_cursor.Cursor`), framed in the palette's highlight colour while the panel has
the focus. Up and Down move it within a column, Left and Right switch columns, Home and End
go to the column's first and last word (scrolling it into view), and Enter, Return or Space
emit ``wordClicked`` for it as a click does. The panel claims these keys from the window's
shortcuts (Space plays, the arrows step) the way a text box claims its own, only while it has
words: an empty panel leaves them to the window.

:class:`WordCursorKeys` is the panel's mixin for this (listed before ``QWidget``, so its Qt
overrides come first); where each key moves the cursor is :mod:`.lexical_cursor`.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, Qt
from PySide6.QtGui import QFocusEvent, QKeyEvent, QPainter

from motionlex.widgets.focus_frame import draw_focus_frame
from motionlex.widgets.lexical_cursor import ACTIVATE_KEYS, Cursor, is_cursor_key, moved_cursor

ACCESSIBLE_NAME = "Lexical evidence"
"""The panel's accessible name (as its dock's title)."""

KEYS_TIP = ("Click a word to search for it. From the keyboard: Tab to the panel, Up / Down "
            "choose a word, Left / Right switch between the query and result columns, Home / "
            "End go to the first / last word, Enter or Space searches the word.")
"""The panel's status tip and accessible description (and its tooltip away from the words)."""


class WordCursorKeys:
    """The lexical panel's keyboard cursor: focus, keys, the frame (a mixin of
    :class:`~.lexical_bars.LexicalBars`, whose ``_cursor``, ``_word_lists()``, ``_row()``,
    ``word_rect()``, ``scroll_to_word()`` and ``wordClicked`` it uses)."""

    _cursor: Cursor | None

    def _init_keys(self) -> None:
        """Focus by Tab and click; the accessible name and the keys as tips."""
        self._cursor = None  # the current word, (side, word)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(ACCESSIBLE_NAME)
        self.setAccessibleDescription(KEYS_TIP)
        self.setStatusTip("")  # the keys' hint once there are words (_relayout)
        self.setToolTip(KEYS_TIP)

    def current_word(self) -> Cursor | None:
        """The current word (the keyboard's cursor) as ``(side, word)``, ``side`` being
        ``'query'`` or ``'result'``; ``None`` while both lists are empty.

        It is framed while the panel has the focus; Enter, Return or Space emit
        ``wordClicked`` for it. It stays on its word when the lists are set again and the
        word's column still has it, else it goes back to the first word (the query's first,
        or the result's when the query has none).
        """
        return self._cursor

    def set_current_word(self, side: str, word: str) -> None:
        """Make ``word`` of ``side`` the current word and scroll it into view.

        Raises:
            ValueError: on an unknown side or a word that ``side``'s column does not draw.
        """
        sides = tuple(self._word_lists())
        if side not in sides:
            raise ValueError(f"side must be one of {sides}, got {side!r}")
        if self._row(side, word) is None:
            raise ValueError(f"{word!r} is not a drawn word of the {side} column")
        self._move_cursor((side, word))

    def _move_cursor(self, cursor: Cursor) -> None:
        if cursor != self._cursor:
            self._cursor = cursor
            self.update()
        self.scroll_to_word(*cursor)

    def cursor_rect(self) -> QRect | None:
        """Where the current word's frame is painted (its row, widget coordinates, as
        scrolled), or ``None`` when none is painted: no current word, or the panel does not
        have the focus (unfocused, the panel looks as it did without a cursor)."""
        if self._cursor is None or not self.hasFocus():
            return None
        return self.word_rect(*self._cursor)

    def _paint_cursor(self, painter: QPainter, area: QRect) -> None:
        """Frame the current word's row (when :meth:`cursor_rect` is inside ``area``)."""
        cursor = self.cursor_rect()
        if cursor is not None and cursor.intersects(area):
            draw_focus_frame(painter, cursor, self.palette())

    def event(self, event: QEvent) -> bool:
        """Claim the cursor keys (Space and the arrows among them) from the window's
        shortcuts while the panel has words: Qt offers a focused widget a
        ``ShortcutOverride`` before it runs a shortcut, and an accepted one sends the key
        to the widget (as a text box claims its keys). Empty, the panel leaves them to the
        window (Space plays, the arrows step)."""
        if (event.type() == QEvent.Type.ShortcutOverride and self._cursor is not None
                and is_cursor_key(event)):  # type: ignore[arg-type]
            event.accept()
            return True
        return super().event(event)  # type: ignore[misc]

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """Move the current word (Up, Down, Left, Right, Home, End) or search it (Enter,
        Return, Space: ``wordClicked``, once per press, not on auto-repeat); other keys,
        and every key while the panel is empty, go on to the parent."""
        if self._cursor is not None and is_cursor_key(event):
            if event.key() in ACTIVATE_KEYS:
                if not event.isAutoRepeat():
                    self.wordClicked.emit(self._cursor[1])
            else:
                self._move_cursor(moved_cursor(self._cursor, event.key(), self._word_lists()))
            event.accept()
            return
        super().keyPressEvent(event)  # type: ignore[misc]

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        """Frame the current word; by Tab, also scroll it into view."""
        super().focusInEvent(event)  # type: ignore[misc]
        if self._cursor is not None and event.reason() in (
                Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason):
            self.scroll_to_word(*self._cursor)
        self.update()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        """Drop the current word's frame."""
        super().focusOutEvent(event)  # type: ignore[misc]
        self.update()
