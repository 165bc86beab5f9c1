"""Rotations between vector sets: shortest arc, Kabsch (checked against scipy), Procrustes."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from motionlex.core.motion.rotations import (
    best_rotation,
    procrustes_mean,
    shortest_arc,
    spans_plane,
    unit_vectors,
)


def test_rotation_helpers(shared_data):
    x = np.load(shared_data / "humanml3d_samples" / "new_joints" / "000000.npy")
    src = (x[0, [1, 2, 3]] - x[0, 0]).astype(np.float64)
    true = Rotation.from_rotvec([0.3, -1.2, 2.0]).as_matrix()
    got = best_rotation(src, (src @ true.T)[None])[0]
    np.testing.assert_allclose(got, true, atol=1e-9)
    a = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    b = np.array([[0.0, 0.0, 1.0], [0.0, -1.0, 0.0], [1.0, 0.0, 0.0]])
    r = shortest_arc(a, b)
    np.testing.assert_allclose(np.einsum("kij,kj->ki", r, a), b, atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(r), 1.0)
    np.testing.assert_allclose(r[2], np.eye(3), atol=1e-12)
    weights = np.array([1.0, 2.0, 3.0])
    dst = src @ true.T + np.random.default_rng(0).normal(0, 0.01, src.shape)
    ours = best_rotation(src, dst[None], weights)[0]
    scipy_rot, _ = Rotation.align_vectors(dst, src, weights)
    np.testing.assert_allclose(ours, scipy_rot.as_matrix(), atol=1e-9)  # same Kabsch solution


def test_procrustes_mean_and_plane():
    rng = np.random.default_rng(1)
    shape = np.array([[0.1, 0.0, 0.0], [0.0, 0.2, 0.0], [0.0, 0.0, 0.3]])
    rots = Rotation.random(6, random_state=2).as_matrix()
    frames = np.einsum("tij,kj->tki", rots, shape) + rng.normal(0, 1e-6, (6, 3, 3))
    mean = procrustes_mean(frames, np.linalg.norm(shape, axis=1))
    np.testing.assert_allclose(mean, frames[0], atol=1e-4)  # frame 0's orientation
    assert spans_plane(shape) and not spans_plane(shape[:1])
    assert not spans_plane(np.array([[1.0, 0, 0], [2.0, 0, 0]]))
    unit, norm = unit_vectors(np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 0.0]]))
    np.testing.assert_allclose(unit, [[0.6, 0.8, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(norm, [5.0, 0.0])
