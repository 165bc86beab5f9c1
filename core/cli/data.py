"""``motionlex patches``, ``scan``, ``stats`` and ``events``: motion files, datasets, captions."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from motionlex.core.cli.types import (
    examples,
    frames_or_auto,
    non_negative_int,
    positive_float,
    positive_int,
)


def cmd_patches(args: argparse.Namespace) -> int:
    """``motionlex patches``: save one motion file's motion-patch image as a figure.

    Raises:
        FileNotFoundError / ValueError: the motion file cannot be read (from
            :func:`~motionlex.core.motion.files.load_motion_file`) or the statistics file
            is not one.
    """
    from motionlex.core.motion.file_checks import MotionFileError
    from motionlex.core.motion.files import load_motion_file
    from motionlex.core.patches import (
        MAX_FRAMES,
        PatchStats,
        motion_patch_image,
        part_resampling_matrix,
    )
    from motionlex.core.retrieval.figures import save_patch_figure

    path = Path(args.file)
    try:
        motion = load_motion_file(path, fps=args.fps, skip_frames=args.skip_frames)
    except MotionFileError as e:  # the option as typed, not the Python argument's name
        if args.skip_frames == "auto" or "skip_frames must be" not in str(e):
            raise
        raise MotionFileError(str(e).replace("skip_frames must be", "--skip-frames must be",
                                             1)) from e
    matrix = part_resampling_matrix(motion.skeleton)
    stats = PatchStats.load(args.stats) if args.stats else None
    joints = motion.joints[: args.max_frames or MAX_FRAMES]
    image = motion_patch_image(joints, matrix, stats)
    sk = motion.skeleton
    kind = (f"BVH skeleton, {sk.num_joints} joints as read" if sk.name.startswith("bvh:")
            else f"{sk.name} skeleton")
    shown = (f"{len(joints)} frames" if len(joints) == motion.num_frames
             else f"{len(joints)} of {motion.num_frames} frames")
    title = args.title or f"{path.name}\n{kind}, {shown} at {motion.fps:g} fps"
    out = save_patch_figure(image, args.out, title=title, fps=motion.fps)
    print(f"wrote {out}  (image {tuple(image.shape)}, {shown} at {motion.fps:g} fps)")
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    """``motionlex scan``: load a dataset split and print what it holds and what was skipped.

    Raises:
        ValueError: the split has no usable motion.
    """
    from motionlex.core.data.datasets import MotionDataset
    from motionlex.core.motion.motion import CANONICAL_FPS
    from motionlex.core.wording import count

    ds = MotionDataset(args.data, args.split, skip_missing=True)  # listed, not refused
    samples, report = ds.scan(progress=not args.quiet)
    print(report.summary())
    n_caps = sum(len(s.captions) for s in samples) - len(report.spans)  # usable ones
    bare = sum(not s.captions for s in samples)
    frames = sum(s.motion.num_frames for s in samples)
    minutes = frames / CANONICAL_FPS / 60.0
    print(f"captions: {n_caps:,}" + (f" ({count(bare, 'motion')} without one)" if bare else "")
          + f"; frames: {frames:,} ({minutes:.1f} min at {CANONICAL_FPS:g} fps)")
    if not report.kept:
        listed = Path(args.data) / f"{args.split}.txt"
        empty = listed.is_file() and not listed.read_text(errors="replace").split()
        raise ValueError(f"{listed} lists no motion (another --split?)" if empty else
                         f"{args.data} [{args.split}]: no usable motion"
                         + (" (the reasons are above)" if report.skipped else
                            f" (its {args.split}.txt lists none that has a motion file)"))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    """``motionlex stats``: patch z-score statistics over the split of every ``--data``
    folder; a bad motion file is skipped and named (as ``scan`` does).

    Raises:
        FileNotFoundError / DatasetError: a folder or its split file missing (every folder
            is checked before the first motion is read).
        ValueError: ``--out`` not a .json file name, or no usable motion.
    """
    from tqdm.auto import tqdm

    from motionlex.core.data.datasets import MotionDataset
    from motionlex.core.motion.file_checks import MotionFileError
    from motionlex.core.patches import PatchStatsAccumulator, part_resampling_matrix, sample_points
    from motionlex.core.wording import count

    out = Path(args.out)
    if out.is_dir():  # before minutes of loading
        raise IsADirectoryError(f"--out {out} is a folder: give a .json file name")
    if out.suffix.lower() != ".json":  # stats writes JSON: never over a caption or a figure
        raise ValueError(f"--out {out}: stats writes JSON; give a file name ending in .json "
                         "(e.g. patch_stats.json)")
    acc = PatchStatsAccumulator()
    names, skipped = [], []
    folders: dict[Path, str] = {}  # resolved folder -> as given first
    files: set[Path] = set()  # motion files counted (one inside another: counted once)
    again = 0
    datasets = []  # every folder's split read before any motion is: a missing split file of
    for root in args.data:  # the last folder fails in a blink, not after the first's work
        if Path(root).resolve() in folders:  # as index: a folder given twice is read once
            print(f"note: {root} is given twice (as {folders[Path(root).resolve()]}): read "
                  "once", file=sys.stderr)
            continue
        folders[Path(root).resolve()] = root
        datasets.append((root, MotionDataset(root, args.split)))
    for root, ds in datasets:
        names.append(f"{Path(root).name}/{args.split}")
        skipped += [f"{i}: {why}" for i, why in ds.report.skipped]  # passed over when listed
        for rec in tqdm(ds.records, desc=f"stats {Path(root).name}", unit="motion",
                        disable=args.quiet or not ds.records):
            source = rec.path.resolve()
            if source in files:  # --data A --data A/sub: one file, counted once
                again += 1
                continue
            files.add(source)
            try:
                m = ds.load_motion(rec)
            except (MotionFileError, ValueError, OSError) as e:  # OSError: gone, unreadable
                skipped.append(f"{rec.id}: {e}")
                continue
            acc.update(sample_points(m.joints, part_resampling_matrix(m.skeleton)))
    for line in skipped:
        print(f"skipped {line}", file=sys.stderr)
    if again:
        print(f"note: {count(again, 'motion file')} of one --data folder read already from "
              "another (one folder inside another): counted once", file=sys.stderr)
    if acc.n == 0:
        raise ValueError(f"no usable motion in {', '.join(names)}"
                         + (" (the reasons are above)" if skipped else
                            f": its {args.split}.txt lists no motion with a file"))
    stats = acc.finalize(source=", ".join(names))
    stats.save(out)
    print(f"wrote {out}: {count(stats.count, 'frame')} from {stats.source}"
          + (f"; {count(len(skipped), 'motion')} skipped (above)" if skipped else ""))
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    """``motionlex events``: print a caption's events and its event-shuffled captions.

    Raises:
        ValueError: the caption has no words.
        ImportError: spaCy's English model is missing.
    """
    from motionlex.core.text.events import load_parser, torch_hidden
    from motionlex.core.text.orders import format_events_report
    from motionlex.core.text.spelling import require_words

    caption = require_words(args.caption, "caption")  # one message for an empty caption
    with torch_hidden():  # a text-only command: spaCy without torch starts 2 s sooner
        load_parser()
    print(format_events_report(caption, seed=args.seed))
    return 0


def _demo_seed(manifest: Path) -> int | None:
    """The seed an earlier ``demo-data`` folder's manifest records (None: none, unreadable)."""
    import json

    try:
        seed = json.loads(manifest.read_text(encoding="utf-8")).get("seed")
    except (OSError, ValueError, AttributeError):  # none, not JSON, not an object
        return None
    return seed if isinstance(seed, int) else None


