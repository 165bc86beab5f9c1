"""A focus frame drawn over a widget that paints none of its own (the 3D view).

:class:`FocusFrame` is a mouse-transparent sibling laid over a target widget: while one of
the watched widgets has the keyboard focus it draws a thin border in the palette's
highlight colour, otherwise nothing (it is hidden). A sibling, not a child, so that it also
lies over a ``QOpenGLWidget`` (widgets above one are composited; children of one are not
drawn by every platform).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QWidget

FOCUS_FRAME_PX = 2
"""Width of the focus frame, pixels."""


def draw_focus_frame(painter: QPainter, rect: QRect, palette: QPalette) -> None:
    """Draw the focus border, :data:`FOCUS_FRAME_PX` wide in ``palette``'s highlight
    colour, inside ``rect`` (square corners, no fill); the painter's pen, brush and
    antialiasing are left changed."""
    pen = QPen(palette.highlight().color(), FOCUS_FRAME_PX)
    pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    half = FOCUS_FRAME_PX / 2
    painter.drawRect(rect.toRectF().adjusted(half, half, -half, -half))


class FocusFrame(QWidget):
    """A highlight-coloured border over ``target`` while a widget of ``watched`` has focus.

    Args:
        target: the widget framed (the frame follows its geometry); its parent is the
            frame's parent.
        watched: the widgets whose keyboard focus shows the frame (e.g. the player and its
            3D canvas, not its buttons).
    """

    def __init__(self, target: QWidget, watched: Sequence[QWidget]) -> None:
        super().__init__(target.parentWidget())
        self._target = target
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.hide()
        target.installEventFilter(self)
        for widget in watched:
            widget.installEventFilter(self)

    @property
    def shown(self) -> bool:
        """Whether the frame is drawn (a watched widget has the focus)."""
        return not self.isHidden()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Show on focus in, hide on focus out; follow the target's geometry."""
        kind = event.type()
        if kind == QEvent.Type.FocusIn:
            self.setGeometry(self._target.geometry())
            self.show()
            self.raise_()
        elif kind == QEvent.Type.FocusOut:
            self.hide()
        elif watched is self._target and kind in (QEvent.Type.Resize, QEvent.Type.Move):
            self.setGeometry(self._target.geometry())
        return False

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        """The border, inside the frame's rectangle."""
        p = QPainter(self)
        draw_focus_frame(p, self.rect(), self.palette())
        p.end()
