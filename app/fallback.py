"""Falling back to the shipped model: the explorer always ends up with a model.

The explorer uses the default checkpoint shipped in :mod:`motionlex.resources` whenever no
checkpoint is given, or the given one fails to load while no model is loaded (a mistyped
``--checkpoint``, a folder that is not a model). What happened travels in
:attr:`ModelInfo.note <motionlex.app.messages.ModelInfo.note>` and is shown in the status
bar ("X is not a motionlex model folder (...); using the shipped model", or "could not load
X: <reason>; ..." when the reason does not name X). A checkpoint opened while a
model is loaded that fails is an error, and the loaded model stays.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable
from pathlib import Path

from motionlex.app.driver import Progress
from motionlex.resources import default_model_dir

logger = logging.getLogger(__name__)

LOAD_ERRORS = (ValueError, OSError)
"""What a checkpoint that cannot be loaded raises (:func:`motionlex.core.model.factory.
load_checkpoint`: ``FileNotFoundError`` is an ``OSError``; a folder that is not a model, a
corrupted file or a wrong config is a ``ValueError``)."""


def _first_line(e: BaseException) -> str:
    """The status-bar reason: the message's first line (the not-a-model-folder error's
    summary, without its explanation of what a model folder holds)."""
    # imported here: core.model imports torch, which the worker thread loads, not the
    # window's start (importing it with the window delayed its first paint by ~1.5 s)
    from motionlex.core.model.folder import NotAModelFolderError

    if isinstance(e, NotAModelFolderError):
        return e.summary
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def _is_shipped(path: str | os.PathLike) -> bool:
    try:
        return Path(path).expanduser().resolve() == default_model_dir().resolve()
    except (OSError, ValueError):
        return False


def checkpoint_steps(load_steps: Callable[[str | os.PathLike], Progress],
                     path: str | os.PathLike | None, *, have_model: bool = False,
                     note: str = "") -> Progress:
    """Job: load the checkpoint ``path``, or the shipped model instead.

    Args:
        load_steps: the job that loads one checkpoint directory and returns its
            :class:`ModelInfo` (``RankWorker.load_checkpoint_steps``).
        path: the checkpoint asked for; None loads the shipped model.
        have_model: whether a model is loaded (then a failure is raised, not replaced).
        note: the note for a shipped model loaded because ``path`` is None.

    Returns (as the generator's value):
        The loaded model's :class:`ModelInfo`; its ``note`` says when the shipped model
        stands in ("could not load X: <reason>; using the shipped model").

    Raises:
        ValueError: ``path`` failed while a model is loaded (the message says that model
            stays in use).
        FileNotFoundError, ValueError: ``path`` is the shipped model, or the shipped model
            itself is missing or broken.
    """
    if path is None:
        info = yield from load_steps(default_model_dir())
        return dataclasses.replace(info, note=note) if note else info
    try:
        return (yield from load_steps(path))
    except LOAD_ERRORS as e:
        if have_model:  # say that nothing changed: the open model stays
            raise ValueError(f"{e}\n\nThe model already open stays in use.") from e
        if _is_shipped(path):
            raise
        first = _first_line(e)
        said = first if first.startswith(str(path)) else f"could not load {path}: {first}"
        reason = f"{said}; using the shipped model"
        logger.warning("%s", reason)
    info = yield from load_steps(default_model_dir())
    return dataclasses.replace(info, note=reason, substituted=True)
