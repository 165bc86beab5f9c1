"""Writing the gallery index format of :mod:`.index` (atomically, checksummed)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from motionlex.core.atomic import atomic_directory
from motionlex.core.json_io import write_json
from motionlex.core.motion.skeleton import Skeleton
from motionlex.core.patches import PatchStats
from motionlex.core.retrieval.ann import (
    ANN_FILE,
    ANN_KIND,
    ANN_MIN_ITEMS,
    DEFAULT_NPROBE,
    faiss_available,
    train_ivf,
)
from motionlex.core.retrieval.fingerprints import file_sha256, stats_fingerprint
from motionlex.core.retrieval.fusion import DEFAULT_FUSION_WEIGHT
from motionlex.core.retrieval.index_format import (
    BLOCK_CHECKED_FILES,
    DATA_FILES,
    INDEX_FORMAT,
    INDEX_VERSION,
    INVERTED_ARRAYS,
    MANIFEST,
    IndexSettings,
)
from motionlex.core.retrieval.item_store import write_items
from motionlex.core.retrieval.verified import BLOCK_BYTES, file_digests

logger = logging.getLogger(__name__)


def write_index(
    out: str | os.PathLike,
    *,
    dense: np.ndarray,
    lexical: sp.csr_matrix,
    items: dict[str, list],
    joints: Iterable[np.ndarray],
    num_frames: np.ndarray,
    fps: np.ndarray,
    skeleton_ids: np.ndarray,
    skeletons: Sequence[Skeleton],
    patch_stats: PatchStats,
    vocabulary: Sequence[str],
    model_info: dict[str, Any],
    settings: IndexSettings,
    fusion_weight: float = DEFAULT_FUSION_WEIGHT,
    ann: bool | None = None,
    ann_nlist: int | None = None,
    ann_nprobe: int = DEFAULT_NPROBE,
    loaders: dict[str, int] | None = None,
    data_folders: list[dict[str, str]] | None = None,
) -> Path:
    """Write a complete index directory atomically (temporary folder, then rename).

    Low-level writer used by :func:`.build.build_steps` (and by benchmarks with synthetic
    data).

    Args:
        out: target directory; an existing index there is replaced only once the new one is
            complete.
        dense: ``(N, D)`` float dense embeddings (stored as float16).
        lexical: ``(N, V)`` CSR lexical matrix (already pruned/normalised).
        items: columns ``ids``, ``captions``, ``sources``, ``source_sha256``, ``datasets``,
            ``meta``, each of length ``N`` (stored by :func:`.item_store.write_items`).
        joints: ``N`` arrays ``(T_i, J_i, 3)`` or ``(T_i * J_i, 3)`` metres, in item order.
        num_frames / fps / skeleton_ids: ``(N,)`` per-item arrays.
        skeletons: distinct skeletons indexed by ``skeleton_ids``.
        patch_stats: the statistics used to encode.
        vocabulary: ``V`` tokens.
        model_info: ``sha256``, ``name``, ``embed_dim``, ``lexical_similarity``,
            ``checkpoint`` of the encoding model.
        settings: encoding settings.
        fusion_weight: default fused-search weight.
        ann: store an IVF dense index (:mod:`.ann`): None (default) does so from
            :data:`~.ann.ANN_MIN_ITEMS` motions when faiss is installed (logging when it is
            not), True always, False never.
        ann_nlist: IVF lists (None: :func:`~.ann.default_nlist`).
        ann_nprobe: lists a query scans, recorded in the manifest.
        loaders: versions of the file loaders that read the rows (``{"bvh": int}``,
            :data:`~motionlex.core.motion.bvh.LOADER_VERSION`), recorded in the manifest so
            that a rebuild re-encodes rows read by an older loader; None records none.
        data_folders: ``[{"folder": resolved path, "split": split read}, ...]``, the data
            folders the rows were read from (:data:`~.rebuild.DATA_FOLDERS_KEY`), which
            ``motionlex index --rebuild`` reads again; None records none.

    Returns:
        The index directory.

    Raises:
        ValueError: inconsistent sizes or malformed item columns. FileExistsError: ``out``
            exists and is not a directory. ImportError: ``ann=True`` without faiss installed.
    """
    target = Path(out)
    n = len(items["ids"])
    dense = np.asarray(dense)
    if dense.shape[0] != n or lexical.shape != (n, len(vocabulary)):
        raise ValueError(f"index of {n} items needs dense ({n}, D) and lexical ({n}, "
                         f"{len(vocabulary)}); got {dense.shape} and {lexical.shape}")
    if target.exists() and not target.is_dir():
        raise FileExistsError(f"cannot write index: {target} exists and is not a directory")
    if ann is None:
        ann = n >= ANN_MIN_ITEMS and faiss_available()
        if n >= ANN_MIN_ITEMS and not ann:
            logger.warning("%d motions but faiss is not installed: dense search of %s stays "
                           "exact (pip install faiss-cpu, then rebuild, for the IVF index)",
                           n, target)
    with atomic_directory(target) as tmp:
        dense16 = dense.astype(np.float16)
        np.save(tmp / "dense.npy", dense16)
        ann_info = None
        if ann:  # trained on the stored float16 vectors, the ones every search reads
            centroids, lists = train_ivf(dense16, ann_nlist)
            np.savez(tmp / ANN_FILE, centroids=centroids, lists=lists)
            ann_info = {"kind": ANN_KIND, "metric": "inner_product", "nlist": len(centroids),
                        "nprobe": max(1, min(int(ann_nprobe), len(centroids)))}
        del dense16
        csr = sp.csr_matrix(lexical, dtype=np.float32)
        csr.sort_indices()
        sp.save_npz(tmp / "lexical.npz", csr, compressed=False)
        csc = csr.tocsc()
        csc.sort_indices()
        for name, arr in zip(INVERTED_ARRAYS, (np.asarray(csc.indptr, np.int64),
                                               np.asarray(csc.indices, np.int32),
                                               np.asarray(csc.data, np.float32))):
            np.save(tmp / name, arr)
        del csc
        jdtype = np.dtype(settings.joints_dtype)
        parts = [np.asarray(j).reshape(-1, 3) for j in joints]
        if len(parts) != n:
            raise ValueError(f"{len(parts)} joint arrays for {n} items")
        offsets = np.zeros(n + 1, np.int64)
        offsets[1:] = np.cumsum([len(p) for p in parts])
        jm = np.lib.format.open_memmap(tmp / "joints.npy", mode="w+", dtype=jdtype,
                                       shape=(int(offsets[-1]), 3))
        for p, a, b in zip(parts, offsets[:-1], offsets[1:]):
            jm[a:b] = p
        jm.flush()
        del jm
        row_offsets = write_items(tmp, items)
        np.savez(tmp / "items.npz", fps=np.asarray(fps, np.float32),
                 num_frames=np.asarray(num_frames, np.int64),
                 skeleton=np.asarray(skeleton_ids, np.int32), joint_offsets=offsets,
                 row_offsets=row_offsets)
        write_json(tmp / "skeletons.json", [s.to_dict() for s in skeletons], compact=True)
        write_json(tmp / "patch_stats.json", patch_stats.to_dict(), compact=True)
        write_json(tmp / "vocabulary.json", list(vocabulary), compact=True)
        names = DATA_FILES + ((ANN_FILE,) if ann_info else ())
        files = {name: _file_entry(tmp / name, name in BLOCK_CHECKED_FILES) for name in names}
        manifest = {
            "format": INDEX_FORMAT,
            "version": INDEX_VERSION,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "count": n,
            "model": dict(model_info),
            "patch_stats_sha256": stats_fingerprint(patch_stats),
            "settings": settings.to_dict(),
            "fusion_weight": float(fusion_weight),
            **({"ann": ann_info} if ann_info else {}),
            **({"loaders": dict(loaders)} if loaders else {}),
            **({"data_folders": list(data_folders)} if data_folders is not None else {}),
            "sizes": {"embed_dim": int(dense.shape[1]) if dense.ndim == 2 else 0,
                      "vocab_size": len(vocabulary), "lexical_nnz": int(csr.nnz),
                      "joint_rows": int(offsets[-1]), "skeletons": len(skeletons),
                      "total_bytes": sum(f["bytes"] for f in files.values())},
            "files": files,
        }
        write_json(tmp / MANIFEST, manifest, compact=True)
    logger.info("wrote gallery index %s (%d motions, %.1f MiB)", target, n,
                manifest["sizes"]["total_bytes"] / 2**20)
    return target


def _file_entry(path: Path, blocks: bool) -> dict[str, Any]:
    """Manifest entry of a written file: bytes and SHA-256 (and per-block SHA-256s)."""
    if not blocks:
        return {"bytes": path.stat().st_size, "sha256": file_sha256(path)}
    whole, parts = file_digests(path, BLOCK_BYTES)
    return {"bytes": path.stat().st_size, "sha256": whole, "block_bytes": BLOCK_BYTES,
            "block_sha256": parts}
