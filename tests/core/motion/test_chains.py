"""Body-part chains and mirror pairs from joint names and a tree (mixamo layout)."""

from __future__ import annotations

import pytest

from motionlex.core.motion.chains import (
    derive_chains,
    joint_side,
    mirror_pairs_from_names,
    name_tokens,
)

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
