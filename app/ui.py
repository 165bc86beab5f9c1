"""Building the main window's widgets, like Qt Designer's ``Ui_MainWindow.setupUi(window)``:
the views, docks, actions, toolbar, menus and status bar become attributes of the window
(``skeleton_view``, ``results_dock``, ``act_*``, ``query_edit``, ``mode_box``, ...), and every
action's slot is one of the window's methods. Behaviour lives in :mod:`motionlex.app.window`.

Layout (View > Reset layout restores it): the 3D skeleton player in the centre; on the left
the ranked results and the gallery browser (tabs) above the chronology (CAR) panel; on the
right the motion-patch image above the lexical evidence bars. A toolbar holds the query box
(Enter searches, Up/Down walk the history, typing searches after a pause when "search as you
type" is on), the ranking mode and the open actions. The status bar shows the compute device,
the gallery size, the last query's latency, and a progress bar with a cancel button while a
gallery is being opened or built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QLabel,
    QLineEdit,
    QMenu,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from motionlex.app import settings as cfg
from motionlex.app.jobs import SEARCH_MODES
from motionlex.app.layout_keepers import RIGHT_SPLIT, DockShares, FocusedDockRaiser, HintPlacer
from motionlex.app.texts import (
    DEMO_BANNER_TIP,
    NO_MODEL_TIP,
    QUERY_PLACEHOLDER,
    QUERY_TIP,
    START_STATUS,
    WELCOME_TEXT,
    score_header,
)
from motionlex.core.motion.query_paths import looks_like_path, motion_file_query
from motionlex.widgets.car_panel import CarPanel
from motionlex.widgets.file_drops import FileDrops
from motionlex.widgets.job_progress import JobProgress
from motionlex.widgets.lexical_bars import LexicalBars
from motionlex.widgets.patch_view import PatchView
from motionlex.widgets.query_edit import QueryEdit
from motionlex.widgets.query_hint import QueryHint
from motionlex.widgets.results_list import MIN_COMPARED, GalleryBrowser, ResultsList
from motionlex.widgets.skeleton_view import SkeletonView
from motionlex.widgets.status_bar import ElidingStatusBar
from motionlex.widgets.transport import SPEEDS

if TYPE_CHECKING:
    from motionlex.app.window import MainWindow


def build_views(win: MainWindow) -> None:
    """The views, the welcome page and the demo banner; the central widget."""
    win.skeleton_view = SkeletonView(win)
    win.patch_view = PatchView(win)
    win.lexical_bars = LexicalBars(win)
    win.car_panel = CarPanel(win)
    win.results_list = ResultsList(win)
    win.gallery_browser = GalleryBrowser(win)
    win._welcome = QLabel(WELCOME_TEXT, win)
    win._welcome.setObjectName("welcome")
    win._welcome.setWordWrap(True)
    win._welcome.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    win._welcome.setTextFormat(Qt.TextFormat.RichText)
    win._welcome.setMaximumWidth(560)
    win._welcome.setMinimumWidth(200)  # with its margins no wider than the 3D view's
    welcome_page = QWidget(win)  # minimum (MIN_BAR_WIDTH): the window fits 800 px
    page_layout = QVBoxLayout(welcome_page)
    page_layout.setContentsMargins(20, 24, 20, 24)
    page_layout.addWidget(win._welcome, 0, Qt.AlignmentFlag.AlignCenter)
    win._centre = QStackedWidget(win)
    win._centre.addWidget(welcome_page)
    win._centre.addWidget(win.skeleton_view)
    win.demo_banner = QLabel(win)
    win.demo_banner.setObjectName("demoBanner")
    win.demo_banner.setWordWrap(True)
    win.demo_banner.setTextFormat(Qt.TextFormat.RichText)
    win.demo_banner.setToolTip(DEMO_BANNER_TIP)
    win.demo_banner.setStyleSheet(
        "QLabel#demoBanner { background: #fff4ce; color: #3d3000; padding: 6px 10px; "
        "border-bottom: 1px solid #e0c860; }")
    links = Qt.TextInteractionFlag.LinksAccessibleByMouse \
        | Qt.TextInteractionFlag.LinksAccessibleByKeyboard  # Tab to a link, Return follows it
    win.demo_banner.setTextInteractionFlags(links)  # (review 36 #25)
    win.demo_banner.linkActivated.connect(
        lambda link: win.act_open_gallery.trigger() if link == "open" else win.demo_banner.hide())
    win.demo_banner.hide()
    # why the loaded model is not the one asked for (ModelInfo.note): stays until dismissed
    win.model_notice = QLabel(win)
    win.model_notice.setObjectName("modelNotice")
    win.model_notice.setWordWrap(True)
    win.model_notice.setTextFormat(Qt.TextFormat.RichText)
    win.model_notice.setStyleSheet(
        "QLabel#modelNotice { background: #fde2e1; color: #4a0d0b; padding: 6px 10px; "
        "border-bottom: 1px solid #e0a09c; }")
    win.model_notice.setTextInteractionFlags(links)
    win.model_notice.linkActivated.connect(lambda _link: win.model_notice.hide())
    win.model_notice.hide()
    central = QWidget(win)
    central_layout = QVBoxLayout(central)
    central_layout.setContentsMargins(0, 0, 0, 0)
    central_layout.setSpacing(0)
    central_layout.addWidget(win.demo_banner)
    central_layout.addWidget(win.model_notice)
    central_layout.addWidget(win._centre, 1)
    win.setCentralWidget(central)

def _dock(win: MainWindow, title: str, name: str, widget: QWidget,
          area: Qt.DockWidgetArea) -> QDockWidget:
    dock = QDockWidget(title, win)
    dock.setObjectName(name)
    dock.setWidget(widget)
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                     | QDockWidget.DockWidgetFeature.DockWidgetClosable)
    win.addDockWidget(area, dock)
    return dock

def build_docks(win: MainWindow) -> None:
    """Results, gallery and CAR docks on the left, patches and words on the right."""
    left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
    win.results_dock = _dock(win, "Results", "dock_results", win.results_list, left)
    win.gallery_dock = _dock(win, "Gallery", "dock_gallery", win.gallery_browser, left)
    win.car_dock = _dock(win, "Chronology (CAR)", "dock_car", win.car_panel, left)
    win.patch_dock = _dock(win, "Motion patches", "dock_patches", win.patch_view, right)
    win.lexical_dock = _dock(win, "Lexical evidence", "dock_lexical", win.lexical_bars,
                                   right)
    win.lexical_dock.setToolTip(  # on its title bar: what the marks mean
        "The heaviest words of the query's and the selected motion's lexical vectors, bars "
        "scaled per side.\nBold with a dot, pink: on both sides (the match's evidence).\n"
        "Grey italics: added by the model, not words of the query or of the motion's "
        "captions.\nClick a word to search for it (or Tab to the panel, choose a word with "
        "the arrows and press Enter).")
    win.splitDockWidget(win.results_dock, win.car_dock, Qt.Orientation.Vertical)
    win.tabifyDockWidget(win.results_dock, win.gallery_dock)
    win.splitDockWidget(win.patch_dock, win.lexical_dock, Qt.Orientation.Vertical)
    win.results_dock.raise_()
    win.resizeDocks([win.results_dock, win.patch_dock], [440, 400],
                     Qt.Orientation.Horizontal)
    win.resizeDocks([win.results_dock, win.car_dock], [520, 330],
                     Qt.Orientation.Vertical)
    win.resizeDocks([win.patch_dock, win.lexical_dock], list(RIGHT_SPLIT),
                     Qt.Orientation.Vertical)
    win._dock_shares = DockShares(win)
    win._dock_raiser = FocusedDockRaiser(win)

def build_status_bar(win: MainWindow) -> None:
    """Progress bar, cancel button, latency, gallery and device labels."""
    sb = ElidingStatusBar(win)  # long messages end in "…", whole in the tooltip
    win.setStatusBar(sb)
    win.job = JobProgress(win)
    win.job.cancel_button.clicked.connect(win.cancel_job)
    win._progress, win._cancel_button = win.job.bar, win.job.cancel_button
    win.latency_label = QLabel("", win)
    win.gallery_label = QLabel("no gallery", win)
    win.device_label = QLabel("no model loaded", win)
    win.device_label.setToolTip(NO_MODEL_TIP)
    for w in (win._progress, win._cancel_button, win.latency_label, win.gallery_label,
              win.device_label):
        sb.addPermanentWidget(w)
    sb.showMessage(START_STATUS)


def _action(win: MainWindow, text: str, slot: Callable[[], object],
            shortcut: str | QKeySequence | Qt.Key | QKeySequence.StandardKey | None = None,
            tip: str = "") -> QAction:
    act = QAction(text, win)
    if shortcut is not None:
        act.setShortcut(QKeySequence(shortcut))
    if tip:
        act.setStatusTip(tip)
        act.setToolTip(tip)
    act.triggered.connect(lambda _checked=False: slot())
    win.addAction(act)  # shortcuts work even when menus and toolbars are hidden
    return act


def _change_speed(win: MainWindow, step: int) -> None:
    """The next slower (``-1``) or faster (``+1``) of the speed box's speeds."""
    view = win.skeleton_view
    k = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - view.speed))
    view.set_speed(SPEEDS[max(0, min(len(SPEEDS) - 1, k + step))])
    win.statusBar().showMessage(f"Playback speed {view.speed:g}x", 2000)


