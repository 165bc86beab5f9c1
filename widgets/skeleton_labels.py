"""Text labels over the bodies of the skeleton player, kept apart on screen.

A :class:`LabelItem` is a ``GLTextItem`` centred over its 3D anchor (a body's head). Labels
of one :class:`LabelGroup` do not cover each other: when painting, each label is placed at
its anchor, and one whose text box meets a label placed before it (earlier in rank order) is
raised just above it, so overlaid bodies' labels stack while the bodies share a place and
each goes back over its own head when the bodies part (Source of the painting:
``pyqtgraph/opengl/items/GLTextItem.py``, whose ``align_text`` this extends).
"""

from __future__ import annotations

import pyqtgraph.opengl as gl
from PySide6.QtCore import QPointF, QRect, Qt
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

    def raise_px(self, item: LabelItem) -> int:
        """How many pixels ``item`` goes up so that its text box meets no earlier label's."""
        placed: list[QRect] = []
        for other in self.items:
            if not other.visible() or other.view() is None:
                continue
            box = other.own_box()
            lift = 0
            moved = True
            while moved:  # raise above every placed box it meets, lowest first
                moved = False
                for p in sorted(placed, key=lambda r: -r.bottom()):
                    if box.intersects(p):
                        step = box.bottom() - p.top() + LABEL_GAP_PX
                        box.translate(0, -step)
                        lift += step
                        moved = True
            if other is item:
                return lift
            placed.append(box)
        return 0


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
            pos.setY(pos.y() - self.group.raise_px(self))
        return pos
