"""Keys of the record lists (results, gallery) that Qt's table view leaves out.

- :class:`RowTableView`: Home and End go to the first and last row (a table view moves to
  the first and last *column* of the current row, which in a list of rows does nothing).
- :class:`FilterKeys`: Down, Enter or Return in a list's filter box go into the list, on its
  current row or else its first (the user had to Tab there); Esc clears a filter box that
  holds text (the window's Esc, Cancel, took it).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QTableView


class RowTableView(QTableView):
    """A :class:`QTableView` whose Home and End keys move to the first and last row."""

    def moveCursor(self, action: QAbstractItemView.CursorAction,  # noqa: N802 - Qt override
                   modifiers: Qt.KeyboardModifier) -> QModelIndex:
        """Qt override: ``MoveHome`` / ``MoveEnd`` give the first / last row's index in the
        current column; every other move is Qt's."""
        rows = self.model().rowCount() if self.model() is not None else 0
        if rows and action in (QAbstractItemView.CursorAction.MoveHome,
                               QAbstractItemView.CursorAction.MoveEnd):
            column = max(0, self.currentIndex().column())
            row = 0 if action == QAbstractItemView.CursorAction.MoveHome else rows - 1
            return self.model().index(row, column)
        return super().moveCursor(action, modifiers)


class FilterKeys(QObject):
    """Event filter on a filter box: Down, Enter and Return move the focus into ``view``
    (its current row, else its first row becomes current); Esc clears the box when it
    holds text (it claims the key from a window shortcut on Esc), else goes to the window.

    Args:
        view: the list.
        flush: called first (applies a filter text still waiting for its debounce).
        parent: owner of the filter.
    """

    def __init__(self, view: QTableView, flush: Callable[[], None] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._view = view
        self._flush = flush

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if (kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress)
                and event.key() == Qt.Key.Key_Escape and isinstance(obj, QLineEdit)
                and obj.text()):
            if kind == QEvent.Type.KeyPress:
                obj.clear()
            event.accept()  # a ShortcutOverride accepted: the key comes to the box
            return True
        if event.type() == QEvent.Type.KeyPress and event.key() in (
                Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self._flush is not None:
                self._flush()
            model = self._view.model()
            if model is None or model.rowCount() == 0:
                return False
            self._view.setFocus(Qt.FocusReason.TabFocusReason)
            if not self._view.currentIndex().isValid():
                self._view.setCurrentIndex(model.index(0, 0))
            return True
        return super().eventFilter(obj, event)
