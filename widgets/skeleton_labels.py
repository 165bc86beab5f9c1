"""Text labels over the bodies of the skeleton player, kept apart on screen.

A :class:`LabelItem` is a ``GLTextItem`` centred over its 3D anchor (a body's head). Labels
of one :class:`LabelGroup` do not cover each other: when painting, each label is placed at
its anchor, and one whose text box meets a label placed before it (earlier in rank order) is
raised just above it (or, where that would leave the view's top, put beside it), so overlaid
bodies' labels stack while the bodies share a place and each goes back over its own head
when the bodies part (Source of the painting:
``pyqtgraph/opengl/items/GLTextItem.py``, whose ``align_text`` this extends).
"""

from __future__ import annotations

import pyqtgraph.opengl as gl
from PySide6.QtCore import QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QFontMetrics, QVector3D

LABEL_GAP_PX = 2
"""Space kept between a raised label and the one below it, pixels."""


class LabelGroup:
    """Labels painted in one view that must not cover each other (first added, first
    placed: later labels give way)."""

    def __init__(self) -> None:
        self.items: list[LabelItem] = []

    def add(self, item: LabelItem) -> None:
        """Make ``item`` the group's last label in placing order."""
        item.group = self
        self.items.append(item)

    def offset_px(self, item: LabelItem) -> QPoint:
        """How far ``item`` moves, view pixels, so that its text box meets no earlier
        label's: up above them where that stays in the view, else beside them (right, then
        left), else up anyway (overlaid bodies framed to fill the view leave no room above
        their heads for a stack)."""
        view = item.view()
        if view is None:
            return QPoint()
        width = view.width()
        placed: list[QRect] = []
        for other in self.items:
            if not other.visible() or other.view() is None:
                continue
            box = other.own_box()
            inside = _into_view(box, width)  # a label cut at the view's edge comes in
            shift = inside + _free_spot(box.translated(inside), placed, width)
            if other is item:
                return shift
            placed.append(box.translated(shift))
        return QPoint()


def _into_view(box: QRect, width: int) -> QPoint:
    """Offset that brings ``box`` inside a view ``width`` pixels wide and below its top
    (the last of eight side-by-side labels was cut at the right edge)."""
    dx = min(0, width - 1 - box.right())
    dx = max(dx, -box.left())
    return QPoint(dx, max(0, -box.top()))


def _slide(box: QRect, placed: list[QRect], dx: int, dy: int) -> QPoint:
    """Offset that moves ``box`` along ``(dx, dy)`` (one of up, right, left) past every
    placed box it meets, nearest first."""
    moved, off = QRect(box), QPoint()
    hit = True
    while hit:
        hit = False
        for p in placed:
            if moved.intersects(p):
                if dy < 0:
                    step = QPoint(0, -(moved.bottom() - p.top() + LABEL_GAP_PX))
                elif dx > 0:
                    step = QPoint(p.right() - moved.left() + LABEL_GAP_PX, 0)
                else:
                    step = QPoint(-(moved.right() - p.left() + LABEL_GAP_PX), 0)
                moved.translate(step)
                off += step
                hit = True
    return off


def _free_spot(box: QRect, placed: list[QRect], width: int) -> QPoint:
    """Where ``box`` goes so as to meet no ``placed`` box, preferring up, staying inside a
    view ``width`` pixels wide and below its top edge where it can."""
    if not any(box.intersects(p) for p in placed):
        return QPoint()
    up = _slide(box, placed, 0, -1)
    if box.translated(up).top() >= 0:
        return up
    right = _slide(box, placed, 1, 0)
    if box.translated(right).right() < width:
        return right
    left = _slide(box, placed, -1, 0)
    if box.translated(left).left() >= 0:
        return left
    return up


class LabelItem(gl.GLTextItem):
    """A text label centred over its 3D anchor, raised by ``line`` text lines in screen
    space (so stacked labels keep apart at any zoom) and, in a :class:`LabelGroup`, above
    the group's earlier labels where they would meet."""

    def __init__(self, line: int = 0, **kwds) -> None:
        super().__init__(**kwds)
        self.line = int(line)
        self.group: LabelGroup | None = None
        self.alignment = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom

    def _line_pos(self, pos: QPointF) -> QPointF:
        pos = super().align_text(pos)
        pos.setY(pos.y() - self.line * round(1.25 * QFontMetrics(self.font).lineSpacing()))
        return pos

    def own_box(self) -> QRect:
        """The text box, view pixels, where the label would be painted without its group."""
        anchor = self.compute_projection().map(QVector3D(*self.pos)).toPointF()
        at = self._line_pos(anchor).toPoint()
        return QFontMetrics(self.font).boundingRect(self.text).translated(at)

    def align_text(self, pos: QPointF) -> QPointF:  # noqa: D102 - pyqtgraph override
        pos = self._line_pos(pos)
        if self.group is not None and self.view() is not None:
            pos += QPointF(self.group.offset_px(self))
        return pos
