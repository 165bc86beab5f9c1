"""Benchmark: does `motionlex describe` name a motion's action? (motion-to-text over the bank)

For up to ``--per-action`` clips of each action of a Bandai split (the action is the second
field of the id, ``bn1_bow_normal_001``), the motion is described with the checkpoint's
caption bank (``core/retrieval/describe.py``, as ``motionlex describe`` does) and the top
caption is checked for the clip's own verb (the third word of its first caption, "a person
bows." -> "bows"). Prints the share per split and the misses (clip, its caption, the caption
chosen).

Usage: python benchmarks/describe_actions.py [--data ../shared/data/bandai]
       [--checkpoint DIR] [--per-action 3] [--splits train val]

Measured 2026-12-07, shipped default (stage 5), 2 CPU cores: train 51 / 63 (24 actions),
val 30 / 30 (10 actions); the misses are neighbouring actions (bow -> guide, dash <-> run,
call -> guide or respond, punch and kick -> slash or wave).
"""

from __future__ import annotations

import argparse
import collections
import re
from pathlib import Path

from motionlex.core.model.lite_load import load_for_queries
from motionlex.core.motion.files import load_motion_file
from motionlex.core.retrieval.describe import (
    BANK_FILE,
    bank_captions,
    caption_bank_steps,
    checkpoint_weight,
    describe_motion,
)
from motionlex.core.steps import run_steps
from motionlex.resources import default_model_dir

HERE = Path(__file__).resolve().parents[1]


def words(caption: str) -> list[str]:
    """A caption's lower-case words ("a person bows." -> a, person, bows)."""
    return re.findall(r"[a-z]+", caption.lower())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--data", default=str(HERE.parent / "shared" / "data" / "bandai"))
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--per-action", type=int, default=3)
    p.add_argument("--splits", nargs="+", default=["train", "val"])
    args = p.parse_args()
    ck = Path(args.checkpoint) if args.checkpoint else default_model_dir()
    model, stats = load_for_queries(ck, "cpu")
    captions, source = bank_captions(ck, default_model_dir() / BANK_FILE)
    bank = run_steps(caption_bank_steps(model, captions, source))
    weight = checkpoint_weight(ck)  # its val_metrics.json, read once
    root = Path(args.data)
    for split in args.splits:
        by_action = collections.defaultdict(list)
        for i in (root / f"{split}.txt").read_text().split():
            by_action[i.split("_")[1]].append(i)
        hits, misses = 0, []
        for ids in by_action.values():
            for i in ids[:: max(1, len(ids) // args.per_action)][: args.per_action]:
                m = load_motion_file(root / "new_joints" / f"{i}.npy")
                own = (root / "texts" / f"{i}.txt").read_text().split("#")[0]
                top = describe_motion(model, stats, m.joints, m.skeleton, bank=bank, k=1,
                                      weight=weight).descriptions[0].caption
                ok = words(own)[2] in words(top)  # the verb, punctuation apart
                hits += ok
                if not ok:
                    misses.append(f"  {i}: {own!r} -> {top!r}")
        total = hits + len(misses)
        print(f"{split}: the top caption names the action for {hits} of {total} clips "
              f"({len(by_action)} actions)")
        print("\n".join(misses))


if __name__ == "__main__":
    main()
