"""Exports off the GUI thread: one export at a time on its own ``QThread``, with progress and
cancel.

An export is a job generator of ``(done, total)`` (:mod:`motionlex.app.driver`): GLB / BVH
files (:func:`motionlex.app.export.export_steps`), a PNG of the window
(:func:`image_steps`; the window is grabbed on the GUI thread, the PNG is compressed and
written here) and GIF / MP4 videos (:func:`video_steps`): the 3D view renders one frame per
event-loop turn on the GUI thread (:class:`FrameGrabber`, so the window stays responsive)
and the frames are encoded here. Every file is written under a temporary name and moved into
place at the end, so a cancelled or failed export leaves no file at the target path.

The thread is stopped like the worker's (:meth:`Exporter.stop`, see
:mod:`motionlex.app.client`): the export is cancelled, and a step still running is awaited
before the process exits.
"""

from __future__ import annotations

import logging
import os
import queue
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from motionlex.app import client as client_mod
from motionlex.app.driver import JobCancelled, JobDriver, Progress
from motionlex.app.recording import VideoWriter
from motionlex.core.atomic import atomic_file
from motionlex.widgets.skeleton_view import SkeletonView

logger = logging.getLogger(__name__)

FRAME_QUEUE = 16
"""Rendered video frames waiting for the encoder at most (the GUI renders no further ahead)."""

_END = object()
"""Marks the last frame in a frame queue."""


def image_steps(image: QImage, path: str | os.PathLike) -> Progress:
    """Job: write a grabbed image as a PNG (under a temporary name, then moved into place).

    Raises:
        OSError: the PNG could not be written.
    """
    out = Path(path)
    with atomic_file(out) as tmp:
        yield 0, 1
        if not image.save(str(tmp), "PNG"):
            raise OSError(f"could not write the image {out}")
        yield 1, 1
    return out


def video_steps(writer: VideoWriter, frames: queue.Queue, total: int) -> Progress:
    """Job: encode frames from ``frames`` (``(H, W, 3|4)`` uint8, then ``_END``) into
    ``writer``; an exception object in the queue is raised here (``JobCancelled``: the
    recording was cancelled on the GUI side).

    Yields ``(frames encoded, total)`` per frame and while waiting (cancel points).

    Returns (as the generator's value):
        The video's path (it appears only after the last frame).
    """
    done, finished = 0, False
    try:
        while True:
            try:
                item = frames.get(timeout=0.05)
            except queue.Empty:
                yield done, total
                continue
            if item is _END:
                break
            if isinstance(item, BaseException):
                raise item
            writer.append(item)
            done += 1
            yield done, total
        yield done, total  # the last cancel point before the file is written
        finished = True
        return writer.close()
    finally:
        if not finished:
            writer.abort()


class FrameGrabber(QObject):
    """Renders every frame of a :class:`SkeletonView` into a queue, one per event-loop turn
    (the turn is skipped while the encoder is :data:`FRAME_QUEUE` frames behind). Playback
    is paused while it renders; at the end the shown frame is restored and playback goes on
    if it was playing.

    The view must keep its motion until every frame is rendered (the window holds back other
    motions meanwhile). Should it be given others anyway, the recording fails, saying so,
    instead of writing a file that mixes two motions.

    Args:
        view: the 3D view (with a motion shown).
        frames: the queue :func:`video_steps` reads.
        parent: Qt parent.

    Signals:
        stopped(): rendering ended (every frame rendered, cancelled or failed): the view is
            free for other motions.
    """

    stopped = Signal()

    def __init__(self, view: SkeletonView, frames: queue.Queue, parent: QObject) -> None:
        super().__init__(parent)
        self.view, self.frames = view, frames
        self.total, self.next, self.start_frame = view.num_frames, 0, view.frame
        self.was_playing = bool(view.is_playing)
        view.pause()
        self.timer = QTimer(self)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self._tick)
        view.motionsChanged.connect(self._on_motions_changed)

    @property
    def active(self) -> bool:
        """Whether frames are still being rendered."""
        return self.timer.isActive()

    def start(self) -> None:
        """Start rendering at the next event-loop turn."""
        self.timer.start()

    def stop(self, cancelled: bool = True, restore: bool = True) -> None:
        """Stop rendering (a cancel also ends the encoder's wait; ``restore``: the shown
        frame and playback as before the recording)."""
        if self.timer.isActive():
            self.timer.stop()
            self.view.motionsChanged.disconnect(self._on_motions_changed)
            if restore:
                self.view.seek(self.start_frame)
                if self.was_playing:  # as it was before the export (it stayed paused)
                    self.view.play()
            if cancelled:
                self.frames.put(JobCancelled("export"))  # the encoder ends as cancelled
            self.stopped.emit()

    def _on_motions_changed(self) -> None:
        if self.timer.isActive():  # the frames so far show another motion: no mixed file
            self.frames.put(RuntimeError(
                f"the 3D view was given another motion after {self.next} of {self.total} "
                "frames; the video would mix two motions, so nothing was written (record "
                "it again)"))
            self.stop(cancelled=False, restore=False)

    def _tick(self) -> None:
        if self.frames.qsize() >= FRAME_QUEUE:
            return
        try:
            self.view.seek(self.next)
            self.frames.put(np.ascontiguousarray(self.view.grab_frame()))
        except Exception as e:  # noqa: BLE001 - sent to the encoder, which reports it
            logger.exception("rendering a video frame failed")
            self.frames.put(e)
            self.stop(cancelled=False)
            return
        self.next += 1
        if self.next >= self.total:
            self.frames.put(_END)
            self.stop(cancelled=False)


