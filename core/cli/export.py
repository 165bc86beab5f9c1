"""``motionlex export``: motion files to animated GLB, pose-sequence GLB or BVH, headless.

The explorer's File > Export for one shown motion, here for many files at once (a folder, a
dataset's ``new_joints/``), through the same writers (:mod:`motionlex.core.motion.export`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path

from motionlex.core.atomic import write_error
from motionlex.core.checksums import not_regular_file_message, special_file_kind
from motionlex.core.cli.types import examples, positive_float
from motionlex.core.motion.query_paths import SUFFIXES
from motionlex.core.wording import count

VIEW_SUFFIXES = (".gif", ".mp4", ".webm", ".mov", ".avi", ".png", ".jpg", ".jpeg")
"""Outputs of the explorer's 3D view (videos, images), which a headless export cannot make."""


def motion_files(inputs: list[str]) -> list[Path]:
    """The motion files named by ``inputs``: files as given; a folder's ``.bvh`` and ``.npy``
    files (a dataset folder's ``new_joints/``), sorted, not recursive.

    Raises:
        FileNotFoundError: an input does not exist.
        ValueError: a folder holds no motion files.
    """
    out: list[Path] = []
    for name in inputs:
        p = Path(name)
        if p.is_file():
            out.append(p)
            continue
        if not p.is_dir():
            kind = special_file_kind(p)  # a FIFO or device: never opened
            if kind is not None:
                raise ValueError(not_regular_file_message(p, kind))
            raise FileNotFoundError(f"{p}: no such file or folder")
        folder = p / "new_joints" if (p / "new_joints").is_dir() else p
        found = sorted(f for f in folder.iterdir()
                       if f.is_file() and f.suffix.lower() in SUFFIXES)
        if not found:
            raise ValueError(f"{folder}: no .bvh or .npy motion files in this folder")
        out.extend(found)
    return out


def output_names(files: list[Path], suffix: str) -> list[str]:
    """One output file name per input, all different: its stem, or as many of its folders
    before the stem as tell it apart (``folder_stem``, ``a_new_joints_stem``), or its own
    suffix added (``stem_npy`` beside ``stem_bvh``). Names that still agree (``a/clip.npy``
    and ``a_clip.npy`` both read ``a_clip``; growing further never tells them apart) keep
    the first in input order as it is and number the others: ``a_clip~2``.

    Args:
        files: distinct input files.
        suffix: the output suffix, e.g. ``".glb"``.
    """
    stems = [os.path.splitext(os.path.abspath(f))[0] for f in files]
    stem_count = Counter(stems)  # counted once: a 29k-file dataset folder stays fast
    parts = [[*Path(st).parent.parts[1:],  # the suffix only tells m.npy from m.bvh
              f.stem if stem_count[st] == 1 else f"{f.stem}_{f.suffix.lstrip('.').lower()}"]
             for st, f in zip(stems, files)]
    depth = [1] * len(files)
    while True:
        names = ["_".join(p[-d:]) for p, d in zip(parts, depth)]
        shown = [tuple(p[-d:]) for p, d in zip(parts, depth)]
        repeated = {n for n, c in Counter(names).items() if c > 1}
        paths: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
        for i, n in enumerate(names):
            if n in repeated:
                paths.setdefault(shown[i], set()).add(tuple(parts[i]))
        # a folder more tells apart only names shown from the same parts of other paths
        grow = [i for i, n in enumerate(names)
                if n in repeated and len(paths[shown[i]]) > 1 and depth[i] < len(parts[i])]
        if not grow:
            break
        for i in grow:
            depth[i] += 1
    taken, out = set(names), []
    first: set[str] = set()
    for n in names:
        if n not in first:
            first.add(n)
            out.append(n)
            continue
        k = 2
        while f"{n}~{k}" in taken:
            k += 1
        taken.add(f"{n}~{k}")
        out.append(f"{n}~{k}")
    return [n + suffix for n in out]


