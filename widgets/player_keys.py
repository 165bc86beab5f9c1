"""The skeleton player's keys: space plays or pauses, left and right step one frame.

:class:`PlayerKeys` is an event filter that the player installs on its 3D canvas (which
would otherwise take the arrows to orbit the camera); the player's own ``keyPressEvent``
hands its key presses to :meth:`PlayerKeys.handle_key`, so the keys work whichever of the
two has the focus. Holding space down does not toggle again on every
auto-repeat; holding an arrow steps on every repeat.

The main window gives the same keys as shortcuts; :class:`FocusedWidgetKeys` leaves them to
a focused widget that acts on them itself (a button, a tab bar, ...).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QApplication,
    QComboBox,
    QTabBar,
    QWidget,
)


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


def focus_uses_key(widget: QWidget | None, key: int) -> bool:
    """Whether ``widget``, focused, acts on ``key`` (Space, Left or Right) itself, so that
    the window's playback shortcuts must leave it the key: buttons (Space presses, the
    arrows move the focus), tab bars and sliders (the arrows), combo boxes (Space opens)
    and item views that move between cells. Text boxes and the lexical evidence panel
    (:class:`~motionlex.widgets.lexical_bars.LexicalBars`) claim their keys themselves; a
    list of whole rows (the results, the gallery) leaves all three to playback (Down from
    the query box goes there to play, step and select).
    """
    if widget is None:
        return False
    if isinstance(widget, QAbstractButton):
        return True
    if isinstance(widget, QAbstractItemView):
        return widget.selectionBehavior() != QAbstractItemView.SelectionBehavior.SelectRows
    if key == Qt.Key.Key_Space:
        return isinstance(widget, QComboBox)
    return isinstance(widget, (QTabBar, QAbstractSlider))


class FocusedWidgetKeys(QObject):
    """Leaves the window's playback shortcuts (Space, Left, Right without modifiers) to
    the focused widget when it acts on them (:func:`focus_uses_key`): Space on the focused
    "Query orders" button paused playback instead of pressing it, and Right on a tab bar
    stepped a frame instead of switching the tab.

    Qt sends a ``ShortcutOverride`` to the focus widget before it runs a shortcut; the
    filter, moved onto each newly focused widget of ``window``, accepts it for these keys
    (Qt then hands the key to the widget), as a text box claims its keys itself.

    Args:
        window: the window whose shortcuts give way (the filter's owner).
    """

    KEYS = (Qt.Key.Key_Space, Qt.Key.Key_Left, Qt.Key.Key_Right)

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        QApplication.instance().focusChanged.connect(self._on_focus)

    def _on_focus(self, old: QWidget | None, new: QWidget | None) -> None:
        if old is not None:
            old.removeEventFilter(self)
        if new is not None and new.window() is self._window:
            new.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Qt override: accept a ``ShortcutOverride`` for a key the widget uses."""
        if (event.type() == QEvent.Type.ShortcutOverride and event.key() in self.KEYS
                and event.modifiers() in (Qt.KeyboardModifier.NoModifier,
                                          Qt.KeyboardModifier.KeypadModifier)
                and isinstance(watched, QWidget) and focus_uses_key(watched, event.key())):
            event.accept()
            return True
        return super().eventFilter(watched, event)
