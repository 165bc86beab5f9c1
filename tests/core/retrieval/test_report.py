"""Report helpers: the chance curve of the recall figure, the Markdown table."""

from __future__ import annotations

import numpy as np

from motionlex.core.retrieval.evaluate import EvalConfig
from motionlex.core.retrieval.report import chance_recall, markdown_report


def test_chance_recall_by_hand():
    np.testing.assert_allclose(chance_recall(np.array([1]), 10, 10), 10.0 * np.arange(1, 11))
    np.testing.assert_allclose(chance_recall(np.array([2]), 4, 2), [50.0, 100.0 * 5 / 6])


def test_markdown_report_rows():
    metrics = {"n/texts": 4.0, "n/motions": 2.0, "t2m/All/dense/R@1": 50.0,
               "t2m/All/dense/MedR": 1.5}
    info = {"checkpoint": "ckpt", "data": "data", "split": "val", "notes": ["a note"]}
    table = markdown_report(metrics, info, EvalConfig())
    assert "- a note" in table and "| dense | All | 50.00 | - | - | - | - | 1.50 |" in table
    assert "## Chronologically accurate retrieval" not in table
