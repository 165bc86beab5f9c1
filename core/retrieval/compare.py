"""Side-by-side comparison of evaluation results: runs, or groups of seeds, as columns.

A researcher comparing two checkpoints (or two recipes over three seeds each) reads the same
metric names from each run's ``metrics.json`` (``motionlex evaluate --out``), a model
folder's ``val_metrics.json`` (validation during training) or an ablation run's JSON
(``benchmarks/ablation.py``: ``all_metrics``), and wants one table: each metric's mean and
spread per column and its difference from the first column. Validation during training
names protocol All's keys without the protocol (``t2m/dense/R@1``); they are read as
evaluate's ``t2m/All/dense/R@1``, the same definition (:mod:`.validation`).

The columns must describe the same evaluation data: two evaluate reports of different
``--data``/``--split`` are refused unless the caller allows it
(:func:`~.compare_checks.check_comparable`).
"""

from __future__ import annotations

import fnmatch
import glob
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from motionlex.core.retrieval.compare_checks import GALLERY_KEYS, gallery_mismatch
from motionlex.core.retrieval.fusion import VAL_METRICS_FILE
from motionlex.core.retrieval.metrics import is_count_key
from motionlex.core.retrieval.report import REPORT_RECORD
from motionlex.core.value_checks import is_number

METRIC_FILES = ("metrics.json", VAL_METRICS_FILE, f"model/{VAL_METRICS_FILE}")
"""Looked for, in this order, in a folder given to :func:`read_run`."""

HEADLINE = (
    *GALLERY_KEYS,
    *(f"{d}/All/{s}/{m}" for s in ("dense", "fused", "lexical") for d in ("t2m", "m2t")
      for m in ("R@1", "R@5", "R@10", "MedR")),
    "t2m/AllFirst/dense/R@1", "m2t/AllFirst/dense/R@1",
    "CAR", "CAR/event->event/dense", "CAR/first/orig->event/dense",
    "m2t/CAR-orig->event/dense/R@1",
    "side/text", "side/motion",
    "words/precision@10", "words/motion_recall@10", "words/query_recall@10",
    "chronology/text/fused", "chronology/motion/fused", "synthetic_chronology/both/fused",
    "zero-shot/dense/top1", "xskel/mutual@1", "xskel/action@5",
    "fusion_weight",
)
"""The default rows, in this order (rows no column holds are left out)."""

SHARE_KEYS = ("words/", "fusion_weight", "init_fusion_weight", "xskel/cosine")
"""Metric names (prefixes) whose values are shares in [0, 1] or cosines in [-1, 1], not
percentages: printed with 3 decimals."""

LOWER_IS_BETTER = ("MedR",)
"""Metric name endings where a smaller value is the better one."""

_VALIDATION_KEY = re.compile(r"^(t2m|m2t)/(dense|lexical|fused)/(R@\d+|MedR)$")


@dataclass
class Column:
    """One column of a comparison: a run, or several seeds of one recipe.

    Attributes:
        label: the column's name (given as ``LABEL=PATH``, else the path's name).
        paths: the metric files read, one per run.
        runs: each run's metrics (canonical keys -> float), in ``paths`` order.
        records: each run's ``evaluation.json`` (``{}`` where there is none).
    """

    label: str
    paths: list[Path]
    runs: list[dict[str, float]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)

    def summary(self, key: str) -> tuple[float, float, int] | None:
        """``(mean, std, n)`` of ``key`` over the runs that hold it (population std, as
        ``docs/ablation.md``); None when no run holds it."""
        values = [r[key] for r in self.runs if key in r]
        if not values:
            return None
        return float(np.mean(values)), float(np.std(values)), len(values)


