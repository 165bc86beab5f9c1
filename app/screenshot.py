"""``motionlex-explorer --screenshot``: wait until the window shows the query's results, the
selected motion, its event orders and the descriptions of uncaptioned motions, save a PNG of
the window and quit with a status."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from motionlex.app.window import MainWindow

PLAY_BEFORE_SCREENSHOT_MS = 700
"""Playback time before a ``--screenshot`` is taken, so the pose is mid-motion, ms."""

DESCRIBED_WAIT_MS = 30_000
"""Longest wait for the uncaptioned motions' descriptions once everything else is shown, ms:
a checkpoint with a large caption bank encodes it for minutes at first use; the shot is
then taken without them (with a note), not failed."""


class ScreenshotJob:
    """Waits for the window to show the query's results, then saves a PNG and quits.

    Args:
        window: the main window (already asked to open the gallery and search).
        path: the PNG to write.
        expect_query: whether a query was given (else: wait for the gallery only).
        timeout_s: longest wait, seconds.
    """

    def __init__(self, window: MainWindow, path: str | Path, expect_query: bool,
                 timeout_s: float) -> None:
        self.window = window
        self.path = Path(path)
        self.expect_query = expect_query
        self.errors: list[str] = []
        self.exit_code: int | None = None
        self._have = {"gallery": False, "results": False, "motion": False, "orders": False,
                      "described": True}
        window.galleryShown.connect(lambda _i: self._got("gallery"))
        window.resultsShown.connect(lambda _r: self._got("results"))
        window.motionShown.connect(lambda _m: self._got("motion"))
        window.ordersShown.connect(lambda _o: self._got("orders"))
        # uncaptioned rows show "[no caption]" until their descriptions come ("≈ …")
        window.analysis.galleryDescribed.connect(lambda _d: self._got("described"))
        window.errorShown.connect(self._on_error)
        self._deadline = QTimer(window)
        self._deadline.setSingleShot(True)
        self._deadline.timeout.connect(self._on_timeout)
        self._deadline.start(int(timeout_s * 1000))
        self._shot = QTimer(window)
        self._shot.setSingleShot(True)
        self._shot.timeout.connect(lambda: self._finish(0 if not self.errors else 1))
        self._described_wait = QTimer(window)
        self._described_wait.setSingleShot(True)
        self._described_wait.timeout.connect(self._without_descriptions)

    def _ready(self, described: bool = False) -> bool:
        """Whether the window shows all it should (``described``: count the descriptions
        of uncaptioned motions as come)."""
        h = self._have
        if not h["gallery"]:
            return False
        if not (h["described"] or described):
            return False
        if not self.expect_query:
            return h["motion"] or self.window.gallery.size == 0
        if not (h["results"] and h["motion"]):
            return False
        searchable = self.window.gallery is not None and self.window.gallery.searchable
        return h["orders"] or not searchable

    def _got(self, what: str) -> None:
        self._have[what] = True
        gallery = self.window.gallery
        if what == "gallery" and gallery is not None:
            self._have["described"] = not (gallery.searchable and gallery.size
                                           and not all(gallery.captions))
        if what == "gallery" and self.expect_query and gallery is not None and (
                not gallery.searchable):
            self._on_error(f"{gallery.path} cannot be searched by text without the "
                           "checkpoint it was built with (--checkpoint DIR)")
            return
        if self._ready() and not self._shot.isActive() and self.exit_code is None:
            self._described_wait.stop()
            self._shot.start(PLAY_BEFORE_SCREENSHOT_MS)
        elif (not self._have["described"] and not self._described_wait.isActive()
              and self._ready(described=True)):
            self._described_wait.start(DESCRIBED_WAIT_MS)

    def _without_descriptions(self) -> None:
        if self.exit_code is None and not self._shot.isActive():
            print(f"note: the uncaptioned motions' descriptions did not come within "
                  f"{DESCRIBED_WAIT_MS // 1000} s (a large caption bank is encoded at first "
                  "use); the screenshot shows them uncaptioned", file=sys.stderr)
            self._shot.start(PLAY_BEFORE_SCREENSHOT_MS)

    def _on_error(self, message: str) -> None:
        self.errors.append(message)
        if not self._shot.isActive() and self.exit_code is None:
            self._shot.start(500)  # show the error state, then exit with status 1

    def _on_timeout(self) -> None:
        missing = sorted(k for k, v in self._have.items() if not v)
        self.errors.append(f"timed out waiting for {missing}")
        self._finish(1)

    def _finish(self, code: int) -> None:
        if self.exit_code is not None:
            return
        self._deadline.stop()
        try:
            saved = self.window.save_screenshot(self.path)
            print(f"saved {saved}")
        except OSError as e:
            self.errors.append(str(e))
            code = 1
        for err in self.errors:
            print(f"error: {err}", file=sys.stderr)
        self.exit_code = code
        self.window.close()
        QApplication.instance().exit(code)
