"""Benchmark: gallery index build and search latency, memory, inverted index vs brute force.

1. Build: encodes real motions (../shared/data/bandai val + cmu_kitml) into an index with the
   chosen model (default: the shipped default model, whose architecture is ``cpu-small``;
   ``--model NAME`` a fresh untrained one, same cost); prints motions/s and the index size
   per motion (per file).
2. Latency: synthetic galleries of 1k, 10k and 100k motions written and loaded through the
   real index code (galleries of ``ANN_MIN_ITEMS`` or more get the stored IVF dense index).
   ``--gallery zipf``: random unit dense vectors, lexical vectors with Zipf-distributed
   words, <= 128 words each as the index stores them. ``--gallery seeded`` (default): each
   synthetic motion is a real motion of ``../shared/data`` (bandai + cmu_kitml, encoded by
   the model) perturbed: its unit embedding plus Gaussian noise of norm 0.5, renormalised
   (cosine ~0.89 to its seed), and its stored lexical vector (128 words, the real sparsity and
   word frequencies) with each weight times a log-normal factor (sigma 0.3). Tiny joints
   (2 frames) keep the disk small. For each size:
   - end to end: real caption text -> model -> top-10 hits with word evidence, for dense,
     lexical (inverted index), lexical (brute-force sparse product) and fused;
   - ranking only, with synthetic 32-word Zipf queries (frequent words, long posting lists):
     inverted index vs brute force, and a check that both give identical top-10s;
   - dense torch matmul vs FAISS ``IndexFlatIP`` (when faiss is installed);
   - with the IVF index (>= ``ANN_MIN_ITEMS``): recall@10 of IVF dense and of candidate
     fused search against exhaustive search, over the same real-caption queries; the brute
     force and rank-only rows are skipped there (they read all 128M stored weights).
3. Memory and open time: a child process loads the model, then opens the largest index
   (load + verify + searcher; timed) and searches in every mode; its peak RSS is printed.

Usage: python benchmarks/search.py [--checkpoint DIR | --model cpu-small] [--sizes 1000 10000
100000] [--queries 50] [--gallery seeded|zipf]   (default checkpoint: the shipped model)
Targets (issue 4): at 10k, end to end p50 <= 30 ms and p95 <= 60 ms; the inverted index
faster than brute force at 100k with identical top-10; peak RSS searching 100k <= 1 GB.
Targets (issue 13) at 1M: p95 <= 100 ms every mode, recall@10 >= 0.95, open <= 5 s, peak
RSS <= 4 GB.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import torch  # noqa: E402

from motionlex.core.data.datasets import MotionDataset  # noqa: E402
from motionlex.core.data.text_files import read_captions
from motionlex.core.model.factory import load_checkpoint  # noqa: E402
from motionlex.core.motion.skeleton import SMPL22  # noqa: E402
from motionlex.core.patches import (  # noqa: E402
    PatchStats,
    PatchStatsAccumulator,
    part_resampling_matrix,
    sample_points,
)
from motionlex.core.retrieval.ann import ANN_MIN_ITEMS, faiss_available  # noqa: E402
from motionlex.core.retrieval.build import build_index  # noqa: E402
from motionlex.core.retrieval.fingerprints import model_fingerprint  # noqa: E402
from motionlex.core.retrieval.fusion import fuse  # noqa: E402
from motionlex.core.retrieval.index import GalleryIndex, IndexSettings  # noqa: E402
from motionlex.core.retrieval.index_writer import write_index  # noqa: E402
from motionlex.core.retrieval.metrics import top_k  # noqa: E402
from motionlex.core.retrieval.search import Searcher  # noqa: E402
from motionlex.core.retrieval.sparse import brute_force_scores, inverted_scores  # noqa: E402
from motionlex.resources import default_model_dir  # noqa: E402

HERE = Path(__file__).resolve().parents[1]
DATA = HERE.parent / "shared" / "data"
WORDS_PER_MOTION = 128


def pct(times: list[float]) -> str:
    a = np.asarray(times) * 1e3
    return f"p50 {np.percentile(a, 50):6.1f} ms  p95 {np.percentile(a, 95):6.1f} ms"


def real_captions(n: int) -> list[str]:
    caps = []
    for root in (DATA / "bandai", DATA / "cmu_kitml"):
        for f in sorted((root / "texts").glob("*.txt"))[::17]:
            caps += [c.text for c in read_captions(f)[:1]]
    rng = np.random.default_rng(0)
    return [caps[i] for i in rng.permutation(len(caps))[:n]]


def load_model(args: argparse.Namespace, out: Path):
    """The model directory to benchmark (a checkpoint, or a fresh registered model saved)."""
    from motionlex.core.model.factory import create_model
    from motionlex.core.model.model import MotionTextModel

    if args.checkpoint or not args.model:
        return Path(args.checkpoint or default_model_dir())
    ds = MotionDataset(DATA / "bandai", "val")
    acc = PatchStatsAccumulator()
    for rec in ds.records:
        m = ds.load_motion(rec)
        acc.update(sample_points(m.joints, part_resampling_matrix(m.skeleton)))
    torch.manual_seed(0)
    d = out / "model"
    create_model(args.model, device="cpu").save_pretrained(
        d, extra_json={"patch_stats.json": acc.finalize("bandai/val").to_dict()})
    MotionTextModel.from_pretrained(d, device="cpu")  # check it loads
    return d


def bench_build(model, stats: PatchStats, out: Path) -> None:
    data = [DATA / "bandai", DATA / "cmu_kitml"]
    n_frames = 0
    for root in data:
        ds = MotionDataset(root, "all" if root.name == "cmu_kitml" else "val")
        n_frames += sum(ds.load_motion(r).num_frames for r in ds.records)
    t0 = time.perf_counter()
    rep = build_index(model, [data[0]], out / "build.mlx", patch_stats=stats, split="val",
                      progress=False)
    rep2 = build_index(model, [data[1]], out / "build.mlx", progress=False)
    total = time.perf_counter() - t0
    idx = rep2.index
    n = len(idx)
    print(f"build: {n} real motions (bandai val + cmu_kitml, {n_frames} frames at 20 fps), "
          f"model {model.config.name}, {torch.get_num_threads()} threads")
    print(f"  encode + write       : {n / total:8.1f} motions/s  ({total:.1f} s; "
          f"{rep.added + rep2.added} encoded)")
    per = {k: v["bytes"] / n for k, v in idx.manifest["files"].items()}
    print(f"  index size per motion: {idx.size_bytes() / n / 1024:8.1f} KiB  ("
          + ", ".join(f"{k} {v / 1024:.1f}" for k, v in sorted(per.items(), key=lambda x: -x[1])
                      if v > 512) + " KiB)")
    searchable = per["dense.npy"] + per["lexical.npz"] + sum(
        v for k, v in per.items() if k.startswith("inverted"))
    print(f"  searchable part      : {searchable / 1024:8.2f} KiB/motion (dense + lexical + "
          f"inverted; joints are for playback)")


def zipf_probs(v: int, rng: np.random.Generator, skip: int = 1000) -> np.ndarray:
    """Word probabilities ~ 1/rank over ids >= skip (special/unused ids never drawn)."""
    p = np.zeros(v)
    ranks = rng.permutation(v - skip) + 1
    p[skip:] = 1.0 / ranks
    return p / p.sum()


def synthetic_lexical(n: int, v: int, p: np.ndarray, rng: np.random.Generator) -> sp.csr_matrix:
    cols = np.sort(rng.choice(v, size=(n, WORDS_PER_MOTION + 20), p=p), axis=1)
    keep = np.ones_like(cols, bool)
    keep[:, 1:] = cols[:, 1:] != cols[:, :-1]
    keep &= np.cumsum(keep, axis=1) <= WORDS_PER_MOTION
    rows = np.repeat(np.arange(n), keep.sum(axis=1))
    vals = rng.lognormal(0.0, 0.7, size=len(rows)).astype(np.float32)
    m = sp.csr_matrix((vals, (rows, cols[keep])), shape=(n, v))
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    m = sp.csr_matrix(sp.diags((1.0 / norms).astype(np.float32)) @ m, dtype=np.float32)
    m.sort_indices()
    return m


def seed_index(model, stats: PatchStats, out: Path) -> GalleryIndex:
    """Real motions encoded by the model: the seeds of ``--gallery seeded``."""
    path = out / "seeds.mlx"
    t0 = time.perf_counter()
    build_index(model, [DATA / "bandai", DATA / "cmu_kitml"], path, patch_stats=stats,
                progress=False)
    idx = GalleryIndex.load(path, verify=False)
    print(f"seeds: {len(idx)} real motions (bandai + cmu_kitml) encoded in "
          f"{time.perf_counter() - t0:.0f} s")
    return idx


def seeded_vectors(n: int, seeds: GalleryIndex, rng: np.random.Generator
                   ) -> tuple[np.ndarray, sp.csr_matrix]:
    """``n`` perturbed copies of real motions' dense and lexical vectors (module doc)."""
    src = seeds.dense_float32()
    lex = seeds.lexical
    pick = rng.integers(0, len(src), n)
    dense = np.empty((n, src.shape[1]), np.float32)
    counts = np.diff(lex.indptr)[pick]
    indptr = np.zeros(n + 1, np.int64)
    indptr[1:] = np.cumsum(counts)
    indices = np.empty(int(indptr[-1]), np.int32)
    data = np.empty(int(indptr[-1]), np.float32)
    for a in range(0, n, 100_000):
        b = min(a + 100_000, n)
        x = src[pick[a:b]] + 0.5 * rng.standard_normal((b - a, src.shape[1]), np.float32) / \
            np.sqrt(src.shape[1])
        dense[a:b] = x / np.linalg.norm(x, axis=1, keepdims=True)
        c = counts[a:b]
        offs = np.repeat(lex.indptr[pick[a:b]] - indptr[a:b], c) + \
            np.arange(indptr[a], indptr[b])
        indices[indptr[a]:indptr[b]] = lex.indices[offs]
        w = lex.data[offs] * rng.lognormal(0.0, 0.3, len(offs)).astype(np.float32)
        norms = np.sqrt(np.add.reduceat(w.astype(np.float64) ** 2, np.r_[0, np.cumsum(c)[:-1]]))
        data[indptr[a]:indptr[b]] = w / np.repeat(norms, c).astype(np.float32)
    return dense, sp.csr_matrix((data, indices, indptr), shape=(n, lex.shape[1]))


