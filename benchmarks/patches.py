"""Benchmark: motion patches per second on one CPU core, batched vs a per-frame Python loop.

Builds patch images for a batch of real motions (../shared/data, cropped/padded to 200
frames) with ``motion_patch_image`` (one matrix product over the batch) and with the
naive approach: for every motion, frame and body part, interpolate the chain in a Python
loop with ``np.interp``. Prints motions/s for both and the ratio, and checks the two agree.

Usage: python benchmarks/patches.py [--data ../shared/data/bandai] [--motions 2000]
Targets (issue 2): batched >= 5,000 motions of 200 frames per second; >= 10x the loop.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from motionlex.core.data.datasets import MotionDataset  # noqa: E402
from motionlex.core.motion.skeleton import SMPL22  # noqa: E402
from motionlex.core.patches import (  # noqa: E402
    PatchStats,
    motion_patch_image,
    part_resampling_matrix,
)

FRAMES = 200


def per_frame_loop(joints: np.ndarray, stats: PatchStats, points: int = 16) -> np.ndarray:
    """Reference: (T, J, 3) -> (3, T, 80), one np.interp per frame, part and axis."""
    t = joints.shape[0]
    out = np.zeros((t, len(SMPL22.chains) * points, 3), np.float32)
    for f in range(t):
        for p, chain in enumerate(SMPL22.chains):
            pos = joints[f, list(chain)]
            knots = np.linspace(0.0, 1.0, len(chain))
            s = np.linspace(0.0, 1.0, points)
            for c in range(3):
                out[f, p * points : (p + 1) * points, c] = np.interp(s, knots, pos[:, c])
    return ((out - stats.mean) / stats.std).transpose(2, 0, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = Path(__file__).resolve().parents[1]
    ap.add_argument("--data", default=str(here.parent / "shared" / "data" / "bandai"))
    ap.add_argument("--motions", type=int, default=2000, help="batch size for the batched run")
    ap.add_argument("--loop-motions", type=int, default=50, help="motions for the slow loop")
    args = ap.parse_args()

    ds = MotionDataset(args.data, "train")
    recs = ds.records[: args.motions]
    clips = []
    for r in recs:
        j = ds.load_motion(r).joints
        reps = -(-FRAMES // len(j))
        clips.append(np.concatenate([j] * reps)[:FRAMES])
    batch = np.stack(clips)  # (B, 200, 22, 3)
    while len(batch) < args.motions:
        batch = np.concatenate([batch, batch])[: args.motions]
    rng = np.random.default_rng(0)
    stats = PatchStats(
        rng.normal(0, 0.1, (80, 3)).astype(np.float32), np.full((80, 3), 0.3, np.float32)
    )
    matrix = part_resampling_matrix(SMPL22)

    motion_patch_image(batch[:8], matrix, stats)  # warm-up
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        img = motion_patch_image(batch, matrix, stats)
        best = min(best, time.perf_counter() - t0)
    fast = len(batch) / best

    n_loop = min(args.loop_motions, len(batch))
    t0 = time.perf_counter()
    ref = [per_frame_loop(batch[i], stats) for i in range(n_loop)]
    slow = n_loop / (time.perf_counter() - t0)
    err = float(np.abs(np.stack(ref) - img[:n_loop]).max())

    print(f"motion patches, {FRAMES} frames, SMPL-22, 1 thread ({len(batch)} real motions from "
          f"{Path(args.data).name})")
    print(f"  batched matrix product : {fast:10.0f} motions/s  ({best * 1e3:.1f} ms per batch)")
    print(f"  per-frame Python loop  : {slow:10.1f} motions/s  ({n_loop} motions)")
    print(f"  speed-up               : {fast / slow:10.0f} x")
    print(f"  max |difference|       : {err:.2e}")
    print(f"  targets: >= 5000 motions/s -> {'met' if fast >= 5000 else 'NOT met'}; "
          f">= 10x -> {'met' if fast / slow >= 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
