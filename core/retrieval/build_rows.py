"""The rows of an index build: what a batch of motions becomes, and what the index holds.

:func:`.build.build_steps` encodes the motions to add in batches (:func:`encode_batch`: the
dense and lexical rows the index stores for each motion) and, once every batch is encoded,
lays out the rows of the index it writes (:func:`merge_rows`): the old index's kept rows
first, in their old order, then the new ones, with the skeletons of both merged. Neither
touches the index folder: reading the dataset, the build's lock, its saved work and the
atomic write stay with :mod:`.build`, :mod:`.build_work` and :mod:`.index_writer`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from motionlex.core.model.types import EncoderModel
from motionlex.core.motion.skeleton import Skeleton
from motionlex.core.patches import PatchStats
from motionlex.core.retrieval.build_work import NewItems
from motionlex.core.retrieval.embed import encode_motions
from motionlex.core.retrieval.index import GalleryIndex, IndexSettings
from motionlex.core.retrieval.index_checks import ITEM_COLUMNS
from motionlex.core.retrieval.sparse import sparse_from_top_words, sparsify_lexical


def encode_batch(model: EncoderModel, motions: Sequence[tuple[np.ndarray, Skeleton]],
                 patch_stats: PatchStats, settings: IndexSettings, batch_size: int = 32,
                 patches_on_device: bool | None = None) -> tuple[np.ndarray, sp.csr_matrix]:
    """The rows :func:`.build.build_steps` stores for a batch of motions (its per-batch work).

    With ``settings.lexical_top_k`` the heaviest words are selected on the model's device
    (:func:`encode_motions` with ``lexical_top_k``) and only they are copied to the CPU;
    without it the full lexical vectors are copied and kept whole.

    Args:
        model: a ``MotionTextModel`` or ``LiteModel`` (:data:`~.types.EncoderModel`).
        motions: ``B`` ``(joints, skeleton)`` pairs; ``joints`` ``(T, J, 3)`` float
            positions in metres, in canonical form (20 fps, Y up, as
            :meth:`~motionlex.core.data.datasets.MotionDataset.load_motion` gives them:
            encoded as they are, ``encode_motions(..., assume_canonical=True)``), ``J``
            equal to ``skeleton.num_joints``; clips longer than the model's ``max_frames``
            are encoded in windows (``settings.long_clips``).
        patch_stats: the model's patch statistics.
        settings: the index's encoding settings.
        batch_size: windows per forward pass.
        patches_on_device: see :func:`encode_motions` (``None``: on the device when it is
            CUDA).

    Returns:
        ``(dense (B, D) float32 unit rows, lexical (B, V) float32 CSR)`` as
        ``sparsify_lexical(encode_motions(...).lexical, top_k, similarity)`` gives them.

    Raises:
        ValueError: no motions, or a joint array that does not match its skeleton (as
            :func:`encode_motions`).
    """
    similarity = str(model.config.lexical_similarity)
    top_k = settings.lexical_top_k
    if top_k is None:
        d, lex = encode_motions(model, motions, patch_stats, batch_size=batch_size,
                                long_clips=settings.long_clips,
                                patches_on_device=patches_on_device, assume_canonical=True)
        return d, sparsify_lexical(lex, None, similarity)
    emb = encode_motions(model, motions, patch_stats, batch_size=batch_size,
                         long_clips=settings.long_clips, lexical_top_k=top_k,
                         patches_on_device=patches_on_device, assume_canonical=True)
    return emb.dense, sparse_from_top_words(emb.values, emb.ids, emb.num_words, similarity)


@dataclass(eq=False)
class MergedRows:
    """The rows of the index a build writes (the arrays :func:`~.index_writer.write_index`
    takes), ``N`` motions: the kept rows of the old index, then the new ones.

    Attributes:
        dense: ``(N, D)`` float32 dense embeddings.
        lexical: ``(N, V)`` float32 CSR lexical rows.
        items: the metadata columns (:data:`~.index_checks.ITEM_COLUMNS`: ``ids``,
            ``captions``, ``sources``, ``source_sha256``, ``datasets``, ``meta``), ``N``
            entries each.
        joints: ``N`` ``(T_i, J_i, 3)`` (new) or ``(T_i * J_i, 3)`` (kept) arrays of the
            index's ``joints_dtype`` (metres), as the writer flattens them.
        num_frames: ``(N,)`` frames of each motion.
        fps: ``(N,)`` frame rates (Hz).
        skeleton_ids: ``(N,)`` row of each motion's skeleton in ``skeletons``.
        skeletons: the distinct skeletons still referenced, old ones first.
    """

    dense: np.ndarray
    lexical: sp.csr_matrix
    items: dict[str, list]
    joints: list[np.ndarray]
    num_frames: np.ndarray
    fps: np.ndarray
    skeleton_ids: np.ndarray
    skeletons: list[Skeleton]


def merge_rows(old: GalleryIndex | None, keep: Sequence[int], new: NewItems,
               joints_dtype: str) -> MergedRows:
    """The rows of the index a build writes: ``old``'s rows ``keep``, then the new ones.

    The new motions' skeletons join the old index's (an equal skeleton is shared); those no
    longer referenced by any row are dropped and the rest renumbered in their order.

    Args:
        old: the existing index (its playback joints are verified block by block as they
            are copied, ``GalleryIndex._joints``), or None for a new index.
        keep: rows of ``old`` to carry over, in order (empty when ``old`` is None).
        new: the motions encoded by this build, with their dense and lexical batches.
        joints_dtype: storage dtype of the playback joints (``settings.joints_dtype``).

    Returns:
        The :class:`MergedRows`.
    """
    skeleton_list: list[Skeleton] = [] if old is None else list(old.skeletons)
    sk_ids = {s: i for i, s in enumerate(skeleton_list)}
    for s in new.skeletons:
        if s not in sk_ids:
            sk_ids[s] = len(skeleton_list)
            skeleton_list.append(s)
    jdtype = np.dtype(joints_dtype)
    dense_parts = [np.asarray(old.dense[keep], np.float32)] if old is not None else []
    lex_parts = [old.lexical[keep]] if old is not None else []
    items: dict[str, list] = {k: [] for k in ITEM_COLUMNS}  # attributes of old and new
    joints: list[np.ndarray] = []
    num_frames, fps, skel = [], [], []
    for i in keep:
        for k in items:
            items[k].append(getattr(old, k)[i])
        joints.append(old._joints[old.joint_offsets[i]:old.joint_offsets[i + 1]])
        num_frames.append(int(old.num_frames[i]))
        fps.append(float(old.fps[i]))
        skel.append(int(old.skeleton_ids[i]))
    for j in range(len(new.ids)):
        for k in items:
            items[k].append(getattr(new, k)[j])
        joints.append(new.joints[j].astype(jdtype))
        num_frames.append(len(new.joints[j]))
        fps.append(new.fps[j])
        skel.append(sk_ids[new.skeletons[j]])
    used = sorted(set(skel))  # drop skeletons no longer referenced
    remap = {s: i for i, s in enumerate(used)}
    return MergedRows(
        dense=np.concatenate(dense_parts + new.dense),
        lexical=sp.vstack(lex_parts + new.lexical, format="csr"),
        items=items, joints=joints, num_frames=np.asarray(num_frames), fps=np.asarray(fps),
        skeleton_ids=np.asarray([remap[s] for s in skel]),
        skeletons=[skeleton_list[s] for s in used])