def make_gallery(n: int, model, stats: PatchStats, out: Path, p: np.ndarray,
                 seeds: GalleryIndex | None) -> Path:
    rng = np.random.default_rng(n)
    v, d = len(model.vocabulary), model.config.embed_dim
    if seeds is not None:
        dense, lexical = seeded_vectors(n, seeds, rng)
    else:
        dense = rng.normal(size=(n, d)).astype(np.float32)
        dense /= np.linalg.norm(dense, axis=1, keepdims=True)
        lexical = synthetic_lexical(n, v, p, rng)
    pose = np.zeros((2, 22, 3), np.float16)
    items = {"ids": [f"syn/{i:07d}" for i in range(n)],
             "captions": [[f"synthetic motion {i}"] for i in range(n)],
             "sources": [f"/synthetic/{i:07d}.npy" for i in range(n)],
             "source_sha256": [""] * n, "datasets": ["syn"] * n, "meta": [{}] * n}
    path = out / f"syn{n}.mlx"
    t0 = time.perf_counter()
    write_index(path, dense=dense, lexical=lexical, items=items,
                joints=[pose] * n, num_frames=np.full(n, 2), fps=np.full(n, 20.0),
                skeleton_ids=np.zeros(n), skeletons=[SMPL22], patch_stats=stats,
                vocabulary=model.vocabulary,
                model_info={"sha256": model_fingerprint(model), "name": model.config.name,
                            "embed_dim": d, "lexical_similarity": "cosine", "checkpoint": None},
                settings=IndexSettings())
    if n >= ANN_MIN_ITEMS:
        print(f"gallery {n:>7,d}: written in {time.perf_counter() - t0:.0f} s (with the IVF)")
    return path


