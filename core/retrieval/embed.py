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

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import numpy as np
import torch
from tqdm.auto import tqdm

from motionlex.core.model.lexical import lexical_similarity
from motionlex.core.model.text_encoder import check_texts, truncation_note
from motionlex.core.model.types import EncoderModel
from motionlex.core.motion.file_checks import check_finite_joints
from motionlex.core.motion.skeleton import Skeleton
from motionlex.core.patch_batches import motion_pairs, patches_from_joints
from motionlex.core.patches import PatchStats, part_resampling_matrix
from motionlex.core.retrieval.device_patches import JointGroup, device_patches, pad_joints
from motionlex.core.retrieval.fingerprints import require_model
from motionlex.core.text.spelling import require_words

logger = logging.getLogger(__name__)

LONG_CLIP_MODES = ("windows", "first")
"""How clips over the model's window are encoded (see :func:`clip_windows`)."""


class Embeddings(NamedTuple):
    """Dense ``(N, D)`` float32 L2-normalised and lexical ``(N, V)`` float32 ``>= 0``
    embeddings of ``N`` items (unpacks as ``dense, lexical = ...``)."""

    dense: np.ndarray
    lexical: np.ndarray

    def __repr__(self) -> str:
        """Shapes and dtypes, not the arrays (a print of 10 captions filled the screen)."""
        return (f"Embeddings(dense={_shape(self.dense)}, lexical={_shape(self.lexical)})")


def _shape(a: object) -> str:
    """``(N, D) float32`` of an array (or a sparse matrix), for reprs."""
    return f"{tuple(getattr(a, 'shape', ()))} {getattr(a, 'dtype', type(a).__name__)}"


class TopWords(NamedTuple):
    """Dense ``(N, D)`` float32 L2-normalised embeddings and each row's ``K`` heaviest lexical
    words: ``values (N, K)`` float32 ``>= 0`` and ``ids (N, K)`` int64, ids ascending within a
    row (a row with fewer than ``K`` non-zero words has zero values among them);
    :func:`~.sparse.sparse_from_top_words` makes the index's CSR rows of them; ``num_words``
    is the vocabulary size ``V`` of the full vectors."""

    dense: np.ndarray
    values: np.ndarray
    ids: np.ndarray
    num_words: int

    def lexical_rows(self) -> np.ndarray:
        """``(N, V)`` float32 lexical rows holding only the kept words (zeros elsewhere),
        e.g. for :meth:`MotionTextModel.top_words`."""
        rows = np.zeros((self.values.shape[0], int(self.num_words)), np.float32)
        np.put_along_axis(rows, np.asarray(self.ids), np.asarray(self.values), axis=1)
        return rows


def check_long_clips(long_clips: object) -> None:
    """Refuse a ``long_clips`` mode other than :data:`LONG_CLIP_MODES` (a typo, e.g.
    ``"frist"``, would otherwise encode every window).

    Raises:
        ValueError: naming the allowed values and the value given.
    """
    if not isinstance(long_clips, str) or long_clips not in LONG_CLIP_MODES:
        raise ValueError(f"long_clips must be one of {LONG_CLIP_MODES}, got {long_clips!r}")


def check_batch_size(batch_size: object, what: str = "batch_size") -> None:
    """Refuse a batch size that is not an int >= 1 (``0``, ``-1``, ``2.5``, ``True``).

    Raises:
        TypeError: not an int. ValueError: below 1.
    """
    if isinstance(batch_size, bool | np.bool_) or not isinstance(batch_size, int | np.integer):
        raise TypeError(f"{what} must be an int >= 1, got {type(batch_size).__name__} "
                        f"{batch_size!r:.40}")
    if batch_size < 1:
        raise ValueError(f"{what} must be >= 1, got {batch_size}")


def clip_windows(num_frames: int, max_frames: int, long_clips: str = "windows") -> list[int]:
    """First frames of the windows a clip is encoded in.

    Args:
        num_frames: clip length ``T``.
        max_frames: window length (the model's 224).
        long_clips: ``"windows"``: consecutive windows, the last aligned to the clip's end;
            ``"first"``: only frame 0.

    Returns:
        Sorted start frames; ``[0]`` when ``T <= max_frames``.

    Raises:
        ValueError: an unknown ``long_clips`` (:func:`check_long_clips`).
    """
    check_long_clips(long_clips)
    if num_frames <= max_frames or long_clips == "first":
        return [0]
    starts = list(range(0, num_frames - max_frames + 1, max_frames))
    if starts[-1] + max_frames < num_frames:
        starts.append(num_frames - max_frames)
    return starts


