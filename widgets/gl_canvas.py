"""The 3D canvas under the skeleton player: GL context sharing, render modes, floor (its
camera framing: :mod:`.camera_framing`).

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

Axes: the data are Y-up, ``GLViewWidget`` is Z-up. Points are mapped with
:func:`y_up_to_z_up`, ``(x, y, z) -> (x, -z, y)``, a +90 degree rotation about the x axis
(a proper rotation, so left stays left). A body facing +Z in the data faces -Y in the view,
and the default camera looks at it from the front (azimuth about -90 degrees).
"""

from __future__ import annotations

import logging
import math
import os

import numpy as np
import pyqtgraph.opengl as gl
import shiboken6
from OpenGL import GL
from pyqtgraph.opengl.GLViewWidget import GLViewMixin
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import (
    QImage,
    QOffscreenSurface,
    QOpenGLContext,
    QPainter,
    QPaintEvent,
    QSurfaceFormat,
)
from PySide6.QtOpenGL import QOpenGLFramebufferObject
from PySide6.QtWidgets import QSizePolicy, QWidget

logger = logging.getLogger(__name__)

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


def new_gl_view(mode: str, parent: QWidget) -> tuple[gl.GLViewWidget | OffscreenGLView,
                                                     gl.GLGridItem]:
    """The 3D canvas for a resolved render mode, with its floor grid added.

    Args:
        mode: ``'offscreen'`` or ``'widget'`` (see :func:`resolve_render_mode`).
        parent: Qt parent.

    Returns:
        ``(view, grid)``: the canvas (dark background, 45 degree fov) and its floor item.
    """
    view = OffscreenGLView(parent) if mode == "offscreen" else gl.GLViewWidget(parent)
    view.setBackgroundColor((24, 24, 28))
    view.setCameraParams(fov=45.0)
    view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    view.setMinimumSize(160, 120)
    # no GL_LINE_SMOOTH on the floor: its thin, faint lines look the same without it,
    # and smoothing them is half the cost of a frame under a software rasteriser
    grid = gl.GLGridItem(color=(255, 255, 255, 45), antialias=False)
    grid.setSpacing(0.5, 0.5, 1.0)
    view.addItem(grid)
    return view, grid


def place_floor(grid: gl.GLGridItem, lo: np.ndarray, hi: np.ndarray,
                spacing: float = 0.5) -> None:
    """Put the floor grid under a scene box, on whole grid cells, with a 1 m margin.

    Args:
        grid: the floor item.
        lo, hi: ``(3,)`` scene box corners, metres, Z up (the floor sits at ``lo[2]``).
        spacing: grid cell size, metres.
    """
    floor = float(lo[2])
    cx = round(float((lo[0] + hi[0]) / 2) / spacing) * spacing
    cy = round(float((lo[1] + hi[1]) / 2) / spacing) * spacing
    sx = 2 * spacing * math.ceil((max(hi[0] - cx, cx - lo[0]) + 1.0) / spacing)
    sy = 2 * spacing * math.ceil((max(hi[1] - cy, cy - lo[1]) + 1.0) / spacing)
    grid.resetTransform()
    grid.setSize(sx, sy, 1.0)
    grid.translate(cx, cy, floor)
