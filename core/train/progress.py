"""The training progress bar: one bar per phase that counts optimiser steps.

Lightning's bars count the batches of an epoch, and a phase here is a number of steps over
as many (often one-batch) epochs as it takes: its bar read "Epoch 2/-2" (``max_epochs=-1``)
with a ``v_num`` column. This one reads ``lexcmlp: 120/300 [00:41<01:02, loss=2.31]``: the
phase, its steps, the time left and the loss. The loss is read from the device every
:attr:`PhaseProgressBar.metrics_every` steps only (each read waits for the device). Work that
stops the steps (validation) names itself on the bar (:func:`bar_status`): a bar at 100 %
that does not move says "validating", not nothing.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import TQDMProgressBar
from lightning.pytorch.callbacks.progress.tqdm_progress import Tqdm


class PhaseProgressBar(TQDMProgressBar):
    """A tqdm bar over a phase's optimiser steps (see the module doc).

    Args:
        phase: the phase's name, the bar's description.
        max_steps: the phase's steps, the bar's total.
        metrics_every: refresh the shown loss every this many steps (>= 1).
    """

    def __init__(self, phase: str, max_steps: int, metrics_every: int = 10) -> None:
        super().__init__()
        self.phase = phase
        self.max_steps = max(1, int(max_steps))
        self.metrics_every = max(1, int(metrics_every))

    def get_metrics(self, trainer: L.Trainer, pl_module: L.LightningModule) -> dict[str, Any]:
        items = super().get_metrics(trainer, pl_module)
        items.pop("v_num", None)  # the CSV logger's run number: not progress
        return items

    def init_train_tqdm(self) -> Tqdm:  # named and sized from the start: no "Training 0/?"
        return Tqdm(desc=self.phase, total=self.max_steps, position=2 * self.process_position,
                    disable=self.is_disabled, leave=True, dynamic_ncols=True, file=sys.stderr,
                    smoothing=0, bar_format=self.BAR_FORMAT)

    def on_train_start(self, trainer: L.Trainer, *_: Any) -> None:
        super().on_train_start(trainer)  # init_train_tqdm: named and sized
        bar = self.train_progress_bar
        bar.n = bar.initial = trainer.global_step  # a resumed phase starts where it stopped
        bar.refresh()

    def on_train_epoch_start(self, trainer: L.Trainer, *_: Any) -> None:
        """Nothing: the bar counts steps across epochs."""

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule,
                           outputs: Any, batch: Any, batch_idx: int) -> None:
        bar = self.train_progress_bar
        if bar is None or bar.disable:
            return
        bar.n = step = trainer.global_step
        if step % self.metrics_every == 0 or step >= self.max_steps:
            bar.set_postfix(self.get_metrics(trainer, pl_module), refresh=False)
        bar.refresh()

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Nothing: epochs are not what the bar counts."""


@contextlib.contextmanager
def bar_status(trainer: L.Trainer, text: str) -> Iterator[None]:
    """Show ``text`` as the phase bar's postfix while the block runs (e.g. "validating"),
    then the bar's metrics again. The block's time is left out of the bar's clock, so its
    rate and time left are the steps' own (after a 20 s validation, 5 steps of 3 s read
    "<00:15", not "<02:08"); the elapsed time shown is the steps' too. Nothing happens
    without a shown :class:`PhaseProgressBar`.

    Args:
        trainer: the running trainer (its progress bar callback is looked up).
        text: what the block does, a few words.
    """
    cb = trainer.progress_bar_callback
    bar = getattr(cb, "_train_progress_bar", None) if isinstance(cb, PhaseProgressBar) else None
    if bar is None or bar.disable:
        yield
        return
    before = bar.postfix
    bar.set_postfix_str(f"{before}, {text}" if before else text, refresh=True)
    started = time.time()  # tqdm's clock
    try:
        yield
    finally:
        bar.start_t += time.time() - started
        bar.postfix = before
        bar.refresh()
