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
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import gc  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

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

from motionlex.core.model.config import MotionTextConfig  # noqa: E402
from motionlex.core.model.factory import model_config  # noqa: E402
from motionlex.core.model.model import MotionTextModel  # noqa: E402
from motionlex.core.model.text_encoder import TextEncoder, tokenize_captions  # noqa: E402
from motionlex.core.motion.skeleton import SMPL22  # noqa: E402
from motionlex.core.patch_batches import patches_from_joints  # noqa: E402
from motionlex.core.patches import PatchStats, part_resampling_matrix  # noqa: E402
from motionlex.core.retrieval.build_rows import encode_batch  # noqa: E402
from motionlex.core.retrieval.device_patches import pad_joints  # noqa: E402
from motionlex.core.retrieval.embed import encode_motions, encode_texts  # noqa: E402
from motionlex.core.retrieval.index import IndexSettings  # noqa: E402
from motionlex.core.retrieval.sparse import sparsify_lexical  # noqa: E402
from motionlex.core.train.compile import compile_off, compile_towers, uncompile  # noqa: E402
from motionlex.core.train.module import build_optimizer  # noqa: E402
from motionlex.core.train.objectives import create_objective  # noqa: E402
from motionlex.core.train.train_config import TrainConfig  # noqa: E402

VOCAB = 30522
# random-init text towers: (transformers config dict, overrides recorded in text_random_init)
TEXT_TOWERS = {
    "paper-base": {"model_type": "distilbert", "vocab_size": VOCAB, "dim": 768, "n_layers": 6,
                   "n_heads": 12, "hidden_dim": 3072},
    "cpu-small": {"model_type": "bert", "vocab_size": VOCAB, "hidden_size": 384,
                  "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536},
}
SMOKE_TEXT = {"distilbert": {"dim": 64, "n_layers": 2, "n_heads": 2, "hidden_dim": 128},
              "bert": {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
                       "intermediate_size": 128}}
SMOKE_MOTION = {"motion_hidden_size": 64, "motion_layers": 2, "motion_heads": 2,
                "motion_intermediate_size": 128}

SUBJECTS = ["a person", "someone", "a man", "a woman", "the figure", "a dancer", "the actor"]
ACTIONS = [
    "walks forward", "walks backwards", "jumps twice", "jumps in place", "waves the left hand",
    "waves the right hand", "sits down", "stands up", "turns around clockwise",
    "turns counterclockwise", "kicks with the right leg", "kicks with the left foot",
    "raises both arms", "lowers the arms", "crouches low", "runs in a circle",
    "steps to the left", "steps to the right", "bows", "throws a ball", "stumbles backwards",
    "dances", "climbs stairs", "claps the hands", "spins around", "squats", "stretches",
    "punches forward", "hops on one foot", "looks over the shoulder", "picks something up",
    "lies down", "crawls on the floor", "does a cartwheel", "salutes", "shrugs",
]
MANNERS = ["", "", "slowly", "quickly", "carefully", "with energy", "while looking up"]


def caption_batch(rng: np.random.Generator, n: int) -> tuple[list[str], list[str], list[int]]:
    """``n`` distinct captions, CAR negatives (events of multi-event captions shuffled by
    string: no spaCy) and the row each negative belongs to."""
    texts, events_of, seen = [], [], set()
    while len(texts) < n:
        subject = SUBJECTS[rng.integers(len(SUBJECTS))]
        k = 1 if rng.random() < 0.5 else int(rng.integers(2, 4))
        events = []
        for _ in range(k):
            manner = MANNERS[rng.integers(len(MANNERS))]
            events.append(f"{ACTIONS[rng.integers(len(ACTIONS))]} {manner}".strip())
        text = f"{subject} " + ", then ".join(events)
        if text not in seen and len(set(events)) == len(events):
            seen.add(text)
            texts.append(text)
            events_of.append((subject, events))
    negatives, owner = [], []
    for row, (subject, events) in enumerate(events_of):
        if len(events) < 2:
            continue
        order = list(range(len(events)))
        while order == sorted(order):
            rng.shuffle(order)
        negatives.append(f"{subject} " + ", then ".join(events[i] for i in order))
        owner.append(row)
    return texts, negatives, owner


def build_model(name: str, tokenizer, device: torch.device, smoke: bool) -> MotionTextModel:
    """A random-init model of the registered config's shapes (no hub, no pretrained files)."""
    tower = dict(TEXT_TOWERS[name])
    motion = {}
    if smoke:
        tower.update(SMOKE_TEXT[tower["model_type"]])
        motion = dict(SMOKE_MOTION)
    overrides = {k: v for k, v in tower.items() if k != "model_type"}
    cfg: MotionTextConfig = dataclasses.replace(
        model_config(name), motion_pretrained=None, text_pretrained=False,
        text_random_init=overrides, **motion,
    )
    text = TextEncoder.from_config_dict(tower, tokenizer, max_length=cfg.max_text_length)
    return MotionTextModel(cfg, text=text).to(device)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_gib(device: torch.device) -> float | None:
    if device.type != "cuda":
        return None
    return round(torch.cuda.max_memory_allocated(device) / 2**30, 2)


def count_syncs(fn, device: torch.device, *args) -> int | None:
    """Host-device synchronisations during ``fn(*args)`` (CUDA's sync debug mode; None off
    CUDA).

    Each one stops the host from queueing work ahead of the GPU; a training step should
    have none of its own."""
    if device.type != "cuda":
        return None
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            fn(*args)
        finally:
            torch.cuda.set_sync_debug_mode("default")
    return sum("synchroniz" in str(w.message) for w in caught)


def synthetic_batch(rng: np.random.Generator, batch: int, cfg: MotionTextConfig,
                    device: torch.device) -> dict:
    """Patch images with padded (zero) rows beyond each clip's 60-224 frames, captions."""
    frames = rng.integers(60, cfg.max_frames + 1, batch)
    rows = cfg.max_frames // cfg.patch_size
    row_mask = torch.arange(rows)[None, :] < torch.as_tensor(-(-frames // cfg.patch_size))[:, None]
    real = torch.arange(cfg.max_frames)[None, :] < torch.as_tensor(frames)[:, None]  # (B, T)
    patches = torch.randn(batch, 3, cfg.max_frames, cfg.image_size[1]) * real[:, None, :, None]
    texts, negatives, owner = caption_batch(rng, batch)
    return {"patches": patches.to(device), "row_mask": row_mask.to(device), "texts": texts,
            "negative_texts": negatives, "negative_owner": torch.as_tensor(owner)}


def train_step(model, objective, opt, batch: dict, step: int, amp: bool) -> torch.Tensor:
    """One LexCMLP step (autocast forward, backward, gradient clipping at the training
    config's norm as Lightning does, AdamW): the detached loss."""
    with torch.autocast(model.device.type, dtype=torch.bfloat16, enabled=amp):
        out = objective(model, batch, step=step)
    opt.zero_grad(set_to_none=True)
    out["loss"].backward()
    clip = TrainConfig().grad_clip
    if clip:
        params = [p for g in opt.param_groups for p in g["params"]]
        torch.nn.utils.clip_grad_norm_(params, clip, foreach=model.device.type == "cuda")
    opt.step()
    return out["loss"].detach()


def bench_train(model: MotionTextModel, args, device, rng, compile_backend: str | None = None
                ) -> dict:
    """LexCMLP forward (autocast) + backward + AdamW step: pairs/s and peak memory (the
    towers compiled with ``compile_backend``, if given)."""
    compiled = compile_towers(model, compile_backend)
    try:
        return _bench_train(model, args, device, rng, bool(compiled))
    finally:
        uncompile(compiled)


def _bench_train(model: MotionTextModel, args, device, rng, compiled: bool) -> dict:
    model.train()
    objective = create_objective("lexcmlp", model)
    opt = build_optimizer(model, objective, TrainConfig())  # as training builds it
    batches = [synthetic_batch(rng, args.batch, model.config, device) for _ in range(4)]
    for b in batches:  # tokenised by the data loader in training (phase_data), not the step
        tokens = tokenize_captions(model.text.tokenizer, b["texts"] + b["negative_texts"],
                                   model.text.max_length)
        b["text_tokens"] = {k: v.to(device) for k, v in tokens.items()}
    reset_peak(device)
    warmup = max(args.warmup, 2 * len(batches)) if compiled else args.warmup
    total = warmup + args.steps
    losses = []
    t_warm = time.perf_counter()
    for i in range(total):
        if i == warmup:
            sync(device)
            t0 = time.perf_counter()
            warm_s = t0 - t_warm
        losses.append(train_step(model, objective, opt, batches[i % len(batches)], i, args.amp))
    sync(device)
    dt = time.perf_counter() - t0
    loss = [float(x) for x in losses]
    syncs = count_syncs(train_step, device, model, objective, opt, batches[0], total, args.amp)
    if not all(np.isfinite(loss)):
        raise FloatingPointError(f"non-finite loss {loss}")
    negs = np.mean([len(b["negative_texts"]) for b in batches])
    result = {
        "value": args.batch * args.steps / dt, "unit": "pairs/s",
        "step_ms": 1e3 * dt / args.steps, "batch": args.batch, "car_negatives": float(negs),
        "warmup_steps": warmup, "warmup_s": round(warm_s, 1), "timed_steps": args.steps,
        "peak_gib": peak_gib(device),
        "loss_first_last": [round(loss[0], 3), round(loss[-1], 3)],
        "host_syncs_per_step": syncs,
    }
    del opt, objective, batches, losses
    model.zero_grad(set_to_none=True)
    free(device)
    return result


def random_walk_motions(rng: np.random.Generator, n: int) -> list[tuple[np.ndarray, object]]:
    """``n`` SMPL-22 joint sequences (T in [60, 224], metres): a rest pose plus random walks."""
    rest = np.array([[0, 0.9, 0]], np.float32) + 0.25 * rng.standard_normal((22, 3)).astype(
        np.float32)
    out = []
    for t in rng.integers(60, 225, n):
        steps = 0.01 * rng.standard_normal((int(t), 22, 3)).astype(np.float32)
        out.append((rest + np.cumsum(steps, axis=0), SMPL22))
    return out


def bench_index(model: MotionTextModel, args, device, rng) -> list[dict]:
    """``build_steps``' per-batch work (``build_rows.encode_batch``: encode_motions with the top
    words selected on the device, then the CSR rows) per batch; on a few batches the same
    with NumPy patch images, and the old path (NumPy patches, full lexical copied and
    sparsified in NumPy); then the parts."""
    model.eval()
    stats = PatchStats.identity()
    settings = IndexSettings()
    similarity = str(model.config.lexical_similarity)
    bs = args.index_batch

    def new_path(chunk, on_device=None):
        dense, lex = encode_batch(model, chunk, stats, settings, bs,
                                  patches_on_device=on_device)
        return dense.astype(np.float16), lex.nnz

    def old_path(chunk):
        emb = encode_motions(model, chunk, stats, batch_size=bs, long_clips=settings.long_clips,
                             patches_on_device=False)
        lex = sparsify_lexical(emb.lexical, settings.lexical_top_k, similarity)
        return emb.dense.astype(np.float16), lex.nnz

    def timed(fn, motions: int, seconds: float) -> dict:
        done, spent, nnz = 0, 0.0, 0
        t_start = time.perf_counter()
        while done < motions and time.perf_counter() - t_start < seconds:
            chunk = random_walk_motions(rng, min(bs, motions - done))  # not timed
            t0 = time.perf_counter()
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.amp):
                _, k = fn(chunk)
            spent += time.perf_counter() - t0
            nnz, done = nnz + k, done + len(chunk)
        return {"value": done / spent, "unit": "motions/s", "motions": done, "batch": bs,
                "seconds": round(spent, 2), "words_per_motion": nnz / max(done, 1)}

    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.amp):
        new_path(random_walk_motions(rng, bs))  # warm-up (kernels, allocator)
    reset_peak(device)
    rows = [{"measure": "index build", **timed(new_path, args.motions, args.index_seconds),
             "patches": "device" if device.type == "cuda" else "numpy",
             "peak_gib": peak_gib(device)}]
    few = min(args.motions, 8 * bs)
    other = device.type != "cuda"  # the other patch path, so a CPU smoke run checks both
    rows.append({"measure": f"index: {'torch' if other else 'numpy'} patches, device top words",
                 **timed(lambda c: new_path(c, other), few, args.index_seconds / 3)})
    rows.append({"measure": "index: old path (numpy patches, full lexical, numpy sparsify)",
                 **timed(old_path, few, args.index_seconds / 3)})
    # the parts: CPU patch images (one patches_from_joints call per batch, as encode_motions
    # makes them for one skeleton) or only the padded joints (the device path), the encoder
    # alone on ready patches
    sample = random_walk_motions(rng, min(args.motions, 2 * bs, 1024))
    matrix = part_resampling_matrix(SMPL22)
    t0 = time.perf_counter()
    for b in range(0, len(sample), bs):
        patches_from_joints([j for j, _ in sample[b:b + bs]], matrix, stats,
                            model.config.max_frames)
    cpu_ms = 1e3 * (time.perf_counter() - t0) / len(sample)
    t0 = time.perf_counter()
    for b in range(0, len(sample), bs):
        pad_joints(SMPL22, [], [j for j, _ in sample[b:b + bs]], model.config.max_frames)
    pad_ms = 1e3 * (time.perf_counter() - t0) / len(sample)
    batch = synthetic_batch(rng, bs, model.config, device)
    reps = 3 if args.smoke else 10
    with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16,
                                                enabled=args.amp):
        for i in range(2 + reps):
            if i == 2:
                sync(device)
                t0 = time.perf_counter()
            out = model.forward_motion(batch["patches"], batch["row_mask"])
        sync(device)
    gpu = bs * reps / (time.perf_counter() - t0)
    rows.append({"measure": "index: encoder only", "value": gpu, "unit": "motions/s",
                 "batch": bs, "cpu_patches_ms_per_motion": round(cpu_ms, 3),
                 "cpu_patches_motions_per_s": round(1e3 / cpu_ms, 1),
                 "cpu_pad_joints_ms_per_motion": round(pad_ms, 3)})
    del out, batch
    free(device)
    return rows