@torch.inference_mode()
def encode_motions(
    model: EncoderModel,
    motions: Sequence[Any],
    stats: PatchStats,
    *,
    batch_size: int = 32,
    long_clips: str = "windows",
    lexical_top_k: int | None = None,
    patches_on_device: bool | None = None,
    progress: bool = False,
    assume_canonical: bool = False,
) -> Embeddings | TopWords:
    """Dense and lexical embeddings of motions in canonical form, long clips pooled over
    windows.

    The clips (windows) are encoded ``batch_size`` at a time in their order. Each batch's
    patch images are built with one :func:`patches_from_joints` call per skeleton
    (or, see ``patches_on_device``, its padded joints are), on a background thread while the
    model encodes the previous batch; windows are pooled
    on the model's device (dense: sums added window by window in clip order, as a sequential
    sum; lexical: maximum) and each batch's finished motions are copied to the CPU once.

    Args:
        model: a ``MotionTextModel`` or ``LiteModel`` (``EncoderModel``); eval mode is set.
        motions: :class:`~motionlex.core.motion.motion.Motion` objects, or
            ``(joints (T, J, 3) float metres Y up, skeleton)`` pairs (``T >= 2``; the
            skeleton or a built-in one's name), skeletons may differ between motions. Both
            are brought to the canonical form here (20 fps, facing +Z, pelvis at XZ = 0 and
            feet on the floor on frame 0: :func:`~motionlex.core.patch_batches.motion_pairs`),
            as ``Searcher.embed_motion`` does, so ``np.load`` of a dataset file encodes as
            its loaded Motion does; a pair is read at its skeleton's joint-file rate (12.5
            fps for ``"kit21"``, else 20: a Motion carries its own) and checked as
            ``make_motion`` checks an array (metres, finite). A clip already canonical is
            left as it is to float32 round-off.
        stats: patch z-score statistics (the model's training statistics:
            ``load_checkpoint`` returns them with the model).
        batch_size: windows per forward pass.
        long_clips: see :func:`clip_windows`.
        lexical_top_k: ``None``: return the full ``(n, V)`` lexical matrix. ``K``: return
            only each motion's ``K`` heaviest words (:class:`TopWords`), selected on the
            model's device by :func:`top_words` (the selection
            :func:`~.sparse.sparsify_lexical` makes), so no ``(n, V)`` matrix is copied.
        patches_on_device: ``True``: only the padded joints are made on the CPU and the
            patch images are computed on the model's device
            (:func:`.device_patches.device_patch_images`, equal to the NumPy images to
            float32 round-off); ``False``: NumPy
            (:func:`patches_from_joints`); ``None``: on the device when it is CUDA.
        progress: a tqdm bar over the batches ("encoding motions").
        assume_canonical: the motions are canonical (20 fps) already and used as they are,
            only shapes and values checked: index builds, evaluation and validation pass
            their loaders' clips so (faster; a ``crop_seconds(..., canonical=True)`` crop
            keeps its whole clip's floor, which ``to_canonical`` would move). Joints in
            another frame or unit then encode without error, far from their captions.

    Returns:
        :class:`Embeddings` with ``n`` rows (``dense (n, D)``, ``lexical (n, V)``), or with
        ``lexical_top_k`` a :class:`TopWords` (``dense (n, D)``, ``values``/``ids (n, K)``).

    Raises:
        TypeError: ``model`` not a model; ``stats`` not a :class:`PatchStats`; motions not a
            list of motions (:func:`~motionlex.core.patch_batches.motion_pairs`);
            ``batch_size`` not an int.
        ValueError: no motions, ``lexical_top_k < 1``, ``batch_size < 1``, an unknown
            ``long_clips``, a joint array that does not match its skeleton (naming the
            built-in skeleton of its joint count) or has fewer than 2 frames, NaN or inf
            joints (naming the motion, frame and joint), joints that are not plausible
            metres (a ``MotionFileError``) or a motion without a facing direction
            (:func:`~motionlex.core.patch_batches.motion_pairs`, naming ``motions[i]``).

    Source: windows pooled as in the module docstring; patches per Yu et al., CVPR 2024,
    Sec. 3.2 (:func:`patches_from_joints`).
    """
    require_model(model, "forward_motion")
    motions = motion_pairs(motions, assume_canonical=assume_canonical)
    if not isinstance(stats, PatchStats):
        raise TypeError(f"stats must be the model's PatchStats (load_checkpoint returns them; "
                        f"or PatchStats.load(folder / 'patch_stats.json')), got "
                        f"{type(stats).__name__}")
    if lexical_top_k is not None and lexical_top_k < 1:
        raise ValueError(f"lexical_top_k must be >= 1 or None, got {lexical_top_k}")
    check_batch_size(batch_size)
    check_long_clips(long_clips)
    for i, (joints, skeleton) in enumerate(motions):  # a NaN makes the whole embedding NaN
        check_finite_joints(joints, skeleton, f"motions[{i}]")
    model.eval()
    max_frames = int(model.config.max_frames)
    clips: list[tuple[int, int]] = []  # (motion, first frame)
    for i, (joints, _) in enumerate(motions):
        clips.extend((i, s) for s in clip_windows(len(joints), max_frames, long_clips))
    owner = np.array([i for i, _ in clips], np.int64)
    matrices: dict[Skeleton, Any] = {}
    model_device = torch.device(getattr(model, "device", "cpu"))
    on_device = model_device.type == "cuda" if patches_on_device is None else patches_on_device

    def prepare(b: int) -> tuple[torch.Tensor, torch.Tensor] | list[JointGroup]:
        """Patch images and row masks of clips ``b .. b + batch_size``, one call per skeleton
        (on the device: the padded joints per skeleton, made into images by the caller)."""
        chunk = clips[b:b + batch_size]
        groups: dict[Skeleton, list[int]] = {}
        for pos, (i, _) in enumerate(chunk):
            groups.setdefault(motions[i][1], []).append(pos)
        if on_device:
            return [pad_joints(skeleton, positions,
                                [motions[chunk[p][0]][0][chunk[p][1]:chunk[p][1] + max_frames]
                                 for p in positions], max_frames)
                    for skeleton, positions in groups.items()]
        for skeleton in groups:
            if skeleton not in matrices:
                matrices[skeleton] = part_resampling_matrix(skeleton)
        windows = [motions[i][0][s:s + max_frames] for i, s in chunk]
        images, masks, _ = patches_from_joints(  # one matrix product per skeleton
            windows, [matrices[motions[i][1]] for i, _ in chunk], stats, max_frames)
        return torch.from_numpy(images), torch.from_numpy(masks)

    n = len(motions)
    dense: np.ndarray | None = None
    lexical: np.ndarray | None = None
    carry: tuple[int, torch.Tensor, torch.Tensor] | None = None  # motion continued next batch
    starts = list(range(0, len(clips), batch_size))
    with ThreadPoolExecutor(1, thread_name_prefix="motion-patches") as pool:
        pending = pool.submit(prepare, starts[0])
        for k, b in enumerate(tqdm(starts, desc="encoding motions", unit="batch",
                                   disable=not progress)):
            prepared = pending.result()
            if k + 1 < len(starts):
                pending = pool.submit(prepare, starts[k + 1])
            if on_device:
                out = model.forward_motion(*device_patches(prepared, stats, model_device,
                                                            matrices))
            else:
                out = model.forward_motion(*prepared)
            d, lex = out.dense.float(), out.lexical.float()
            dev = d.device
            e = min(b + batch_size, len(clips))
            lo, hi = int(owner[b]), int(owner[e - 1])
            local = owner[b:e] - lo
            # window ordinal of each clip among its motion's clips in this batch
            first = np.r_[0, np.flatnonzero(np.diff(local)) + 1]
            ordinal = np.arange(e - b) - np.repeat(first, np.diff(np.r_[first, e - b]))
            pooled_d = torch.zeros((hi - lo + 1, d.shape[1]), dtype=torch.float32, device=dev)
            pooled_l = torch.zeros((hi - lo + 1, lex.shape[1]), dtype=torch.float32, device=dev)
            if carry is not None and carry[0] == lo:
                pooled_d[0], pooled_l[0] = carry[1], carry[2]
            idx = torch.from_numpy(local).to(dev)
            for w in range(int(ordinal.max()) + 1):  # each target once per call: in order
                rows = torch.from_numpy(np.flatnonzero(ordinal == w)).to(dev)
                pooled_d.index_add_(0, idx[rows], d[rows])
            pooled_l.scatter_reduce_(0, idx[:, None].expand_as(lex), lex, "amax")
            done = hi - lo + 1
            if e < len(clips) and owner[e] == hi:  # the last motion goes on in the next batch
                carry, done = (hi, pooled_d[-1].clone(), pooled_l[-1].clone()), done - 1
            else:
                carry = None
            if done == 0:
                continue
            if dense is None:
                dense = np.zeros((n, d.shape[1]), np.float32)
                if lexical_top_k is None:
                    lexical = np.zeros((n, lex.shape[1]), np.float32)
                else:
                    num_words = lex.shape[1]
                    kk = min(lexical_top_k, num_words)
                    values = np.zeros((n, kk), np.float32)
                    ids = np.zeros((n, kk), np.int64)
            dense[lo:lo + done] = pooled_d[:done].cpu().numpy()
            if lexical_top_k is None:
                lexical[lo:lo + done] = pooled_l[:done].cpu().numpy()
            else:
                v, w_ids = top_words(pooled_l[:done], lexical_top_k)
                values[lo:lo + done], ids[lo:lo + done] = v.cpu().numpy(), w_ids.cpu().numpy()
    dense /= np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-12)
    if lexical_top_k is None:
        return Embeddings(dense, lexical)
    return TopWords(dense, values, ids, num_words)


