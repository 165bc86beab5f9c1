"""Motion-patch image view: the ``(3, T, 80)`` image a motion encoder reads, with a frame cursor.

Shown as the motion-patch paper shows it (Yu, Tanaka, Fujiwara, CVPR 2024, Fig. 4): the x, y,
z coordinates of the 80 sample points as R, G, B (each channel min-max scaled over the real
frames, :func:`motionlex.core.retrieval.figures.patch_image_rgb`), frames as rows with time running
down, and one labelled column block of 16 points per body part, coloured like the bones in
:class:`~motionlex.widgets.skeleton_view.SkeletonView`. Padded frames are not drawn. A
horizontal cursor marks the frame the skeleton view shows; clicking (or dragging on) a row
asks for that frame.

Painted with ``QPainter`` on one canvas widget: the image is scaled once per size into a
cached pixmap (nearest neighbour, so every sample stays a sharp block), and moving the cursor
repaints only the two thin strips it leaves and enters. The cursor follows playback at the
motion's frame rate, so a frame costs well under a millisecond and never asks the window for
more than that strip.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QVBoxLayout, QWidget

from motionlex.core.motion.skeleton import PART_NAMES
from motionlex.core.patches import PATCH_LEN, POINTS_PER_PART
from motionlex.core.retrieval.figures import patch_image_rgb
from motionlex.widgets.colors import PART_COLORS_HEX
from motionlex.widgets.elide import elide_right

logger = logging.getLogger(__name__)

NUM_COLUMNS = POINTS_PER_PART * len(PART_NAMES)
"""Columns of a patch image: 16 sample points x 5 body parts = 80."""

_WIDEST_TICK = "00.00"  # the widest tick label the axis makes room for (e.g. 12.25 s)
_HEADER_HEIGHT = 26  # px: the row of coloured, labelled body-part blocks above the image
_MARGINS = (2, 2, 6, 2)  # px: left, top, right, bottom around header + image
_TICK_LEN = 5  # px
EMPTY_HINT = "Select a motion to see its motion-patch image (time down, body parts across)."
"""What the empty view says where the image goes."""

_CURSOR_HALO = 5  # px: dark halo under the cursor, readable on any image colour
_TICK_STEPS_S = (0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)


def _text_colour_on(hex_color: str) -> QColor:
    """Black or white, whichever reads better on ``hex_color`` (WCAG relative luminance)."""
    c = QColor(hex_color)
    lin = [
        (v / 12.92) if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        for v in (c.redF(), c.greenF(), c.blueF())
    ]
    lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return QColor("#000000") if lum > 0.18 else QColor("#FFFFFF")


def _label_levels(name: str) -> list[str]:
    """A part's labels from longest to shortest: ``right arm``, ``R arm``, ``RA``, ``R``
    (``torso``, ``torso``, ``T``, ``T``)."""
    full = name.replace("_", " ")
    side, _, limb = full.partition(" ")
    if not limb:
        return [full, full, full[0].upper(), full[0].upper()]
    s = side[0].upper()
    return [full, f"{s} {limb}", f"{s}{limb[0].upper()}", s]


def part_labels(width: float, metrics: QFontMetrics,
                names: Sequence[str] = PART_NAMES) -> list[str]:
    """The header labels of body-part blocks of ``width`` pixels, all at one length.

    The full names (``"right arm"``) when every one fits, else all short (``"R arm"``),
    else two letters (``"RA"``), else one (``"R"``), cut on the right with "…" as a last
    resort; the full
    name is in the tooltip. One length for all, so no header reads "left leg" beside
    "R leg".

    Args:
        width: a block's width, pixels.
        metrics: the header font's metrics.
        names: part names of ``PART_NAMES`` (``"right_arm"``).
    """
    room = int(width) - 4
    levels = [_label_levels(n) for n in names]
    for k in range(len(levels[0])):
        if all(metrics.horizontalAdvance(lv[k]) <= room for lv in levels):
            return [lv[k] for lv in levels]
    return [elide_right(lv[-1], metrics, room) for lv in levels]


def time_ticks(duration_s: float, height_px: float, min_spacing_px: float = 36.0) -> np.ndarray:
    """Tick times for a vertical time axis: the smallest "nice" step that leaves at least
    ``min_spacing_px`` between labels.

    Args:
        duration_s: axis length, seconds (> 0).
        height_px: axis length on screen, pixels.
        min_spacing_px: least distance between two ticks, pixels.

    Returns:
        ``(K,)`` float64 tick times in seconds, ``0 <= t <= duration_s``, starting at 0.
    """
    if duration_s <= 0 or height_px <= 0:
        return np.zeros(1)
    px_per_s = height_px / duration_s
    step = next((s for s in _TICK_STEPS_S if s * px_per_s >= min_spacing_px), _TICK_STEPS_S[-1])
    return np.arange(0.0, duration_s + 1e-9, step)


def _tick_label(t: float, step: float) -> str:
    decimals = 0 if step >= 1 else (1 if step * 10 == round(step * 10) else 2)
    return "0" if t == 0 else f"{t:.{decimals}f}"


class _PatchCanvas(QWidget):
    """The painted area of :class:`PatchView` (header, time axis, image, cursor)."""

    def __init__(self, owner: PatchView) -> None:
        super().__init__(owner)
        self._owner = owner
        self._scaled: QPixmap | None = None  # the image scaled to the image rect
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # geometry -----------------------------------------------------------------
    def image_rect(self) -> QRect:
        """Where the image (and the empty plot area) is drawn, widget pixels."""
        left, top, right, bottom = _MARGINS
        x0 = left + self.axis_width()
        y0 = top + _HEADER_HEIGHT
        return QRect(x0, y0, max(1, self.width() - x0 - right), max(1, self.height() - y0 - bottom))

    def axis_width(self) -> int:
        """Width of the time axis left of the image, pixels: the rotated title, the widest
        tick label (:data:`_WIDEST_TICK`) and the ticks, measured in the widget's font so
        the labels never run into the title."""
        fm = self.fontMetrics()
        return fm.height() + 4 + fm.horizontalAdvance(_WIDEST_TICK) + 3 + _TICK_LEN + 2

    def _duration(self) -> float:
        o = self._owner
        return o.valid_frames / o.fps if o.valid_frames else 1.0  # empty: no axis is drawn

    def time_to_y(self, t: float) -> float:
        """Widget y of time ``t`` seconds (time runs down)."""
        r = self.image_rect()
        return r.top() + t / self._duration() * r.height()

    def y_to_time(self, y: float) -> float:
        """Time in seconds at widget y."""
        r = self.image_rect()
        return (y - r.top()) / r.height() * self._duration()

    def cursor_strip(self, frame: int) -> QRect:
        """The band the cursor of ``frame`` covers, with its halo (for partial repaints)."""
        y = self.time_to_y((frame + 0.5) / self._owner.fps)
        r = self.image_rect()
        pad = _CURSOR_HALO // 2 + 2
        return QRect(r.left(), int(math.floor(y)) - pad, r.width(), 2 * pad + 1)

    def drop_cache(self) -> None:
        """Forget the scaled image (after a new image or a resize) and repaint everything."""
        self._scaled = None
        self.update()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """The scaled image depends on the size."""
        super().resizeEvent(event)
        self._scaled = None

    # painting -----------------------------------------------------------------
    def _scaled_pixmap(self, rect: QRect) -> QPixmap | None:
        qimage = self._owner._qimage
        if qimage is None:
            return None
        dpr = self.devicePixelRatioF()
        size = QSize(max(1, round(rect.width() * dpr)), max(1, round(rect.height() * dpr)))
        if self._scaled is None or self._scaled.size() != size:
            scaled = qimage.scaled(
                size,
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.FastTransformation,  # nearest neighbour: sharp samples
            )
            self._scaled = QPixmap.fromImage(scaled)
            self._scaled.setDevicePixelRatio(dpr)
        return self._scaled

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        """Draw what the exposed rectangle covers: header, axis, image, grid and cursor."""
        o = self._owner
        clip = event.rect()
        painter = QPainter(self)
        pal = self.palette()
        rect = self.image_rect()
        if not rect.contains(clip):  # header and axis only when (partly) exposed
            painter.fillRect(clip, pal.window())
            self._paint_header(painter, rect)
            self._paint_axis(painter, rect, pal.windowText().color())
        pixmap = self._scaled_pixmap(rect)
        if pixmap is None:  # no motion: say what appears here, not an empty 0..1 s plot
            painter.fillRect(rect.intersected(clip), pal.window())
            painter.setPen(pal.placeholderText().color())
            painter.drawText(rect.adjusted(8, 0, -8, 0),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, EMPTY_HINT)
        else:
            painter.drawPixmap(rect.topLeft(), pixmap)
            row_pen = QPen(QColor(255, 255, 255, 90), 1, Qt.PenStyle.CustomDashLine)
            row_pen.setDashPattern([2, 3])
            painter.setPen(row_pen)
            for r in range(PATCH_LEN, o.valid_frames, PATCH_LEN):  # patch-row boundaries
                y = self.time_to_y(r / o.fps)
                if clip.top() - 1 <= y <= clip.bottom() + 1:
                    painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right() + 1, y))
            painter.setPen(QPen(QColor("white"), 1.5))
            for p in range(1, len(PART_NAMES)):  # part separators
                x = rect.left() + p * POINTS_PER_PART / NUM_COLUMNS * rect.width()
                painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom() + 1))
            y = self.time_to_y(o.cursor_time())
            painter.setPen(QPen(QColor(0, 0, 0, 200), _CURSOR_HALO))
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right() + 1, y))
            painter.setPen(QPen(QColor("white"), 2))
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right() + 1, y))
        painter.end()

    def _paint_header(self, painter: QPainter, rect: QRect) -> None:
        left, top, _, _ = _MARGINS
        painter.setFont(self.font())
        block_w = POINTS_PER_PART / NUM_COLUMNS * rect.width()
        labels = part_labels(block_w - 1, painter.fontMetrics())  # blocks differ by < 1 px
        for p, (label, hex_color) in enumerate(zip(labels, PART_COLORS_HEX)):
            x0 = rect.left() + p * POINTS_PER_PART / NUM_COLUMNS * rect.width()
            x1 = rect.left() + (p + 1) * POINTS_PER_PART / NUM_COLUMNS * rect.width()
            block = QRectF(x0, top, x1 - x0, _HEADER_HEIGHT - 2)
            painter.fillRect(block, QColor(hex_color))
            painter.setPen(_text_colour_on(hex_color))
            painter.drawText(block, Qt.AlignmentFlag.AlignCenter, label)

    def _paint_axis(self, painter: QPainter, rect: QRect, colour: QColor) -> None:
        if not self._owner.valid_frames:  # no motion: no time to measure
            return
        painter.setFont(self.font())
        painter.setPen(QPen(colour, 1))
        x = rect.left() - 1
        painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom() + 1))
        ticks = time_ticks(self._duration(), rect.height())
        step = float(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
        fm = painter.fontMetrics()
        for t in ticks:
            y = self.time_to_y(float(t))
            painter.drawLine(QPointF(x - _TICK_LEN, y), QPointF(x, y))
            label = _tick_label(float(t), step)
            w = fm.horizontalAdvance(label)
            top = max(rect.top() - 2, min(y - fm.height() / 2, rect.bottom() + 2 - fm.height()))
            painter.drawText(
                QRectF(x - _TICK_LEN - 3 - w, top, w, fm.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                label,
            )
        # axis title, rotated, along the left edge
        painter.save()
        painter.translate(_MARGINS[0] + fm.height() / 2 + 1, rect.center().y())
        painter.rotate(-90)
        painter.drawText(
            QRectF(-rect.height() / 2, -fm.height() / 2, rect.height(), fm.height()),
            Qt.AlignmentFlag.AlignCenter,
            "time (s)",
        )
        painter.restore()

    # mouse --------------------------------------------------------------------
    def part_at(self, pos: QPoint) -> str:
        """The full name of the body part whose header block is at ``pos`` (``""`` when
        ``pos`` is not on the header): the tooltip there, as the block may show "R arm"."""
        rect = self.image_rect()
        if not (0 <= pos.y() < rect.top() and rect.left() <= pos.x() <= rect.right()):
            return ""
        p = int((pos.x() - rect.left()) / max(rect.width(), 1) * len(PART_NAMES))
        return PART_NAMES[min(p, len(PART_NAMES) - 1)].replace("_", " ")

    def event(self, event: QEvent) -> bool:
        """Tooltips: the full body-part name over the header."""
        if event.type() == QEvent.Type.ToolTip:
            name = self.part_at(event.pos())  # type: ignore[attr-defined]
            if name:
                QToolTip.showText(event.globalPos(), name, self)  # type: ignore[attr-defined]
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def _request(self, pos: QPointF) -> None:
        o = self._owner
        rect = self.image_rect()
        if o.valid_frames == 0 or not (rect.left() <= pos.x() <= rect.right() + 1):
            return
        f = int(math.floor(self.y_to_time(pos.y()) * o.fps))
        if 0 <= f < o.valid_frames:
            o.frameRequested.emit(f)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        """A left click on the image asks for that row's frame."""
        if event.button() == Qt.MouseButton.LeftButton:
            self._request(event.position())
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        """Dragging with the left button held scrubs through the frames."""
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._request(event.position())
        super().mouseMoveEvent(event)


