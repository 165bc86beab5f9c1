"""Benchmark: how long the ``motionlex`` command line takes to answer (issue 13, "Fast CLI").

1. Builds a small gallery index of ``../shared/data/bandai`` (val split, 70 motions) with the
   default checkpoint (``resources/default_model``) in a temporary folder.
2. Times, as separate processes (what a user waits for, interpreter start included):
   ``python -m motionlex.core --help`` and ``python -m motionlex.core search "a person waves"
   --index IDX`` (a one-off text query on the default checkpoint), and prints the median of
   ``--runs`` runs each with the slowest and fastest run.
3. Lists which heavy packages the search process imported (torch, transformers' model code,
   scipy, Lightning, spaCy, matplotlib).

Usage: python benchmarks/cli_start.py [--runs 5] [--data DIR] [--checkpoint DIR]
Targets (issue 13): --help under 0.5 s, a one-off search under 3 s on this machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers.models.bert.modeling_bert", "transformers.models.vit.modeling_vit",
         "scipy", "scipy.spatial", "lightning", "spacy", "matplotlib")


def _run(cmd: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one process; raises on a non-zero exit (the output is shown)."""
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return dt


def _report(name: str, times: list[float], target: float) -> None:
    med = statistics.median(times)
    verdict = "ok" if med <= target else "over"
    print(f"{name:<34} median {med:5.2f} s  (min {min(times):.2f}, max {max(times):.2f}, "
          f"{len(times)} runs; target {target:g} s: {verdict})")


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
        t = _run(cli + ["index", "--checkpoint", args.checkpoint, "--data",
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
