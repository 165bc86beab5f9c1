"""Benchmark: opening a stored IVF dense index, IVF-Flat (before) against float16 codes (now).

Both variants open the same stored IVF (``dense_ivf.npz``: centroids and list of each row)
over the same float16 ``dense.npy``, each in a fresh child process:

- ``flat``: the former ``ann.open_ivf``: every row converted to a float32 unit row chunk by
  chunk and added with ``IndexIVFFlat.add_core`` (a reference copy kept here); top-k as FAISS
  returns it.
- ``fp16``: the current ``ann.open_ivf``: an ``IndexIVFScalarQuantizer`` (``QT_fp16``) whose
  lists are filled with the float16 rows as they are; top-k through ``DenseBackend.top_k``
  (the best ``k + IVF_RESCORE_EXTRA`` rescored exactly from ``dense.npy``), and also FAISS's
  own top-k (``fp16-raw``) to show what the rescoring changes.

Printed per variant: open wall and CPU time (reading ``dense_ivf.npz`` + filling the index),
RSS after opening and peak RSS (``VmHWM``), dense top-10 latency p50 / p95 (one thread,
nprobe 32, every query), recall@10 against exact cosine search over the normalised float16
rows (computed once in the parent, chunk by chunk).

Usage:
    python benchmarks/ivf_open.py --prepare /work/exp/dense1m.npy --dir /work/exp/ivf16
        (once: writes DIR/dense.npy as float16 and DIR/dense_ivf.npz with ann.train_ivf)
    python benchmarks/ivf_open.py --dir /work/exp/ivf16 --queries /work/exp/queries.npy
Queries: a ``(Q, D)`` float ``.npy`` of dense query embeddings (e.g. real captions encoded by
the model that made the gallery).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")

from motionlex.core.retrieval import ann  # noqa: E402
from motionlex.core.retrieval.dense_backend import DenseBackend, _FileRows  # noqa: E402

K = 10


def open_ivf_flat(dense, centroids: np.ndarray, lists: np.ndarray, nprobe: int):
    """The former ``ann.open_ivf`` (IVF-Flat, float32 unit rows), for comparison."""
    faiss = ann._faiss()
    n, d = dense.shape
    quant = faiss.IndexFlatIP(d)
    quant.add(np.ascontiguousarray(centroids, np.float32))
    index = faiss.IndexIVFFlat(quant, d, len(centroids), faiss.METRIC_INNER_PRODUCT)
    index.is_trained = True
    index.own_fields = True
    quant.this.disown()
    for a in range(0, n, ann.CHUNK):
        b = min(a + ann.CHUNK, n)
        x = ann._unit_chunk(dense, a, b)
        ids = np.arange(a, b, dtype=np.int64)
        assign = np.ascontiguousarray(lists[a:b], np.int64)
        index.add_core(b - a, faiss.swig_ptr(x), faiss.swig_ptr(ids), faiss.swig_ptr(assign))
    index.nprobe = nprobe
    return index


class _StubIndex:
    """What :class:`DenseBackend` reads of a ``GalleryIndex``: dense rows and the IVF."""

    def __init__(self, folder: Path, nprobe: int) -> None:
        self.path = folder
        self.dense = np.load(folder / "dense.npy", mmap_mode="r")
        self.ann = {"kind": ann.ANN_KIND, "nprobe": nprobe}

    def __len__(self) -> int:
        return len(self.dense)

    def ann_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        with np.load(self.path / ann.ANN_FILE) as z:
            return z["centroids"].astype(np.float32), z["lists"].astype(np.int64)


def _status(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(variant: str, folder: Path, queries: np.ndarray, nprobe: int) -> dict:
    """Open one variant and time its queries; returns the figures and the top-10 rows."""
    t0, c0 = time.perf_counter(), time.process_time()
    stub = _StubIndex(folder, nprobe)
    if variant == "flat":
        cent, lists = stub.ann_arrays()
        index = open_ivf_flat(_FileRows(stub.dense), cent, lists, nprobe)
        search = lambda q: ann.faiss_top_k(index, q, K)  # noqa: E731
    else:
        backend = DenseBackend(stub, "faiss", nprobe=nprobe)  # type: ignore[arg-type]
        assert backend.kind == "ivf"
        search = lambda q: backend.top_k(q, K)  # noqa: E731
        if variant == "fp16-raw":
            search = lambda q: ann.faiss_top_k(backend._ivf, q, K)  # noqa: E731
    out = {"variant": variant, "open_s": time.perf_counter() - t0,
           "open_cpu_s": time.process_time() - c0, "rss_mib": _status("VmRSS"),
           "hwm_open_mib": _status("VmHWM")}
    search(queries[0])  # warm-up
    times, rows = [], []
    for q in queries:
        t = time.perf_counter()
        r, _ = search(q)
        times.append(time.perf_counter() - t)
        rows.append([int(x) for x in r])
    out.update(p50_ms=float(np.percentile(times, 50) * 1e3),
               p95_ms=float(np.percentile(times, 95) * 1e3), rows=rows,
               hwm_mib=_status("VmHWM"), maxrss_mib=resource.getrusage(
                   resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def exact_top(folder: Path, queries: np.ndarray) -> np.ndarray:
    """``(Q, K)`` exact top-10 rows by cosine over the normalised float16 rows."""
    dense = np.load(folder / "dense.npy", mmap_mode="r")
    best_s = np.full((len(queries), K), -np.inf, np.float32)
    best_r = np.zeros((len(queries), K), np.int64)
    for a in range(0, len(dense), ann.CHUNK):
        s = ann._unit_chunk(dense, a, min(a + ann.CHUNK, len(dense))) @ queries.T  # (c, Q)
        allr = np.concatenate([best_r, np.arange(a, a + len(s))[None].repeat(len(queries), 0)],
                              axis=1)
        alls = np.concatenate([best_s, s.T], axis=1)
        pick = np.argsort(-alls, axis=1, kind="stable")[:, :K]
        best_r = np.take_along_axis(allr, pick, 1)
        best_s = np.take_along_axis(alls, pick, 1)
    return best_r


def prepare(src: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    d16 = np.load(src, mmap_mode="r").astype(np.float16)
    np.save(folder / "dense.npy", d16)
    t = time.perf_counter()
    cent, lists = ann.train_ivf(d16)
    print(f"train_ivf: {time.perf_counter() - t:.1f} s, {len(cent)} lists")
    np.savez(folder / ann.ANN_FILE, centroids=cent, lists=lists.astype(np.int32))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", type=Path, required=True)
    ap.add_argument("--prepare", type=Path, help="float32 (N, D) .npy to build DIR from")
    ap.add_argument("--queries", type=Path, help="(Q, D) float .npy of dense queries")
    ap.add_argument("--nprobe", type=int, default=ann.DEFAULT_NPROBE)
    ap.add_argument("--variants", nargs="+", default=["flat", "fp16", "fp16-raw"])
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.prepare:
        prepare(args.prepare, args.dir)
        return
    if args.queries is None:
        ap.error("--queries is needed to time the variants")
    q = np.load(args.queries, allow_pickle=False).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    if args.child:
        print(json.dumps(child(args.child, args.dir, q, args.nprobe)))
        return
    truth = exact_top(args.dir, q)
    n = len(np.load(args.dir / "dense.npy", mmap_mode="r"))
    print(f"{n:,} rows, {len(q)} queries, nprobe {args.nprobe}, k {K}, OMP threads "
          f"{os.environ['OMP_NUM_THREADS']}, load average {os.getloadavg()[0]:.2f}")
    print(f"{'variant':9} {'open s':>7} {'cpu s':>6} {'RSS MiB':>8} {'peak MiB':>9} "
          f"{'p50 ms':>7} {'p95 ms':>7} {'recall@10':>9}")
    for v in args.variants:
        res = subprocess.run([sys.executable, __file__, "--dir", str(args.dir), "--queries",
                              str(args.queries), "--nprobe", str(args.nprobe), "--child", v],
                             capture_output=True, text=True, check=True)
        r = json.loads(res.stdout.strip().splitlines()[-1])
        recall = np.mean([len(set(a) & set(b.tolist())) / K for a, b in zip(r["rows"], truth)])
        print(f"{v:9} {r['open_s']:7.2f} {r['open_cpu_s']:6.2f} {r['rss_mib']:8.0f} "
              f"{r['hwm_mib']:9.0f} {r['p50_ms']:7.2f} {r['p95_ms']:7.2f} {recall:9.3f}")


if __name__ == "__main__":
    main()
