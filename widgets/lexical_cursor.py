"""The keyboard cursor of the lexical evidence panel (:mod:`.lexical_bars`): which word is
current, where a key moves it, and where it goes when the word lists change.

The cursor is a ``(side, word)`` pair, so that it stays on its word when the lists are set
again (a new result keeps the query's words; a word may move to another row). The keys are
an item view's: Up and Down move within a column, Left and Right switch between the query
and result columns (keeping the row where the other column has it, else its last row),
Home and End go to the column's first and last word. No painting here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent

MOVE_KEYS: tuple[Qt.Key, ...] = (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Left,
                                 Qt.Key.Key_Right, Qt.Key.Key_Home, Qt.Key.Key_End)
"""Keys that move the cursor."""

ACTIVATE_KEYS: tuple[Qt.Key, ...] = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space)
"""Keys that search the current word (as a click on it does)."""

PLAIN_MODIFIERS = (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
"""The modifiers a cursor key may come with (the keypad's Enter and arrows carry
``KeypadModifier``); with any other (Shift, Ctrl, ...) the key is not the cursor's."""

Cursor = tuple[str, str]
"""``(side, word)``: the current word and the column it is in."""


def is_cursor_key(event: QKeyEvent) -> bool:
    """Whether ``event`` is one of :data:`MOVE_KEYS` or :data:`ACTIVATE_KEYS` without a
    modifier (a key press or a ``ShortcutOverride`` event)."""
    return (event.key() in MOVE_KEYS + ACTIVATE_KEYS
            and event.modifiers() in PLAIN_MODIFIERS)


def first_word(words: Mapping[str, Sequence[str]]) -> Cursor | None:
    """The panel's first word: the top word of the leftmost column that has words;
    ``None`` when every column is empty.

    Args:
        words: side -> its words as drawn, top to bottom (the columns left to right).
    """
    return next(((s, ws[0]) for s, ws in words.items() if ws), None)


def kept_cursor(cursor: Cursor | None, words: Mapping[str, Sequence[str]]) -> Cursor | None:
    """Where the cursor goes when the word lists change: it stays on its word when its
    column still has it, else it goes back to the panel's first word (:func:`first_word`;
    ``None`` when both columns are empty).

    Args:
        cursor: the cursor before the change (None: none yet).
        words: side -> its words as drawn now.
    """
    if cursor is not None and cursor[0] in words and cursor[1] in words[cursor[0]]:
        return cursor
    return first_word(words)


def moved_cursor(cursor: Cursor, key: int, words: Mapping[str, Sequence[str]]
                 ) -> Cursor | None:
    """Where ``key`` moves ``cursor``: at an edge (Up on the first word, Left in the left
    column, Right into an empty column) it stays where it is.

    Args:
        cursor: the current ``(side, word)``; the word must be in ``words[side]``.
        key: a :class:`Qt.Key`.
        words: side -> its words as drawn (two sides, left column first).

    Returns:
        The new cursor (maybe ``cursor`` itself), or ``None`` when ``key`` is not one of
        :data:`MOVE_KEYS`.

    Raises:
        ValueError: when ``cursor``'s word is not in its column.
    """
    if key not in MOVE_KEYS:
        return None
    side, word = cursor
    column = list(words.get(side, ()))
    if word not in column:
        raise ValueError(f"cursor word {word!r} is not in the {side!r} column")
    row = column.index(word)
    if key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
        sides = list(words)
        c = sides.index(side) + (1 if key == Qt.Key.Key_Right else -1)
        if not 0 <= c < len(sides) or not words[sides[c]]:
            return cursor
        other = words[sides[c]]
        return sides[c], other[min(row, len(other) - 1)]
    row = {Qt.Key.Key_Up: row - 1, Qt.Key.Key_Down: row + 1, Qt.Key.Key_Home: 0,
           Qt.Key.Key_End: len(column) - 1}[key]
    return side, column[max(0, min(row, len(column) - 1))]
