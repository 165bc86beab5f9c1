"""Showing a result in steps, one per event-loop turn, so that no turn repaints every view."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


class Stager:
    """Runs steps one per event-loop turn, so that no turn repaints every view (issue #5).

    A 0 ms ``QTimer`` fires only once the loop is idle, i.e. after the previous step's repaint
    (``QTimer.singleShot(0, ...)`` would be a posted call that runs before it); :meth:`run`
    replaces the steps not yet run, so a newer result drops what is left of an older one.
    """

    def __init__(self, parent: QObject) -> None:
        self._steps: list[Callable[[], None]] = []
        self._timer = QTimer(parent)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._next)

    def run(self, steps: list[Callable[[], None]]) -> None:
        """Drop the steps still pending and run ``steps``, one per turn, from the next."""
        self._steps = list(steps)
        self._timer.start()

    def _next(self) -> None:
        if self._steps:
            self._steps.pop(0)()
        if self._steps:
            self._timer.start()
