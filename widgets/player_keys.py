"""The skeleton player's keys: space plays or pauses, left and right step one frame.

:class:`PlayerKeys` is an event filter that the player installs on its 3D canvas (which
would otherwise take the arrows to orbit the camera); the player's own ``keyPressEvent``
hands its key presses to :meth:`PlayerKeys.handle_key`, so the keys work whichever of the
two has the focus. Holding space down does not toggle again on every
auto-repeat; holding an arrow steps on every repeat.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent


class PlayerKeys(QObject):
    """Event filter: space calls ``toggle_play``; left/right call ``pause`` then ``step``
    with ``-1`` / ``+1`` (frames). Every other event goes on to the watched object.

    Args:
        toggle_play: plays when paused, pauses when playing.
        pause: stops playback.
        step: moves by a number of frames (wrapping), e.g. ``SkeletonView.step``.
        parent: owner of the filter (the player).
    """

    def __init__(
        self,
        toggle_play: Callable[[], object],
        pause: Callable[[], object],
        step: Callable[[int], object],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._toggle_play = toggle_play
        self._pause = pause
        self._step = step

    def handle_key(self, event: QKeyEvent) -> bool:
        """Act on a key press.

        Returns:
            Whether the key was one of the player's (then it is consumed).
        """
        key = event.key()
        if key == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self._toggle_play()
            return True
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self._pause()
            self._step(1 if key == Qt.Key.Key_Right else -1)
            return True
        return False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Qt override: key presses go to :meth:`handle_key`."""
        if event.type() == QEvent.Type.KeyPress:
            return self.handle_key(event)  # type: ignore[arg-type]
        return super().eventFilter(watched, event)
