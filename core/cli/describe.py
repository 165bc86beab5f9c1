"""``motionlex describe``: the nearest captions of a motion file (retrieval-based captioning).

No caption is generated: the motion is encoded and compared with every caption of the
checkpoint's caption bank (:mod:`motionlex.core.retrieval.describe`), and the best ones are
printed with their scores and the words that carry the lexical match.
"""

from __future__ import annotations

import argparse
import shlex

from motionlex.core.cli.types import DEVICE_HELP, examples, positive_int


def cmd_describe(args: argparse.Namespace) -> int:
    """Describe one motion file by its nearest bank captions."""
    from pathlib import Path

    from motionlex.core.model.lite_load import load_for_queries
    from motionlex.core.motion.files import load_motion_file
    from motionlex.core.motion.query_paths import SUFFIXES
    from motionlex.core.retrieval.describe import (
        BANK_FILE,
        bank_captions,
        caption_bank_steps,
        checkpoint_weight,
        describe_motion,
    )
    from motionlex.core.retrieval.hubness import with_hubness
    from motionlex.core.steps import run_steps_with_bar
    from motionlex.resources import default_model_dir

    if not Path(args.file).exists() and " " in args.file.strip() and Path(
            args.file).suffix.lower() not in SUFFIXES:  # a caption, not a file
        raise FileNotFoundError(
            f"describe takes a motion file (.bvh, .npy), not a text: {args.file!r}; for a "
            f"text's lexical words, motionlex words {shlex.quote(args.file)}")
    motion = load_motion_file(args.file)  # fails early, naming the file
    checkpoint = args.checkpoint or default_model_dir()
    model, stats = load_for_queries(checkpoint, args.device)  # plain torch: no transformers
    captions, source = bank_captions(checkpoint, default_model_dir() / BANK_FILE)
    # the first describe with a model encodes its whole bank (886 captions for the shipped
    # model: tens of seconds on 2 CPU cores), which looked like a hang without a bar
    bank = run_steps_with_bar(caption_bank_steps(model, captions, source),
                              desc="encoding the caption bank (once per model)", unit="caption",
                              disable=args.quiet)
    bank = with_hubness(bank, checkpoint)  # ranked by CSLS where the folder has hubness
    res = describe_motion(model, stats, motion, bank=bank, k=args.k,  # its own fps
                          weight=checkpoint_weight(checkpoint))
    if args.json:  # one document (README "JSON output"; json_output's field names)
        from motionlex.core.cli.json_output import print_json, word_contributions

        print_json({
            "file": str(args.file), "method": "retrieval (nearest captions of a caption bank)",
            "bank_source": res.bank_source, "bank_size": res.bank_size, "fusion_weight": res.weight,
            "ranked_by": res.ranked_by,
            "captions": [{"caption": d.caption, "score": d.score, "dense": d.dense,
                          "lexical": d.lexical, "words": word_contributions(d.words)}
                         for d in res.descriptions],
            # the word's weight in the lexical row scored against the bank: its 128
            # heaviest words over their norm (cosine models; dot models: the raw weight)
            "motion_words": [{"word": w, "share": v} for w, v in res.motion_words],
        })
        return 0
    print(f"{args.file}: nearest of {res.bank_size} captions ({res.bank_source}); "
          "retrieved, not generated")
    w = res.weight
    print(f"fused = {w:.2f} x dense + {1 - w:.2f} x lexical / the best lexical over the bank"
          + ("; ranked by fused less half the caption's hubness (CSLS)"
             if res.ranked_by == "csls" else ""))
    print(f"{'fused':>6} {'dense':>6} {'lexical':>7}  caption  [shared words]")
    from motionlex.core.text.events import visible_text  # a caption's escape codes inert

    for d in res.descriptions:
        words = ", ".join(w for w, _ in d.words)
        print(f"{d.score:6.3f} {d.dense:6.3f} {d.lexical:7.3f}  {visible_text(d.caption)}"
              + (f"  [{words}]" if words else ""))
    print("motion's heaviest words: " + ", ".join(w for w, _ in res.motion_words[:12]))
    return 0


def add_describe_command(sub: argparse._SubParsersAction) -> None:
    """Add the ``describe`` subcommand."""
    s = sub.add_parser(
        "describe", help="describe a motion file by its nearest captions of a caption bank",
        description="Retrieval-based motion captioning: encode a motion file (.bvh, .npy) and "
        "print the k captions of the checkpoint's caption bank nearest to it, with fused, "
        "dense and lexical scores and the shared words. The caption bank is the model's "
        "training captions (for a model without them, the shipped model's, and the output "
        "says so). Near-duplicates of a better caption (cosine >= 0.9) are listed only "
        "when fewer than k others remain. fused = w x dense + (1 - w) x "
        "lexical / the motion's best lexical score over the bank, w the checkpoint's fusion "
        "weight, so a fused score can exceed both parts. Nothing is generated: a motion "
        "unlike the bank still gets its nearest captions.",
        epilog=examples("motionlex describe DATA/raw_bvh/bandai_2_wave-right-hand_normal_001.bvh",
                        "motionlex describe DATA/bandai/new_joints/bn1_kick_normal_001.npy "
                        "-k 10",
                        "motionlex describe walk.bvh --checkpoint runs/tiny/model --json"))
    s.add_argument("file", help="a .bvh or .npy motion file")
    s.add_argument("-k", type=positive_int, default=5, help="captions listed (default 5)")
    s.add_argument("--json", action="store_true", help="print one JSON document instead of "
                   "the table: file, method, bank_source, bank_size, fusion_weight, ranked_by, "
                   "captions (caption, score, dense, lexical, words) and motion_words (word, "
                   "share); "
                   "README's 'JSON output'")
    s.add_argument("--checkpoint", default=None,
                   help="model directory (default: the shipped resources/default_model)")
    s.add_argument("--device", default=None, help=DEVICE_HELP)
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_describe)
