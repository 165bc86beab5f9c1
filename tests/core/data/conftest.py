"""Fixtures of tests/core/data: the real Bandai validation clips and their composition pool."""

from __future__ import annotations

import pytest

from motionlex.core.data.composition import composition_pool
from motionlex.core.data.datasets import MotionDataset


@pytest.fixture(scope="session")
def val_samples(shared_data):
    samples, report = MotionDataset(shared_data / "bandai", "val").scan()
    assert report.kept == 70
    return samples


@pytest.fixture(scope="session")
def pool(val_samples):
    return composition_pool(val_samples)
