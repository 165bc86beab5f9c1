"""Benchmark: the explorer always exits cleanly when closed in the middle of its work
(issue 14: "the worker thread always stops before the application exits").

Runs ``--runs`` explorer processes (``motionlex-explorer``'s ``main()``, real worker thread,
real model) one after another under the X server of ``$DISPLAY`` (run it under ``xvfb-run``),
each with a fresh cache, so that opening ``--data`` (a dataset folder) builds its index.
Each process closes its window at a random moment of one phase, cycling through:

- ``load``: while the model loads (0-1.5 s after the first job started, before a model is
  loaded; with no ``--checkpoint`` the shipped model loads inside the gallery job);
- ``build``: while the gallery index is being built (0-2 s after the first batch);
- ``search``: right after a query was sent to the open gallery;
- ``quit``: ``QApplication.quit()`` instead of closing, during the build.

It counts the exit codes (0 expected; 134 is Qt's abort, "QThread: Destroyed while thread
is still running") and any "QThread: Destroyed" line on stderr, and prints a JSON summary.
``--child PHASE`` is one such process (used by ``tests/app/test_shutdown.py`` too).

Usage: xvfb-run -a -s "-screen 0 1280x800x24" nice -n 19 python benchmarks/close_loop.py
       [--runs 100] [--data DIR] [--checkpoint DIR] [--out close_loop.json]

Measured (2026-12-04, commit d773128, 2 CPU cores shared with training runs (load average
about 10), nice -n 19, the shipped model, 12 Bandai val clips): 100 runs, 100 exits with
status 0, 0 aborts, 0 "QThread: Destroyed" lines (25 per phase; median 35 s a run). Before
the cooperative shutdown (issue 14) 1 run in 7 aborted (exit 134) after a bad
``--checkpoint``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

RESULT = {"runs": 100, "exit_codes": {"0": 100}, "aborts": 0, "qthread_destroyed": 0,
          "per_phase": {"load": {"0": 25}, "build": {"0": 25}, "search": {"0": 25},
                        "quit": {"0": 25}}, "median_s": 35.39}
"""The last full run's summary (copied from the printed JSON)."""

PHASES = ("load", "build", "search", "quit")
CHILD_TIMEOUT_S = 600.0
PHASE_WAIT_S = 300.0


def child(phase: str, data: str, checkpoint: str | None, cache: str, seed: int) -> int:
    """One explorer process that closes itself during ``phase``; returns main()'s status."""
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from motionlex.app.main import main
    from motionlex.app.window import MainWindow
    from motionlex.widgets.gl_canvas import enable_shared_gl_contexts

    rng = random.Random(seed)
    enable_shared_gl_contexts()
    app = QApplication([sys.argv[0]])
    state = {"armed_at": None, "query": False}

    def end(win: MainWindow) -> None:
        print(f"closing during {phase} (long job {win.state.long_job}, gallery "
              f"{'open' if win.gallery else 'not open'})", flush=True)
        if phase == "quit":
            app.quit()
        else:
            win.close()

    def poll() -> None:
        wins = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow)]
        if not wins:
            return
        win = wins[0]
        now = time.monotonic()
        if state["armed_at"] is None:
            if phase == "load" and win.state.long_job and win.model_info is None:
                state["armed_at"] = now + rng.uniform(0.0, 1.5)
            elif phase in ("build", "quit") and win.state.long_job == "gallery" and (
                    win.job.bar.maximum() > 0 and win.job.bar.value() > 0):
                state["armed_at"] = now + rng.uniform(0.0, 2.0)
            elif phase == "search" and win.state.searchable and not state["query"]:
                state["query"] = True
                win.search("a person waves the right hand")
                state["armed_at"] = now
        if state["armed_at"] is not None and now >= state["armed_at"]:
            timer.stop()
            end(win)

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(poll)
    timer.start()

    def never_reached() -> None:
        print(f"never reached the {phase} phase in {PHASE_WAIT_S:g} s", flush=True)
        app.exit(3)

    QTimer.singleShot(int(PHASE_WAIT_S * 1000), never_reached)
    argv = ["--gallery", data, "--cache", cache, "--settings", str(Path(cache) / "s.ini"),
            "--size", "1024x640"]
    if checkpoint:
        argv += ["--checkpoint", checkpoint]
    return main(argv)


