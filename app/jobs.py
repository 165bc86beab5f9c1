"""The read-only jobs of the worker: rank the gallery (plain or by event-order agreement),
prepare a motion, score event orders, describe a motion by its nearest bank captions.

Each job is a generator of ``(done, total)`` progress (see :mod:`motionlex.app.driver`) over
an open gallery index and its searcher; it returns a message for the GUI with plain Python
values and NumPy copies (never tensors). The jobs keep no science: they call core and
package the results. :class:`~motionlex.app.worker.RankWorker` owns the state they read and
drives them on its thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from motionlex.app.analysis_messages import DescribeRequest, DescribeResult, GalleryDescriptions
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
from motionlex.app.texts import OPEN_CHECKPOINT, OPEN_GALLERY

logger = logging.getLogger(__name__)

SEARCH_MODES = ("fused", "dense", "lexical")
"""Ranking modes offered (see :class:`motionlex.core.retrieval.search.Searcher`)."""

QUERY_WORDS_SHOWN = 60
"""Heaviest query / motion words sent for the lexical bars: they draw 20 rows, and 60 words
fill 20 rows of words whose forms are summed into one (:mod:`motionlex.widgets.lexical_groups`)."""

MAX_EVENT_ORDERS = 24
"""Event orders scored per caption in the chronology panel (4 events: all 24)."""

ORDERS_CACHED = 32
"""Captions whose embedded event orders are kept (the query's orders are embedded once,
not once per selected result)."""

DESCRIBE_CHUNK = 2048
"""Uncaptioned gallery rows described per step (each step a cancel point; a chunk's
``(chunk, B)`` score matrix is about 7 MB for the default bank)."""

RERANK_POOL = 400
"""Order-aware ranking re-scores the plain ranking's best ``max(RERANK_POOL, 4 k)`` hits."""


def cached_orders(model: Any, caption: str, cache: dict | None,
                  warn_truncated: bool = True) -> Any:
    """:func:`~motionlex.core.retrieval.event_orders.query_orders` of ``caption``, kept in
    ``cache`` (at most :data:`ORDERS_CACHED` captions; the oldest dropped first);
    ``warn_truncated``: log orders cut at the model's length (False for the query, whose
    cut the status bar tells)."""
    from motionlex.core.retrieval.event_orders import query_orders  # lazy: fast start

    if cache is not None and caption in cache:
        return cache[caption]
    q = query_orders(model, caption, max_orders=MAX_EVENT_ORDERS,
                     warn_truncated=warn_truncated)
    if cache is not None:
        while len(cache) >= ORDERS_CACHED:
            cache.pop(next(iter(cache)))
        cache[caption] = q
    return q


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


