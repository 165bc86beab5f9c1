"""A training run's folder record: the config it was started with, and which phases finished.

``motionlex train --resume`` continues the phases of the config it is given. Given another
config than the interrupted run's (its ``--config`` without the overrides it was started
with, say ``phases.3.max_steps=200``), a phase interrupted at step 70 of 200 was "finished"
at its new budget of 8 and the 130 steps left were dropped without a word. The run's own
config is written to ``OUT/run_config.json`` when it starts; a resume with another config is
refused, naming the settings that differ.

Two runs into one ``OUT`` mixed their phase checkpoints and logs, and the later export
silently replaced the other run's model; a run now holds the folder's lock
(:func:`run_folder_lock`, the lock an index build takes) and a second run refuses at once.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from motionlex.core.atomic import DirectoryBusyError, atomic_file, directory_lock, write_target

if TYPE_CHECKING:  # the command line reads RUN_CONFIG before torch loads
    from motionlex.core.train.train_config import TrainConfig

RUN_CONFIG = "run_config.json"
"""File in a training run's folder: the config (overrides and ``--max-steps`` applied) it
was started with."""

_SHOWN = 5  # differing settings named in the message

_HELD: dict[str, int] = {}
"""Run folders whose lock this process holds (real path -> depth): the command line takes it
before its own checks and ``train`` again inside; a second ``flock`` of this process on
another descriptor would refuse the first."""

_RANK_VARIABLES = ("RANK", "LOCAL_RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK")
"""Where a launched process finds its rank, as Lightning reads it (``rank_zero_only.rank``),
read here without importing torch."""

RESUME_FREE = frozenset({"compile"})
"""Settings a resumed run may change: they change how fast it computes, not what (the towers
compiled or not give the same steps)."""


def phase_dir(out_dir: str | Path, index: int, name: str) -> Path:
    """``OUT/phases/I-NAME``: where phase ``index`` (``name``) exports its model when it
    finishes (the mark ``--resume`` skips it by); ``I-NAME`` also names its checkpoint."""
    return Path(out_dir) / "phases" / f"{index}-{name}"


def unfinished_phases(out_dir: str | Path, names: list[str]) -> list[str]:
    """``I-NAME`` of every phase of ``names`` (in order) that has not finished in ``out_dir``
    (no model exported in :func:`phase_dir`)."""
    return [d.name for d in (phase_dir(out_dir, i, n) for i, n in enumerate(names))
            if not (d / "config.json").is_file()]


def recorded_unfinished(out_dir: str | Path) -> tuple[str, int] | None:
    """``(first unfinished phase, number of phases)`` of the run in ``out_dir`` by its
    :data:`RUN_CONFIG`; None when it has no readable record or every phase finished."""
    try:
        phases = json.loads((Path(out_dir) / RUN_CONFIG).read_text(encoding="utf-8"))["phases"]
        left = unfinished_phases(out_dir, [p["name"] for p in phases])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return (left[0], len(phases)) if left else None


def launched_rank() -> int:
    """This process's rank in a launched DDP run (Lightning's subprocess launcher, torchrun,
    SLURM, jsrun), read from the launcher's environment without importing torch; 0 for the
    first process and for a run not launched."""
    for key in _RANK_VARIABLES:
        value = os.environ.get(key)
        if value is not None and value.strip().lstrip("-").isdigit():
            return int(value)
    return 0


class _NoWaitNote(logging.Filter):
    """Hides :func:`~motionlex.core.atomic.lock_steps`' "waiting for" note: a run does not
    wait for another, it refuses with one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("waiting for another")


@contextmanager
def run_folder_lock(out_dir: str | Path) -> Iterator[None]:
    """Hold ``OUT``'s lock (``.OUT.lock`` next to it, as an index build holds its folder's)
    for a training run, or refuse at once. Re-entrant within the process; the ranks other
    than 0 of a launched DDP run (which write nothing of the folder's) take none.

    Raises:
        DirectoryBusyError: another process (another ``motionlex train``) holds it; names
            the folder and the lock file.
        OSError: the lock file cannot be created (a read-only folder).
    """
    key = os.path.realpath(out_dir)
    if launched_rank() != 0:
        yield
        return
    if key in _HELD:
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    note = _NoWaitNote()
    atomic_logger = logging.getLogger(directory_lock.__module__)
    atomic_logger.addFilter(note)
    lock = directory_lock(out_dir, timeout=0)
    try:
        lock.__enter__()
    except DirectoryBusyError as e:
        target = write_target(out_dir)
        raise DirectoryBusyError(
            f"{out_dir} is in use by another training run (it holds the lock "
            f"{target.parent / f'.{target.name}.lock'}): wait for that run to finish, or give "
            f"another --out") from e
    finally:
        atomic_logger.removeFilter(note)
    _HELD[key] = 1
    try:
        yield
    finally:
        del _HELD[key]
        lock.__exit__(None, None, None)