def cmd_demo_data(args: argparse.Namespace) -> int:
    """``motionlex demo-data``: write the explorer's synthetic demo gallery as a dataset."""
    from motionlex.core.data.demo.gallery import MANIFEST_NAME, write_demo_dataset

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} is a file; give a folder name for the dataset")
    if out.resolve() in (Path.cwd().resolve(), *Path.cwd().resolve().parents):
        raise ValueError(f"{args.out!r} is the current folder (or holds it); the demo dataset "
                         "replaces its folder as a whole: give a new folder name")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST_NAME).is_file():
        raise FileExistsError(f"{out} is a folder with other files in it; the demo dataset "
                              "replaces its folder as a whole: give a new or empty folder")
    before = _demo_seed(out / MANIFEST_NAME)  # another seed's gallery: replaced, and said
    root = write_demo_dataset(out, seed=args.seed)
    if args.quiet:
        return 0
    if before is not None and before != args.seed:
        print(f"note: replaced the seed-{before} gallery in {root} with the seed-{args.seed} "
              "one", file=sys.stderr)
    splits = {s: len((root / f"{s}.txt").read_text().split()) for s in ("train", "val", "test")}
    total = len((root / "all.txt").read_text().split())
    data, index = shlex.quote(str(root)), shlex.quote(f"{root.name}.mlx")  # copy-pastable
    print(f"wrote {root}: {total} synthetic motions ({splits['train']} train, {splits['val']} "
          f"val, {splits['test']} test) with captions; search them with:\n"
          f"  motionlex index --data {data} --out {index} && motionlex search "
          f"\"a person jumps twice, then sits down\" --index {index}")
    return 0