def rank_steps(searcher: Any, request: RankRequest, order_alpha: float = 0.0,
               orders_cache: dict | None = None) -> Progress:
    """Job: embed the query, then score the gallery chunk by chunk.

    With ``order_alpha > 0`` a text query of two or more events is ranked by order
    agreement (:mod:`motionlex.core.retrieval.order_ranking`): the plain ranking's best
    :data:`RERANK_POOL` hits are re-scored ``score + order_alpha * margin``, the margin
    being how much the motion prefers the query's event order to its best other order.

    Args:
        searcher: the open gallery's :class:`~motionlex.core.retrieval.search.Searcher`,
            or None when no gallery is open.
        request: the query (text, a gallery row for an item query, or a motion file),
            ``k``, mode, chunk.
        order_alpha: weight of the order margin (0: plain ranking).
        orders_cache: the worker's cache of embedded event orders (:func:`cached_orders`).

    Yields ``(rows scored, N)`` after embedding and after each chunk.

    Returns (as the generator's value):
        :class:`RankResult`.

    Raises:
        ValueError: no gallery open, a text or motion file query without a model (or with
            one that did not build the gallery), an empty text, an invalid ``k``/``mode``,
            or a motion file that cannot be read (``MotionFileError``, naming it).
    """
    if searcher is None:
        raise ValueError(f"no gallery is open: open one first ({OPEN_GALLERY})")
    if request.mode not in SEARCH_MODES:
        raise ValueError(f"mode must be one of {SEARCH_MODES}, got {request.mode!r}")
    t0 = time.perf_counter()
    n = len(searcher)
    if request.item is not None:
        query = searcher.item_query(int(request.item))
    elif request.motion_file is not None:
        if searcher.model is None:
            raise ValueError("motion file queries need the model that built this gallery: "
                             f"open its checkpoint ({OPEN_CHECKPOINT})")
        from motionlex.core.motion.files import load_motion_file

        motion = load_motion_file(request.motion_file)  # errors name the file
        query = searcher.embed_motion(motion)  # the loader warned already, if it is Z-up
    else:
        if searcher.model is None:
            raise ValueError("text queries need the model that built this gallery: open its "
                             f"checkpoint ({OPEN_CHECKPOINT})")
        query = searcher.embed_text(request.text,  # the status bar says it (query_tokens)
                                    warn_truncated=False)
    orders = None
    text_query = request.item is None and request.motion_file is None
    if order_alpha > 0 and text_query:
        try:
            orders = cached_orders(searcher.model, request.text.strip(), orders_cache,
                                   warn_truncated=False)
        except (ImportError, ValueError) as e:  # no parser, or no events: plain ranking
            logger.warning("order-aware ranking off for %r: %s", request.text, e)
        if orders is not None and len(orders.orders) < 2:
            orders = None  # one event: nothing to reorder, plain ranking
    yield 0, n
    hits = []
    exclude = () if request.item is None else (int(request.item),)
    k = request.k if orders is None else min(n, max(RERANK_POOL, 4 * request.k))
    for step in searcher.search_in_chunks(query, k=k, mode=request.mode,
                                          words=5, exclude=exclude,
                                          chunk_size=request.chunk_size):
        if step.hits is not None:
            hits = step.hits
        else:
            yield step.done, step.total
    margins = np.zeros(len(hits))
    if orders is not None and hits:
        from motionlex.core.retrieval.order_ranking import order_margins

        hit_rows = np.array([h.index for h in hits], np.int64)
        margins = order_margins(orders.dense, searcher.index.unit_dense(hit_rows))
        scores = np.array([h.score for h in hits]) + order_alpha * margins
        keep = np.lexsort((hit_rows, -scores))[:request.k]
        hits, margins = [hits[i] for i in keep], margins[keep]
    vocab = searcher.index.vocabulary
    query_words = top_pairs(query.word_ids, query.word_weights, vocab)
    query_texts = ([request.text] if text_query
                   else [] if request.item is None
                   else list(searcher.index.item(int(request.item)).captions))
    rows = [{
        "rank": r, "score": float(h.score + order_alpha * g), "caption": h.caption,
        "id": h.id, "row": int(h.index), "dense_score": float(h.dense_score),
        "lexical_score": float(h.lexical_score), "order_margin": float(g),
        "words": [(str(w), float(v)) for w, v in h.words],
    } for r, (h, g) in enumerate(zip(hits, margins), 1)]
    return RankResult(
        request_id=request.request_id, text=request.text if text_query else "",
        mode=request.mode, hits=rows,
        query_words=query_words, total=n, seconds=time.perf_counter() - t0,
        order_weight=float(order_alpha) if orders is not None else 0.0,
        query_own=text_words(query_words, query_texts, model_tokenize(searcher.model)),
        motion_file=request.motion_file,
        query_tokens=searcher.model.count_tokens(request.text) if text_query else 0,
        max_tokens=int(searcher.model.config.max_text_length) if text_query else 0,
        item=None if request.item is None else int(request.item))


def model_tokenize(model: Any) -> Callable[[str], Iterable[str]] | None:
    """The model's :meth:`~motionlex.core.model.model.MotionTextModel.word_pieces` (None
    without a model)."""
    return None if model is None else model.word_pieces


def warm_event_parser() -> str | None:
    """Load spaCy's parser now (once per process; on the worker thread, during a model
    load), so the first CAR request does not hold up the first query.

    Returns:
        None, or the user message for a missing parser (the CAR job that needs it reports
        it again).
    """
    # imported here: loads spaCy on the worker thread, keeping the explorer's start fast
    from motionlex.core.text.events import load_parser

    try:
        load_parser()
    except ImportError as e:
        logger.warning("event splitting unavailable: %s", e)
        return f"Event splitting (CAR panel) unavailable: {e}"
    return None