def cmd_export(args: argparse.Namespace) -> int:
    """``motionlex export``: write each input motion as ``--to`` into ``--out``."""
    from tqdm.auto import tqdm

    from motionlex.core.motion.export import EXPORT_SUFFIX, export_motion
    from motionlex.core.motion.files import load_motion_file

    out = Path(args.out)
    if out.suffix.lower() in VIEW_SUFFIXES and not out.is_dir():
        raise ValueError(f"{out}: {out.suffix} files are the explorer's File > Export (they "
                         f"record its 3D view); motionlex export writes .glb or .bvh files, "
                         f"or a folder of them")
    files = list({os.path.realpath(f): f for f in motion_files(args.inputs)}.values())
    suffix = EXPORT_SUFFIX[args.to]
    single = len(files) == 1 and out.suffix.lower() in set(EXPORT_SUFFIX.values())
    if single and os.path.realpath(out) == os.path.realpath(files[0]):
        raise ValueError(f"{out}: the output would replace its own input; give another --out")
    created = False
    if single and out.suffix.lower() != suffix:
        raise ValueError(f"{out}: --to {args.to} writes {suffix} files")
    as_folder = str(args.out).endswith(("/", os.sep))  # "runs/2024.12/": a folder
    if len(files) == 1 and not single and out.suffix and not out.exists() and not as_folder:
        raise ValueError(f"{out}: --to {args.to} writes a {suffix} file, or into a folder; "
                         f"give a {suffix} name (or {out}/ for a folder of that name)")
    if not single:
        if out.suffix.lower() in set(EXPORT_SUFFIX.values()) and not out.is_dir():
            raise ValueError(f"{out}: {len(files)} motions need an output folder, not a "
                             f"{out.suffix} file")
        if out.exists() and not out.is_dir():
            if len(files) == 1:  # one motion onto an existing file of another kind
                raise ValueError(f"{out} is an existing file, not a {suffix} file: --to "
                                 f"{args.to} writes a {suffix} file, or into a folder; give a "
                                 f"{suffix} name or a folder")
            raise ValueError(f"{out} is a file; {len(files)} motions need an output folder")
    targets = [out] if single else [out / n for n in output_names(files, suffix)]
    inputs = {os.path.realpath(f): f for f in files}
    for target in targets:  # "--out" the inputs' own folder: a .bvh would be rewritten
        if os.path.realpath(target) in inputs:
            raise ValueError(f"{target}: the output would replace its own input; give "
                             f"another --out")
    if not single:
        created = not out.exists()
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            clearer = write_error(e, out)
            if clearer is None:
                raise
            raise clearer from e
    failed: list[str] = []
    bar = tqdm(zip(files, targets), total=len(files), unit="motion", desc=f"export {args.to}",
               disable=args.quiet or len(files) < 2)
    for src, target in bar:
        try:
            motion = load_motion_file(src, fps=args.fps)
            export_motion(motion, target, args.to, source_fps=args.fps)
        except (OSError, ValueError) as e:  # one bad file does not stop the others
            message = str(e)
            failed.append(message if str(src) in message else f"{src}: {message}")
    for message in failed:
        print(f"motionlex export: {message}", file=sys.stderr)
    written = len(files) - len(failed)
    if not single and created and not written and not any(out.iterdir()):
        out.rmdir()  # nothing was written: leave no empty folder behind
    where = out if single else f"{out}/"
    kind = {"glb": "animated GLB file", "poses": "pose-sequence GLB file", "bvh": "BVH file"}
    if not written:
        print(f"wrote nothing: {count(len(failed), 'file')} failed (above)")
        return 2
    print(f"wrote {count(written, kind[args.to])} to {where}"
          + (f"; {len(failed)} of {len(files)} failed (above)" if failed else ""))
    return 2 if failed else 0


def add_export_command(subparsers: argparse._SubParsersAction) -> None:
    """Register ``motionlex export``."""
    s = subparsers.add_parser(
        "export", help="motion files to animated GLB, pose-sequence GLB or BVH",
        description="Write motion files (.bvh, .npy joints; folders of them; a dataset "
        "folder's new_joints/) as animated glTF stick figures (glb, nodes named by the "
        "skeleton's joints), pose sequences (poses: every 10th frame side by side in one "
        "GLB) or BVH (a BVH source is copied in its native skeleton; joint files are "
        "written with solved rotations). Motions are brought to the canonical form first "
        "(metres, Y up, 20 fps). Each file is written atomically; a bad file is reported "
        "and the others are still written (exit 2 when any failed); a path that does not "
        "exist stops the export before anything is written. GIF/MP4 videos of the 3D view "
        "come from the explorer's File > Export.",
        epilog=examples("motionlex export DATA/raw_bvh --out exports",
                        "motionlex export walk.bvh --to poses --out walk_poses.glb",
                        "motionlex export DATA/bandai/new_joints/bn1_kick_normal_001.npy "
                        "--to bvh --out exports",
                        "motionlex export capture_30fps.npy --fps 30 --out exports"))
    s.add_argument("inputs", nargs="+", metavar="MOTION",
                   help="motion file or folder (repeat for several)")
    to = s.add_argument("--to", choices=("glb", "poses", "bvh"), default="glb",
                        help="what to write (default glb)")
    video = "GIF and MP4 videos come from the explorer's File > Export (motionlex-explorer)"
    to.choice_hints = {"gif": video, "mp4": video}  # said after "invalid choice: 'gif'"
    s.add_argument("--out", required=True, help="output folder (or, for one input, a .glb "
                   "or .bvh file)")
    s.add_argument("--fps", type=positive_float, default=None,
                   help="the inputs' own frame rate, not an output rate (default: a BVH's "
                   "true_fps in an index.json beside it, else its header; for .npy 20, "
                   "12.5 for KIT-ML's 21 joints): a .npy recorded at 30 fps needs --fps "
                   "30, or it plays 1.5x slower; a BVH copied to BVH gets it as its Frame "
                   "Time")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_export)
