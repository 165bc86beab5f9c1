"""Exports off the GUI thread: GLB/BVH/PNG/GIF on the export thread with progress; a
cancelled export leaves no file (and no temporary file) behind."""

from __future__ import annotations

import queue

import numpy as np
import pytest

from motionlex.app.export import export_steps
from motionlex.app.exporter import _END, video_steps
from motionlex.app.recording import VideoWriter

LONG_WAIT_MS = 90000


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


def test_export_steps_checks_at_once_and_cancel_leaves_nothing(tmp_path):
    with pytest.raises(ValueError, match="no motion is shown"):
        export_steps(None, tmp_path / "m.glb")
    out = tmp_path / "out"
    out.mkdir()
    job = export_steps(object(), out / "m.glb", "glb")  # not run before the first step
    with pytest.raises(ValueError, match="kind must be"):
        export_steps(object(), out / "m.obj", "obj")
    assert next(job) == (0, 2)
    job.close()  # a cancel at the first step
    assert _files(out) == []


def test_video_steps_cancel_and_error_leave_nothing(tmp_path):
    frames: queue.Queue = queue.Queue()
    writer = VideoWriter(tmp_path / "v.gif", 20.0)
    for _ in range(3):
        frames.put(np.zeros((32, 48, 4), np.uint8))
    job = video_steps(writer, frames, 10)
    assert [next(job) for _ in range(3)] == [(1, 10), (2, 10), (3, 10)]
    job.close()
    assert _files(tmp_path) == []
    frames = queue.Queue()
    frames.put(RuntimeError("grab failed"))
    with pytest.raises(RuntimeError, match="grab failed"):
        list(video_steps(VideoWriter(tmp_path / "w.gif", 20.0), frames, 1))
    assert _files(tmp_path) == []
    frames = queue.Queue()
    for f in (np.full((16, 16, 3), 9, np.uint8), _END):
        frames.put(f)
    job = video_steps(VideoWriter(tmp_path / "x.gif", 20.0), frames, 1)
    while True:
        try:
            next(job)
        except StopIteration as stop:
            assert stop.value == tmp_path / "x.gif"
            break
    assert _files(tmp_path) == ["x.gif"]


@pytest.fixture
def loaded(open_window):
    return open_window((800, 560), LONG_WAIT_MS)


def test_file_exports_run_on_the_export_thread(qtbot, loaded, tmp_path):
    w, ex = loaded, loaded.dialogs.exports
    out = tmp_path / "exports"
    threads = []
    ex.worker.jobStarted.connect(lambda k, d: threads.append(ex.thread.isRunning()))
    for kind, name in (("glb", "m.glb"), ("bvh", "m.bvh"), ("png", "w.png")):
        with qtbot.waitSignal(ex.saved, timeout=LONG_WAIT_MS) as blocker:
            assert w.dialogs.export_to(out / name, kind)
            assert w.dialogs.exporting
        assert blocker.args[0] == str(out / name) and (out / name).stat().st_size > 100
        assert w.statusBar().currentMessage() == f"Saved {out / name}"
        qtbot.waitUntil(lambda: not w.dialogs.exporting, timeout=5000)
    assert _files(out) == ["m.bvh", "m.glb", "w.png"]
    assert ex.worker.thread() is ex.thread and ex.thread is not w.thread()


def test_video_export_progress_and_cancel(qtbot, loaded, tmp_path):
    w, ex = loaded, loaded.dialogs.exports
    progress = []
    ex.progressed.connect(lambda d, t: progress.append((d, t)))
    out = tmp_path / "video"
    with qtbot.waitSignal(ex.finished, timeout=LONG_WAIT_MS) as blocker:
        w.record_video(out / "m.gif")
        assert w._progress.isVisible() and w._cancel_button.isVisible()
        with pytest.raises(ValueError, match="another export is running"):
            w.record_video(out / "again.gif")
        qtbot.waitUntil(lambda: any(d >= 2 for d, _ in progress), timeout=LONG_WAIT_MS)
        w.cancel_job()  # what Esc and the Cancel button do
    assert blocker.args[0] == "cancelled"
    assert _files(out) == []  # no video, no temporary file
    assert "Export cancelled" in w.statusBar().currentMessage()
    assert not w._progress.isVisible()
    # the window kept running its event loop: the next export works
    w.skeleton_view.play()
    with qtbot.waitSignal(w.videoSaved, timeout=LONG_WAIT_MS) as blocker:
        w.record_video(out / "m.gif")
        assert not w.skeleton_view.is_playing  # paused while its frames are rendered
    # then it plays on, as before the export (it stayed paused)
    qtbot.waitUntil(lambda: w.skeleton_view.is_playing, timeout=5000)
    frames = np.asarray([f for f in __import__("imageio.v3").v3.imread(blocker.args[0],
                                                                        index=None)])
    assert len(frames) == w.skeleton_view.num_frames and _files(out) == ["m.gif"]
    assert progress[-1][0] == progress[-1][1] == w.skeleton_view.num_frames


