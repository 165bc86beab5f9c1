"""Describing a motion by retrieval: its nearest captions in a caption bank.

This is retrieval-based motion captioning: no caption is generated word by word; the
motion's embedding is compared with every caption of a fixed bank (dense cosine and
lexical similarity, fused with a fusion weight: the CLI and the explorer use the
checkpoint's, :func:`checkpoint_weight`; the functions' default is 0.5) and the best captions are
returned with their scores and the words that carry the lexical match. A motion unlike
anything in the bank still gets its nearest captions, so the scores matter.

The caption bank (:func:`bank_captions`) is, in this order of preference:
1. ``caption_bank.txt`` in the checkpoint folder (one caption a line, ``#`` comments; the
   shipped default model carries the 886 distinct captions it was trained on);
2. the ``train`` split captions of the dataset folders named in the checkpoint's
   ``train_config.json`` ``data`` list, where they exist on this machine;
3. a fallback given by the caller (the CLI: the default model's bank; the explorer: the
   open gallery's captions).

Its embeddings are computed once per (model, captions) and cached in the cache folder
(:func:`motionlex.core.cache.cache_dir` ``caption-banks/<model>-<captions>``, written
atomically), not in the model folder, which may be read-only (an installed package).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from motionlex.core import cache
from motionlex.core.atomic import atomic_directory
from motionlex.core.data.datasets import MotionDataset
from motionlex.core.data.text_files import DatasetError, read_caption_corpus, text_lines
from motionlex.core.model.folder import trained_data_folders
from motionlex.core.model.types import EncoderModel
from motionlex.core.motion.joint_arrays import make_motion
from motionlex.core.motion.motion import Motion, joints_fps
from motionlex.core.motion.skeleton import Skeleton, as_skeleton
from motionlex.core.patches import PatchStats
from motionlex.core.retrieval.fusion import DEFAULT_FUSION_WEIGHT, checkpoint_fusion_weight, fuse
from motionlex.core.retrieval.hubness import BankHubness, captions_sha256, csls_scores
from motionlex.core.retrieval.sparse import heaviest_words, sparsify_lexical
from motionlex.core.steps import run_steps
from motionlex.core.text.spelling import WORD_PATTERN

logger = logging.getLogger(__name__)

BANK_FILE = "caption_bank.txt"
"""A checkpoint's caption bank: one caption a line, ``#`` starts a comment line."""

BANK_WORDS = 128
"""Heaviest lexical words kept per bank caption (the index keeps as many per motion)."""

DISTINCT_COSINE = 0.9
"""Captions of one description differ this much at least (dense cosine of the captions,
below this): "a person guides someone with an arm gesture sadly / wearily / proudly" (0.92
to 0.99 for the shipped model) are one line, "a person dashes forward energetically" and
"a person runs energetically" (0.89) two, the left-hand and right-hand wave (0.41) two."""

BANK_FORMAT = 1
"""Version of the cached bank's files."""


@dataclass(frozen=True, eq=False)
class CaptionBank:
    """Captions with their embeddings.

    Attributes:
        captions: ``B`` distinct captions.
        source: where they came from (for the UI and ``--json``).
        dense: ``(B, D)`` float32 L2-normalised dense embeddings.
        lexical: ``(B, V)`` float32 CSR, each caption's ``BANK_WORDS`` heaviest words
            (unit rows for cosine lexical similarity).
        similarity: the model's lexical similarity (``"cosine"`` or ``"dot"``).
        vocabulary: the ``V`` words.
        hubness: each caption's hubness over the model's training motions (captions are
            then ranked by CSLS, :mod:`~.hubness`), or None (ranked by fused score).
    """

    captions: list[str]
    source: str
    dense: np.ndarray
    lexical: sp.csr_matrix
    similarity: str
    vocabulary: list[str]
    hubness: BankHubness | None = None

    def __len__(self) -> int:
        return len(self.captions)


@dataclass(frozen=True)
class Description:
    """One bank caption for a motion: fused ``score``, ``dense`` cosine, ``lexical``
    similarity and the ``words`` carrying the lexical match ``(word, motion x caption
    weight)``, largest first."""

    caption: str
    score: float
    dense: float
    lexical: float
    words: list[tuple[str, float]]


