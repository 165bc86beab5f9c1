"""Export writers of the app on real motions: BVH copy, GIF/MP4 video."""

from __future__ import annotations

import pytest

from motionlex.app.export import copy_source_bvh


def test_copy_source_bvh(tmp_path, shared_data):
    from motionlex.core.retrieval.fingerprints import file_sha256

    src = shared_data / "raw_bvh" / "bandai_1_dash_normal_001.bvh"
    out = copy_source_bvh(src, tmp_path / "out" / "dash.bvh", sha256=file_sha256(src))
    assert out.read_bytes() == src.read_bytes()
    with pytest.raises(ValueError, match="not a BVH file"):
        copy_source_bvh(shared_data / "humanml3d_samples" / "new_joints" / "000000.npy",
                        tmp_path / "x.bvh")
    with pytest.raises(FileNotFoundError, match="source BVH not found"):
        copy_source_bvh(tmp_path / "gone.bvh", tmp_path / "x.bvh")
    with pytest.raises(ValueError, match="changed since it was indexed"):
        copy_source_bvh(src, tmp_path / "x.bvh", sha256="0" * 64)
    assert not (tmp_path / "x.bvh").exists()