def canonical_metrics(raw: dict[str, Any]) -> dict[str, float]:
    """The numeric entries of a metrics document, validation's All keys renamed.

    Args:
        raw: a flat ``{name: value}`` dict (``metrics.json``, ``val_metrics.json``).

    Returns:
        ``{name: float}`` of the finite numbers (bools and other values dropped), with
        ``t2m/dense/R@1``-style keys as ``t2m/All/dense/R@1`` (kept when both are present).
    """
    numbers = {k: f for k, f in ((k, _as_float(v)) for k, v in raw.items()) if f is not None}
    out: dict[str, float] = {}
    for key, value in numbers.items():
        m = _VALIDATION_KEY.match(key)
        if m is None:
            out[key] = value
        else:  # an evaluate report's own All key wins over the short spelling
            out.setdefault(f"{m[1]}/All/{m[2]}/{m[3]}",
                           numbers.get(f"{m[1]}/All/{m[2]}/{m[3]}", value))
    return out


def _as_float(value: Any) -> float | None:
    """A JSON number (:func:`~motionlex.core.value_checks.is_number`) as a finite float; None
    for other values, bools, NaN, inf and integers too large for a float."""
    if not is_number(value):
        return None
    try:
        f = float(value)
    except OverflowError:
        return None
    return f if math.isfinite(f) else None


def metrics_file(path: str | Path) -> Path:
    """The metrics file a path names: the file itself, or the first of :data:`METRIC_FILES`
    in a folder.

    Raises:
        FileNotFoundError: the path does not exist, or a folder holds none of them.
    """
    p = Path(path)
    if p.is_file():
        return p
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file or folder")
    for name in METRIC_FILES:
        if (p / name).is_file():
            return p / name
    raise FileNotFoundError(
        f"{p}: no metrics here (looked for {', '.join(METRIC_FILES)}): give an evaluate "
        "--out folder, a model folder or a training run's --out, or a metrics JSON file")