def _sync_playback_checks(win: MainWindow) -> None:
    """The Playback menu's check marks as the player's (its bar may have changed them)."""
    win.act_loop.setChecked(win.skeleton_view.loop)
    win.act_follow.setChecked(win.skeleton_view.follow_root)


def build_actions(win: MainWindow) -> None:
    """Create the window's ``act_*`` actions (File, Export, Search, Playback, View, Help)."""
    def a(*args, **kwargs) -> QAction:
        return _action(win, *args, **kwargs)

    win.act_open_demo = a("Open &demo gallery", win.open_default, None,
                          "The built-in synthetic demo gallery with the default checkpoint")
    win.act_open_gallery = a("Open &gallery…", win.dialogs.ask_gallery,
                             QKeySequence.StandardKey.Open,
                             "Open an index directory, a dataset folder or a folder of "
                             "BVH files")
    win.act_open_checkpoint = a("Open &checkpoint…", win.dialogs.ask_checkpoint, "Ctrl+Shift+O",
                                "Open a model directory")
    win.act_export_glb = a("Motion as animated &GLB…", lambda: win.dialogs.export("glb"),
                           "Ctrl+E", "Selected motion as an animated stick figure (glTF binary)")
    win.act_export_poses = a("Motion as GLB &pose sequence…",
                             lambda: win.dialogs.export("poses"), None,
                             "Every 10th frame of the selected motion as static figures")
    win.act_export_bvh = a("Motion as &BVH…", lambda: win.dialogs.export("bvh"), None,
                           "The source BVH file copied if it is unchanged, else a BVH "
                           "written from the joint positions (centimetres)")
    win.act_export_video = a("Motion as GIF/&MP4 of the 3D view…",
                             lambda: win.dialogs.export("video"), None,
                             "Render every frame of the 3D view to a video")
    win.act_export_png = a("&Window as PNG…", lambda: win.dialogs.export("png"), "Ctrl+Shift+S",
                           "Screenshot of this window")
    win.act_quit = a("&Quit", win.request_quit, QKeySequence.StandardKey.Quit)
    win.act_search = a("&Search", win.search_from_box, None, "Rank the gallery (Enter)")
    win.act_use_suggestion = a("&Use the suggested spelling", lambda: win.query_hint.apply(),
                               "Ctrl+Return", "Search the query with the words the \"did you "
                               "mean\" line under the query box suggests")
    win.act_use_suggestion.setShortcuts([QKeySequence("Ctrl+Return"),
                                         QKeySequence("Ctrl+Enter")])  # (the keypad's)
    win.act_use_suggestion.setEnabled(False)  # until the line suggests words
    win.act_focus_query = a("&Find…", win.focus_query, QKeySequence.StandardKey.Find,
                            "Go to the query box")
    win.act_similar = a("Similar motions (&like the selected one)", win.search_similar,
                        "Ctrl+L", "Use the selected motion as the query")
    win.act_similar.setIconText("Similar motions")
    win.act_search_file = a("Search by &motion file…", win.dialogs.ask_motion_file,
                            "Ctrl+Shift+F", "Use a BVH or .npy motion file as the query (or "
                            "type or paste its path into the query box, or drop the file "
                            "on the window)")
    win.act_live = QAction("Search as you &type", win)
    win.act_live.setCheckable(True)
    win.act_live.setChecked(cfg.read_bool(win.settings, cfg.KEY_LIVE, True))
    win.act_play = a("&Play / pause", win.skeleton_view.toggle_play, Qt.Key.Key_Space)
    win.act_step_back = a("Step &back", lambda: win.step(-1), Qt.Key.Key_Left)
    win.act_step_fwd = a("Step &forward", lambda: win.step(1), Qt.Key.Key_Right)
    # the transport's speed box and check boxes take no focus: from the keyboard, these
    win.act_slower = a("&Slower", lambda: _change_speed(win, -1), "[", "Play slower")
    win.act_faster = a("F&aster", lambda: _change_speed(win, +1), "]", "Play faster")
    view = win.skeleton_view
    win.act_loop = a("&Loop", lambda: view.set_loop(not view.loop), None,
                     "Start again at the end")
    win.act_follow = a("Camera f&ollows the body", lambda: view.set_follow_root(
        not view.follow_root), None, "Keep the moving body in frame (else the whole path)")
    for act in (win.act_loop, win.act_follow):
        act.setCheckable(True)
    speed, loop = cfg.read_playback(win.settings, SPEEDS)  # as the last session left them
    view.set_speed(speed)
    view.set_loop(loop)
    view.auto_follow = cfg.read_follow(win.settings)  # "follow": saved with them
    win.act_cancel = a("Ca&ncel", win.cancel_job, Qt.Key.Key_Escape,
                       "Cancel an export, or opening a gallery or a checkpoint; else leave "
                       "a comparison")
    win.act_reset_layout = a("&Reset layout", win.reset_layout)
    win.act_group_words = a("&Group word forms", lambda: None, None,
                            "Lexical evidence and Describe: one word for its forms, weights "
                            "summed (raised, raises, raising: raise); off: every vocab word")
    win.act_group_words.setCheckable(True)
    win.act_group_words.setChecked(cfg.read_bool(win.settings, cfg.KEY_GROUP_WORDS, True))
    win.lexical_bars.set_grouped(win.act_group_words.isChecked())
    win.act_group_words.toggled.connect(win.lexical_bars.set_grouped)
    win.act_group_words.toggled.connect(
        lambda on: win.settings.setValue(cfg.KEY_GROUP_WORDS, bool(on)))
    win.state.events.model.connect(lambda info: win.lexical_bars.set_word_groups(
        info.word_groups))  # each model's own word forms
    win.act_more_results = a("&Show up to 1,000 results", lambda: None, None,
                             "Ask each query for up to 1,000 results instead of 100 (the "
                             "results filter searches the results shown)")
    win.act_more_results.setCheckable(True)
    win.act_more_results.setChecked(cfg.read_bool(win.settings, cfg.KEY_MORE_RESULTS, False))
    win.act_more_results.toggled.connect(
        lambda on: win.settings.setValue(cfg.KEY_MORE_RESULTS, bool(on)))
    win.act_more_results.toggled.connect(win._on_mode_changed)  # the last query asked again
    win.act_compare = a("&Compare selected results", lambda: win.results_list.request_compare(
        "side"), "Ctrl+M", "Play the selected results side by side (select several with "
        "Shift+Up/Down or Ctrl+click)")
    win.act_compare_overlay = a("Compare selected results &overlaid",
                                lambda: win.results_list.request_compare("overlay"),
                                "Ctrl+Shift+M", "Play the selected results in one place")
    win.act_compare_paths = a("Compare side by side with their &paths",
                              lambda: win.results_list.request_compare("paths"), None,
                              "Side by side, walks and jumps keeping how far they go")

    def compare_enabled(rows: list[int]) -> None:
        for act in (win.act_compare, win.act_compare_paths, win.act_compare_overlay):
            act.setEnabled(len(rows) >= MIN_COMPARED)

    win.results_list.selectionChanged.connect(compare_enabled)
    compare_enabled([])
    win.act_shortcuts = a("&Keyboard shortcuts", win.dialogs.shortcuts,
                          QKeySequence.StandardKey.HelpContents)
    win.act_about = a("&About", win.dialogs.about)


