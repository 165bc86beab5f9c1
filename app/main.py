"""``motionlex-explorer``: start the desktop explorer.

``motionlex-explorer [--gallery PATH] [--checkpoint DIR] [--query TEXT] [--screenshot PNG]``

Without ``--gallery`` (and without ``--empty``) the explorer opens its built-in default: the
default checkpoint shipped in ``motionlex.resources`` (or ``--checkpoint``) and the synthetic
demo gallery (:mod:`motionlex.core.data.demo.gallery`), generated and encoded into the
cache at first start.

The shipped model stands in whenever no model is given or the given one fails to load
(:mod:`motionlex.app.fallback`; the status bar says so): ``--gallery`` naming a dataset or
BVH folder without ``--checkpoint`` is encoded with it, an index opens with the checkpoint it
records, and a gallery that fails to open still leaves the shipped model loaded.

Exit: the worker thread always stops before the process ends (cooperative shutdown, see
:mod:`motionlex.app.client`): closing the window or ``QApplication.quit()`` during a model
load, an index build or a search ends with the event loop's status, never a Qt abort.

With ``--screenshot`` (:mod:`motionlex.app.screenshot`) the window opens the gallery, runs
the query, waits until the results, the selected motion and its event orders are shown (and
the skeleton has played for a moment), saves a PNG of the window and exits: exit status 0 on
success, 1 when an error was shown or the wait timed out (the PNG is still written, showing
the state reached).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence
from typing import Any

from motionlex.core.cli.types import Parser, positive_float

logger = logging.getLogger(__name__)

DEFAULT_SIZE = (1440, 900)
"""The window's size the first time it opens, and in a ``--screenshot`` (pixels)."""


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    p = Parser(  # an option given twice is an error, as in motionlex's commands
        prog="motionlex-explorer",
        description="Search a gallery of 3D human motions by text: ranked results, a 3D "
        "player, motion patches, lexical evidence and event-order (CAR) checks.")
    p.add_argument("--gallery", metavar="PATH", help="an index directory (motionlex index), a "
                   "dataset folder (new_joints/ + texts/) or a folder of .bvh files")
    p.add_argument("--checkpoint", metavar="DIR", help="model directory (config.json, "
                   "model.safetensors, patch_stats.json); default: the one the index records, "
                   "else the shipped model (which also stands in for one that fails to load)")
    p.add_argument("--empty", action="store_true", help="open no gallery (the welcome page) "
                   "instead of the built-in synthetic demo gallery")
    p.add_argument("--query", metavar="TEXT", help="search this once the gallery is open")
    p.add_argument("--mode", choices=("fused", "dense", "lexical"), default=None,
                   help="ranking mode (default: the last one used)")
    p.add_argument("--screenshot", metavar="PNG", help="save a PNG of the window (default "
                   "layout) once the query's results are shown, then exit; the saved settings "
                   "are left as they were")
    p.add_argument("--timeout", type=positive_float, default=180.0, metavar="S",
                   help="longest wait for --screenshot, seconds (default 180)")
    p.add_argument("--size", default=None, metavar="WxH", help="window size (default: the "
                   "size it was closed at; the first time 1440x900, or the screen where "
                   "smaller; 1440x900 with --screenshot)")
    p.add_argument("--settings", metavar="INI", help="keep settings in this INI file instead "
                   "of the platform's store")
    p.add_argument("--cache", metavar="DIR", help="folder for indexes built from dataset "
                   "folders (default: $MOTIONLEX_CACHE or the platform's cache folder)")
    p.add_argument("-v", "--verbose", action="store_true", help="log what happens to the "
                   "terminal (debug level); without it only warnings and errors are printed, "
                   "the window's status bar says the rest")
    return p


