"""Benchmark: the GPU path (training step, index build, query latency) for paper-base and cpu-small.

For each model (random-init towers of the papers' shapes: throughput does not depend on the
weights, so no hub, no data files and no spaCy are needed):

1. Training: the LexCMLP objective's forward (bf16 autocast, as Lightning's ``bf16-mixed``) +
   backward + AdamW step (``build_optimizer``: the module's parameter groups and learning
   rates, fused on CUDA) at batch 128 on synthetic patch images and synthetic captions
   (template sentences, about half of them multi-event ", then" captions whose event-shuffled
   copies are the CAR negatives, built by a plain string shuffle), tokenised beforehand as
   the data loader does. Warm-up steps, then timed steps between ``synchronize`` calls:
   pairs/s, peak GPU memory and the host-device syncs left in one step. Last, the same with
   the towers compiled as the training config's ``compile`` does (``--compile``, default
   ``inductor``; ``core/train/compile.py``): the warm-up covers every batch shape twice
   (the second shape compiles again with dynamic sizes) and its seconds are reported.
2. Index build: what ``build_steps`` does per batch of motions (``build_rows.encode_batch``:
   ``encode_motions`` with the top words selected on the device, then the CSR rows) on
   random-walk SMPL-22 joint sequences of 60-224 frames, in bf16 autocast, without file
   reading or writing: motions/s (on CUDA the patch images are made on the device from the
   padded joints). On a few batches also: the same with the other patch images (NumPy ones on
   CUDA; on a CPU the torch ones, so a smoke run checks both paths), and the old path
   (NumPy patch images, full ``(B, V)`` lexical copied to the CPU, ``sparsify_lexical`` in
   NumPy). The parts: CPU patch images per motion (one batched call), CPU padded joints per
   motion (all the device path does on the CPU), the GPU encoder alone on ready patches.
3. Query latency: one caption through ``encode_texts`` + dense top-10 (torch matmul + topk)
   over synthetic unit-vector galleries of 100k and 1M on the device: p50/p95 over 200 queries.

paper-base: ViT-B/16 motion encoder on (3, 224, 80) patch images + a DistilBERT-sized masked
LM (6 layers, 768 wide, 12 heads, vocab 30522). cpu-small: 4-layer ViT width 256 + a MiniLM-
shaped BERT (6 layers, 384 wide). The tokenizer is the one shipped in
``resources/default_model/tokenizer`` (BERT uncased WordPiece).

Usage:
    python benchmarks/gpu.py [--out gpu.json] [--models paper-base cpu-small]
    python benchmarks/gpu.py --device cpu --smoke      # shrunk towers, seconds, for CI/CPU
Output: a Markdown table on stdout; JSON to ``--out`` (default ``$OUT/gpu.json`` when ``$OUT``
is set, else ``benchmarks/gpu.json``). A failing measurement is reported in its row; the
others still run. Targets (issue 13), one H100/H200: paper-base training >= 2,000 pairs/s,
index build >= 5,000 motions/s.
Runs from a plain checkout: when ``motionlex`` is not importable, a temporary folder holding
a ``motionlex`` namespace of symlinks to the repository's folders is put first on sys.path.
The synthetic models and inputs are in ``gpu_synthetic.py``, the measurements in
``gpu_measures.py`` (siblings in benchmarks/, imported once ``motionlex`` is).
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TARGETS = {("paper-base", "train"): 2000.0, ("paper-base", "compiled train"): 2000.0,
           ("paper-base", "index build"): 5000.0}


def ensure_motionlex() -> str:
    """Import ``motionlex.core``; from a plain checkout, through a symlinked namespace folder."""
    try:
        import motionlex.core  # noqa: F401

        return "installed"
    except ImportError:
        pass
    for name in [m for m in sys.modules if m == "motionlex" or m.startswith("motionlex.")]:
        del sys.modules[name]
    shim = Path(tempfile.mkdtemp(prefix="motionlex-shim-")) / "motionlex"
    shim.mkdir()
    for folder in ("core", "app", "widgets", "resources"):
        if (REPO / folder).is_dir():
            (shim / folder).symlink_to(REPO / folder, target_is_directory=True)
    sys.path.insert(0, str(shim.parent))
    importlib.invalidate_caches()
    import motionlex.core  # noqa: F401

    return f"shim {shim.parent}"


IMPORT_MODE = ensure_motionlex()

# siblings in benchmarks/ (the script's folder is first on sys.path); they import motionlex,
# so they come after ensure_motionlex
from gpu_measures import bench_index, bench_query, bench_train, error_row, free  # noqa: E402
from gpu_synthetic import TEXT_TOWERS, build_model  # noqa: E402

from motionlex.core.train.compile import compile_off  # noqa: E402


def count_params(module: torch.nn.Module) -> float:
    return round(sum(p.numel() for p in module.parameters()) / 1e6, 1)


def run_model(name: str, tokenizer, args, device, t_start: float) -> list[dict]:
    rows: list[dict] = []
    rng = np.random.default_rng(0)
    model = None
    try:
        model = build_model(name, tokenizer, device, args.smoke)
        shapes = {"motion_M": count_params(model.motion), "text_M": count_params(model.text),
                  "total_M": count_params(model)}
        rows.append({"measure": "params", "value": shapes["total_M"], "unit": "M", **shapes})
    except Exception as exc:  # noqa: BLE001
        return [error_row("build", exc)]

    def over_budget() -> bool:
        return time.perf_counter() - t_start > args.budget_s

    steps = [("train", bench_train), ("index build", bench_index), ("query", bench_query)]
    if not compile_off(args.compile):
        steps.append(("compiled train",
                      lambda *a: bench_train(*a, compile_backend=args.compile)))
    for measure, fn in steps:
        if measure.split()[0] in args.skip:
            continue
        if over_budget():
            rows.append({"measure": measure, "value": None, "unit": "",
                         "error": f"skipped: over the {args.budget_s:.0f} s budget"})
            continue
        try:
            out = fn(model, args, device, rng)
            if measure.endswith("train"):
                rows.append({"measure": measure, **out})
            else:
                rows.extend(out)
        except Exception as exc:  # noqa: BLE001 - report it in the row, go on
            rows.append(error_row(measure, exc))
            if model is not None:
                model.zero_grad(set_to_none=True)
            free(device)
    del model
    free(device)
    return rows


def fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:,.1f}" if abs(v) >= 10 else f"{v:.3g}"
    return str(v)


def table(results: list[dict]) -> str:
    lines = ["| model | measurement | result | details |", "|---|---|---|---|"]
    skip = {"model", "measure", "value", "unit", "error", "target", "meets_target"}
    for r in results:
        if r.get("error"):
            res = f"**failed**: {r['error']}"
        else:
            res = f"{fmt(r['value'])} {r['unit']}"
            if "target" in r:
                res += f" ({'meets' if r['meets_target'] else 'misses'} >= {r['target']:,.0f})"
        det = ", ".join(f"{k} {fmt(v)}" for k, v in r.items() if k not in skip and v is not None)
        lines.append(f"| {r['model']} | {r['measure']} | {res} | {det} |")
    return "\n".join(lines)


def default_out() -> Path:
    if os.environ.get("OUT"):
        return Path(os.environ["OUT"]) / "gpu.json"
    return REPO / "benchmarks" / "gpu.json"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default=None, help="cuda (default when present) or cpu")
    p.add_argument("--smoke", action="store_true", help="shrunk towers and sizes (CPU check)")
    p.add_argument("--models", nargs="+", default=["paper-base", "cpu-small"],
                   choices=sorted(TEXT_TOWERS))
    p.add_argument("--skip", nargs="*", default=[],
                   choices=["train", "index", "query", "compiled"])
    p.add_argument("--compile", default=None,
                   help="torch.compile backend of the compiled-towers training row (inductor; "
                        "with --smoke aot_eager, which traces without minutes of CPU code "
                        "generation; none: no such row)")
    p.add_argument("--batch", type=int, default=None, help="training batch (128)")
    p.add_argument("--warmup", type=int, default=None, help="warm-up steps (5)")
    p.add_argument("--steps", type=int, default=None, help="timed steps (20)")
    p.add_argument("--motions", type=int, default=None, help="motions to index (20000)")
    p.add_argument("--index-batch", type=int, default=None, help="index batch (256)")
    p.add_argument("--index-seconds", type=float, default=None,
                   help="stop indexing after this many seconds per model (30)")
    p.add_argument("--gallery", type=int, nargs="+", default=None,
                   help="gallery sizes (100000 1000000)")
    p.add_argument("--queries", type=int, default=None, help="queries per gallery (200)")
    p.add_argument("--budget-s", type=float, default=None,
                   help="skip measurements that would start after this many seconds (300)")
    p.add_argument("--no-amp", dest="amp", action="store_false", help="float32, no bf16")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    full = dict(batch=128, warmup=5, steps=20, motions=20000, index_batch=256,
                index_seconds=30.0, gallery=[100_000, 1_000_000], queries=200, budget_s=300.0)
    smoke = dict(batch=8, warmup=1, steps=2, motions=48, index_batch=16, index_seconds=10.0,
                 gallery=[10_000, 100_000], queries=20, budget_s=50.0)
    if args.compile is None:
        args.compile = "aot_eager" if args.smoke else "inductor"
    for k, v in (smoke if args.smoke else full).items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    out_path = args.out or default_out()
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda" and not torch.cuda.is_available():
        print("CUDA is not available here; use --device cpu --smoke for a CPU check")
        return 2
    if device.type == "cpu" and not args.smoke:
        print("no CUDA device: full sizes would take hours on a CPU; use --device cpu --smoke")
        return 2
    t_start = time.perf_counter()
    info = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "torch": torch.__version__, "cuda": torch.version.cuda, "python": platform.python_version(),
        "host": platform.node(), "cpus": os.cpu_count(), "import": IMPORT_MODE,
        "smoke": args.smoke, "bf16_autocast": args.amp,
        "settings": {k: getattr(args, k) for k in full},
    }
    print(f"# GPU path benchmark on {info['device']} (torch {info['torch']}, CUDA "
          f"{info['cuda']}, motionlex {IMPORT_MODE}){' - SMOKE shapes' if args.smoke else ''}",
          flush=True)
    from transformers import AutoTokenizer

    import motionlex.resources

    tok_dir = Path(motionlex.resources.__file__).parent / "default_model" / "tokenizer"
    tokenizer = AutoTokenizer.from_pretrained(str(tok_dir))
    results: list[dict] = []
    for name in args.models:
        t0 = time.perf_counter()
        for row in run_model(name, tokenizer, args, device, t_start):
            row = {"model": name + (" (smoke)" if args.smoke else ""), **row}
            target = TARGETS.get((name, row["measure"]))
            if target is not None and row.get("value") is not None and not args.smoke:
                row["target"], row["meets_target"] = target, bool(row["value"] >= target)
            results.append(row)
            print(f"  {name} {row['measure']}: "
                  f"{row.get('error') or fmt(row['value']) + ' ' + row['unit']}", flush=True)
        print(f"  ({name}: {time.perf_counter() - t0:.0f} s)", flush=True)
        write_json(out_path, info, results, t_start)  # partial results survive a kill
    write_json(out_path, info, results, t_start)
    print()
    print(table(results))
    print(f"\n{info['seconds']} s; imported: {info['imported']}")
    print(f"wrote {out_path}")
    return 0


def write_json(path: Path, info: dict, results: list[dict], t_start: float) -> None:
    info["seconds"] = round(time.perf_counter() - t_start, 1)
    info["imported"] = {m: m in sys.modules for m in
                        ("spacy", "more_itertools", "platformdirs", "faiss", "lightning")}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**info, "results": results}, indent=2, default=str) + "\n")


if __name__ == "__main__":
    sys.exit(main())
