"""``motionlex index`` and ``search``: gallery indexes."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from motionlex.core.cli.types import (
    DEVICE_HELP,
    UsageError,
    examples,
    non_negative_int,
    positive_int,
    unit_float,
)


def _recorded_model(manifest: dict) -> dict | None:
    """The manifest's ``model`` entry (``sha256``, ``checkpoint``), or None."""
    model = manifest.get("model")
    return model if isinstance(model, dict) and model.get("sha256") else None


def _choose_checkpoint(args: argparse.Namespace, index: str | Path,
                       recorded: str | None) -> tuple[str, str]:
    """The model an existing index's command uses, and where it came from: ``--checkpoint``,
    else the checkpoint the index records, else (none recorded, or recorded but gone) the
    shipped model, with a note on stderr.

    Returns:
        ``(checkpoint, source)``: ``source`` is "given", "recorded" or "shipped".
    """
    from motionlex.resources import default_model_dir

    if args.checkpoint:
        return args.checkpoint, "given"
    if recorded and Path(recorded).is_dir():
        return recorded, "recorded"
    why = f"its checkpoint {recorded} is gone" if recorded else "it records no checkpoint"
    print(f"note: {index}: {why}; trying the shipped model", file=sys.stderr)
    return str(default_model_dir()), "shipped"


def _note_kept_settings(out: Path, own: dict, chosen: dict, given: dict) -> None:
    """Tell the user that an existing index keeps its encoding settings ``own`` when the
    options they gave (``given``, as typed; ``chosen``, as settings) ask for others (they
    used to be ignored without a word)."""
    flag = {"lexical_top_k": "--lexical-top-k", "long_clips": "--long-clips",
            "joints_dtype": "--joints-dtype"}
    differ = [f"{flag[k]} {given[k]}" for k, v in chosen.items() if k in own and own[k] != v]
    if differ:
        kept = ", ".join(f"{k}={own[k]}" for k in flag if k in own)
        print(f"note: {out} exists and keeps the settings it was built with ({kept}): "
              f"{', '.join(differ)} appl{'y' if len(differ) > 1 else 'ies'} to a new index "
              f"(another --out, or delete {out} first)", file=sys.stderr)


def _note_fusion_weight(out: Path, manifest: dict, checkpoint: str) -> None:
    """A rebuild with a model that chose no fusion weight on validation (no
    ``val_metrics.json``) ranks with the default weight, not the index's, chosen for the
    model that built it: say so when they differ."""
    from motionlex.core.retrieval.fusion import DEFAULT_FUSION_WEIGHT, checkpoint_fusion_weight

    old = manifest.get("fusion_weight")
    if checkpoint_fusion_weight(checkpoint) is None and isinstance(old, int | float) \
            and float(old) != DEFAULT_FUSION_WEIGHT:
        print(f"note: {checkpoint} records no fusion weight (no val_metrics.json): the rebuilt "
              f"{out} ranks fused searches with the default {DEFAULT_FUSION_WEIGHT}, not its "
              f"{float(old):g}, chosen for the model that built it", file=sys.stderr)


def _refuse_another_model(out: Path, model: Any, checkpoint: str, recorded: dict) -> None:
    """Raise when ``--checkpoint`` names another model than the one the existing index
    ``out`` was built with (a copy of that model is fine): its motions cannot be mixed.

    Raises:
        IndexMismatchError: the fingerprints differ; the message says what to do instead.
    """
    from motionlex.core.retrieval.fingerprints import model_fingerprint
    from motionlex.core.retrieval.index import IndexMismatchError

    own, given = str(recorded["sha256"]), model_fingerprint(model)
    if given == own:
        return
    was = recorded.get("checkpoint")
    raise IndexMismatchError(
        f"{out} was built with model {own[:16]}... but the model in --checkpoint {checkpoint} "
        f"is {given[:16]}... (an index holds one model's encodings): leave out --checkpoint "
        f"to add to it with its own model{f' ({was})' if was else ''}, re-encode its motions "
        f"with this model (--rebuild), or index with this model into a new --out folder")


