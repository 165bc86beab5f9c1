"""A word-wrapped plain-text label whose least height is the height its text takes at its width.

A plain :class:`QLabel` with word wrap answers ``heightForWidth`` but its
``minimumSizeHint`` is measured at some other width, and a scroll area sizes its widget by
the minimum hints, not by height-for-width: a label that wrapped to one more line than that
hint took its line from the widgets below it. Those widgets keep their own least heights, so
the two overlapped, and a long query's events painted over the verdict under them (GUI
audit B #2). A :class:`WrapLabel` sets its minimum height to its height at its current width
whenever its text or width changes, so every layout and scroll area above it counts it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class WrapLabel(QLabel):
    """Word-wrapped, top-aligned plain-text label that keeps the height its text needs at
    its width as its minimum height.

    Args:
        parent: Qt parent.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        # top-aligned: a height measured at a narrower width leaves its spare line below
        # the text, not a blank line above it (it read as a gap between the lines)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

    def _fit(self) -> None:
        # QLabel's heightForWidth never answers less than the minimum height: measured with
        # the last text's minimum in place, the label could only grow (a long query's three
        # lines stayed for every later one-line query, pushing the table out of view)
        self.setMinimumHeight(0)
        h = self.heightForWidth(max(1, self.width())) if self.text() else 0
        self.setMinimumHeight(h)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        """Show ``text`` and fit the least height to it, now and again at the width the
        layout then gives the label."""
        super().setText(text)
        self._fit()
        QTimer.singleShot(0, self, self._fit)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """A narrower or wider label fits its least height to its text again."""
        super().resizeEvent(event)
        self._fit()
