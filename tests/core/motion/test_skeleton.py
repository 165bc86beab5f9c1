import numpy as np
import pytest

from motionlex.core.motion.joint_arrays import load_joints_npy
from motionlex.core.motion.motion import mirror_motion
from motionlex.core.motion.skeleton import (
    KIT21,
    PART_NAMES,
    SMPL22,
    Skeleton,
    get_skeleton,
    side_check,
    skeleton_for_joint_count,
)


@pytest.mark.parametrize("sk", [SMPL22, KIT21])
def test_builtin_chains_start_at_torso_and_cover_parts(sk):
    assert len(sk.chains) == len(PART_NAMES)
    torso = set(sk.chains[0])
    for chain in sk.chains[1:]:
        assert chain[0] in torso  # limbs start at a torso joint
    for chain in sk.chains:
        for parent_side, child in zip(chain[:-1], chain[1:]):
            assert sk.parents[child] == parent_side  # ordered outward along the tree
    perm = sk.mirror_permutation()
    assert sorted(perm) == list(range(sk.num_joints))
    assert (perm[perm] == np.arange(sk.num_joints)).all()
    # mirroring maps the left arm/leg chains onto the right ones
    assert [perm[k] for k in sk.chains[1]][1:] == list(sk.chains[2])[1:]
    assert [perm[k] for k in sk.chains[3]][1:] == list(sk.chains[4])[1:]


def test_bones_drop_root_and_follow_parents():
    bones = SMPL22.bones()
    assert bones.shape == (21, 2)
    assert all(SMPL22.parents[c] == p for p, c in bones)


def test_roundtrip_dict():
    assert Skeleton.from_dict(KIT21.to_dict()) == KIT21
    knotted = Skeleton("k", SMPL22.joint_names, SMPL22.parents, SMPL22.chains,
                       knots=((0.0, 0.1, 0.2, 0.5, 0.8, 1.0),) + ((0.0, 0.25, 0.5, 0.75, 1.0),) * 4,
                       origins=((), ((6, 0.5), (12, 0.5)), ((6, 0.5), (12, 0.5)), (), ()))
    assert Skeleton.from_dict(knotted.to_dict()) == knotted
    assert "knots" not in SMPL22.to_dict()


def test_invalid_knots_and_origins_raise():
    base = ("x", ("a", "b"), (-1, 0), ((0, 1),) * 5)
    with pytest.raises(ValueError, match="knot lists"):
        Skeleton(*base, knots=((0.0, 1.0),))
    with pytest.raises(ValueError, match="rise from 0 to 1"):
        Skeleton(*base, knots=((0.0, 0.5),) * 5)
    with pytest.raises(ValueError, match="origins for"):
        Skeleton(*base, origins=((),))
    with pytest.raises(ValueError, match="summing to 1"):
        Skeleton(*base, origins=(((0, 0.5),),) * 5)


def test_invalid_skeletons_raise():
    with pytest.raises(ValueError, match="parents"):
        Skeleton("x", ("a", "b"), (-1,), ((0, 1),) * 5)
    with pytest.raises(ValueError, match="one root"):
        Skeleton("x", ("a", "b"), (-1, -1), ((0, 1),) * 5)
    with pytest.raises(ValueError, match="chains"):
        Skeleton("x", ("a", "b"), (-1, 0), ((0, 1),) * 4)
    with pytest.raises(ValueError, match="< 2 joints"):
        Skeleton("x", ("a", "b"), (-1, 0), ((0,),) + ((0, 1),) * 4)
    with pytest.raises(ValueError, match="out of range"):
        Skeleton("x", ("a", "b"), (-1, 5), ((0, 1),) * 5)


def test_lookup_errors():
    assert get_skeleton("smpl22") is SMPL22
    assert skeleton_for_joint_count(21) is KIT21
    with pytest.raises(KeyError, match="known"):
        get_skeleton("nope")
    with pytest.raises(ValueError, match="23 joints"):
        skeleton_for_joint_count(23)


def test_smpl_sides_verified_on_real_walks(shared_data):
    """Left joints sit on the body's left (+x when facing +z) in real walking clips."""
    files = sorted((shared_data / "bandai" / "new_joints").glob("bn1_walk_*.npy"))[:5]
    files += sorted((shared_data / "cmu_kitml" / "new_joints").glob("*.npy"))[:5]
    assert files
    for f in files:
        m = load_joints_npy(f, SMPL22)
        assert side_check(m.joints, SMPL22) > 0.9, f
        swapped = m.joints[:, SMPL22.mirror_permutation()]
        assert side_check(swapped, SMPL22) < 0.1, f
        # a mirrored motion (x negated too) is a valid body again
        assert side_check(mirror_motion(m).joints, SMPL22) > 0.9, f


def test_side_check_rejects_bad_shape():
    with pytest.raises(ValueError, match="expected joints"):
        side_check(np.zeros((4, 21, 3)), SMPL22)


def test_a_joint_of_several_chains_belongs_to_the_first_the_torso():
    """SMPL-22's pelvis starts the torso and both legs, its spine3 starts both arms: they are
    torso joints (colours, glTF part labels), and the others are their own chain's."""
    from motionlex.core.motion.skeleton import PART_NAMES

    part = SMPL22.part_of_joint()
    torso, left_leg, right_arm = (PART_NAMES.index(p) for p in ("torso", "left_leg",
                                                                  "right_arm"))
    assert part[0] == part[9] == torso  # pelvis, spine3
    assert part[1] == left_leg and part[17] == right_arm  # left hip, right shoulder


def test_inherited_parts_colour_helper_joints_as_the_limb_they_hang_from(shared_data):
    """Audit 32: on the 100-joint iClone figure 77 joints were in no chain and drawn grey
    (twist bones mid-limb, fingers, toes, eyes, breast bones). ``inherit=True`` gives each
    the part of its nearest chained ancestor; chained joints keep theirs."""
    from motionlex.core.motion.bvh import load_bvh
    from motionlex.core.motion.skeleton import PART_NAMES

    sk = load_bvh(shared_data / "raw_bvh" / "cmu_05_16_iclone.bvh").skeleton
    own, drawn = sk.part_of_joint(), sk.part_of_joint(inherit=True)
    assert (own < 0).sum() > 50 and (drawn >= 0).all()
    assert (drawn[own >= 0] == own[own >= 0]).all()
    name = {n: i for i, n in enumerate(sk.joint_names)}
    for joint, part in (("CC_Base_L_ThighTwist01", "left_leg"), ("CC_Base_R_Index2", "right_arm"),
                        ("CC_Base_L_Eye", "torso"), ("CC_Base_R_ForearmTwist01", "right_arm")):
        assert PART_NAMES[drawn[name[joint]]] == part, joint
    # SMPL-22 has every joint in a chain: nothing to inherit
    assert (SMPL22.part_of_joint(inherit=True) == SMPL22.part_of_joint()).all()
