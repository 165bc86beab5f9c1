"""3D skeleton player: one or several motions as coloured bones and joints, in sync.

``SkeletonView`` wraps a pyqtgraph ``GLViewWidget`` with a transport bar (play/pause,
scrub slider, frame/time read-out, speed 0.25x-4x, loop, follow-root). It takes plain NumPy
arrays: joints ``(T, J, 3)`` in metres with Y up (the project's canonical form) and a bone
list ``(B, 2)``; it never reads files and never calls a model.

Rendering follows pyqtgraph's animation pattern: the GL items are built once per
:meth:`SkeletonView.set_motions` call, every frame's vertex arrays are precomputed, and the
``QTimer`` slot only calls ``setData`` with a precomputed slice
(Source: ``pyqtgraph/examples/GLSurfacePlot.py``). Bones use
``GLLinePlotItem(mode='lines')``, which draws one segment per vertex pair, so
``joints[f][bones].reshape(-1, 3)`` is the whole skeleton
(Source: ``pyqtgraph/opengl/items/GLLinePlotItem.py``; skeleton as positions plus joint
pairs: ``eth-ait/aitviewer/aitviewer/renderables/skeletons.py``).

Frame semantics follow aitviewer's ``Node``: setting a frame clamps it to the valid range,
stepping wraps around (Source: ``eth-ait/aitviewer/aitviewer/scene/node.py``,
``current_frame_id`` / ``next_frame``).

Axes: the data are Y-up, ``GLViewWidget`` is Z-up. Points are mapped with
:func:`y_up_to_z_up`, ``(x, y, z) -> (x, -z, y)``, a +90 degree rotation about the x axis
(a proper rotation, so left stays left). A body facing +Z in the data faces -Y in the view,
and the default camera looks at it from the front (azimuth about -90 degrees).

Several GL views in one process: pyqtgraph caches each item type's shader program once per
class, so every ``GLViewWidget`` must share one GL context group. Call
:func:`enable_shared_gl_contexts` before the ``QApplication`` is created (Source:
pyqtgraph issues #1822 and #2618, ``Qt.AA_ShareOpenGLContexts``).

Two ways to put the 3D canvas on screen (``render_mode``):
- ``'widget'``: pyqtgraph's ``GLViewWidget`` (a ``QOpenGLWidget``). Qt then composites the
  whole top-level window through OpenGL on every repaint of any widget in it: cheap on a GPU,
  but with a software rasteriser (Mesa llvmpipe: Xvfb, VMs, remote desktops) every repaint
  of a 1440x900 window, even of one small label, costs 20-30 ms of the GUI thread (measured
  on 2 loaded cores).
- ``'offscreen'``: :class:`OffscreenGLView` draws the same GL items into a framebuffer object
  of an offscreen context, reads the pixels back (``glReadPixels``) and paints them as an
  image, so the window stays a raster window whose repaints cost only what changed: about
  3 ms for a 600x800 3D frame under llvmpipe, and nothing extra for the other widgets.
``'auto'`` (the default) picks ``'offscreen'`` when the GL renderer is a software one
(:func:`gl_renderer`, :func:`is_software_renderer`) and ``'widget'`` otherwise; the
environment variable ``MOTIONLEX_SKELETON_RENDER`` (``auto``, ``offscreen`` or ``widget``)
overrides the default.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
import pyqtgraph.opengl as gl
import shiboken6
from OpenGL import GL
from pyqtgraph.opengl.GLViewWidget import GLViewMixin
from PySide6.QtCore import (
    QCoreApplication,
    QElapsedTimer,
    QEvent,
    QObject,
    QSignalBlocker,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QFont,
    QImage,
    QKeyEvent,
    QOffscreenSurface,
    QOpenGLContext,
    QPainter,
    QPaintEvent,
    QSurfaceFormat,
)
from PySide6.QtOpenGL import QOpenGLFramebufferObject
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from motionlex.widgets.colors import bone_colors, joint_colors

logger = logging.getLogger(__name__)

SPEEDS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)
"""Playback speeds offered in the speed box (multiples of real time)."""

LAYOUTS: tuple[str, ...] = ("side", "overlay")
"""Ways :meth:`SkeletonView.set_motions` arranges several motions."""

SIDE_GAP_M = 0.6
"""Gap in metres between neighbouring motions' x extents in the ``'side'`` layout."""

MotionSpec = tuple  # (joints, bones, fps, part_of_joint | None)

RENDER_MODES: tuple[str, ...] = ("auto", "offscreen", "widget")
"""Values of ``SkeletonView(render_mode=...)`` (see the module docstring)."""

RENDER_MODE_ENV = "MOTIONLEX_SKELETON_RENDER"
"""Environment variable that sets the default render mode (``auto``/``offscreen``/``widget``)."""

_SOFTWARE_RENDERERS: tuple[str, ...] = (
    "llvmpipe",
    "softpipe",
    "swrast",
    "software",
    "swiftshader",
    "gdi generic",
    "basic render",
)
_renderer_cache: list[str] = []  # [GL_RENDERER string] once probed


