"""How long the gallery browser takes to open, sort and filter a 1,000,000-motion gallery.

Run: ``nice -n 19 python benchmarks/browser_rows.py [--rows N]`` (Qt's ``offscreen``
platform unless ``QT_QPA_PLATFORM`` is set). Prints seconds for ``gallery_records`` +
``GalleryBrowser.set_items`` (the GUI-thread stall when a gallery opens; target under 0.5 s),
painting the first rows, the first and a repeated sort by each column, the first and a second
filter, and ``select_row`` of the last row. Figures only: the exit status is 0 unless it fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from motionlex.app.list_records import gallery_records  # noqa: E402
from motionlex.app.messages import GalleryInfo  # noqa: E402
from motionlex.widgets.results_list import GalleryBrowser  # noqa: E402

WORDS = ("walks", "left", "angrily", "jumps", "turns", "right", "slowly", "waves", "sits")


def synthetic_gallery(n: int) -> GalleryInfo:
    """A gallery of ``n`` motions: ids ``syn/0000000``..., captions of three words (every
    97th empty), lengths 1-10 s."""
    rng = np.random.default_rng(0)
    caps = [("a person " + " ".join(WORDS[(k * j) % len(WORDS)] for j in (1, 3, 7)))
            if k % 97 else "" for k in range(n)]
    return GalleryInfo(path="synthetic", source="synthetic", size=n,
                       ids=[f"syn/{k:07d}" for k in range(n)], captions=caps,
                       durations=rng.uniform(1, 10, n).astype(np.float32), searchable=True,
                       built=False, skipped=[], synthetic=True)


def _timed(label: str, fn) -> float:
    t0 = time.perf_counter()
    fn()
    dt = time.perf_counter() - t0
    print(f"{label:<34s} {dt:7.3f} s")
    return dt


def main(argv: list[str] | None = None) -> int:
    """Print the timings; returns exit status."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    info = synthetic_gallery(args.rows)
    w = GalleryBrowser()
    w.resize(440, 600)
    w.show()
    app.processEvents()
    rows = []
    t_rec = _timed("gallery_records", lambda: rows.append(gallery_records(info)))
    t_set = _timed("set_items", lambda: w.set_items(rows[0]))
    print(f"{'open (records + set_items)':<34s} {t_rec + t_set:7.3f} s")
    _timed("first paint", lambda: (w.view.viewport().repaint(), app.processEvents()))
    for col, name in enumerate(("id", "caption", "length")):
        for order in (Qt.SortOrder.DescendingOrder, Qt.SortOrder.AscendingOrder):
            way = "desc" if order == Qt.SortOrder.DescendingOrder else "asc"
            _timed(f"sort by {name} {way}", lambda c=col, o=order: w.view.sortByColumn(c, o))
    w.view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
    _timed("first filter 'angrily left'", lambda: w.set_filter_text("angrily left"))
    _timed("second filter 'walks'", lambda: w.set_filter_text("walks"))
    print(f"  ({w.visible_count():,} of {w.row_count():,} shown)")
    _timed("clear filter", lambda: w.set_filter_text(""))
    _timed("select_row(last)", lambda: w.select_row(args.rows - 1))
    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