class ExportWorker(JobDriver):
    """Runs export jobs on the export thread (progress, cancel and errors from
    :class:`~motionlex.app.driver.JobDriver`; job kind ``export``).

    Signals:
        saved(str, str): an export finished; the path written and a note for the user
            (``""``, or why a BVH was written from joints: jobs that return
            ``(path, note)``).
    """

    saved = Signal(str, str)

    @Slot(str, object, int)
    def run(self, description: str, job: Progress, epoch: int | None = None) -> None:
        """Drive one export job; emit ``saved`` when it wrote its file. ``epoch``:
        :meth:`~motionlex.app.driver.JobDriver.cancels` when it was queued (a cancel made
        before it started then stops it)."""
        done = self._drive("export", description, job, epoch=epoch)
        if done is not None:
            path, note = done if isinstance(done, tuple) else (done, "")
            self.saved.emit(str(path), str(note))


class Exporter(QObject):
    """GUI-thread handle of the export thread: one export at a time.

    Its signals are the export worker's, re-emitted on the GUI thread.

    Args:
        parent: Qt parent.

    Signals:
        started(str): an export started (its description).
        progressed(int, int): ``(done, total)`` of the running export.
        finished(str): it ended: ``done``, ``cancelled`` or ``failed``.
        saved(str, str): the path written and a note (after ``finished("done")``).
        failed(str): the error message (after ``finished("failed")``).
        grabbed(): a video's frames are all rendered (or the rendering stopped): the 3D
            view may show other motions again; the encoding may still run.
    """

    _run = Signal(str, object, int)
    started = Signal(str)
    progressed = Signal(int, int)
    finished = Signal(str)
    saved = Signal(str, str)
    failed = Signal(str)
    grabbed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = ExportWorker()
        self.thread = QThread()
        self.thread.setObjectName("motionlex-export")
        self.worker.moveToThread(self.thread)
        self._run.connect(self.worker.run)
        # bound slots of this GUI-thread object: the worker's signals arrive queued
        self.worker.jobStarted.connect(self._on_started)
        self.worker.progress.connect(self._on_progress)
        self.worker.jobFinished.connect(self._on_finished)
        self.worker.saved.connect(self._on_saved)
        self.worker.failed.connect(self._on_failed)
        self._busy = False
        self.description = ""
        """What the running (or last) export does, e.g. ``"Rendering walk.mp4"``."""
        self.grabber: FrameGrabber | None = None

    @property
    def busy(self) -> bool:
        """Whether an export is queued or running."""
        return self._busy

    @property
    def grabbing(self) -> bool:
        """Whether a video's frames are being rendered from the 3D view (it must keep its
        motion meanwhile)."""
        return self.grabber is not None and self.grabber.active

    def start(self, description: str, job: Progress) -> None:
        """Run ``job`` on the export thread.

        Raises:
            ValueError: another export is running.
        """
        if self._busy:
            job.close()
            raise ValueError("another export is running; wait for it or cancel it (Esc)")
        if not self.thread.isRunning():  # started at the first export: an idle window
            self.thread.start()          # holds no running thread
        self._busy = True
        self.description = description
        # the cancel count now: Esc pressed before the export thread starts it still counts
        self._run.emit(description, job, self.worker.cancels())

    def record(self, view: SkeletonView, writer: VideoWriter) -> None:
        """Render every frame of ``view`` on the GUI thread and encode them into ``writer``
        on the export thread.

        Raises:
            ValueError: another export is running.
        """
        frames: queue.Queue = queue.Queue()  # FrameGrabber keeps it under FRAME_QUEUE
        try:
            self.start(f"Rendering {writer.path.name}", video_steps(writer, frames,
                                                                  view.num_frames))
        except ValueError:
            writer.abort()
            raise
        self.grabber = FrameGrabber(view, frames, self)
        self.grabber.stopped.connect(self.grabbed)
        self.grabber.start()

    def cancel(self) -> bool:
        """Cancel the running export (nothing is left at its path).

        Returns:
            Whether an export was running.
        """
        if not self._busy:
            return False
        if self.grabber is not None:
            self.grabber.stop()
        self.worker.cancel()
        return True

    @Slot(str, str)
    def _on_started(self, _kind: str, description: str) -> None:
        self.started.emit(description)

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        self.progressed.emit(done, total)

    @Slot(str, str)
    def _on_finished(self, _kind: str, outcome: str) -> None:
        if self.grabber is not None:
            self.grabber.stop(cancelled=False)
            self.grabber = None
        self._busy = False
        self.finished.emit(outcome)

    @Slot(str, str)
    def _on_saved(self, path: str, note: str) -> None:
        self.saved.emit(path, note)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.failed.emit(message)

    def stop(self, timeout_ms: int = client_mod.STOP_WAIT_MS) -> bool:
        """Cancel the export, stop the thread and wait (see
        :meth:`motionlex.app.client.WorkerClient.stop`).

        Returns:
            Whether the thread finished within ``timeout_ms``.
        """
        if self.grabber is not None:
            self.grabber.stop()
        self.worker.shut_down()
        self.thread.quit()
        finished = bool(self.thread.wait(timeout_ms))
        if not finished:
            client_mod.keep_busy_thread(self.thread, self.worker)
        return finished
