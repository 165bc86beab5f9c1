"""Skeletons: joint names, kinematic tree and the five body-part chains of motion patches.

Every skeleton exposes its body parts in one canonical order, by meaning, so that a model
trained on one skeleton reads another (Yu et al., CVPR 2024, Sec. 3.2):
``torso (with head), left arm, right arm, left leg, right leg``. Each chain is ordered
outward from the torso.

Conventions: Y up, a body facing +Z has its left side at +X (right-handed axes, so
``left = up x forward``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

logger = logging.getLogger(__name__)

PART_NAMES: tuple[str, ...] = ("torso", "left_arm", "right_arm", "left_leg", "right_leg")
"""Canonical body-part order of every skeleton's ``chains``."""


@dataclass(frozen=True)
class Skeleton:
    """A kinematic tree with named joints and five body-part chains.

    Attributes:
        name: short identifier, e.g. ``"smpl22"``, ``"kit21"`` or ``"bvh:<file stem>"``.
        joint_names: ``J`` joint names, in the order of the joint axis of motion arrays.
        parents: ``J`` parent indices, ``-1`` for the root (exactly one root, parents
            precede children is not required).
        chains: five tuples of joint indices in ``PART_NAMES`` order, each ordered outward
            from the torso and at least 2 joints long.
        mirror_pairs: ``(left, right)`` joint-index pairs swapped by mirroring.
        knots: optional, per chain, the position in ``[0, 1]`` of each chain joint along
            the body part (strictly increasing, first 0, last 1) where motion patches put
            their sample points; empty = equal steps by joint index (SMPL-22, KIT-21: the
            paper's resampling). BVH skeletons get knots that put their sample points
            where SMPL-22's fall (:func:`~motionlex.core.motion.chains.smpl_matched_knots`).
        origins: optional, per chain, ``((joint, weight), ...)`` whose weighted sum
            replaces the chain's first joint as the start of the resampled part (an arm
            starting on the torso where SMPL-22's spine3 is); ``()`` for a chain = its first
            joint. Empty = no replacement.

    Raises:
        ValueError: on inconsistent lengths, indices out of range, not exactly one root,
            a wrong number of chains, a chain shorter than 2 joints, knots that do not
            match the chains or do not rise from 0 to 1, or origin weights that are out of
            range or do not sum to 1.
    """

    name: str
    joint_names: tuple[str, ...]
    parents: tuple[int, ...]
    chains: tuple[tuple[int, ...], ...]
    mirror_pairs: tuple[tuple[int, int], ...] = field(default_factory=tuple)
    knots: tuple[tuple[float, ...], ...] = field(default_factory=tuple)
    origins: tuple[tuple[tuple[int, float], ...], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        j = len(self.joint_names)
        if len(self.parents) != j:
            raise ValueError(
                f"skeleton {self.name!r}: {j} joint names but {len(self.parents)} parents"
            )
        roots = [i for i, p in enumerate(self.parents) if p == -1]
        if len(roots) != 1:
            raise ValueError(f"skeleton {self.name!r}: expected one root, found {len(roots)}")
        bad = [p for p in self.parents if p < -1 or p >= j]
        if bad:
            raise ValueError(f"skeleton {self.name!r}: parent indices out of range: {bad}")
        if len(self.chains) != len(PART_NAMES):
            raise ValueError(
                f"skeleton {self.name!r}: expected {len(PART_NAMES)} chains {PART_NAMES}, "
                f"got {len(self.chains)}"
            )
        for part, chain in zip(PART_NAMES, self.chains):
            if len(chain) < 2:
                raise ValueError(f"skeleton {self.name!r}: chain {part!r} has < 2 joints")
            if any(not 0 <= k < j for k in chain):
                raise ValueError(f"skeleton {self.name!r}: chain {part!r} index out of range")
        for a, b in self.mirror_pairs:
            if not (0 <= a < j and 0 <= b < j):
                raise ValueError(f"skeleton {self.name!r}: mirror pair {(a, b)} out of range")
        self._check_sampling()

    def _check_sampling(self) -> None:
        """Validate ``knots`` and ``origins`` (see the class docstring)."""
        if self.knots:
            if len(self.knots) != len(self.chains):
                raise ValueError(f"skeleton {self.name!r}: {len(self.knots)} knot lists for "
                                 f"{len(self.chains)} chains")
            for part, chain, kn in zip(PART_NAMES, self.chains, self.knots):
                k = np.asarray(kn, dtype=np.float64)
                if (len(k) != len(chain) or abs(k[0]) > 1e-6 or abs(k[-1] - 1.0) > 1e-6
                        or not (np.diff(k) > 0).all()):
                    raise ValueError(f"skeleton {self.name!r}: knots of {part!r} must rise "
                                     f"from 0 to 1 with one per joint ({len(chain)}), got {kn}")
        if self.origins:
            if len(self.origins) != len(self.chains):
                raise ValueError(f"skeleton {self.name!r}: {len(self.origins)} origins for "
                                 f"{len(self.chains)} chains")
            for part, origin in zip(PART_NAMES, self.origins):
                if origin and (any(not 0 <= k < self.num_joints for k, _ in origin)
                               or abs(sum(w for _, w in origin) - 1.0) > 1e-6):
                    raise ValueError(f"skeleton {self.name!r}: origin of {part!r} must be "
                                     f"joint weights summing to 1, got {origin}")

    @property
    def num_joints(self) -> int:
        """Number of joints ``J``."""
        return len(self.joint_names)

    @property
    def layout(self) -> tuple:
        """What a joint array on this skeleton means, joint by joint: the joint names, the
        kinematic tree, the body-part chains and the mirror pairs. Not the name nor the
        sample-point ``knots`` / ``origins``, which follow one file's bone lengths: the BVH
        files of one rig (each its own :class:`Skeleton`) share a layout, so their clips
        can be joined into one composed motion."""
        return (self.joint_names, self.parents, self.chains, self.mirror_pairs)

    @property
    def root(self) -> int:
        """Index of the root joint."""
        return self.parents.index(-1)

    def bones(self) -> np.ndarray:
        """Bone list as joint-index pairs.

        Returns:
            ``(J - 1, 2)`` int64 array of ``(parent, child)`` pairs (the root row dropped),
            ready for ``joints[f][bones].reshape(-1, 3)`` line drawing.
        """
        pairs = [(p, c) for c, p in enumerate(self.parents) if p >= 0]
        return np.asarray(pairs, dtype=np.int64).reshape(-1, 2)

    def part_of_joint(self, *, inherit: bool = False) -> np.ndarray:
        """Body part index (into ``PART_NAMES``) of every joint, ``-1`` if in no chain.

        A joint shared by several chains (e.g. the chest that starts both arms) gets the
        first part that lists it, so the torso wins.

        Args:
            inherit: a joint in no chain takes the part of its nearest ancestor in one (for
                drawing: a native skeleton's twist bones, fingers, toes and face joints are
                coloured as the limb or head they hang from, not grey); ``-1`` only where no
                ancestor is in a chain.

        Returns:
            ``(J,)`` int64 array.
        """
        out = np.full(self.num_joints, -1, dtype=np.int64)
        for p, chain in enumerate(self.chains):
            for k in chain:
                if out[k] < 0:
                    out[k] = p
        if inherit:
            for j in range(self.num_joints):
                path, k = [], j
                while k >= 0 and out[k] < 0 and len(path) <= self.num_joints:
                    path.append(k)
                    k = self.parents[k]
                part = out[k] if k >= 0 else -1
                for q in path:  # every joint on the way up shares the answer (linear)
                    out[q] = part
        return out

    def mirror_permutation(self) -> np.ndarray:
        """Joint permutation that swaps left and right.

        Returns:
            ``(J,)`` int64 array ``perm`` with ``mirrored[:, i] = joints[:, perm[i]]``.
        """
        perm = np.arange(self.num_joints)
        for a, b in self.mirror_pairs:
            perm[a], perm[b] = b, a
        return perm

    def to_dict(self) -> dict:
        """JSON-ready dict (inverse of :meth:`from_dict`)."""
        return {
            "name": self.name,
            "joint_names": list(self.joint_names),
            "parents": list(self.parents),
            "chains": [list(c) for c in self.chains],
            "mirror_pairs": [list(p) for p in self.mirror_pairs],
            **({"knots": [list(k) for k in self.knots]} if self.knots else {}),
            **({"origins": [[[j, w] for j, w in o] for o in self.origins]}
               if self.origins else {}),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Skeleton":
        """Rebuild a skeleton from :meth:`to_dict` output.

        Raises:
            KeyError: when a required key is missing.
            ValueError: when the values are inconsistent (see the class docstring).
        """
        return cls(
            name=str(d["name"]),
            joint_names=tuple(str(n) for n in d["joint_names"]),
            parents=tuple(int(p) for p in d["parents"]),
            chains=tuple(tuple(int(k) for k in c) for c in d["chains"]),
            mirror_pairs=tuple((int(a), int(b)) for a, b in d.get("mirror_pairs", [])),
            knots=tuple(tuple(float(x) for x in k) for k in d.get("knots", [])),
            origins=tuple(tuple((int(j), float(w)) for j, w in o)
                          for o in d.get("origins", [])),
        )


# HumanML3D / SMPL 22 joints (../shared/DESIGN.md).
SMPL22 = Skeleton(
    name="smpl22",
    joint_names=(
        "pelvis", "l_hip", "r_hip", "spine1", "l_knee", "r_knee", "spine2", "l_ankle",
        "r_ankle", "spine3", "l_foot", "r_foot", "neck", "l_collar", "r_collar", "head",
        "l_shoulder", "r_shoulder", "l_elbow", "r_elbow", "l_wrist", "r_wrist",
    ),
    parents=(-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19),
    chains=(
        (0, 3, 6, 9, 12, 15),
        (9, 13, 16, 18, 20),
        (9, 14, 17, 19, 21),
        (0, 1, 4, 7, 10),
        (0, 2, 5, 8, 11),
    ),
    mirror_pairs=((1, 2), (4, 5), (7, 8), (10, 11), (13, 14), (16, 17), (18, 19), (20, 21)),
)

# KIT-ML 21 joints. The published chains are [0,11..15], [0,16..20] (legs), [0,1,2,3,4]
# (torso), [3,5,6,7], [3,8,9,10] (arms). Sides: the HumanML3D reference pipeline faces
# the body with ``face_joint_indx = [11, 16, 5, 8]`` = (r_hip, l_hip, r_shoulder,
# l_shoulder), so 11.. and 5.. are the RIGHT chains. ``side_check`` verifies this on data.
KIT21 = Skeleton(
    name="kit21",
    joint_names=(
        "root", "BP", "BT", "BLN", "BUN", "RS", "RE", "RW", "LS", "LE", "LW",
        "RH", "RK", "RA", "RMrot", "RF", "LH", "LK", "LA", "LMrot", "LF",
    ),
    parents=(-1, 0, 1, 2, 3, 3, 5, 6, 3, 8, 9, 0, 11, 12, 13, 14, 0, 16, 17, 18, 19),
    chains=(
        (0, 1, 2, 3, 4),
        (3, 8, 9, 10),
        (3, 5, 6, 7),
        (0, 16, 17, 18, 19, 20),
        (0, 11, 12, 13, 14, 15),
    ),
    mirror_pairs=((5, 8), (6, 9), (7, 10), (11, 16), (12, 17), (13, 18), (14, 19), (15, 20)),
)

BUILTIN_SKELETONS: dict[str, Skeleton] = {"smpl22": SMPL22, "kit21": KIT21}


def get_skeleton(name: str) -> Skeleton:
    """Return a built-in skeleton by name (``"smpl22"`` or ``"kit21"``).

    Raises:
        KeyError: for an unknown name, listing the known ones.
    """
    try:
        return BUILTIN_SKELETONS[name]
    except KeyError:
        raise KeyError(f"unknown skeleton {name!r}; known: {sorted(BUILTIN_SKELETONS)}") from None


def as_skeleton(skeleton: object, where: str = "<array>") -> Skeleton:
    """A :class:`Skeleton`, or a built-in skeleton's name made one (what every function that
    takes a skeleton accepts).

    Args:
        skeleton: a :class:`Skeleton` or ``"smpl22"`` / ``"kit21"``.
        where: what the skeleton belongs to, for messages (a file, ``"motions[3]"``).

    Raises:
        ValueError: a name of no built-in skeleton.
        TypeError: neither a :class:`Skeleton` nor a string.
    """
    if isinstance(skeleton, str):
        if skeleton not in BUILTIN_SKELETONS:
            raise ValueError(f"{where}: unknown skeleton {skeleton!r}; built-in skeletons: "
                             f"{sorted(BUILTIN_SKELETONS)} (or pass a Skeleton)")
        return BUILTIN_SKELETONS[skeleton]
    if not isinstance(skeleton, Skeleton):
        raise TypeError(f"{where}: skeleton must be a Skeleton or a built-in skeleton's name "
                        f"{sorted(BUILTIN_SKELETONS)}, got {type(skeleton).__name__}")
    return skeleton


def joint_count_hint(num_joints: int, skeleton: Skeleton) -> str:
    """A hint for joints that do not fit ``skeleton``: the built-in skeleton that has
    ``num_joints`` joints, when it is another one (21 -> ``'kit21'``, 22 -> ``'smpl22'``).

    Args:
        num_joints: the joint count ``J`` of the array given.
        skeleton: the skeleton it was given with.

    Returns:
        ``"; 21 joints is the built-in skeleton 'kit21': pass 'kit21' as its skeleton"``,
        or ``""`` when no other built-in skeleton has ``num_joints`` joints.
    """
    for name, sk in BUILTIN_SKELETONS.items():
        if sk.num_joints == num_joints and sk != skeleton:
            return (f"; {num_joints} joints is the built-in skeleton {name!r}: pass {name!r} "
                    f"as its skeleton")
    return ""


def skeleton_for_joint_count(num_joints: int) -> Skeleton:
    """The built-in skeleton with ``num_joints`` joints (22 -> SMPL, 21 -> KIT-ML).

    Raises:
        ValueError: when no built-in skeleton has that many joints.
    """
    for sk in BUILTIN_SKELETONS.values():
        if sk.num_joints == num_joints:
            return sk
    raise ValueError(
        f"no built-in skeleton has {num_joints} joints (smpl22 has 22, kit21 has 21); "
        "load BVH files with their own skeleton instead"
    )


def side_check(joints: np.ndarray, skeleton: Skeleton) -> float:
    """Fraction of frames whose 'left' chains really sit on the body's left.

    The body's forward direction is taken per frame from the feet, independent of which
    side is labelled left: the summed horizontal vector from the second-last to the last
    joint of both leg chains (ankle -> toe). ``left = up x forward`` (Y up, right-handed).
    Each frame votes with the dot product of ``left`` and (left - right) hip/shoulder
    positions, so frames with flat feet (long horizontal foot vectors) weigh most and
    pointed feet mid-stride weigh little. Limit: clips where the toes point down or back for
    most frames (sprints, dashes in the Bandai set) can vote wrongly; judge sides on
    walking or standing clips.

    Args:
        joints: ``(T, J, 3)`` float, metres, Y up.
        skeleton: the skeleton whose ``chains`` label left and right.

    Returns:
        Weighted vote in ``[0, 1]``: ``0.5 * (1 + sum(v) / sum(|v|))`` over the per-frame
        votes ``v``. Near 1 means the labels are right; near 0 means left and right are
        swapped; 0.5 when undecidable.

    Raises:
        ValueError: when ``joints`` is not ``(T, J, 3)`` with ``J == skeleton.num_joints``.
    """
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[1:] != (skeleton.num_joints, 3):
        raise ValueError(
            f"expected joints of shape (T, {skeleton.num_joints}, 3), got {joints.shape}"
        )
    legs = [skeleton.chains[3], skeleton.chains[4]]
    fwd = sum(joints[:, c[-1], :] - joints[:, c[-2], :] for c in legs)
    fwd[:, 1] = 0.0
    left = np.cross(np.array([0.0, 1.0, 0.0]), fwd)
    # hips (second joint of a leg chain) and shoulders (third from the end of an arm chain)
    c = skeleton.chains
    left_idx = [c[3][1], c[1][max(-3, -len(c[1]))]]
    right_idx = [c[4][1], c[2][max(-3, -len(c[2]))]]
    lpos = joints[:, left_idx, :].mean(axis=1)
    rpos = joints[:, right_idx, :].mean(axis=1)
    votes = np.einsum("tc,tc->t", lpos - rpos, left)
    total = np.abs(votes).sum()
    if total < 1e-12:
        return 0.5
    return float(0.5 * (1.0 + votes.sum() / total))