def build_toolbar(win: MainWindow) -> None:
    """The query toolbar: open actions, the query box, the ranking mode, search actions."""
    tb = win.addToolBar("Query")
    tb.setObjectName("toolbar_query")
    tb.setMovable(False)
    tb.addAction(win.act_open_gallery)
    tb.addAction(win.act_open_checkpoint)
    tb.addSeparator()
    box = QWidget(win)  # the query box (the unknown-words line floats under it)
    win.query_edit = QueryEdit(cfg.read_history(win.settings), box, cfg.HISTORY_SIZE)
    win.query_edit.setPlaceholderText(QUERY_PLACEHOLDER)
    win.query_edit.setToolTip(QUERY_TIP)
    win.query_edit.setMinimumWidth(300)  # the whole toolbar fits a 1024-wide window
    win.query_edit.set_live(win.act_live.isChecked())
    win.act_live.toggled.connect(win.query_edit.set_live)
    # the line floats over the docks under the box, as a completer's popup would: in the
    # toolbar's layout it made the toolbar taller whenever it appeared, and every panel jump
    win.query_hint = QueryHint(win)
    win.query_hint.setAutoFillBackground(True)
    win.query_hint.setStyleSheet("QueryHint { background: palette(window); "
                                 "border: 1px solid palette(mid); border-top: none; }")
    box_layout = QVBoxLayout(box)
    box_layout.setContentsMargins(0, 0, 0, 0)
    box_layout.setSpacing(0)
    box_layout.addWidget(win.query_edit)
    tb.addWidget(box)
    win._hint_placer = HintPlacer(win.query_edit, win.query_hint, win)
    _connect_query_hint(win)
    # a BVH or .npy file dropped on the window (its views and lists) or a text box is
    # searched, the query it replaces kept in the history (it went into the query's text)
    win.file_drops = FileDrops(lambda text: str(motion_file_query(text) or "") or None, win)
    win.file_drops.watch(win, win.skeleton_view, win.results_list.view.viewport(),
                         win.gallery_browser.view.viewport(), *win.findChildren(QLineEdit))
    win.file_drops.dropped.connect(win.search_dropped_file)
    win.mode_box = QComboBox(win)
    for mode in SEARCH_MODES:
        win.mode_box.addItem(mode, mode)
    win.mode_box.setToolTip("Ranking: fused (dense + lexical), dense only, lexical only")
    saved = str(win.settings.value(cfg.KEY_MODE, "fused"))
    win.mode_box.setCurrentIndex(max(0, win.mode_box.findData(saved)))

    def score_meaning() -> None:  # until a ranking is shown (then its own mode: window)
        if not win.results_list.row_count():
            win.results_list.model.set_title("score", *score_header(0.0, win.mode))

    score_meaning()
    win.mode_box.currentIndexChanged.connect(lambda _i: score_meaning())
    # not in the Tab chain: one Tab from the query box landed here, where the Down that
    # leaves the box for the results silently switched the ranking (Search > Ranking and
    # Ctrl+1/2/3 set it from the keyboard)
    win.mode_box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
    tb.addWidget(win.mode_box)
    tb.addAction(win.act_search)
    tb.addAction(win.act_similar)


