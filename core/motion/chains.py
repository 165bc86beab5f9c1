"""Body-part chains and left/right pairs of any skeleton, from its joint tree and names.

A BVH file (or any other kinematic tree) names its joints in one of many conventions
(``LeftUpLeg``, ``UpperLeg_L``, ``lThigh``, ``CC_Base_L_Hand``, with namespaces such as
``mixamorig:``). :func:`name_tokens` splits a name into words, :func:`joint_side` reads its
side, :func:`find_end_joints` finds the head, hands and feet, and :func:`derive_chains` walks
the tree from them to the five canonical body-part chains (torso, left arm, right arm, left
leg, right leg; ../shared/DESIGN.md), failing with a clear message when a part is missing.
:func:`root_markers` finds floor-level roots above the pelvis (Bandai ``joint_Root``) that
the BVH loader drops, and :func:`smpl_matched_knots` places a skeleton's patch sample points
where SMPL-22's fall, so that a model trained on SMPL-22 reads it (issue 12).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

from motionlex.core.motion.skeleton import PART_NAMES

_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_LEFT, _RIGHT = frozenset({"l", "left", "lt"}), frozenset({"r", "right", "rt"})


def name_tokens(name: str) -> tuple[str, ...]:
    """Lower-case words of a joint name, namespace dropped.

    >>> name_tokens("mixamorig:LeftUpLeg"), name_tokens("CC_Base_L_Hand"), name_tokens("lShldr")
    (('left', 'up', 'leg'), ('cc', 'base', 'l', 'hand'), ('l', 'shldr'))
    """
    base = re.split(r"[:|]", name)[-1]
    return tuple(t.lower() for part in re.split(r"[^A-Za-z0-9]+", base)
                 for t in _CAMEL.findall(part))


def joint_side(name: str) -> Literal["left", "right"] | None:
    """``"left"``/``"right"`` when the name has one side word (Left, L_, _L, .L, lShldr)."""
    toks = set(name_tokens(name))
    left, right = bool(toks & _LEFT), bool(toks & _RIGHT)
    return "left" if left and not right else "right" if right and not left else None


def mirror_pairs_from_names(joint_names: Sequence[str]) -> tuple[tuple[int, int], ...]:
    """``(left, right)`` joint pairs whose names differ only in the side word.

    ``LeftArm``/``RightArm``, ``lShldr``/``rShldr``, ``Hand_L``/``Hand_R``,
    ``CC_Base_L_Eye``/``CC_Base_R_Eye`` pair up; so do KIT-ML's (MMM's) all-capital
    abbreviations ``LS``/``RS``, ``LW``/``RW``, ``LA``/``RA`` (2-4 capitals, L or R first,
    both present: the names of a KIT-21 BVH export, which have no side word); ambiguous names
    stay unpaired.

    Returns:
        Index pairs into ``joint_names``, sorted by the left index.
    """
    groups: dict[tuple[str, ...], dict[str, list[int]]] = {}
    for i, name in enumerate(joint_names):
        side = joint_side(name)
        if side is not None:
            key = tuple(t for t in name_tokens(name) if t not in _LEFT | _RIGHT)
            groups.setdefault(key, {"left": [], "right": []})[side].append(i)
    pairs = [(g["left"][0], g["right"][0]) for g in groups.values()
             if len(g["left"]) == 1 and len(g["right"]) == 1]
    index = {n: i for i, n in enumerate(joint_names)}
    pairs += [(i, index["R" + name[1:]]) for i, name in enumerate(joint_names)
              if _MMM_SIDE.fullmatch(name) and name[0] == "L" and "R" + name[1:] in index
              and joint_side(name) is None]
    return tuple(sorted(pairs))


_MMM_SIDE = re.compile(r"[LR][A-Z]{1,3}")
"""An MMM (KIT-ML) abbreviation with its side as first letter: ``LS`` left shoulder."""


def chains_mirrored(chains: Sequence[Sequence[int]], perm: Sequence[int]) -> bool:
    """Whether a mirror permutation (``mirrored[:, i] = joints[:, perm[i]]``) swaps the left
    and right arm and leg chains joint for joint (the arms' shared torso joint excepted) and
    keeps the torso: what mirroring a motion needs of its skeleton's ``mirror_pairs``."""
    torso, l_arm, r_arm, l_leg, r_leg = (list(c) for c in chains)
    def swapped(a: list[int], b: list[int], skip: int) -> bool:
        return len(a) == len(b) and all(perm[x] == y for x, y in zip(a[skip:], b[skip:]))
    return (all(perm[j] == j for j in torso) and swapped(l_arm, r_arm, 1)
            and swapped(l_leg, r_leg, 1))


_LOOKED_FOR = {
    "head": ("torso", "a joint named Head without a side (Head, head, CC_Base_Head)"),
    "left_hand": ("left_arm", "a left joint named Hand or Wrist (LeftHand, lHand, Hand_L)"),
    "right_hand": ("right_arm", "a right joint named Hand or Wrist (RightHand, rHand, Hand_R)"),
    "left_foot": ("left_leg", "a left joint named Foot or Ankle (LeftFoot, lFoot, Foot_L)"),
    "right_foot": ("right_leg", "a right joint named Foot or Ankle (RightFoot, rFoot, Foot_R)"),
}


def _up(parents: Sequence[int], j: int) -> list[int]:
    """``[j, parent(j), ..., root]``."""
    out = [j]
    while parents[out[-1]] >= 0 and len(out) <= len(parents):
        out.append(parents[out[-1]])
    return out


def tree_walk(parents: Sequence[int]) -> tuple[list[int], list[int], list[int]]:
    """Depth, descendant count and pre-order position of every joint, in one pass.

    ``a`` is a proper ancestor of ``i`` exactly when ``pre[a] < pre[i] <= pre[a] +
    size[a]`` (pre-order numbering), so ancestor tests take constant time. Linear in the
    joint count, whatever the depth.

    Args:
        parents: ``J`` parent indices, ``-1`` for a root.

    Returns:
        ``(depth, size, pre)``, each a list of ``J`` ints (a root has depth 0; ``size``
        counts descendants, not the joint itself).

    Raises:
        ValueError: a parent index out of range, or joints on a cycle (no root above them).
    """
    n = len(parents)
    children: list[list[int]] = [[] for _ in range(n)]
    roots = []
    for j, p in enumerate(parents):
        if not -1 <= p < n:
            raise ValueError(f"joint {j} has parent {p}, not in [-1, {n - 1}]")
        (roots if p < 0 else children[p]).append(j)
    depth, size, pre, order = [0] * n, [0] * n, [0] * n, []
    stack = [(r, 0) for r in reversed(roots)]
    while stack:
        j, d = stack.pop()
        depth[j], pre[j] = d, len(order)
        order.append(j)
        stack.extend((c, d + 1) for c in reversed(children[j]))
    if len(order) != n:
        raise ValueError(f"{n - len(order)} of {n} joints are on a cycle of the joint tree")
    for j in reversed(order):
        if parents[j] >= 0:
            size[parents[j]] += size[j] + 1
    return depth, size, pre


def lowest_common_ancestor(parents: Sequence[int], joints: Sequence[int]) -> int:
    """The deepest joint above (or equal to) every one of ``joints``; ``O(depth)``."""
    common = set.intersection(*(set(_up(parents, j)) for j in joints))
    return next(k for k in _up(parents, joints[0]) if k in common)


def tree_path(parents: Sequence[int], top: int, end: int) -> tuple[int, ...]:
    """Joints from ``top`` down to its descendant ``end``, both included."""
    up = _up(parents, end)
    return tuple(reversed(up[: up.index(top) + 1]))


_KIT_ENDS = {"head": "BUN", "left_hand": "LW", "right_hand": "RW", "left_foot": "LA",
             "right_foot": "RA", "left_toe": "LF", "right_toe": "RF"}
"""The KIT-ML (MMM) skeleton's abbreviated names of its ends: upper neck, wrists, ankles,
foot tips (``KIT21`` in :mod:`.skeleton`; the names motionlex's own BVH export writes)."""


def find_end_joints(joint_names: Sequence[str], parents: Sequence[int]) -> dict[str, int]:
    """Head, hands, feet and toes of a skeleton, from the tree and the joint names.

    Each is the joint nearest the root among those whose name has the right words (head;
    side + hand/wrist; side + foot/ankle; toe* below that foot), ties going to the joint
    with more descendants (iClone ``ToeBase`` over ``ToeBaseShareBone``). SMPL names its
    toe joint "foot" and the joint above it "ankle" (``l_ankle``/``l_foot``, ``L_Ankle``/
    ``L_Foot`` in SMPL-to-BVH converters and in motionlex's own BVH export): when the foot
    found is named ankle (and not foot), a joint named foot below it is the toe, before any
    toe* joint. KIT-ML's MMM abbreviations (``BUN``, ``LW``/``RW``, ``LA``/``RA``,
    ``LF``/``RF``: the names of a KIT-21 BVH export) fill what the words do not find.

    Returns:
        Joint indices under ``head, left_hand, right_hand, left_foot, right_foot`` and,
        where found, ``left_toe, right_toe``.

    Linear in the joint count (:func:`tree_walk`).

    Raises:
        ValueError: naming every body part not found, what was looked for, and the joints;
            or a malformed tree (:func:`tree_walk`).
    """
    depth, size, pre = tree_walk(parents)
    toks = [set(name_tokens(n)) for n in joint_names]
    sides = [joint_side(n) for n in joint_names]

    def pick(ok: Callable[[int], bool]) -> int | None:
        cands = [i for i in range(len(joint_names)) if ok(i)]
        return min(cands, key=lambda i: (depth[i], -size[i], i)) if cands else None

    def toe_below(foot: int) -> int | None:
        def below(i: int) -> bool:
            return pre[foot] < pre[i] <= pre[foot] + size[foot]

        toe = None
        if "ankle" in toks[foot] and "foot" not in toks[foot]:  # SMPL: ankle -> "foot" = toe
            toe = pick(lambda i: below(i) and "foot" in toks[i])
        if toe is None:
            toe = pick(lambda i: below(i) and any(w.startswith("toe") for w in toks[i]))
        return toe

    ends = {"head": pick(lambda i: "head" in toks[i] and sides[i] is None)}
    for s in ("left", "right"):
        ends[f"{s}_hand"] = pick(
            lambda i, s=s: sides[i] == s and bool(toks[i] & {"hand", "wrist"}))
        foot = ends[f"{s}_foot"] = pick(
            lambda i, s=s: sides[i] == s and bool(toks[i] & {"foot", "ankle"}))
        if foot is not None:
            ends[f"{s}_toe"] = toe_below(foot)
    if any(v is None for v in ends.values()) and set(_KIT_ENDS.values()) <= set(joint_names):
        for key, name in _KIT_ENDS.items():  # KIT-ML's MMM names ("BUN", "LW", "LA", "LF")
            if ends.get(key) is None:
                ends[key] = list(joint_names).index(name)
    missing = [k for k in _LOOKED_FOR if ends[k] is None]
    if missing:
        raise ValueError(
            f"cannot find body part(s) {[_LOOKED_FOR[k][0] for k in missing]}: looked for "
            + "; ".join(_LOOKED_FOR[k][1] for k in missing)
            + f". Joints present: {list(joint_names)}")
    return {k: v for k, v in ends.items() if v is not None}


def derive_chains(
    joint_names: Sequence[str],
    parents: Sequence[int],
    bone_lengths: Sequence[float] | None = None,
) -> tuple[tuple[int, ...], ...]:
    """The five body-part chains of a skeleton, in ``PART_NAMES`` order.

    Ends (head, hands, feet, toes) come from :func:`find_end_joints`; the chains are tree
    paths between them. The pelvis is the lowest common ancestor of the head and both
    feet. Torso: pelvis to head. Arms: from the spine joint they branch from (lowest common
    ancestor of hand and head) to the hand. Legs: pelvis to the toe (SMPL-style names:
    the ``foot`` under the ``ankle``), or to the foot when there is no toe joint. Twist,
    share, finger and face bones are off these paths. With ``bone_lengths``, inner chain
    joints on zero-length bones (CMU ``LHipJoint``, iClone ``CC_Base_Pelvis``: always at
    their parent's place) are left out, so that the second joint of a leg chain is the hip
    and no chain repeats a point.

    Args:
        joint_names: ``J`` names; Bandai, CMU 3dsMax/ASF, cgspeed Daz, iClone CC_Base and
            Mixamo styles are recognised.
        parents: ``J`` parent indices, ``-1`` for the root.
        bone_lengths: optional ``J`` distances of each joint from its parent (any unit).

    Returns:
        Five tuples of joint indices, each ordered outward from the torso.

    Raises:
        ValueError: the lengths differ; a body part cannot be found; or the parts found
            are inconsistent (an end joint inside another part's chain, a 1-joint chain).
    """
    if len(joint_names) != len(parents) or (
            bone_lengths is not None and len(bone_lengths) != len(parents)):
        raise ValueError(f"{len(joint_names)} joint names, {len(parents)} parents and "
                         f"{'no' if bone_lengths is None else len(bone_lengths)} bone lengths")
    ends = find_end_joints(joint_names, parents)
    pelvis = lowest_common_ancestor(parents, [ends["head"], ends["left_foot"], ends["right_foot"]])
    chains = [tree_path(parents, pelvis, ends["head"])]
    for s in ("left", "right"):
        top = lowest_common_ancestor(parents, [ends[f"{s}_hand"], ends["head"]])
        chains.append(tree_path(parents, top, ends[f"{s}_hand"]))
    for s in ("left", "right"):
        chains.append(tree_path(parents, pelvis, ends.get(f"{s}_toe", ends[f"{s}_foot"])))
    owners = list(_LOOKED_FOR)
    for part, chain, own in zip(PART_NAMES, chains, owners):
        others = {ends[k] for k in owners if k != own}
        if len(chain) < 2 or others & set(chain if part == "torso" else chain[1:]):
            raise ValueError(
                f"inconsistent body parts: chain {part!r} = {[joint_names[k] for k in chain]}"
                f" (ends found: { {k: joint_names[v] for k, v in ends.items()} })")
    if bone_lengths is not None:
        tiny = 1e-3 * max(float(np.max(bone_lengths)), 1e-12)
        chains = [(c[0], *(k for k in c[1:-1] if bone_lengths[k] > tiny), c[-1])
                  for c in chains]
    return tuple(chains)


SMPL22_SLOTS: dict[str, float] = {
    "spine1": 0.2, "spine2": 0.4, "spine3": 0.6, "neck": 0.8,
    "collar": 0.25, "shoulder": 0.5, "elbow": 0.75,
    "hip": 0.25, "knee": 0.5, "ankle": 0.75,
}
"""Where SMPL-22's joints sit along its parts in motion patches (equal steps of joint index:
torso pelvis-spine1-spine2-spine3-neck-head, arms spine3-collar-shoulder-elbow-wrist, legs
pelvis-hip-knee-ankle-foot); chain ends are 0 and 1."""


def _segment_weights(chain: Sequence[int], knots: np.ndarray, s: float
                     ) -> tuple[tuple[int, float], ...]:
    """The point at parameter ``s`` of a chain with ``knots``, as joint weights."""
    k = int(np.clip(np.searchsorted(knots, s, side="right") - 1, 0, len(chain) - 2))
    w = float(np.clip((s - knots[k]) / (knots[k + 1] - knots[k]), 0.0, 1.0))
    w = 0.0 if w < 1e-9 else 1.0 if w > 1.0 - 1e-9 else w  # on a joint: that joint alone
    return tuple((j, x) for j, x in ((chain[k], 1.0 - w), (chain[k + 1], w)) if x > 0.0)


def _fill(chain: Sequence[int], anchors: dict[int, float], lengths: np.ndarray
          ) -> tuple[float, ...]:
    """Knots of a chain: ``anchors`` (chain position -> knot; the ends are 0 and 1), joints
    between two anchors spread between their knots by bone length (``lengths``: ``J``)."""
    n = len(chain)
    anchors = {0: 0.0, **{k: v for k, v in anchors.items() if 0 < k < n - 1}, n - 1: 1.0}
    arc = np.concatenate([[0.0], np.cumsum(np.maximum(lengths[list(chain[1:])], 1e-9))])
    pos = sorted(anchors)
    return tuple(float(x) for x in np.interp(arc, arc[pos], [anchors[i] for i in pos]))


def smpl_matched_knots(
    chains: Sequence[Sequence[int]], bone_lengths: Sequence[float],
    has_toes: bool | tuple[bool, bool] = True,
    ankles: tuple[int, int] | None = None,
) -> tuple[tuple[tuple[float, ...], ...], tuple[tuple[tuple[int, float], ...], ...]]:
    """Knots and arm origins that put a skeleton's patch sample points where SMPL-22's are.

    Motion-patch statistics and models come from SMPL-22, whose 16 points per part are
    spaced by joint index; a skeleton with other joints along a part (Bandai's torso
    Hips-Spine-Chest-Neck-Head has 5, SMPL's 6; Daz legs have a thigh-twist joint) would put
    the same point elsewhere on the body. Landmarks found on the tree take SMPL-22's slots
    (:data:`SMPL22_SLOTS`), other joints are spread between them by bone length:

    - torso: the joints from the pelvis up to the arms' branch joint are spine1, spine2,
      spine3 in order (a branch 2 joints up, as Bandai's Chest and Daz's chest, is spine2;
      more than 3 are spread up to spine3); the next joint is the neck; then the head.
    - arms: they start on the torso at spine3 (the branch joint itself when it is spine3,
      else a point between it and the neck, where the Bandai SMPL-22 conversions put
      spine3); the last three joints are shoulder, elbow, hand; the joint after the
      branch, when it is not the shoulder, is the collar.
    - legs: the second joint is the hip, the ankle's parent the knee; the chain ends at the
      toe (SMPL's foot, 1), or at the ankle, then put at 1, when the leg has no toe joint
      (``has_toes``; a BVH foot whose End Site is no toe: the BVH reader turns a toe-like
      End Site into a joint, :func:`~.bvh.end_site_toes`). Joints between the ankle and the
      toe (KIT-ML's ``LMrot``, a metatarsal joint) spread between them by bone length.

    Args:
        chains: five joint-index chains in ``PART_NAMES`` order (:func:`derive_chains`).
        bone_lengths: ``J`` distances of each joint from its parent (any unit).
        has_toes: whether the leg chains end at a toe joint below the ankle: one flag for
            both legs, or ``(left, right)``.
        ankles: the ``(left, right)`` ankle joints (:func:`find_end_joints`' feet); without
            them (or for an ankle not in its chain) a leg's ankle is its chain's second-last
            joint with a toe, its last without.

    Returns:
        ``(knots, origins)`` for :class:`~motionlex.core.motion.skeleton.Skeleton`.

    Raises:
        ValueError: not five chains.
    """
    lengths = np.asarray(bone_lengths, dtype=np.float64)
    if len(chains) != len(PART_NAMES):
        raise ValueError(f"expected {len(PART_NAMES)} chains, got {len(chains)}")
    sl = SMPL22_SLOTS
    torso, n = list(chains[0]), len(chains[0])
    branch = torso.index(chains[1][0]) if chains[1][0] in torso else n - 2
    spines = [sl["spine1"], sl["spine2"], sl["spine3"]]
    anchors = ({i: spines[i - 1] for i in range(1, branch + 1)} if branch <= 3
               else {branch: sl["spine3"]})
    if branch + 1 < n - 1:
        anchors[branch + 1] = sl["neck"]
    knots = [_fill(torso, anchors, lengths)]
    for arm in chains[1:3]:
        m = len(arm)
        marks = {m - 3: sl["shoulder"], m - 2: sl["elbow"]} if m >= 4 else {}
        knots.append(_fill(arm, {1: sl["collar"], **marks} if m >= 5 else marks, lengths))
    toes = (has_toes, has_toes) if isinstance(has_toes, bool) else tuple(has_toes)
    for leg, toe, ankle in zip(chains[3:], toes, ankles or (None, None)):
        m = len(leg)
        a = leg.index(ankle) if ankle in leg else m - 2 if toe else m - 1
        marks = {1: sl["hip"], a - 1: sl["knee"], a: sl["ankle"]} if a < m - 1 else {
            1: sl["hip"], a - 1: sl["knee"]}
        knots.append(_fill(leg, marks if len(set(marks)) == len(marks) else {}, lengths))
    arm_origin = _segment_weights(torso, np.asarray(knots[0]), sl["spine3"])
    return tuple(knots), ((), arm_origin, arm_origin, (), ())


def root_markers(parents: Sequence[int], pelvis: int) -> tuple[int, ...]:
    """Joints above the pelvis that only carry it: floor-level root markers.

    Bandai's ``joint_Root`` (and iClone's ``CC_Base_BoneRoot``-style roots) sit on the floor
    under the body and have the pelvis as their only descendant line; drawn, they make a
    bone from the pelvis to the floor, and they set the floor below the feet. A joint above
    the pelvis with another child (a prop, a second figure) is kept.

    Args:
        parents: ``J`` parent indices, ``-1`` for the root.
        pelvis: the pelvis (start of the torso chain).

    Returns:
        The marker joints, root first; ``()`` when the pelvis is the root.
    """
    above = _up(parents, pelvis)[1:]
    n_children = Counter(parents)
    out: list[int] = []
    for j in reversed(above):  # from the root down
        if n_children[j] != 1:
            break
        out.append(j)
    return tuple(out)


def drop_joints(
    joint_names: Sequence[str], parents: Sequence[int], drop: Sequence[int]
) -> tuple[list[int], tuple[str, ...], tuple[int, ...]]:
    """A joint tree without the joints ``drop`` (e.g. :func:`root_markers`).

    A kept joint whose parent is dropped becomes a root, so drop only joints above the one
    that should become the root.

    Returns:
        ``(kept old indices, their names, their parents re-indexed)``.
    """
    gone = set(drop)
    keep = [k for k in range(len(parents)) if k not in gone]
    new = {old: i for i, old in enumerate(keep)}
    return (keep, tuple(joint_names[k] for k in keep),
            tuple(new.get(parents[k], -1) for k in keep))
