"""Take docs/chronology-panel.png and docs/describe.png (1920x1080) with the default model.

1. The synthetic demo gallery, query "a person raises both hands, then walks forward": the
   chronology panel shows the query's two orders scored against the top result.
2. A copy of ../shared/data/raw_bvh without its index.json (so no file has a caption):
   the gallery rows show their best description (≈ ...), the Describe dock lists the first
   take's nearest training captions.

Usage: xvfb-run -a -s "-screen 0 1920x1080x24" python docs/chronology_screenshots.py [OUTDIR]
[WIDTHxHEIGHT]
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "xcb")

from PySide6.QtWidgets import QApplication  # noqa: E402

from motionlex.app import settings as cfg  # noqa: E402
from motionlex.app.window import MainWindow  # noqa: E402
from motionlex.widgets.gl_canvas import enable_shared_gl_contexts  # noqa: E402

QUERY = "a person raises both hands, then walks forward"


def wait(app: QApplication, cond: Callable[[], bool], what: str, timeout: float = 300) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise TimeoutError(f"timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.02)


def settle(app: QApplication, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent)
    enable_shared_gl_contexts()
    app = QApplication(sys.argv[:1])
    tmp = Path(tempfile.mkdtemp(prefix="chrono-shots-"))
    w = MainWindow(settings=cfg.open_settings(tmp / "explorer.ini"))
    size = sys.argv[2] if len(sys.argv) > 2 else "1920x1080"
    w.resize(*(int(v) for v in size.split("x")))
    w.show()
    w.open_default()
    wait(app, lambda: w.gallery is not None and w.current_motion is not None, "the demo gallery")
    w.search(QUERY)
    wait(app, lambda: w.last_result is not None and w.last_result.text == QUERY, "the results")
    car = w.car_panel
    wait(app, lambda: len(car.shown_orders()) == 2 and not car.is_busy()
         and car.caption_edit.text() == QUERY, "the query's orders")
    # the best-ranked two-event motion with a walk: does it match "raise, then walk"?
    hits = w.last_result.hits
    pick = next((i for i, h in enumerate(hits) if ", then" in h["caption"]
                 and "walk" in h["caption"]), 0)
    w.results_list.select_row(pick)
    name = hits[pick]["id"].rsplit("/", 1)[-1]  # the heading names it without its folder
    wait(app, lambda: w.state.selected_row == hits[pick]["row"] and not car.is_busy()
         and w.analysis.chronology.heading().endswith(name), "the pick's orders")
    w.car_dock.raise_()
    settle(app, 1.5)
    print("saved", w.save_screenshot(out / "chronology-panel.png"))

    bvh = tmp / "bvh_takes"
    bvh.mkdir()
    data = Path(os.environ.get("MOTIONLEX_DATA", "../shared/data")) / "raw_bvh"
    for f in sorted(data.glob("*.bvh")):
        shutil.copy(f, bvh / f.name)
    w.open_gallery(bvh, remember=False)
    wait(app, lambda: w.gallery is not None and w.gallery.source == str(bvh), "the BVH gallery")
    wait(app, lambda: w.analysis.generated(0) is not None, "the rows' descriptions")
    w.gallery_dock.raise_()
    row = next(r for r, i in enumerate(w.gallery.ids) if "wave-right-hand" in i)
    w.gallery_browser.select_row(row)
    wait(app, lambda: w.current_motion is not None and w.current_motion.row == row, "the motion")
    w.analysis.act_describe.trigger()
    panel = w.analysis.describe_panel
    wait(app, lambda: panel.shown_captions() and not panel.is_busy(), "the description")
    settle(app, 1.5)
    print("saved", w.save_screenshot(out / "describe.png"))
    w.close()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