def top_words(lexical: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` heaviest words of each row, on the tensor's device.

    Ties at the ``k``-th weight go to the lowest word ids, so the selection is deterministic
    and equals :func:`~.sparse.top_words_np` (what :func:`~.sparse.sparsify_lexical` keeps).

    Args:
        lexical: ``(B, V)`` float lexical vectors.
        k: words per row (clamped to ``V``).

    Returns:
        ``(values (B, k) same dtype, ids (B, k) int64)``, ids ascending within each row.

    Raises:
        ValueError: NaN or inf weights (the message of :func:`~.sparse.check_finite_rows`).
    """
    b, v = lexical.shape
    bad = torch.nonzero(~torch.isfinite(lexical).all(dim=1))[:, 0]
    if bad.numel():
        raise ValueError(f"lexical weights must be finite: NaN or inf in {bad.numel()} "
                         f"row(s), first row {int(bad[0])}")
    k = min(int(k), v)
    if b == 0:
        return lexical[:, :k], torch.zeros((0, k), dtype=torch.int64, device=lexical.device)
    thr = torch.topk(lexical, k, dim=1, sorted=False).values.amin(dim=1, keepdim=True)
    above = lexical > thr
    tied = lexical == thr
    need = k - above.sum(dim=1, keepdim=True)
    keep = above | (tied & (torch.cumsum(tied, dim=1) <= need))
    ids = torch.nonzero(keep)[:, 1].reshape(b, k)
    return torch.gather(lexical, 1, ids), ids


@torch.inference_mode()
def encode_texts(model: EncoderModel, texts: Sequence[str], batch_size: int = 64,
                 progress: bool = False, *, warn_truncated: bool = True) -> Embeddings:
    """Embed captions (each distinct string once), rows in the order of ``texts``.

    A caption longer than the model's ``config.max_text_length`` tokens (64 for the shipped
    model, special tokens included; about 48 words) is cut there: only its first tokens
    are embedded, so the events at its end are lost. One ``logger.warning`` per call names
    the captions cut (``texts[i]``) and their token counts.

    Args:
        model: a ``MotionTextModel`` or ``LiteModel`` (``EncoderModel``); eval mode is set.
        texts: ``N`` captions.
        batch_size: distinct captions per forward pass.
        progress: tqdm bar over batches.
        warn_truncated: log the warning above (False: the caller says it itself, as the
            CLI's and the explorer's query notes do).

    Returns:
        :class:`Embeddings` with ``N`` rows: ``dense (N, D)`` float32, L2-normalised;
        ``lexical (N, V)`` float32, non-negative and not normalised (compare with
        :meth:`Scorer`, or :func:`~motionlex.core.model.lexical.lexical_similarity` in the
        model's ``config.lexical_similarity`` mode).

    Raises:
        TypeError: ``model`` is not a model (None, or the arguments swapped);
            ``batch_size`` not an int; ``texts`` None, a single string or a generator
            instead of a list, or an item that is not a string
            (:func:`~motionlex.core.model.text_encoder.check_texts`).
        ValueError: no texts (``[]``), an empty text or one without a word (``""``,
            ``"?!"``: it was embedded as its special tokens alone; the message is the
            command line's, :func:`~motionlex.core.text.spelling.require_words`, after the
            text's position), or ``batch_size < 1``.
    """
    require_model(model, "forward_text")
    if isinstance(texts, np.ndarray):
        texts = texts.tolist()
    if not hasattr(texts, "__len__"):  # None, a generator: check_texts needs len()
        raise TypeError(f"texts must be a non-empty list of strings; got "
                         f"{type(texts).__name__}")
    check_texts(texts)
    for i, text in enumerate(texts):
        try:
            require_words(text, "text")
        except ValueError as e:
            raise ValueError(f"texts[{i}]: {e}") from None
    check_batch_size(batch_size)
    model.eval()
    uniq = list(dict.fromkeys(texts))
    dense = lexical = None  # filled batch by batch: one (n, V) array, never a second copy
    limit, cut = int(model.config.max_text_length), []  # (row of uniq, tokens) of cut texts
    for i in tqdm(range(0, len(uniq), batch_size), desc="encoding texts", unit="batch",
                  disable=not progress):
        out = model.forward_text(uniq[i:i + batch_size])
        if warn_truncated:  # a text read to the limit may be longer: only those are counted
            full = np.flatnonzero(out.token_mask.sum(dim=1).cpu().numpy() >= limit)
            cut += [(i + j, n) for j in full if (n := model.count_tokens(uniq[i + j])) > limit]
        d, lex = out.dense.float().cpu().numpy(), out.lexical.float().cpu().numpy()
        if dense is None:
            dense = np.empty((len(uniq), d.shape[1]), np.float32)
            lexical = np.empty((len(uniq), lex.shape[1]), np.float32)
        dense[i:i + len(d)], lexical[i:i + len(lex)] = d, lex
    if cut:
        first = {t: k for k, t in reversed(list(enumerate(texts)))}  # a text's first index
        logger.warning(truncation_note([(first[uniq[u]], n) for u, n in cut], len(uniq), limit))
    if len(uniq) == len(texts):  # distinct captions (the evaluation's case): rows in order
        return Embeddings(dense, lexical)
    row = {t: k for k, t in enumerate(uniq)}
    idx = np.array([row[t] for t in texts], np.int64)
    return Embeddings(dense[idx], lexical[idx])


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
        """Similarities between some of the encoded captions and some motions.

        Args:
            texts: ``n`` captions, each one of the ``texts`` given to the constructor
                (exact strings; repeats allowed).
            motions: ``m`` int motion indices into ``motion_emb`` (NumPy indexing: a
                negative index counts from the end).

        Returns:
            ``(dense, lexical)``, each ``(n, m)`` float32: dense cosine similarities, and
            lexical similarities in ``lexical_mode`` clipped at 0.

        Raises:
            KeyError: a caption that was not encoded (not among the constructor's ``texts``).
            IndexError: a motion index out of range.
        """
        ti = np.array([self.row[t] for t in texts], np.int64)
        mi = np.asarray(motions, np.int64)
        dense = self.t.dense[ti] @ self.m.dense[mi].T
        lex = lexical_similarity(self.t.lexical[ti], self.m.lexical[mi], self.mode)
        return dense.astype(np.float32), np.maximum(lex, 0.0).astype(np.float32)