def exact_recall(idx: GalleryIndex, s: Searcher, queries: list) -> dict[str, float]:
    """Recall@10 of the searcher's dense and fused top-10 against exhaustive search."""
    x = idx.dense_float32()
    got = {"dense": [], "fused": []}
    for q in queries:
        d = x @ q.dense
        lex = s.lexical_scores(q)
        ref = {"dense": top_k(d, 10), "fused": top_k(fuse(d[None], lex[None],
                                                            s.fusion_weight)[0], 10)}
        for mode in got:
            hits = {h.index for h in s.search(q, 10, mode, words=0)}
            got[mode].append(len(hits & set(ref[mode].tolist())) / 10)
    return {m: float(np.mean(v)) for m, v in got.items()}


def bench_size(path: Path, model, captions: list[str], p: np.ndarray) -> dict:
    t0 = time.perf_counter()
    idx = GalleryIndex.load(path, model)
    big = len(idx) >= ANN_MIN_ITEMS
    s = Searcher(idx, model, verify_model=False, dense_backend="auto" if big else "torch")
    load = time.perf_counter() - t0
    n = len(idx)
    ivf = f", IVF nlist {idx.ann['nlist']} nprobe {idx.ann['nprobe']}" if idx.ann else ""
    print(f"gallery {n:>7,d}: load + verify + searcher {load:.2f} s, dense {s.dense_kind}{ivf}, "
          f"{idx.inverted.nnz / n:.0f} words/motion, {idx.size_bytes() / 2**20:.0f} MiB")
    for c in captions[:5]:  # warm-up
        s.search(s.embed_text(c), 10, "fused")
    embed = []
    for c in captions:
        t = time.perf_counter()
        s.embed_text(c)
        embed.append(time.perf_counter() - t)
    print(f"  text embedding only         : {pct(embed)}")
    res = {}
    for label, mode, method in (("dense", "dense", "inverted"),
                                ("lexical, inverted index", "lexical", "inverted"),
                                *(() if big else (("lexical, brute force", "lexical", "brute"),)),
                                ("fused (inverted)", "fused", "inverted")):
        times, cpu = [], []
        for c in captions:
            t, tc = time.perf_counter(), time.process_time()
            hits = s.search(s.embed_text(c), 10, mode, lexical_method=method)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - tc)
        assert len(hits) == 10
        res[label] = times
        print(f"  end to end, {label:<24s}: {pct(times)}   (CPU time {pct(cpu)})")
    if big:
        rec = exact_recall(idx, s, [s.embed_text(c) for c in captions])
        print(f"  recall@10 against exhaustive search: dense (IVF) {rec['dense']:.3f}, fused "
              f"(IVF + lexical candidates) {rec['fused']:.3f}  (target >= 0.95)")
        res["recall"] = rec
        return res
    # ranking only, frequent-word queries
    rng = np.random.default_rng(1)
    inv, brute, same = [], [], 0
    for _ in range(len(captions)):
        ids = np.unique(rng.choice(len(p), size=32, p=p))
        w = rng.random(len(ids)).astype(np.float32)
        w /= np.linalg.norm(w)
        t = time.perf_counter()
        a = top_k(inverted_scores(idx.inverted, ids, w), 10)
        inv.append(time.perf_counter() - t)
        t = time.perf_counter()
        b = top_k(brute_force_scores(idx.lexical, ids, w), 10)
        brute.append(time.perf_counter() - t)
        same += list(a) == list(b)
    print(f"  rank only (32 Zipf words), inverted index: {pct(inv)}")
    print(f"  rank only (32 Zipf words), brute force   : {pct(brute)}   identical top-10: "
          f"{same}/{len(captions)}")
    res["inv_rank"], res["brute_rank"], res["same"] = inv, brute, same
    try:
        fs = Searcher(idx, model, verify_model=False, dense_backend="faiss")
        qs = [s.embed_text(c) for c in captions[:20]]
        tt, tf = [], []
        for q in qs:
            t = time.perf_counter()
            s.search(q, 10, "dense", words=0)
            tt.append(time.perf_counter() - t)
            t = time.perf_counter()
            fs.search(q, 10, "dense", words=0)
            tf.append(time.perf_counter() - t)
        print(f"  rank only dense: torch {pct(tt)};  faiss {pct(tf)}")
    except ImportError:
        print("  (faiss not installed)")
    return res


