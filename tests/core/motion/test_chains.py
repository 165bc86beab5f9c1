"""Body-part chains and mirror pairs from joint names and a tree (mixamo layout)."""

from __future__ import annotations

import numpy as np
import pytest

from motionlex.core.motion.bvh import load_bvh
from motionlex.core.motion.chains import (
    chains_mirrored,
    derive_chains,
    drop_joints,
    find_end_joints,
    joint_side,
    mirror_pairs_from_names,
    name_tokens,
    root_markers,
    smpl_matched_knots,
    tree_walk,
)
from motionlex.core.motion.skeleton import KIT21, SMPL22

MIXAMO = [("Hips", -1), ("Spine", 0), ("Spine1", 1), ("Spine2", 2), ("Neck", 3), ("Head", 4),
          ("HeadTop_End", 5), ("LeftShoulder", 3), ("LeftArm", 7), ("LeftForeArm", 8),
          ("LeftHand", 9), ("LeftHandIndex1", 10), ("RightShoulder", 3), ("RightArm", 12),
          ("RightForeArm", 13), ("RightHand", 14), ("RightHandThumb1", 15), ("LeftUpLeg", 0),
          ("LeftLeg", 17), ("LeftFoot", 18), ("LeftToeBase", 19), ("LeftToe_End", 20),
          ("RightUpLeg", 0), ("RightLeg", 22), ("RightFoot", 23), ("RightToeBase", 24)]


def test_derive_chains_mixamo_names():
    names = [f"mixamorig:{n}" for n, _ in MIXAMO]
    chains = derive_chains(names, [p for _, p in MIXAMO])
    short = [[MIXAMO[k][0] for k in c] for c in chains]
    assert short == [["Hips", "Spine", "Spine1", "Spine2", "Neck", "Head"],
                     ["Spine2", "LeftShoulder", "LeftArm", "LeftForeArm", "LeftHand"],
                     ["Spine2", "RightShoulder", "RightArm", "RightForeArm", "RightHand"],
                     ["Hips", "LeftUpLeg", "LeftLeg", "LeftFoot", "LeftToeBase"],
                     ["Hips", "RightUpLeg", "RightLeg", "RightFoot", "RightToeBase"]]
    pairs = mirror_pairs_from_names(names)
    assert (7, 12) in pairs and (17, 22) in pairs and (10, 15) in pairs
    assert all(names[a].split(":")[1].startswith("Left") for a, _ in pairs)


def test_derive_chains_errors():
    names, parents = [n for n, _ in MIXAMO], [p for _, p in MIXAMO]
    with pytest.raises(ValueError, match="26 joint names, 25 parents"):
        derive_chains(names, parents[:-1])
    # the only 'Head' hangs below the left hand: the torso path runs through the hand
    bad = list(parents)
    bad[5] = 10
    with pytest.raises(ValueError, match="inconsistent body parts: chain 'torso'"):
        derive_chains(names, bad)


def test_name_tokens_and_sides():
    assert name_tokens("mixamorig:LeftUpLeg") == ("left", "up", "leg")
    assert name_tokens("CC_Base_L_Hand") == ("cc", "base", "l", "hand")
    assert joint_side("UpperArm_R") == "right" and joint_side("lShldr") == "left"
    assert joint_side("Spine") is None


def test_root_markers_only_above_the_pelvis_with_one_child():
    # Bandai-like: marker -> Hips; a root with a second child (a prop) is kept
    assert root_markers([-1, 0, 1, 1], pelvis=1) == (0,)
    assert root_markers([-1, 0, 1, 2, 2], pelvis=2) == (0, 1)
    assert root_markers([-1, 0, 0, 1, 1], pelvis=1) == ()
    assert root_markers([-1, 0, 0], pelvis=0) == ()


def test_drop_joints_reindexes_parents():
    keep, names, parents = drop_joints(["root", "hips", "a", "b"], [-1, 0, 1, 1], [0])
    assert keep == [1, 2, 3] and names == ("hips", "a", "b") and parents == (-1, 0, 0)