def test_quit_during_a_video_export_asks_first(qtbot, loaded, tmp_path):
    w, ex = loaded, loaded.dialogs.exports
    progress = []
    ex.progressed.connect(lambda d, t: progress.append(d))
    out = tmp_path / "video"
    w.record_video(out / "m.gif")
    qtbot.waitUntil(lambda: any(d >= 2 for d in progress), timeout=LONG_WAIT_MS)
    w.act_quit.trigger()  # Ctrl+Q
    box = w.dialogs.quit_box
    assert box is not None and box.isVisible() and w.isVisible()
    assert "Rendering m.gif is still running" in box.text()
    keep = next(b for b in box.buttons() if b.text() == "Keep exporting")
    keep.click()  # the export goes on
    assert w.isVisible() and w.dialogs.exporting and w.dialogs.quit_box is None
    w.act_quit.trigger()  # asked again, then the export ends: the question goes with it
    with qtbot.waitSignal(w.videoSaved, timeout=LONG_WAIT_MS):
        pass
    qtbot.waitUntil(lambda: w.dialogs.quit_box is None, timeout=5000)
    assert w.isVisible() and (out / "m.gif").is_file()
    (out / "m.gif").unlink()
    progress.clear()
    w.record_video(out / "m.gif")
    qtbot.waitUntil(lambda: any(d >= 2 for d in progress), timeout=LONG_WAIT_MS)
    w.act_quit.trigger()
    box = w.dialogs.quit_box
    with qtbot.waitSignal(ex.finished, timeout=LONG_WAIT_MS) as blocker:
        next(b for b in box.buttons() if b.text() == "Quit").click()
    assert blocker.args[0] == "cancelled"
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=5000)
    assert _files(out) == []  # nothing half-written


class _TaggingWriter:
    """A video writer that keeps each frame's tag (its first pixel) and writes nothing."""

    def __init__(self, path) -> None:
        self.path, self.frames, self.aborted = path, [], False

    def append(self, frame) -> None:
        self.frames.append(int(frame[0, 0, 0]))

    def close(self):
        return self.path

    def abort(self) -> None:
        self.aborted = True


def test_a_recording_whose_view_gets_another_motion_fails_unmixed(qtbot, gl_platform, tmp_path):
    """The recording seeks the live 3D view: a motion shown there mid-recording (a click on
    another result) went into the same file. It now fails, saying why, and writes nothing."""
    from motionlex.app.exporter import Exporter
    from motionlex.widgets.skeleton_view import SkeletonView

    def motion(frames: int):
        j = np.zeros((frames, 3, 3), np.float32)
        j[:, 1, 1], j[:, 2, 1] = 1.0, 2.0
        return j, np.array([[0, 1], [1, 2]]), 20.0

    view = SkeletonView()
    qtbot.addWidget(view)
    view.resize(200, 200)
    view.show()
    view.grab_frame = lambda: np.full((2, 2, 4), view.num_frames, np.uint8)  # tag: length
    view.set_motion(*motion(60))
    ex, writer = Exporter(), _TaggingWriter(tmp_path / "m.gif")
    failed, grabbed = [], []
    ex.failed.connect(failed.append)
    ex.grabbed.connect(lambda: grabbed.append(True))
    with qtbot.waitSignal(ex.finished, timeout=30000) as blocker:
        ex.record(view, writer)
        assert ex.grabbing
        qtbot.waitUntil(lambda: len(writer.frames) >= 5, timeout=30000)
        view.set_motion(*motion(25))  # another motion shown mid-recording
    ex.stop()
    assert blocker.args[0] == "failed" and writer.aborted and grabbed and not ex.grabbing
    assert set(writer.frames) == {60}  # no frame of the other motion
    assert "would mix two motions" in failed[0]


def test_a_cancel_right_after_the_start_is_not_lost(qtbot, tmp_path):
    """Esc pressed before the export thread picked the job up was lost (the job read the
    cancel count when it started, and wrote its file): the count is taken when it is
    queued now."""
    import threading

    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QImage

    from motionlex.app.exporter import Exporter, image_steps

    ex = Exporter()
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    image.fill(0)
    gate, busy = threading.Event(), threading.Event()
    ex.thread.start()

    def hold() -> None:  # keeps the export thread busy: the export waits in its queue
        busy.set()
        gate.wait(30)

    QTimer.singleShot(0, ex.worker, hold)
    assert busy.wait(30)
    with qtbot.waitSignal(ex.finished, timeout=30000) as blocker:
        ex.start("Saving w.png", image_steps(image, tmp_path / "w.png"))
        assert ex.cancel()  # the job is still queued
        gate.set()
    ex.stop()
    assert blocker.args[0] == "cancelled" and _files(tmp_path) == []