def _connect_query_hint(win: MainWindow) -> None:
    """The unknown-words line checks what is typed against the loaded model's vocabulary
    and the open gallery's captions; its suggestion, clicked, is searched."""
    hint = win.query_hint
    # a path (a motion file's, or one being typed) is no text: nothing to spell-check
    hint.follow(win.query_edit, lambda text: "" if looks_like_path(text)
                or motion_file_query(text) else text)
    win.state.events.model.connect(lambda info: hint.set_vocabulary(
        info.words, info.lexical_words, info.dictionary))
    win.state.events.gallery.connect(lambda info: hint.set_gallery_words(info.captions))
    hint.correctionChosen.connect(win.query_edit.setText)
    hint.correctionChosen.connect(lambda _text: win.search_from_box())
    hint.suggestionChanged.connect(win.act_use_suggestion.setEnabled)  # Ctrl+Enter
    hint.set_accept_keys("Ctrl+Enter")


RANKING_LABELS = {"fused": "&Fused (dense + lexical)", "dense": "&Dense only",
                  "lexical": "&Lexical only"}
"""Search > Ranking's items, one per :data:`~motionlex.app.jobs.SEARCH_MODES` mode."""


def _ranking_menu(win: MainWindow, menu: QMenu) -> None:
    """Search > Ranking: the ranking modes as radio items (Ctrl+1, Ctrl+2, Ctrl+3), kept in
    step with the toolbar's mode box (the box is the one state)."""
    group = QActionGroup(menu)
    win.act_modes = {}
    for i, mode in enumerate(SEARCH_MODES):
        act = _action(win, RANKING_LABELS.get(mode, mode),
                      lambda m=mode: win.mode_box.setCurrentIndex(win.mode_box.findData(m)),
                      f"Ctrl+{i + 1}", f"Rank the gallery by {mode} similarity")
        act.setCheckable(True)
        group.addAction(act)
        menu.addAction(act)
        win.act_modes[mode] = act

    def show_mode() -> None:
        act = win.act_modes.get(win.mode)
        if act is not None:
            act.setChecked(True)

    win.mode_box.currentIndexChanged.connect(lambda _i: show_mode())
    show_mode()


