"""Benchmark: caption event splitting and BVH writing speed on one CPU thread.

Wall-clock figures that used to be asserted in unit tests (tests/core/text/test_events.py,
tests/core/motion/test_bvh_write.py):

- ``split_events_batch`` on the first 2,000 distinct real KIT-ML captions; target >= 200
  captions/s (~10k captions in under a minute on a loaded machine);
- ``write_bvh`` of a real 807-frame CMU motion on SMPL-22; target > 500 frames/s.

Usage: python benchmarks/data_path.py [--data ../shared/data]
Exits with status 1 when a target is not met.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from motionlex.core.motion.bvh_write import write_bvh  # noqa: E402
from motionlex.core.motion.skeleton import SMPL22  # noqa: E402
from motionlex.core.text.events import load_parser, split_events_batch  # noqa: E402

MIN_CAPTIONS_PER_S = 200.0
MIN_BVH_FRAMES_PER_S = 500.0


def events_rate(data: Path, n: int = 2000) -> tuple[float, float, int]:
    """``(captions/s, share with 2+ events, captions)`` of ``split_events_batch``."""
    ann = json.loads((data / "kitml_text" / "annotations.json").read_text("utf-8"))
    caps = sorted({a["text"] for v in ann.values() for a in v["annotations"]})[:n]
    load_parser()
    t0 = time.perf_counter()
    out = split_events_batch(caps)
    rate = len(caps) / (time.perf_counter() - t0)
    return rate, sum(len(o) > 1 for o in out) / len(out), len(caps)


def bvh_rate(data: Path) -> tuple[float, int]:
    """``(frames/s, frames)`` of ``write_bvh`` on a real CMU motion (SMPL-22)."""
    x = np.load(data / "cmu_kitml" / "new_joints" / "02265.npy")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        write_bvh(Path(tmp) / "s.bvh", x, SMPL22, 20.0)
        rate = len(x) / (time.perf_counter() - t0)
    return rate, len(x)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = Path(__file__).resolve().parents[1]
    ap.add_argument("--data", default=str(here.parent / "shared" / "data"))
    data = Path(ap.parse_args().data)
    ev, multi, n = events_rate(data)
    bvh, frames = bvh_rate(data)
    ok_ev, ok_bvh = ev >= MIN_CAPTIONS_PER_S, bvh > MIN_BVH_FRAMES_PER_S
    print(f"split_events_batch: {ev:8.0f} captions/s on {n} real KIT-ML captions "
          f"({multi:.0%} have 2+ events); target >= {MIN_CAPTIONS_PER_S:.0f}: "
          f"{'met' if ok_ev else 'NOT met'}")
    print(f"write_bvh:          {bvh:8.0f} frames/s ({frames} frames, 22 joints); "
          f"target > {MIN_BVH_FRAMES_PER_S:.0f}: {'met' if ok_bvh else 'NOT met'}")
    return 0 if ok_ev and ok_bvh else 1


if __name__ == "__main__":
    sys.exit(main())