def _make_dataset(out: Path, n: int) -> Path:
    """``n`` Bandai val clips in a HumanML3D-layout folder (split ``all``)."""
    import shutil

    root = os.environ.get("MOTIONLEX_DATA") or Path(__file__).resolve().parents[2] / "shared/data"
    src = Path(root) / "bandai"
    ids = [ln.strip() for ln in (src / "val.txt").read_text().splitlines() if ln.strip()][:n]
    (out / "new_joints").mkdir(parents=True)
    (out / "texts").mkdir()
    for i in ids:
        shutil.copy(src / "new_joints" / f"{i}.npy", out / "new_joints" / f"{i}.npy")
        shutil.copy(src / "texts" / f"{i}.txt", out / "texts" / f"{i}.txt")
    (out / "all.txt").write_text("\n".join(ids) + "\n")
    return out


def run_child(phase: str, data: Path, checkpoint: str | None, cache: Path, seed: int,
              timeout_s: float = CHILD_TIMEOUT_S) -> dict:
    """Run one child process; returns its exit code, seconds and stderr's telling lines."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", phase, "--data", str(data),
           "--cache", str(cache), "--seed", str(seed)]
    if checkpoint:
        cmd += ["--checkpoint", checkpoint]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    return {"phase": phase, "code": r.returncode, "seconds": round(time.perf_counter() - t0, 2),
            "destroyed": "QThread: Destroyed" in r.stderr, "stdout": r.stdout.strip()[-300:],
            "stderr_tail": r.stderr.strip()[-600:]}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=100)
    p.add_argument("--data", default=None, help="dataset folder (default: 12 Bandai val clips)")
    p.add_argument("--clips", type=int, default=12, help="clips of the default dataset")
    p.add_argument("--checkpoint", default=None, help="model (default: the shipped one)")
    p.add_argument("--out", default=None, help="write the JSON summary here too")
    p.add_argument("--child", choices=PHASES, default=None, help=argparse.SUPPRESS)
    p.add_argument("--cache", default=None, help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return child(args.child, args.data, args.checkpoint, args.cache, args.seed)
    with tempfile.TemporaryDirectory(prefix="close_loop-") as tmp:
        data = Path(args.data) if args.data else _make_dataset(Path(tmp) / "ds", args.clips)
        runs = []
        for i in range(args.runs):
            phase = PHASES[i % len(PHASES)]
            cache = Path(tmp) / f"cache{i}"
            cache.mkdir()
            if phase == "search":  # the gallery must open first: reuse a built cache
                cache = Path(tmp) / "cache_search"
                cache.mkdir(exist_ok=True)
            rec = run_child(phase, data, args.checkpoint, cache, seed=i)
            runs.append(rec)
            print(f"{i + 1:3d}/{args.runs} {phase:6s} exit {rec['code']:4d} "
                  f"{rec['seconds']:6.1f} s{'  QThread destroyed!' if rec['destroyed'] else ''}",
                  flush=True)
    codes = Counter(r["code"] for r in runs)
    summary = {
        "runs": len(runs), "exit_codes": {str(k): v for k, v in sorted(codes.items())},
        "aborts": sum(r["code"] in (134, -6) for r in runs),
        "qthread_destroyed": sum(r["destroyed"] for r in runs),
        "per_phase": {ph: dict(Counter(str(r["code"]) for r in runs if r["phase"] == ph))
                      for ph in PHASES},
        "median_s": sorted(r["seconds"] for r in runs)[len(runs) // 2] if runs else None,
        "failures": [r for r in runs if r["code"] != 0][:5],
    }
    text = json.dumps(summary, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0 if codes.get(0, 0) == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main())
