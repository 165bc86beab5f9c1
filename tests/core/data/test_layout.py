"""detect_layout: which layout a motion folder has, and its hints for folders that have none."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from motionlex.core.data.layout import detect_layout
from motionlex.core.data.text_files import DatasetError


def test_a_fifo_npy_in_a_folder_without_layout_is_never_opened(tmp_path):
    """The hint reads the first .npy's shape: a FIFO there once blocked ``scan`` for good."""
    os.mkfifo(tmp_path / "a.npy")
    done = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            detect_layout(tmp_path)
        except BaseException as e:  # noqa: BLE001 - the test reads it below
            errors.append(e)
        done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(5.0), "detect_layout opened the FIFO and blocked"
    assert isinstance(errors[0], DatasetError) and "not a motion dataset" in str(errors[0])


def test_feature_vectors_get_their_own_hint(tmp_path):
    np.save(tmp_path / "000000.npy", np.zeros((40, 263), np.float32))
    with pytest.raises(DatasetError, match="arrays of 263 features per frame"):
        detect_layout(tmp_path)
