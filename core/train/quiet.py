"""Lightning's console output, trimmed to what a motionlex run needs: its log lines once,
without advertising tips, hardware lines (unless verbose) or warnings a user cannot act on.
``motionlex train`` and :func:`~motionlex.core.train.training.train` with ``progress=False``
use it."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

LIGHTNING_LOGGERS = ("lightning", "lightning.pytorch", "lightning.fabric")
"""The loggers Lightning writes through."""

_WARNINGS = (
    # lightning's own use of a torch API torch has deprecated: nothing a user can act on
    r".*isinstance\(treespec, LeafSpec\)",
    # a phase resumed mid-epoch replays its seeded batches from the epoch's start: the
    # README's "close to, not bit for bit"; Lightning's warning says "unreliable results"
    r"You're resuming from a checkpoint that ended before the epoch ended",
    # every phase checkpoints into OUT/checkpoints under its own file name
    r"Checkpoint directory .* exists and is not empty",
)


class DropTips(logging.Filter):
    """Drops Lightning's advertising tips (e.g. "try installing litlogger"), what the run says
    itself (:attr:`_SAID_BY_US`: "`Trainer.fit` stopped: `max_steps=N` reached", other stop
    reasons stay; its Ctrl-C and checkpoint-restoring lines), and its
    per-Trainer hardware lines ("GPU available: ...", "TPU available: ..."): with ``verbose``
    those are said once, after the first phase said them; without, never."""

    _HARDWARE = ("GPU available", "TPU available", "HPU available", "LOCAL_RANK")
    # said by the run itself: the phase bar shows the step cap; the CLI says "interrupted";
    # "resuming phase NAME from its last checkpoint PATH" says which checkpoint, once
    _SAID_BY_US = ("`Trainer.fit` stopped: `max_steps=", "\nDetected KeyboardInterrupt",
                   "Restoring states from the checkpoint", "Restored all states")
    # "[rank: 0] Received SIGTERM: 15": the CLI says "terminated" itself
    _SIGNAL = "Received SIGTERM"

    def __init__(self, verbose: bool = True) -> None:
        super().__init__()
        self.verbose = verbose
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if "Tip:" in msg or msg.startswith(self._SAID_BY_US) or self._SIGNAL in msg:
            return False
        if msg.startswith(self._HARDWARE):
            if not self.verbose or msg in self.seen:
                return False
            self.seen.add(msg)
        return True


def quiet_lightning(quiet: bool, verbose: bool = False) -> None:
    """Lightning's log lines once each (its own handler only, not also through the root
    handler), without its tips or (unless ``verbose``) its hardware lines, and only warnings
    with ``quiet``: for the process (``motionlex train``; a library caller uses
    :func:`lightning_quieted`, which puts everything back)."""
    import lightning.pytorch  # noqa: F401  (installs Lightning's handler)

    for name in LIGHTNING_LOGGERS:
        log = logging.getLogger(name)
        if log.handlers:  # Lightning prints through its own handler: not again through root
            log.propagate = False
            for handler in log.handlers:  # once per handler, however often this runs
                for old in [f for f in handler.filters if isinstance(f, DropTips)]:
                    handler.removeFilter(old)
                handler.addFilter(DropTips(verbose))
        if quiet and not verbose:
            log.setLevel(logging.WARNING)
    for message in _WARNINGS:
        warnings.filterwarnings("ignore", message=message)
    _SET_UP.append(True)


_SET_UP: list[bool] = []  # quiet_lightning ran in this process (motionlex train did)


def _configured() -> bool:
    """Whether :func:`quiet_lightning` already set Lightning's output up (the CLI did: its
    ``-q``/``-v`` stand)."""
    return bool(_SET_UP)


@contextmanager
def lightning_quieted() -> Iterator[None]:
    """Lightning at warnings only, its chatter warnings ignored, for the ``with`` block
    alone (``train(progress=False)`` from a script or notebook). Output that
    :func:`quiet_lightning` set up (``motionlex train -q``/``-v``) is left as it is."""
    if _configured():
        yield
        return
    import lightning.pytorch  # noqa: F401  (its loggers exist)

    logs = [logging.getLogger(name) for name in LIGHTNING_LOGGERS]
    levels = [log.level for log in logs]
    try:
        with warnings.catch_warnings():
            for message in _WARNINGS:
                warnings.filterwarnings("ignore", message=message)
            for log in logs:
                log.setLevel(logging.WARNING)
            yield
    finally:
        for log, level in zip(logs, levels):
            log.setLevel(level)
