"""Benchmark: how long the ``motionlex`` command line takes to answer (issue 13, "Fast CLI").

1. Builds a small gallery index of ``../shared/data/bandai`` (val split, 70 motions) with the
   default checkpoint (``resources/default_model``) in a temporary folder.
2. Times, as separate processes (what a user waits for, interpreter start included):
   ``python -m motionlex.core --help`` and ``python -m motionlex.core search "a person waves"
   --index IDX`` (a one-off text query on the default checkpoint), and prints the median wall
   and CPU time of ``--runs`` runs each (CPU time is steadier when other jobs share the cores).
3. Lists which heavy packages the search process imported (torch, transformers' model code,
   scipy, Lightning, spaCy, matplotlib).

Usage: python benchmarks/cli_start.py [--runs 5] [--data DIR] [--checkpoint DIR]
Targets (issue 13): --help under 0.5 s, a one-off search under 3 s on this machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers.models.bert.modeling_bert", "transformers.models.vit.modeling_vit",
         "scipy", "scipy.spatial", "lightning", "spacy", "matplotlib")


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one process; raises on a non-zero exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    dt = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return dt, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _report(name: str, runs: list[tuple[float, float]], target: float) -> None:
    """Median wall time against the target; CPU time too (steadier on a busy machine)."""
    times = [w for w, _ in runs]
    med = statistics.median(times)
    verdict = "ok" if med <= target else "over"
    print(f"{name:<34} median {med:5.2f} s wall, {statistics.median(c for _, c in runs):5.2f} s "
          f"CPU (wall min {min(times):.2f}, max {max(times):.2f}, {len(times)} runs; target "
          f"{target:g} s: {verdict})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5, help="runs per command (default 5)")
    p.add_argument("--data", default=os.environ.get("MOTIONLEX_DATA", str(HERE.parent / "shared"
                                                                            / "data")),
                   help="folder holding bandai/ (default $MOTIONLEX_DATA)")
    p.add_argument("--checkpoint", default=str(HERE / "resources" / "default_model"))
    args = p.parse_args()
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    cli = [sys.executable, "-m", "motionlex.core"]
    with tempfile.TemporaryDirectory(prefix="cli-start-") as tmp:
        idx = Path(tmp) / "val.mlx"
        t, _ = _run(cli + ["index", "--checkpoint", args.checkpoint, "--data",
                        str(Path(args.data) / "bandai"), "--split", "val", "--out", str(idx),
                        "-q"], env)
        print(f"built {idx.name} (bandai val) in {t:.1f} s")
        _report("motionlex --help", [_run(cli + ["--help"], env) for _ in range(args.runs)],
                0.5)
        search = cli + ["search", "a person waves", "--index", str(idx), "-k", "5"]
        _report('motionlex search "a person waves"',
                [_run(search, env) for _ in range(args.runs)], 3.0)
        probe = ("import runpy, sys\nsys.argv = ['motionlex'] + sys.argv[1:]\n"
                 "try:\n    runpy.run_module('motionlex.core', run_name='__main__')\n"
                 "except SystemExit:\n    pass\n"
                 f"print('IMPORTED', [m for m in {HEAVY!r} if m in sys.modules])")
        r = subprocess.run([sys.executable, "-c", probe] + search[3:], capture_output=True,
                           text=True, env=env)
        line = [ln for ln in r.stdout.splitlines() if ln.startswith("IMPORTED")]
        print("search imported:", line[0].split(" ", 1)[1] if line else r.stderr[-500:])


if __name__ == "__main__":
    main()