def test_smpl_matched_knots_on_smpl22_are_its_own_resampling():
    """SMPL-22's own chains get SMPL's equal index steps and arms that start at spine3."""
    knots, origins = smpl_matched_knots(SMPL22.chains, np.ones(22))
    for chain, k in zip(SMPL22.chains, knots):
        np.testing.assert_allclose(k, np.linspace(0.0, 1.0, len(chain)), atol=1e-9)
    assert origins == ((), ((9, 1.0),), ((9, 1.0),), (), ())


def test_smpl_matched_knots_short_arms_and_legs_without_toes():
    # torso 0-1-2-3-4 (arms branch at 3 = spine3, no neck); arm without collar; 3-joint arm;
    # Daz-like legs pelvis-hip-twist-knee-ankle with no toe joint
    chains = ((0, 1, 2, 3, 4), (3, 5, 6, 7), (3, 8, 9), (0, 10, 11, 12, 13), (0, 14, 15, 16, 17))
    lengths = np.ones(18)
    lengths[[11, 15]] = 0.1  # the twist joint sits 1/10 of the thigh below the hip
    knots, origins = smpl_matched_knots(chains, lengths, has_toes=False)
    assert knots[0] == pytest.approx((0.0, 0.2, 0.4, 0.6, 1.0))
    assert knots[1] == pytest.approx((0.0, 0.5, 0.75, 1.0))
    assert knots[2] == pytest.approx((0.0, 0.5, 1.0))
    assert knots[3] == knots[4] == pytest.approx((0.0, 0.25, 0.25 + 0.25 / 11, 0.5, 1.0))
    assert origins[1] == origins[2] == ((3, 1.0),)
    with pytest.raises(ValueError, match="5 chains"):
        smpl_matched_knots(chains[:4], lengths)


def test_smpl_matched_knots_put_the_found_ankle_in_the_ankle_slot():
    """A joint between ankle and toe (KIT-ML's LMrot, a metatarsal) goes between their slots;
    the ankle found on the tree, not the toe's parent, takes SMPL's ankle slot (0.75)."""
    chains = derive_chains(KIT21.joint_names, KIT21.parents)
    ends = find_end_joints(KIT21.joint_names, KIT21.parents)
    ankles = (ends["left_foot"], ends["right_foot"])
    assert [KIT21.joint_names[j] for j in ankles] == ["LA", "RA"]
    knots, _ = smpl_matched_knots(chains, np.ones(21), ankles=ankles)
    assert knots[3] == knots[4] == pytest.approx((0.0, 0.25, 0.5, 0.75, 0.875, 1.0))
    # without the ankles a leg's ankle is the toe's parent (SMPL-22, Bandai, Daz): LMrot
    assert smpl_matched_knots(chains, np.ones(21))[0][3] == pytest.approx(
        (0.0, 0.25, 0.375, 0.5, 0.75, 1.0))


def test_kit_mmm_names_pair_left_with_right():
    """KIT-ML's MMM abbreviations (LS/RS, LW/RW, LA/RA, ...) carry their side in the first
    capital: all eight of KIT-21's pairs, BT/BP/BUN unpaired; a lone L-name stays unpaired."""
    pairs = {frozenset(p) for p in mirror_pairs_from_names(KIT21.joint_names)}
    assert pairs == {frozenset(p) for p in KIT21.mirror_pairs}
    assert mirror_pairs_from_names(["root", "LS", "LX", "RS", "BLN"]) == ((1, 3),)
    assert chains_mirrored(KIT21.chains, KIT21.mirror_permutation())
    assert not chains_mirrored(KIT21.chains, np.arange(21))  # names paired nothing


