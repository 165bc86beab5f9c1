"""Benchmark: ranking multi-event queries by order agreement vs plain ranking.

The two chronology sets of ``motionlex evaluate``: composed pairs of a dataset split
(``--chronology-pairs``, :func:`motionlex.core.retrieval.chronology.composed_pairs`, seed 0)
and the synthetic generator's pairs (``--synthetic-chronology``, seed 1000 as evaluate uses),
ranked plain, order-aware (:mod:`motionlex.core.retrieval.order_ranking`, several alphas)
and event-wise. Prints a Markdown table and writes the numbers as JSON.

Usage: python benchmarks/chronology_ranking.py [--checkpoint DIR] [--data ../shared/data/bandai]
[--split val] [--pairs 100] [--synthetic 50] [--json out.json]
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from motionlex.core.data.demo.gallery import chronology_pairs  # noqa: E402
from motionlex.core.data.pairs import distinct_motions  # noqa: E402
from motionlex.core.model.factory import load_checkpoint  # noqa: E402
from motionlex.core.retrieval.chronology import composed_pairs  # noqa: E402
from motionlex.core.retrieval.eval_data import load_eval_set  # noqa: E402
from motionlex.core.retrieval.order_ranking import order_ranking_report  # noqa: E402
from motionlex.resources import default_model_dir  # noqa: E402

ALPHAS = (0.5, 1.0, 2.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--data", default=str(Path(os.environ.get(  # beside the repository
        "MOTIONLEX_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")) / "bandai"))
    ap.add_argument("--split", default="val")
    ap.add_argument("--pairs", type=int, default=100)
    ap.add_argument("--synthetic", type=int, default=50)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    t0 = time.perf_counter()
    model, stats = load_checkpoint(args.checkpoint or default_model_dir(), "cpu")
    notes: list[str] = []
    data = load_eval_set(args.data, args.split, progress=False)
    motions, _ = distinct_motions(data.examples)
    sets = {f"composed ({Path(args.data).name} {args.split})":
            composed_pairs(motions, args.pairs, 0, notes),
            "synthetic": chronology_pairs(seed=1000, n=args.synthetic)}
    results = {name: order_ranking_report(model, stats, pairs, alphas=ALPHAS)
               for name, pairs in sets.items() if pairs}
    rankings = ["plain"] + [f"order@{a:g}" for a in ALPHAS] + ["events"]
    print("| set | ranking | pair accuracy % | R@1 % | mean rank |")
    print("|---|---|---:|---:|---:|")
    for name, r in results.items():
        for k in rankings:
            print(f"| {name} (n={int(r['n'])}, gallery {2 * int(r['n'])}) | {k} | "
                  f"{r[k + '/pair']:.1f} | {r[k + '/R@1']:.1f} | {r[k + '/mean_rank']:.2f} |")
    for n in notes:
        print("note:", n)
    print(f"{time.perf_counter() - t0:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
