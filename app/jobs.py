"""The read-only jobs of the worker: rank the gallery, prepare a motion, score event orders.

Each job is a generator of ``(done, total)`` progress (see :mod:`motionlex.app.driver`) over
an open gallery index and its searcher; it returns a message for the GUI with plain Python
values and NumPy copies (never tensors). The jobs keep no science: they call core and
package the results. :class:`~motionlex.app.worker.RankWorker` owns the state they read and
drives them on its thread.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from motionlex.app.driver import Progress
from motionlex.app.messages import (
    MotionData,
    MotionRequest,
    MotionsData,
    MotionsRequest,
    OrdersRequest,
    OrdersResult,
    RankRequest,
    RankResult,
)

SEARCH_MODES = ("fused", "dense", "lexical")
"""Ranking modes offered (see :class:`motionlex.core.retrieval.search.Searcher`)."""

QUERY_WORDS_SHOWN = 20
"""Heaviest query / motion words sent for the lexical bars."""

MAX_EVENT_ORDERS = 24
"""Event orders scored per caption in the CAR panel (4 events: all 24)."""


def top_pairs(ids: np.ndarray, weights: np.ndarray, vocabulary: list[str],
              n: int = QUERY_WORDS_SHOWN) -> list[tuple[str, float]]:
    """The ``n`` heaviest ``(word, weight)`` pairs of a sparse vector, heaviest first.

    Args:
        ids: ``(Q,)`` int vocabulary ids.
        weights: ``(Q,)`` float weights (> 0 kept).
        vocabulary: the vocabulary (``V`` tokens).
        n: pairs kept.

    Returns:
        Up to ``n`` pairs with distinct words; ties broken by vocabulary id.
    """
    from motionlex.core.retrieval.sparse import heaviest_words  # lazy: fast explorer start

    return heaviest_words(ids, weights, vocabulary, n)


def rank_steps(searcher: Any, request: RankRequest) -> Progress:
    """Job: embed the query, then score the gallery chunk by chunk.

    Args:
        searcher: the open gallery's :class:`~motionlex.core.retrieval.search.Searcher`,
            or None when no gallery is open.
        request: the query (text, or a gallery row for an item query), ``k``, mode, chunk.

    Yields ``(rows scored, N)`` after embedding and after each chunk.

    Returns (as the generator's value):
        :class:`RankResult`.

    Raises:
        ValueError: no gallery open, a text query without a model (or with one that did
            not build the gallery), an empty text, or an invalid ``k``/``mode``.
    """
    if searcher is None:
        raise ValueError("no gallery is open: open one first (File > Open gallery)")
    if request.mode not in SEARCH_MODES:
        raise ValueError(f"mode must be one of {SEARCH_MODES}, got {request.mode!r}")
    t0 = time.perf_counter()
    n = len(searcher)
    if request.item is not None:
        query = searcher.item_query(int(request.item))
    else:
        if searcher.model is None:
            raise ValueError("text queries need the model that built this gallery: open its "
                             "checkpoint (File > Open checkpoint)")
        query = searcher.embed_text(request.text)
    yield 0, n
    hits = []
    exclude = () if request.item is None else (int(request.item),)
    for step in searcher.search_in_chunks(query, k=request.k, mode=request.mode,
                                          words=5, exclude=exclude,
                                          chunk_size=request.chunk_size):
        if step.hits is not None:
            hits = step.hits
        else:
            yield step.done, step.total
    vocab = searcher.index.vocabulary
    rows = [{
        "rank": r, "score": float(h.score), "caption": h.caption, "id": h.id,
        "row": int(h.index), "dense_score": float(h.dense_score),
        "lexical_score": float(h.lexical_score),
        "words": [(str(w), float(v)) for w, v in h.words],
    } for r, h in enumerate(hits, 1)]
    return RankResult(
        request_id=request.request_id, text=request.text if request.item is None else "",
        mode=request.mode, hits=rows,
        query_words=top_pairs(query.word_ids, query.word_weights, vocab),
        total=n, seconds=time.perf_counter() - t0)


def motion_steps(index: Any, request: MotionRequest,
                 matrices: dict[Any, np.ndarray]) -> Progress:
    """Job: joints, bones, patch image and top words of one gallery motion.

    Args:
        index: the open :class:`~motionlex.core.retrieval.index.GalleryIndex`, or None.
        request: the gallery row wanted.
        matrices: cache of ``(80, J)`` part resampling matrices per skeleton, filled here.

    Returns (as the generator's value):
        :class:`MotionData` (arrays are copies).

    Raises:
        ValueError: no gallery open. IndexError: row out of range.
    """
    # imported here: loads torch on the worker thread, keeping the explorer's start fast
    from motionlex.core.patches import motion_patch_image, part_resampling_matrix

    if index is None:
        raise ValueError("no gallery is open")
    item = index.item(int(request.row))
    joints = index.joints(item.index)  # float32 copy
    skeleton = item.skeleton
    if skeleton not in matrices:
        matrices[skeleton] = part_resampling_matrix(skeleton)
    yield 1, 2
    patches = motion_patch_image(joints, matrices[skeleton], index.patch_stats)
    lex = index.lexical.getrow(item.index)
    words = top_pairs(lex.indices, lex.data, index.vocabulary)
    source = Path(item.source)
    return MotionData(
        request_id=request.request_id, row=item.index, id=item.id, caption=item.caption,
        captions=list(item.captions), source=item.source,
        has_bvh=source.suffix.lower() == ".bvh" and source.is_file(),
        source_sha256=str(index.source_sha256[item.index]), fps=item.fps,
        joints=np.ascontiguousarray(joints, np.float32),
        bones=skeleton.bones().copy(), part_of_joint=skeleton.part_of_joint().copy(),
        skeleton=skeleton, patches=np.ascontiguousarray(patches, np.float32), words=words,
        meta=dict(item.meta))


def motions_steps(index: Any, request: MotionsRequest,
                  matrices: dict[Any, np.ndarray]) -> Progress:
    """Job: display data of several gallery motions, to compare them in the 3D view.

    Args:
        index: the open :class:`~motionlex.core.retrieval.index.GalleryIndex`, or None.
        request: the gallery rows wanted (at least one).
        matrices: cache of part resampling matrices per skeleton (see :func:`motion_steps`).

    Yields ``(motions done, number of rows)``; each motion is a cancel point.

    Returns (as the generator's value):
        :class:`MotionsData` with one :class:`MotionData` per row, in the request's order.

    Raises:
        ValueError: no gallery open or no rows. IndexError: a row out of range.
    """
    if not request.rows:
        raise ValueError("compare needs at least one gallery row, got none")
    out = []
    for i, row in enumerate(request.rows):
        yield i, len(request.rows)
        out.append((yield from motion_steps(index, MotionRequest(request.request_id, row),
                                            matrices)))
    return MotionsData(request.request_id, out)


def orders_steps(index: Any, searcher: Any, request: OrdersRequest) -> Progress:
    """Job: events of the caption, every distinct order, dense cosine with the motion
    (:func:`motionlex.core.retrieval.chronology.event_order_scores` on the motion's
    stored dense embedding).

    Args:
        index: the open :class:`~motionlex.core.retrieval.index.GalleryIndex`, or None.
        searcher: its :class:`~motionlex.core.retrieval.search.Searcher`, or None.
        request: the gallery row and the caption (None: the row's own caption).

    Returns (as the generator's value):
        :class:`OrdersResult` (empty when the caption is empty).

    Raises:
        ValueError: no gallery open or no matching model.
    """
    from motionlex.core.retrieval.chronology import event_order_scores  # lazy: fast start

    if index is None:
        raise ValueError("no gallery is open")
    item = index.item(int(request.row))
    caption = item.caption if request.caption is None else request.caption.strip()
    if not caption:
        return OrdersResult(request.request_id, item.index, "", [], [])
    if searcher is None or searcher.model is None:
        raise ValueError("scoring event orders needs the model that built the gallery")
    yield 1, 3
    scores = event_order_scores(searcher.model, caption, index.dense[item.index],
                                max_orders=MAX_EVENT_ORDERS)
    yield 2, 3
    return OrdersResult(request.request_id, item.index, caption, scores.events,
                        scores.orders)
