"""A resumable checkpoint at Ctrl-C or SIGTERM, so that ``--resume`` continues from the step
reached rather than from the last quarter-phase checkpoint (up to a quarter of a phase lost).

Lightning calls every callback's ``on_exception`` in its graceful shutdown of a
``KeyboardInterrupt`` (the CLI turns SIGTERM into one); the checkpoint is written over the
phase's periodic one (``OUT/checkpoints/<phase>-last.ckpt``), which ``--resume`` reads,
under a temporary name first (:func:`~motionlex.core.atomic.atomic_file`), so that an
interrupted write never replaces the good periodic checkpoint.
Other exceptions save nothing: a crashed step's state (a NaN loss, a full disk) is not one to
continue from.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import lightning as L

from motionlex.core.atomic import atomic_file

logger = logging.getLogger(__name__)


class CheckpointOnInterrupt(L.Callback):
    """Save ``path`` (Lightning's full trainer state) when a phase is interrupted.

    Args:
        path: the phase's resumable checkpoint, ``OUT/checkpoints/<phase>-last.ckpt``.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def on_exception(self, trainer: L.Trainer, pl_module: Any, exception: BaseException
                     ) -> None:
        if not isinstance(exception, KeyboardInterrupt) or trainer.global_step == 0:
            return  # a crash, or nothing done yet that a checkpoint would keep
        try:
            if trainer.is_global_zero:  # a second signal mid-write keeps the periodic one
                with atomic_file(self.path) as tmp:  # the whole state: resume needs it
                    trainer.save_checkpoint(tmp, weights_only=False)
            else:  # the other ranks join the save's barrier; only rank 0 writes
                trainer.save_checkpoint(self.path, weights_only=False)
        except Exception as e:  # the interrupt stands; the periodic checkpoint stays
            logger.warning("no checkpoint saved at the interrupt (%s): --resume continues "
                           "from the last periodic one", e)
            return
        logger.info("interrupted at step %d: saved %s (--resume continues from there)",
                    trainer.global_step, self.path)