@dataclass(frozen=True)
class MotionDescription:
    """A motion's nearest captions (best first), its heaviest lexical words, the bank used
    (``bank_source``, ``bank_size``), the fusion weight (dense share) of ``score`` and
    ``ranked_by``: ``"fused"``, or ``"csls"`` when the bank has hubness (:mod:`~.hubness`)."""

    descriptions: list[Description]
    motion_words: list[tuple[str, float]]
    bank_source: str
    bank_size: int
    weight: float
    ranked_by: str = "fused"


def read_bank_file(path: str | os.PathLike) -> list[str]:
    """Distinct captions of a caption bank file (blank, wordless and ``#`` lines skipped).

    Raises:
        FileNotFoundError: no such file. ValueError: no caption in it, or not UTF-8.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"caption bank not found: {p}")
    try:  # a byte-order mark (Windows editors) is not part of the first caption
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValueError(f"{p}: the caption bank is not UTF-8 text ({e})") from e
    lines = (ln.strip() for ln in text_lines(text))  # a line without a word is no caption
    out = list(dict.fromkeys(ln for ln in lines if WORD_PATTERN.search(ln)
                             and not ln.startswith("#")))
    if not out:
        raise ValueError(f"{p}: no captions in the caption bank")
    return out


def train_split_captions(folder: str | os.PathLike) -> list[str]:
    """The captions of a dataset folder's train split, as training read them: a
    HumanML3D/KIT-ML folder's ``texts/``, a BVH folder's sidecar ``ID.txt`` files or
    ``index.json`` captions (:class:`~motionlex.core.data.datasets.MotionDataset`), else a
    TMR-style ``annotations.json`` (:func:`~motionlex.core.data.text_files.read_caption_corpus`).

    Raises:
        FileNotFoundError / ValueError: no such folder, no train split, or no captions.
    """
    try:
        ds = MotionDataset(folder, "train", skip_missing=True)
    except (FileNotFoundError, DatasetError):  # a text-only corpus (annotations.json)
        return read_caption_corpus(folder, "train")
    return [c.text for rec in ds.records for c in rec.captions]


def bank_captions(checkpoint: str | os.PathLike,
                  fallback: str | os.PathLike | Sequence[str] | None = None
                  ) -> tuple[list[str], str]:
    """The caption bank of a checkpoint (see the module docstring for the order).

    Args:
        checkpoint: the model folder.
        fallback: a bank file, or captions, used when the checkpoint has neither its own
            bank nor readable training data.

    Returns:
        ``(distinct captions, source description)``.

    Raises:
        FileNotFoundError: none of the three sources gives a caption.
    """
    ckpt = Path(checkpoint)
    if (ckpt / BANK_FILE).is_file():
        return read_bank_file(ckpt / BANK_FILE), f"training captions in {ckpt / BANK_FILE}"
    folders = [Path(d) for d in trained_data_folders(ckpt)]
    if folders:
        caps: list[str] = []
        used = []
        for d in folders:
            try:
                found = train_split_captions(d)
                caps += found
                if found:  # a folder whose train split has no caption gave none
                    used.append(str(d))
            except (OSError, ValueError) as e:
                logger.warning("training captions of %s not read (the caption bank goes "
                               "without them): %s", d, e)
        caps = list(dict.fromkeys(c.strip() for c in caps if c.strip()))
        if caps:
            return caps, "training captions of " + ", ".join(used)
    if isinstance(fallback, (str, os.PathLike)):
        return read_bank_file(fallback), f"fallback caption bank {fallback}"
    if fallback:
        caps = list(dict.fromkeys(c.strip() for c in fallback if c and c.strip()))
        if caps:
            return caps, "fallback captions"
    raise FileNotFoundError(
        f"no caption bank for {ckpt}: no {BANK_FILE} in it, its train_config.json names no "
        "readable training data, and no fallback bank was given")


def bank_key(model_hash: str, captions: Sequence[str]) -> str:
    """Cache key of a bank: the model's fingerprint and the captions' SHA-256 (short)."""
    return f"{model_hash[:16]}-{captions_sha256(captions)[:16]}-v{BANK_FORMAT}"


def caption_bank_steps(model: EncoderModel, captions: Sequence[str], source: str, *,
                       model_hash: str | None = None, root: str | os.PathLike | None = None,
                       batch_size: int = 64
                       ) -> Generator[tuple[int, int], None, CaptionBank]:
    """Load a caption bank's embeddings from the cache, or encode and cache them.

    A generator of ``(captions encoded, B)`` (each a cancel point: nothing is written until
    the last batch) returning the :class:`CaptionBank`.

    Args:
        model: a ``MotionTextModel`` or ``LiteModel`` (:data:`~.types.EncoderModel`).
        captions: the bank's captions (distinct).
        source: their description.
        model_hash: the model's fingerprint (None: computed here).
        root: cache folder of banks (None: ``cache_dir("caption-banks")``).
        batch_size: captions per forward pass.

    Raises:
        ValueError: no captions.
    """
    if not captions:
        raise ValueError("the caption bank is empty")
    from motionlex.core.retrieval.embed import encode_texts  # torch: lazily
    from motionlex.core.retrieval.fingerprints import model_fingerprint

    captions = list(captions)
    if model_hash is None:
        model_hash = model_fingerprint(model)
    folder = Path(root or cache.cache_dir("caption-banks")) / bank_key(model_hash, captions)
    similarity = str(model.config.lexical_similarity)
    vocab = list(model.vocabulary)
    if (folder / "dense.npy").is_file():
        try:
            return CaptionBank(captions, source, np.load(folder / "dense.npy"),
                               sp.load_npz(folder / "lexical.npz").tocsr(), similarity, vocab)
        except (OSError, ValueError) as e:
            logger.warning("cached caption bank %s unreadable (%s): encoding it again", folder, e)
    n = len(captions)
    yield 0, n
    dense, lexical = [], []
    for i in range(0, n, batch_size):
        emb = encode_texts(model, captions[i:i + batch_size], batch_size=batch_size)
        dense.append(emb.dense.astype(np.float32))
        lexical.append(sparsify_lexical(emb.lexical, BANK_WORDS, similarity))
        yield min(n, i + batch_size), n
    bank = CaptionBank(captions, source, np.concatenate(dense), sp.vstack(lexical).tocsr(),
                       similarity, vocab)
    try:
        with atomic_directory(folder) as tmp:
            np.save(tmp / "dense.npy", bank.dense)
            sp.save_npz(tmp / "lexical.npz", bank.lexical)
            (tmp / "captions.json").write_text(json.dumps(
                {"source": source, "model": model_hash, "captions": captions}, indent=0))
    except OSError as e:  # a read-only cache still describes, it only re-encodes next time
        logger.warning("caption bank not cached in %s: %s", folder, e)
    return bank


def load_caption_bank(model: EncoderModel, captions: Sequence[str], source: str,
                      **kwargs: Any) -> CaptionBank:
    """:func:`caption_bank_steps` drained (same arguments and errors)."""
    return run_steps(caption_bank_steps(model, captions, source, **kwargs))


def _bank_scores(bank: CaptionBank, dense: np.ndarray, lexical: sp.csr_matrix,
                 weight: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(rank, fused, dense, lexical)`` ``(N, B)`` scores of ``N`` motions against the bank;
    lexical scores are divided by each motion's maximum over the bank before fusing; ``rank``
    is the fused score less half each caption's hubness where the bank has it (CSLS)."""
    d = np.asarray(dense, np.float32).reshape(-1, bank.dense.shape[1]) @ bank.dense.T
    lex = np.asarray((lexical @ bank.lexical.T).todense(), np.float32)
    fused = fuse(d, lex, weight, axis=1)  # each motion's lexical scores / its max
    hub = bank.hubness
    return (fused if hub is None else csls_scores(fused, hub.at(weight))), fused, d, lex


