"""Fixtures for tests/core: the tiny model and a small batch (model and train tests), and
figures that tests measure, printed in pytest's terminal summary.

A test asks for ``terminal_report`` (a list of str) and appends lines; they appear under a
"motionlex figures" heading at the end of every run, including a plain ``python -m pytest``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from motionlex.core.model.factory import create_model
from motionlex.core.model.model import MotionTextModel

CAPTIONS = (
    "a person walks forward then turns around",
    "someone jumps up twice",
    "a man sits down on a chair",
    "the person waves with the right hand",
)
LENGTHS = (14, 9, 5, 2)
"""Real patch rows (of 14) of the batch's 4 motions."""


def _batch(seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    return {
        "patches": torch.randn(4, 3, 224, 80, generator=g),
        "row_mask": torch.arange(14).unsqueeze(0) < torch.tensor(LENGTHS).unsqueeze(1),
        "texts": list(CAPTIONS),
        "negative_texts": ["then turns around a person walks forward"],
        "negative_owner": torch.tensor([0]),
    }


@pytest.fixture
def make_batch() -> Callable[[int], dict]:
    """``make_batch(seed)``: 4 random motions with 14, 9, 5 and 2 real rows, their captions,
    and the first caption's events swapped as one CAR negative."""
    return _batch


@pytest.fixture(scope="session")
def samples_motions(shared_data) -> list:
    """The motions of ``humanml3d_samples`` (all split), as the dataset loads them."""
    from motionlex.core.data.datasets import MotionDataset

    ds = MotionDataset(shared_data / "humanml3d_samples", "all")
    return [ds.load_motion(rec) for rec in ds.records]


@pytest.fixture(scope="session")
def samples_stats(samples_motions):
    """Patch statistics of :func:`samples_motions` (``source="humanml3d_samples"``)."""
    from motionlex.core.patches import PatchStatsAccumulator, part_resampling_matrix, sample_points

    acc = PatchStatsAccumulator()
    for m in samples_motions:
        acc.update(sample_points(m.joints, part_resampling_matrix(m.skeleton)))
    return acc.finalize("humanml3d_samples")


@pytest.fixture(scope="module")
def tiny() -> MotionTextModel:
    """The ``tiny`` model (seed 0), in eval mode, one per test module."""
    torch.manual_seed(0)
    return create_model("tiny", device="cpu").eval()

_REPORT = pytest.StashKey[list]()


@pytest.fixture
def terminal_report(request: pytest.FixtureRequest) -> list:
    """Lines to print in the terminal summary (shared by all tests of the session)."""
    return request.config.stash.setdefault(_REPORT, [])


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    lines = config.stash.get(_REPORT, [])
    if lines:
        terminalreporter.section("motionlex figures")
        for line in lines:
            terminalreporter.write_line(line)
