"""Benchmark: how long the ``motionlex`` command line takes to answer (issue 13, "Fast CLI").

1. Builds a small gallery index of ``../shared/data/bandai`` (val split, 70 motions) with the
   default checkpoint (``resources/default_model``) in a temporary folder.
2. Times, as separate processes (what a user waits for, interpreter start included):
   ``python -m motionlex.core --help`` and ``python -m motionlex.core search "a person waves"
   --index IDX`` (a one-off text query on the default checkpoint, which loads only the text
   tower: ``core/model/lite.py``), and the same query through the full model (what
   ``search`` did before: ``load_checkpoint`` builds the motion ViT and transformers' BERT),
   and ``search --motion`` with the first BVH file of ``raw_bvh/`` (the lite towers as well),
   and prints the median wall and CPU time of ``--runs`` runs each (CPU time is steadier when
   other jobs share the cores; the load average is printed with it).
   The text search runs twice: with the fingerprint cache the CLI keeps (a second query on
   the same model) and with an empty one (the first query: the model's ~100 MB are hashed).
3. A breakdown of one search process per path (median of the runs, ms): imports, index open,
   model load, its identity check against the index (the text path: the tower loaded again
   and checked through the cache), query encode, search, and the rest (interpreter start,
   argument parsing, exit).
4. Lists which heavy packages the search process imported (torch, transformers' model code,
   scipy, Lightning, spaCy, matplotlib).

Usage: python benchmarks/cli_start.py [--runs 3] [--data DIR] [--checkpoint DIR]
Targets (issue 13): --help under 0.5 s, a one-off search under 3 s on this machine.

Measured on the shared 2-core machine (nice 19, the same command, 3 runs each, interleaved,
load average 7.6-7.9): before (full model, commit 0a2e0b6) 9.12 / 8.84 / 12.99 s wall,
4.4 / 4.4 / 4.6 s CPU; after (text tower) 1.84 / 4.73 / 4.39 s wall, 1.5 / 1.7 / 1.7 s CPU.
At load 2.5 the old command took 6.71 / 4.31 / 4.18 s; at load 7.2-8.2 (21:00 UTC) before
21.95 / 22.57 / 22.05 s wall, 5.3-5.5 s CPU, after 8.32 / 8.61 / 8.74 s wall, 2.0-2.2 s CPU
(nice 19 on a saturated machine: wall time is waiting; CPU time is the steady figure).
This script at load 8.3-9.0: search
5.41 s wall / 1.62 s CPU median (cold cache 5.77 / 1.74), full model 14.0 / 4.50; breakdown
(ms, text tower vs full model): imports 3105 vs 2670, index open 22 vs 20, model load 85 vs
4891, identity check 94 vs 310, query encode 44 vs 45, search 1 vs 1, interpreter start and
exit 1073 vs 2728. On 2026-12-07 (load 0.9-1.1, the lite towers: text and motion queries):
--help 0.12 s, search 2.37 s wall (cold cache 2.30), search --motion BVH 2.29-2.39 s, full
model 5.94 s. The rest is torch's import (~1.0 s CPU, needed by retrieval/) and SciPy's
sparse matrices (~0.2 s).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "transformers.models.bert.modeling_bert",
         "transformers.models.vit.modeling_vit", "scipy", "scipy.spatial", "lightning", "spacy",
         "matplotlib")
STEPS = ("imports", "index open", "model load", "identity check", "query encode", "search",
         "rest (start, parse, exit)")

# One search in steps, as ``motionlex search`` runs it; argv: path ("text" or "full"), index,
# query. Prints one JSON line of seconds per step (the process wall time is measured outside).
PROBE = """
import json, sys, time
t = [time.perf_counter()]
path, idx, query = sys.argv[1:4]
from motionlex.core.retrieval.index import GalleryIndex
from motionlex.core.retrieval.search import Searcher
if path == "text":
    from motionlex.core.model.lite_load import load_lite, load_lite_for
else:
    from motionlex.core.model.factory import load_checkpoint
t.append(time.perf_counter())
index = GalleryIndex.load(idx)
t.append(time.perf_counter())
if path == "text":
    model = load_lite(index.checkpoint)
else:
    model, _ = load_checkpoint(index.checkpoint)
t.append(time.perf_counter())
if path == "text":  # as the CLI: the fingerprint cache, else the ~100 MB hash
    assert load_lite_for(index.model_hash, index.checkpoint) is not None
else:
    index.check_model(model)
