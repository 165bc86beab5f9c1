"""A long rich text in a box that fits the screen: the keyboard shortcuts (F1).

A ``QMessageBox`` sizes itself to its text and never scrolls: the shortcuts' box was 834 px
tall, its OK button off a 1366x768 screen (GUI audit 36 #14). Here the text scrolls inside a
box no larger than the screen's available area.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QScrollArea, QVBoxLayout, QWidget

SCREEN_SHARE = 0.9
"""Most of the screen's available width and height the box takes."""

WIDTH = 960
"""The box's width when the screen has room (the text wraps to it)."""


class TextBox(QDialog):
    """A modeless-looking information box (``open()`` it) with ``html`` in a scroll area
    and an OK button, sized to the text but no larger than :data:`SCREEN_SHARE` of the
    screen.

    Args:
        title: the window title.
        html: rich text.
        parent: the window it belongs to (its screen sets the size limit).
    """

    def __init__(self, title: str, html: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self._label = QLabel(html, self)
        self._label.setTextFormat(Qt.TextFormat.RichText)
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._label.setContentsMargins(8, 8, 8, 8)
        scroll = QScrollArea(self)
        scroll.setWidget(self._label)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok, self)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        screen = (parent.screen() if parent is not None else self.screen()).availableGeometry()
        width = min(WIDTH, int(screen.width() * SCREEN_SHARE))
        bar = scroll.verticalScrollBar().sizeHint().width()
        text_height = self._label.heightForWidth(width - bar - 40)
        self.resize(width, min(text_height + buttons.sizeHint().height() + 40,
                               int(screen.height() * SCREEN_SHARE)))

    def text(self) -> str:
        """The box's rich text (as ``QMessageBox.text``)."""
        return self._label.text()
