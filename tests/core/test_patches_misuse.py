"""Misuse of the patch API from Python (audit 25y): non-finite statistics, a Motion or a
Skeleton where an array is expected, lengths of 0. Statistics and joints are real
(humanml3d_samples in ../shared/data); valid calls give what they gave."""

from __future__ import annotations

import json

import numpy as np
import pytest

from motionlex.core.motion.skeleton import SMPL22
from motionlex.core.patches import (
    PatchStats,
    motion_patch_image,
    part_resampling_matrix,
)


@pytest.fixture(scope="module")
def motions(samples_motions):
    return samples_motions


@pytest.fixture(scope="module")
def stats(samples_stats) -> PatchStats:
    return samples_stats


@pytest.mark.parametrize("field, value, where", [
    ("mean", np.nan, "mean"), ("mean", np.inf, "mean"), ("std", np.inf, "std"),
    ("std", np.nan, "std")])
def test_non_finite_statistics_are_refused(stats, field, value, where):
    """A NaN mean made every patch NaN, an infinite std every z-scored patch 0."""
    arr = np.array(getattr(stats, field))
    arr[7, 1] = value
    args = {"mean": stats.mean, "std": stats.std, field: arr}
    with pytest.raises(ValueError, match=rf"PatchStats\.{where} must be finite: 1 NaN or inf "
                                         r"value\(s\), first at \[7, 1\] \(sample point 7, y\)"):
        PatchStats(args["mean"], args["std"])


def test_loaded_statistics_with_nan_name_the_file(stats, tmp_path):
    """A JSON NaN in "mean" loaded (one in "std" was refused)."""
    d = stats.to_dict()
    d["mean"][3][0] = float("nan")
    path = tmp_path / "patch_stats.json"
    path.write_text(json.dumps(d))  # Python's json writes and reads NaN
    with pytest.raises(ValueError, match=rf"{path}: not valid patch statistics \(PatchStats"
                                         r"\.mean must be finite"):
        PatchStats.load(path)
    stats.save(path)
    again = PatchStats.load(tmp_path)  # a folder holding it, as a model folder
    np.testing.assert_array_equal(again.mean, stats.mean)


@pytest.mark.parametrize("content", ["[]", "[1, 2]", "5"])
def test_statistics_that_are_not_an_object_say_so(tmp_path, content):
    """Audit A R2: ``[]`` said "list indices must be integers or slices, not str"."""
    path = tmp_path / "patch_stats.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=rf"{path}: not valid patch statistics \(got a "
                                         r"(list|int), not a JSON object with 'mean' and 'std'"):
        PatchStats.load(path)


def test_motion_patch_image_names_what_it_expects(motions, stats):
    """A Motion failed in float(), a Skeleton as matrix with "no attribute 'shape'", a dict as
    stats with "no attribute 'mean'"."""
    m = motions[0]
    mat = part_resampling_matrix(m.skeleton)
    with pytest.raises(TypeError, match=r"expects a joint array \(T, J, 3\), got a Motion: "
                                        r"pass motion\.joints"):
        motion_patch_image(m, mat, stats)
    with pytest.raises(TypeError, match=r"matrix must be the \(80, J\) array of "
                                        r"part_resampling_matrix\(skeleton\), got Skeleton"):
        motion_patch_image(m.joints, m.skeleton, stats)
    with pytest.raises(TypeError, match="stats must be a PatchStats or None .*got dict"):
        motion_patch_image(m.joints, mat, stats.to_dict())
    # a built-in skeleton's name is taken, as everywhere; anything else is named
    np.testing.assert_array_equal(part_resampling_matrix("smpl22"), mat)
    with pytest.raises(TypeError, match=r"part_resampling_matrix: skeleton must be a Skeleton "
                                        r"or a built-in skeleton's name .*got int"):
        part_resampling_matrix(22)
    # statistics of another geometry (8 points per part) and joints of another skeleton
    with pytest.raises(ValueError, match=r"the patch statistics have 80 columns and the matrix "
                                         r"40 \(8 points per part\)"):
        motion_patch_image(m.joints, part_resampling_matrix(m.skeleton, 8), stats)
    with pytest.raises(ValueError, match=r"for this matrix \(21 joints\), got \(\d+, 22, 3\)"):
        motion_patch_image(m.joints, part_resampling_matrix("kit21"), stats)  # not (1, T, ...)
    img = motion_patch_image(m.joints, mat, stats)
    assert img.shape == (3, m.num_frames, 80) and np.isfinite(img).all()
    np.testing.assert_array_equal(motion_patch_image(list(m.joints), mat, stats), img)


def test_lengths_below_one_and_empty_clips_are_refused(motions, stats):
    """lengths=[0] gave an all-zero image (patch_row_mask refuses 0); 0 frames failed in
    reshape."""
    j = motions[0].joints
    mat = part_resampling_matrix(SMPL22)
    for bad in ([0], [-5]):
        with pytest.raises(ValueError, match=rf"lengths must be >= 1 .*got \[{bad[0]}\]"):
            motion_patch_image(j[None], mat, stats, bad)
    with pytest.raises(ValueError, match=r"joints have no frames \(shape \(1, 0, 22, 3\)\)"):
        motion_patch_image(j[:0], mat, stats)
    full = motion_patch_image(j[None], mat, stats)
    np.testing.assert_array_equal(motion_patch_image(j[None], mat, stats, [len(j)]), full)
    np.testing.assert_array_equal(motion_patch_image(j[None], mat, stats, [10 ** 6]), full)