def memory_child(index: str, checkpoint: str, captions_file: str) -> None:
    """Load model + index, search every mode; print peak RSS as JSON."""

    t0 = time.perf_counter()
    model, _ = load_checkpoint(checkpoint, "cpu")
    t1, c1 = time.perf_counter(), time.process_time()
    idx = GalleryIndex.load(index, model)
    s = Searcher(idx, model, verify_model=False)
    t2, c2 = time.perf_counter(), time.process_time()
    caps = json.loads(Path(captions_file).read_text())
    for c in caps:
        q = s.embed_text(c)
        for mode in ("dense", "lexical", "fused"):
            s.search(q, 10, mode)
        if len(idx) < ANN_MIN_ITEMS:
            s.search(q, 10, "lexical", lexical_method="brute")
        else:
            idx.joints(int(s.search(q, 1, "dense")[0].index))  # playback of the top hit
    # VmHWM: peak RSS of this process's own address space (ru_maxrss would also count the
    # parent's memory, inherited through fork/exec on Linux)
    status = Path("/proc/self/status")
    if status.is_file():
        line = next(ln for ln in status.read_text().splitlines() if ln.startswith("VmHWM:"))
        peak = int(line.split()[1]) / 1024
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_rss_mib": peak, "faiss": s.uses_faiss, "n": len(idx),
                      "model_s": t1 - t0, "open_s": t2 - t1, "open_cpu_s": c2 - c1,
                      "dense": s.dense_kind}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default=None,
                    help="model directory (default: the shipped default model)")
    ap.add_argument("--model", default=None,
                    help="a registered model, fresh and untrained (instead of a checkpoint)")
    ap.add_argument("--gallery", choices=("seeded", "zipf"), default="seeded",
                    help="synthetic gallery kind (module doc)")
    ap.add_argument("--seed-index", default=None,
                    help="an index of real motions built with the same model, as the seeds "
                    "(default: encode bandai + cmu_kitml now)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--skip-build", action="store_true")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch and FAISS threads (default 1: on a shared 2-core machine two "
                    "OpenMP threads stall whenever another process holds a core)")
    ap.add_argument("--memory-child", nargs=3, metavar=("INDEX", "CKPT", "CAPTIONS"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if faiss_available():  # FAISS's OpenMP pool too (its idle threads spin on the other core)
        import faiss

        faiss.omp_set_num_threads(args.threads)
    if args.memory_child:
        memory_child(*args.memory_child)
        return

    with tempfile.TemporaryDirectory(prefix="mlx-bench-") as tmp:
        out = Path(tmp)
        ckpt = load_model(args, out)
        model, stats = load_checkpoint(ckpt, "cpu")
        print(f"CPU: {os.cpu_count()} cores, torch {torch.get_num_threads()} threads; "
              f"load average {os.getloadavg()[0]:.2f}")
        if not args.skip_build:
            bench_build(model, stats, out)
        captions = real_captions(args.queries)
        p = zipf_probs(len(model.vocabulary), np.random.default_rng(0))
        seeds = None
        if args.gallery == "seeded":
            seeds = (GalleryIndex.load(args.seed_index, model) if args.seed_index
                     else seed_index(model, stats, out))
        paths = {}
        for n in args.sizes:
            paths[n] = make_gallery(n, model, stats, out, p, seeds)
            bench_size(paths[n], model, captions, p)
        big = max(args.sizes)
        cf = out / "captions.json"
        cf.write_text(json.dumps(captions))
        r = subprocess.run([sys.executable, __file__, "--threads", str(args.threads),
                            "--memory-child", str(paths[big]), str(ckpt), str(cf)],
                           capture_output=True, text=True, check=True)
        mem = json.loads(r.stdout.strip().splitlines()[-1])
        limit = 4096 if mem["n"] >= ANN_MIN_ITEMS else 1024
        print(f"memory: peak RSS {mem['peak_rss_mib']:.0f} MiB loading the model and the "
              f"{mem['n']:,d}-motion index and searching every mode (dense: {mem['dense']}); "
              f"target <= {limit} MiB -> {'met' if mem['peak_rss_mib'] <= limit else 'NOT met'}")
        print(f"open (fresh process): index load + verify + searcher {mem['open_s']:.2f} s, "
              f"CPU time {mem['open_cpu_s']:.2f} s (model load before it {mem['model_s']:.2f} "
              "s, not counted)")


if __name__ == "__main__":
    main()
