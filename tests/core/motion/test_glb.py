"""The GLB container's accessors (core/motion/glb.py) on a real motion's joint positions."""

from __future__ import annotations

import numpy as np
import pytest

from motionlex.core.motion.glb import GltfBuilder, pack_glb, read_glb_accessor


def _written(tmp_path, g: GltfBuilder):
    gltf = {"asset": {"version": "2.0"}, "buffers": [{"byteLength": len(g.blob)}],
            "bufferViews": g.views, "accessors": g.accessors}
    path = tmp_path / "a.glb"
    path.write_bytes(pack_glb(gltf, g.blob))
    return path


def test_add_casts_float64_positions_and_refuses_other_component_types(shared_data, tmp_path):
    """float64 (what ``np.load`` of a joints file and most NumPy arithmetic give) raised a bare
    ``KeyError: dtype('float64')``; it is stored as float32, glTF's only float type. Integer
    types glTF has no component for are refused by name."""
    joints = np.load(shared_data / "humanml3d_samples" / "new_joints" / "000000.npy")
    frame = joints[0].astype(np.float64)  # (22, 3) metres
    g = GltfBuilder()
    acc = g.add(frame, "VEC3", target=34962, with_bounds=True)
    idx = g.add(np.arange(6, dtype=np.uint16), "SCALAR", target=34963)
    assert g.accessors[acc]["componentType"] == 5126 and g.accessors[idx]["componentType"] == 5123
    assert g.accessors[acc]["min"] == pytest.approx(frame.min(axis=0).tolist(), abs=1e-6)
    path = _written(tmp_path, g)
    np.testing.assert_array_equal(read_glb_accessor(path, acc), frame.astype(np.float32))
    np.testing.assert_array_equal(read_glb_accessor(path, idx), np.arange(6))
    for bad in (np.arange(6, dtype=np.int64), np.zeros(3, bool)):
        with pytest.raises(TypeError, match=f"float, uint16 or uint32 arrays, got {bad.dtype}$"):
            g.add(bad, "SCALAR")
    assert len(g.accessors) == 2  # a refused array adds nothing
