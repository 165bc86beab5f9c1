"""The ``motionlex`` command line.

Subcommands:
  scan      validate a dataset folder and report what is usable and what is skipped
  stats     compute motion-patch z-score statistics on a training split
  patches   render a motion's patch image to PNG
  events    split a caption into events and print a shuffled order
  train     train a motion-language model from a YAML config
  evaluate  retrieval, CAR and zero-shot metrics of a checkpoint on a split
  index     encode a dataset into a gallery index (dense + lexical)
  search    search a gallery index by text or by motion
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from motionlex.core import __version__

logger = logging.getLogger(__name__)

# Each cmd_* imports core lazily, so that `motionlex --help` starts without torch/spaCy.


def cmd_patches(args: argparse.Namespace) -> int:
    from motionlex.core.motion.files import load_motion_file
    from motionlex.core.patches import (
        MAX_FRAMES,
        PatchStats,
        motion_patch_image,
        part_resampling_matrix,
    )
    from motionlex.core.retrieval.report import save_patch_figure

    path = Path(args.file)
    motion = load_motion_file(path, fps=args.fps, skip_frames=args.skip_frames)
    matrix = part_resampling_matrix(motion.skeleton)
    stats = PatchStats.load(args.stats) if args.stats else None
    joints = motion.joints[: args.max_frames or MAX_FRAMES]
    image = motion_patch_image(joints, matrix, stats)
    title = args.title or f"{path.name}  ({motion.skeleton.name}, {motion.num_frames} frames)"
    out = save_patch_figure(image, args.out, title=title, fps=motion.fps)
    print(f"wrote {out}  (image {tuple(image.shape)}, {len(joints)} frames at {motion.fps:g} fps)")
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    from motionlex.core.data.datasets import MotionDataset
    from motionlex.core.motion.motion import CANONICAL_FPS

    ds = MotionDataset(args.data, args.split, skip_missing=args.skip_missing)
    samples, report = ds.scan(progress=not args.quiet)
    print(report.summary())
    n_caps = sum(len(s.captions) for s in samples)
    frames = sum(s.motion.num_frames for s in samples)
    minutes = frames / CANONICAL_FPS / 60.0
    print(f"captions: {n_caps}; frames: {frames} ({minutes:.1f} min at {CANONICAL_FPS:g} fps)")
    return 0 if report.kept else 1


def cmd_stats(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from motionlex.core.data.datasets import MotionDataset
    from motionlex.core.patches import PatchStatsAccumulator, part_resampling_matrix, sample_points

    acc = PatchStatsAccumulator()
    names = []
    for root in args.data:
        ds = MotionDataset(root, args.split)
        names.append(f"{Path(root).name}/{args.split}")
        for rec in tqdm(ds.records, desc=f"stats {Path(root).name}", unit="motion"):
            m = ds.load_motion(rec)
            acc.update(sample_points(m.joints, part_resampling_matrix(m.skeleton)))
    stats = acc.finalize(source=", ".join(names))
    stats.save(args.out)
    print(f"wrote {args.out}: {stats.count} frames from {stats.source}")
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    from motionlex.core.text.orders import format_events_report

    print(format_events_report(args.caption, seed=args.seed))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from motionlex.core.train.training import train

    if args.quiet:
        for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
            logging.getLogger(name).setLevel(logging.WARNING)
    out = train(args.config, args.data, args.out, overrides=args.overrides,
                max_steps=args.max_steps, init=args.init, resume=args.resume,
                progress=not args.quiet)
    print(f"model written to {out}")
    metrics = Path(args.out) / "val_metrics.json"
    if metrics.is_file():
        print(f"validation metrics: {metrics}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``motionlex`` (subcommands registered here)."""
    p = argparse.ArgumentParser(
        prog="motionlex",
        description="3D human motion and language: motion patches, dense and lexical "
        "embeddings, chronology-aware retrieval.",
    )
    p.add_argument("--version", action="version", version=f"motionlex {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("patches", help="render a motion's patch image to PNG",
                       description="Render the motion-patch image (x, y, z as R, G, B; one "
                       "column block per body part) of a .npy joint file or a .bvh file.")
    s.add_argument("file", help="a new_joints/*.npy file (HumanML3D/KIT-ML) or a .bvh file")
    s.add_argument("--out", required=True, help="output PNG")
    s.add_argument("--stats", help="patch statistics JSON (from 'motionlex stats') to z-score")
    s.add_argument("--fps", type=float, default=None, help="override the file's frame rate")
    s.add_argument("--skip-frames", type=int, default=0, help="drop leading frames (BVH T-pose)")
    s.add_argument("--max-frames", type=int, default=None, help="frames to render (default 224)")
    s.add_argument("--title", default="", help="figure title")
    s.set_defaults(func=cmd_patches)

    s = sub.add_parser("scan", help="validate a dataset folder and report skipped files")
    s.add_argument("data", help="dataset folder (HumanML3D/KIT-ML layout or BVH files)")
    s.add_argument("--split", default="all", help="split name (train, val, test, all)")
    s.add_argument("--skip-missing", action="store_true",
                   help="skip split ids without motion files instead of failing")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_scan)

    s = sub.add_parser("stats", help="compute patch z-score statistics on a training split")
    s.add_argument("data", nargs="+", help="dataset folder(s)")
    s.add_argument("--split", default="train", help="split to compute on (default train)")
    s.add_argument("--out", required=True, help="output JSON")
    s.set_defaults(func=cmd_stats)

    s = sub.add_parser("train", help="train a motion-language model (Lightning)",
                       description="Train the phases of a YAML config on dataset folders; the "
                       "model chosen on the validation split lands in OUT/model as a loadable "
                       "directory (config.json + model.safetensors).")
    s.add_argument("--config", required=True, help="YAML config, e.g. configs/cpu-small.yaml")
    s.add_argument("--data", action="append", required=True,
                   help="dataset folder (repeat for several); train/val splits are read")
    s.add_argument("--out", required=True, help="output folder")
    s.add_argument("--max-steps", type=int, default=None, help="cap on each phase's steps")
    s.add_argument("--init", default=None, help="start from this model directory")
    s.add_argument("--resume", action="store_true", help="continue an interrupted run in OUT")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    s.add_argument("overrides", nargs="*", metavar="key=value",
                   help="config overrides, e.g. lr_motion=1e-4 phases.0.max_steps=10")
    s.set_defaults(func=cmd_train)

    s = sub.add_parser("events", help="split a caption into events, print a shuffled order")
    s.add_argument("caption", help='e.g. "a person jumps twice, then sits down"')
    s.add_argument("--seed", type=int, default=0, help="seed of the shuffled order")
    s.set_defaults(func=cmd_events)

    from motionlex.core.retrieval.evaluate import register as register_evaluate

    register_evaluate(sub)

    from motionlex.core.retrieval.index import register as register_index

    register_index(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``motionlex`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except (FileNotFoundError, ValueError, KeyError, ImportError) as e:
        print(f"motionlex {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
