"""A status bar whose messages end in "…" when cut, with the whole message one hover away.

``QStatusBar`` paints a temporary message in the room its permanent widgets leave and clips
it there without a mark, so a long message (a comparison's colour key, an error) silently
lost its end. :class:`ElidingStatusBar` cuts it on the right with "…" (the explorer's one
eliding rule, :mod:`.elide`), a status tip that Qt shows itself as well, keeps the whole
text as the bar's tooltip, and cuts it again when the bar is resized or a permanent widget
moves (a label whose text grew).
"""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QEvent, QObject
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QSizeGrip, QStatusBar, QWidget

from motionlex.widgets.elide import elide_right

# QStatusBarPrivate::messageRect (qstatusbar.cpp): the message is painted from x = 6 up to
# 2 px before the first visible permanent widget (or 12 px before the bar's right end, or
# the size grip)
_MESSAGE_LEFT_PX = 6
_MESSAGE_GAP_PX = 2
_MESSAGE_RIGHT_PX = 12


class ElidingStatusBar(QStatusBar):
    """``QStatusBar`` with elided temporary messages.

    :meth:`currentMessage` returns the whole message (what was asked to be shown);
    :meth:`shown_message` what is painted.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self._shown = ""  # what this class painted for self._full
        self._timeout_ms = 0
        self._since = QElapsedTimer()
        self._permanent: list[QWidget] = []
        self.messageChanged.connect(self._on_message_changed)

    def addPermanentWidget(self, widget: QWidget, stretch: int = 0) -> None:  # noqa: N802
        """Add a widget at the right (as ``QStatusBar``); messages leave room for it."""
        super().addPermanentWidget(widget, stretch)
        self._permanent.append(widget)
        widget.installEventFilter(self)  # moved or resized: the room changed

    def showMessage(self, text: str, timeout: int = 0) -> None:  # noqa: N802 - Qt API
        """Show ``text`` for ``timeout`` ms (0: until replaced), cut to fit with "…"."""
        self._full, self._timeout_ms = str(text), max(0, int(timeout))
        self._since.start()
        self._show(self._fit(self._full), self._timeout_ms)

    def _show(self, shown: str, timeout: int) -> None:
        self._shown = shown
        super().showMessage(shown, timeout)
        self.setToolTip(self._full if shown != self._full else "")

    def currentMessage(self) -> str:  # noqa: N802 - Qt API
        """The whole message shown now (``""`` when none)."""
        return self._full if super().currentMessage() else ""

    def shown_message(self) -> str:
        """The message as painted (cut with "…" when it does not fit)."""
        return super().currentMessage()

    def message_room(self) -> int:
        """Pixels the message may take: Qt paints it from its left margin up to just before
        the leftmost visible permanent widget (the size grip, or the bar's right margin,
        when none is visible)."""
        right = self.width() - _MESSAGE_RIGHT_PX
        grip = self.findChild(QSizeGrip)
        # a widget just shown and not yet placed (at x 0) is left out: its move event cuts
        # the message again once the layout has placed it
        for w, gap in [(grip, 0)] + [(w, _MESSAGE_GAP_PX) for w in self._permanent]:
            if w is not None and w.isVisible() and w.x() > _MESSAGE_LEFT_PX:
                right = min(right, w.x() - gap)
        return right - _MESSAGE_LEFT_PX

    def _fit(self, text: str) -> str:
        return elide_right(text, self.fontMetrics(), self.message_room())

    def _on_message_changed(self, text: str) -> None:
        if not text:  # timed out or cleared
            self._full = self._shown = ""
            self.setToolTip("")
        elif text != self._shown:  # shown by Qt itself (a status tip), past showMessage:
            self._full, self._timeout_ms = text, 0  # cut it as well (it ran under the
            self._since.start()  # permanent labels, audit 35 #3); shown until replaced
            self.blockSignals(True)  # the same message, cut
            try:
                self._show(self._fit(text), 0)
            finally:
                self.blockSignals(False)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        """Cut the message shown again for the new width (its timeout keeps running)."""
        super().resizeEvent(event)
        self._refit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """A permanent widget moved, resized, shown or hidden: cut the message again (a
        label whose text grew after the message was shown covered its end)."""
        if watched in self._permanent and event.type() in (
                QEvent.Type.Move, QEvent.Type.Resize, QEvent.Type.Show, QEvent.Type.Hide):
            self._refit()
        return False

    def _refit(self) -> None:
        """The message shown, cut again for the room it has now."""
        shown = self.shown_message()
        if shown and self._full and shown == self._shown:
            fitted = self._fit(self._full)
            if fitted != shown:  # the same message with the time it has left
                left = 0
                if self._timeout_ms:
                    left = max(1, self._timeout_ms - int(self._since.elapsed()))
                self.blockSignals(True)  # not a new message
                try:
                    self._show(fitted, left)
                finally:
                    self.blockSignals(False)
