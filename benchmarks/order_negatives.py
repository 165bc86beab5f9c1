"""Study: reordered clips as text-to-motion hard negatives (``order_negatives``).

The shipped default's weakest figure was the composed chronology test's motion side: given a
composed caption ("a person waves, then walks"), does it score its clips above the same clips
in the other order? (61-68 %, chance 50 %). CAR's shuffled captions teach the text side of
order (a motion prefers its caption to the caption in another order); nothing taught the
motion side. ``order_negatives`` adds each composed training pair's reordered motion as an
extra text-to-motion negative of its caption, as mirrored motions are for captions that name
a side, and ``objective.order_pair_weight`` gives each such pair a two-way loss of its own.

Each variant continues the shipped default (``--init resources/default_model``) for the same
150 LexCMLP steps of ``configs/order-negatives.yaml`` on the default's data (Bandai,
``cmu_kitml``, the demo gallery's train split), so the control isolates the negatives from
the extra steps:

    control    order_negatives off (the same 150 steps without them)
    order      order_negatives on, order_pair_weight 0.5 (the config as written)
    ordernp    order_negatives on, no pair term (order_pair_weight 0)
    order02    order_negatives on, a lighter pair term (order_pair_weight 0.2)
    order+car  order, plus a pair term on the CAR columns (car_pair_weight 0.5): does it keep
               the text side of order that the order pair term costs?

Each (variant, seed) run is scored with ``motionlex evaluate`` on Bandai val (300 composed
chronology pairs, the BVH pairs of ``raw_bvh``) and on the demo gallery's val split; the
shipped default is scored the same way. A finished run's figures are saved at once as
``OUT/VARIANT-sSEED.json``; a restarted study skips them. ``--report`` writes the table
(mean and standard deviation over seeds) to ``docs/order-negatives.md``.

    python benchmarks/order_negatives.py                     # 5 variants x 3 seeds, ~6 min a run
    python benchmarks/order_negatives.py --variants order --seeds 0
    python benchmarks/order_negatives.py --report
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("MOTIONLEX_DATA", HERE.parent / "shared" / "data"))
CONFIG = "configs/order-negatives.yaml"

VARIANTS: dict[str, list[str]] = {
    "control": ["order_negatives=false", "objective.order_pair_weight=0"],
    "order": [],
    "ordernp": ["objective.order_pair_weight=0"],
    "order02": ["objective.order_pair_weight=0.2"],
    "order+car": ["objective.car_pair_weight=0.5"],
}
"""Variant -> overrides of :data:`CONFIG`."""

METRICS: dict[str, tuple[str, str]] = {
    "Bandai t2m R@1 fused": ("bandai", "t2m/All/fused/R@1"),
    "Bandai m2t R@1 fused": ("bandai", "m2t/All/fused/R@1"),
    "Bandai CAR fused": ("bandai", "CAR/orig->event/fused"),
    "Bandai side text / motion": ("bandai", "side/text"),
    "composed chronology, motion side, dense": ("bandai", "chronology/motion/dense"),
    "composed chronology, motion side, fused": ("bandai", "chronology/motion/fused"),
    "composed chronology, text side, fused": ("bandai", "chronology/text/fused"),
    "composed chronology, both, fused": ("bandai", "chronology/both/fused"),
    "demo t2m R@1 fused": ("demo", "t2m/All/fused/R@1"),
    "demo m2t R@1 fused": ("demo", "m2t/All/fused/R@1"),
    "demo CAR fused": ("demo", "CAR/orig->event/fused"),
    "demo side text": ("demo", "side/text"),
    "demo side motion": ("demo", "side/motion"),
    "demo synthetic chronology, motion side, fused": (
        "demo", "synthetic_chronology/motion/fused"),
}
"""Column -> (which evaluation, key of its metrics.json)."""


def motionlex(*args: str) -> None:
    """Run ``python -m motionlex.core ARGS`` in the repository (raises on failure)."""
    subprocess.run([sys.executable, "-m", "motionlex.core", *args], check=True, cwd=HERE)


def evaluate(model: Path, demo: Path, out: Path) -> dict[str, dict]:
    """Both evaluations of ``model``; returns ``{"bandai": metrics, "demo": metrics}``."""
    motionlex("evaluate", "--checkpoint", str(model), "--data", str(DATA / "bandai"),
              "--split", "val", "--chronology-pairs", "300", "--bvh-pairs",
              str(DATA / "raw_bvh"), "--out", str(out / "eval-bandai"), "-q")
    motionlex("evaluate", "--checkpoint", str(model), "--data", str(demo), "--split", "val",
              "--out", str(out / "eval-demo"), "-q")
    return {k: json.loads((out / f"eval-{k}" / "metrics.json").read_text())
            for k in ("bandai", "demo")}


def save_record(out: Path, name: str, record: dict) -> None:
    """Write ``out/NAME.json`` atomically (a finished run is never half-written)."""
    from motionlex.core.atomic import atomic_file

    with atomic_file(out / f"{name}.json") as tmp:
        tmp.write_text(json.dumps(record, indent=1))


def figures(metrics: dict[str, dict]) -> dict[str, float]:
    """The table's columns from both evaluations (side: text and motion as one string)."""
    out = {}
    for col, (src, key) in METRICS.items():
        if col == "Bandai side text / motion":
            out[col] = f"{metrics[src]['side/text']:.0f} / {metrics[src]['side/motion']:.0f}"
        else:
            out[col] = metrics[src].get(key)
    return out


