"""Benchmark: what marking the text's own words costs a query and a shown motion.

The explorer's word panel draws the model's expansions (words not in the query or the
motion's captions) apart from the text's own words; the worker finds them with spaCy
(:func:`motionlex.core.text.words.own_words`) for every ranking and every motion shown. This
script runs the worker's rank and motion jobs on the demo gallery with the shipped model,
with the marking and without it (``text_words`` replaced by a no-op), and prints the median
and 90th percentile of each, in milliseconds.

Usage: python benchmarks/word_marking.py [--queries 40]

Measured (2026-12-06, this 2-core machine, 40 queries of new text each pass): the rank job
p50 / p90 9.9-10.0 / 10.5-10.9 ms without marking, 11.7 / 16.1 ms with it (a new query's
parse); a motion's first display 7 ms more at p90 (its captions parsed once, then cached);
a second pass over the same texts costs nothing (9.9 / 10.7 ms).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

QUERIES = [
    "a person waves the left hand", "someone jumps twice, then sits down",
    "a man walks forward and turns right", "a person kicks with the right leg",
    "the person raises both arms above the head", "someone runs in a circle",
    "a person bows, then claps", "a person squats down slowly", "someone punches twice",
    "a person turns around to the left",
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--queries", type=int, default=40)
    args = ap.parse_args()
    from motionlex.app import jobs
    from motionlex.app.gallery_jobs import DEMO_GALLERY
    from motionlex.app.messages import MotionRequest, RankRequest
    from motionlex.app.worker import RankWorker
    from motionlex.core.steps import run_steps
    from motionlex.resources import default_model_dir

    worker = RankWorker(cache_dir=tempfile.mkdtemp(prefix="mlx-words-"), device="cpu")
    run_steps(worker.load_checkpoint_steps(default_model_dir()))
    run_steps(worker.load_steps(DEMO_GALLERY))  # the built-in synthetic demo gallery
    jobs.warm_event_parser()
    real = jobs.text_words
    off = lambda *a, **k: None  # noqa: E731
    # interleaved, twice: warm-up and cache effects fall on both
    for label, marking in (("without", off), ("with marking", real), ("without", off),
                           ("with marking", real)):
        jobs.text_words = marking
        rank, motion = [], []
        for i in range(args.queries):
            req = RankRequest(i + 1, QUERIES[i % len(QUERIES)] + " " * (i // len(QUERIES)))
            t0 = time.perf_counter()
            res = run_steps(worker.rank_steps(req))
            rank.append((time.perf_counter() - t0) * 1e3)
            t0 = time.perf_counter()
            run_steps(jobs.motion_steps(worker.index, MotionRequest(i + 1, res.hits[0]["row"]),
                                    {}))
            motion.append((time.perf_counter() - t0) * 1e3)
        q = lambda xs: (statistics.median(xs), sorted(xs)[int(0.9 * len(xs))])  # noqa: E731
        print(f"{label:>13s}: rank job p50 {q(rank)[0]:6.1f} ms  p90 {q(rank)[1]:6.1f} ms;  "
              f"motion job p50 {q(motion)[0]:6.1f} ms  p90 {q(motion)[1]:6.1f} ms")
    jobs.text_words = real
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
