"""The explorer's main window: query box, results, gallery, 3D player, patches, words,
chronology and descriptions.

The window's widgets are built by :mod:`motionlex.app.ui` (docks, toolbar, menus, status bar;
the dock layout is remembered between runs). The window only wires them: what is open, the
pending query and which result is current are decided by
:class:`~motionlex.app.state.ExplorerState` (no Qt), and the views are set from its events.
All model and index work runs in :class:`~motionlex.app.worker.RankWorker` on its own thread
(through :class:`~motionlex.app.client.WorkerClient`), so the event loop never waits for a
model. Worker errors appear in a message box and the status bar; the window stays usable.
The chronology and describe panels are driven by :class:`~motionlex.app.analysis.Analysis`;
searching (the query box, a clicked word, similar motions) is
:class:`~motionlex.app.searching.SearchActions`; a ranking shown in the results list (and
the list's filter) :class:`~motionlex.app.results_shown.ResultsShown`; worker jobs' progress,
cancel and errors :class:`~motionlex.app.job_status.JobStatus`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from motionlex.app import export as export_mod
from motionlex.app import keyboard, texts, ui
from motionlex.app import settings as cfg
from motionlex.app.analysis import Analysis
from motionlex.app.client import WorkerClient
from motionlex.app.compare import Comparer
from motionlex.app.dialogs import Dialogs
from motionlex.app.exporter import image_steps
from motionlex.app.gallery_jobs import DEMO_GALLERY, gallery_label
from motionlex.app.job_status import JobStatus
from motionlex.app.layout_keepers import reset_docks
from motionlex.app.messages import (
    DEFAULT_K,
    MORE_K,
    GalleryInfo,
    ModelInfo,
    MotionData,
    RankResult,
)
from motionlex.app.results_shown import ResultsShown
from motionlex.app.searching import SearchActions, unfinished_path
from motionlex.app.stager import Stager
from motionlex.app.state import ExplorerState
from motionlex.app.worker import RankWorker
from motionlex.core.steps import run_steps
from motionlex.resources import default_model_dir


class MainWindow(SearchActions, ResultsShown, JobStatus, QMainWindow):
    """The explorer window.

    Args:
        settings: where layout and history are kept (None: the platform's default store).
        client: a started-or-not :class:`WorkerClient`; None creates a worker (with
            ``cache_dir``) on its own thread and starts it.
        cache_dir: folder for indexes built from dataset folders (None: the default).
        parent: Qt parent.

    Signals:
        galleryShown(GalleryInfo), resultsShown(RankResult), motionShown(MotionData),
        ordersShown(OrdersResult), checkpointShown(ModelInfo): the views were updated.
        errorShown(str): an error was shown to the user.
        videoSaved(str): a video export finished (its path).
    """

    galleryShown = Signal(object)
    resultsShown = Signal(object)
    motionShown = Signal(object)
    ordersShown = Signal(object)
    checkpointShown = Signal(object)
    errorShown = Signal(str)
    videoSaved = Signal(str)

    def __init__(
        self,
        settings: QSettings | None = None,
        client: WorkerClient | None = None,
        cache_dir: str | Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(texts.APP_TITLE)
        self.setObjectName("motionlex_main_window")
        self.settings = settings if settings is not None else cfg.open_settings()
        self._last_error: str | None = None  # the last error shown (the welcome page's)
        self._opening = ""  # the gallery being opened (the welcome page says so)
        self._opening_progress = (0, 0)  # its motions read, of how many
        if client is None:
            client = WorkerClient(RankWorker(cache_dir if cache_dir is not None
                                             else cfg.default_cache_dir()))
        self._client = client
        self._client.setParent(self)
        self.state = ExplorerState()
        self.dialogs = Dialogs(self)

        ui.build_views(self)
        ui.build_docks(self)
        self.analysis = Analysis(self)
        ui.build_actions(self)
        ui.build_toolbar(self)
        ui.build_menus(self)
        self.analysis.build_actions()
        ui.build_status_bar(self)
        keyboard.set_up_keys(self)
        self._ranked_stage = Stager(self)
        self._motion_stage = Stager(self)
        self._connect()
        self.comparer = Comparer(self)  # results list: select rows -> Compare
        self.resize(1440, 900)
        self._default_state = self.saveState(cfg.LAYOUT_VERSION)
        if cfg.restore_window(self, self.settings):  # its docks keep their shares when
            self._dock_shares.expect_width(self.width())  # shown at another size
        if cfg.has_saved_geometry(self.settings):  # saved on a larger screen or scale
            cfg.fit_to_screen(self)
        # the window opens with the cursor in the query box (set once every widget is in
        # its place: set while building, it went to the chronology panel's caption box)
        self.query_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self._update_enabled()
        if not self._client.thread.isRunning():
            self._client.start()

    def docks(self) -> tuple[QDockWidget, ...]:
        """Every dock, in View-menu order."""
        return (self.results_dock, self.gallery_dock, self.car_dock, self.patch_dock,
                self.lexical_dock)

    def _connect(self) -> None:
        # a click in a list leaves that list's selection to Qt (a Ctrl+click adds its row)
        self.results_list.resultSelected.connect(lambda row: self.show_gallery_row(
            int(self.results_list.record(row)["row"]), clicked=self.results_list))
        self.results_list.filterApplied.connect(self._on_results_filtered)
        self.gallery_browser.itemSelected.connect(lambda row: self.show_gallery_row(
            int(self.gallery_browser.record(row)["row"]), clicked=self.gallery_browser))
        self.skeleton_view.frameChanged.connect(self.patch_view.set_frame)
        self.patch_view.frameRequested.connect(self._on_patch_frame)
        self.query_edit.submitted.connect(self.search)
        self.query_edit.typingPaused.connect(self._live_search)
        self.query_edit.leftDown.connect(self.focus_results)
        self.query_edit.focusLeft.connect(self.keep_live_query)
        self.lexical_bars.wordClicked.connect(self._search_word)
        self.mode_box.currentIndexChanged.connect(self._on_mode_changed)
        ev = self.state.events
        ev.status.connect(self.statusBar().showMessage)
        ev.model.connect(self._show_checkpoint)
        ev.gallery.connect(self._show_gallery)
        ev.results.connect(self._show_results)
        w = self._client.worker
        w.ranked.connect(self._on_ranked)
        w.progress.connect(self._on_progress)
        w.jobFailed.connect(self._on_job_failed)
        w.checkpointLoaded.connect(self._on_checkpoint)
        w.galleryLoaded.connect(self._on_gallery)
        w.motionReady.connect(self._on_motion)
        w.jobStarted.connect(self._on_job_started)
        w.jobFinished.connect(self._on_job_finished)
        w.message.connect(self._on_message)  # a bound slot: queued to the GUI thread

    # ------------------------------------------------------------------ layout
    def save_layout(self) -> None:
        """Write geometry, dock layout, history, options and the playback speed, loop and
        camera follow to the settings store."""
        view = self.skeleton_view
        cfg.save_window(self, self.settings, mode=self.mode, live=self.act_live.isChecked(),
                        history=self.query_edit.history,
                        playback=(view.speed, view.loop, view.auto_follow))

    def reset_layout(self) -> None:
        """Show every dock in its default place, sized as at first start."""
        reset_docks(self, self._default_state, cfg.LAYOUT_VERSION)

    # ------------------------------------------------------------------ accessors
    @property
    def client(self) -> WorkerClient:
        """The worker handle."""
        return self._client

    # mirrors of the state, for callers of the window (main, tests, benchmarks)
    gallery = property(lambda self: self.state.gallery, doc="The open gallery, or None.")
    model_info = property(lambda self: self.state.model, doc="The loaded checkpoint, or None.")
    current_motion = property(lambda self: self.state.motion, doc="The motion shown, or None.")
    last_result = property(lambda self: self.state.last_result, doc="The ranking shown, or None.")
    last_latency_ms = property(lambda self: self.state.last_latency_ms,
                               doc="Time from sending the shown query to its results, ms.")
    busy = property(lambda self: self.state.busy,
                    doc="Whether a gallery or checkpoint is being opened.")

    @property
    def mode(self) -> str:
        """The ranking mode (``fused``, ``dense`` or ``lexical``)."""
        return str(self.mode_box.currentData())

    @property
    def results_k(self) -> int:
        """Results a query asks for: :data:`~motionlex.app.messages.DEFAULT_K`, or
        :data:`~motionlex.app.messages.MORE_K` with View > Show up to 1,000 results."""
        return MORE_K if self.act_more_results.isChecked() else DEFAULT_K

    # ------------------------------------------------------------------ opening
    def open_checkpoint(self, path: str | Path) -> None:
        """Load a checkpoint directory in the worker (errors arrive as a message)."""
        self.settings.setValue(cfg.KEY_LAST_CHECKPOINT, str(path))
        self.statusBar().showMessage(f"Loading checkpoint {path}…")
        self._client.load_checkpoint(str(path))

    def open_gallery(self, path: str | Path, *, remember: bool = True) -> None:
        """Open a gallery in the worker: an index directory, a dataset folder or a folder
        of BVH files (errors arrive as a message); ``remember`` stores it as the last one."""
        if remember:
            self.settings.setValue(cfg.KEY_LAST_GALLERY, str(path))
        self.state.opening_gallery()
        self._update_enabled()  # Search queues a query for the gallery that opens
        self._opening = f"Opening {gallery_label(path)}"
        self.statusBar().showMessage(f"{self._opening}…")
        if self.state.gallery is None:  # the centre page says so at once (while a model
            self.show_opening(0, 0)  # loads first)
        self._client.load_gallery(str(path))

    def open_default(self, checkpoint: str | Path | None = None) -> None:
        """Open the built-in default: the default checkpoint (or ``checkpoint``) and the
        synthetic demo gallery, generated and encoded in the worker at first use (cached).
        A missing default checkpoint is reported as an error message."""
        if checkpoint is None:
            try:
                checkpoint = default_model_dir()
            except FileNotFoundError as e:
                self.show_error(str(e))
                return
        self.open_checkpoint(checkpoint)
        self.open_gallery(DEMO_GALLERY, remember=False)

    # ------------------------------------------------------------------ worker results
    def _on_checkpoint(self, info: ModelInfo) -> None:
        self.state.model_loaded(info)  # a window slot: runs on the GUI thread

    def _show_checkpoint(self, info: ModelInfo) -> None:
        self.device_label.setText(info.device_name)
        self.device_label.setToolTip(f"model {info.name} on {info.device}\n{info.checkpoint}"
                                     + (f"\n{info.note}" if info.note else ""))
        self.model_notice.setText(texts.model_notice(info.note) if info.substituted else "")
        self.model_notice.setVisible(info.substituted)
        if self.state.gallery is not None:  # the open gallery's text queries follow the model
            self.query_edit.setPlaceholderText(texts.QUERY_PLACEHOLDER if self.state.searchable
                                               else texts.NOT_SEARCHABLE_PLACEHOLDER)
            self._update_enabled()
        self.checkpointShown.emit(info)

    def _on_gallery(self, info: GalleryInfo) -> None:
        pending = self.state.gallery_opened(info)  # also the old gallery's text query
        if self.state.gallery_pending:  # a gallery asked for since is still opening: the
            return  # query and the first motion wait for that one
        typed = self.query_edit.text().strip()  # what the box shows wins: text typed while
        # the gallery opened is never overwritten, and searched only as typing would be (a
        # path that names no file was said once, when submitted: not again, audit 36 #2)
        waiting = typed and typed != pending and (not self.act_live.isChecked()
                                                  or unfinished_path(typed))
        sent = bool(typed or pending) and not waiting and self.search(typed or pending)
        if not sent and info.size:  # nothing to search (unsubmitted text with search-as-
            # you-type off waits for Enter; a query refused, "?!", says why): first motion
            self.gallery_dock.raise_()
            self.gallery_browser.select_row(0)

    def _show_gallery(self, info: GalleryInfo) -> None:
        self.gallery_browser.set_items(self.analysis.gallery_opened(info))
        self.results_list.set_results([])
        # the last query's words go with its results: a text query asked again fills them,
        # a "like this motion" query is not asked again (GUI audit 37 #1: its words stayed,
        # "shared" with the new gallery's motions)
        self.lexical_bars.set_query_words([], None)
        self.lexical_bars.set_query_title("query")
        self.latency_label.clear()  # so does its time ("last query 29 ms" stayed, w38 #6)
        self.latency_label.setToolTip("")
        self.gallery_label.setText(texts.gallery_label(info))
        self.demo_banner.setText(texts.DEMO_BANNER_TEXT.format(size=info.size))
        self.demo_banner.setVisible(info.synthetic)
        self.gallery_label.setToolTip(texts.gallery_tooltip(info))
        self._centre.setCurrentWidget(self.skeleton_view)
        self.query_edit.setPlaceholderText(texts.QUERY_PLACEHOLDER if info.searchable
                                           else texts.NOT_SEARCHABLE_PLACEHOLDER)
        self._update_enabled()
        self.galleryShown.emit(info)

    def _on_ranked(self, result: RankResult) -> None:
        self.state.accept_result(result)  # an outdated ranking is dropped there

    def show_gallery_row(self, row: int, clicked: QWidget | None = None) -> None:
        """Show gallery row ``row`` alone in every view (fetched on the worker); the list
        ``clicked`` (where the user chose it) keeps the selection Qt gave it. Refused while
        another gallery opens (:meth:`ExplorerState.may_select`): the highlight then goes back
        to the motion shown (it stayed on the refused row, unlike every view)."""
        if self.dialogs.recording:  # the 3D view keeps the recorded motion: this one after
            self.dialogs.hold_row(row)
            return
        if not self.state.may_select():
            shown = self.state.selected_row
            if shown is not None:  # after Qt has finished moving the selection
                QTimer.singleShot(0, lambda: self._mark_shown(shown))
            return
        req = self._client.fetch_motion(row)
        self.state.motion_requested(req.request_id)
        if self.state.select(row, from_gallery=clicked is self.gallery_browser):
            self.analysis.motion_selected(row)
        self._mark_shown(row, clicked)

    def _on_motion(self, data: MotionData) -> None:
        if not self.state.is_current(data):
            return

        def show_3d() -> None:
            if not self.state.is_current(data):  # superseded since (a comparison)
                return
            if self.dialogs.recording:  # asked before the recording started: shown after it
                self.dialogs.hold_row(data.row, replace=False)  # (a row chosen since wins)
                return
            self.state.show_motion(data)
            self.skeleton_view.set_motion(data.joints, data.bones, data.fps,
                                          data.part_of_joint)
            self.skeleton_view.play()
            self._update_enabled()  # the export actions follow current_motion at once

        def show_patches() -> None:
            if self.state.motion is not data or not self.state.is_current(data):
                return  # not shown in 3D (held back), or superseded since (a comparison)
            self.patch_view.set_image(data.patches, fps=data.fps)
            self.patch_view.set_frame(self.skeleton_view.frame)  # playing since show_3d

        def show_words() -> None:
            if (self.skeleton_view.num_motions > 1 or not self.state.is_current(data)
                    or self.state.motion is not data):
                return  # a comparison shown (or asked for) since keeps its words
            self.show_result_words(data)
            if not self.state.searchable:
                self.car_panel.set_data(data.caption or "(no caption)", [], [])
            self.motionShown.emit(data)  # once every view shows this motion

        # one view per event-loop turn, so that no turn repaints them all (issue #5)
        self._motion_stage.run([show_3d, show_patches, show_words])

    def show_result_words(self, data: MotionData, name: str = "result") -> None:
        """The word panel's result side: ``data``'s heaviest words, titled ``name`` and its
        id (``"result ID"``; ``"#1 ID"`` for the first of a comparison); the query side is
        ``"query: TEXT"`` or, for motions like a shown one, ``"like ID"``."""
        self.lexical_bars.set_result_words(data.words, data.own_words)
        self.lexical_bars.set_titles(self.state.query_label if self.state.last_result
                                     else "query", name, result_id=texts.short_id(data.id))

    def _on_patch_frame(self, frame: int) -> None:
        self.skeleton_view.pause()
        self.skeleton_view.seek(frame)

    def step(self, delta: int) -> None:
        """Pause and step the 3D view ``delta`` frames (wrapping)."""
        self.skeleton_view.pause()
        self.skeleton_view.step(delta)

    def _update_enabled(self) -> None:
        has_motion = self.state.motion is not None
        for act in (self.act_export_glb, self.act_export_poses, self.act_export_video,
                    self.act_similar, self.act_export_bvh):
            act.setEnabled(has_motion)
        # describing needs a shown motion of a searchable gallery (its model's embedding)
        self.analysis.act_describe.setEnabled(has_motion and self.state.searchable)
        self.analysis.act_order.setEnabled(self.state.searchable)  # nothing to rank else
        # nothing to search with no gallery open or opening (Enter in the box still says so)
        self.act_search.setEnabled(self.state.gallery is not None or self.state.gallery_pending)

    # ------------------------------------------------------------------ dialogs
    def about_text(self) -> str:
        """The About box's HTML: version, model, device, gallery."""
        return texts.about_html(self.state.model, self.state.gallery)

    # ------------------------------------------------------------------ export
    def export_motion(self, path: str | Path, kind: str = "glb") -> Path:
        """Export the shown motion (see :func:`motionlex.app.export.export_motion`).

        Raises:
            ValueError: no motion shown or an unknown kind.
        """
        return export_mod.export_motion(self.state.motion, path, kind)

    def record_video(self, path: str | Path) -> None:
        """Record the 3D view to a GIF or MP4 file (see :meth:`Dialogs.record_video`).

        Raises:
            ValueError: no motion shown, another recording running, or a bad extension.
            ImportError: MP4 without ``imageio-ffmpeg``.
        """
        self.dialogs.record_video(path)

    def save_screenshot(self, path: str | Path) -> Path:
        """Save the window (3D view included) as a PNG, written as the "Window as PNG"
        export writes it (:func:`~.exporter.image_steps`: under a temporary name, then moved
        into place, so a failed write leaves ``path`` as it was).

        Raises:
            OSError: the image could not be written.
        """
        return run_steps(image_steps(self.grab().toImage(), path))

    # ------------------------------------------------------------------ closing
    def request_quit(self) -> None:
        """Close the window, first asking whether to cancel a running export."""
        if self.dialogs.may_quit():
            self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Save the layout and history, stop playback and the worker thread. A close
        from the window manager (the title bar's button) while an export runs first asks
        (:meth:`Dialogs.may_quit`); a programmatic :meth:`close` cancels the export."""
        if event.spontaneous() and not self.dialogs.may_quit():
            event.ignore()
            return
        self.keep_live_query()  # the results shown: their live query is kept
        self.save_layout()
        self.skeleton_view.pause()
        self.dialogs.stop_exports()  # cancelled: no half-written file stays
        self._client.stop()  # a step still running is awaited by client.join_busy_threads
        super().closeEvent(event)
