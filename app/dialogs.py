"""The main window's dialogs: the error and information boxes, the file dialogs, and the
export actions they start (GLB / BVH / PNG files, GIF / MP4 recordings of the 3D view).

Boxes are non-blocking (``open()``, never ``exec()``), so the worker's results keep arriving
while one is shown; a second error is appended to the open error box.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from motionlex.app import export as export_mod
from motionlex.app import settings as cfg
from motionlex.app.recording import Recorder, VideoWriter
from motionlex.app.texts import APP_TITLE, SHORTCUTS_TEXT

if TYPE_CHECKING:
    from motionlex.app.window import MainWindow

logger = logging.getLogger(__name__)


class Dialogs:
    """The dialogs of one main window, and the video recording they may start.

    Args:
        win: the main window (parent of every box; its settings remember folders).
    """

    def __init__(self, win: MainWindow) -> None:
        self.win = win
        self.error_box: QMessageBox | None = None
        self.info_box: QMessageBox | None = None
        self.recorder: Recorder | None = None

    # ------------------------------------------------------------------ boxes
    def error(self, message: str) -> None:
        """Show ``message`` in the error box (appended when one is open)."""
        if self.error_box is None:
            box = QMessageBox(QMessageBox.Icon.Warning, APP_TITLE, message,
                              QMessageBox.StandardButton.Ok, self.win)
            box.setObjectName("error_box")
            box.finished.connect(lambda _r: setattr(self, "error_box", None))
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.error_box = box
            box.open()
        else:
            self.error_box.setText(self.error_box.text() + "\n\n" + message)

    def info(self, title: str, html: str) -> None:
        """Show an information box (replacing one that is open)."""
        if self.info_box is not None:
            self.info_box.close()
        box = QMessageBox(QMessageBox.Icon.Information, title, html,
                          QMessageBox.StandardButton.Ok, self.win)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _r: setattr(self, "info_box", None))
        self.info_box = box
        box.open()

    def about(self) -> None:
        """The About box."""
        self.info(f"About {APP_TITLE}", self.win.about_text())

    def shortcuts(self) -> None:
        """The keyboard shortcuts box."""
        self.info("Keyboard shortcuts", SHORTCUTS_TEXT)

    # ------------------------------------------------------------------ files
    def ask_directory(self, title: str, key: str) -> str | None:
        """Ask for a folder, starting at the one remembered under settings ``key``."""
        start = str(self.win.settings.value(key, str(Path.home())))
        path = QFileDialog.getExistingDirectory(self.win, title, start)
        return path or None

    def ask_gallery(self) -> None:
        """Ask for a gallery folder and open it."""
        path = self.ask_directory("Open gallery: an index directory, a dataset folder or a "
                                  "folder of BVH files", cfg.KEY_LAST_GALLERY)
        if path:
            self.win.open_gallery(path)

    def ask_checkpoint(self) -> None:
        """Ask for a checkpoint directory and load it."""
        path = self.ask_directory("Open checkpoint (model directory)", cfg.KEY_LAST_CHECKPOINT)
        if path:
            self.win.open_checkpoint(path)

    def ask_save(self, kind: str) -> Path | None:
        """Ask for the file of an export (:data:`~motionlex.app.export.EXPORT_DIALOGS`);
        the default suffix is added when none is typed, and the folder is remembered."""
        title, suffix, filters = export_mod.EXPORT_DIALOGS[kind]
        settings = self.win.settings
        start = Path(str(settings.value(cfg.KEY_LAST_EXPORT_DIR, str(Path.home()))))
        motion = self.win.current_motion
        name = (motion.id.replace("/", "_") if motion else "motionlex") + suffix
        path, _ = QFileDialog.getSaveFileName(self.win, title, str(start / name), filters)
        if not path:
            return None
        p = Path(path)
        if not p.suffix:
            p = p.with_suffix(suffix)
        settings.setValue(cfg.KEY_LAST_EXPORT_DIR, str(p.parent))
        return p

    # ------------------------------------------------------------------ exports
    def export(self, kind: str) -> None:
        """Ask for a file and export to it: ``glb``, ``poses``, ``bvh``, ``video`` or ``png``;
        the outcome is shown in the status bar, a failure in the error box."""
        path = self.ask_save(kind)
        if path is None:
            return
        win = self.win
        if kind == "video":
            try:
                self.record_video(path)
            except (ValueError, ImportError) as e:
                win.show_error(str(e))
            return
        if kind == "png":
            try:
                out = win.save_screenshot(path)
            except OSError as e:
                win.show_error(str(e))
                return
        else:
            try:
                out = win.export_motion(path, kind)
            except Exception as e:  # noqa: BLE001 - shown to the user and logged
                logger.exception("export failed")
                win.show_error(f"Export to {path} failed: {e}")
                return
        win.statusBar().showMessage(f"Saved {out}", 8000)

    def record_video(self, path: str | Path) -> None:
        """Render every frame of the shown motion in the 3D view to a GIF or MP4 file,
        one frame per event-loop turn; ``errorShown`` or a status message reports the end.

        Raises:
            ValueError: no motion shown, another recording running, or a bad extension.
            ImportError: MP4 without ``imageio-ffmpeg``.
        """
        win, view = self.win, self.win.skeleton_view
        if win.current_motion is None or view.num_frames == 0:
            raise ValueError("no motion is shown; select a result or a gallery item first")
        if self.recorder is not None:
            raise ValueError("a video export is already running")
        writer = VideoWriter(path, view.fps)
        self.recorder = Recorder(view, writer, win, win.job.set_progress,
                                 self._recording_done)
        win.show_job_controls(True)
        win.statusBar().showMessage(f"Rendering {path}…")
        self.recorder.start()

    def _recording_done(self, path: Path | None, outcome: str) -> None:
        win = self.win
        self.recorder = None
        win.show_job_controls(False)
        if path is not None:
            win.statusBar().showMessage(f"Saved {path}", 8000)
            win.videoSaved.emit(str(path))
        elif outcome == "cancelled":
            win.statusBar().showMessage("Video export cancelled.", 5000)
        else:
            win.show_error(f"Video export {outcome}")
