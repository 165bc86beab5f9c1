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


def test_recall_curves_of_a_one_motion_gallery_draw_without_warnings(tmp_path):
    import warnings

    from motionlex.core.retrieval.report import SIMILARITIES, save_recall_curves

    ranks = {f"{d}/{s}": np.array([1]) for d in ("t2m", "m2t") for s in SIMILARITIES}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's "identical low and high xlims" leaked
        out = save_recall_curves(ranks, tmp_path / "r.png", 10, np.ones((1, 1), bool))
    assert out.stat().st_size > 1000
