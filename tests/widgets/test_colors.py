"""Body-part colours: one distinct colour per part, joint/bone colour lookup, errors."""

from __future__ import annotations

import numpy as np
import pytest

from motionlex.core.motion.skeleton import KIT21, PART_NAMES, SMPL22
from motionlex.widgets.colors import (
    PART_COLORS_HEX,
    bone_colors,
    hex_to_rgbaf,
    joint_colors,
    part_qcolor,
    part_rgba_table,
)


def test_one_distinct_colour_per_part():
    assert len(PART_COLORS_HEX) == len(PART_NAMES) == len(set(PART_COLORS_HEX))
    table = part_rgba_table()
    assert table.shape == (len(PART_NAMES) + 1, 4)
    # pairwise RGB distance large enough to tell parts apart
    d = np.linalg.norm(table[:, None, :3] - table[None, :, :3], axis=-1)
    assert d[~np.eye(len(table), dtype=bool)].min() > 0.15


@pytest.mark.parametrize("skeleton", [SMPL22, KIT21])
def test_joint_and_bone_colours_follow_parts(skeleton):
    parts = skeleton.part_of_joint()
    rgba = joint_colors(parts, skeleton.num_joints)
    assert rgba.shape == (skeleton.num_joints, 4) and rgba.dtype == np.float32
    for p, chain in enumerate(skeleton.chains):
        tip = chain[-1]  # a chain's outer end belongs to that part only
        np.testing.assert_allclose(rgba[tip], hex_to_rgbaf(PART_COLORS_HEX[p]))
    bones = skeleton.bones()
    per_vertex = bone_colors(bones, rgba)
    assert per_vertex.shape == (2 * len(bones), 4)
    np.testing.assert_allclose(per_vertex[0::2], rgba[bones[:, 1]])  # the child's colour
    np.testing.assert_allclose(per_vertex[1::2], rgba[bones[:, 1]])


def test_none_and_unassigned_are_neutral():
    neutral = joint_colors(None, 4)
    assert np.allclose(neutral, neutral[0]) and neutral.shape == (4, 4)
    np.testing.assert_allclose(joint_colors(np.array([-1, 0]), 2)[0], neutral[0])
    assert part_qcolor(-1).name() != part_qcolor(0).name()


def test_rejects_bad_values():
    with pytest.raises(ValueError, match="#RRGGBB"):
        hex_to_rgbaf("red")
    with pytest.raises(ValueError, match="#RRGGBB"):
        hex_to_rgbaf("#GG0000")
    with pytest.raises(ValueError, match="alpha"):
        hex_to_rgbaf("#FF0000", alpha=1.5)
    with pytest.raises(ValueError, match="part index"):
        part_qcolor(len(PART_NAMES))
    with pytest.raises(ValueError, match="shape"):
        joint_colors(np.zeros(3, dtype=int), 4)
    with pytest.raises(ValueError, match="values must be in"):
        joint_colors(np.array([0, 5]), 2)
