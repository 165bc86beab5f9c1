"""Fixtures for tests/core/train: the phase module on a one-parameter model, for tests of
what Lightning does with the module's batches, ranks and random streams (seconds, no
encoder); a small real dataset for tests of whole training runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from motionlex.core.train.masking import random_patch_mask
from motionlex.core.train.module import MotionTextModule
from motionlex.core.train.train_config import PhaseConfig, TrainConfig


class BatchRecorder(MotionTextModule):
    """:class:`MotionTextModule` (its setup, loader and hooks) on ``nn.Linear(1, 1)`` with a
    learning rate of 0: each step records the captions it trained on and a patch mask drawn
    from the global generator (as CMMM draws it), in ``seen`` and, with ``out``, in
    ``out/step{S}-rank{R}.json`` (a process launched by DDP keeps no ``seen``)."""

    def __init__(self, batches: torch.utils.data.Dataset, num_workers: int = 0,
                 out: Path | None = None):
        torch.manual_seed(0)
        super().__init__(torch.nn.Linear(1, 1), torch.nn.Module(),
                         TrainConfig(seed=0, num_workers=num_workers),
                         PhaseConfig("lexmlm", 100, 4), batches=batches)
        self.out, self.seen = out, []

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        mask = random_patch_mask(torch.ones(2, 12, dtype=torch.bool), 0.5)
        record = {"step": self.global_step, "epoch": self.current_epoch,
                  "texts": batch["texts"], "mask": mask.int().tolist()}
        self.seen.append(record)
        if self.out is not None:
            path = self.out / f"step{self.global_step}-rank{self.global_rank}.json"
            path.write_text(json.dumps(record))
        return self.model(torch.ones(1, 1)).sum()

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.0)

    def on_train_batch_end(self, *args) -> None:  # no logit scales to clamp
        pass


@pytest.fixture
def batch_recorder() -> type[BatchRecorder]:
    return BatchRecorder


@pytest.fixture(scope="module")
def small_data(shared_data, tmp_path_factory, make_subset):
    """A small real dataset: 60 Bandai train clips (many actions) and 16 val clips."""
    src = shared_data / "bandai"
    train = [ln.strip() for ln in (src / "train.txt").read_text().splitlines()][::49][:60]
    val = [ln.strip() for ln in (src / "val.txt").read_text().splitlines()][::4][:16]
    root = tmp_path_factory.mktemp("data") / "bandai_small"
    return make_subset(src, root, train + val, {"train": train, "val": val})