def cmd_index(args: argparse.Namespace) -> int:
    """``motionlex index``: build or extend a gallery index (an existing one, without
    ``--checkpoint``, with the checkpoint it records), or ``--rebuild`` one: every motion of
    it encoded again with the model (its checkpoint's current one, or ``--checkpoint``), from
    the folders it records, replacing it once the new index is written.

    Raises:
        UsageError: no ``--data`` (without ``--rebuild``), or ``--data`` with ``--rebuild``.
        FileNotFoundError: ``--rebuild`` of a folder that is not an index. Others: as
            :func:`~motionlex.core.retrieval.build.build_steps`.
    """
    from motionlex.core.model.lite_load import load_for_queries
    from motionlex.core.patches import PatchStats
    from motionlex.core.retrieval.build import build_index
    from motionlex.core.retrieval.fingerprints import model_fingerprint
    from motionlex.core.retrieval.index import MANIFEST, IndexSettings
    from motionlex.core.retrieval.index_format import read_manifest

    if not args.data and not args.rebuild:
        raise UsageError("the following arguments are required: --data (or --rebuild, for an "
                         "existing index)")
    if args.data and args.rebuild:
        raise UsageError("--rebuild re-encodes the motions of --out from the folders it "
                         "records: give no --data (add folders with another run after it)")
    if args.split is not None and args.rebuild:
        raise UsageError("--rebuild reads each folder of --out with the split it was indexed "
                         "with: give no --split (index another split into a new --out)")
    args.split = args.split or "all"
    out = Path(args.out)
    if args.rebuild:  # an interrupted swap of it settled first, as the build would
        from motionlex.core.atomic import recover_directory

        recover_directory(out)
    if args.rebuild and read_manifest(out) is None:
        raise FileNotFoundError(f"--rebuild: {out} is not a gallery index (no readable "
                                f"manifest.json: nothing to rebuild); build one with: "
                                f"motionlex index --data DIR --out "
                                f"{out}")
    if out.exists() and not out.is_dir():  # before the model loads: fail in a blink
        raise FileExistsError(f"--out {out} is a file; an index is a folder: give a new "
                              "folder name (e.g. gallery.mlx) or an existing index")
    from motionlex.core.data.datasets import split_file_of
    from motionlex.core.data.layout import detect_layout
    from motionlex.core.model.folder import check_model_folder
    from motionlex.resources import default_model_dir

    manifest = read_manifest(out) or {}  # none readable: the build says what is wrong
    recorded = _recorded_model(manifest)
    if recorded is None:
        checkpoint, source = args.checkpoint or str(default_model_dir()), "given"
    else:
        checkpoint, source = _choose_checkpoint(args, out, recorded.get("checkpoint"))
    check_model_folder(checkpoint, need_stats=True)  # wrong paths fail in a blink, before
    for folder in args.data or ():  # the model loads and the progress bar shows
        if detect_layout(folder) == "joints":  # a mistyped --split too (a BVH folder
            split_file_of(folder, args.split)  # without it is indexed whole)
    model, stats = load_for_queries(checkpoint, args.device)  # plain torch: no transformers
    same = recorded is not None and model_fingerprint(model) == recorded["sha256"]
    if recorded is not None and source == "given" and not args.rebuild:  # before notes on
        _refuse_another_model(out, model, checkpoint, recorded)  # its statistics
    if same and source == "recorded" and not args.rebuild and not args.quiet:  # (another
        print(f"note: {out} exists: adding to it with the model it was built with, "  # is
              f"{checkpoint} (an index holds one model's encodings: to index with another "
              "model, give a new --out)", file=sys.stderr)  # refused: no note then)
    if args.stats:
        given_stats = PatchStats.load(args.stats)
        if given_stats != stats:  # allowed (a study), but never silent:
            print(f"note: --stats {args.stats} differs from the statistics {checkpoint} was "
                  "trained with; the model reads best the patches z-scored by its own",
                  file=sys.stderr)
        stats = given_stats
    elif recorded is not None and not args.rebuild and (out / "patch_stats.json").is_file():
        own = PatchStats.load(out / "patch_stats.json")  # what its motions were encoded with
        if own != stats:
            print(f"note: {out} exists: using the patch statistics it was built with (its "
                  "motions were encoded with them; other statistics need a new --out)",
                  file=sys.stderr)
        stats = own
    given = {k: v for k, v in (("lexical_top_k", args.lexical_top_k),
                               ("long_clips", args.long_clips),
                               ("joints_dtype", args.joints_dtype)) if v is not None}
    chosen = {k: (v or None) if k == "lexical_top_k" else v for k, v in given.items()}  # 0: all
    settings = replace(IndexSettings(), **chosen)
    own = manifest.get("settings")
    if args.rebuild:  # a rebuild takes the options given, else keeps its own settings
        settings = replace(IndexSettings.from_dict(own), **chosen) if isinstance(own, dict) \
            and chosen else None
    elif recorded is not None and chosen and isinstance(own, dict):  # a new index's options
        _note_kept_settings(out, own, chosen, given)
    if args.rebuild and not args.quiet:
        _note_fusion_weight(out, manifest, checkpoint)
    args.interrupt_hint = (" (the motions encoded so far are kept: run the same command "
                           "again to continue)")  # said on Ctrl-C from here on
    rep = build_index(
        model, args.data or [], out, patch_stats=stats, split=args.split,
        settings=settings if args.rebuild or not (out / MANIFEST).is_file() else None,
        batch_size=args.batch_size, checkpoint=checkpoint, checkpoint_source=source,
        progress=not args.quiet, prune=args.prune, rebuild=args.rebuild,
    )
    from motionlex.core.cli.index_report import index_summary

    print("\n".join(index_summary(out, rep)))
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    """``motionlex search``: rank an index for a text, a motion file or a gallery item.

    A text or motion query loads the checkpoint's towers in plain torch
    (:mod:`motionlex.core.model.lite`, loaded by :mod:`~motionlex.core.model.lite_load`: no
    ``transformers`` import, ~1.5 s instead of ~4.5 s of CPU) once its fingerprint equals the
    index's; a checkpoint outside that path loads the full model.
    """
    from motionlex.core.cli.query_notes import (
        motion_path_query,
        warn_long_text,
        warn_unknown_words,
    )
    from motionlex.core.retrieval.index import GalleryIndex
    from motionlex.core.retrieval.search import Searcher

    if args.query is not None and args.motion is None:
        named = motion_path_query(args.query, "searching by the motion in")
        if named is not None:
            args.query, args.motion = None, named
    sources = [args.query is not None, args.motion is not None, args.item is not None]
    if sum(sources) != 1:
        raise UsageError("give exactly one of: a text query, --motion FILE, --item ID")
    index = GalleryIndex.load(args.index)
    motion = None
    if args.motion is not None:  # read (and checked) before the model loads: fails in a blink
        from motionlex.core.motion.files import load_motion_file  # BVH/SciPy: motion queries only

        motion = load_motion_file(args.motion)
    model = None
    if args.item is None:
        ckpt, source = _choose_checkpoint(args, args.index, index.checkpoint)
        from motionlex.core.model.lite_load import load_lite_for  # a query needs no training code

        model = load_lite_for(index.model_hash, ckpt, args.device)
        if model is None:
            from motionlex.core.model.factory import load_checkpoint

            model, _ = load_checkpoint(ckpt, args.device)
            index.check_model(model, loaded_from=ckpt, source=source)
    searcher = Searcher(index, model, query_words=args.query_words or None, verify_model=False)
    exclude: tuple[int, ...] = ()
    unknown: list[Any] = []
    if args.item is not None:
        exclude = (index.position(args.item),)  # as the explorer's Similar motions
        query = searcher.item_query(exclude[0])
    elif motion is not None:
        query = searcher.embed_motion(motion)  # the loader warned already, if it is Z-up
    else:
        query = searcher.embed_text(args.query, warn_truncated=False)  # noted below
        unknown = warn_unknown_words(args.query, model, index)
        warn_long_text(args.query, model)
    if args.fusion_weight is not None and args.mode != "fused":
        print(f"note: --fusion-weight applies to --mode fused; ignored with --mode {args.mode}",
              file=sys.stderr)
    hits = searcher.search(query, k=args.k, mode=args.mode, fusion_weight=args.fusion_weight,
                           words=args.words, exclude=exclude)
    if len(hits) < args.k:  # -k 1000 of 70 motions: say why there are fewer rows
        from motionlex.core.wording import count

        print(f"note: the gallery holds {count(len(index), 'motion')}"
              + (" (the query item left out)" if exclude else "")
              + f": {count(len(hits), 'hit')}, not {args.k:,}", file=sys.stderr)
    if args.json:  # one document (README "JSON output"; json_output's field names)
        from motionlex.core.cli.json_output import hit_json, print_json, unknown_words

        weight = None  # what "score" is: the mode, and for fused its dense weight
        if args.mode == "fused":
            weight = (searcher.fusion_weight if args.fusion_weight is None
                      else args.fusion_weight)
        print_json({"query": args.query, "file": args.motion, "item": args.item,
                    "mode": args.mode, "fusion_weight": weight,
                    "unknown_words": unknown_words(unknown),
                    "hits": [hit_json(rank, hit) for rank, hit in enumerate(hits, 1)]})
        return 0
    both = args.mode == "fused"  # a fused score is relative to the query's best lexical
    # score: the dense cosine and the lexical score beside it say how close a hit really is
    # (the columns of `describe` and of --json)
    print(f"{'#':>3}  {args.mode:>7}" + (f"  {'dense':>6}  {'lexical':>7}" if both else "")
          + "  id  caption" + ("  [shared words]" if args.words else ""))
    from motionlex.core.text.events import visible_text  # a caption's escape codes inert

    for rank, hit in enumerate(hits, 1):
        words = ", ".join(f"{w} {v:.3f}" for w, v in hit.words)
        shown = f"  [{words}]" if args.words else ""  # --words 0: no evidence column
        dense = f"  {hit.dense_score:6.3f}  {hit.lexical_score:7.3f}" if both else ""
        print(f"{rank:3d}  {hit.score:7.4f}{dense}  {hit.id}  "
              f"{visible_text(hit.caption or '') or '-'}{shown}")
    return 0