def bench_query(model: MotionTextModel, args, device, rng) -> list[dict]:
    """encode_texts of one caption + dense top-10 over a synthetic gallery on the device."""
    model.eval()
    queries, _, _ = caption_batch(rng, args.queries)
    dim = model.config.embed_dim
    dtype = torch.float16 if device.type == "cuda" else torch.float32
    rows = []
    for size in args.gallery:
        gallery = None
        try:
            g = torch.Generator(device=device).manual_seed(size)
            gallery = F.normalize(torch.randn(size, dim, device=device, generator=g), dim=1)
            gallery = gallery.to(dtype)
            embed_t, search_t = [], []
            warm = queries[:10]
            for i, q in enumerate(warm + queries):  # warm-up queries first
                t0 = time.perf_counter()
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.amp):
                    emb = encode_texts(model, [q])
                t1 = time.perf_counter()
                qv = torch.from_numpy(emb.dense[0]).to(device=device, dtype=dtype)
                top = torch.topk(gallery @ qv, 10)
                idx = top.indices.cpu().numpy()
                t2 = time.perf_counter()
                if i >= len(warm):
                    embed_t.append(t1 - t0)
                    search_t.append(t2 - t1)
            assert len(idx) == 10
            tot = np.add(embed_t, search_t) * 1e3
            e, s = np.asarray(embed_t) * 1e3, np.asarray(search_t) * 1e3
            rows.append({
                "measure": f"query {size:,}", "value": float(np.percentile(tot, 50)),
                "unit": "ms p50", "p95_ms": float(np.percentile(tot, 95)),
                "embed_p50_ms": float(np.percentile(e, 50)),
                "embed_p95_ms": float(np.percentile(e, 95)),
                "topk_p50_ms": float(np.percentile(s, 50)),
                "topk_p95_ms": float(np.percentile(s, 95)), "queries": len(queries),
            })
        except Exception as exc:  # noqa: BLE001 - one failing size must not stop the others
            rows.append(error_row(f"query {size:,}", exc))
        finally:
            del gallery
            free(device)
    return rows


def free(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def error_row(measure: str, exc: BaseException) -> dict:
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    print("".join(tb[-6:]), file=sys.stderr)
    return {"measure": measure, "value": None, "unit": "",
            "error": f"{type(exc).__name__}: {exc}"[:400]}


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