def enable_shared_gl_contexts() -> None:
    """Let every OpenGL widget share one context group (needed for two or more
    ``SkeletonView``/``GLViewWidget`` instances in one process).

    Raises:
        RuntimeError: when a ``QApplication`` already exists (Qt reads the attribute only
            at application start).
    """
    if QCoreApplication.instance() is not None:
        if QCoreApplication.testAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts):
            return
        raise RuntimeError(
            "enable_shared_gl_contexts() must run before the QApplication is created"
        )
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts, True)


def _new_offscreen_context() -> tuple[QOpenGLContext, QOffscreenSurface]:
    """An OpenGL context (in the application's shared group) with an offscreen surface.

    Raises:
        RuntimeError: when the platform cannot create an OpenGL context.
    """
    fmt = QSurfaceFormat.defaultFormat()
    surface = QOffscreenSurface()
    surface.setFormat(fmt)
    surface.create()
    ctx = QOpenGLContext()
    share = QOpenGLContext.globalShareContext()
    if share is not None:
        ctx.setShareContext(share)
    ctx.setFormat(fmt)
    if not ctx.create() or not surface.isValid():
        raise RuntimeError(
            "cannot create an offscreen OpenGL context on Qt platform "
            f"{QCoreApplication.instance() and QCoreApplication.instance().platformName()!r}"
        )
    return ctx, surface


def gl_renderer() -> str:
    """The OpenGL renderer string (``GL_RENDERER``) of this process's contexts.

    Probed once with a temporary offscreen context (needs a ``QGuiApplication``) and cached.

    Returns:
        e.g. ``"llvmpipe (LLVM 15.0.7, 256 bits)"``; ``""`` when no context can be made.
    """
    if not _renderer_cache:
        name = ""
        try:
            ctx, surface = _new_offscreen_context()
            if ctx.makeCurrent(surface):
                raw = GL.glGetString(GL.GL_RENDERER)
                name = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
                ctx.doneCurrent()
        except Exception as e:  # noqa: BLE001 - any GL failure means "unknown renderer"
            logger.warning("could not probe the OpenGL renderer: %s", e)
        _renderer_cache.append(name)
        logger.debug("OpenGL renderer: %r", name)
    return _renderer_cache[0]


def is_software_renderer(name: str) -> bool:
    """Whether a ``GL_RENDERER`` string names a CPU rasteriser (llvmpipe, softpipe, ...)."""
    low = name.lower()
    return any(k in low for k in _SOFTWARE_RENDERERS)


def resolve_render_mode(mode: str | None = None) -> str:
    """Turn ``'auto'``/``None`` into ``'offscreen'`` or ``'widget'``.

    Args:
        mode: one of :data:`RENDER_MODES`, or ``None`` for ``$MOTIONLEX_SKELETON_RENDER``
            (default ``'auto'``).

    Returns:
        ``'offscreen'`` or ``'widget'``; ``'auto'`` gives ``'offscreen'`` on a software GL
        renderer (:func:`is_software_renderer`) and ``'widget'`` otherwise.

    Raises:
        ValueError: on a value not in :data:`RENDER_MODES` (argument or environment).
    """
    where = "render_mode"
    if mode is None:
        where = RENDER_MODE_ENV
        mode = os.environ.get(RENDER_MODE_ENV, "").strip().lower() or "auto"
    if mode not in RENDER_MODES:
        raise ValueError(f"{where} must be one of {RENDER_MODES}, got {mode!r}")
    if mode == "auto":
        return "offscreen" if is_software_renderer(gl_renderer()) else "widget"
    return mode


class _GLResources:
    """An offscreen context, its surface and framebuffer, freed when the view is destroyed."""

    def __init__(self) -> None:
        self.ctx: QOpenGLContext | None = None
        self.surface: QOffscreenSurface | None = None
        self.fbo: QOpenGLFramebufferObject | None = None

    def release(self, *_args) -> None:
        """Delete the framebuffer with its context current (skipped at application exit,
        when Qt has already destroyed the context and surface)."""
        alive = all(
            o is not None and shiboken6.isValid(o) for o in (self.ctx, self.surface, self.fbo)
        )
        if alive and self.ctx.makeCurrent(self.surface):
            self.fbo = None  # deleted while its context is current
            self.ctx.doneCurrent()
        self.fbo = None