def write_run_config(out_dir: str | Path, cfg: TrainConfig) -> Path:
    """Record ``cfg`` as the config of the run in ``out_dir`` (atomically).

    Raises:
        OSError: the file cannot be written (names it).
    """
    path = Path(out_dir) / RUN_CONFIG
    with atomic_file(path) as tmp:
        Path(tmp).write_text(json.dumps(cfg.to_dict(), indent=2, sort_keys=True) + "\n")
    return path


def check_resume_config(out_dir: str | Path, cfg: TrainConfig) -> None:
    """Refuse to resume the run in ``out_dir`` with another config than it was started with.

    A folder without the record (a run from before it was kept) is not checked. Settings
    added since the record was written count at their defaults (the record is read with
    :meth:`TrainConfig.from_dict`); :data:`RESUME_FREE` settings are not compared.

    Raises:
        ValueError: the settings differ (the first few named, with both values) or the
            record cannot be read (names the file).
    """
    path = Path(out_dir) / RUN_CONFIG
    if not path.is_file():
        return
    try:
        started = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: cannot read the config the run was started with ({e}); "
                         f"resume needs it, or start again with --overwrite") from e
    from motionlex.core.train.train_config import TrainConfig  # noqa: PLC0415 - torch

    try:  # keys added since the record was written: at their defaults
        started = TrainConfig.from_dict(started).to_dict()
    except ValueError:  # compared as it is: its differences are named below
        pass

    def compared(record: Any) -> Any:  # as JSON holds it, RESUME_FREE settings left out
        record = json.loads(json.dumps(record))
        return {k: v for k, v in record.items() if k not in RESUME_FREE} \
            if isinstance(record, dict) else record

    diffs = config_differences(compared(started), compared(cfg.to_dict()))
    if not diffs:
        return
    shown = "; ".join(diffs[:_SHOWN]) + (f"; and {len(diffs) - _SHOWN} more"
                                         if len(diffs) > _SHOWN else "")
    raise ValueError(
        f"{Path(out_dir)} was started with another config than this one ({shown}): resume it "
        f"with the --config, overrides and --max-steps it was started with ({path} holds "
        f"them), or start again with --overwrite")


def config_differences(started: Any, now: Any, key: str = "") -> list[str]:
    """``"KEY: VALUE (now NEW)"`` for every setting that differs between two config dicts
    (dotted keys, list items by index: ``phases.3.max_steps: 200 (now 8)``)."""
    if isinstance(started, dict) and isinstance(now, dict):
        out: list[str] = []
        for k in sorted(set(started) | set(now), key=str):
            sub = f"{key}.{k}" if key else str(k)
            if k not in started:
                out.append(f"{sub}: not set (now {now[k]!r})")
            elif k not in now:
                out.append(f"{sub}: {started[k]!r} (now not set)")
            else:
                out += config_differences(started[k], now[k], sub)
        return out
    if isinstance(started, list) and isinstance(now, list) and len(started) == len(now):
        return [d for i, (a, b) in enumerate(zip(started, now))
                for d in config_differences(a, b, f"{key}.{i}")]
    return [] if started == now else [f"{key}: {started!r} (now {now!r})"]


SOFTWARE_PACKAGES = ("motionlex", "torch", "transformers", "lightning", "spacy", "numpy")
"""Packages whose versions an exported model records (``train_config.json``'s
``software``)."""


def software_versions() -> dict[str, str]:
    """The versions a training run used, for its exported ``train_config.json``: Python,
    :data:`SOFTWARE_PACKAGES` and the spaCy English model (its lemma lists decide which
    inflection stems the lexical vocabulary keeps, its parser the events of captions).

    Returns:
        ``{"python": "3.11.2", "torch": "2.13.0+cpu", ..., "spacy_model":
        "en_core_web_sm 3.8.0"}``; a package that is not installed is left out.
    """
    import platform
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in SOFTWARE_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    try:
        from motionlex.core.text.events import load_parser

        meta = load_parser().meta
        out["spacy_model"] = (f"{meta.get('lang', '')}_{meta.get('name', '')} "
                              f"{meta.get('version', '')}")
    except ImportError:
        pass
    return out