def text_words(words: Sequence[tuple[str, float]], texts: Sequence[str],
               tokenize: Callable[[str], Iterable[str]] | None = None
               ) -> frozenset[str] | None:
    """Which of the ``(word, weight)`` pairs are words of ``texts``
    (:func:`motionlex.core.text.words.own_words`; ``tokenize``: the model's tokenizer, so
    that WordPiece pieces of the texts count): none when there is no text (an uncaptioned
    motion, a query by motion file: every word is the model's, drawn as its additions; GUI
    audit 37 #2 read them as caption words), or None when there is no English parser (then
    nothing is marked)."""
    texts = [t for t in texts if t and t.strip()]
    if not texts:
        return frozenset()
    try:
        from motionlex.core.text.words import own_words

        return own_words([w for w, _ in words], texts, tokenize)
    except (ImportError, RuntimeError, OSError) as e:  # no spaCy model: words not marked
        logger.debug("words not marked as the text's own: %s", e)
        return None


def motion_steps(index: Any, request: MotionRequest, matrices: dict[Any, np.ndarray],
                 tokenize: Callable[[str], Iterable[str]] | None = None) -> Progress:
    """Job: joints, bones, patch image and top words of one gallery motion.

    Args:
        index: the open :class:`~motionlex.core.retrieval.index.GalleryIndex`, or None.
        request: the gallery row wanted.
        matrices: cache of ``(80, J)`` part resampling matrices per skeleton, filled here.
        tokenize: the model's tokenizer (:func:`text_words`), None without a model.

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
        bones=skeleton.bones().copy(), part_of_joint=skeleton.part_of_joint(inherit=True),
        skeleton=skeleton, patches=np.ascontiguousarray(patches, np.float32), words=words,
        meta=dict(item.meta), own_words=text_words(words, list(item.captions), tokenize))


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


def orders_steps(index: Any, searcher: Any, request: OrdersRequest,
                 orders_cache: dict | None = None) -> Progress:
    """Job: events of the caption, every distinct order (a sample past 24), dense cosine
    with the motion (:func:`motionlex.core.retrieval.event_orders.event_order_scores` on the
    motion's stored dense embedding).

    Args:
        index: the open :class:`~motionlex.core.retrieval.index.GalleryIndex`, or None.
        searcher: its :class:`~motionlex.core.retrieval.search.Searcher`, or None.
        request: the gallery row and the caption (None: the row's own caption; the
            query's text for the query chronology panel).
        orders_cache: the worker's cache of embedded event orders (:func:`cached_orders`).

    Returns (as the generator's value):
        :class:`OrdersResult` (empty when the caption is empty).

    Raises:
        ValueError: no gallery open or no matching model.
    """
    from motionlex.core.retrieval.event_orders import event_order_scores  # lazy: fast start

    if index is None:
        raise ValueError("no gallery is open")
    item = index.item(int(request.row))
    caption = item.caption if request.caption is None else request.caption.strip()
    if not caption:
        return OrdersResult(request.request_id, item.index, "", [], [])
    if searcher is None or searcher.model is None:
        raise ValueError("scoring event orders needs the model that built the gallery")
    yield 1, 3  # a given caption (the query: the status bar tells its cut) is not warned of
    orders = cached_orders(searcher.model, caption, orders_cache,
                           warn_truncated=request.caption is None)
    scores = event_order_scores(searcher.model, orders, index.unit_dense(item.index))
    yield 2, 3
    return OrdersResult(request.request_id, item.index, caption, scores.events,
                        scores.orders)


BANK_BATCH = 16
"""Captions per step of the caption bank's encoding in the explorer: each step is where the
background describe job can give way to a query (64 a step held a query up to ~0.4 s)."""

BANK_NOTE_START = "Preparing the caption bank"
"""Start of the status text shown while a caption bank is prepared (cleared when done)."""


def bank_steps(model: Any, checkpoint: str, model_hash: str | None, root: Path,
               note: Any = None) -> Progress:
    """Job step: a checkpoint's caption bank (its ``caption_bank.txt``, its training data's
    captions, else the default model's bank), encoded once and cached under ``root``
    (:func:`motionlex.core.retrieval.describe.caption_bank_steps`).

    Args:
        note: called with a status text before the bank is prepared (or None).

    Raises:
        FileNotFoundError: no caption bank found.
    """
    from motionlex.core.retrieval.describe import BANK_FILE, bank_captions, caption_bank_steps
    from motionlex.resources import DEFAULT_MODEL_DIR

    captions, source = bank_captions(checkpoint, DEFAULT_MODEL_DIR / BANK_FILE)
    if note is not None:
        note(f"{BANK_NOTE_START} ({len(captions):,} captions)…")
    return (yield from caption_bank_steps(model, captions, source, model_hash=model_hash,
                                          root=root, batch_size=BANK_BATCH))


def describe_steps(index: Any, bank: Any, request: DescribeRequest,
                   weight: float) -> Progress:
    """Job: a gallery motion's nearest bank captions (retrieval-based captioning,
    :func:`motionlex.core.retrieval.describe.describe_embedding` on its stored vectors).

    Args:
        index: the open :class:`~motionlex.core.retrieval.index.GalleryIndex`, or None.
        bank: the model's :class:`~motionlex.core.retrieval.describe.CaptionBank`.
        request: the gallery row and ``k``.
        weight: fusion weight (dense share).

    Returns (as the generator's value):
        :class:`DescribeResult`.

    Raises:
        ValueError: no gallery open. IndexError: row out of range.
    """
    from motionlex.core.retrieval.describe import describe_embedding  # lazy: fast start

    if index is None:
        raise ValueError("no gallery is open")
    row = int(request.row)
    item = index.item(row)
    lex = index.lexical.getrow(item.index)
    dense = index.unit_dense(item.index)
    yield 1, 2
    res = describe_embedding(bank, dense, lex.indices, lex.data, k=request.k, weight=weight)
    return DescribeResult(  # the motion's words as the lexical panel gets them (60: its
        request.request_id, item.index,  # forms summed, ten words still fill the line)
        [{"caption": d.caption, "score": d.score, "dense": d.dense, "lexical": d.lexical,
          "words": list(d.words)} for d in res.descriptions],
        top_pairs(lex.indices, lex.data, index.vocabulary), res.bank_source, res.bank_size,
        res.weight, res.ranked_by)


def describe_gallery_steps(index: Any, bank: Any, weight: float) -> Progress:
    """Job: the best bank caption of every uncaptioned motion of the open gallery.

    Motions whose first caption is empty are scored against the whole bank
    (:func:`~motionlex.core.retrieval.describe.best_captions` on their stored vectors),
    :data:`DESCRIBE_CHUNK` rows per step; each step yields ``(done, total)`` and is a
    cancel point.

    Args:
        index: the open :class:`~motionlex.core.retrieval.index.GalleryIndex`, or None.
        bank: the model's :class:`~motionlex.core.retrieval.describe.CaptionBank` (built by
            the gallery's model).
        weight: fusion weight (dense share) in ``[0, 1]``; 1 = dense only.

    Returns (as the generator's value):
        :class:`GalleryDescriptions` (no rows when every motion has a caption).

    Raises:
        ValueError: no gallery open, or ``weight`` outside ``[0, 1]`` (checked by
            :func:`~motionlex.core.retrieval.fusion.fuse` once there is a row to score).
    """
    from motionlex.core.retrieval.describe import best_captions  # lazy: fast start

    if index is None:
        raise ValueError("no gallery is open")
    rows = [i for i, c in enumerate(index.first_captions) if not c]
    total = max(1, len(rows))
    yield 0, total
    best: list[tuple[str, float]] = []
    for start in range(0, len(rows), DESCRIBE_CHUNK):  # (chunk, B) scores at a time
        part = rows[start:start + DESCRIBE_CHUNK]
        best += best_captions(bank, index.unit_dense(part), index.lexical[part], weight)
        yield start + len(part), total
    return GalleryDescriptions(str(index.path), dict(zip(rows, best)), bank.source, len(bank))