def add_gallery_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``index`` and ``search`` subcommands."""
    s = subparsers.add_parser(
        "index", help="encode a dataset into a searchable gallery index",
        description="Encode every motion of dataset folders (HumanML3D/KIT-ML layout or BVH "
        "files) with a trained model into an index directory. Run again on an existing index "
        "to add only new or changed motions.",
        epilog=examples("motionlex index --data DATA/bandai --split val --out bandai_val.mlx",
                        "motionlex index --data DATA/raw_bvh --data DATA/cmu_extra "
                        "--out gallery.mlx",
                        "motionlex index --checkpoint runs/tiny/model --data DATA/bandai "
                        "--out tiny.mlx",
                        "motionlex index --out bandai_val.mlx --rebuild"))
    s.add_argument("--checkpoint", default=None, help="model directory (config.json, "
                   "model.safetensors, patch_stats.json; default: the index's own checkpoint "
                   "when --out exists, else the shipped model)")
    s.add_argument("--data", action="append", default=None,
                   help="dataset folder (repeat for several; required unless --rebuild)")
    s.add_argument("--out", required=True, help="index directory, e.g. gallery.mlx")
    s.add_argument("--split", default=None,
                   help="split of each folder: train, val, test or all (default all; a "
                   "folder of BVH files without that split file is read whole; not with "
                   "--rebuild, which reads each folder with the split it was indexed with)")
    s.add_argument("--stats", default=None, help="patch statistics JSON (default: an "
                   "existing index's own, else the checkpoint's patch_stats.json)")
    s.add_argument("--batch-size", type=positive_int, default=32,
                   help="windows per forward pass (default 32)")
    s.add_argument("--lexical-top-k", type=non_negative_int, default=None,
                   help="words kept per motion (0 = all non-zero words; default 128); this "
                   "and the next two options apply to a new index, an existing one keeps its "
                   "own")
    s.add_argument("--long-clips", choices=("windows", "first"), default=None,
                   help="clips over 224 frames: pool all windows or keep the first "
                   "(default windows)")
    s.add_argument("--joints-dtype", choices=("float16", "float32"), default=None,
                   help="how the playback joints are stored (default float16: half the size, "
                   "rounding of at most 0.5 mm within 2 m of the start, 4 mm at 10 m; search never "
                   "reads them)")
    s.add_argument("--prune", action="store_true",
                   help="also drop the motions whose files are gone from folders not given "
                   "here (a renamed or deleted data folder; without it they are kept, with a "
                   "warning); those of the --data folders are dropped anyway; with "
                   "--rebuild: drop the motions of recorded folders that are missing, which "
                   "are refused without it")
    s.add_argument("--rebuild", action="store_true",
                   help="encode every motion of the existing index --out again, from the "
                   "folders it records with the split each was indexed with (no --data, no "
                   "--split), with the current model of its checkpoint (or "
                   "--checkpoint): after the shipped model was updated or a model trained "
                   "again; the old index is replaced only once the new one is complete")
    s.add_argument("--device", default=None, help=DEVICE_HELP)
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no note on "
                   "adding to an existing index")
    s.set_defaults(func=cmd_index)

    s = subparsers.add_parser(
        "search", help="search a gallery index by text, motion file or gallery item",
        description="Rank the motions of an index; each hit lists the words that contributed "
        "most (query weight x motion weight).",
        epilog=examples('motionlex search "a person jumps twice, then sits down" '
                        "--index gallery.mlx -k 5",
                        "motionlex search --motion walk.bvh --index gallery.mlx --mode dense",
                        "motionlex search --item bandai/bn2_wave-right-hand_normal_029 "
                        "--index gallery.mlx",
                        'motionlex search "a person waves" --index gallery.mlx --json'))
    s.add_argument("query", nargs="?", default=None, help='text, e.g. "a person waves"')
    s.add_argument("--index", required=True, help="index directory")
    s.add_argument("--checkpoint", default=None,
                   help="model directory (default: the one recorded in the index, else the "
                   "shipped model)")
    s.add_argument("-k", type=positive_int, default=10, help="number of hits (default 10)")
    s.add_argument("--mode", choices=("dense", "lexical", "fused"), default="fused",
                   help="score of each hit (the second column): dense = cosine of the "
                   "embeddings; lexical = dot product of word weights; fused (default) = w x "
                   "dense + (1 - w) x lexical / the query's best lexical score over the "
                   "gallery, so a fused score can exceed both parts")
    s.add_argument("--fusion-weight", type=unit_float, default=None,
                   help="dense weight of fused scores in [0, 1] (default: the index's)")
    s.add_argument("--motion", default=None, metavar="FILE",
                   help="query by a motion file (.npy or .bvh)")
    s.add_argument("--item", default=None, help="query by a gallery item id (the motions "
                   "like it: the item itself is left out, as in the explorer)")
    s.add_argument("--words", type=non_negative_int, default=5,
                   help="evidence words per hit, each with its part of the lexical score "
                   "(query share x motion share; 0 = none; default 5)")
    s.add_argument("--query-words", type=non_negative_int, default=64,
                   help="heaviest query words used (0 = all non-zero words; default 64)")
    s.add_argument("--json", action="store_true",
                   help="print one JSON document instead of the table: query, file, item, "
                   "mode, fusion_weight, unknown_words and hits (rank, id, index, file, "
                   "caption, score, dense, lexical, words); README's 'JSON output'")
    s.add_argument("--device", default=None, help=DEVICE_HELP)
    s.set_defaults(func=cmd_search)
