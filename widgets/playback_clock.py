"""Real-time playback of a frame timeline: which frame is due, by the wall clock.

A precise :class:`QTimer` ticks about twice per displayed frame (at most ~33 ms apart);
each tick reads a :class:`QElapsedTimer`, so playback keeps real time even when ticks come
late: the frame due is the frame playback started from plus the elapsed seconds times the
frame rate times the speed. At the end of the timeline playback wraps to frame 0 (loop) or
ends. A drag of the scrub slider holds playback (it still counts as running) until the
release.

:class:`~motionlex.widgets.skeleton_view.SkeletonView` owns one clock: it starts and stops
it, re-anchors it where the user scrubs to, and shows the frames it says are due. The clock
knows nothing of what is drawn.
"""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer, Signal


class PlaybackClock(QObject):
    """Wall-clock timing of playback on a timeline of ``num_frames`` frames at ``fps``.

    Signals:
        frameDue(int): a tick found frame ``f`` due, ``0 <= f < num_frames`` (it may be
            the frame already shown).
        ended(): a tick found the end of the timeline reached and :attr:`loop` is off (the
            clock keeps running: the owner shows the last frame and stops it).

    Args:
        parent: owner of the clock (the player).
    """

    frameDue = Signal(int)
    ended = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loop = True  # wrap to frame 0 at the end (else emit ended)
        self._speed = 1.0
        self._num_frames = 0
        self._fps = 20.0
        self._origin_frame = 0
        self._held = False  # stopped by a scrub drag, resumed at its release
        self._clock = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_tick)

    @property
    def is_running(self) -> bool:
        """Whether playback is running (held during a drag of the scrub slider included)."""
        return self._timer.isActive() or self._held

    @property
    def speed(self) -> float:
        """Playback speed, multiple of real time."""
        return self._speed

    def start(self, frame: int, num_frames: int, fps: float) -> None:
        """Start ticking, with ``frame`` due now.

        Args:
            frame: the frame shown now (index into the timeline).
            num_frames: timeline length in frames (fixed until the next :meth:`start`).
            fps: timeline frame rate, frames per second (> 0).
        """
        self._num_frames = int(num_frames)
        self._fps = float(fps)
        self.restart(frame)
        self._timer.start(self.interval_ms())

    def stop(self) -> None:
        """Stop ticking (a hold ends too)."""
        self._held = False
        self._timer.stop()

    def restart(self, frame: int) -> None:
        """Count again from ``frame``, due now (after a scrub, a speed change or a wrap)."""
        self._origin_frame = frame
        self._clock.start()

    def set_speed(self, speed: float, frame: int) -> None:
        """Play at ``speed`` times real time; while running, counting again from ``frame``
        (the frame shown now)."""
        self._speed = float(speed)
        if self.is_running:
            self.restart(frame)
            self._timer.setInterval(self.interval_ms())

    def hold(self) -> None:
        """A drag of the scrub slider starts: no ticks until :meth:`release`."""
        if self.is_running:
            self._timer.stop()
            self._held = True

    def release(self, frame: int) -> None:
        """The drag ends: playback goes on from ``frame`` (the frame dragged to)."""
        if self._held:
            self._held = False
            if self._num_frames > 1:
                self.restart(frame)
                self._timer.start(self.interval_ms())

    def interval_ms(self) -> int:
        """Milliseconds between ticks: about twice the displayed frame rate, 5 to 33 ms."""
        return int(max(5, min(33, 500.0 / (self._fps * self._speed))))

    def _on_tick(self) -> None:
        """Advance by wall-clock time (real-time playback even when ticks are late)."""
        elapsed_s = self._clock.elapsed() / 1000.0
        target = self._origin_frame + int(elapsed_s * self._fps * self._speed)
        if target >= self._num_frames:
            if self.loop:
                target %= self._num_frames
                self._origin_frame = target
                self._clock.start()
            else:
                self.ended.emit()
                return
        self.frameDue.emit(target)
