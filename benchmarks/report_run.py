"""Report a finished training run: validation retrieval, CAR, sparsity, top words, speed.

Usage:
    python benchmarks/report_run.py runs/cpu-small [--baseline runs/dense]
        [--data ../shared/data/bandai] [--motions 3]

Prints the validation metrics the run exported (dense and lexical, both directions; the
baseline's dense ones beside them), CAR accuracy, mean non-zeros of the lexical vectors,
the top words of a few validation motions next to their captions, and training throughput
(samples/s per phase, from the phase export times and the logged steps).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from motionlex.core.data.pairs import load_pair_examples
from motionlex.core.model.factory import load_checkpoint
from motionlex.core.patch_batches import patches_from_joints
from motionlex.core.patches import part_resampling_matrix


def _metrics(run: Path) -> dict:
    p = run / "model" / "val_metrics.json"
    return json.loads(p.read_text()) if p.is_file() else {}


def _throughput(run: Path) -> list[str]:
    cfg = json.loads((run / "model" / "train_config.json").read_text())
    phases = sorted((run / "phases").glob("*"), key=lambda p: int(p.name.split("-")[0]))
    start = min(p.stat().st_mtime for p in (run / "logs").glob("version_*"))
    lines = []
    for spec, d in zip(cfg["phases"], phases):
        end = (d / "config.json").stat().st_mtime
        steps, bs = spec["max_steps"], spec["batch_size"]
        lines.append(f"  {d.name:12s} {steps:4d} steps x {bs:3d}: {end - start:7.0f} s "
                     f"-> {steps * bs / max(end - start, 1e-9):6.1f} samples/s (incl. validation)")
        start = end
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--baseline", type=Path, default=None)
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" /
                                          "data" / "bandai"))
    ap.add_argument("--motions", type=int, default=3)
    args = ap.parse_args()

    m = _metrics(args.run)
    b = _metrics(args.baseline) if args.baseline else {}
    print(f"run {args.run} (validation split; chosen at {m.get('phase')} step {m.get('step')})")
    head = f"{'':14s}" + "".join(f"{k:>8s}" for k in ("R@1", "R@5", "R@10", "MedR"))
    print(head)
    rows = [("dense", m, "dense"), ("lexical", m, "lexical")]
    if b:
        rows.append(("baseline", b, "dense"))
    for d in ("t2m", "m2t"):
        for name, src, sim in rows:
            vals = [src.get(f"{d}/{sim}/{k}", float("nan")) for k in ("R@1", "R@5", "R@10", "MedR")]
            print(f"{d + ' ' + name:14s}" + "".join(f"{v:8.2f}" for v in vals))
    print(f"CAR (orig->event, dense, n={m.get('CAR/n', 0):.0f}): {m.get('CAR', float('nan')):.1f} %"
          + (f"   baseline: {b.get('CAR', float('nan')):.1f} %" if b else ""))
    model, stats = load_checkpoint(args.run / "model")
    cols = model.lexical_columns()
    words = len(model.vocabulary) if cols is None else len(cols)
    print(f"lexical non-zeros: motion {m.get('lexical/nnz_motion', float('nan')):.0f}, "
          f"text {m.get('lexical/nnz_text', float('nan')):.0f} (of {words} words)")
    print("training throughput:")
    for line in _throughput(args.run):
        print(line)
    if args.baseline:
        for line in _throughput(args.baseline):
            print(line + "  [baseline]")

    val = load_pair_examples([args.data], "val", progress=False)
    rng = np.random.default_rng(0)
    seen, picks = set(), []
    for i in rng.permutation(len(val)):
        if val[i].motion_id not in seen and val[i].label not in {p.label for p in picks}:
            seen.add(val[i].motion_id)
            picks.append(val[i])
        if len(picks) == args.motions:
            break
    geometry = model.config  # the model's patch geometry, not the defaults
    mat = part_resampling_matrix(picks[0].skeleton, geometry.points_per_part)
    p, r, _ = patches_from_joints([e.joints for e in picks], mat, stats, geometry.max_frames)
    with torch.inference_mode():
        out = model.forward_motion(torch.from_numpy(p), torch.from_numpy(r))
    for e, words in zip(picks, model.top_words(out.lexical, k=10)):
        print(f"\n{e.motion_id}: \"{e.caption}\"")
        print("  top words: " + ", ".join(f"{w} {s:.2f}" for w, s in words))


if __name__ == "__main__":
    main()