class SignalCloser:
    """Ctrl-C (SIGINT) and SIGTERM close the window as Ctrl+Q does (layout and history
    saved, worker stopped, a running export cancelled) and end the event loop with
    ``128 + signal`` (130 for Ctrl-C, as motionlex's commands). Once the loop has ended
    (:meth:`loop_ended`: the explorer is closing or waits for its worker), a signal ends the
    process at once, as does a second one. The close runs from the event loop (never inside
    whatever Python code the signal interrupted), and a timer wakes the interpreter while
    Qt's loop waits, as Python runs signal handlers only between bytecodes.
    Installed only on the main thread (elsewhere it does nothing).
    """

    def __init__(self, window: Any, app: Any) -> None:
        from PySide6.QtCore import QTimer

        self._window, self._app = window, app
        self._got: int | None = None
        self._looping = True
        self._previous: dict[int, Any] = {}
        self._wake = None
        if threading.current_thread() is not threading.main_thread():
            return
        self._previous = {sig: signal.signal(sig, self._on_signal)
                          for sig in (signal.SIGINT, signal.SIGTERM)}
        self._wake = QTimer()
        self._wake.timeout.connect(lambda: None)
        self._wake.start(200)

    def _on_signal(self, signum: int, _frame: object) -> None:
        from PySide6.QtCore import QTimer

        if self._got is not None or not self._looping:  # again, or while closing: now
            print("interrupted again: quitting now" if self._got is not None else
                  "interrupted: quitting now", file=sys.stderr, flush=True)
            os._exit(128 + (self._got if self._got is not None else signum))
        self._got = signum
        if signum == signal.SIGINT:
            print("interrupted", file=sys.stderr, flush=True)
        QTimer.singleShot(0, lambda: (self._window.close(), self._app.exit(128 + signum)))

    def loop_ended(self) -> None:
        """The event loop returned: from now on a signal ends the process at once (nothing
        would run a queued close)."""
        self._looping = False

    def restore(self) -> None:
        """Put the previous handlers back and stop the wake-up timer."""
        if self._wake is not None:
            self._wake.stop()
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the explorer; returns the process exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    size = None
    if args.size is not None:
        try:
            width, height = (int(v) for v in args.size.lower().split("x"))
        except ValueError:
            print(f"error: --size must look like 1440x900, got {args.size!r}", file=sys.stderr)
            return 2
        if width <= 0 or height <= 0:  # "0x0" opened a 737x358 window, cut off
            print(f"error: --size must be positive, like 1440x900, got {args.size!r}",
                  file=sys.stderr)
            return 2
        size = (width, height)

    from motionlex.app.platform_check import xcb_problem

    if args.query is not None and args.screenshot:  # a query with no word ("", "?!") is refused:
        from motionlex.core.motion.query_paths import names_motion_file  # now, not after --timeout
        from motionlex.core.text.spelling import require_words

        if names_motion_file(args.query) is None:
            try:
                require_words(args.query, "query")
            except ValueError as e:
                print(f"error: --query: {e}", file=sys.stderr)
                return 2
    problem = xcb_problem()
    if problem:  # before Qt: a missing xcb library would abort the process (exit 134)
        print(problem, file=sys.stderr)
        return 3

    # imported here, not at the top: ``motionlex-explorer --help`` must not load Qt
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from motionlex.app import settings as cfg
    from motionlex.app.client import JOIN_WAIT_S, busy_threads, exit_now_if_busy
    from motionlex.app.screenshot import ScreenshotJob
    from motionlex.app.window import MainWindow
    from motionlex.widgets.gl_canvas import enable_shared_gl_contexts

    enable_shared_gl_contexts()  # before the QApplication: GL views share shader programs
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName(cfg.APPLICATION)
    app.setOrganizationName(cfg.ORGANIZATION)
    try:
        settings = cfg.open_settings(args.settings)
    except ValueError as e:  # not an .ini file: never overwritten
        print(f"error: {e}", file=sys.stderr)
        return 2
    scratch = None
    if args.screenshot:  # a scripted picture reads the settings but never changes them
        scratch = tempfile.TemporaryDirectory(prefix="motionlex-settings-")
        settings = cfg.scratch_copy(settings, scratch.name)
    window = MainWindow(settings=settings, cache_dir=args.cache)
    if args.mode:
        window.mode_box.setCurrentIndex(window.mode_box.findData(args.mode))
    if args.screenshot:
        window.reset_layout()  # a screenshot shows the default layout, whatever was saved
    if size is None and (args.screenshot or not cfg.has_saved_geometry(settings)):
        size = DEFAULT_SIZE  # else the size restored from the settings stays
        screen = app.primaryScreen()
        if screen is not None and not args.screenshot:  # a laptop screen smaller than that
            room = screen.availableGeometry()
            size = (min(size[0], room.width()), min(size[1], room.height()))
    if size is not None:
        window.resize(*size)
    window.show()
    job = None
    default = not args.gallery and not args.empty
    if args.screenshot:
        job = ScreenshotJob(window, args.screenshot,
                            bool(args.query and (args.gallery or default)), args.timeout)
    if default:
        window.open_default(args.checkpoint)
    else:
        if args.checkpoint:
            window.open_checkpoint(args.checkpoint)
        if args.gallery:
            window.open_gallery(args.gallery)
            if not args.checkpoint:  # after the gallery: its own checkpoint comes first
                window.client.ensure_model()
    if args.query:
        window.search(args.query)
    if job is not None and args.empty:
        QTimer.singleShot(500, lambda: job._finish(0))
    quit_on_close = app.quitOnLastWindowClosed()
    if job is not None:  # the job ends the loop with its own status; closing must not
        app.setQuitOnLastWindowClosed(False)
    signals = SignalCloser(window, app)
    code = 1
    try:
        code = int(app.exec())
    finally:
        signals.loop_ended()
        try:
            app.setQuitOnLastWindowClosed(quit_on_close)
            if window.isVisible():  # the loop ended without closing it (QApplication.quit())
                window.close()
            window.client.stop()
            if scratch is not None:  # before the wait below, which may end the process
                settings.sync()
                scratch.cleanup()
            if busy_threads():
                print(f"waiting for the worker to finish its step (at most {JOIN_WAIT_S:.0f} "
                      f"s; Ctrl-C quits at once)", file=sys.stderr, flush=True)
            exit_now_if_busy(code)  # wait for a step still running; never destroy it running
        finally:
            signals.restore()
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
