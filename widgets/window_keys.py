"""Text boxes leave the window's shortcuts to the window.

A :class:`QLineEdit` claims some key sequences for itself while it has the focus (on X11,
Ctrl+E is "end of line", Ctrl+K "delete to end", ...), so a window action with such a
shortcut (File > Export GLB, Ctrl+E) did nothing while the cursor was in a text box. The
filter answers the line edit's ``ShortcutOverride`` event for the window's sequences, and
Qt then hands the key to the window's action (Qt's shortcut-override protocol, the way
``QLineEdit::event`` itself claims its own keys).
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QWidget


class WindowKeys(QObject):
    """An event filter that leaves ``sequences`` to the window's actions in the widgets it
    watches (:meth:`watch`).

    Args:
        sequences: the window's shortcuts to pass on (empty sequences are ignored).
        parent: owner of the filter (the window).
    """

    def __init__(self, sequences: Iterable[QKeySequence], parent: QObject | None = None
                 ) -> None:
        super().__init__(parent)
        self._keys = {QKeySequence(s).toString() for s in sequences
                      if not QKeySequence(s).isEmpty()}

    def watch(self, *widgets: QWidget) -> None:
        """Filter the key events of ``widgets`` (text boxes, typically)."""
        for w in widgets:
            w.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """A ``ShortcutOverride`` for one of the window's sequences is ignored (the text
        box does not take the key) and consumed (the box never sees it)."""
        if (event.type() == QEvent.Type.ShortcutOverride and self._keys
                and QKeySequence(event.keyCombination()).toString() in self._keys):
            event.ignore()
            return True
        return super().eventFilter(obj, event)
