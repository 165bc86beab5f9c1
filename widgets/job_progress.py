"""A status-bar progress bar with its cancel button, for long jobs (opening a gallery,
building an index, recording a video).

A plain holder of the two widgets, which the window adds to its status bar side by side.
"""

from __future__ import annotations

from PySide6.QtWidgets import QProgressBar, QToolButton, QWidget


class JobProgress:
    """Progress bar (hidden when idle) and a cancel button.

    Args:
        parent: Qt parent of both widgets.

    Attributes:
        bar: the ``QProgressBar``; cancel_button: the ``QToolButton`` (connect ``clicked``).
    """

    def __init__(self, parent: QWidget) -> None:
        self.bar = QProgressBar(parent)
        self.bar.setMaximumWidth(220)
        self.bar.setTextVisible(True)
        self.bar.setVisible(False)
        self.cancel_button = QToolButton(parent)
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Cancel (Esc)")
        self.cancel_button.setVisible(False)
        self._unit = ""

    def start(self, label: str, unit: str = "") -> None:
        """Show a busy bar titled ``label`` (its steps once known) and the button.

        Args:
            label: what runs, one word (``"Opening"``).
            unit: what the steps count, plural (``"motions"``; ``""``: steps of a job).
        """
        self._unit = unit
        self.bar.setRange(0, 0)
        self.bar.setFormat(label + " %p%")
        self.bar.setVisible(True)
        self.cancel_button.setVisible(True)

    def set_progress(self, done: int, total: int) -> None:
        """Show ``done`` of ``total`` steps (``total <= 0``: unknown, a busy bar), in the
        unit given to :meth:`start` (``"1,920/3,002 motions"``)."""
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
            unit = f" {self._unit}" if self._unit else ""
            self.bar.setFormat(f"{done:,}/{total:,}{unit}")
        else:
            self.bar.setRange(0, 0)
        self.bar.setVisible(True)

    def show(self, bar: bool, cancel: bool) -> None:
        """Show or hide the bar and the button."""
        self.bar.setVisible(bar)
        self.cancel_button.setVisible(cancel)
