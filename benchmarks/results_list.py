"""How long the results list takes to load and filter 10,000 rows (was a unit-test assertion).

Run: ``python benchmarks/results_list.py`` (under ``xvfb-run -a`` without a display). Prints
the load and filter times in seconds; the target is under 1 s each on 2 loaded cores.
"""

from __future__ import annotations

import sys
import time

from PySide6.QtWidgets import QApplication

from motionlex.widgets.results_list import ResultsList

WORDS = ("walks", "left", "angrily", "jumps", "turns", "right", "slowly", "waves", "sits")


def main() -> int:
    """Time ``set_results`` and ``set_filter_text`` on 10,000 rows; returns exit status."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    w = ResultsList()
    w.resize(520, 360)
    w.show()
    n = 10_000
    rows = [{"rank": k + 1, "score": 0.9 - k / (2 * n), "id": f"M{k:05d}",
             "caption": "a person " + " ".join(WORDS[(k * j) % len(WORDS)] for j in (1, 3, 7))}
            for k in range(n)]
    t0 = time.perf_counter()
    w.set_results(rows)
    app.processEvents()
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    w.set_filter_text("person WALKS")
    filter_s = time.perf_counter() - t0
    print(f"load {load_s:.3f} s, filter {filter_s:.3f} s ({w.visible_count():,} of {n:,} shown)")
    w.close()
    return 0 if load_s < 1.0 and filter_s < 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