def add_data_commands(sub: argparse._SubParsersAction) -> None:
    """Add the ``patches``, ``scan``, ``stats``, ``events`` and ``demo-data`` subcommands."""
    s = sub.add_parser("patches", help="render a motion's patch image to PNG",
                       description="Render the motion-patch image (x, y, z as R, G, B; one "
                       "column block per body part) of a .npy joint file or a .bvh file.",
                       epilog=examples(
                           "motionlex patches walk.bvh --out walk_patches.png",
                           "motionlex patches new_joints/000001.npy --stats "
                           "resources/default_model --out patches.png"))
    s.add_argument("file", help="a new_joints/*.npy file (HumanML3D/KIT-ML) or a .bvh file")
    s.add_argument("--out", required=True,
                   help="output figure; its suffix names the format (.png, .jpg, .pdf, .svg)")
    s.add_argument("--stats", help="patch statistics JSON (from 'motionlex stats') or a "
                   "model folder, to z-score (default: none, the image shows metres)")
    s.add_argument("--fps", type=positive_float, default=None,
                   help="override the file's frame rate (default: the file's own, as every "
                   "command reads it)")
    s.add_argument("--skip-frames", type=frames_or_auto, default="auto", metavar="N|auto",
                   help="drop N leading frames (0 keeps them all), or 'auto' to drop the "
                   "frames pasted in front of the capture: a BVH file's cgspeed T-pose and "
                   "the blend out of it, a .npy file's resampled T-pose frame 0 (default "
                   "auto, as every other command)")
    s.add_argument("--max-frames", type=positive_int, default=None,
                   help="frames to render (default 224)")
    s.add_argument("--title", default="", help="figure title (default: the file name, its "
                   "skeleton, frames and frame rate)")
    s.set_defaults(func=cmd_patches)

    s = sub.add_parser(
        "scan", help="validate a dataset folder and report skipped files",
        description="Read every motion of a dataset folder (HumanML3D/KIT-ML layout, or a "
        "folder of .bvh files with an optional index.json of captions) as training, "
        "indexing and the explorer read them, and report what is usable: the motions kept, "
        "each skipped file with its reason, captions whose time span falls outside their "
        "clip, and the caption and frame counts (ids of the split file without a motion "
        "file among the skipped). Exit 2 when nothing is usable.",
        epilog=examples("motionlex scan ../shared/data/bandai",
                        "motionlex scan ../shared/data/humanml3d_samples --split test",
                        "motionlex scan my_bvh_folder -q"))
    s.add_argument("data", help="dataset folder (HumanML3D/KIT-ML layout or BVH files)")
    s.add_argument("--split", default="all",
                   help="split name: train, val, test or all (default all)")
    s.add_argument("--skip-missing", action="store_true",
                   help="accepted for older scripts; scan always lists split ids without "
                   "a motion file among the skipped files")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_scan)

    s = sub.add_parser(
        "stats", help="compute patch z-score statistics on a training split",
        description="Compute the mean and standard deviation of each motion-patch sample "
        "point's x, y and z (80 points x 3 by default; absolute positions, as Yu et al.) over "
        "the split of one or more dataset folders, and write them as JSON: the statistics "
        "that z-score the patches (for index --stats and patches --stats; train "
        "computes its own). A bad motion file is skipped and named.",
        epilog=examples("motionlex stats ../shared/data/bandai --out bandai_stats.json",
                        "motionlex stats ../shared/data/bandai ../shared/data/cmu_kitml "
                        "--out stats.json"))
    s.add_argument("data", nargs="+", help="dataset folder(s)")
    s.add_argument("--split", default="train", help="split to compute on (default train)")
    s.add_argument("--out", required=True, help="output JSON file (a name ending in .json)")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_stats)

    s = sub.add_parser(
        "events", help="split a caption into events, print a shuffled order",
        description="Split a caption into its events (spaCy and connective rules: then, "
        "after, before, first ... finally split; while, when, until keep simultaneous actions "
        "in one event) and print them with the caption rebuilt in "
        "a shuffled order of events, as CAR and the order negatives of training use it.",
        epilog=examples('motionlex events "a person jumps twice, then sits down"',
                        'motionlex events "after waving, a person walks away" --seed 3'))
    s.add_argument("caption", help='e.g. "a person jumps twice, then sits down"')
    s.add_argument("--seed", type=non_negative_int, default=0,
                   help="seed of the shuffled order (default 0)")
    s.set_defaults(func=cmd_events)

    s = sub.add_parser(
        "demo-data", help="write the explorer's synthetic demo gallery as a dataset folder",
        description="Write the gallery the explorer opens on (200 procedural SMPL-22 motions "
        "with captions written from their parameters, train/val/test splits) as a HumanML3D-"
        "layout dataset folder, to index, search, train on or evaluate. Synthetic, not motion "
        "capture.",
        epilog=examples("motionlex demo-data runs/demo-data",
                        "motionlex demo-data runs/demo7 --seed 7"))
    s.add_argument("out", help="dataset folder to write (new, empty, or an earlier demo-data)")
    s.add_argument("--seed", type=non_negative_int, default=0, help="gallery seed (default 0: the "
                   "explorer's)")
    s.add_argument("-q", "--quiet", action="store_true",
                   help="print nothing when it worked (errors still go to stderr)")
    s.set_defaults(func=cmd_demo_data)