class PatchView(QWidget):
    """A motion-patch image with body-part labels and a cursor at the current frame.

    Signals:
        frameRequested(int): the user clicked (or dragged on) the image at this frame
            (0-based).
    """

    frameRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._valid_frames = 0
        self._fps = 20.0
        self._frame = 0
        self._rgb: np.ndarray | None = None  # (T', 80, 3) uint8, the drawn image
        self._qimage: QImage | None = None  # wraps self._rgb (kept alive with it)
        self._canvas = _PatchCanvas(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._canvas)
        self.setMinimumSize(220, 160)

    @property
    def valid_frames(self) -> int:
        """Number of real (drawn) frames; 0 when no image is set."""
        return self._valid_frames

    @property
    def fps(self) -> float:
        """Frame rate of the image's rows, frames per second."""
        return self._fps

    @property
    def frame(self) -> int:
        """Frame the cursor marks."""
        return self._frame

    def cursor_time(self) -> float:
        """Time the cursor line sits at, seconds (the middle of the cursor frame's row)."""
        return (self._frame + 0.5) / self._fps

    def frame_position(self, frame: int) -> QPoint:
        """Widget coordinates of the middle of ``frame``'s row (at the centre column).

        Raises:
            ValueError: when no image is set or ``frame`` is outside the real frames.
        """
        if not 0 <= frame < self._valid_frames:
            raise ValueError(f"frame must be in [0, {self._valid_frames}), got {frame}")
        rect = self._canvas.image_rect()
        y = self._canvas.time_to_y((frame + 0.5) / self._fps)
        p = QPoint(round(rect.left() + rect.width() / 2), int(math.floor(y)))
        return self._canvas.mapTo(self, p)

    def image_rgb(self) -> np.ndarray | None:
        """The displayed ``(T', 80, 3)`` uint8 image (real frames only), or ``None``."""
        return None if self._rgb is None else self._rgb.copy()

    def set_image(
        self, image: np.ndarray, valid_frames: int | None = None, fps: float = 20.0
    ) -> None:
        """Show a motion-patch image; the cursor goes to frame 0.

        Args:
            image: ``(3, T, 80)`` float patch image (metres or z-scores; x, y, z channels).
            valid_frames: real frames (``1 <= valid_frames <= T``); rows after it are padding
                and are not drawn. Default ``T``.
            fps: frame rate of the rows, frames per second (> 0), for the time axis.

        Raises:
            ValueError: on a shape other than ``(3, T, 80)``, ``valid_frames`` outside
                ``[1, T]``, non-finite values in the real frames or ``fps <= 0``.
        """
        arr = np.asarray(image)
        if arr.ndim != 3 or arr.shape[0] != 3 or arr.shape[2] != NUM_COLUMNS or arr.shape[1] < 1:
            raise ValueError(f"expected a patch image (3, T, {NUM_COLUMNS}), got {arr.shape}")
        t = arr.shape[1]
        n = t if valid_frames is None else int(valid_frames)
        if not 1 <= n <= t:
            raise ValueError(f"valid_frames must be in [1, {t}], got {valid_frames!r}")
        fps_f = float(fps)
        if not math.isfinite(fps_f) or fps_f <= 0:
            raise ValueError(f"fps must be a positive number, got {fps!r}")
        if not np.isfinite(arr[:, :n]).all():
            raise ValueError("patch image contains NaN or inf values in its real frames")
        rgb = np.ascontiguousarray(patch_image_rgb(arr, n))
        self._rgb = rgb
        self._qimage = QImage(
            rgb.data, NUM_COLUMNS, n, 3 * NUM_COLUMNS, QImage.Format.Format_RGB888
        )
        self._valid_frames, self._fps = n, fps_f
        self._frame = 0
        self._canvas.drop_cache()

    def clear(self) -> None:
        """Remove the image and hide the cursor."""
        self._rgb = None
        self._qimage = None
        self._valid_frames = 0
        self._frame = 0
        self._canvas.drop_cache()  # an empty view shows EMPTY_HINT, no time axis

    def set_frame(self, frame: int) -> int:
        """Move the cursor to ``frame``, clamped to the real frames.

        Only the strips under the old and the new cursor are repainted.

        Returns:
            The frame the cursor marks (0 when no image is set).
        """
        if self._valid_frames == 0:
            return 0
        f = min(max(int(frame), 0), self._valid_frames - 1)
        if f != self._frame:
            old = self._canvas.cursor_strip(self._frame)
            self._frame = f
            self._canvas.update(old)
            self._canvas.update(self._canvas.cursor_strip(f))
        return f
