"""Motion patches: skeleton motion as an RGB-like image of 16 x 16 patches.

Source: Yu, Tanaka, Fujiwara, "Exploring Vision Transformers for 3D Human Motion-Language Models
with Motion Patches", CVPR 2024, Sec. 3.2 and Fig. 3. For each frame, each of the five body
parts (``skeleton.PART_NAMES``) is resampled to ``N = 16`` points by linear interpolation along
its chain (in equal joint-index steps from its first joint to its last, as the paper's text and
DESIGN.md describe, or at the skeleton's knots where it declares them: BVH skeletons put their
sample points where SMPL-22's fall; the paper's reference code resizes with OpenCV's half-pixel-
aligned linear interpolation instead, which repeats each chain's end joints and samples 3-6 cm
away from these points); the five parts side by side give 80 columns, frames are rows and the x,
y, z coordinates are the three channels. Each of the 80 sample points' coordinates is z-scored
with statistics of the TRAINING split only, and clips are cropped or padded to at most 224
frames (14 patch rows) with a boolean mask of real rows (the reference code normalised with
test-set statistics and zero-padded without a mask).

Pure functions only: no I/O beyond :class:`PatchStats` (de)serialisation helpers, no models,
no hidden randomness.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from motionlex.core.json_io import write_json
from motionlex.core.motion.motion import Motion
from motionlex.core.motion.skeleton import PART_NAMES, Skeleton, as_skeleton

POINTS_PER_PART = 16
PATCH_LEN = 16
MAX_FRAMES = 224
NUM_PARTS = len(PART_NAMES)
NUM_COLUMNS = NUM_PARTS * POINTS_PER_PART


def part_resampling_matrix(
    skeleton: Skeleton,
    points_per_part: int = POINTS_PER_PART,
    rest_joints: np.ndarray | None = None,
) -> np.ndarray:
    """Fixed linear map from joints to the resampled body-part chains.

    Each chain is a polyline through its joints; ``points_per_part`` points are placed at
    equal parameter steps along it and each is a convex combination of two neighbouring
    joints. With ``rest_joints`` the steps are equal in arc length of that pose (bones of
    different lengths get proportionally many points); without it, at the skeleton's
    ``knots`` when it has them (BVH skeletons: where SMPL-22's points fall), else equal in
    joint index from the first joint to the last (SMPL-22, KIT-21: the paper's Sec. 3.2;
    not its reference code's ``cv2.resize``, whose half-pixel grid repeats the end joints).
    A skeleton's ``origins`` replace a chain's first joint by a weighted point (arms
    starting on the torso at SMPL's spine3).

    Args:
        skeleton: skeleton whose ``chains`` (in ``PART_NAMES`` order) are resampled.
        points_per_part: sample points per body part ``N``.
        rest_joints: optional ``(J, 3)`` float pose, metres, for arc-length spacing.

    Returns:
        ``(5 * N, J)`` float32 matrix ``M``; ``M @ joints[t]`` gives the ``(5 * N, 3)``
        sample points of frame ``t``. Rows sum to 1.

    Raises:
        TypeError: ``skeleton`` is neither a :class:`Skeleton` nor a built-in one's name.
        ValueError: an unknown skeleton name; ``points_per_part < 2`` or ``rest_joints`` not
            ``(J, 3)``.

    Source: Yu et al., CVPR 2024, Sec. 3.2 ("interpolate between joints in each body part to
    obtain N sample points").
    """
    skeleton = as_skeleton(skeleton, "part_resampling_matrix")  # or "smpl22", "kit21"
    if points_per_part < 2:
        raise ValueError(f"points_per_part must be >= 2, got {points_per_part}")
    if rest_joints is None:  # built once per skeleton; a copy, which callers may change
        return _skeleton_matrix(skeleton, int(points_per_part)).copy()
    return _resampling_matrix(skeleton, points_per_part, rest_joints)


@functools.lru_cache(maxsize=64)
def _skeleton_matrix(skeleton: Skeleton, points_per_part: int) -> np.ndarray:
    return _resampling_matrix(skeleton, points_per_part, None)


def _resampling_matrix(skeleton: Skeleton, points_per_part: int,
                       rest_joints: np.ndarray | None) -> np.ndarray:
    j = skeleton.num_joints
    if rest_joints is not None:
        rest_joints = np.asarray(rest_joints, dtype=np.float64)
        if rest_joints.shape != (j, 3):
            raise ValueError(f"rest_joints must be ({j}, 3), got {rest_joints.shape}")
    mat = np.zeros((len(skeleton.chains) * points_per_part, j), dtype=np.float64)
    for p, chain in enumerate(skeleton.chains):
        chain = np.asarray(chain)
        if rest_joints is not None:
            seg = np.linalg.norm(np.diff(rest_joints[chain], axis=0), axis=1)
            seg = np.where(seg > 1e-9, seg, 1e-9)
            knots = np.concatenate([[0.0], np.cumsum(seg)])
            knots /= knots[-1]
        elif skeleton.knots:
            knots = np.asarray(skeleton.knots[p], dtype=np.float64)
        else:
            knots = np.linspace(0.0, 1.0, len(chain))
        # knot i as joint weights: the chain joint, or the chain's origin for the first one
        points = [((int(k), 1.0),) for k in chain]
        if skeleton.origins and skeleton.origins[p]:
            points[0] = skeleton.origins[p]
        for n, s in enumerate(np.linspace(0.0, 1.0, points_per_part)):
            k = int(np.clip(np.searchsorted(knots, s, side="right") - 1, 0, len(chain) - 2))
            w = (s - knots[k]) / (knots[k + 1] - knots[k])
            w = float(np.clip(w, 0.0, 1.0))
            row = p * points_per_part + n
            for a, x in points[k]:
                mat[row, a] += (1.0 - w) * x
            for b, x in points[k + 1]:
                mat[row, b] += w * x
    return mat.astype(np.float32)


def sample_points(joints: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply the resampling matrix to joint positions.

    Args:
        joints: ``(..., T, J, 3)`` float, metres.
        matrix: ``(P, J)`` from :func:`part_resampling_matrix` (``P = 80``).

    Returns:
        ``(..., T, P, 3)`` float32 sample-point positions, metres.

    Raises:
        ValueError: when the joint axis does not match the matrix.
    """
    joints = np.asarray(joints, dtype=np.float32)
    if joints.ndim < 3 or joints.shape[-1] != 3 or joints.shape[-2] != matrix.shape[1]:
        raise ValueError(
            f"expected joints (..., T, {matrix.shape[1]}, 3) for this matrix, got {joints.shape}"
        )
    return np.einsum("pj,...jc->...pc", matrix, joints, optimize=True).astype(np.float32)


@dataclass(frozen=True, eq=False)
class PatchStats:
    """Per-sample-point z-score statistics of motion patches.

    Attributes:
        mean: ``(80, 3)`` float32, metres, mean of each sample point's x, y, z.
        std: ``(80, 3)`` float32, metres, standard deviation (floored at ``eps``).
        count: number of frames the statistics were computed on.
        source: free text naming the split they came from (e.g. ``"bandai/train"``).

    Raises:
        ValueError: (on construction) ``mean`` or ``std`` not ``(80, 3)``, NaN or inf in
            either (a NaN mean makes every patch NaN, an infinite std every patch 0), or a
            ``std`` that is not > 0 everywhere.

    Two statistics are equal (``==``) when their ``mean`` and ``std`` hold the same values
    (any dtype) and their ``count`` and ``source`` match; the hash uses ``count`` and
    ``source`` only, so equal statistics hash alike.
    """

    mean: np.ndarray
    std: np.ndarray
    count: int = 0
    source: str = ""

    def __post_init__(self) -> None:
        for name in ("mean", "std"):
            a = getattr(self, name)
            if np.asarray(a).shape != (NUM_COLUMNS, 3):
                raise ValueError(
                    f"PatchStats.{name} must be ({NUM_COLUMNS}, 3), got {np.asarray(a).shape}"
                )
        for name in ("mean", "std"):
            bad = ~np.isfinite(np.asarray(getattr(self, name), np.float64))
            if bad.any():
                row, col = (int(k) for k in np.argwhere(bad)[0])
                raise ValueError(f"PatchStats.{name} must be finite: {int(bad.sum())} NaN or inf "
                                 f"value(s), first at [{row}, {col}] (sample point {row}, "
                                 f"{'xyz'[col]})")
        if not (np.asarray(self.std) > 0).all():
            raise ValueError("PatchStats.std must be > 0 everywhere")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PatchStats):
            return NotImplemented
        return (int(self.count) == int(other.count) and self.source == other.source
                and np.array_equal(self.mean, other.mean)
                and np.array_equal(self.std, other.std))

    def __hash__(self) -> int:
        return hash((int(self.count), self.source))

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {
            "mean": np.asarray(self.mean).tolist(),
            "std": np.asarray(self.std).tolist(),
            "count": int(self.count),
            "source": self.source,
            "points_per_part": POINTS_PER_PART,
            "parts": list(PART_NAMES),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "PatchStats":
        """Inverse of :meth:`to_dict`.

        Raises:
            KeyError: missing ``mean``/``std``. ValueError: wrong shapes.
        """
        return cls(
            np.asarray(d["mean"], dtype=np.float32),
            np.asarray(d["std"], dtype=np.float32),
            int(d.get("count", 0)),
            str(d.get("source", "")),
        )

    def save(self, path: str | Path) -> None:
        """Write JSON atomically (:func:`~motionlex.core.json_io.write_json`, one line)."""
        write_json(path, self.to_dict(), compact=True)

    @classmethod
    def load(cls, path: str | Path) -> "PatchStats":
        """Read statistics written by :meth:`save`.

        Args:
            path: the JSON file, or a model folder holding ``patch_stats.json``.

        Raises:
            FileNotFoundError: no such file (or a folder without ``patch_stats.json``).
            ValueError: not valid statistics, NaN or inf among them included (names the
                file).
        """
        path = Path(path)
        if path.is_dir():  # a model folder: its statistics
            if not (path / "patch_stats.json").is_file():
                raise FileNotFoundError(f"patch statistics not found: {path} is a folder "
                                        f"without patch_stats.json (give the .json file, or a "
                                        f"model folder)")
            path = path / "patch_stats.json"
        if not path.is_file():
            raise FileNotFoundError(f"patch statistics not found: {path}")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):  # (a list said "list indices must be integers")
                raise TypeError(f"got a {type(data).__name__}, not a JSON object with 'mean' "
                                "and 'std'")
            return cls.from_dict(data)
        except KeyError as e:
            raise ValueError(f"{path}: not valid patch statistics (no {e} key: the file "
                             f"'motionlex stats' writes, or a model folder's "
                             f"patch_stats.json, has 'mean' and 'std')") from e
        except (json.JSONDecodeError, ValueError, TypeError) as e:
            raise ValueError(f"{path}: not valid patch statistics ({e})") from e

    @classmethod
    def identity(cls) -> "PatchStats":
        """Mean 0, std 1: patches in raw metres (for viewing and tests)."""
        return cls(np.zeros((NUM_COLUMNS, 3), np.float32), np.ones((NUM_COLUMNS, 3), np.float32))


class PatchStatsAccumulator:
    """Streaming mean/std of sample points over many motions (Chan et al. parallel update).

    Feed each training motion's ``(T, 80, 3)`` sample points in metres with :meth:`update`
    (from ``(T, J, 3)`` joints: ``update(sample_points(joints, part_resampling_matrix(
    skeleton)))``); :meth:`finalize` gives :class:`PatchStats`. Uses float64 sums, so the
    order of updates does not matter beyond rounding.
    """

    def __init__(self) -> None:
        self.n = 0
        self.mean = np.zeros((NUM_COLUMNS, 3), np.float64)
        self.m2 = np.zeros((NUM_COLUMNS, 3), np.float64)

    def update(self, points: np.ndarray) -> None:
        """Add ``(T, 80, 3)`` sample points of one motion (metres).

        Raises:
            ValueError: wrong shape.
        """
        pts = np.asarray(points, dtype=np.float64)
        if pts.ndim != 3 or pts.shape[1:] != (NUM_COLUMNS, 3):
            raise ValueError(f"expected sample points (T, {NUM_COLUMNS}, 3), got {pts.shape}")
        nb = pts.shape[0]
        if nb == 0:
            return
        mb = pts.mean(axis=0)
        m2b = ((pts - mb) ** 2).sum(axis=0)
        n = self.n + nb
        delta = mb - self.mean
        self.mean += delta * (nb / n)
        self.m2 += m2b + delta**2 * (self.n * nb / n)
        self.n = n

    def finalize(self, source: str = "", eps: float = 1e-3) -> PatchStats:
        """Statistics so far: the mean and the sample standard deviation (``n - 1``) of
        every sample point's x, y, z over all frames added, ``std`` floored at ``eps`` metres.

        Raises:
            ValueError: when no frame was added.
        """
        if self.n == 0:
            raise ValueError("no frames were added to the patch statistics")
        std = np.sqrt(self.m2 / max(self.n - 1, 1))
        return PatchStats(
            self.mean.astype(np.float32),
            np.maximum(std, eps).astype(np.float32),
            int(self.n),
            source,
        )


def crop_or_pad(
    points: np.ndarray, max_frames: int = MAX_FRAMES, start: int = 0
) -> tuple[np.ndarray, int]:
    """Crop a clip to ``max_frames`` from ``start`` or pad it with zeros at the end.

    Args:
        points: ``(T, ...)`` array.
        max_frames: output length.
        start: first frame kept when cropping (clamped into range).

    Returns:
        ``((max_frames, ...) array, valid_length)`` where ``valid_length <= max_frames``.
    """
    t = points.shape[0]
    if t >= max_frames:
        s = int(np.clip(start, 0, t - max_frames))
        return points[s : s + max_frames], max_frames
    out = np.zeros((max_frames,) + points.shape[1:], dtype=points.dtype)
    out[:t] = points
    return out, t


def patch_row_mask(
    lengths: np.ndarray | list[int], patch_len: int = PATCH_LEN, max_frames: int = MAX_FRAMES
) -> np.ndarray:
    """Which 16-frame patch rows hold real frames.

    A row is real when it contains at least one real frame (the last partial row is kept;
    its padded frames hold the last pose, see :func:`motion_patch_image`).

    Args:
        lengths: ``(B,)`` int valid frame counts.
        patch_len: frames per patch row.
        max_frames: padded clip length (a multiple of ``patch_len``).

    Returns:
        ``(B, max_frames // patch_len)`` bool.

    Raises:
        ValueError: ``max_frames`` not a multiple of ``patch_len`` or a length out of range.
    """
    if max_frames % patch_len:
        raise ValueError(f"max_frames {max_frames} is not a multiple of patch_len {patch_len}")
    lengths = np.asarray(lengths, dtype=np.int64).reshape(-1)
    if (lengths < 1).any() or (lengths > max_frames).any():
        raise ValueError(f"lengths must be in [1, {max_frames}], got {lengths.tolist()}")
    rows = -(-lengths // patch_len)
    return np.arange(max_frames // patch_len)[None, :] < rows[:, None]


def motion_patch_image(
    joints: np.ndarray,
    matrix: np.ndarray,
    stats: PatchStats | None = None,
    lengths: np.ndarray | list[int] | None = None,
) -> np.ndarray:
    """Turn joint positions into the z-scored motion-patch image.

    The image keeps every frame; the model's input is this image cropped or padded to
    ``max_frames`` (224) with a row mask, as
    :func:`~motionlex.core.patch_batches.patches_from_joints` makes it.

    Frames past a clip's valid length are set to 0 after normalisation (the mean pose);
    inside the last partial patch row the last real pose is repeated first so that the
    row the mask keeps holds no artificial jump. Batched: one matrix product for all.

    Args:
        joints: ``(B, T, J, 3)`` or ``(T, J, 3)`` float, metres.
        matrix: ``(80, J)`` from :func:`part_resampling_matrix`.
        stats: z-score statistics (training split); ``None`` keeps metres.
        lengths: ``(B,)`` valid frame counts; ``None`` means all ``T`` frames are valid.

    Returns:
        ``(B, 3, T, 80)`` (or ``(3, T, 80)`` for unbatched input) float32.

    Raises:
        TypeError: ``joints`` is a Motion (pass ``motion.joints``), ``matrix`` not an array
            (a Skeleton: :func:`part_resampling_matrix` makes its matrix), ``stats`` not a
            :class:`PatchStats` (nor None).
        ValueError: on a joint axis that does not match ``matrix``, no frames, or a length
            below 1 (as :func:`patch_row_mask`; lengths over ``T`` count as ``T``).

    Source: Yu et al., CVPR 2024, Sec. 3.2 and Fig. 4 (coordinates as RGB channels).
    """
    if isinstance(joints, Motion):
        raise TypeError("motion_patch_image expects a joint array (T, J, 3), got a "
                        f"{type(joints).__name__}: pass motion.joints")
    if not isinstance(matrix, np.ndarray):
        raise TypeError(f"matrix must be the (80, J) array of part_resampling_matrix(skeleton), "
                        f"got {type(matrix).__name__}")
    if stats is not None and not isinstance(stats, PatchStats):
        raise TypeError(f"stats must be a PatchStats or None (PatchStats.load(path) reads "
                        f"one), got {type(stats).__name__}")
    joints = np.asarray(joints, dtype=np.float32)
    given = joints.shape
    single = joints.ndim == 3
    if single:
        joints = joints[None]
    if joints.ndim != 4 or joints.shape[-1] != 3 or joints.shape[2] != matrix.shape[1]:
        raise ValueError(
            f"expected joints (B, T, {matrix.shape[1]}, 3) or (T, {matrix.shape[1]}, 3) for "
            f"this matrix ({matrix.shape[1]} joints), got {given}"
        )
    if stats is not None and np.shape(stats.mean)[0] != matrix.shape[0]:
        raise ValueError(
            f"the patch statistics have {np.shape(stats.mean)[0]} columns and the matrix "
            f"{matrix.shape[0]} ({matrix.shape[0] // len(PART_NAMES)} points per part): use "
            f"the matrix of {np.shape(stats.mean)[0] // len(PART_NAMES)} points per part they "
            f"were made with (part_resampling_matrix(skeleton)), or stats=None for metres")
    b, t, j, _ = joints.shape
    if t == 0:
        raise ValueError(f"joints have no frames (shape {joints.shape}); a clip needs at "
                         "least one")
    if lengths is not None:
        lengths = np.asarray(lengths, dtype=np.int64).reshape(-1)
        if lengths.shape[0] != b:
            raise ValueError(f"lengths has {lengths.shape[0]} entries for a batch of {b}")
        if (lengths < 1).any():
            raise ValueError(f"lengths must be >= 1 (valid frames of each clip), got "
                             f"{lengths.tolist()}")
        frame_idx = np.minimum(np.arange(t)[None, :], np.maximum(lengths, 1)[:, None] - 1)
        joints = np.take_along_axis(joints, frame_idx[:, :, None, None], axis=1)
    # one GEMM: (B*3*T, J) @ (J, 80), channels first so the result is already (B, 3, T, 80)
    chan_first = np.ascontiguousarray(joints.transpose(0, 3, 1, 2)).reshape(-1, j)
    img = (chan_first @ np.ascontiguousarray(matrix.T, dtype=np.float32)).reshape(b, 3, t, -1)
    if stats is not None:
        img -= np.asarray(stats.mean, np.float32).T[None, :, None, :]
        img *= (1.0 / np.asarray(stats.std, np.float32)).T[None, :, None, :]
    if lengths is not None:
        rows_end = np.minimum(-(-lengths // PATCH_LEN) * PATCH_LEN, t)
        pad = np.arange(t)[None, :] >= rows_end[:, None]
        img.transpose(0, 2, 1, 3)[pad] = 0.0
    return img[0] if single else img
