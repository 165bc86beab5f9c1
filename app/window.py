"""The explorer's main window: query box, results, gallery, 3D player, patches, words, CAR.

Layout (docks, remembered between runs with ``QSettings``; View > Reset layout restores it):
the 3D skeleton player in the centre; on the left the ranked results and the gallery browser
(tabs) above the chronology (CAR) panel; on the right the motion-patch image above the
lexical evidence bars. A toolbar holds the query box (Enter searches, Up/Down walk the
history, typing searches after a pause when "search as you type" is on), the ranking mode
and the open actions. The status bar shows the compute device, the gallery size, the last
query's latency, and a progress bar with a cancel button while a gallery is being opened or
built.

All model and index work runs in :class:`~motionlex.app.worker.RankWorker` on its own
thread (through :class:`~motionlex.app.worker.WorkerClient`); this module only sends requests
and shows what comes back, so the event loop never waits for a model. Worker errors appear
in a message box and the status bar, and the window stays usable.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from motionlex.widgets.car_panel import CarPanel
from motionlex.widgets.lexical_bars import LexicalBars
from motionlex.widgets.patch_view import PatchView
from motionlex.widgets.results_list import GalleryBrowser, ResultsList
from motionlex.widgets.skeleton_view import SkeletonView

from . import export as export_mod
from . import settings as cfg
from .worker import (
    SEARCH_MODES,
    GalleryInfo,
    ModelInfo,
    MotionData,
    OrdersResult,
    RankResult,
    RankWorker,
    WorkerClient,
)

logger = logging.getLogger(__name__)

APP_TITLE = "motionlex explorer"
LIVE_SEARCH_DELAY_MS = 250
"""Pause after the last keystroke before search-as-you-type sends the query, ms.
Source of the debounce: ``pyapp-kit/superqt/src/superqt/utils/_throttler.py``."""
LONG_JOBS = ("checkpoint", "gallery")
"""Worker jobs that show the progress bar and the cancel button."""

WELCOME_TEXT = """<h2>motionlex explorer</h2>
<p>No gallery is open.</p>
<ol>
<li><b>File &rsaquo; Open checkpoint&hellip;</b> (Ctrl+Shift+O): a model directory
(<tt>config.json</tt>, <tt>model.safetensors</tt>, <tt>patch_stats.json</tt>).</li>
<li><b>File &rsaquo; Open gallery&hellip;</b> (Ctrl+O): an index directory made by
<tt>motionlex index</tt>, or a dataset folder (<tt>new_joints/</tt> + <tt>texts/</tt>),
or a folder of <tt>.bvh</tt> files, which is encoded with the open model first.</li>
<li>Type a description of a motion in the query box and press Enter.</li>
</ol>
<p>From a terminal: <tt>motionlex-explorer --checkpoint DIR --gallery PATH --query
"a person waves"</tt></p>"""

SHORTCUTS_TEXT = """<table cellspacing="6">
<tr><td><b>Ctrl+F</b></td><td>go to the query box</td></tr>
<tr><td><b>Enter</b></td><td>search (in the query box)</td></tr>
<tr><td><b>Up / Down</b></td><td>query history (in the query box)</td></tr>
<tr><td><b>Space</b></td><td>play / pause</td></tr>
<tr><td><b>Left / Right</b></td><td>step one frame back / forward</td></tr>
<tr><td><b>Ctrl+L</b></td><td>find motions like the selected one</td></tr>
<tr><td><b>Ctrl+O</b> / <b>Ctrl+Shift+O</b></td><td>open a gallery / a checkpoint</td></tr>
<tr><td><b>Ctrl+E</b></td><td>export the selected motion (GLB)</td></tr>
<tr><td><b>Ctrl+Shift+S</b></td><td>save the window as PNG</td></tr>
<tr><td><b>Esc</b></td><td>cancel opening a gallery</td></tr>
</table>"""


class QueryEdit(QLineEdit):
    """Query box: Enter submits, Up/Down walk the history (newest last).

    Args:
        history: earlier queries, oldest first.
        parent: Qt parent.

    Signals:
        submitted(str): Enter pressed on a non-blank query (already added to the history).
    """

    submitted = Signal(str)

    def __init__(self, history: list[str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._history: list[str] = list(history or [])
        self._pos = len(self._history)  # == len: the draft being typed
        self._draft = ""
        self.setClearButtonEnabled(True)
        self.returnPressed.connect(self._submit)

    @property
    def history(self) -> list[str]:
        """Submitted queries, oldest first (no consecutive duplicates)."""
        return list(self._history)

    def add_history(self, text: str) -> None:
        """Append ``text`` (stripped, non-blank) unless it repeats the newest entry."""
        text = text.strip()
        if text and (not self._history or self._history[-1] != text):
            self._history.append(text)
            del self._history[: -cfg.HISTORY_SIZE]
        self._pos = len(self._history)

    def _submit(self) -> None:
        text = self.text().strip()
        if not text:
            return
        self.add_history(text)
        self.submitted.emit(text)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """Up: older query; Down: newer query, then back to the draft."""
        key = event.key()
        if key == Qt.Key.Key_Up and self._history:
            if self._pos == len(self._history):
                self._draft = self.text()
            self._pos = max(0, self._pos - 1)
            self.setText(self._history[self._pos])
            return
        if key == Qt.Key.Key_Down and self._history:
            if self._pos < len(self._history):
                self._pos += 1
                self.setText(self._draft if self._pos == len(self._history)
                             else self._history[self._pos])
            return
        super().keyPressEvent(event)


class _Recorder:
    """Renders the skeleton view frame by frame into a :class:`~.export.VideoWriter`,
    one frame per event-loop turn (the window stays responsive)."""

    def __init__(self, window: MainWindow, writer: export_mod.VideoWriter) -> None:
        self.window = window
        self.writer = writer
        self.view = window.skeleton_view
        self.frames = self.view.num_frames
        self.start_frame = self.view.frame
        self.next = 0
        self.cancelled = False
        self.view.pause()
        self.timer = QTimer(window)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.timer.start()

    def _tick(self) -> None:
        try:
            if self.cancelled:
                self.timer.stop()
                self.writer.abort()
                self.window._recording_done(None, "cancelled")
                return
            if self.next >= self.frames:
                self.timer.stop()
                path = self.writer.close()
                self.view.seek(self.start_frame)
                self.window._recording_done(path, "done")
                return
            self.view.seek(self.next)
            self.writer.append(self.view.grab_frame())
            self.next += 1
            self.window._set_progress(self.next, self.frames)
        except Exception as e:  # noqa: BLE001 - reported to the user, never dropped
            self.timer.stop()
            self.writer.abort()
            logger.exception("video export failed")
            self.window._recording_done(None, f"failed: {e}")


class MainWindow(QMainWindow):
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
        self.setWindowTitle(APP_TITLE)
        self.setObjectName("motionlex_main_window")
        self._settings = settings if settings is not None else cfg.open_settings()
        if client is None:
            client = WorkerClient(RankWorker(cache_dir if cache_dir is not None
                                             else cfg.default_cache_dir()))
        self._client = client
        self._client.setParent(self)
        self._gallery: GalleryInfo | None = None
        self._model: ModelInfo | None = None
        self._gallery_pending = False
        self._pending_query: str | None = None
        self._last_result: RankResult | None = None
        self._query_label = "query"
        self._motion: MotionData | None = None
        self._sent_at: dict[int, float] = {}
        self._long_job: str | None = None
        self._recorder: _Recorder | None = None
        self._error_box: QMessageBox | None = None
        self._info_box: QMessageBox | None = None
        self.last_latency_ms: float | None = None

        self._build_views()
        self._build_docks()
        self._build_actions()
        self._build_toolbar()
        self._build_menus()
        self._build_status_bar()
        self._connect_worker()
        self.resize(1440, 900)
        self._default_state = self.saveState(cfg.LAYOUT_VERSION)
        self._restore_layout()
        self._update_enabled()
        if not self._client.thread.isRunning():
            self._client.start()

    # ------------------------------------------------------------------ construction
    def _build_views(self) -> None:
        self.skeleton_view = SkeletonView(self)
        self.patch_view = PatchView(self)
        self.lexical_bars = LexicalBars(self)
        self.car_panel = CarPanel(self)
        self.results_list = ResultsList(self)
        self.gallery_browser = GalleryBrowser(self)
        self._welcome = QLabel(WELCOME_TEXT, self)
        self._welcome.setObjectName("welcome")
        self._welcome.setWordWrap(True)
        self._welcome.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self._welcome.setTextFormat(Qt.TextFormat.RichText)
        self._welcome.setMaximumWidth(560)
        self._welcome.setMinimumWidth(300)
        welcome_page = QWidget(self)
        page_layout = QVBoxLayout(welcome_page)
        page_layout.setContentsMargins(24, 24, 24, 24)
        page_layout.addWidget(self._welcome, 0, Qt.AlignmentFlag.AlignCenter)
        self._centre = QStackedWidget(self)
        self._centre.addWidget(welcome_page)
        self._centre.addWidget(self.skeleton_view)
        self.setCentralWidget(self._centre)

        self.results_list.resultSelected.connect(self._on_result_selected)
        self.gallery_browser.itemSelected.connect(self._on_gallery_selected)
        self.skeleton_view.frameChanged.connect(self.patch_view.set_frame)
        self.patch_view.frameRequested.connect(self._on_patch_frame)
        self.car_panel.captionEdited.connect(self._on_caption_edited)

    def _dock(self, title: str, name: str, widget: QWidget,
              area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        self.results_dock = self._dock("Results", "dock_results", self.results_list, left)
        self.gallery_dock = self._dock("Gallery", "dock_gallery", self.gallery_browser, left)
        self.car_dock = self._dock("Chronology (CAR)", "dock_car", self.car_panel, left)
        self.patch_dock = self._dock("Motion patches", "dock_patches", self.patch_view, right)
        self.lexical_dock = self._dock("Lexical evidence", "dock_lexical", self.lexical_bars,
                                       right)
        self.splitDockWidget(self.results_dock, self.car_dock, Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.results_dock, self.gallery_dock)
        self.splitDockWidget(self.patch_dock, self.lexical_dock, Qt.Orientation.Vertical)
        self.results_dock.raise_()
        self.resizeDocks([self.results_dock, self.patch_dock], [440, 400],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.results_dock, self.car_dock], [520, 330],
                         Qt.Orientation.Vertical)
        self.resizeDocks([self.patch_dock, self.lexical_dock], [480, 370],
                         Qt.Orientation.Vertical)

    def _action(self, text: str, slot, shortcut: str | QKeySequence | None = None,
                tip: str = "") -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        if tip:
            act.setStatusTip(tip)
            act.setToolTip(tip)
        act.triggered.connect(lambda _checked=False: slot())
        self.addAction(act)  # shortcuts work even when menus and toolbars are hidden
        return act

    def _build_actions(self) -> None:
        a = self._action
        self.act_open_gallery = a("Open &gallery…", self._ask_gallery,
                                  QKeySequence.StandardKey.Open,
                                  "Open an index directory, a dataset folder or a folder of "
                                  "BVH files")
        self.act_open_checkpoint = a("Open &checkpoint…", self._ask_checkpoint, "Ctrl+Shift+O",
                                     "Open a model directory")
        self.act_export_glb = a("Motion as animated &GLB…", self._export_glb, "Ctrl+E",
                                "Selected motion as an animated stick figure (glTF binary)")
        self.act_export_poses = a("Motion as GLB &pose sequence…", self._export_poses, None,
                                  "Every 10th frame of the selected motion as static figures")
        self.act_export_bvh = a("Motion as &BVH…", self._export_bvh, None,
                                "The source BVH file copied if it is unchanged, else a BVH "
                                "written from the joint positions (centimetres)")
        self.act_export_video = a("Motion as GIF/&MP4 of the 3D view…", self._export_video,
                                  None, "Render every frame of the 3D view to a video")
        self.act_export_png = a("&Window as PNG…", self._export_png, "Ctrl+Shift+S",
                                "Screenshot of this window")
        self.act_quit = a("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.act_search = a("&Search", self._search_from_box, None, "Rank the gallery (Enter)")
        self.act_focus_query = a("&Find…", self.focus_query, QKeySequence.StandardKey.Find,
                                 "Go to the query box")
        self.act_similar = a("Motions &like the selected one", self._search_similar, "Ctrl+L",
                             "Use the selected motion as the query")
        self.act_similar.setIconText("Similar motions")
        self.act_live = QAction("Search as you &type", self)
        self.act_live.setCheckable(True)
        self.act_live.setChecked(cfg.read_bool(self._settings, cfg.KEY_LIVE, True))
        self.act_play = a("&Play / pause", self.skeleton_view.toggle_play, Qt.Key.Key_Space)
        self.act_step_back = a("Step &back", lambda: self._step(-1), Qt.Key.Key_Left)
        self.act_step_fwd = a("Step &forward", lambda: self._step(1), Qt.Key.Key_Right)
        self.act_cancel = a("&Cancel", self.cancel_job, Qt.Key.Key_Escape,
                            "Cancel opening or building a gallery")
        self.act_reset_layout = a("&Reset layout", self.reset_layout)
        self.act_shortcuts = a("&Keyboard shortcuts", self._show_shortcuts,
                               QKeySequence.StandardKey.HelpContents)
        self.act_about = a("&About", self._show_about)

    def _build_toolbar(self) -> None:
        tb = self.addToolBar("Query")
        tb.setObjectName("toolbar_query")
        tb.setMovable(False)
        tb.addAction(self.act_open_gallery)
        tb.addAction(self.act_open_checkpoint)
        tb.addSeparator()
        self.query_edit = QueryEdit(cfg.read_history(self._settings), self)
        self.query_edit.setPlaceholderText("describe a motion, e.g. “a person waves the left "
                                           "hand, then walks forward”  (Ctrl+F)")
        self.query_edit.setMinimumWidth(360)
        self.query_edit.submitted.connect(self.search)
        self.query_edit.textEdited.connect(self._on_query_edited)
        tb.addWidget(self.query_edit)
        self.mode_box = QComboBox(self)
        for mode in SEARCH_MODES:
            self.mode_box.addItem(mode, mode)
        self.mode_box.setToolTip("Ranking: fused (dense + lexical), dense only, lexical only")
        saved = str(self._settings.value(cfg.KEY_MODE, "fused"))
        self.mode_box.setCurrentIndex(max(0, self.mode_box.findData(saved)))
        self.mode_box.currentIndexChanged.connect(self._on_mode_changed)
        tb.addWidget(self.mode_box)
        tb.addAction(self.act_search)
        tb.addAction(self.act_similar)
        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(LIVE_SEARCH_DELAY_MS)
        self._live_timer.timeout.connect(self._live_search)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addAction(self.act_open_gallery)
        m.addAction(self.act_open_checkpoint)
        m.addSeparator()
        ex = m.addMenu("&Export")
        for act in (self.act_export_glb, self.act_export_poses, self.act_export_bvh,
                    self.act_export_video, self.act_export_png):
            ex.addAction(act)
        m.addSeparator()
        m.addAction(self.act_quit)
        m = mb.addMenu("&Search")
        for act in (self.act_focus_query, self.act_search, self.act_similar, self.act_live,
                    self.act_cancel):
            m.addAction(act)
        m = mb.addMenu("&Playback")
        for act in (self.act_play, self.act_step_back, self.act_step_fwd):
            m.addAction(act)
        m = mb.addMenu("&View")
        for dock in (self.results_dock, self.gallery_dock, self.car_dock, self.patch_dock,
                     self.lexical_dock):
            m.addAction(dock.toggleViewAction())
        m.addSeparator()
        m.addAction(self.act_reset_layout)
        m = mb.addMenu("&Help")
        m.addAction(self.act_shortcuts)
        m.addAction(self.act_about)

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self._progress = QProgressBar(self)
        self._progress.setMaximumWidth(220)
        self._progress.setTextVisible(True)
        self._progress.setVisible(False)
        self._cancel_button = QToolButton(self)
        self._cancel_button.setText("Cancel")
        self._cancel_button.setToolTip("Cancel (Esc)")
        self._cancel_button.clicked.connect(self.cancel_job)
        self._cancel_button.setVisible(False)
        self.latency_label = QLabel("", self)
        self.gallery_label = QLabel("no gallery", self)
        self.device_label = QLabel("no model", self)
        for w in (self._progress, self._cancel_button, self.latency_label, self.gallery_label,
                  self.device_label):
            sb.addPermanentWidget(w)
        sb.showMessage("Open a checkpoint and a gallery from the File menu.")

    def _connect_worker(self) -> None:
        w = self._client.worker
        w.ranked.connect(self._on_ranked)
        w.progress.connect(self._on_progress)
        w.failed.connect(self._on_failed)
        w.checkpointLoaded.connect(self._on_checkpoint)
        w.galleryLoaded.connect(self._on_gallery)
        w.motionReady.connect(self._on_motion)
        w.ordersReady.connect(self._on_orders)
        w.jobStarted.connect(self._on_job_started)
        w.jobFinished.connect(self._on_job_finished)
        w.message.connect(self._on_message)  # a bound slot: queued to the GUI thread

    # ------------------------------------------------------------------ layout
    def _restore_layout(self) -> None:
        s = self._settings
        geometry = s.value(cfg.KEY_GEOMETRY)
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        version = s.value(cfg.KEY_STATE_VERSION, 0)
        state = s.value(cfg.KEY_STATE)
        if (isinstance(state, QByteArray) and not state.isEmpty()
                and str(version) == str(cfg.LAYOUT_VERSION)):
            self.restoreState(state, cfg.LAYOUT_VERSION)

    def save_layout(self) -> None:
        """Write geometry, dock layout, history and options to the settings store."""
        s = self._settings
        s.setValue(cfg.KEY_GEOMETRY, self.saveGeometry())
        s.setValue(cfg.KEY_STATE, self.saveState(cfg.LAYOUT_VERSION))
        s.setValue(cfg.KEY_STATE_VERSION, cfg.LAYOUT_VERSION)
        s.setValue(cfg.KEY_MODE, self.mode)
        s.setValue(cfg.KEY_LIVE, self.act_live.isChecked())
        cfg.write_history(s, self.query_edit.history)
        s.sync()

    def reset_layout(self) -> None:
        """Show every dock in its default place."""
        for dock in (self.results_dock, self.gallery_dock, self.car_dock, self.patch_dock,
                     self.lexical_dock):
            dock.setFloating(False)
            dock.show()
        self.restoreState(self._default_state, cfg.LAYOUT_VERSION)

    # ------------------------------------------------------------------ accessors
    @property
    def client(self) -> WorkerClient:
        """The worker handle."""
        return self._client

    @property
    def gallery(self) -> GalleryInfo | None:
        """The open gallery, or None."""
        return self._gallery

    @property
    def model_info(self) -> ModelInfo | None:
        """The loaded checkpoint, or None."""
        return self._model

    @property
    def current_motion(self) -> MotionData | None:
        """The motion shown, or None."""
        return self._motion

    @property
    def last_result(self) -> RankResult | None:
        """The ranking shown, or None."""
        return self._last_result

    @property
    def mode(self) -> str:
        """The ranking mode (``fused``, ``dense`` or ``lexical``)."""
        return str(self.mode_box.currentData())

    @property
    def busy(self) -> bool:
        """Whether a gallery or checkpoint is being opened."""
        return self._gallery_pending or self._long_job is not None

    # ------------------------------------------------------------------ opening
    def open_checkpoint(self, path: str | Path) -> None:
        """Load a checkpoint directory in the worker (errors arrive as a message)."""
        self._settings.setValue(cfg.KEY_LAST_CHECKPOINT, str(path))
        self.statusBar().showMessage(f"Loading checkpoint {path}…")
        self._client.load_checkpoint(str(path))

    def open_gallery(self, path: str | Path) -> None:
        """Open a gallery in the worker: an index directory, a dataset folder or a folder
        of BVH files (errors arrive as a message)."""
        self._settings.setValue(cfg.KEY_LAST_GALLERY, str(path))
        self._gallery_pending = True
        self.statusBar().showMessage(f"Opening gallery {path}…")
        self._client.load_gallery(str(path))

    def _ask_gallery(self) -> None:
        start = str(self._settings.value(cfg.KEY_LAST_GALLERY, str(Path.home())))
        path = QFileDialog.getExistingDirectory(
            self, "Open gallery: an index directory, a dataset folder or a folder of BVH files",
            start)
        if path:
            self.open_gallery(path)

    def _ask_checkpoint(self) -> None:
        start = str(self._settings.value(cfg.KEY_LAST_CHECKPOINT, str(Path.home())))
        path = QFileDialog.getExistingDirectory(self, "Open checkpoint (model directory)", start)
        if path:
            self.open_checkpoint(path)

    def cancel_job(self) -> None:
        """Cancel opening/building a gallery or loading a checkpoint, or a video export."""
        if self._recorder is not None:
            self._recorder.cancelled = True
            return
        if self._long_job is not None:
            self._client.cancel()
            self.statusBar().showMessage("Cancelling…")

    # ------------------------------------------------------------------ searching
    def focus_query(self) -> None:
        """Put the cursor in the query box with its text selected."""
        self.query_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.query_edit.selectAll()

    def search(self, text: str) -> bool:
        """Rank the gallery for ``text`` (queued after a gallery that is still opening).

        Returns:
            Whether a request was sent (or queued behind the opening gallery).
        """
        text = text.strip()
        self._live_timer.stop()
        if not text:
            return False
        if self.query_edit.text().strip() != text:
            self.query_edit.setText(text)
        if self._gallery is None:
            if self._gallery_pending:
                self._pending_query = text
                self.statusBar().showMessage(f"Will search “{text}” once the gallery is open.")
                return True
            self.statusBar().showMessage("Open a gallery first (File > Open gallery).", 8000)
            return False
        if not self._gallery.searchable:
            self.statusBar().showMessage(
                "Text search needs the checkpoint this gallery was built with "
                "(File > Open checkpoint).", 8000)
            return False
        self._query_label = f"query: {text}"
        req = self._client.rank(text, mode=self.mode)
        self._sent_at[req.request_id] = time.perf_counter()
        return True

    def _search_from_box(self) -> None:
        text = self.query_edit.text().strip()
        if text:
            self.query_edit.add_history(text)
            self.search(text)

    def _on_query_edited(self, text: str) -> None:
        if self.act_live.isChecked() and len(text.strip()) >= 2:
            self._live_timer.start()
        else:
            self._live_timer.stop()

    def _live_search(self) -> None:
        if self._gallery is not None and self._gallery.searchable:
            self.search(self.query_edit.text())

    def _on_mode_changed(self, _index: int) -> None:
        if self._last_result is not None and self._last_result.text:
            self.search(self._last_result.text)

    def _search_similar(self) -> None:
        if self._motion is None or self._gallery is None:
            self.statusBar().showMessage("Select a motion first.", 5000)
            return
        self._query_label = f"motion {self._motion.id}"
        req = self._client.rank("", mode=self.mode, item=self._motion.row)
        self._sent_at[req.request_id] = time.perf_counter()

    # ------------------------------------------------------------------ worker results
    def _on_checkpoint(self, info: ModelInfo) -> None:
        self._model = info
        self.device_label.setText(info.device_name)
        self.device_label.setToolTip(f"model {info.name} on {info.device}\n{info.checkpoint}")
        self.statusBar().showMessage(f"Checkpoint {info.name} loaded on {info.device_name}.",
                                     5000)
        self.checkpointShown.emit(info)

    def _on_gallery(self, info: GalleryInfo) -> None:
        self._gallery = info
        self._gallery_pending = False
        self.gallery_browser.set_items(gallery_records(info))
        self.results_list.set_results([])
        self._last_result = None
        self.gallery_label.setText(f"gallery: {info.size:,} motions")
        self.gallery_label.setToolTip(f"{info.path}\n(from {info.source})")
        self._centre.setCurrentWidget(self.skeleton_view)
        note = f" ({len(info.skipped)} files skipped)" if info.skipped else ""
        built = "built and " if info.built else ""
        self.statusBar().showMessage(f"Gallery {built}opened: {info.size:,} motions{note}.", 8000)
        if not info.searchable:
            self.query_edit.setPlaceholderText("open the checkpoint this gallery was built with "
                                               "to search by text")
        self._update_enabled()
        self.galleryShown.emit(info)
        pending, self._pending_query = self._pending_query, None
        if pending:
            self.search(pending)
        elif info.size:
            self.gallery_dock.raise_()
            self.gallery_browser.select_row(0)

    def _on_ranked(self, result: RankResult) -> None:
        if result.request_id != self._client.latest("rank"):
            return  # an older ranking overtaken by a newer request
        sent = self._sent_at.pop(result.request_id, None)
        self._sent_at = {k: v for k, v in self._sent_at.items() if k > result.request_id}
        if sent is not None:
            self.last_latency_ms = (time.perf_counter() - sent) * 1000.0
            self.latency_label.setText(f"last query {self.last_latency_ms:.0f} ms")
            self.latency_label.setToolTip(f"worker {result.seconds * 1000:.1f} ms to embed and "
                                          f"rank {result.total:,} motions ({result.mode})")
        self._last_result = result
        self.results_list.set_results([
            {**h, "caption": h["caption"] or f"[no caption] {h['id']}"} for h in result.hits])
        self.results_dock.raise_()
        self.lexical_bars.set_query_words(result.query_words)
        self.lexical_bars.set_titles(self._query_label, "selected result")
        self.statusBar().showMessage(
            f"{len(result.hits)} results of {result.total:,} in {result.seconds * 1000:.0f} ms.",
            5000)
        self.resultsShown.emit(result)
        if result.hits:
            self.results_list.select_row(0)

    def _on_result_selected(self, row: int) -> None:
        rec = self.results_list.record(row)
        self._show_gallery_row(int(rec["row"]))

    def _on_gallery_selected(self, row: int) -> None:
        rec = self.gallery_browser.record(row)
        self._show_gallery_row(int(rec["row"]))

    def _show_gallery_row(self, row: int) -> None:
        self._client.fetch_motion(row)
        if self._gallery is not None and self._gallery.searchable:
            self.car_panel.set_busy(True)
            self._client.score_orders(row)

    def _on_motion(self, data: MotionData) -> None:
        if data.request_id != self._client.latest("motion"):
            return
        self._motion = data
        self.skeleton_view.set_motion(data.joints, data.bones, data.fps, data.part_of_joint)
        self.patch_view.set_image(data.patches, fps=data.fps)
        self.lexical_bars.set_result_words(data.words)
        self.lexical_bars.set_titles(self._query_label if self._last_result else "query",
                                     f"motion {data.id}")
        if self._gallery is None or not self._gallery.searchable:
            self.car_panel.set_data(data.caption or "(no caption)", [], [])
        self.skeleton_view.play()
        self._update_enabled()
        self.motionShown.emit(data)

    def _on_orders(self, result: OrdersResult) -> None:
        if result.request_id != self._client.latest("orders"):
            return
        self.car_panel.set_busy(False)
        self.car_panel.set_data(result.caption or "(no caption: type one below)",
                                result.events, result.orders)
        self.ordersShown.emit(result)

    def _on_caption_edited(self, text: str) -> None:
        if self._motion is None or self._gallery is None or not self._gallery.searchable:
            return
        self.car_panel.set_busy(True)
        self._client.score_orders(self._motion.row, text)

    def _on_patch_frame(self, frame: int) -> None:
        self.skeleton_view.pause()
        self.skeleton_view.seek(frame)

    def _step(self, delta: int) -> None:
        self.skeleton_view.pause()
        self.skeleton_view.step(delta)

    # ------------------------------------------------------------------ jobs and errors
    def _on_job_started(self, kind: str, description: str) -> None:
        if kind in LONG_JOBS:
            self._long_job = kind
            self._progress.setRange(0, 0)
            self._progress.setFormat(description.split(" ", 1)[0] + " %p%")
            self._progress.setVisible(True)
            self._cancel_button.setVisible(True)
            self.statusBar().showMessage(description + "…")

    def _on_progress(self, done: int, total: int) -> None:
        if self._long_job is not None:
            self._set_progress(done, total)

    def _set_progress(self, done: int, total: int) -> None:
        if total > 0:
            self._progress.setRange(0, total)
            self._progress.setValue(min(done, total))
            self._progress.setFormat(f"{done:,}/{total:,}")
        else:
            self._progress.setRange(0, 0)
        self._progress.setVisible(True)

    def _on_job_finished(self, kind: str, outcome: str) -> None:
        if kind in LONG_JOBS and self._recorder is None:
            self._long_job = None
            self._progress.setVisible(False)
            self._cancel_button.setVisible(False)
        if kind == "gallery" and outcome != "done":
            self._gallery_pending = False
            self._pending_query = None
            if outcome == "cancelled":
                self.statusBar().showMessage("Opening the gallery was cancelled.", 5000)
        if kind == "orders" and outcome == "failed":
            self.car_panel.set_busy(False)
        self._update_enabled()

    def _on_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _on_failed(self, message: str) -> None:
        self.show_error(message)

    def show_error(self, message: str) -> None:
        """Show an error in a (non-blocking) message box and the status bar, and log it."""
        logger.warning("%s", message)
        self.statusBar().showMessage(message.splitlines()[0], 15000)
        if self._error_box is None:
            box = QMessageBox(QMessageBox.Icon.Warning, APP_TITLE, message,
                              QMessageBox.StandardButton.Ok, self)
            box.setObjectName("error_box")
            box.finished.connect(lambda _r: setattr(self, "_error_box", None))
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self._error_box = box
            box.open()
        else:
            self._error_box.setText(self._error_box.text() + "\n\n" + message)
        self.errorShown.emit(message)

    @property
    def error_box(self) -> QMessageBox | None:
        """The error message box while it is shown."""
        return self._error_box

    def _update_enabled(self) -> None:
        has_motion = self._motion is not None
        for act in (self.act_export_glb, self.act_export_poses, self.act_export_video,
                    self.act_similar):
            act.setEnabled(has_motion)
        self.act_export_bvh.setEnabled(has_motion)

    # ------------------------------------------------------------------ dialogs
    def _show_info(self, title: str, html: str) -> None:
        if self._info_box is not None:
            self._info_box.close()
        box = QMessageBox(QMessageBox.Icon.Information, title, html,
                          QMessageBox.StandardButton.Ok, self)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _r: setattr(self, "_info_box", None))
        self._info_box = box
        box.open()

    def about_text(self) -> str:
        """The About box's HTML: version, model, device, gallery."""
        from importlib.metadata import PackageNotFoundError, version

        try:
            ver = version("motionlex")
        except PackageNotFoundError:
            ver = "(not installed)"
        m, g = self._model, self._gallery
        model = (f"{m.name} ({m.parameters / 1e6:.1f} M parameters, {m.embed_dim}-d dense, "
                 f"{m.vocab_size:,} words)<br><tt>{m.checkpoint}</tt>" if m else "none loaded")
        device = m.device_name if m else "-"
        gallery = (f"{g.size:,} motions<br><tt>{g.path}</tt>" if g else "none open")
        return (f"<h3>{APP_TITLE} {ver}</h3><p>Text-to-motion search with dense and lexical "
                f"embeddings and chronology checks.</p><table cellspacing='4'>"
                f"<tr><td><b>Model</b></td><td>{model}</td></tr>"
                f"<tr><td><b>Device</b></td><td>{device}</td></tr>"
                f"<tr><td><b>Gallery</b></td><td>{gallery}</td></tr></table>")

    def _show_about(self) -> None:
        self._show_info(f"About {APP_TITLE}", self.about_text())

    def _show_shortcuts(self) -> None:
        self._show_info("Keyboard shortcuts", SHORTCUTS_TEXT)

    # ------------------------------------------------------------------ export
    def _ask_save(self, title: str, suffix: str, filters: str) -> Path | None:
        start = Path(str(self._settings.value(cfg.KEY_LAST_EXPORT_DIR, str(Path.home()))))
        name = (self._motion.id.replace("/", "_") if self._motion else "motionlex") + suffix
        path, _ = QFileDialog.getSaveFileName(self, title, str(start / name), filters)
        if not path:
            return None
        p = Path(path)
        if not p.suffix:
            p = p.with_suffix(suffix)
        self._settings.setValue(cfg.KEY_LAST_EXPORT_DIR, str(p.parent))
        return p

    def export_motion(self, path: str | Path, kind: str = "glb") -> Path:
        """Export the shown motion.

        Args:
            path: output file.
            kind: ``"glb"`` (animated), ``"poses"`` (every 10th frame, static GLB) or
                ``"bvh"`` (the source BVH copied when unchanged since indexing, else a BVH
                written from the joint positions).

        Returns:
            The path written.

        Raises:
            ValueError: no motion shown or an unknown kind.
        """
        m = self._motion
        if m is None:
            raise ValueError("no motion is shown; select a result or a gallery item first")
        if kind == "glb":
            return export_mod.write_animated_glb(path, m.joints, m.bones, m.fps, m.part_of_joint,
                                                 name=m.id)
        if kind == "poses":
            frames = list(range(0, len(m.joints), 10))
            return export_mod.write_pose_sequence_glb(path, m.joints, m.bones, frames,
                                                      m.part_of_joint, spacing_m=0.6)
        if kind == "bvh":
            return export_mod.export_bvh(path, m.joints, m.fps, m.skeleton, source=m.source,
                                         sha256=m.source_sha256 or None)
        raise ValueError(f"kind must be 'glb', 'poses' or 'bvh', got {kind!r}")

    def _export(self, kind: str, title: str, suffix: str, filters: str) -> None:
        path = self._ask_save(title, suffix, filters)
        if path is None:
            return
        try:
            out = self.export_motion(path, kind)
        except Exception as e:  # noqa: BLE001 - shown to the user and logged
            logger.exception("export failed")
            self.show_error(f"Export to {path} failed: {e}")
            return
        self.statusBar().showMessage(f"Saved {out}", 8000)

    def _export_glb(self) -> None:
        self._export("glb", "Export motion as animated GLB", ".glb", "glTF binary (*.glb)")

    def _export_poses(self) -> None:
        self._export("poses", "Export pose sequence as GLB", ".glb", "glTF binary (*.glb)")

    def _export_bvh(self) -> None:
        self._export("bvh", "Export motion as BVH", ".bvh", "BVH (*.bvh)")

    def record_video(self, path: str | Path) -> None:
        """Render every frame of the shown motion in the 3D view to a GIF or MP4 file,
        one frame per event-loop turn; ``errorShown`` or a status message reports the end.

        Raises:
            ValueError: no motion shown, another recording running, or a bad extension.
            ImportError: MP4 without ``imageio-ffmpeg``.
        """
        if self._motion is None or self.skeleton_view.num_frames == 0:
            raise ValueError("no motion is shown; select a result or a gallery item first")
        if self._recorder is not None:
            raise ValueError("a video export is already running")
        writer = export_mod.VideoWriter(path, self.skeleton_view.fps)
        self._recorder = _Recorder(self, writer)
        self._progress.setVisible(True)
        self._cancel_button.setVisible(True)
        self.statusBar().showMessage(f"Rendering {path}…")
        self._recorder.start()

    def _recording_done(self, path: Path | None, outcome: str) -> None:
        self._recorder = None
        self._progress.setVisible(False)
        self._cancel_button.setVisible(self._long_job is not None)
        if path is not None:
            self.statusBar().showMessage(f"Saved {path}", 8000)
            self.videoSaved.emit(str(path))
        elif outcome == "cancelled":
            self.statusBar().showMessage("Video export cancelled.", 5000)
        else:
            self.show_error(f"Video export {outcome}")

    def _export_video(self) -> None:
        path = self._ask_save("Export the 3D view as video", ".gif",
                              "Animated GIF (*.gif);;MP4 video (*.mp4)")
        if path is None:
            return
        try:
            self.record_video(path)
        except (ValueError, ImportError) as e:
            self.show_error(str(e))

    def save_screenshot(self, path: str | Path) -> Path:
        """Save the window (3D view included) as a PNG.

        Raises:
            OSError: the image could not be written.
        """
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        if not self.grab().save(str(p), "PNG"):
            raise OSError(f"could not write the screenshot {p}")
        return p

    def _export_png(self) -> None:
        path = self._ask_save("Save window as PNG", ".png", "PNG image (*.png)")
        if path is None:
            return
        try:
            out = self.save_screenshot(path)
        except OSError as e:
            self.show_error(str(e))
            return
        self.statusBar().showMessage(f"Saved {out}", 8000)

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Save the layout and history, stop playback and the worker thread."""
        self.save_layout()
        self.skeleton_view.pause()
        if self._recorder is not None:
            self._recorder.cancelled = True
        if not self._client.stop():
            logger.warning("the worker thread did not stop within 5 s")
        super().closeEvent(event)


def gallery_records(info: GalleryInfo) -> list[dict[str, Any]]:
    """Rows for the gallery browser: ``id``, ``caption``, ``duration`` (s), ``row``."""
    return [{"id": i, "caption": c or "[no caption]", "duration": float(d), "row": r}
            for r, (i, c, d) in enumerate(zip(info.ids, info.captions, np.asarray(info.durations)))]
