"""The main window's dialogs: the error and information boxes, the file dialogs, and the
export actions they start (GLB / BVH / PNG files, GIF / MP4 recordings of the 3D view).

Boxes are non-blocking (``open()``, never ``exec()``), so the worker's results keep arriving
while one is shown; a second error is appended to the open error box. Exports run on their
own thread (:class:`~motionlex.app.exporter.Exporter`) with the status bar's progress bar
and cancel button; the outcome is a status text, a failure the error box.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFileSystemModel,
    QMenu,
    QMessageBox,
    QWidget,
)

from motionlex.app import export as export_mod
from motionlex.app import settings as cfg
from motionlex.app.exporter import Exporter, image_steps
from motionlex.app.recording import VideoWriter
from motionlex.app.text_box import TextBox
from motionlex.app.texts import APP_TITLE, SHORTCUTS_TEXT, short_id

if TYPE_CHECKING:
    from motionlex.app.window import MainWindow


def ask_folder(parent: QWidget, title: str, start: str) -> str:
    """A folder the user chooses (``""``: cancelled), its files listed too, greyed: Qt's
    folder dialog lists folders only, and a folder of BVH files looked empty (GUI audit B
    #9). A native dialog (where the platform has one) shows them its own way.

    Args:
        parent: the dialog's parent window.
        title: the dialog's title.
        start: the folder it opens in.
    """
    dialog = QFileDialog(parent, title, start)
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, False)
    files = dialog.findChild(QFileSystemModel)  # None for a native dialog
    if files is not None:  # no file name passes: every file shown disabled
        files.setNameFilterDisables(True)
        files.setNameFilters(["\u2205"])
    if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.selectedFiles():
        return ""
    return dialog.selectedFiles()[0]

logger = logging.getLogger(__name__)


def filter_suffix(name_filter: str) -> str:
    """The suffix of a save dialog's file type, ``"MP4 video (*.mp4)"`` -> ``".mp4"``
    (``""`` when it names none)."""
    m = re.search(r"\(\*(\.[A-Za-z0-9]+)", name_filter or "")
    return m.group(1).lower() if m else ""


def typed_export_path(typed: str, kind: str, name_filter: str = "") -> Path:
    """The file an export writes for the name typed in its save dialog: the name as typed
    when it ends in a suffix the ``kind`` writes (any case), else the name with the chosen
    file type's suffix (``name_filter``), or the kind's default, added after it, not in
    place of a dot's end: "walk_v1.2" -> "walk_v1.2.bvh" (GUI audit 37 #6: it was refused
    as a ".2" file), "walk" -> "walk.bvh".

    Raises:
        KeyError: an unknown kind.
    """
    p = Path(typed)
    if p.suffix.lower() in export_mod.export_suffixes(kind):
        return p
    default = export_mod.EXPORT_DIALOGS[kind][1]
    return p.with_name(p.name + (filter_suffix(name_filter) or default))


class Dialogs:
    """The dialogs of one main window, and the video recording they may start.

    Args:
        win: the main window (parent of every box; its settings remember folders).
    """

    def __init__(self, win: MainWindow) -> None:
        self.win = win
        self.error_box: QMessageBox | None = None
        self.info_box: QMessageBox | TextBox | None = None
        self.quit_box: QMessageBox | None = None
        self.exports = Exporter(win)
        self._video = False
        self.held_row: int | None = None
        """The gallery row chosen while a video's frames were rendered (shown after them)."""
        ex = self.exports  # its signals are emitted on the GUI thread
        ex.progressed.connect(lambda done, total: win.job.set_progress(done, total))
        ex.finished.connect(self._export_finished)
        ex.saved.connect(self._export_saved)
        ex.failed.connect(win.show_error)
        ex.grabbed.connect(self._show_held_row)
        win.state.events.gallery.connect(self._remember_gallery)

    @property
    def exporting(self) -> bool:
        """Whether an export (file or video) is queued or running."""
        return self.exports.busy

    @property
    def recording(self) -> bool:
        """Whether a video's frames are being rendered from the 3D view (the window holds
        other motions back meanwhile)."""
        return self.exports.grabbing

    def hold_row(self, row: int, replace: bool = True) -> None:
        """A video is being rendered from the 3D view: gallery row ``row`` is shown once its
        frames are (a click, or a result selected by search-as-you-type, would otherwise put
        another motion into the file; Esc cancels the recording). ``replace=False``: a row
        held already stays (a reply to an older request does not replace the user's pick).
        """
        if replace or self.held_row is None:
            self.held_row = int(row)
        win = self.win
        gallery, row = win.state.gallery, self.held_row
        win.gallery_browser.mark_pending(row)  # the row chosen in italics, the highlight on
        win.results_list.mark_pending(win.state.result_position(row))  # the one recorded
        name = short_id(gallery.ids[row]) if gallery is not None and 0 <= row < gallery.size \
            else row
        win.statusBar().showMessage(
            f"{self.exports.description}: motion {name} is shown once the video's frames "
            "are rendered (Esc cancels the recording).", 8000)
        motion = win.state.motion
        shown = motion.row if motion is not None else win.state.selected_row
        if shown is not None:  # the lists go back to the motion recorded
            QTimer.singleShot(0, lambda: win._mark_shown(shown))

    def _show_held_row(self) -> None:
        row, self.held_row = self.held_row, None
        self.win.gallery_browser.mark_pending(None)
        self.win.results_list.mark_pending(None)
        gallery = self.win.state.gallery
        if row is not None and gallery is not None and row < gallery.size:
            self.win.show_gallery_row(row)

    def cancel_export(self) -> bool:
        """Cancel the running export; returns whether one was running."""
        return self.exports.cancel()

    def stop_exports(self) -> None:
        """Cancel any export and stop the export thread (the window is closing)."""
        self.exports.stop()

    def may_quit(self) -> bool:
        """Whether the window may close now without asking: True when no export runs.

        Otherwise the quit box asks (non-blocking) whether to cancel the export and quit,
        and this returns False; its "Quit" button cancels the export (nothing half-written
        stays) and closes the window, "Keep exporting" does nothing.
        """
        if not self.exporting:
            return True
        if self.quit_box is not None:
            self.quit_box.raise_()
            return False
        box = QMessageBox(QMessageBox.Icon.Question, APP_TITLE,
                          f"{self.exports.description or 'An export'} is still running.\n"
                          "Quit anyway? The export is cancelled and no file is written.",
                          QMessageBox.StandardButton.NoButton, self.win)
        box.setObjectName("quit_box")
        quit_button = box.addButton("Quit", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("Keep exporting", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(_result: int) -> None:
            self.quit_box = None
            if box.clickedButton() is quit_button:
                self.stop_exports()
                self.win.close()

        box.finished.connect(answered)
        self.quit_box = box
        box.open()
        return False

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

    def info(self, title: str, html: str, *, scroll: bool = False) -> None:
        """Show an information box (replacing one that is open); ``scroll``: a long text,
        in a box that scrolls and fits the screen (:class:`~motionlex.app.text_box.TextBox`)."""
        if self.info_box is not None:
            self.info_box.close()
        if scroll:
            box = TextBox(title, html, self.win)
        else:
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
        self.info("Keyboard shortcuts", SHORTCUTS_TEXT, scroll=True)

    # ------------------------------------------------------------------ files
    def ask_directory(self, title: str, key: str) -> str | None:
        """Ask for a folder (:func:`ask_folder`), starting at the one remembered under
        settings ``key``."""
        start = str(self.win.settings.value(key, str(Path.home())))
        return ask_folder(self.win, title, start) or None

    def ask_gallery(self) -> None:
        """Ask for a gallery folder and open it."""
        path = self.ask_directory("Open gallery: an index directory, a dataset folder or a "
                                  "folder of BVH files", cfg.KEY_LAST_GALLERY)
        if path:
            self.win.open_gallery(path)

    def fill_recent_menu(self, menu: QMenu) -> None:
        """List the recent galleries in ``menu`` (File > Open Recent), most recent first,
        each opening its folder (a missing one is greyed out), then "Clear Menu"."""
        menu.clear()
        recent = cfg.read_recent(self.win.settings)
        for i, path in enumerate(recent, 1):
            name = (Path(path).name or path).replace("&", "&&")  # "&" marks a shortcut key
            act = menu.addAction(f"&{i} {name}")
            act.setToolTip(path)
            act.setStatusTip(path)
            act.setData(path)
            act.setEnabled(Path(path).exists())
            act.triggered.connect(lambda _checked=False, p=path: self.win.open_gallery(p))
        if not recent:
            menu.addAction("No recent galleries").setEnabled(False)
        menu.addSeparator()
        clear = menu.addAction("Clear Menu")
        clear.setEnabled(bool(recent))
        clear.triggered.connect(lambda: cfg.clear_recent(self.win.settings))

    def _remember_gallery(self, info) -> None:
        self.held_row = None  # a row held during a recording names the old gallery
        if not info.synthetic:  # the demo gallery has its own File menu entry
            cfg.add_recent(self.win.settings, info.source)

    def ask_motion_file(self) -> None:
        """Ask for a BVH or ``.npy`` motion file and rank the gallery by it."""
        start = str(self.win.settings.value(cfg.KEY_LAST_MOTION_FILE, str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(
            self.win, "Search by motion file", start,
            "Motion files (*.bvh *.npy);;BVH (*.bvh);;Joint positions (*.npy)")
        if path:
            self.win.settings.setValue(cfg.KEY_LAST_MOTION_FILE, path)
            self.win.search_motion_file(path)

    def ask_checkpoint(self) -> None:
        """Ask for a checkpoint directory and load it."""
        path = self.ask_directory("Open checkpoint (model directory)", cfg.KEY_LAST_CHECKPOINT)
        if path:
            self.win.open_checkpoint(path)

    def ask_save(self, kind: str) -> Path | None:
        """Ask for the file of an export (:data:`~motionlex.app.export.EXPORT_DIALOGS`);
        a name without a suffix the export writes gets the chosen file type's
        (:func:`typed_export_path`), and the folder is remembered. The name offered is the
        motion's short id (:func:`~motionlex.app.texts.short_id`, as the lists name it; the
        gallery folder made "raw_bvh_cmu_05_16_iclone.gif") with the kind's
        :data:`~motionlex.app.export.EXPORT_NAME_ENDS` (``<id>_poses.glb``)."""
        title, suffix, filters = export_mod.EXPORT_DIALOGS[kind]
        settings = self.win.settings
        start = Path(str(settings.value(cfg.KEY_LAST_EXPORT_DIR, str(Path.home()))))
        motion = self.win.current_motion
        name = ((short_id(motion.id) if motion else "motionlex")
                + export_mod.EXPORT_NAME_ENDS.get(kind, "") + suffix)
        path, chosen = QFileDialog.getSaveFileName(self.win, title, str(start / name), filters)
        if not path:
            return None
        p = typed_export_path(path, kind, chosen)  # "walk_v1.2" -> "walk_v1.2.bvh"
        settings.setValue(cfg.KEY_LAST_EXPORT_DIR, str(p.parent))
        return p

    # ------------------------------------------------------------------ exports
    def export(self, kind: str) -> None:
        """Ask for a file and export to it on the export thread: ``glb``, ``poses``,
        ``bvh``, ``video`` or ``png``; the outcome is shown in the status bar, a failure in
        the error box."""
        path = self.ask_save(kind)
        if path is not None:
            self.export_to(path, kind)

    def export_to(self, path: str | Path, kind: str) -> bool:
        """Start exporting to ``path`` on the export thread (see :meth:`export`).

        Returns:
            Whether the export started (else the error box says why: no motion shown, a
            suffix the kind does not write, :func:`~motionlex.app.export.check_export_suffix`).
        """
        win = self.win
        try:
            if kind == "video":
                self.record_video(path)
                return True
            if kind == "png":
                png = export_mod.check_export_suffix(path, "png")  # as every export checks
                desc, job = f"Saving {png.name}", image_steps(win.grab().toImage(), png)
            else:  # during a comparison: its first motion, as the word panel explains
                compared = win.comparer.first if win.comparer.showing else None
                desc = f"Exporting {Path(path).name}" + (
                    " (#1 of the comparison)" if compared is not None else "")
                job = export_mod.export_steps(compared or win.current_motion, path, kind)
            self.exports.start(desc, job)
        except (ValueError, ImportError, OSError) as e:  # OSError: a folder, a read-only one
            # the path once: "Export to X failed: X: GLB export writes .glb" (w38 #8)
            win.show_error(f"Export failed: {e}" if str(path) in str(e)
                           else f"Export to {path} failed: {e}")
            return False
        self._export_started(desc)
        return True

    def record_video(self, path: str | Path) -> None:
        """Render every frame of the shown motion in the 3D view to a GIF or MP4 file:
        one frame per event-loop turn on the GUI thread, encoded on the export thread;
        ``videoSaved``, ``errorShown`` or a status message reports the end.

        Raises:
            ValueError: no motion shown, another export running, or a bad extension.
            ImportError: MP4 without ``imageio-ffmpeg``.
            OSError: the file cannot be written there (a folder, a read-only folder).
        """
        win, view = self.win, self.win.skeleton_view
        if win.current_motion is None or view.num_frames == 0:
            raise ValueError("no motion is shown; select a result or a gallery item first")
        if self.exports.busy:
            raise ValueError("another export is running; wait for it or cancel it (Esc)")
        writer = VideoWriter(path, view.fps)
        self.exports.record(view, writer)
        self._video = True
        self._export_started(f"Rendering {writer.path.name}")

    def _export_started(self, description: str) -> None:
        self.win.show_job_controls(True)
        self.win.job.start(description.split(" ", 1)[0])
        self.win.statusBar().showMessage(description + "…")

    def _export_finished(self, outcome: str) -> None:
        if self.quit_box is not None:  # its question ("still running") no longer holds
            self.quit_box.done(0)
        self.win.show_job_controls(False)
        if outcome != "done":
            self._video = False
        if outcome == "cancelled":
            self.win.statusBar().showMessage("Export cancelled: no file written.", 5000)

    def _export_saved(self, path: str, note: str) -> None:
        self.win.statusBar().showMessage(f"Saved {path}" + (f" ({note})" if note else ""),
                                         12000 if note else 8000)
        if self._video:
            self._video = False
            self.win.videoSaved.emit(path)
