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
    assert "Small batches" not in table  # the legend names only the protocols reported


def test_protocol_legend_says_which_captions_and_how_many_motions():
    # "Small batches (32)" read 98.44 on Bandai val: 63 of 64 motions, 6 of 70 dropped
    metrics = {"n/texts": 140.0, "n/motions": 70.0, "t2m/SmallBatches/dense/R@1": 98.44,
               "t2m/Threshold/dense/R@1": 90.0}
    table = markdown_report(metrics, {"checkpoint": "c", "data": "d", "split": "val"},
                            EvalConfig())
    assert "the remainder dropped (64 of 70 motions)" in table
    assert "Threshold 0.95 with first captions" in table and "(cosine 0.9)" in table
    assert "All, first caption with each motion's first caption" in table


def test_recall_curves_of_a_one_motion_gallery_draw_without_warnings(tmp_path):
    import warnings

    from motionlex.core.retrieval.report import SIMILARITIES, save_recall_curves

    ranks = {f"{d}/{s}": np.array([1]) for d in ("t2m", "m2t") for s in SIMILARITIES}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's "identical low and high xlims" leaked
        out = save_recall_curves(ranks, tmp_path / "r.png", 10, np.ones((1, 1), bool))
    assert out.stat().st_size > 1000


def test_recall_curves_put_small_k_apart_on_a_log_axis(tmp_path):
    """k = 1, 2, 3, 5 (where models differ) sit apart, not squeezed against k = 50."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from motionlex.core.retrieval.report import SIMILARITIES, save_recall_curves

    rng = np.random.default_rng(0)
    ranks = {f"{d}/{s}": rng.integers(1, 60, 80) for d in ("t2m", "m2t") for s in SIMILARITIES}
    made = []
    real_close = plt.close
    plt.close = lambda fig=None: made.append(fig)  # keep the figure to look at its axes
    try:
        save_recall_curves(ranks, tmp_path / "r.png", 50, np.eye(80, dtype=bool))
    finally:
        plt.close = real_close
    ax = made[0].axes[0]
    assert ax.get_xscale() == "log" and list(ax.get_xticks()) == [1, 2, 3, 5, 10, 20, 50]
    to_px = ax.transData.transform
    assert to_px((2, 0))[0] - to_px((1, 0))[0] > (to_px((50, 0))[0] - to_px((1, 0))[0]) / 8



def test_a_patch_figure_title_with_an_emoji_or_of_any_length_warns_nothing(shared_data,
                                                                          tmp_path):
    """``motionlex patches --title`` with an emoji printed matplotlib's glyph warnings (with
    source paths), and a very long title its tight-layout warning; the title is cut to
    MAX_TITLE_LINES lines and an emoji is drawn as a box, silently."""
    import warnings

    from motionlex.core.motion.files import load_motion_file
    from motionlex.core.patches import motion_patch_image, part_resampling_matrix
    from motionlex.core.retrieval.report import save_patch_figure

    m = load_motion_file(shared_data / "raw_bvh" / "bandai_1_bow_normal_001.bvh")
    img = motion_patch_image(m.joints, part_resampling_matrix(m.skeleton))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = save_patch_figure(img, tmp_path / "t.png", title="\U0001f3c3 " + "bows " * 3000)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_chronology_columns_name_the_side_their_keys_measure():
    """The column titled "motion: true vs shuffled caption" held chronology/text (the motion
    choosing between captions: the text side) and read as the motion side."""
    metrics = {"n/texts": 2.0, "n/motions": 2.0, "chronology/n": 300.0,
               "synthetic_chronology/n": 50.0}
    for sim, base in (("dense", 10.0), ("lexical", 20.0), ("fused", 30.0)):
        for key, add in (("text", 1.0), ("motion", 2.0), ("both", 3.0)):
            metrics[f"chronology/{key}/{sim}"] = base + add
            metrics[f"synthetic_chronology/{key}/{sim}"] = base + add + 50.0
    table = markdown_report(metrics, {"checkpoint": "c", "data": "d", "split": "val"},
                            EvalConfig()).splitlines()
    for title, offset in (("## Chronology test on composed clips", 0.0),
                          ("## Synthetic chronology test", 50.0)):
        at = next(i for i, ln in enumerate(table) if ln.startswith(title))
        head = next(ln for ln in table[at:] if ln.startswith("| Similarity"))
        cols = [c.strip() for c in head.strip("|").split("|")]
        assert cols[1].startswith("text side: the motion picks")
        assert cols[2].startswith("motion side: the caption picks") and cols[3] == "both"
        dense = next(ln for ln in table[at:] if ln.startswith("| dense |"))
        assert [float(c) for c in dense.strip("|").split("|")[1:]] == [
            11.0 + offset, 12.0 + offset, 13.0 + offset]
