"""Benchmark: loading BVH files with deep joint trees (issue 15, item 4).

Writes a BVH whose spine is a chain of many joints (plus head, arms and legs), loads it
with :func:`load_bvh` and prints the seconds per joint count. Body-part detection used to
be about cubic in the joint count (500 joints 1.9 s, 1,000 joints 10.6 s); it is now one
pass over the tree. Asserts that a 900-joint chain loads in under a second and that a tree
above the joint limit is refused with a message naming the file and the count.

Measured (one busy CPU core, 60 frames; before = commit 77050b4): 100 / 300 / 500 / 900
joints took 0.06 / 0.60 / 2.34 / 11.9 s before and take 0.02 / 0.06 / 0.10 / 0.20 s now;
10,000 joints are refused in 1.5 s (reading the 10,000-deep hierarchy).

Usage: python benchmarks/bvh_depth.py [--joints 100 300 500 900] [--frames 60]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from motionlex.core.motion.bvh import load_bvh
from motionlex.core.motion.bvh_parse import MAX_BVH_JOINTS
from motionlex.core.motion.file_checks import MotionFileError

SIDES = {"Left": 9.0, "Right": -9.0}
"""x offset of each side's hip, cm."""


def chain_bvh(path: Path, joints: int, frames: int = 60) -> Path:
    """A BVH (centimetres, 30 fps) with ``joints`` joints, most of them in one spine chain."""
    spine = joints - 1 - 2 - 2 * 4 - 2 * 3  # hips, neck+head, 2 arms of 4, 2 legs of 3
    if spine < 1:
        raise ValueError(f"need at least 15 joints, got {joints}")
    lines, depth, n = ["HIERARCHY"], 0, 0

    def open_(kind: str, name: str, offset, channels: str) -> None:
        nonlocal depth, n
        pad = "  " * depth
        lines.extend([f"{pad}{kind} {name}", f"{pad}{{", f"{pad}  OFFSET {offset[0]:g} "
                      f"{offset[1]:g} {offset[2]:g}", f"{pad}  CHANNELS {channels}"])
        depth, n = depth + 1, n + 1

    def close(k: int = 1) -> None:
        nonlocal depth
        for _ in range(k):
            depth -= 1
            lines.append("  " * depth + "}")

    rot = "3 Zrotation Xrotation Yrotation"
    open_("ROOT", "Hips", (0, 0, 0), "6 Xposition Yposition Zposition " + rot[2:])
    for side, x in SIDES.items():
        open_("JOINT", f"{side}UpLeg", (x, -5, 0), rot)
        open_("JOINT", f"{side}Leg", (0, -45, 0), rot)
        open_("JOINT", f"{side}Foot", (0, -42, 0), rot)
        close(3)
    for k in range(spine):
        open_("JOINT", f"Spine{k}", (0, 50.0 / spine, 0), rot)
    for side, x in SIDES.items():
        open_("JOINT", f"{side}Shoulder", (x / 4.5, 0, 0), rot)
        open_("JOINT", f"{side}Arm", (x / 1.2, 0, 0), rot)
        open_("JOINT", f"{side}ForeArm", (x * 3, 0, 0), rot)
        open_("JOINT", f"{side}Hand", (x * 2.8, 0, 0), rot)
        close(4)
    open_("JOINT", "Neck", (0, 8, 0), rot)
    open_("JOINT", "Head", (0, 10, 0), rot)
    close(depth)
    assert n == joints
    rng = np.random.default_rng(0)
    values = rng.normal(0, 1, (frames, 3 + 3 * joints))
    values[:, :3] = [0, 95, 0]
    lines += ["MOTION", f"Frames: {frames}", f"Frame Time: {1 / 30:.8f}"]
    lines += [" ".join(f"{v:.3f}" for v in row) for row in values]
    path.write_text("\n".join(lines) + "\n")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--joints", type=int, nargs="+", default=[100, 300, 500, 900])
    ap.add_argument("--frames", type=int, default=60)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        for n in args.joints:
            path = chain_bvh(Path(d) / f"chain{n}.bvh", n, args.frames)
            t0 = time.perf_counter()
            m = load_bvh(path)
            dt = time.perf_counter() - t0
            print(f"{n:6d} joints, {args.frames} frames: {dt:.3f} s "
                  f"(torso chain {len(m.skeleton.chains[0])} joints)")
            if n == 900:
                assert dt < 1.0, f"900-joint chain took {dt:.2f} s"
        big = chain_bvh(Path(d) / "huge.bvh", 10_000, 2)
        t0 = time.perf_counter()
        try:
            load_bvh(big)
        except MotionFileError as e:
            dt = time.perf_counter() - t0
            print(f"10000 joints refused in {dt:.3f} s: {e}")
            assert "10000 joints" in str(e) and str(big) in str(e) and dt < 5.0
        else:
            raise AssertionError(f"a tree above {MAX_BVH_JOINTS} joints was loaded")


if __name__ == "__main__":
    main()
