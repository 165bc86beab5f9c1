"""Figures: the chance curve and axes of the recall figure, motion-patch figures."""

from __future__ import annotations

import numpy as np

from motionlex.core.retrieval.figures import chance_recall


def test_chance_recall_by_hand():
    np.testing.assert_allclose(chance_recall(np.array([1]), 10, 10), 10.0 * np.arange(1, 11))
    np.testing.assert_allclose(chance_recall(np.array([2]), 4, 2), [50.0, 100.0 * 5 / 6])


def test_recall_curves_of_a_one_motion_gallery_draw_without_warnings(tmp_path):
    import warnings

    from motionlex.core.retrieval.figures import SIMILARITIES, save_recall_curves

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

    from motionlex.core.retrieval.figures import SIMILARITIES, save_recall_curves

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
    from motionlex.core.retrieval.figures import save_patch_figure

    m = load_motion_file(shared_data / "raw_bvh" / "bandai_1_bow_normal_001.bvh")
    img = motion_patch_image(m.joints, part_resampling_matrix(m.skeleton))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = save_patch_figure(img, tmp_path / "t.png", title="\U0001f3c3 " + "bows " * 3000)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
