"""3D skeleton player: one or several motions as coloured bones and joints, in sync.

``SkeletonView`` wraps a pyqtgraph ``GLViewWidget`` (:mod:`motionlex.widgets.gl_canvas`)
with a transport bar (play/pause, scrub slider, frame/time read-out, speed 0.25x-4x, loop,
follow-root). It takes plain NumPy arrays: joints ``(T, J, 3)`` in metres with Y up (the
project's canonical form) and a bone list ``(B, 2)``; it never reads files and never calls a
model. What is drawn (GL items built once, precomputed frames, floor, camera) is
:class:`~motionlex.widgets.skeleton_scene.SkeletonScene`, the real-time timing of playback
is :class:`~motionlex.widgets.playback_clock.PlaybackClock` and the keys are
:class:`~motionlex.widgets.player_keys.PlayerKeys`; this module is the player.

Frame semantics follow aitviewer's ``Node``: setting a frame clamps it to the valid range,
stepping wraps around (Source: ``eth-ait/aitviewer/aitviewer/scene/node.py``,
``current_frame_id`` / ``next_frame``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pyqtgraph.opengl as gl
from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent
from PySide6.QtWidgets import (
    QVBoxLayout,
    QWidget,
)

from motionlex.widgets.focus_frame import FocusFrame
from motionlex.widgets.gl_canvas import OffscreenGLView, new_gl_view, resolve_render_mode
from motionlex.widgets.playback_clock import PlaybackClock
from motionlex.widgets.player_keys import PlayerKeys
from motionlex.widgets.skeleton_scene import MotionSpec, SkeletonScene, check_motions
from motionlex.widgets.transport import MIN_BAR_WIDTH, SPEEDS, TransportBar

logger = logging.getLogger(__name__)

class SkeletonView(QWidget):
    """Animated 3D view of one or several skeleton motions on a shared timeline.

    Signals:
        frameChanged(int): the timeline frame changed (after :meth:`seek`, :meth:`step`,
            a playback tick or a new motion, which starts at frame 0).
        playingChanged(bool): playback started (``True``) or stopped (``False``).
        motionsChanged(): other motions are shown (:meth:`set_motions`, :meth:`clear`).

    Keyboard (when the view or its 3D canvas has focus, which a highlight-coloured frame
    over the canvas shows: :attr:`focus_frame`): space toggles play/pause, left/right step
    one frame (wrapping).

    Args:
        parent: parent widget.
        render_mode: ``'auto'``, ``'offscreen'`` or ``'widget'`` (see the module docstring);
            ``None`` reads ``$MOTIONLEX_SKELETON_RENDER`` (default ``'auto'``).

    Raises:
        ValueError: on an unknown ``render_mode``.
    """

    frameChanged = Signal(int)
    playingChanged = Signal(bool)
    motionsChanged = Signal()

    def __init__(self, parent: QWidget | None = None, render_mode: str | None = None) -> None:
        mode = resolve_render_mode(render_mode)
        super().__init__(parent)
        if not QCoreApplication.testAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts):
            logger.warning(
                "Qt.AA_ShareOpenGLContexts is not set: a second GL view in this process will "
                "fail to draw; call enable_shared_gl_contexts() before creating the QApplication"
            )
        self._frame = 0
        self._num_frames = 0
        self._fps = 20.0
        self._follow_root = False
        self.auto_follow = True  # a new motion sets follow from how far it travels
        self._playback = PlaybackClock(self)
        self._playback.frameDue.connect(self._on_frame_due)
        self._playback.ended.connect(self._on_playback_ended)

        self._render_mode = mode
        self._view, grid = new_gl_view(mode, self)
        self._keys = PlayerKeys(self.toggle_play, self.pause, self.step, self)
        self._view.installEventFilter(self._keys)
        self._scene = SkeletonScene(self._view, grid, self.font().family())

        self._bar = TransportBar(self, self._playback.loop)
        self._bar.play_button.clicked.connect(self.toggle_play)
        self._bar.slider.valueChanged.connect(self._on_scrub)
        self._bar.slider.sliderPressed.connect(self._playback.hold)
        self._bar.slider.sliderReleased.connect(lambda: self._playback.release(self._frame))
        self._bar.speed_box.currentIndexChanged.connect(
            lambda i: self.set_speed(float(self._bar.speed_box.itemData(i)))
        )
        self._bar.loop_box.toggled.connect(self.set_loop)
        self._bar.follow_box.toggled.connect(self.set_follow_root)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._view, 1)
        layout.addLayout(self._bar.layout)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        # Space and the arrows come here when focused: a frame over the 3D view says so
        self.focus_frame = FocusFrame(self._view, (self, self._view))
        # the bar drops its speed, loop and follow boxes when narrow (resizeEvent): its
        # every control held the 3D view, and so the window, at 411 px and more
        self.setMinimumWidth(MIN_BAR_WIDTH)
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
        return len(self._scene.tracks)

    def motion_frames(self) -> list[int]:
        """Frame each motion shows at the current timeline frame (shorter ones hold their
        last frame)."""
        f = max(self._frame, 0)
        return [int(t.frame_map[f]) for t in self._scene.tracks]

    def current_poses(self) -> list[np.ndarray]:
        """Each motion's displayed joints in view coordinates.

        Returns:
            One ``(J, 3)`` float32 array per motion: metres, Z up (:func:`y_up_to_z_up`),
            with the layout's x offset applied (and, side by side, the path of a motion
            shown in place removed: see :attr:`in_place`).
        """
        return [t.points[k].copy() for t, k in zip(self._scene.tracks, self.motion_frames())]

    @property
    def in_place(self) -> list[bool]:
        """Per shown motion, whether it walks on the spot: side by side, a motion that
        travels more than ``LOCOMOTION_TRAVEL_M`` has its smoothed horizontal path removed
        so that every figure gets a slot one body wide."""
        return list(self._scene.in_place)

    @property
    def speed(self) -> float:
        """Playback speed, multiple of real time."""
        return self._playback.speed

    @property
    def loop(self) -> bool:
        """Whether playback wraps to frame 0 at the end (else it stops)."""
        return self._playback.loop

    @property
    def follow_root(self) -> bool:
        """Whether the camera centre follows the bodies (else it frames the whole path).

        With :attr:`auto_follow` (the default) every new motion turns it on when the bodies
        travel more than ``LOCOMOTION_TRAVEL_M`` (a walk or a run, which framed whole would
        leave a tiny figure) and off otherwise. :meth:`set_follow_root` (the "follow" box)
        sets it for the motion shown and sets :attr:`auto_follow` with it: off, no later
        motion is followed either (the user's setting, which the explorer saves); on, every
        later motion is followed again when it travels."""
        return self._follow_root

    @property
    def is_playing(self) -> bool:
        """Whether playback is running (held during a drag of the scrub slider included)."""
        return self._playback.is_running

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
        their x extents do not overlap (first motion leftmost); motions that travel (walks,
        runs) are shown in place (:attr:`in_place`), so all figures fit at a readable size;
        ``'paths'`` is the same row with every path kept (how far each goes).
        In ``'overlay'`` they share one place, motions after the first are drawn translucent
        in one colour each, and a travelling group is followed with the camera zooming to
        hold every body. Each label stays over its own body's head, overlaid ones in their
        motion's colour (:func:`~motionlex.widgets.colors.overlay_label_hex`).

        Args:
            motions: sequence of ``(joints, bones, fps, part_of_joint)`` tuples as in
                :meth:`set_motion` (``part_of_joint`` may be ``None``).
            layout: ``'side'``, ``'paths'`` or ``'overlay'``.
            labels: optional text per motion (e.g. ``"#1 0.83"``), drawn above it.

        Raises:
            ValueError: on an empty list, an unknown layout, a label count that differs
                from the motion count, or a bad motion (see :meth:`set_motion`; the message
                names the motion's index).
        """
        checked = check_motions(motions, layout, labels)
        was_playing = self.is_playing
        self.pause()
        self._num_frames, self._fps = self._scene.build(checked, layout, labels)
        if self.auto_follow:
            self._follow_root = self._scene.is_locomotion
            self._bar.show_checks(self._playback.loop, self._follow_root)
        self.fit_camera()
        self._update_controls()
        self._frame = -1  # force a redraw and a frameChanged(0)
        self._bar.set_range(self._num_frames, self._fps)
        self.motionsChanged.emit()
        self.seek(0)
        logger.debug(
            "showing %d motion(s), %d frames at %.3g fps, layout %s",
            len(self._scene.tracks),
            self._num_frames,
            self._fps,
            layout,
        )
        if was_playing:
            self.play()

    def clear(self) -> None:
        """Remove all motions (the view shows only the floor)."""
        self.pause()
        self._scene.clear_tracks()
        self._scene.hide_items(0)
        self._num_frames = 0
        self._frame = 0
        self._scene.follow_centres = None
        self._update_controls()
        self.motionsChanged.emit()

    # ------------------------------------------------------------------ camera
    def fit_camera(self) -> None:
        """Frame the bodies from a front three-quarter view (resets any orbit).

        Frames every joint of every frame of every motion, or, when :attr:`follow_root`
        is on, centres the bodies' (smoothed) middle of the current frame at a distance that
        holds every frame's joints around their own frame's middle, so the figure keeps its
        size. The distance is the smallest at which those joints (not the corners of a box
        around them) project inside the view's horizontal and vertical field of view (plus a
        6 % margin; :func:`~motionlex.widgets.camera_framing.points_distance`).
        """
        self._scene.fit_camera(self._follow_root, self._frame)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Refit the camera distance when the aspect ratio changes; the transport bar
        keeps the controls that fit."""
        super().resizeEvent(event)
        self._bar.fit(self.width())
        if self._scene.tracks:
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
        self._scene.show_frame(f, self._follow_root)
        self._bar.show_frame(f, self._num_frames, self._fps)
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
        self._playback.start(self._frame, self._num_frames, self._fps)
        self._update_controls()
        self.playingChanged.emit(True)

    def pause(self) -> None:
        """Stop playback, keeping the current frame."""
        if not self.is_playing:
            return
        self._playback.stop()
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
        self._playback.set_speed(s, self._frame)
        self._bar.show_speed(s)

    def set_loop(self, loop: bool) -> None:
        """Wrap to frame 0 at the end (``True``) or stop there (``False``)."""
        self._playback.loop = bool(loop)
        self._bar.show_checks(self._playback.loop, self._follow_root)

    def set_follow_root(self, follow: bool) -> None:
        """Let the camera centre follow the bodies (``True``) or frame the whole path, for
        the motion shown (see :attr:`follow_root`). Off also stops :attr:`auto_follow`
        (later walks are not followed either: the user's "follow" setting, which the
        explorer saves); on turns it back on."""
        self._follow_root = self.auto_follow = bool(follow)
        self._bar.show_checks(self._playback.loop, self._follow_root)
        self.fit_camera()

    def _on_scrub(self, frame: int) -> None:
        """The slider moved (a click, a drag, a key): show that frame, and let playback go
        on from it rather than from where the clock would have put it."""
        self.seek(frame)
        if self.is_playing:
            self._playback.restart(self._frame)

    def _on_frame_due(self, frame: int) -> None:
        """A playback tick: show the frame the clock says is due."""
        if frame != self._frame:
            self.seek(frame)

    def _on_playback_ended(self) -> None:
        """Playback reached the end without looping: stay on the last frame."""
        self.seek(self._num_frames - 1)
        self.pause()

    # ------------------------------------------------------------------ UI
    def _update_controls(self) -> None:
        self._bar.show_playing(self.is_playing, self._num_frames > 0)
        self._bar.show_time(self._frame, self._num_frames, self._fps)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """Space: play/pause; left/right: step one frame."""
        if not self._keys.handle_key(event):
            super().keyPressEvent(event)

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
        self._playback.stop()
        super().closeEvent(event)
