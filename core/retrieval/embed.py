"""THE encoding path: motions and captions into the model's dense and lexical spaces.

Index building, search queries, ``motionlex evaluate``, validation during training and the
explorer all encode through :func:`encode_motions` and :func:`encode_texts`, so an embedding
means the same thing everywhere.

Motions longer than the model's 224 frames are encoded in consecutive 224-frame windows
(the last one aligned to the clip's end); the dense embedding is the re-normalised mean of
the windows' embeddings and the lexical vector their element-wise maximum (SPLADE's max
pooling carried over windows), so a search finds an action anywhere in a long clip.
``long_clips="first"`` encodes only the first window, as the evaluation protocols do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import torch
from tqdm.auto import tqdm

from motionlex.core.model.lexical import lexical_similarity
from motionlex.core.motion.skeleton import Skeleton
from motionlex.core.patches import PatchStats, part_resampling_matrix, patches_from_joints

LONG_CLIP_MODES = ("windows", "first")
"""How clips over the model's window are encoded (see :func:`clip_windows`)."""


class Embeddings(NamedTuple):
    """Dense ``(N, D)`` float32 L2-normalised and lexical ``(N, V)`` float32 ``>= 0``
    embeddings of ``N`` items (unpacks as ``dense, lexical = ...``)."""

    dense: np.ndarray
    lexical: np.ndarray


def clip_windows(num_frames: int, max_frames: int, long_clips: str = "windows") -> list[int]:
    """First frames of the windows a clip is encoded in.

    Args:
        num_frames: clip length ``T``.
        max_frames: window length (the model's 224).
        long_clips: ``"windows"``: consecutive windows, the last aligned to the clip's end;
            ``"first"``: only frame 0.

    Returns:
        Sorted start frames; ``[0]`` when ``T <= max_frames``.
    """
    if num_frames <= max_frames or long_clips == "first":
        return [0]
    starts = list(range(0, num_frames - max_frames + 1, max_frames))
    if starts[-1] + max_frames < num_frames:
        starts.append(num_frames - max_frames)
    return starts


@torch.inference_mode()
def encode_motions(
    model: Any,
    motions: Sequence[tuple[np.ndarray, Skeleton]],
    stats: PatchStats,
    *,
    batch_size: int = 32,
    long_clips: str = "windows",
) -> Embeddings:
    """Dense and lexical embeddings of canonical motions, long clips pooled over windows.

    Args:
        model: a :class:`~.model.MotionTextModel` (eval mode is set here).
        motions: ``(joints (T, J, 3) float metres, canonical 20 fps, skeleton)`` pairs;
            skeletons may differ between motions.
        stats: patch z-score statistics (the model's training statistics).
        batch_size: windows per forward pass.
        long_clips: see :func:`clip_windows`.

    Returns:
        :class:`Embeddings` with ``n`` rows (``dense (n, D)``, ``lexical (n, V)``).

    Raises:
        ValueError: no motions, or a joint array that does not match its skeleton.

    Source: windows pooled as in the module docstring; patches per Yu et al., CVPR 2024,
    Sec. 3.2 (:func:`~.patches.patches_from_joints`).
    """
    if not motions:
        raise ValueError("no motions to encode")
    model.eval()
    max_frames = int(model.config.max_frames)
    clips: list[tuple[int, np.ndarray, Skeleton]] = []
    for i, (joints, skeleton) in enumerate(motions):
        for s in clip_windows(len(joints), max_frames, long_clips):
            clips.append((i, joints[s:s + max_frames], skeleton))
    matrices: dict[Skeleton, np.ndarray] = {}
    dense: np.ndarray | None = None
    lexical: np.ndarray | None = None
    for b in range(0, len(clips), batch_size):
        chunk = clips[b:b + batch_size]
        images, masks = [], []
        for _, joints, skeleton in chunk:
            if skeleton not in matrices:
                matrices[skeleton] = part_resampling_matrix(skeleton)
            img, mask, _ = patches_from_joints([joints], matrices[skeleton], stats, max_frames)
            images.append(img)
            masks.append(mask)
        out = model.forward_motion(torch.from_numpy(np.concatenate(images)),
                                   torch.from_numpy(np.concatenate(masks)))
        d = out.dense.float().cpu().numpy()
        lex = out.lexical.float().cpu().numpy()
        if dense is None:
            dense = np.zeros((len(motions), d.shape[1]), np.float32)
            lexical = np.zeros((len(motions), lex.shape[1]), np.float32)
        for row, (i, _, _) in enumerate(chunk):
            dense[i] += d[row]
            np.maximum(lexical[i], lex[row], out=lexical[i])
    dense /= np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-12)
    return Embeddings(dense, lexical)


@torch.inference_mode()
def encode_texts(model: Any, texts: Sequence[str], batch_size: int = 64,
                 progress: bool = False) -> Embeddings:
    """Embed captions (each distinct string once), rows in the order of ``texts``.

    Args:
        model: a :class:`~motionlex.core.model.model.MotionTextModel` (eval mode is set here).
        texts: ``N`` captions.
        batch_size: distinct captions per forward pass.
        progress: tqdm bar over batches.

    Returns:
        :class:`Embeddings` with ``N`` rows.

    Raises:
        ValueError: no texts.
    """
    if not texts:
        raise ValueError("no texts to encode")
    model.eval()
    uniq = list(dict.fromkeys(texts))
    dense, lexical = [], []
    for i in tqdm(range(0, len(uniq), batch_size), desc="encoding texts", unit="batch",
                  disable=not progress):
        out = model.forward_text(uniq[i:i + batch_size])
        dense.append(out.dense.float().cpu().numpy())
        lexical.append(out.lexical.float().cpu().numpy())
    row = {t: k for k, t in enumerate(uniq)}
    idx = np.array([row[t] for t in texts], np.int64)
    return Embeddings(np.concatenate(dense)[idx], np.concatenate(lexical)[idx])


class Scorer:
    """Similarity blocks between encoded texts (looked up by string) and motions (by index).

    Args:
        texts: the ``N`` distinct encoded captions, in the rows of ``text_emb``.
        text_emb / motion_emb: their embeddings and those of ``M`` motions.
        lexical_mode: the model's ``lexical_similarity`` (``"cosine"`` or ``"dot"``).

    Calling it with captions (any of ``texts``) and motion indices returns
    ``(dense, lexical)`` float32 ``(len(captions), len(motions))`` similarities (lexical
    clipped at 0).
    """

    def __init__(self, texts: Sequence[str], text_emb: Embeddings, motion_emb: Embeddings,
                 lexical_mode: str) -> None:
        self.row = {t: k for k, t in enumerate(texts)}
        self.t, self.m, self.mode = text_emb, motion_emb, lexical_mode

    def __call__(self, texts: Sequence[str], motions: Sequence[int] | np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        ti = np.array([self.row[t] for t in texts], np.int64)
        mi = np.asarray(motions, np.int64)
        dense = self.t.dense[ti] @ self.m.dense[mi].T
        lex = lexical_similarity(torch.from_numpy(self.t.lexical[ti]),
                                 torch.from_numpy(self.m.lexical[mi]), self.mode).numpy()
        return dense.astype(np.float32), np.maximum(lex, 0.0).astype(np.float32)
