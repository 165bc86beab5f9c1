"""Patch images built on a torch device: padding per skeleton, batch order kept across groups."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from motionlex.core.motion.files import load_motion_file
from motionlex.core.patch_batches import patches_from_joints
from motionlex.core.patches import part_resampling_matrix
from motionlex.core.retrieval.device_patches import device_patches, pad_joints


def test_pad_joints_cuts_pads_and_names_a_misfit(samples_motions):
    m0, m1 = samples_motions[:2]
    long = np.concatenate([m1.joints] * 4)  # over the window
    g = pad_joints(m0.skeleton, [3, 0], [m0.joints, long], 224)
    assert g.positions == [3, 0] and g.joints.shape == (2, 224, 22, 3)
    assert g.lengths.tolist() == [min(len(m0.joints), 224), 224]
    n = int(g.lengths[0])
    np.testing.assert_array_equal(g.joints[0, :n], m0.joints[:n])
    assert not g.joints[0, n:].any()  # zeros after the clip's end
    np.testing.assert_array_equal(g.joints[1], long[:224])
    with pytest.raises(ValueError, match=r"motion 1: expected \(T, 22, 3\)"):
        pad_joints(m0.skeleton, [0, 1], [m0.joints, np.zeros((10, 5, 3), np.float32)], 224)


def test_mixed_skeleton_batch_keeps_batch_order(shared_data, samples_motions, samples_stats):
    """Clips of two skeletons, interleaved: each image and mask lands at its clip's row and
    equals the host (NumPy) image of that clip."""
    bvh = [load_motion_file(p) for p in sorted((shared_data / "raw_bvh").glob("*.bvh"))[:2]]
    smpl = samples_motions[:2]
    order = [("s", smpl[0]), ("b", bvh[0]), ("s", smpl[1]), ("b", bvh[1])]
    groups = []
    for kind in ("b", "s"):  # groups in another order than the batch
        pos = [i for i, (k, _) in enumerate(order) if k == kind]
        sk = order[pos[0]][1].skeleton
        groups.append(pad_joints(sk, pos, [order[i][1].joints[:224] for i in pos], 224))
    matrices: dict = {}
    images, masks = device_patches(groups, samples_stats, torch.device("cpu"), matrices)
    assert images.shape == (4, 3, 224, 80) and masks.shape[0] == 4
    assert len(matrices) == 2  # one resampling matrix per skeleton, cached
    for i, (_, m) in enumerate(order):
        ref, ref_mask, _ = patches_from_joints([m.joints[:224]], part_resampling_matrix(m.skeleton),
                                               samples_stats, 224)
        np.testing.assert_allclose(images[i].numpy(), ref[0], rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(masks[i].numpy(), np.asarray(ref_mask)[0])
