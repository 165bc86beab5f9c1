"""Rotations between vector sets: shortest arc, least-squares (Kabsch), Procrustes mean.

Used to solve joint rotations from joint positions (:mod:`motionlex.core.motion.bvh_write`).
All functions are batched over leading axes (frames, joints) in NumPy; scipy's
``Rotation.align_vectors`` solves the same least-squares problem for one vector set at a
time, so a per-frame loop over it would cost one call per frame and joint.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation


def unit_vectors(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(unit (..., 3), norm (...))`` of vectors ``v (..., 3)``; zero vectors stay zero."""
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 1e-12, n, 1.0), n[..., 0]


def shortest_arc(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rotation matrices of least angle taking unit vectors ``a`` onto unit vectors ``b``.

    Args:
        a: ``(..., 3)`` float unit vectors (broadcast against ``b``).
        b: ``(..., 3)`` float unit vectors; a zero vector gives the identity.

    Returns:
        ``(..., 3, 3)`` float64 rotation matrices. For opposite vectors the half turn is about
        the axis ``a x e`` with ``e`` the basis axis least aligned with ``a``.

    Source: Rodrigues' formula with axis ``a x b`` and angle ``atan2(|a x b|, a . b)``.
    """
    a, b = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(b, np.float64))
    axis = np.cross(a, b)
    s = np.linalg.norm(axis, axis=-1)
    c = np.einsum("...i,...i->...", a, b)
    angle = np.arctan2(s, c)
    unit_axis = axis / np.where(s > 1e-12, s, 1.0)[..., None]
    flip = (s <= 1e-12) & (c < 0)
    if flip.any():
        e = np.eye(3)[np.argmin(np.abs(a[flip]), axis=-1)]
        unit_axis[flip] = unit_vectors(np.cross(a[flip], e))[0]
        angle[flip] = np.pi
    rotvec = unit_axis * angle[..., None]
    shape = rotvec.shape[:-1]
    return Rotation.from_rotvec(rotvec.reshape(-1, 3)).as_matrix().reshape(*shape, 3, 3)


def best_rotation(src: np.ndarray, dst: np.ndarray,
                  weights: np.ndarray | None = None) -> np.ndarray:
    """Least-squares rotations ``R`` minimising ``sum_k w_k |R src_k - dst_k|^2``.

    Args:
        src: ``(K, 3)`` float vectors (K >= 2, not all collinear).
        dst: ``(..., K, 3)`` float vectors, one set per leading index (e.g. per frame).
        weights: ``(K,)`` non-negative float weights, or None (all 1).

    Returns:
        ``(..., 3, 3)`` float64 proper rotation matrices (det +1).

    Source: Kabsch, Acta Cryst. A32 (1976); SVD of ``H = sum_k w_k dst_k src_k^T`` with the
    sign of the smallest singular direction fixed so that ``det R = +1``.
    """
    src = np.asarray(src, np.float64)
    if weights is not None:
        src = src * np.asarray(weights, np.float64)[:, None]
    h = np.einsum("...ki,kj->...ij", np.asarray(dst, np.float64), src)
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(u @ vt))
    d = np.where(d == 0, 1.0, d)
    u = u.copy()
    u[..., :, 2] *= d[..., None]
    return u @ vt


def procrustes_mean(vectors: np.ndarray, lengths: np.ndarray, iters: int = 3) -> np.ndarray:
    """Mean rigid arrangement of ``(T, K, 3)`` vector sets, in frame 0's orientation.

    Args:
        vectors: ``(T, K, 3)`` float, each frame's ``K`` vectors (e.g. bones, metres).
        lengths: ``(K,)`` float, the length each mean vector is given (metres).
        iters: averaging rounds.

    Returns:
        ``(K, 3)`` float64, the mean vectors rotated onto frame 0's.

    Source: generalised Procrustes analysis (Gower, Psychometrika 40, 1975), rotations only;
    each vector is rescaled to its given length after every averaging step.
    """
    mean = unit_vectors(vectors[0])[0] * lengths[:, None]
    for _ in range(iters):
        rot = best_rotation(mean, vectors)                     # mean -> frame t
        back = np.einsum("tji,tkj->tki", rot, vectors)         # frame t -> mean's frame
        mean = unit_vectors(back.mean(axis=0))[0] * lengths[:, None]
    return mean @ best_rotation(mean, vectors[0][None])[0].T


def spans_plane(vectors: np.ndarray) -> bool:
    """Whether ``(K, 3)`` vectors span at least a plane (K >= 2, not collinear)."""
    if len(vectors) < 2:
        return False
    s = np.linalg.svd(unit_vectors(vectors)[0], compute_uv=False)
    return bool(s[1] > 1e-3 * s[0])