def test_bandai_knots_put_patch_points_where_smpl_does(shared_data):
    """The 5-joint Bandai torso gets SMPL-22's knots (Neck at 0.8 as SMPL's neck) and the
    arms start halfway between Chest and Neck, where the SMPL-22 conversions put spine3."""
    sk = load_bvh(shared_data / "raw_bvh" / "bandai_2_wave-right-hand_normal_001.bvh").skeleton
    names = sk.joint_names
    assert sk.knots[0] == pytest.approx((0.0, 0.2, 0.4, 0.8, 1.0), abs=0.01)
    for arm in (1, 2):
        assert sk.knots[arm] == pytest.approx((0.0, 0.25, 0.5, 0.75, 1.0))
        origin = {names[j]: w for j, w in sk.origins[arm]}
        assert origin == pytest.approx({"Chest": 0.5, "Neck": 0.5}, abs=0.02)
    assert sk.origins[0] == sk.origins[3] == sk.origins[4] == ()


def test_tree_walk_depths_sizes_and_preorder():
    parents = [p for _, p in MIXAMO]
    depth, size, pre = tree_walk(parents)
    assert depth[0] == 0 and depth[5] == 5 and depth[10] == 7  # Hips, Head, LeftHand
    assert size[0] == len(MIXAMO) - 1 and size[17] == 4 and size[25] == 0
    assert sorted(pre) == list(range(len(MIXAMO)))
    for a in range(len(MIXAMO)):  # the pre-order interval test equals walking up
        for i in range(len(MIXAMO)):
            up, j = set(), parents[i]
            while j >= 0:
                up.add(j)
                j = parents[j]
            assert (pre[a] < pre[i] <= pre[a] + size[a]) == (a in up)


def test_tree_walk_refuses_cycles_and_bad_parents():
    with pytest.raises(ValueError, match="2 of 3 joints are on a cycle"):
        tree_walk([-1, 2, 1])
    with pytest.raises(ValueError, match=r"joint 1 has parent 5, not in \[-1, 2\]"):
        tree_walk([-1, 5, 0])
    names = [n for n, _ in MIXAMO]
    with pytest.raises(ValueError, match="on a cycle"):
        find_end_joints(names, [1, 0] + [p for _, p in MIXAMO[2:]])


def test_end_joints_on_a_deep_chain():
    """A 600-joint spine (was cubic: 500 joints took 1.9 s); ends are still found."""
    spine = 600
    names = ["Hips"] + [f"Spine{k}" for k in range(spine)] + ["Head", "LeftHand", "RightHand",
                                                               "LeftFoot", "LeftToe", "RightFoot"]
    parents = [-1] + list(range(spine)) + [spine, spine, spine, 0, spine + 4, 0]
    ends = find_end_joints(names, parents)
    assert ends == {"head": spine + 1, "left_hand": spine + 2, "right_hand": spine + 3,
                    "left_foot": spine + 4, "left_toe": spine + 5, "right_foot": spine + 6}
    chains = derive_chains(names, parents)
    assert len(chains[0]) == spine + 2 and chains[3] == (0, spine + 4, spine + 5)


@pytest.mark.parametrize("style", [
    lambda n: n,                                                   # motionlex: l_ankle, l_foot
    lambda n: "_".join(w.capitalize() for w in n.split("_")),      # converters: L_Ankle
    lambda n: n.replace("l_", "left_", 1).replace("r_", "right_", 1),  # SMPL-X: left_foot
])
def test_smpl_names_foot_below_ankle_is_the_toe(style):
    """SMPL's "foot" joint is the toe under the ankle: the legs end there, as SMPL-22's."""
    names = [style(n) for n in SMPL22.joint_names]
    ends = find_end_joints(names, SMPL22.parents)
    assert {k: SMPL22.joint_names[v] for k, v in ends.items() if "foot" in k or "toe" in k} == {
        "left_foot": "l_ankle", "left_toe": "l_foot",
        "right_foot": "r_ankle", "right_toe": "r_foot"}
    assert derive_chains(names, SMPL22.parents) == SMPL22.chains
    # a foot-named joint below a Foot (not an ankle) is no toe; a toe* joint still is
    mixamo = [n for n, _ in MIXAMO] + ["LeftFootPad"]
    ends = find_end_joints(mixamo, [p for _, p in MIXAMO] + [19])
    assert mixamo[ends["left_toe"]] == "LeftToeBase"