def _motion_lexical(word_ids: np.ndarray, word_weights: np.ndarray, v: int) -> sp.csr_matrix:
    ids = np.asarray(word_ids, np.int64)
    return sp.csr_matrix((np.asarray(word_weights, np.float32), (np.zeros(len(ids), int), ids)),
                         shape=(1, v))


def describe_embedding(bank: CaptionBank, dense: np.ndarray, word_ids: np.ndarray,
                       word_weights: np.ndarray, *, k: int = 5,
                       weight: float = DEFAULT_FUSION_WEIGHT, words: int = 5,
                       distinct: float | None = DISTINCT_COSINE) -> MotionDescription:
    """The ``k`` bank captions nearest to one motion embedding, near-duplicates left out.

    A caption whose dense embedding is within ``distinct`` cosine of a better one already
    chosen is chosen only when fewer than ``k`` others are left (the bank's near-identical
    wordings of one caption, "a person ... sadly" / "someone ... sadly", filled lines):
    Maximal Marginal Relevance's idea (Carbonell & Goldstein, SIGIR 1998) as a hard
    threshold. The chosen captions are listed best first.

    Args:
        bank: the caption bank (the motion's model).
        dense: ``(D,)`` float L2-normalised dense embedding of the motion.
        word_ids / word_weights: ``(Q,)`` its lexical words and weights, normalised as the
            index stores them (unit for cosine; :func:`~.sparse.sparse_query`).
        k: captions returned (``>= 1``; at most the bank's size).
        weight: fusion weight (dense share) in ``[0, 1]``.
        words: words listed per caption and (x4) for the motion.
        distinct: the cosine in ``[-1, 1]`` at or above which a caption counts as a
            near-duplicate of one listed before it; None lists the nearest captions as
            they come.

    Raises:
        ValueError: ``k < 1``, a weight outside ``[0, 1]``, ``distinct`` outside
            ``[-1, 1]`` or a dense size that differs.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if distinct is not None and not -1.0 <= distinct <= 1.0:
        raise ValueError(f"distinct must be a cosine in [-1, 1] or None, got {distinct}")
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight must be in [0, 1], got {weight}")
    d = np.asarray(dense, np.float32)
    if d.shape != (bank.dense.shape[1],):
        raise ValueError(f"dense embedding must be ({bank.dense.shape[1]},), got {d.shape}")
    row = _motion_lexical(word_ids, word_weights, bank.lexical.shape[1])
    rank, fused, dsc, lsc = (a[0] for a in _bank_scores(bank, d, row, weight))
    order = np.lexsort((np.arange(len(bank)), -rank))
    if distinct is None:
        best = order[:k]
    else:  # walk down the ranking, near-duplicates of the captions kept put last
        best, later = [], []
        for b in order:
            if best and float((bank.dense[best] @ bank.dense[b]).max()) >= distinct:
                later.append(int(b))
                continue
            best.append(int(b))
            if len(best) == k:
                break
        best += later[: k - len(best)]  # a bank of few distinct captions still gives k
        best.sort(key=lambda b: (-rank[b], b))  # listed best first, as without it
    out = []
    for b in best:
        contrib = bank.lexical.getrow(int(b)).multiply(row).tocsr()
        out.append(Description(bank.captions[b], float(fused[b]), float(dsc[b]),
                               float(lsc[b]), heaviest_words(contrib.indices, contrib.data,
                                                             bank.vocabulary, words)))
    return MotionDescription(out, heaviest_words(word_ids, word_weights, bank.vocabulary,
                                                 4 * words),
                             bank.source, len(bank), float(weight),
                             "fused" if bank.hubness is None else "csls")


def best_captions(bank: CaptionBank, dense: np.ndarray, lexical: sp.csr_matrix,
                  weight: float = DEFAULT_FUSION_WEIGHT) -> list[tuple[str, float]]:
    """The best bank caption of each of ``N`` motions (e.g. a gallery's uncaptioned rows).

    Args:
        dense: ``(N, D)`` float dense embeddings. lexical: ``(N, V)`` CSR lexical rows as
            the index stores them.
        weight: fusion weight (dense share).

    Returns:
        ``N`` ``(caption, fused score)`` pairs.
    """
    if len(dense) == 0:
        return []
    rank, fused, _, _ = _bank_scores(bank, dense, sp.csr_matrix(lexical, dtype=np.float32),
                                     weight)
    best = rank.argmax(axis=1)  # CSLS where the bank has hubness
    return [(bank.captions[b], float(fused[i, b])) for i, b in enumerate(best)]


def describe_motion(model: EncoderModel, stats: PatchStats, joints: np.ndarray | Motion,
                    skeleton: Skeleton | str | None = None, *, bank: CaptionBank, k: int = 5,
                    weight: float = DEFAULT_FUSION_WEIGHT, words: int = 5,
                    distinct: float | None = DISTINCT_COSINE) -> MotionDescription:
    """Encode a motion in its canonical form and describe it (:func:`describe_embedding`).

    Args:
        model: the model that encoded ``bank``, a ``MotionTextModel`` or the ``LiteModel``
            of ``load_for_queries`` (:data:`~.types.EncoderModel`).
        stats: the model's :class:`~motionlex.core.patches.PatchStats` (``load_checkpoint``
            and ``load_for_queries`` return them with the model).
        joints: a :class:`Motion` (e.g. from
            :func:`~motionlex.core.motion.files.load_motion_file`; it brings its skeleton and
            frame rate: ``describe_motion(model, stats, motion, bank=bank)``), or ``(T, J,
            3)`` float joints in metres, Y up, at the frame rate of its skeleton's joint
            files (12.5 fps for ``"kit21"``, else 20), checked by
            :func:`~motionlex.core.motion.joint_arrays.make_motion`. Either is brought to
            the canonical form as :func:`~.embed.encode_motions` does.
        skeleton: the joints' skeleton or a built-in one's name; None with a Motion.
        bank: keyword-only and required: the caption bank of the same model
            (:func:`load_caption_bank`).
        weight: the dense share of fused scores; the default is 0.5, ``motionlex describe``
            and the explorer pass the checkpoint's validated one,
            ``checkpoint_weight(checkpoint)`` (0.6 for the shipped model).
        The others: as :func:`describe_embedding`.

    Raises:
        TypeError: joints without a skeleton, a skeleton that is none, or ``bank`` not a
            :class:`CaptionBank` (None included; each naming describe_motion's parameters).
        ValueError: a Motion with a skeleton too, as :func:`describe_embedding`, or joints
            the encoder cannot take (``make_motion``'s ``MotionFileError``: shape, frames,
            units).
    """
    from motionlex.core.retrieval.embed import encode_motions  # torch: lazily

    motion = _motion_to_describe(joints, skeleton, bank)
    emb = encode_motions(model, [motion], stats)
    row = sparsify_lexical(emb.lexical, BANK_WORDS, bank.similarity)  # as an index row
    return describe_embedding(bank, emb.dense[0], row.indices, row.data, k=k, weight=weight,
                              words=words, distinct=distinct)


def _motion_to_describe(joints: Any, skeleton: Any, bank: Any) -> Motion:
    """The :class:`Motion` :func:`describe_motion` encodes; its argument errors name its own
    parameters (they named ``motions[0]``, which the caller never passed)."""
    if not isinstance(bank, CaptionBank):
        raise TypeError(f"describe_motion: bank must be a CaptionBank (load_caption_bank), "
                        f"got {type(bank).__name__}")
    if isinstance(joints, Motion):
        if skeleton is not None:
            raise ValueError(f"describe_motion: a Motion brings its own skeleton "
                             f"({joints.skeleton.name}); pass skeleton=None, or its joints "
                             f"with the skeleton to use")
        return joints
    if skeleton is None:
        raise TypeError("describe_motion takes joints (T, J, 3) with their skeleton, or a "
                        "Motion as joints (e.g. load_motion_file(path)) with skeleton None")
    sk = as_skeleton(skeleton, "describe_motion skeleton")
    return make_motion(np.asarray(joints, np.float32), joints_fps(sk), sk,
                       name="describe_motion joints")


def checkpoint_weight(checkpoint: str | os.PathLike) -> float:
    """The fusion weight of describing with a checkpoint (its validated one, else 0.5)."""
    w = checkpoint_fusion_weight(checkpoint)
    return DEFAULT_FUSION_WEIGHT if w is None else w
