"""Benchmark: does `motionlex describe` name a motion's action? (motion-to-text over the bank)

Every clip of a Bandai split (the action is the second field of the id,
``bn1_bow_normal_001``) is described with the checkpoint's caption bank
(``core/retrieval/describe.py``, as ``motionlex describe`` does), and the top caption is
checked for the clip's own verb (the third word of its first caption, "a person bows." ->
"bows"). Prints, per split, the share over all clips, over the clips of rare actions (fewer
than 60 training clips) and averaged over actions, for captions ranked by fused score and by
CSLS with the hubness of the checkpoint's ``caption_bank_hubness.json``
(``core/retrieval/hubness.py``), and the remaining misses.

``--write-hubness`` first computes that file from the checkpoint's training motions (the
train splits of ``--query-bank`` folders, default ``--data``) and writes it into the
checkpoint folder (the shipped model's was written so, from Bandai train and CMU KIT-ML).

Usage: python benchmarks/describe_actions.py [--data ../shared/data/bandai]
       [--checkpoint DIR] [--splits train val] [--write-hubness [--query-bank DIR ...]]

Measured 2026-12-08, shipped default (stage 5), 2 CPU cores, 2,932 train / 70 val clips:
fused ranking train 98.6% (rare 71.1%, per action 74.4%), val 98.6%; CSLS (K = 10) train
98.8% (rare 78.1%, per action 84.4%), val 98.6%.
"""

from __future__ import annotations

import argparse
import collections
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from motionlex.core.model.lite_load import load_for_queries
from motionlex.core.motion.files import load_motion_file
from motionlex.core.retrieval.describe import (
    BANK_FILE,
    BANK_WORDS,
    bank_captions,
    best_captions,
    caption_bank_steps,
    checkpoint_weight,
)
from motionlex.core.retrieval.embed import encode_motions
from motionlex.core.retrieval.hubness import bank_hubness, read_hubness, write_hubness
from motionlex.core.retrieval.sparse import sparsify_lexical
from motionlex.core.steps import run_steps
from motionlex.resources import default_model_dir

HERE = Path(__file__).resolve().parents[1]


def words(caption: str) -> list[str]:
    """A caption's lower-case words ("a person bows." -> a, person, bows)."""
    return re.findall(r"[a-z]+", caption.lower())


ENCODED: dict = {}


def encode_split(model, stats, root: Path, split: str):  # noqa: ANN001, ANN201
    """Ids, dense (N, D) and lexical CSR (N, V) rows of a dataset split, as an index keeps them
    (encoded once per run)."""
    key = (str(Path(root).resolve()), split)
    if key in ENCODED:
        return ENCODED[key]
    ids = (root / f"{split}.txt").read_text().split()
    motions = [load_motion_file(root / "new_joints" / f"{i}.npy") for i in ids]
    emb = encode_motions(model, motions, stats, progress=True)
    lexical = sp.vstack([sparsify_lexical(emb.lexical[i:i + 1], BANK_WORDS,
                                          str(model.config.lexical_similarity))
                         for i in range(len(ids))]).tocsr()
    ENCODED[key] = ids, emb.dense, lexical
    return ENCODED[key]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--data", default=str(HERE.parent / "shared" / "data" / "bandai"))
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--splits", nargs="+", default=["train", "val"])
    p.add_argument("--write-hubness", action="store_true")
    p.add_argument("--query-bank", nargs="+", default=None)
    args = p.parse_args()
    ck = Path(args.checkpoint) if args.checkpoint else default_model_dir()
    model, stats = load_for_queries(ck, "cpu")
    captions, source = bank_captions(ck, default_model_dir() / BANK_FILE)
    bank = run_steps(caption_bank_steps(model, captions, source))
    weight = checkpoint_weight(ck)  # its val_metrics.json, read once
    root = Path(args.data)
    if args.write_hubness:
        parts = [encode_split(model, stats, Path(f), "train")[1:]
                 for f in (args.query_bank or [args.data])]
        names = ", ".join(f"{Path(f).name} train" for f in (args.query_bank or [args.data]))
        hub = bank_hubness(bank.dense, bank.lexical, np.concatenate([d for d, _ in parts]),
                           sp.vstack([lx for _, lx in parts]).tocsr(),
                           query_bank=f"{names} ({sum(len(d) for d, _ in parts):,} motions)")
        print("wrote", write_hubness(ck, captions, hub))
    hub = read_hubness(ck, captions)
    train_counts = collections.Counter(i.split("_")[1]
                                       for i in (root / "train.txt").read_text().split())
    for split in args.splits:
        ids, dense, lexical = encode_split(model, stats, root, split)
        verbs = [words((root / "texts" / f"{i}.txt").read_text().split("#")[0])[2] for i in ids]
        actions = [i.split("_")[1] for i in ids]
        rare = np.array([train_counts[a] < 60 for a in actions])
        rankings = {"fused": bank}
        if hub is not None:
            rankings["CSLS"] = replace(bank, hubness=hub)
        for name, b in rankings.items():
            top = [c for c, _ in best_captions(b, dense, lexical, weight)]
            hit = np.array([v in words(c) for v, c in zip(verbs, top)])
            per = collections.defaultdict(list)
            for a, h in zip(actions, hit):
                per[a].append(h)
            rare_share = f"{hit[rare].mean():.1%} of {rare.sum()}" if rare.any() else "none"
            print(f"{split} {name}: the top caption names the action for {hit.sum()} of "
                  f"{len(hit)} clips ({hit.mean():.1%}); rare actions {rare_share}; "
                  f"averaged over {len(per)} actions "
                  f"{np.mean([np.mean(x) for x in per.values()]):.1%}")
        print("\n".join(f"  {i}: {a} -> {c!r}" for i, a, v, c in zip(ids, actions, verbs, top)
                        if v not in words(c)))


if __name__ == "__main__":
    main()
