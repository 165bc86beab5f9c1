"""What ``motionlex compare`` checks before it puts runs side by side (:mod:`.compare`):
the evaluation data and split of evaluate reports (:func:`check_comparable`) and the size
of the runs' galleries (:func:`gallery_mismatch`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from motionlex.core.retrieval.compare import Column

GALLERY_KEYS = ("n/texts", "n/motions")
"""The All gallery's size: R@k and MedR of runs whose sizes differ are not comparable."""


def check_comparable(columns: Sequence[Column]) -> list[str]:
    """Refuse evaluate reports of different data or splits in one comparison.

    Two records are compared by the resolved data path (``data_path``, written since
    2026-12-07) when both hold it, else by the data as typed (``data``, relative to where
    evaluate ran): typed paths that differ but end in the same folder name (one typed
    absolute, one relative, or one record older than ``data_path``) are taken as the same
    data, with a warning.

    Returns:
        The warnings, one per pair of data taken as the same by the folder name.

    Raises:
        ValueError: two runs' ``evaluation.json`` name different data or ``split`` (both
            files named); runs without a record (validation, ablation) are not checked.
    """
    seen: dict[tuple[str, ...], tuple[str, dict[str, Any]]] = {}
    warnings: dict[str, None] = {}
    for col in columns:
        for path, rec in zip(col.paths, col.records):
            key = tuple(str(rec.get(k)) for k in ("data", "data_path", "split"))
            if not rec or key in seen:
                continue
            for first, ref in seen.values():
                same, (d0, d1) = _same_data(ref, rec)
                said = (f"{first} evaluated {d0} (split {ref.get('split')}), {path} "
                        f"evaluated {d1} (split {rec.get('split')})")
                if same is False:
                    raise ValueError(f"not comparable: {said}; pass --allow-mixed to compare "
                                     "anyway")
                if same is None:
                    warnings[f"{said}: taken as the same data by the folder name "
                             f"'{_folder(rec)}' (a record without data_path holds the data "
                             "as typed, relative to where evaluate ran)"] = None
            seen[key] = (str(path), rec)
    return list(warnings)


def _folder(rec: dict[str, Any]) -> str:
    """The name of a record's data folder (of the resolved path where there is one: a typed
    "." has no name)."""
    return Path(str(rec.get("data_path") or rec.get("data"))).name


def _same_data(a: dict[str, Any], b: dict[str, Any]) -> tuple[bool | None, tuple[str, str]]:
    """Whether two records evaluated the same data and split (True, False, or None when only
    the data folders' names agree), and the two data as compared (resolved where both records
    hold ``data_path``, else as typed)."""
    resolved = bool(a.get("data_path") and b.get("data_path"))
    data = ((str(a["data_path"]), str(b["data_path"])) if resolved
            else (str(a.get("data")), str(b.get("data"))))
    if str(a.get("split")) != str(b.get("split")) or (resolved and data[0] != data[1]):
        return False, data
    if data[0] == data[1]:
        return True, data
    return (None if _folder(a) and _folder(a) == _folder(b) else False), data


def gallery_mismatch(columns: Sequence[Column]) -> str | None:
    """A warning when the runs' All galleries differ in size (:data:`GALLERY_KEYS`): their
    R@k and MedR rank among different numbers of items (what validation during training
    scores is said only when a run has no ``evaluation.json``). None when they agree or are
    unknown."""
    for key in GALLERY_KEYS:
        sizes = {}
        for col in columns:
            for path, run in zip(col.paths, col.runs):
                if key in run:
                    sizes.setdefault(int(run[key]), str(path))
        if len(sizes) > 1:
            shown = ", ".join(f"{n} in {p}" for n, p in sorted(sizes.items()))
            trained = any(not rec for col in columns for rec in col.records)
            return (f"the runs' galleries differ ({key}: {shown}): their R@k and MedR are not "
                    "comparable (" + ("validation during training scores the run's own "
                                      "validation pairs, composed pairs included; "
                                      if trained else "")
                    + "evaluate the runs on the same --data and --split)")
    return None