def build_menus(win: MainWindow) -> None:
    """File, Search, Playback, View and Help menus."""
    mb = win.menuBar()
    m = mb.addMenu("&File")
    m.addAction(win.act_open_gallery)
    win.recent_menu = m.addMenu("Open &Recent")
    win.recent_menu.setToolTipsVisible(True)
    win.recent_menu.aboutToShow.connect(lambda: win.dialogs.fill_recent_menu(win.recent_menu))
    win.dialogs.fill_recent_menu(win.recent_menu)
    m.addAction(win.act_open_checkpoint)
    m.addAction(win.act_open_demo)
    m.addSeparator()
    ex = m.addMenu("&Export")
    for act in (win.act_export_glb, win.act_export_poses, win.act_export_bvh,
                win.act_export_video, win.act_export_png):
        ex.addAction(act)
    m.addSeparator()
    m.addAction(win.act_quit)
    m = mb.addMenu("&Search")
    for act in (win.act_focus_query, win.act_search, win.act_use_suggestion, win.act_similar,
                win.act_search_file, win.act_live):
        m.addAction(act)
    _ranking_menu(win, m.addMenu("&Ranking"))
    for act in (win.act_compare, win.act_compare_paths, win.act_compare_overlay,
                win.act_cancel):
        m.addAction(act)
    m = mb.addMenu("&Playback")
    for act in (win.act_play, win.act_step_back, win.act_step_fwd, win.act_slower,
                win.act_faster, win.act_loop, win.act_follow):
        m.addAction(act)
    m.aboutToShow.connect(lambda: _sync_playback_checks(win))  # set on the bar meanwhile
    m = mb.addMenu("&View")
    for dock in win.docks():
        m.addAction(dock.toggleViewAction())
    m.addSeparator()
    m.addAction(win.act_group_words)
    m.addAction(win.act_more_results)
    m.addAction(win.act_reset_layout)
    m = mb.addMenu("&Help")
    m.addAction(win.act_shortcuts)
    m.addAction(win.act_about)