def read_run(path: str | Path) -> tuple[Path, dict[str, float], dict[str, Any]]:
    """One run's metrics and evaluation record.

    Args:
        path: a metrics JSON file or a folder holding one (:func:`metrics_file`).

    Returns:
        ``(file, metrics, record)``: the file read, its canonical metrics
        (:func:`canonical_metrics`; an ablation run's ``all_metrics``), and the
        ``evaluation.json`` beside it (``{}`` when there is none).

    Raises:
        FileNotFoundError: as :func:`metrics_file`.
        ValueError: the file is not JSON, not an object, or holds no numbers (named).
    """
    file = metrics_file(path)
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{file}: not a JSON metrics file ({e})") from None
    if isinstance(doc, dict) and isinstance(doc.get("all_metrics"), dict):
        doc = doc["all_metrics"]  # benchmarks/ablation.py's run record
    if not isinstance(doc, dict):
        raise ValueError(f"{file}: a metrics file is a JSON object of numbers, found "
                         f"{type(doc).__name__}")
    metrics = canonical_metrics(doc)
    if not metrics:
        run = file.parent.parent if file.parent.name == "model" else file.parent
        hint = (f" (a training run without a validation split: compare the reports of "
                f"`motionlex evaluate --checkpoint {run / 'model'} --data DIR --out X`)"
                if file.name == VAL_METRICS_FILE else "")
        raise ValueError(f"{file}: holds no metric values{hint}")
    record: dict[str, Any] = {}
    rec = file.parent / REPORT_RECORD  # evaluate's record
    if file.name == "metrics.json" and rec.is_file():
        try:
            loaded = json.loads(rec.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            loaded = {}
        record = loaded if isinstance(loaded, dict) else {}
    return file, metrics, record


def parse_column(spec: str) -> tuple[str | None, list[str]]:
    """``[LABEL=]PATH[,PATH...]`` as ``(label or None, paths)``; a path with ``*``, ``?``
    or ``[`` is a glob, expanded in sorted order.

    Raises:
        ValueError: an empty label or path, or a glob that matches nothing.
    """
    label: str | None = None
    given = spec
    head, sep, tail = spec.partition("=")
    # LABEL=...: unless the whole is a path or a glob of paths ("lr=0.1", "lr=0.1-s*")
    if sep and "/" not in head and not Path(spec).exists() and not (
            glob.has_magic(spec) and glob.glob(spec)):
        label, spec = head.strip(), tail
        if not label:
            raise ValueError(f"{given!r}: empty column label before '='")
    paths: list[str] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            raise ValueError(f"{given!r}: an empty path (LABEL=PATH[,PATH...])")
        if glob.has_magic(part) and not Path(part).exists():  # "run[1]" may be a folder
            found = sorted(glob.glob(part))
            if not found:
                raise ValueError(f"{part}: matches no file or folder")
            paths.extend(found)
        else:
            paths.append(part)
    return label, paths


def read_columns(specs: Sequence[str]) -> list[Column]:
    """Columns from ``[LABEL=]PATH[,PATH...]`` specs (:func:`parse_column`, :func:`read_run`).

    Raises:
        FileNotFoundError, ValueError: as :func:`read_run`; no specs; a label given twice.
    """
    if not specs:
        raise ValueError("nothing to compare: give at least one run")
    columns: list[Column] = []
    for spec in specs:
        label, paths = parse_column(spec)
        col = Column("", [])
        for p in paths:
            file, metrics, record = read_run(p)
            if any(file.resolve() == q.resolve() for q in col.paths):
                continue  # one run named twice ("a-s*,a-s0") is one seed
            col.paths.append(file)
            col.runs.append(metrics)
            col.records.append(record)
        col.label = (label or _default_label(col.paths)).replace("|", "/")
        columns.append(col)
    labels = [c.label for c in columns]
    twice = sorted({x for x in labels if labels.count(x) > 1})
    if twice:
        raise ValueError(f"column label given twice: {', '.join(twice)} (name them LABEL=PATH)")
    return columns


def _default_label(files: Sequence[Path]) -> str:
    """A column's name without ``LABEL=``, from the metrics files read (one per run): a run
    folder's name (``runs/x``, ``runs/x/model`` and ``runs/x/model/val_metrics.json`` are
    "x": a model folder is named by its run), or a metrics file's own stem
    (``dense-s0.json``: "dense-s0"); "(+N)" counts the column's other runs."""
    p = files[0].resolve()
    if p.name in ("metrics.json", VAL_METRICS_FILE):
        p = p.parent.parent if p.parent.name == "model" else p.parent
        name = p.name
    else:
        name = p.stem
    return name if len(files) == 1 else f"{name} (+{len(files) - 1})"


def select_metrics(columns: Sequence[Column], patterns: Iterable[str] | None = None,
                   every: bool = False) -> list[str]:
    """The rows of a comparison.

    Args:
        columns: the columns.
        patterns: ``fnmatch`` patterns on metric names (``'t2m/All/*/R@1'``, ``'side/*'``);
            None for :data:`HEADLINE`.
        every: every metric any run holds, in first-seen order (``patterns`` ignored).

    Returns:
        Metric names held by at least one run.

    Raises:
        ValueError: patterns that match no metric (named, with a few names that exist), or
            runs holding none of :data:`HEADLINE` when no patterns are given.
    """
    held: dict[str, None] = {}
    for col in columns:
        for run in col.runs:
            held.update(dict.fromkeys(run))
    if every:
        return list(held)
    if patterns is None:
        keys = [k for k in HEADLINE if k in held]
        if not keys:  # said, not an empty table
            raise ValueError(f"none of the headline metrics is held by these runs (they hold "
                             f"{', '.join(list(held)[:4])}): --all lists every metric, "
                             "--metrics PATTERN picks some")
        return keys
    pats = list(patterns)
    unmatched = [p for p in pats if not any(fnmatch.fnmatchcase(k, p) for k in held)]
    if unmatched:  # a typo is said, not dropped beside the patterns that matched
        raise ValueError(f"no metric matches {', '.join(unmatched)} (names look like "
                         f"{', '.join(list(held)[:4])}; --all lists every one)")
    return list(dict.fromkeys(k for p in pats for k in held if fnmatch.fnmatchcase(k, p)))


def lower_is_better(key: str) -> bool:
    """Whether a smaller value of metric ``key`` is better (MedR)."""
    return key.endswith(LOWER_IS_BETTER)


def _formatter(key: str, stats: Sequence[tuple[float, float, int] | None]) -> str:
    """One format per row, by what the metric is: counts as integers, shares and cosines
    (:data:`SHARE_KEYS`: word metrics, the fusion weight, xskel's cosine) with 3 decimals,
    percentages and ranks with 1 (a 0.7 % R@1 stays "0.7", not a share's "0.700")."""
    means = [abs(s[0]) for s in stats if s is not None]
    if is_count_key(key) and all(m == int(m) for m in means):
        return ".0f"  # counts
    return ".3f" if key.startswith(SHARE_KEYS) else ".1f"


def comparison_table(columns: Sequence[Column], keys: Sequence[str]) -> str:
    """A Markdown table: one row per metric, each column's mean (± std over its runs when
    it has several), and each later column's difference from the first.

    Args:
        columns: the columns (the first is the reference of the differences).
        keys: the metric names (:func:`select_metrics`).

    Returns:
        The table with a legend (runs per column, what the differences mean).
    """
    head = ["metric", *(f"{c.label} (n={len(c.runs)})" if len(c.runs) > 1 else c.label
                        for c in columns)]
    head += [f"{c.label} - {columns[0].label}" for c in columns[1:]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" + "---:|" * (len(head) - 1)]
    partial_rows = False
    for key in keys:
        cells = [key + (" (lower is better)" if lower_is_better(key) else "")]
        stats = [c.summary(key) for c in columns]
        fmt = _formatter(key, stats)
        partial = False
        for c, s in zip(columns, stats):
            if s is None:
                cells.append("-")
            else:
                mean, std, n = s
                cells.append(f"{mean:{fmt}}" + (f" ± {std:{fmt}}" if n > 1 else "")
                             + (f" ({n} of {len(c.runs)})" if n < len(c.runs) else ""))
                partial |= n < len(c.runs)
        ref = stats[0]
        for s in stats[1:]:
            cells.append("-" if ref is None or s is None else f"{s[0] - ref[0]:+{fmt}}")
        lines.append("| " + " | ".join(cells) + " |")
        partial_rows |= partial
    legend = [f"- {c.label}: " + ", ".join(str(p) for p in c.paths) for c in columns]
    if any(not rec for c in columns for rec in c.records):
        legend.append("- runs without an evaluation.json (validation during training, "
                      "ablation runs): their evaluation data is not checked against the "
                      "others'; validation scores the run's own validation pairs")
    mismatch = gallery_mismatch(columns)
    if mismatch:
        legend.append(f"- WARNING: {mismatch}")
    if partial_rows:
        legend.append("- (k of n): the metric is held by k of the column's n runs; the mean "
                      "is theirs")
    if any(len(c.runs) == 1 for c in columns):
        queries = sorted({int(r["n/texts"]) for c in columns for r in c.runs if "n/texts" in r})
        here = f"here {'/'.join(map(str, queries))} queries; " if queries else ""
        legend.append("- single runs: one seed on 140 queries moves R@1 by about 4 points "
                      f"(docs/ablation.md; {here}the noise grows as the query count falls); "
                      "give seeds as LABEL=RUN1,RUN2,RUN3 for mean ± std")
    return "\n".join(lines + [""] + legend)


def comparison_json(columns: Sequence[Column], keys: Sequence[str]) -> dict[str, Any]:
    """The comparison as one JSON-ready document: ``columns`` (label, files, records) and
    ``rows`` (``metric``, per column ``mean``/``std`` (null for one run)/``n``/``runs`` or
    null, and
    ``difference`` from the first column per later column)."""
    rows = []
    for key in keys:
        values = []
        for c in columns:
            s = c.summary(key)
            values.append(None if s is None else {
                "mean": s[0], "std": s[1] if s[2] > 1 else None, "n": s[2],
                "runs": [r.get(key) for r in c.runs]})
        ref = values[0]
        diffs = [None if ref is None or v is None else v["mean"] - ref["mean"]
                 for v in values[1:]]
        rows.append({"metric": key, "lower_is_better": lower_is_better(key),
                     "values": values, "difference": diffs})
    return {"columns": [{"label": c.label, "files": [str(p) for p in c.paths],
                         "records": c.records} for c in columns],
            "rows": rows, "warning": gallery_mismatch(columns)}