def run_one(variant: str, seed: int, out: Path, work: Path, demo: Path) -> None:
    """Train one (variant, seed) from the shipped default, evaluate it, save its record."""
    run = work / f"{variant}-s{seed}"
    t0 = time.perf_counter()
    if not (run / "model" / "config.json").is_file():
        motionlex("train", "--config", CONFIG, "--init", "resources/default_model",
                  "--data", str(DATA / "bandai"), "--data", str(DATA / "cmu_kitml"),
                  "--data", str(demo), "--out", str(run), "-q", f"seed={seed}",
                  *VARIANTS[variant])
    train_s = time.perf_counter() - t0
    metrics = evaluate(run / "model", demo, run)
    save_record(out, f"{variant}-s{seed}", {
        "variant": variant, "seed": seed, "config": CONFIG, "overrides": VARIANTS[variant],
        "train_seconds": round(train_s, 1), "figures": figures(metrics)})


def write_report(out: Path, doc: Path) -> None:
    """The Markdown table of every saved record (mean ± standard deviation per variant)."""
    records = [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]
    groups = {v: [r for r in records if r["variant"] == v]
              for v in ["default", *VARIANTS] if any(r["variant"] == v for r in records)}
    head = ["metric"] + [f"{v} ({len(rs)})" for v, rs in groups.items()]
    lines = ["| " + " | ".join(head) + " |", "|---" + "|---:" * len(groups) + "|"]
    for col in METRICS:
        cells = []
        for rs in groups.values():
            vals = [r["figures"][col] for r in rs]
            if isinstance(vals[0], str):
                cells.append(", ".join(sorted(set(vals))))
                continue
            x = np.array(vals, float)
            cells.append(f"{x.mean():.1f}" + (f" ± {x.std(ddof=1):.1f}" if len(x) > 1 else ""))
        lines.append(f"| {col} | " + " | ".join(cells) + " |")
    text = doc.read_text() if doc.is_file() else ""
    start, end = "<!-- table:start -->", "<!-- table:end -->"
    table = "\n".join(lines)
    if start in text and end in text:
        text = text[:text.index(start) + len(start)] + "\n" + table + "\n" + text[
            text.index(end):]
    else:
        text += f"\n{start}\n{table}\n{end}\n"
    doc.write_text(text)
    print(table)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--out", type=Path, default=HERE / "docs" / "order-negatives")
    p.add_argument("--work", type=Path, default=HERE / "runs" / "order-negatives")
    p.add_argument("--demo", type=Path, default=HERE / "runs" / "demo-data",
                   help="the demo gallery's dataset folder (made by motionlex demo-data)")
    p.add_argument("--report", action="store_true", help="only write the table")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.report:
        if not (args.demo / "meta.json").is_file():
            motionlex("demo-data", str(args.demo))
        if not (args.out / "default.json").is_file():
            metrics = evaluate(HERE / "resources" / "default_model", args.demo,
                               args.work / "default")
            save_record(args.out, "default", {"variant": "default", "seed": None,
                                              "figures": figures(metrics)})
        for seed in args.seeds:
            for variant in args.variants:
                if (args.out / f"{variant}-s{seed}.json").is_file():
                    continue
                run_one(variant, seed, args.out, args.work, args.demo)
    write_report(args.out, HERE / "docs" / "order-negatives.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