t.append(time.perf_counter())
searcher = Searcher(index, model, verify_model=False)
q = searcher.embed_text(query)
t.append(time.perf_counter())
hits = searcher.search(q, k=5)
t.append(time.perf_counter())
print("STEPS", json.dumps([b - a for a, b in zip(t, t[1:])] + [hits[0].id]))
"""


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall and CPU (user + system) seconds and stdout of one process; raises on failure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    dt = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return dt, cpu, r.stdout


def _report(name: str, runs: list[tuple[float, float, str]], target: float | None) -> None:
    """Median wall time (against the target) and CPU time; every run's wall time."""
    times = [w for w, _, _ in runs]
    med = statistics.median(times)
    goal = "" if target is None else f"; target {target:g} s: {'ok' if med <= target else 'over'}"
    print(f"{name:<40} median {med:5.2f} s wall, {statistics.median(c for _, c, _ in runs):5.2f}"
          f" s CPU (runs: {', '.join(f'{t:.2f}' for t in times)}{goal}; load "
          f"{os.getloadavg()[0]:.1f})")


def _breakdown(idx: Path, runs: int, env: dict[str, str]) -> None:
    """Median milliseconds per step of a text search, text tower vs full model."""
    table: dict[str, list[float]] = {}
    for path in ("text", "full"):
        rows = []
        for _ in range(runs):
            wall, _, out = _run([sys.executable, "-c", PROBE, path, str(idx), "a person waves"],
                                env)
            line = [ln for ln in out.splitlines() if ln.startswith("STEPS ")][0]
            secs = json.loads(line.split(" ", 1)[1])[:-1]
            rows.append(secs + [wall - sum(secs), wall])
        table[path] = [statistics.median(col) * 1000 for col in zip(*rows)]
    print(f"\nbreakdown of one search process (median of {runs}, ms):")
    print(f"  {'step':<26} {'text tower':>11} {'full model':>11}")
    for i, step in enumerate(STEPS + ("total",)):
        print(f"  {step:<26} {table['text'][i]:11.0f} {table['full'][i]:11.0f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3, help="runs per command (default 3)")
    p.add_argument("--data", default=os.environ.get("MOTIONLEX_DATA", str(HERE.parent / "shared"
                                                                            / "data")),
                   help="folder holding bandai/ (default $MOTIONLEX_DATA)")
    p.add_argument("--checkpoint", default=str(HERE / "resources" / "default_model"))
    args = p.parse_args()
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    cli = [sys.executable, "-m", "motionlex.core"]
    with tempfile.TemporaryDirectory(prefix="cli-start-") as tmp:
        idx = Path(tmp) / "val.mlx"
        t, _, _ = _run(cli + ["index", "--checkpoint", args.checkpoint, "--data",
                           str(Path(args.data) / "bandai"), "--split", "val", "--out",
                           str(idx), "-q"], env)
        print(f"built {idx.name} (bandai val) in {t:.1f} s")
        _report("motionlex --help", [_run(cli + ["--help"], env) for _ in range(args.runs)],
                0.5)
        _report('motionlex events "a person jumps twice, then sits down"',
                [_run(cli + ["events", "a person jumps twice, then sits down"], env)
                 for _ in range(args.runs)], 2.0)
        search = cli + ["search", "a person waves", "--index", str(idx), "-k", "5"]
        _report('motionlex search "a person waves"',
                [_run(search, env) for _ in range(args.runs)], 3.0)
        cold = []
        for i in range(args.runs):  # an empty fingerprint cache: the first query on a model
            cold.append(_run(search, dict(env, MOTIONLEX_CACHE=str(Path(tmp) / f"cache{i}"))))
        _report("the same, cold fingerprint cache", cold, 3.0)
        bvh = sorted((Path(args.data) / "raw_bvh").glob("*.bvh"))[:1]  # a native skeleton
        if bvh:  # a motion query: the lite towers too (was the full model: ~6 s)
            by_motion = cli + ["search", "--motion", str(bvh[0]), "--index", str(idx), "-k", "5"]
            _report(f"motionlex search --motion {bvh[0].name}",
                    [_run(by_motion, env) for _ in range(args.runs)], 3.0)
        full = [sys.executable, "-c", PROBE, "full", str(idx), "a person waves"]
        _report("the same query, full model (before)",
                [_run(full, env) for _ in range(args.runs)], None)
        _breakdown(idx, args.runs, env)
        probe = ("import runpy, sys\nsys.argv = ['motionlex'] + sys.argv[1:]\n"
                 "try:\n    runpy.run_module('motionlex.core', run_name='__main__')\n"
                 "except SystemExit:\n    pass\n"
                 f"print('IMPORTED', [m for m in {HEAVY!r} if m in sys.modules])")
        r = subprocess.run([sys.executable, "-c", probe] + search[3:], capture_output=True,
                           text=True, env=env)
        line = [ln for ln in r.stdout.splitlines() if ln.startswith("IMPORTED")]
        print("\nsearch imported:", line[0].split(" ", 1)[1] if line else r.stderr[-500:])


if __name__ == "__main__":
    main()
