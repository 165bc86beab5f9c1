"""The GLB container: glTF accessors over one binary buffer, packing and reading GLB files.

Pure NumPy/struct code, no Qt. Source: Khronos glTF 2.0 specification, Sec. 3.6 (buffers,
buffer views, accessors) and 4.4 (GLB container: 12-byte header, JSON chunk, BIN chunk).
The stick-figure scenes written into it are :mod:`motionlex.core.motion.gltf`.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import trimesh

GLB_MAGIC = 0x46546C67  # "glTF"
_CHUNK_JSON = 0x4E4F534A
_CHUNK_BIN = 0x004E4942
_FLOAT = 5126
_USHORT = 5123
_UINT = 5125


class GltfBuilder:
    """Accumulates glTF accessors (float32, uint16, uint32 arrays) over one binary buffer.

    Attributes:
        blob: the buffer's bytes so far (each view 4-byte aligned).
        views: the glTF ``bufferViews``.
        accessors: the glTF ``accessors``.
    """

    def __init__(self) -> None:
        self.blob = bytearray()
        self.views: list[dict] = []
        self.accessors: list[dict] = []

    def add(self, array: np.ndarray, kind: str, *, target: int | None = None,
            with_bounds: bool = False) -> int:
        """Append ``array`` as one buffer view and accessor; returns the accessor index.

        Args:
            array: ``(count, ...)`` float (stored as float32: glTF's only float type, so
                float16 and float64 are cast), uint16 or uint32; e.g. ``(V, 3)`` positions in
                metres, ``(3F,)`` triangle indices.
            kind: glTF accessor type (``"SCALAR"``, ``"VEC3"``, ``"VEC4"``, ``"MAT4"``),
                matching the components per row of ``array``.
            target: bufferView target (34962 vertex data, 34963 indices) or None.
            with_bounds: store per-component ``min`` / ``max`` (required for POSITION).

        Raises:
            TypeError: another dtype (integers other than uint16 / uint32, bool, object):
                glTF accessors have no such component type.

        Source: glTF 2.0 specification, Sec. 3.6 (buffers, buffer views, accessors).
        """
        arr = np.ascontiguousarray(array)
        if np.issubdtype(arr.dtype, np.floating):
            arr = arr.astype(np.float32, copy=False)
        comp = {np.dtype(np.float32): _FLOAT, np.dtype(np.uint16): _USHORT,
                np.dtype(np.uint32): _UINT}.get(arr.dtype)
        if comp is None:
            raise TypeError(f"glTF accessors take float, uint16 or uint32 arrays, got {arr.dtype}")
        while len(self.blob) % 4:
            self.blob.append(0)
        view: dict[str, Any] = {"buffer": 0, "byteOffset": len(self.blob),
                                "byteLength": arr.nbytes}
        if target is not None:
            view["target"] = target
        self.blob.extend(arr.tobytes())
        self.views.append(view)
        count = arr.shape[0]
        acc: dict[str, Any] = {"bufferView": len(self.views) - 1, "componentType": comp,
                               "count": int(count), "type": kind}
        if with_bounds:
            flat = arr.reshape(count, -1)
            acc["min"] = [float(v) for v in flat.min(axis=0)]
            acc["max"] = [float(v) for v in flat.max(axis=0)]
        self.accessors.append(acc)
        return len(self.accessors) - 1

    def add_mesh_arrays(self, mesh: trimesh.Trimesh) -> tuple[int, int, int]:
        """Accessors of a mesh's vertices ``(V, 3)`` float32 metres (with bounds), vertex
        normals ``(V, 3)`` float32 and faces ``(3F,)`` uint32: ``(position, normal, indices)``.
        """
        pos = self.add(np.asarray(mesh.vertices, np.float32), "VEC3", target=34962,
                       with_bounds=True)
        nrm = self.add(np.asarray(mesh.vertex_normals, np.float32), "VEC3", target=34962)
        idx = self.add(np.asarray(mesh.faces, np.uint32).reshape(-1), "SCALAR", target=34963)
        return pos, nrm, idx


def pack_glb(gltf: dict, blob: bytes) -> bytes:
    """A GLB container: 12-byte header, JSON chunk (space padded), BIN chunk (zero padded).

    Source: glTF 2.0 specification, Sec. 4.4 (binary glTF layout).
    """
    js = json.dumps(gltf, separators=(",", ":")).encode("utf-8")
    js += b" " * (-len(js) % 4)
    bin_ = bytes(blob) + b"\0" * (-len(blob) % 4)
    total = 12 + 8 + len(js) + 8 + len(bin_)
    return (struct.pack("<III", GLB_MAGIC, 2, total)
            + struct.pack("<II", len(js), _CHUNK_JSON) + js
            + struct.pack("<II", len(bin_), _CHUNK_BIN) + bin_)


def read_glb_json(path: str | os.PathLike) -> dict:
    """The JSON chunk of a GLB file (for checks and tests).

    Raises:
        ValueError: not a GLB version 2 file.
    """
    data = Path(path).read_bytes()
    magic, version, _ = struct.unpack_from("<III", data, 0)
    if magic != GLB_MAGIC or version != 2:
        raise ValueError(f"{path}: not a GLB 2.0 file (magic {magic:#x}, version {version})")
    length, kind = struct.unpack_from("<II", data, 12)
    if kind != _CHUNK_JSON:
        raise ValueError(f"{path}: first chunk is not JSON")
    return json.loads(data[20:20 + length].decode("utf-8"))


def read_glb_accessor(path: str | os.PathLike, accessor: int) -> np.ndarray:
    """Decode one float/uint accessor of a GLB file into an array (for checks and tests).

    Returns:
        ``(count, components)`` array (``(count,)`` for scalars).
    """
    data = Path(path).read_bytes()
    gltf = read_glb_json(path)
    js_len = struct.unpack_from("<I", data, 12)[0]
    bin_start = 20 + js_len + 8
    acc = gltf["accessors"][accessor]
    view = gltf["bufferViews"][acc["bufferView"]]
    dtype = {_FLOAT: np.float32, _USHORT: np.uint16, _UINT: np.uint32}[acc["componentType"]]
    width = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}[acc["type"]]
    start = bin_start + view.get("byteOffset", 0) + acc.get("byteOffset", 0)
    arr = np.frombuffer(data, dtype, acc["count"] * width, start)
    return arr if width == 1 else arr.reshape(acc["count"], width)