class OffscreenGLView(GLViewMixin, QWidget):
    """pyqtgraph's 3D view drawn offscreen and shown as an image in a plain ``QWidget``.

    A drop-in for ``pyqtgraph.opengl.GLViewWidget`` (same camera, items, mouse and keyboard
    handling, via ``GLViewMixin``): each paint renders the items into a framebuffer object of
    an offscreen OpenGL context (shared with the application's context group), reads it back
    with ``glReadPixels`` and draws it with ``QPainter``. The window then needs no OpenGL
    compositing, which is what makes repaints cheap under a software rasteriser (see the
    module docstring). ``GLTextItem`` items at the top level are painted over the image.

    Attributes:
        render_count: scenes rendered so far (one per paint; lets tests and benchmarks check
            that nothing is redrawn when nothing changed).

    Source: ``pyqtgraph/opengl/GLViewWidget.py`` (``GLViewMixin``, ``renderToArray``).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        self._gl = _GLResources()
        self._read_buf = np.zeros((0, 0, 4), dtype=np.uint8)
        self._image_buf = np.zeros((0, 0, 4), dtype=np.uint8)
        self.render_count = 0
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.destroyed.connect(self._gl.release)

    # the parts of QOpenGLWidget's API that GLViewMixin and GL items use
    def context(self) -> QOpenGLContext | None:
        """The offscreen OpenGL context (``None`` until the first paint)."""
        return self._gl.ctx

    def isValid(self) -> bool:  # noqa: N802 - QOpenGLWidget API
        """Whether the GL context exists (items are initialised in it once it does)."""
        return self._gl.ctx is not None

    def makeCurrent(self) -> None:  # noqa: N802 - QOpenGLWidget API
        """Make the offscreen context current (creating it on first use).

        Raises:
            RuntimeError: when no OpenGL context can be created or made current.
        """
        if self._gl.ctx is None:
            self._gl.ctx, self._gl.surface = _new_offscreen_context()
            if not self._gl.ctx.makeCurrent(self._gl.surface):
                raise RuntimeError("cannot make the offscreen OpenGL context current")
            self.initializeGL()
        elif not self._gl.ctx.makeCurrent(self._gl.surface):
            raise RuntimeError("cannot make the offscreen OpenGL context current")

    def doneCurrent(self) -> None:  # noqa: N802 - QOpenGLWidget API
        """Release the offscreen context."""
        if self._gl.ctx is not None:
            self._gl.ctx.doneCurrent()

    # rendering
    def render_image(self) -> QImage:
        """Render the scene (without text items) at the widget's size in device pixels.

        Returns:
            ``Format_RGB32`` image of ``deviceWidth() x deviceHeight()`` pixels with the
            widget's device pixel ratio set; it shares memory with the view's buffer and is
            valid until the next render (``copy()`` it to keep it).

        Raises:
            RuntimeError: when no OpenGL context can be created.
        """
        w, h = max(1, self.deviceWidth()), max(1, self.deviceHeight())
        self.makeCurrent()
        fbo = self._gl.fbo
        if fbo is None or fbo.width() != w or fbo.height() != h:
            self._gl.fbo = None
            fbo = self._gl.fbo = QOpenGLFramebufferObject(
                w, h, QOpenGLFramebufferObject.Attachment.CombinedDepthStencil
            )
            self._read_buf = np.empty((h, w, 4), dtype=np.uint8)
            self._image_buf = np.empty((h, w, 4), dtype=np.uint8)
        fbo.bind()
        texts = [i for i in self.items if isinstance(i, gl.GLTextItem)]
        if texts:
            self.items = [i for i in self.items if not isinstance(i, gl.GLTextItem)]
        try:
            GL.glViewport(0, 0, w, h)
            self.paint(region=(0, 0, w, h), viewport=(0, 0, w, h))
            GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 4)
            GL.glReadPixels(0, 0, w, h, GL.GL_BGRA, GL.GL_UNSIGNED_BYTE, self._read_buf)
        finally:
            if texts:
                self.items = self.items + texts
            fbo.release()
        np.copyto(self._image_buf, self._read_buf[::-1])  # GL rows run bottom-up
        img = QImage(self._image_buf.data, w, h, 4 * w, QImage.Format.Format_RGB32)
        img.setDevicePixelRatio(self.devicePixelRatioF())
        self.render_count += 1
        return img

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        """Render offscreen, draw the image, then the top-level text items over it."""
        img = self.render_image()
        painter = QPainter(self)
        painter.drawImage(0, 0, img)
        painter.end()
        try:
            for item in self.items:
                if isinstance(item, gl.GLTextItem) and item.visible():
                    item.paint()  # QPainter on this widget; the projection is still set
        finally:
            self.doneCurrent()

    def grabFramebuffer(self) -> QImage:  # noqa: N802 - QOpenGLWidget API
        """The rendered view (with text) as an image, in device pixels."""
        return self.grab().toImage()


def y_up_to_z_up(points: np.ndarray) -> np.ndarray:
    """Map Y-up points to pyqtgraph's Z-up frame: ``(x, y, z) -> (x, -z, y)``.

    A +90 degree rotation about x (determinant +1, so handedness and left/right are kept).

    Args:
        points: ``(..., 3)`` float coordinates, metres, Y up.

    Returns:
        ``(..., 3)`` float32 coordinates, metres, Z up.
    """
    p = np.asarray(points, dtype=np.float32)
    return np.stack([p[..., 0], -p[..., 2], p[..., 1]], axis=-1)


def _validate_motion(
    joints: np.ndarray,
    bones: np.ndarray,
    fps: float,
    part_of_joint: np.ndarray | None,
    where: str,
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray | None]:
    """Check one motion's arrays; return them as contiguous float32 / int64 arrays."""
    j = np.asarray(joints)
    if j.ndim != 3 or j.shape[-1] != 3 or j.shape[0] < 1 or j.shape[1] < 1:
        raise ValueError(f"{where}: joints must have shape (T, J, 3) with T, J >= 1, got {j.shape}")
    if not np.issubdtype(j.dtype, np.number):
        raise ValueError(f"{where}: joints must be numeric, got dtype {j.dtype}")
    j = np.ascontiguousarray(j, dtype=np.float32)
    if not np.isfinite(j).all():
        raise ValueError(f"{where}: joints contain NaN or inf values")
    b = np.asarray(bones)
    if b.ndim != 2 or b.shape[1] != 2 or not np.issubdtype(b.dtype, np.integer):
        raise ValueError(
            f"{where}: bones must be an int array of shape (B, 2), got {b.dtype} {b.shape}"
        )
    if b.size and (b.min() < 0 or b.max() >= j.shape[1]):
        raise ValueError(
            f"{where}: bone joint indices must be in [0, {j.shape[1]}), "
            f"got min {b.min()} max {b.max()}"
        )
    fps_f = float(fps)
    if not math.isfinite(fps_f) or fps_f <= 0:
        raise ValueError(f"{where}: fps must be a positive number, got {fps!r}")
    parts = None if part_of_joint is None else np.asarray(part_of_joint)
    return j, b.astype(np.int64), fps_f, parts


