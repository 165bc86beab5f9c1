"""``motionlex compare``: evaluation results of several runs (or seeds) side by side.

Reads ``metrics.json`` (``evaluate --out``), ``val_metrics.json`` (a model folder, validation
during training) or an ablation run's JSON, and prints one Markdown table (or one JSON
document) of the headline metrics: each column's mean (± std over its seeds) and each later
column's difference from the first (:mod:`motionlex.core.retrieval.compare`). No model loads.
"""

from __future__ import annotations

import argparse
import sys

from motionlex.core.cli.types import examples


def cmd_compare(args: argparse.Namespace) -> int:
    """Print the comparison table (or JSON) of ``args.runs``."""
    from motionlex.core.retrieval.compare import (
        comparison_json,
        comparison_table,
        read_columns,
        select_metrics,
    )
    from motionlex.core.retrieval.compare_checks import check_comparable, gallery_mismatch

    columns = read_columns(args.runs)
    warnings = [] if args.allow_mixed else check_comparable(columns)
    keys = select_metrics(columns, metric_patterns(args.metrics), every=args.all)
    mismatch = gallery_mismatch(columns)
    if mismatch:  # on stderr too: --json readers see it in the document's "warning"
        warnings.append(mismatch)
    for warning in warnings:
        print(f"motionlex compare: warning: {warning}", file=sys.stderr)
    if args.json:
        from motionlex.core.cli.json_output import print_json

        print_json(comparison_json(columns, keys))
        return 0
    print(comparison_table(columns, keys))
    return 0


def metric_patterns(given: list[str] | None) -> list[str] | None:
    """The patterns of ``--metrics`` (each use one pattern or a comma-separated list); None
    when the option is not given.

    Raises:
        ValueError: an empty pattern ("--metrics ''", "--metrics 'a,,b'").
    """
    if given is None:
        return None
    patterns = [p.strip() for value in given for p in value.split(",")]
    if not all(patterns):
        raise ValueError(f"--metrics {','.join(given)!r}: an empty pattern (give "
                         "--metrics PATTERN[,PATTERN...], the option again for more)")
    return patterns


def add_compare_command(sub: argparse._SubParsersAction) -> None:
    """Add the ``compare`` subcommand."""
    s = sub.add_parser(
        "compare", help="evaluation results of several runs or seeds side by side",
        description="Compare evaluation results: each RUN is an evaluate --out folder "
        "(metrics.json), a model folder or training run (val_metrics.json, validation during "
        "training: its t2m/dense/R@1 is evaluate's t2m/All/dense/R@1) or a metrics JSON "
        "file. Give seeds of one recipe as one column, LABEL=RUN1,RUN2,RUN3 (or a glob, "
        "quoted), for mean ± std. Prints a Markdown table of the headline metrics with "
        "each column's difference from the first. Evaluate reports of different --data or "
        "--split are refused unless --allow-mixed.",
        epilog=examples("motionlex compare eval_default eval_tiny",
                        "motionlex compare base='runs/eval-base-s*' full=runs/eval-full-s0,"
                        "runs/eval-full-s1,runs/eval-full-s2",
                        "motionlex compare eval_a eval_b --metrics 'side/*,words/*'",
                        "motionlex compare --metrics 't2m/All/*/R@1' --metrics CAR eval_a eval_b"))
    s.add_argument("runs", nargs="+", metavar="RUN",
                   help="[LABEL=]PATH[,PATH...]: one column (several paths: seeds)")
    rows = s.add_mutually_exclusive_group()
    rows.add_argument("--metrics", action="append", metavar="PATTERN[,PATTERN...]",
                      default=None,
                      help="the rows: metric names or fnmatch patterns, comma-separated, the "
                      "option repeatable ('t2m/All/*/R@1,side/*'; one value each, so the "
                      "runs may follow; default: the headline metrics)")
    rows.add_argument("--all", action="store_true", help="every metric any run holds")
    s.add_argument("--allow-mixed", action="store_true",
                   help="compare evaluate reports of different data or splits")
    s.add_argument("--json", action="store_true", help="print one JSON document: columns "
                   "(label, files, records) and rows (metric, values with mean/std/n/runs, "
                   "difference from the first column)")
    s.set_defaults(func=cmd_compare)
