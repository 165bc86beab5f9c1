"""Checks of a gallery index on read: the types in its JSON files (``manifest.json``,
``items.json``) and the sizes of its arrays.

The reader (:class:`~.index.GalleryIndex`) turns every problem listed here into a
``GalleryIndexError`` naming the file, so a hand-edited or foreign index is refused with a
message instead of a ``TypeError`` or ``AttributeError`` at first use. The checksums in the
manifest guard the data files; these checks guard the manifest itself and the item columns
(which a checksum cannot, when the manifest was edited along with them), and that the files,
each intact, agree with each other (:func:`shape_problems`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from motionlex.core.value_checks import is_int, is_number

ITEM_COLUMNS: dict[str, str] = {
    "ids": "str", "captions": "list of str", "sources": "str", "source_sha256": "str",
    "datasets": "str", "meta": "object",
}
"""The per-motion columns of ``items.json`` and the type of each entry."""


def _kind(v: Any) -> str:
    text = repr(v)
    return f"{type(v).__name__} {text if len(text) <= 30 else text[:30] + '...'}"


def manifest_problems(manifest: Any, data_files: tuple[str, ...]) -> list[str]:
    """What is wrong with a parsed ``manifest.json`` (format and version checked elsewhere).

    Args:
        manifest: the parsed JSON.
        data_files: the file names every index lists.

    Returns:
        One line per problem (empty when the manifest is usable).
    """
    if not isinstance(manifest, dict):
        return [f"the manifest is a {type(manifest).__name__}, not a JSON object"]
    problems = []
    files = manifest.get("files")
    if not isinstance(files, dict):
        problems.append(f"'files' must be an object of name -> {{bytes, sha256}}, got "
                        f"{_kind(files)}")
    else:
        missing = sorted(set(data_files) - set(files))
        if missing:
            problems.append(f"manifest lists no entry for {missing}")
        for name, info in sorted(files.items()):
            if not name or "/" in name or "\\" in name or name.startswith("."):
                problems.append(f"files lists {name!r}, which is not a plain file name")
            elif not (isinstance(info, dict) and is_int(info.get("bytes"))
                      and info["bytes"] >= 0 and isinstance(info.get("sha256"), str)):
                problems.append(f"files[{name!r}] must be {{'bytes': int >= 0, 'sha256': str}}, "
                                f"got {_kind(info)}")
    if not is_int(manifest.get("count")) or manifest["count"] < 0:
        problems.append(f"'count' must be an integer >= 0, got {_kind(manifest.get('count'))}")
    model = manifest.get("model")
    if not isinstance(model, dict):
        problems.append(f"'model' must be an object, got {_kind(model)}")
    else:
        for key in ("sha256", "lexical_similarity"):
            if not isinstance(model.get(key), str):
                problems.append(f"model.{key} must be a string, got {_kind(model.get(key))}")
        if not isinstance(model.get("checkpoint"), (str, type(None))):
            problems.append(f"model.checkpoint must be a string or null, got "
                            f"{_kind(model.get('checkpoint'))}")
    if not isinstance(manifest.get("patch_stats_sha256"), str):
        problems.append(f"'patch_stats_sha256' must be a string, got "
                        f"{_kind(manifest.get('patch_stats_sha256'))}")
    if "fusion_weight" in manifest and not is_number(manifest["fusion_weight"]):
        problems.append(f"'fusion_weight' must be a number, got {_kind(manifest['fusion_weight'])}")
    folders = manifest.get("data_folders", [])  # optional: older indexes record none
    if not (isinstance(folders, list) and all(
            isinstance(d, dict) and isinstance(d.get("folder"), str)
            and isinstance(d.get("split"), str) for d in folders)):
        problems.append(f"'data_folders' must be a list of {{'folder': str, 'split': str}}, "
                        f"got {_kind(folders)}")
    settings = manifest.get("settings", {})
    if not isinstance(settings, dict):
        problems.append(f"'settings' must be an object, got {_kind(settings)}")
    else:
        top_k = settings.get("lexical_top_k", 128)
        if top_k is not None and (not is_int(top_k) or top_k < 1):
            problems.append(f"settings.lexical_top_k must be an integer >= 1 or null, got "
                            f"{_kind(top_k)}")
        for key in ("long_clips", "joints_dtype"):
            if key in settings and not isinstance(settings[key], str):
                problems.append(f"settings.{key} must be a string, got {_kind(settings[key])}")
    return problems


def items_problems(items: Any) -> list[str]:
    """What is wrong with a parsed ``items.json`` (lengths are checked against the arrays
    later).

    Returns:
        One line per problem, naming the column and the first bad entry.
    """
    if not isinstance(items, dict):
        return [f"items.json is a {type(items).__name__}, not a JSON object of columns"]
    problems = []
    for col, kind in ITEM_COLUMNS.items():
        values = items.get(col)
        if not isinstance(values, list):
            problems.append(f"column {col!r} must be a list, got {_kind(values)}")
            continue
        for i, v in enumerate(values):
            ok = (isinstance(v, dict) if kind == "object" else
                  isinstance(v, list) and all(isinstance(c, str) for c in v)
                  if kind == "list of str" else isinstance(v, str))
            if not ok:
                problems.append(f"{col}[{i}] must be {kind}, got {_kind(v)}")
                break
    return problems


def string_list_problem(value: Any, what: str) -> str | None:
    """``None`` when ``value`` is a list of strings, else what is wrong (``what`` names it)."""
    if not isinstance(value, list):
        return f"{what} must be a list of strings, got {_kind(value)}"
    bad = next((i for i, v in enumerate(value) if not isinstance(v, str)), None)
    return None if bad is None else f"{what}[{bad}] must be a string, got {_kind(value[bad])}"


def shape_problems(index: Any, joint_rows: np.ndarray) -> list[str]:
    """What does not fit in an opened index: array shapes, column lengths, offsets, ids.

    Args:
        index: the :class:`~.index.GalleryIndex` as opened (its ``manifest``, ``dense``,
            ``inverted``, ``vocabulary``, per-item columns, ``joint_offsets``, ``skeletons``
            and ``settings``).
        joint_rows: its ``(R, 3)`` memory-mapped ``joints.npy``.

    Returns:
        One line per problem (empty when every file agrees with ``manifest["count"]`` and
        with each other).
    """
    n = int(index.manifest.get("count", -1))
    problems = []
    if index.dense.ndim != 2 or index.dense.shape[0] != n:
        problems.append(f"dense.npy is {index.dense.shape}, expected ({n}, D)")
    if index.inverted.shape != (n, len(index.vocabulary)):
        problems.append(f"inverted.npz is {index.inverted.shape}, expected "
                        f"({n}, {len(index.vocabulary)})")
    cols = {"ids": index.ids, "captions": index.captions, "sources": index.sources,
            "source_sha256": index.source_sha256, "datasets": index.datasets,
            "meta": index.meta, "fps": index.fps, "num_frames": index.num_frames,
            "skeleton": index.skeleton_ids}
    problems += [f"{k} has {len(v)} entries, expected {n}" for k, v in cols.items()
                 if len(v) != n]
    jr = joint_rows
    if len(index.joint_offsets) != n + 1 or (n and index.joint_offsets[-1] != len(jr)):
        problems.append(f"joint_offsets ({len(index.joint_offsets)}) do not match {n} items "
                        f"and joints.npy {jr.shape}")
    if jr.ndim != 2 or jr.shape[1:] != (3,) or jr.dtype != np.dtype(
            index.settings.joints_dtype):
        problems.append(f"joints.npy is {jr.shape} {jr.dtype}, expected (R, 3) "
                        f"{index.settings.joints_dtype}")
    if n and (index.skeleton_ids.min() < 0 or index.skeleton_ids.max() >= len(index.skeletons)):
        problems.append("skeleton ids out of range")
    if len(index.ids) == n and len(set(index.ids)) != n:
        problems.append("ids are not unique")
    return problems
