"""Motion-patch image view: the ``(3, T, 80)`` image a motion encoder reads, with a frame cursor.

Shown as the motion-patch paper shows it (Yu, Tanaka, Fujiwara, CVPR 2024, Fig. 4): the x, y,
z coordinates of the 80 sample points as R, G, B (each channel min-max scaled over the real
frames, :func:`motionlex.core.figures.patch_image_rgb`), frames as rows with time running
down, and one labelled column block of 16 points per body part, coloured like the bones in
:class:`~motionlex.widgets.skeleton_view.SkeletonView`. Padded frames are not drawn. A
horizontal cursor marks the frame the skeleton view shows; clicking a row asks for that frame.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRectF, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QVBoxLayout, QWidget

from motionlex.core.figures import patch_image_rgb
from motionlex.core.patches import PATCH_LEN, POINTS_PER_PART
from motionlex.core.skeleton import PART_NAMES

from .colors import PART_COLORS_HEX

logger = logging.getLogger(__name__)

NUM_COLUMNS = POINTS_PER_PART * len(PART_NAMES)
"""Columns of a patch image: 16 sample points x 5 body parts = 80."""

_AXIS_WIDTH = 46  # px, shared by the header and the image plot so their x ranges line up


def _text_colour_on(hex_color: str) -> QColor:
    """Black or white, whichever reads better on ``hex_color`` (WCAG relative luminance)."""
    c = QColor(hex_color)
    lin = [
        (v / 12.92) if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        for v in (c.redF(), c.greenF(), c.blueF())
    ]
    lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return QColor("#000000") if lum > 0.18 else QColor("#FFFFFF")


class PatchView(QWidget):
    """A motion-patch image with body-part labels and a cursor at the current frame.

    Signals:
        frameRequested(int): the user clicked the image at this frame (0-based).
    """

    frameRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._valid_frames = 0
        self._fps = 20.0
        self._frame = 0

        self._canvas = pg.GraphicsLayoutWidget(self)
        self._canvas.setBackground(self.palette().window().color())
        self._canvas.ci.layout.setSpacing(0)
        self._canvas.ci.setContentsMargins(2, 2, 6, 2)

        # header row: one coloured, labelled block per body part, x linked to the image
        self._header = self._canvas.addPlot(row=0, col=0)
        self._header.hideAxis("bottom")
        self._header.getAxis("left").setWidth(_AXIS_WIDTH)
        self._header.getAxis("left").setStyle(showValues=False, tickLength=0)
        self._header.getAxis("left").setPen(pg.mkPen(None))
        self._header.setMouseEnabled(False, False)
        self._header.setMenuEnabled(False)
        self._header.hideButtons()
        self._header.setMaximumHeight(26)
        self._header.setMinimumHeight(26)
        band = np.array([[QColor(h).getRgb()[:3] for h in PART_COLORS_HEX]], dtype=np.uint8)
        band_item = pg.ImageItem(band, axisOrder="row-major")
        band_item.setRect(QRectF(0, 0, NUM_COLUMNS, 1))
        self._header.addItem(band_item)
        for p, (name, hex_color) in enumerate(zip(PART_NAMES, PART_COLORS_HEX)):
            label = pg.TextItem(
                name.replace("_", " "), color=_text_colour_on(hex_color), anchor=(0.5, 0.5)
            )
            label.setPos((p + 0.5) * POINTS_PER_PART, 0.5)
            self._header.addItem(label)
        self._header.setXRange(0, NUM_COLUMNS, padding=0)
        self._header.setYRange(0, 1, padding=0)

        # the image itself
        self._plot = self._canvas.addPlot(row=1, col=0)
        self._plot.getAxis("left").setWidth(_AXIS_WIDTH)
        self._plot.setLabel("left", "time (s)")
        text_colour = self.palette().windowText().color()
        for axis in (self._plot.getAxis("left"),):
            axis.setTextPen(pg.mkPen(text_colour))
            axis.setPen(pg.mkPen(text_colour))
        self._plot.hideAxis("bottom")
        self._plot.setMouseEnabled(False, False)
        self._plot.setMenuEnabled(False)
        self._plot.hideButtons()
        self._plot.invertY(True)
        self._plot.setXLink(self._header)
        self._plot.setYRange(0, 1, padding=0)
        self._image = pg.ImageItem(axisOrder="row-major")
        self._plot.addItem(self._image)
        for p in range(1, len(PART_NAMES)):
            self._plot.addItem(
                pg.InfiniteLine(p * POINTS_PER_PART, angle=90, pen=pg.mkPen("w", width=1.5))
            )
        self._row_lines: list[pg.InfiniteLine] = []
        # cursor: a white line on a dark halo, readable on any image colour
        self._cursor_halo = pg.InfiniteLine(0.0, angle=0, pen=pg.mkPen((0, 0, 0, 200), width=5))
        self._cursor = pg.InfiniteLine(0.0, angle=0, pen=pg.mkPen("w", width=2))
        for line in (self._cursor_halo, self._cursor):
            line.setZValue(10)
            line.setVisible(False)
            self._plot.addItem(line)
        self._plot.scene().sigMouseClicked.connect(self._on_click)

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
        return float(self._cursor.value())

    def frame_position(self, frame: int) -> QPoint:
        """Widget coordinates of the middle of ``frame``'s row (at the centre column).

        Raises:
            ValueError: when no image is set or ``frame`` is outside the real frames.
        """
        if not 0 <= frame < self._valid_frames:
            raise ValueError(f"frame must be in [0, {self._valid_frames}), got {frame}")
        vb = self._plot.getViewBox()
        scene_pt = vb.mapViewToScene(QPointF(NUM_COLUMNS / 2, (frame + 0.5) / self._fps))
        return self._canvas.mapTo(self, self._canvas.mapFromScene(scene_pt))

    def image_rgb(self) -> np.ndarray | None:
        """The displayed ``(T', 80, 3)`` uint8 image (real frames only), or ``None``."""
        img = self._image.image
        return None if img is None else np.asarray(img)

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
        rgb = patch_image_rgb(arr, n)
        self._valid_frames, self._fps = n, fps_f
        duration = n / fps_f
        self._image.setImage(rgb, levels=(0, 255), autoLevels=False)
        self._image.setRect(QRectF(0, 0, NUM_COLUMNS, duration))
        for line in self._row_lines:
            self._plot.removeItem(line)
        self._row_lines = []
        for r in range(PATCH_LEN, n, PATCH_LEN):  # boundaries between patch rows
            line = pg.InfiniteLine(
                r / fps_f, angle=0, pen=pg.mkPen((255, 255, 255, 90), width=1, dash=[2, 3])
            )
            self._row_lines.append(line)
            self._plot.addItem(line)
        self._plot.setXRange(0, NUM_COLUMNS, padding=0)
        self._plot.setYRange(0, duration, padding=0)
        for line in (self._cursor_halo, self._cursor):
            line.setVisible(True)
        self._frame = -1
        self.set_frame(0)

    def clear(self) -> None:
        """Remove the image and hide the cursor."""
        self._image.clear()
        for line in self._row_lines:
            self._plot.removeItem(line)
        self._row_lines = []
        for line in (self._cursor_halo, self._cursor):
            line.setVisible(False)
        self._valid_frames = 0
        self._frame = 0
        self._plot.setYRange(0, 1, padding=0)  # an empty view shows 0..1 s, not pyqtgraph's default

    def set_frame(self, frame: int) -> int:
        """Move the cursor to ``frame``, clamped to the real frames.

        Returns:
            The frame the cursor marks (0 when no image is set).
        """
        if self._valid_frames == 0:
            return 0
        f = min(max(int(frame), 0), self._valid_frames - 1)
        if f != self._frame:
            self._frame = f
            y = (f + 0.5) / self._fps
            self._cursor.setValue(y)
            self._cursor_halo.setValue(y)
        return f

    def _on_click(self, event) -> None:
        if self._valid_frames == 0 or event.button() != pg.QtCore.Qt.MouseButton.LeftButton:
            return
        vb = self._plot.getViewBox()
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        p = vb.mapSceneToView(event.scenePos())
        f = int(math.floor(p.y() * self._fps))
        if 0 <= p.x() <= NUM_COLUMNS and 0 <= f < self._valid_frames:
            self.frameRequested.emit(f)
