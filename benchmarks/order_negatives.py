"""Study: reordered clips as text-to-motion hard negatives (``order_negatives``).

The stage-3 default's weakest figure was the composed chronology test's motion side: given a
composed caption ("a person waves, then walks"), does it score its clips above the same clips
in the other order? (61-68 %, chance 50 %). CAR's shuffled captions teach the text side of
order (a motion prefers its caption to the caption in another order); nothing taught the
motion side. ``order_negatives`` adds each composed training pair's reordered motion as an
extra text-to-motion negative of its caption, as mirrored motions are for captions that name
a side, and ``objective.order_pair_weight`` gives each such pair a two-way loss of its own.

Each variant continues ``--init`` (default ``resources/default_model``; the published table,
docs/order-negatives.md, started from the stage-3 default, ``git show
ea265d1:resources/default_model/...``, while the shipped model is stage 5 now) for the same
150 LexCMLP steps of ``configs/order-negatives.yaml`` on the default's data (Bandai,
``cmu_kitml``, the demo gallery's train split), so the control isolates the negatives from
the extra steps:

    control    order_negatives off (the same 150 steps without them)
    order      order_negatives on, order_pair_weight 0.5 (the config as written)
    ordernp    order_negatives on, no pair term (order_pair_weight 0)
    order02    order_negatives on, a lighter pair term (order_pair_weight 0.2)
    order+car  order, plus a pair term on the CAR columns (car_pair_weight 0.5): does it keep
               the text side of order that the order pair term costs?
    order+car+side  order+car, plus the side pair term (side_pair_weight 0.5): does it keep
               the demo gallery's side accuracy that order+car costs?

Each (variant, seed) run is scored with ``motionlex evaluate`` on Bandai val (300 composed
chronology pairs, the BVH pairs of ``raw_bvh``), on the demo gallery's val split, and on a
fresh synthetic gallery (``motionlex demo-data --seed 7``, all 200 motions, never trained
on: 274 captions naming a side against the demo val split's 27); the ``--init`` model is
scored the same way (the ``default`` record). ``--fresh`` adds the fresh gallery's figures
to records saved before it existed (their models must still be in ``--work``). A finished
run's figures are saved at once as ``OUT/VARIANT-sSEED.json``; a restarted study skips
them. ``--report`` writes the table (mean and standard deviation over seeds) to
``docs/order-negatives.md``.

    python benchmarks/order_negatives.py                     # 5 variants x 3 seeds, ~6 min a run
    python benchmarks/order_negatives.py --variants order --seeds 0
    python benchmarks/order_negatives.py --report
    python benchmarks/order_negatives.py --fresh --work runs/s4   # older records: fresh figures
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
from ablation import report_dir  # benchmarks/: another --out keeps the docs as they are

HERE = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("MOTIONLEX_DATA", HERE.parent / "shared" / "data"))
CONFIG = "configs/order-negatives.yaml"

VARIANTS: dict[str, list[str]] = {
    "control": ["order_negatives=false", "objective.order_pair_weight=0"],
    "order": [],
    "ordernp": ["objective.order_pair_weight=0"],
    "order02": ["objective.order_pair_weight=0.2"],
    "order+car": ["objective.car_pair_weight=0.5"],
    "order+car+side": ["objective.car_pair_weight=0.5", "objective.side_pair_weight=0.5"],
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
    "fresh gallery side text": ("fresh", "side/text"),
    "fresh gallery side motion": ("fresh", "side/motion"),
    "fresh gallery t2m R@1 fused": ("fresh", "t2m/All/fused/R@1"),
    "fresh gallery m2t R@1 fused": ("fresh", "m2t/All/fused/R@1"),
}
"""Column -> (which evaluation, key of its metrics.json)."""


def motionlex(*args: str) -> None:
    """Run ``python -m motionlex.core ARGS`` in the repository (raises on failure)."""
    subprocess.run([sys.executable, "-m", "motionlex.core", *args], check=True, cwd=HERE)


FRESH_SEED = 7
"""Seed of the fresh synthetic gallery (the explorer's demo gallery is seed 0)."""


def evaluate_fresh(model: Path, fresh: Path, out: Path) -> dict:
    """``model`` on every motion of the fresh synthetic gallery; its metrics (read back when
    ``out/eval-fresh`` already holds them)."""
    done = out / "eval-fresh" / "metrics.json"
    if done.is_file():
        return json.loads(done.read_text())
    motionlex("evaluate", "--checkpoint", str(model), "--data", str(fresh), "--split", "all",
              "--sentence-model", "none", "--out", str(out / "eval-fresh"), "-q")
    return json.loads((out / "eval-fresh" / "metrics.json").read_text())


def evaluate(model: Path, demo: Path, fresh: Path, out: Path) -> dict[str, dict]:
    """The three evaluations of ``model``; ``{"bandai": .., "demo": .., "fresh": metrics}``."""
    motionlex("evaluate", "--checkpoint", str(model), "--data", str(DATA / "bandai"),
              "--split", "val", "--chronology-pairs", "300", "--bvh-pairs",
              str(DATA / "raw_bvh"), "--out", str(out / "eval-bandai"), "-q")
    motionlex("evaluate", "--checkpoint", str(model), "--data", str(demo), "--split", "val",
              "--out", str(out / "eval-demo"), "-q")
    metrics = {k: json.loads((out / f"eval-{k}" / "metrics.json").read_text())
               for k in ("bandai", "demo")}
    metrics["fresh"] = evaluate_fresh(model, fresh, out)
    return metrics


def save_record(out: Path, name: str, record: dict) -> None:
    """Write ``out/NAME.json`` atomically (a finished run is never half-written)."""
    from motionlex.core.atomic import atomic_file

    with atomic_file(out / f"{name}.json") as tmp:
        tmp.write_text(json.dumps(record, indent=1))


def figures(metrics: dict[str, dict]) -> dict[str, float]:
    """The table's columns from the evaluations given (side: text and motion as one string;
    a column whose evaluation is missing is left out)."""
    out = {}
    for col, (src, key) in METRICS.items():
        if src not in metrics:
            continue
        if col == "Bandai side text / motion":
            out[col] = f"{metrics[src]['side/text']:.0f} / {metrics[src]['side/motion']:.0f}"
        else:
            out[col] = metrics[src].get(key)
    return out


def run_one(variant: str, seed: int, out: Path, work: Path, demo: Path, fresh: Path,
            init: Path) -> None:
    """Train one (variant, seed) from ``init``, evaluate it, save its record."""
    run = work / f"{variant}-s{seed}"
    t0 = time.perf_counter()
    if not (run / "model" / "config.json").is_file():
        motionlex("train", "--config", CONFIG, "--init", str(init),
                  "--data", str(DATA / "bandai"), "--data", str(DATA / "cmu_kitml"),
                  "--data", str(demo), "--out", str(run), "-q", f"seed={seed}",
                  *VARIANTS[variant])
    train_s = time.perf_counter() - t0
    metrics = evaluate(run / "model", demo, fresh, run)
    save_record(out, f"{variant}-s{seed}", {
        "variant": variant, "seed": seed, "config": CONFIG, "overrides": VARIANTS[variant],
        "train_seconds": round(train_s, 1), "figures": figures(metrics)})


def add_fresh(out: Path, work: Path, fresh: Path) -> None:
    """Add the fresh gallery's figures to each saved record without them whose model is in
    ``work`` (``work/NAME/model``; for ``default``, a copy of the default it measured)."""
    for path in sorted(out.glob("*.json")):
        record = json.loads(path.read_text())
        if record["figures"].get("fresh gallery side text") is not None:
            continue
        model = work / path.stem / "model"
        if not (model / "config.json").is_file():
            print(f"{path.stem}: no model at {model}, skipped")
            continue
        record["figures"].update(figures({"fresh": evaluate_fresh(model, fresh,
                                                                   work / path.stem)}))
        save_record(out, path.stem, record)


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
            vals = [r["figures"][col] for r in rs if r["figures"].get(col) is not None]
            if not vals:
                cells.append("")
                continue
            if isinstance(vals[0], str):
                cells.append(", ".join(sorted(set(vals))))
                continue
            x = np.array(vals, float)
            cells.append(f"{x.mean():.1f}" + (f" ± {x.std(ddof=1):.1f}" if len(x) > 1 else "")
                         + (f" ({len(x)})" if len(x) < len(rs) else ""))
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
    p.add_argument("--init", type=Path, default=HERE / "resources" / "default_model",
                   help="the checkpoint every variant continues (and the 'default' record); "
                        "the published study started from the stage-3 default")
    p.add_argument("--out", type=Path, default=HERE / "docs" / "order-negatives")
    p.add_argument("--work", type=Path, default=HERE / "runs" / "order-negatives")
    p.add_argument("--demo", type=Path, default=HERE / "runs" / "demo-data",
                   help="the demo gallery's dataset folder (made by motionlex demo-data)")
    p.add_argument("--fresh-data", type=Path, default=HERE / "runs" / "demo-fresh",
                   help=f"the fresh gallery's folder (made by motionlex demo-data --seed "
                   f"{FRESH_SEED})")
    p.add_argument("--report", action="store_true", help="only write the table")
    p.add_argument("--fresh", action="store_true", help="only add the fresh gallery's "
                   "figures to saved records that lack them (models in --work)")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.report:
        if not (args.fresh_data / "meta.json").is_file():
            motionlex("demo-data", "--seed", str(FRESH_SEED), str(args.fresh_data))
    if args.fresh:
        add_fresh(args.out, args.work, args.fresh_data)
    elif not args.report:
        if not (args.demo / "meta.json").is_file():
            motionlex("demo-data", str(args.demo))
        if not (args.out / "default.json").is_file():
            metrics = evaluate(args.init, args.demo,
                               args.fresh_data, args.work / "default")
            save_record(args.out, "default", {"variant": "default", "seed": None,
                                              "figures": figures(metrics)})
        for seed in args.seeds:
            for variant in args.variants:
                if (args.out / f"{variant}-s{seed}.json").is_file():
                    continue
                run_one(variant, seed, args.out, args.work, args.demo, args.fresh_data,
                        args.init)
    write_report(args.out, report_dir(args.out, HERE / "docs" / "order-negatives")
                 / "order-negatives.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