@dataclass
class _Track:
    """One motion's precomputed vertex arrays and its GL items."""

    segments: np.ndarray  # (T, 2B, 3) float32, Z-up, offset applied
    points: np.ndarray  # (T, J, 3) float32, Z-up, offset applied
    fps: float
    lines: gl.GLLinePlotItem
    scatter: gl.GLScatterPlotItem
    label: gl.GLTextItem | None
    label_pos: np.ndarray | None  # (T, 3) float32 label anchor per frame
    frame_map: np.ndarray  # (N,) int: timeline frame -> this track's frame

    @property
    def num_frames(self) -> int:
        return int(self.points.shape[0])


class SkeletonView(QWidget):
    """Animated 3D view of one or several skeleton motions on a shared timeline.

    Signals:
        frameChanged(int): the timeline frame changed (after :meth:`seek`, :meth:`step`,
            a playback tick or a new motion, which starts at frame 0).
        playingChanged(bool): playback started (``True``) or stopped (``False``).

    Keyboard (when the view or its 3D canvas has focus): space toggles play/pause,
    left/right step one frame (wrapping).

    Args:
        parent: parent widget.
        render_mode: ``'auto'``, ``'offscreen'`` or ``'widget'`` (see the module docstring);
            ``None`` reads ``$MOTIONLEX_SKELETON_RENDER`` (default ``'auto'``).

    Raises:
        ValueError: on an unknown ``render_mode``.
    """

    frameChanged = Signal(int)
    playingChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None, render_mode: str | None = None) -> None:
        mode = resolve_render_mode(render_mode)
        super().__init__(parent)
        if not QCoreApplication.testAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts):
            logger.warning(
                "Qt.AA_ShareOpenGLContexts is not set: a second GL view in this process will "
                "fail to draw; call enable_shared_gl_contexts() before creating the QApplication"
            )
        self._tracks: list[_Track] = []
        self._item_pool: list[tuple[gl.GLLinePlotItem, gl.GLScatterPlotItem]] = []
        self._frame = 0
        self._num_frames = 0
        self._fps = 20.0
        self._speed = 1.0
        self._loop = True
        self._follow_root = False
        self._follow_centres: np.ndarray | None = None  # (N, 3) camera centre per frame
        self._pose_half_extent = np.ones(3)  # metres: largest single-frame box, half size
        self._scene_centre = np.zeros(3)
        self._scene_half_extent = np.ones(3)  # metres: box of all frames, half size
        self._play_origin_frame = 0
        self._clock = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_tick)

        self._render_mode = mode
        self._view = OffscreenGLView(self) if mode == "offscreen" else gl.GLViewWidget(self)
        self._view.setBackgroundColor((24, 24, 28))
        self._view.setCameraParams(fov=45.0)
        self._view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._view.setMinimumSize(160, 120)
        self._view.installEventFilter(self)
        # no GL_LINE_SMOOTH on the floor: its thin, faint lines look the same without it,
        # and smoothing them is half the cost of a frame under a software rasteriser
        self._grid = gl.GLGridItem(color=(255, 255, 255, 45), antialias=False)
        self._grid.setSpacing(0.5, 0.5, 1.0)
        self._view.addItem(self._grid)

        self._play_button = QToolButton(self)
        self._play_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._play_button.setToolTip("Play / pause (space)")
        self._play_button.clicked.connect(self.toggle_play)
        self._slider = QSlider(Qt.Orientation.Horizontal, self)
        self._slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._slider.setToolTip("Scrub (left/right arrows step one frame)")
        self._slider.valueChanged.connect(self.seek)
        self._time_label = QLabel(self)
        # a fixed size: the text changes every frame, and a label whose size hint changes
        # asks the whole window to lay out again (a second repaint of every frame)
        self._time_label.setFixedSize(
            self._time_label.fontMetrics().horizontalAdvance("0000/0000  000.00 s") + 8,
            self._time_label.sizeHint().height(),
        )
        self._speed_box = QComboBox(self)
        self._speed_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._speed_box.setToolTip("Playback speed")
        for s in SPEEDS:
            self._speed_box.addItem(f"{s:g}x", s)
        self._speed_box.setCurrentIndex(SPEEDS.index(1.0))
        self._speed_box.currentIndexChanged.connect(
            lambda i: self.set_speed(float(self._speed_box.itemData(i)))
        )
        self._loop_box = QCheckBox("loop", self)
        self._loop_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._loop_box.setChecked(self._loop)
        self._loop_box.toggled.connect(self.set_loop)
        self._follow_box = QCheckBox("follow", self)
        self._follow_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._follow_box.setToolTip("Camera follows the body instead of framing the whole path")
        self._follow_box.toggled.connect(self.set_follow_root)

        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(self._play_button)
        bar.addWidget(self._slider, 1)
        bar.addWidget(self._time_label)
        bar.addWidget(self._speed_box)
        bar.addWidget(self._loop_box)
        bar.addWidget(self._follow_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._view, 1)
        layout.addLayout(bar)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._update_controls()

    # ------------------------------------------------------------------ properties
    @property
    def gl_view(self) -> gl.GLViewWidget | OffscreenGLView:
        """The inner 3D canvas (``GLViewWidget`` or :class:`OffscreenGLView`; both take
        pyqtgraph GL items and have the same camera API)."""
        return self._view

    @property
    def render_mode(self) -> str:
        """How the 3D canvas reaches the screen: ``'offscreen'`` or ``'widget'``."""
        return self._render_mode

    @property
    def frame(self) -> int:
        """Current timeline frame (index into the longest motion)."""
        return self._frame

    @property
    def num_frames(self) -> int:
        """Timeline length in frames (frames of the longest motion; 0 when empty)."""
        return self._num_frames

    @property
    def fps(self) -> float:
        """Timeline frame rate (the longest motion's), frames per second."""
        return self._fps

    @property
    def num_motions(self) -> int:
        """Number of motions shown."""
        return len(self._tracks)

    def motion_frames(self) -> list[int]:
        """Frame each motion shows at the current timeline frame (shorter ones hold their
        last frame)."""
        f = max(self._frame, 0)
        return [int(t.frame_map[f]) for t in self._tracks]

    def current_poses(self) -> list[np.ndarray]:
        """Each motion's displayed joints in view coordinates.

        Returns:
            One ``(J, 3)`` float32 array per motion: metres, Z up (:func:`y_up_to_z_up`),
            with the layout's x offset applied.
        """
        return [t.points[k].copy() for t, k in zip(self._tracks, self.motion_frames())]

    @property
    def speed(self) -> float:
        """Playback speed, multiple of real time."""
        return self._speed

    @property
    def loop(self) -> bool:
        """Whether playback wraps to frame 0 at the end (else it stops)."""
        return self._loop

    @property
    def follow_root(self) -> bool:
        """Whether the camera centre follows the bodies (else it frames the whole path)."""
        return self._follow_root

    @property
    def is_playing(self) -> bool:
        """Whether playback is running."""
        return self._timer.isActive()

    # ------------------------------------------------------------------ data
    def set_motion(
        self,
        joints: np.ndarray,
        bones: np.ndarray,
        fps: float,
        part_of_joint: np.ndarray | None = None,
    ) -> None:
        """Show one motion (replacing what was shown) at frame 0, paused.

        Args:
            joints: ``(T, J, 3)`` float joint positions, metres, Y up.
            bones: ``(B, 2)`` int ``(parent, child)`` joint pairs, e.g. ``Skeleton.bones()``.
            fps: frame rate, frames per second (> 0).
            part_of_joint: ``(J,)`` int body part per joint (index into ``PART_NAMES``,
                ``-1`` for none), e.g. ``Skeleton.part_of_joint()``; ``None`` draws one
                neutral colour.

        Raises:
            ValueError: on a bad shape, non-finite joints, bone indices out of range,
                ``fps <= 0`` or a bad ``part_of_joint``.
        """
        self.set_motions([(joints, bones, fps, part_of_joint)])

    def set_motions(
        self,
        motions: Sequence[MotionSpec],
        layout: str = "side",
        labels: Sequence[str] | None = None,
    ) -> None:
        """Show several motions on one timeline, side by side or overlaid.

        The timeline is the longest motion's (most frames); its frame ``f`` shows each
        other motion at the same time ``f / fps`` (by its own fps), and shorter motions hold
        their last frame. In ``'side'`` layout the motions are shifted along x so that
        their x extents do not overlap (first motion leftmost); in ``'overlay'`` they share
        one place and motions after the first are drawn translucent.

        Args:
            motions: sequence of ``(joints, bones, fps, part_of_joint)`` tuples as in
                :meth:`set_motion` (``part_of_joint`` may be ``None``).
            layout: ``'side'`` or ``'overlay'``.
            labels: optional text per motion (e.g. ``"#1 0.83"``), drawn above it.

        Raises:
            ValueError: on an empty list, an unknown layout, a label count that differs
                from the motion count, or a bad motion (see :meth:`set_motion`; the message
                names the motion's index).
        """
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
        if len(motions) == 0:
            raise ValueError("set_motions needs at least one motion, got an empty list")
        if labels is not None and len(labels) != len(motions):
            raise ValueError(f"got {len(labels)} labels for {len(motions)} motions")
        checked = []
        for i, spec in enumerate(motions):
            if len(spec) != 4:
                raise ValueError(
                    f"motion {i}: expected (joints, bones, fps, part_of_joint), "
                    f"got {len(spec)} items"
                )
            j, b, fps, parts = _validate_motion(*spec, where=f"motion {i}")
            rgba = joint_colors(parts, j.shape[1])  # validates part_of_joint
            checked.append((y_up_to_z_up(j), b, fps, rgba))

        was_playing = self.is_playing
        self.pause()
        self._clear_items()

        offsets = self._layout_offsets([c[0] for c in checked], layout)
        longest = int(np.argmax([c[0].shape[0] for c in checked]))
        self._num_frames = int(checked[longest][0].shape[0])
        self._fps = float(checked[longest][2])
        timeline_t = np.arange(self._num_frames) / self._fps
        for i, ((pts, b, fps, rgba), off) in enumerate(zip(checked, offsets)):
            pts = pts + np.asarray(off, dtype=np.float32)
            segments = np.ascontiguousarray(pts[:, b].reshape(pts.shape[0], -1, 3))
            translucent = layout == "overlay" and i > 0
            alpha = 0.45 if translucent else 1.0
            colours = rgba.copy()
            colours[:, 3] = alpha
            lines, scatter = self._items_for(i)
            lines.setData(
                pos=segments[0],
                color=bone_colors(b, colours),
                width=4.0 if not translucent else 3.0,
            )
            scatter.setData(pos=pts[0], color=colours, size=8.0 if not translucent else 6.0)
            lines.setVisible(True)
            scatter.setVisible(True)
            label, label_pos = None, None
            if labels is not None and labels[i]:
                label_pos = pts.mean(axis=1)  # (T, 3): above the body's centre
                label_pos[:, 2] = pts[..., 2].max(axis=1) + 0.15
                label = gl.GLTextItem(
                    pos=label_pos[0],
                    text=str(labels[i]),
                    color=(235, 235, 235, 255),
                    font=QFont(self.font().family(), 11),
                )
            frame_map = np.minimum(np.round(timeline_t * fps).astype(np.int64), pts.shape[0] - 1)
            track = _Track(
                segments,
                np.ascontiguousarray(pts),
                fps,
                lines,
                scatter,
                label,
                label_pos,
                frame_map,
            )
            self._tracks.append(track)
            if label is not None:
                self._view.addItem(label)
        self._hide_items(len(checked))

        self._fit_scene()
        self._update_controls()
        self._frame = -1  # force a redraw and a frameChanged(0)
        self._slider.blockSignals(True)
        self._slider.setRange(0, max(0, self._num_frames - 1))
        self._slider.blockSignals(False)
        self.seek(0)
        logger.debug(
            "showing %d motion(s), %d frames at %.3g fps, layout %s",
            len(self._tracks),
            self._num_frames,
            self._fps,
            layout,
        )
        if was_playing:
            self.play()

    def clear(self) -> None:
        """Remove all motions (the view shows only the floor)."""
        self.pause()
        self._clear_items()
        self._hide_items(0)
        self._num_frames = 0
        self._frame = 0
        self._follow_centres = None
        self._update_controls()

    def _clear_items(self) -> None:
        """Forget the tracks and remove their labels (bone and joint items are kept)."""
        for t in self._tracks:
            if t.label is not None:
                self._view.removeItem(t.label)
        self._tracks = []

    def _items_for(self, i: int) -> tuple[gl.GLLinePlotItem, gl.GLScatterPlotItem]:
        """The bone and joint items of motion ``i``, made on first use and then reused
        (``setData`` rewrites their vertex buffers in place; no GL objects are re-created)."""
        while len(self._item_pool) <= i:
            lines = gl.GLLinePlotItem(
                mode="lines",
                antialias=False,  # GL_LINE_SMOOTH leaves dark rings where joints sit
                glOptions="translucent",
            )
            scatter = gl.GLScatterPlotItem(pxMode=True)
            scatter.setGLOptions("translucent")
            self._view.addItem(lines)
            self._view.addItem(scatter)
            self._item_pool.append((lines, scatter))
        return self._item_pool[i]

    def _hide_items(self, keep: int) -> None:
        """Hide the pooled bone and joint items of motions ``keep`` and later."""
        for lines, scatter in self._item_pool[keep:]:
            for item in (lines, scatter):
                if item.visible():
                    item.setVisible(False)

    @staticmethod
    def _layout_offsets(points: list[np.ndarray], layout: str) -> list[np.ndarray]:
        """Per-motion (3,) offsets (Z-up frame) for the chosen layout, group centred on x=0."""
        zero = np.zeros(3, dtype=np.float32)
        if layout == "overlay" or len(points) == 1:
            return [zero.copy() for _ in points]
        offsets = []
        cursor = 0.0
        for pts in points:
            lo, hi = float(pts[..., 0].min()), float(pts[..., 0].max())
            off = zero.copy()
            off[0] = cursor - lo
            offsets.append(off)
            cursor += (hi - lo) + SIDE_GAP_M
        total = cursor - SIDE_GAP_M
        for off in offsets:
            off[0] -= total / 2.0
        return offsets

    # ------------------------------------------------------------------ camera
    def _fit_scene(self) -> None:
        """Place the floor grid and precompute camera framing for the current tracks."""
        all_pts = np.concatenate([t.points.reshape(-1, 3) for t in self._tracks], axis=0)
        lo, hi = all_pts.min(axis=0), all_pts.max(axis=0)
        floor = float(lo[2])
        spacing = 0.5
        cx = round(float((lo[0] + hi[0]) / 2) / spacing) * spacing
        cy = round(float((lo[1] + hi[1]) / 2) / spacing) * spacing
        sx = 2 * spacing * math.ceil((max(hi[0] - cx, cx - lo[0]) + 1.0) / spacing)
        sy = 2 * spacing * math.ceil((max(hi[1] - cy, cy - lo[1]) + 1.0) / spacing)
        self._grid.resetTransform()
        self._grid.setSize(sx, sy, 1.0)
        self._grid.translate(cx, cy, floor)

        # per timeline frame: bounding box of every motion's current pose
        lo_f = np.full((self._num_frames, 3), np.inf, dtype=np.float32)
        hi_f = np.full((self._num_frames, 3), -np.inf, dtype=np.float32)
        for t in self._tracks:
            pose = t.points[t.frame_map]  # (N, J, 3)
            lo_f = np.minimum(lo_f, pose.min(axis=1))
            hi_f = np.maximum(hi_f, pose.max(axis=1))
        centres = (lo_f + hi_f) / 2.0
        centres[:, 2] = (lo[2] + hi[2]) / 2.0
        self._follow_centres = centres
        pose_half = (hi_f - lo_f).max(axis=0) / 2.0
        pose_half[2] = (hi[2] - lo[2]) / 2.0
        self._pose_half_extent = pose_half
        self._scene_centre = (lo + hi) / 2.0
        self._scene_half_extent = (hi - lo) / 2.0
        self.fit_camera()

    def fit_camera(self) -> None:
        """Frame the bodies from a front three-quarter view (resets any orbit).

        Frames the bounding box of every frame of every motion, or, when
        :attr:`follow_root` is on, the largest single-frame box centred on the current pose.
        The distance is the smallest at which all eight box corners project inside the
        view's horizontal and vertical field of view (plus a 6 % margin).
        """
        if not self._tracks:
            return
        if self._follow_root and self._follow_centres is not None:
            centre = self._follow_centres[max(self._frame, 0)]
            half = self._pose_half_extent
        else:
            centre, half = self._scene_centre, self._scene_half_extent
        elevation, azimuth = 12.0, -70.0
        w, h = max(self._view.width(), 1), max(self._view.height(), 1)
        half_h = math.radians(float(self._view.opts["fov"])) / 2.0  # pyqtgraph: horizontal fov
        tan_h = math.tan(half_h)
        tan_v = tan_h * h / w
        e, a = math.radians(elevation), math.radians(azimuth)
        to_cam = np.array([math.cos(e) * math.cos(a), math.cos(e) * math.sin(a), math.sin(e)])
        right = np.cross(-to_cam, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right)
        up = np.cross(right, -to_cam)
        signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])
        corners = signs * np.maximum(np.asarray(half, dtype=np.float64), 0.15)  # (8, 3)
        depth = corners @ to_cam  # towards the camera
        need = np.maximum(np.abs(corners @ right) / tan_h, np.abs(corners @ up) / tan_v) + depth
        distance = 1.06 * float(need.max())
        self._view.setCameraPosition(
            pos=pg.Vector(float(centre[0]), float(centre[1]), float(centre[2])),
            distance=distance,
            elevation=elevation,
            azimuth=azimuth,
        )

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Refit the camera distance when the aspect ratio changes."""
        super().resizeEvent(event)
        if self._tracks:
            self.fit_camera()

    # ------------------------------------------------------------------ transport
    def seek(self, frame: int) -> int:
        """Show timeline frame ``frame``, clamped to ``[0, num_frames - 1]``.

        Emits ``frameChanged`` when the frame changes. Source of the clamping rule:
        ``eth-ait/aitviewer/aitviewer/scene/node.py`` (``current_frame_id`` setter).

        Returns:
            The frame actually shown (0 when nothing is loaded).
        """
        if self._num_frames == 0:
            return 0
        f = int(min(max(int(frame), 0), self._num_frames - 1))
        if f == self._frame:
            return f
        self._frame = f
        for t in self._tracks:
            k = int(t.frame_map[f])
            t.lines.setData(pos=t.segments[k])
            t.scatter.setData(pos=t.points[k])
            if t.label is not None:
                t.label.setData(pos=t.label_pos[k])
        if self._follow_root and self._follow_centres is not None:
            c = self._follow_centres[f]
            self._view.setCameraPosition(pos=pg.Vector(float(c[0]), float(c[1]), float(c[2])))
        with QSignalBlocker(self._slider):
            self._slider.setValue(f)
        self._update_time_label()
        self.frameChanged.emit(f)
        return f

    def step(self, delta: int = 1) -> int:
        """Move ``delta`` frames, wrapping around at both ends (aitviewer's ``next_frame``).

        Returns:
            The new frame.
        """
        if self._num_frames == 0:
            return 0
        return self.seek((self._frame + int(delta)) % self._num_frames)

    def play(self) -> None:
        """Start playback from the current frame (from 0 if at the end and not looping)."""
        if self._num_frames <= 1 or self.is_playing:
            return
        if self._frame >= self._num_frames - 1:
            self.seek(0)
        self._restart_clock()
        self._timer.start(self._tick_interval_ms())
        self._update_controls()
        self.playingChanged.emit(True)

    def pause(self) -> None:
        """Stop playback, keeping the current frame."""
        if not self.is_playing:
            return
        self._timer.stop()
        self._update_controls()
        self.playingChanged.emit(False)

    def toggle_play(self) -> None:
        """Play when paused, pause when playing."""
        if self.is_playing:
            self.pause()
        else:
            self.play()

    def set_speed(self, speed: float) -> None:
        """Set the playback speed (multiple of real time).

        Raises:
            ValueError: when ``speed`` is outside ``[0.25, 4]``.
        """
        s = float(speed)
        if not SPEEDS[0] <= s <= SPEEDS[-1]:
            raise ValueError(f"speed must be in [{SPEEDS[0]}, {SPEEDS[-1]}], got {speed!r}")
        self._speed = s
        if s in SPEEDS:
            with QSignalBlocker(self._speed_box):
                self._speed_box.setCurrentIndex(SPEEDS.index(s))
        if self.is_playing:
            self._restart_clock()
            self._timer.setInterval(self._tick_interval_ms())

    def set_loop(self, loop: bool) -> None:
        """Wrap to frame 0 at the end (``True``) or stop there (``False``)."""
        self._loop = bool(loop)
        with QSignalBlocker(self._loop_box):
            self._loop_box.setChecked(self._loop)

    def set_follow_root(self, follow: bool) -> None:
        """Let the camera centre follow the bodies (``True``) or frame the whole path."""
        self._follow_root = bool(follow)
        with QSignalBlocker(self._follow_box):
            self._follow_box.setChecked(self._follow_root)
        self.fit_camera()

    def _restart_clock(self) -> None:
        self._play_origin_frame = self._frame
        self._clock.start()

    def _tick_interval_ms(self) -> int:
        # tick at about twice the displayed frame rate, at most ~30 Hz apart
        return int(max(5, min(33, 500.0 / (self._fps * self._speed))))

    def _on_tick(self) -> None:
        """Advance by wall-clock time (real-time playback even when ticks are late)."""
        elapsed_s = self._clock.elapsed() / 1000.0
        target = self._play_origin_frame + int(elapsed_s * self._fps * self._speed)
        if target >= self._num_frames:
            if self._loop:
                target %= self._num_frames
                self._play_origin_frame = target
                self._clock.start()
            else:
                self.seek(self._num_frames - 1)
                self.pause()
                return
        if target != self._frame:
            self.seek(target)

    # ------------------------------------------------------------------ UI
    def _update_controls(self) -> None:
        icon = (
            QStyle.StandardPixmap.SP_MediaPause
            if self.is_playing
            else (QStyle.StandardPixmap.SP_MediaPlay)
        )
        self._play_button.setIcon(self.style().standardIcon(icon))
        enabled = self._num_frames > 0
        for w in (self._play_button, self._slider, self._speed_box):
            w.setEnabled(enabled)
        self._update_time_label()

    def _update_time_label(self) -> None:
        if self._num_frames == 0:
            self._time_label.setText("no motion")
            return
        self._time_label.setText(
            f"{self._frame + 1}/{self._num_frames}  {self._frame / self._fps:.2f} s"
        )

    def _handle_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self.toggle_play()
            return True
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self.pause()
            self.step(1 if key == Qt.Key.Key_Right else -1)
            return True
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """Space: play/pause; left/right: step one frame."""
        if not self._handle_key(event):
            super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Take space/left/right from the 3D canvas (which would otherwise orbit)."""
        if watched is self._view and event.type() == QEvent.Type.KeyPress:
            return self._handle_key(event)  # type: ignore[arg-type]
        return super().eventFilter(watched, event)

    def grab_frame(self) -> np.ndarray:
        """Render the 3D canvas and return it as an image.

        Returns:
            ``(H, W, 4)`` uint8 RGBA copy of the GL framebuffer (device pixels).
        """
        img = self._view.grabFramebuffer().convertToFormat(QImage.Format.Format_RGBA8888)
        h, w, bpl = img.height(), img.width(), img.bytesPerLine()
        buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=h * bpl)
        return buf.reshape(h, bpl)[:, : w * 4].reshape(h, w, 4).copy()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Stop the playback timer."""
        self._timer.stop()
        super().closeEvent(event)
