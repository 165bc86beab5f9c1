"""Benchmark: the first query on a gallery of uncaptioned motions, while the explorer
describes them in the background.

Opening a gallery with uncaptioned motions (a folder of BVH files) starts a background job
that gives each one its nearest training caption; the first time, it encodes the model's
caption bank (about 900 captions, seconds on a CPU). This script copies the ``.bvh`` files of
``--bvh`` (without their captions) to a fresh folder, opens the real main window (worker
thread, the shipped default model, a fresh cache folder) on that gallery, submits
a query as soon as the first motion is shown, then more queries while the descriptions are
still being prepared, and reports their latencies (request to results shown) and when the
descriptions arrived. ``--no-give-way`` restores the old
behaviour (the describe job runs to its end before the query) for comparison.

Usage: xvfb-run -a python benchmarks/uncaptioned_query.py [--bvh ../shared/data/raw_bvh]
       [--repeats 3] [--no-give-way]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def wait_until(app, cond, timeout_s: float) -> bool:
    """Process events until ``cond()`` or the timeout."""
    end = time.perf_counter() + timeout_s
    while time.perf_counter() < end:
        app.processEvents()
        if cond():
            return True
        time.sleep(0.002)
    return False


LATER_QUERIES = ("a person bows", "someone waves the left hand", "a person punches",
                 "a person raises both hands", "someone walks forward", "a person dashes",
                 "a person kicks, then bows", "someone waves")


def run_once(app, bvh: Path, give_way: bool) -> dict:
    """Open the ``.bvh`` files of ``bvh`` (uncaptioned) in a new window with a fresh cache;
    time the first query."""
    from motionlex.app import settings as cfg
    from motionlex.app.window import MainWindow

    work = Path(tempfile.mkdtemp(prefix="mlx-uncaptioned-"))
    gallery = work / "motions"
    gallery.mkdir()
    for f in sorted(bvh.glob("*.bvh")):
        shutil.copy(f, gallery / f.name)
    if not any(gallery.iterdir()):
        raise SystemExit(f"no .bvh files in {bvh}")
    window = MainWindow(settings=cfg.open_settings(work / "settings.ini"), cache_dir=work)
    worker = window.client.worker
    if not give_way:  # the job as it was: one uninterrupted run
        def describe_gallery() -> None:
            result = worker._drive("describe_gallery", "Describing the uncaptioned motions",
                                   worker.describe_gallery_steps())
            if result is not None:
                worker.galleryDescribed.emit(result)
        worker.describe_gallery = describe_gallery
        window.analysis._describeGallery.disconnect()
        window.analysis._describeGallery.connect(describe_gallery)
    window.resize(1440, 900)
    window.show()
    window.act_live.setChecked(False)
    window.open_checkpoint("")
    window.open_gallery(str(gallery))
    if not wait_until(app, lambda: window.current_motion is not None, 300):
        raise RuntimeError(f"{gallery} did not open within 300 s")
    shown, described = [], []
    window.resultsShown.connect(lambda r: shown.append(time.perf_counter()))
    window.analysis.galleryDescribed.connect(lambda r: described.append(time.perf_counter()))
    t0 = time.perf_counter()
    window.search("a person kicks with the right leg")
    if not wait_until(app, lambda: bool(shown), 120):
        raise RuntimeError("the first query got no result within 120 s")
    later = []  # queries sent while the descriptions are still being prepared
    for i, text in enumerate(LATER_QUERIES):
        if described:
            break
        wait_until(app, lambda: False, 0.15)
        n, t = len(shown), time.perf_counter()
        window.search(text)
        if not wait_until(app, lambda n=n: len(shown) > n, 60):
            raise RuntimeError(f"query {i + 2} got no result within 60 s")
        if not described:  # answered while the describe job was still running
            later.append(round((shown[-1] - t) * 1000, 1))
    if not wait_until(app, lambda: bool(described), 120):
        raise RuntimeError("no descriptions within 120 s")
    window.close()
    return {"query_ms": round((shown[0] - t0) * 1000, 1),
            "later_queries_ms": later,
            "descriptions_s": round(described[0] - t0, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bvh", type=Path, default=Path(os.environ.get(  # from any folder
        "MOTIONLEX_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")) / "raw_bvh")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-give-way", dest="give_way", action="store_false")
    args = ap.parse_args()
    from PySide6.QtWidgets import QApplication

    from motionlex.widgets.gl_canvas import enable_shared_gl_contexts

    if QApplication.instance() is None:  # as the explorer's main(): every window's GL view
        enable_shared_gl_contexts()  # draws (--repeats opens a window per run)
    app = QApplication.instance() or QApplication([])
    runs = [run_once(app, args.bvh, args.give_way) for _ in range(args.repeats)]
    print(json.dumps({"bvh": str(args.bvh), "give_way": args.give_way, "runs": runs},
                     indent=1))


if __name__ == "__main__":
    main()
