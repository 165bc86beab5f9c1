"""The timed measurements of the GPU benchmark (benchmarks/gpu.py): a LexCMLP training step, the
index build's per-batch work and query latency, with the device helpers they share (syncs,
peak memory, freeing memory) and the row a failed measurement leaves.

Each ``bench_*`` takes the model, the parsed arguments of ``gpu.py``, the device and a NumPy
generator, and returns its result rows (see ``gpu.py``'s docstring for what each one times).
``gpu.py`` imports this module after its ``ensure_motionlex`` has made ``motionlex``
importable (from a plain checkout too).
"""

from __future__ import annotations

import gc
import sys
import time
import traceback

import numpy as np
import torch
import torch.nn.functional as F
from gpu_synthetic import caption_batch, random_walk_motions, synthetic_batch

from motionlex.core.model.model import MotionTextModel
from motionlex.core.model.text_encoder import tokenize_captions
from motionlex.core.motion.skeleton import SMPL22
from motionlex.core.patch_batches import patches_from_joints
from motionlex.core.patches import PatchStats, part_resampling_matrix
from motionlex.core.retrieval.build_rows import encode_batch
from motionlex.core.retrieval.device_patches import pad_joints
from motionlex.core.retrieval.embed import encode_motions, encode_texts
from motionlex.core.retrieval.index import IndexSettings
from motionlex.core.retrieval.sparse import sparsify_lexical
from motionlex.core.train.compile import compile_towers, uncompile
from motionlex.core.train.module import build_optimizer
from motionlex.core.train.objectives import create_objective
from motionlex.core.train.train_config import TrainConfig


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
