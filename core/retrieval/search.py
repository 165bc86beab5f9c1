"""Searching a gallery index: dense, lexical (inverted index) and fused similarity.

A query (a text, a motion, or a gallery item) becomes a :class:`QueryEmbedding`: a dense
unit vector and its heaviest lexical words. :class:`Searcher` ranks the index by

- ``dense``: cosine of dense embeddings (one torch matrix-vector product; the index's
  stored IVF index (FAISS, float16 codes) for galleries of :data:`~.ann.ANN_MIN_ITEMS`
  motions or more, approximate; :mod:`.dense_backend`);
- ``lexical``: sparse dot product of lexical vectors (the cosine for models trained with
  ``lexical_similarity="cosine"``, whose index stores L2-normalised vectors), computed from the
  inverted index: only the posting lists of the query's non-zero words are read;
- ``fused``: ``w * dense + (1 - w) * lexical / max(lexical)`` per query
  (:func:`.fusion.fuse`). With the IVF index the fused ranking is taken over candidates:
  the IVF's dense top-``C`` and the exact lexical top-``C`` (``C`` =
  :data:`FUSED_CANDIDATES`, at least ``10 k``), each scored exactly in both similarities
  (the usual hybrid-retrieval shortcut; its recall against exhaustive fusion is measured
  in ``docs/search-1m.md``).

Each :class:`Hit` carries its score and the words that contributed most to the lexical
similarity (query weight x motion weight). :meth:`Searcher.search_in_chunks` is a generator
over gallery chunks, so a GUI worker can report progress and cancel between chunks
(``pyapp-kit/superqt`` ``GeneratorWorker`` style). A :class:`Searcher` holds no global state
and does not mutate anything after construction, so one instance can serve a worker thread.

The sparse arithmetic is :mod:`.sparse`'s; queries are encoded by :mod:`.embed`.

Sources: SPLADE sparse retrieval with an inverted index, Formal et al., SPLADE v2 (arXiv
2109.10086), Sec. 2; query pruning to the heaviest terms, Lassance and Clinchant, "An
Efficiency Study for SPLADE Models", SIGIR 2022, Sec. 3.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from motionlex.core.model.types import EncoderModel
from motionlex.core.motion.joint_arrays import make_motion
from motionlex.core.motion.motion import Motion, joints_fps, to_canonical
from motionlex.core.motion.skeleton import Skeleton, as_skeleton
from motionlex.core.retrieval.ann import ANN_MIN_ITEMS
from motionlex.core.retrieval.dense_backend import FAISS_MIN_ITEMS, DenseBackend
from motionlex.core.retrieval.embed import encode_motions, encode_texts
from motionlex.core.retrieval.fusion import check_fusion_weight, fuse
from motionlex.core.retrieval.index import GalleryIndex
from motionlex.core.retrieval.metrics import top_k
from motionlex.core.retrieval.search_types import Hit, QueryEmbedding, SearchProgress
from motionlex.core.retrieval.sparse import (
    DEFAULT_QUERY_WORDS,
    brute_force_scores,
    inverted_scores,
    sparse_query,
    word_evidence,
)
from motionlex.core.text.spelling import require_words

logger = logging.getLogger(__name__)

SEARCH_MODES = ("dense", "lexical", "fused")
FUSED_CANDIDATES = 1000
"""Candidates per similarity for fused search over an IVF index (see the module doc)."""


class Searcher:
    """Ranks a :class:`~.index.GalleryIndex` for text, motion and gallery-item queries.

    Args:
        index: the loaded index.
        model: the ``MotionTextModel`` or ``LiteModel`` that built it
            (:data:`~.types.EncoderModel`); needed to embed texts and motions, not items.
        fusion_weight: default dense weight of fused scores (None: the index's, recorded
            from the checkpoint's validation, else 0.5).
        query_words: heaviest query words used for lexical scores (None: all non-zero).
        dense_backend: ``"auto"`` (the index's stored IVF when it has one and faiss is
            installed, else FAISS flat over ``faiss_min_items`` when installed, else torch),
            ``"torch"`` (exact) or ``"faiss"`` (:class:`~.dense_backend.DenseBackend`).
        faiss_min_items: gallery size from which ``"auto"`` uses FAISS flat (indexes
            without a stored IVF).
        nprobe: IVF lists scanned per query (None: the index's).
        verify_model: check the model's fingerprint against the index (skip only when the
            caller already did, e.g. ``GalleryIndex.load(path, model)``).

    Raises:
        TypeError: ``index`` is not a :class:`~.index.GalleryIndex` (a path:
            ``GalleryIndex.load(path)`` opens it), or ``model`` is not a model.
        IndexMismatchError: the model did not build the index.
        ValueError: ``fusion_weight`` outside [0, 1], ``query_words < 1`` or an unknown
            backend. ImportError: ``dense_backend="faiss"`` without ``faiss`` installed.
    """

    def __init__(
        self,
        index: GalleryIndex,
        model: EncoderModel | None = None,
        *,
        fusion_weight: float | None = None,
        query_words: int | None = DEFAULT_QUERY_WORDS,
        dense_backend: str = "auto",
        faiss_min_items: int = FAISS_MIN_ITEMS,
        verify_model: bool = True,
        nprobe: int | None = None,
    ) -> None:
        if not isinstance(index, GalleryIndex):
            raise TypeError(f"index must be a GalleryIndex: pass GalleryIndex.load(path) "
                            f"(with the model: Searcher(GalleryIndex.load(path), model)), got "
                            f"{type(index).__name__} {index!r:.60}")
        if model is not None and verify_model:
            index.check_model(model)
        self.index = index
        self.model = model
        self.fusion_weight = check_fusion_weight(
            index.fusion_weight if fusion_weight is None else fusion_weight)
        if query_words is not None and query_words < 1:
            raise ValueError(f"query_words must be >= 1 or None, got {query_words}")
        self.query_words = query_words
        self._inverted = index.inverted
        self._lex_float32 = len(index) >= ANN_MIN_ITEMS  # large: float32 accumulation
        self._dense = DenseBackend(index, dense_backend, faiss_min_items=faiss_min_items,
                                   nprobe=nprobe)

    def __repr__(self) -> str:
        """The index (its own short repr), the model's kind and the fusion weight."""
        model = "no model" if self.model is None else type(self.model).__name__
        return f"Searcher({self.index!r}, {model}, fusion_weight={self.fusion_weight:g})"

    def __len__(self) -> int:
        return len(self.index)

    @property
    def uses_faiss(self) -> bool:
        """True when dense-only searches go through FAISS."""
        return self._dense.kind != "torch"

    @property
    def dense_kind(self) -> str:
        """``"torch"``, ``"flat"`` (exact FAISS) or ``"ivf"`` (approximate)."""
        return self._dense.kind

    # -- queries --------------------------------------------------------------------------
    def _need_model(self, what: str) -> Any:
        if self.model is None:
            raise ValueError(f"{what} needs the model: create the Searcher with the model "
                             f"that built {self.index.path}")
        return self.model

    def embed_text(self, text: str, *, warn_truncated: bool = True) -> QueryEmbedding:
        """Embed a text query: one longer than the model's ``max_text_length`` tokens (64,
        about 48 words) is cut there.

        Args:
            text: the query in English; surrounding whitespace is stripped.
            warn_truncated: say so in a ``logger.warning`` (:func:`~.embed.encode_texts`).

        Returns:
            :class:`QueryEmbedding` with ``kind="text"``, ``text`` the stripped query,
            ``dense (D,)`` float32 L2-normalised, and at most ``self.query_words`` of the
            heaviest words (``word_ids``/``word_weights (Q,)``, from :func:`sparse_query`
            with the index's lexical similarity).

        Raises:
            TypeError: a non-string. ValueError: an empty text, one without words, or no model.
        """
        text = require_words(text)
        model = self._need_model("a text query")
        dense, lexical = encode_texts(model, [text], warn_truncated=warn_truncated)
        ids, w = sparse_query(lexical[0], self.index.lexical_similarity, self.query_words)
        return QueryEmbedding(dense[0], ids, w, "text", text)

    def embed_motion(self, joints: np.ndarray | Motion, skeleton: Skeleton | str | None = None,
                     fps: float | None = None) -> QueryEmbedding:
        """Embed a motion query, brought to the canonical form first: the embedding
        :func:`~.embed.encode_motions` gives the same Motion or ``(joints, skeleton)`` pair.

        Args:
            joints: ``(T, J, 3)`` float, metres, Y up; or a :class:`Motion` (e.g. from
                :func:`~motionlex.core.motion.files.load_motion_file`), which brings its own
                skeleton and frame rate.
            skeleton: the joints' skeleton or a built-in one's name (not with a
                :class:`Motion`).
            fps: the joints' frame rate, frames per second (not with a :class:`Motion`);
                default as the loaders read a joint file: 12.5 for ``kit21``, else 20.

        Returns:
            :class:`QueryEmbedding` with ``kind="motion"``, ``dense (D,)`` float32
            L2-normalised, and at most ``self.query_words`` of the heaviest words
            (``word_ids``/``word_weights (Q,)``, from :func:`sparse_query`); a clip longer
            than the model's ``max_frames`` is pooled over windows as the index's
            ``long_clips`` setting says (:func:`~.embed.encode_motions`).

        Raises:
            TypeError: joints without a skeleton.
            ValueError: a :class:`Motion` with a skeleton or fps too (it brings its own).
            ValueError / MotionFileError: invalid joints or fps (:func:`make_motion`), a
                clip too short or without a facing direction (:func:`to_canonical`), or no
                model.
        """
        model = self._need_model("a motion query")
        if isinstance(joints, Motion):
            if skeleton is not None or fps is not None:  # ignored, it was: say so
                raise ValueError(f"a Motion brings its own skeleton and frame rate "
                                 f"({joints.skeleton.name}, {joints.fps:g} fps): pass it "
                                 f"alone, or its joints with the skeleton and fps to use")
            m = to_canonical(joints)  # checked when it was made (and warned about, if Z-up)
        elif skeleton is None:
            raise TypeError("embed_motion needs the joints' skeleton (or pass a Motion, "
                            "e.g. load_motion_file(path))")
        else:
            skeleton = as_skeleton(skeleton, "embed_motion")
            if fps is None:  # the loaders' default for the skeleton
                fps = joints_fps(skeleton)
            m = to_canonical(make_motion(np.asarray(joints, np.float32), fps, skeleton))
        dense, lex = encode_motions(model, [m], self.index.patch_stats,  # as made canonical
                                    long_clips=self.index.settings.long_clips,
                                    assume_canonical=True)
        ids, w = sparse_query(lex[0], self.index.lexical_similarity, self.query_words)
        return QueryEmbedding(dense[0], ids, w, "motion")

    def item_query(self, i: int | str) -> QueryEmbedding:
        """A gallery item as the query (its stored vectors; no model needed).

        Args:
            i: the item's row, or its id (``"bandai/bn2_wave-left-hand_normal_001"``, as
                ``motionlex search --item`` takes it).

        The item itself scores 1 and ranks first: pass ``exclude=[row]`` to
        :meth:`search` for "motions like it" (the CLI's ``--item`` and the explorer's
        Similar motions leave it out so).

        Raises:
            TypeError: ``i`` neither an int nor a str (``1.0``, ``True``, ``None``).
            IndexError: row ``i`` out of range.
            KeyError: unknown id (:meth:`GalleryIndex.position` names it).
        """
        if isinstance(i, str):
            i = self.index.position(i)
        elif isinstance(i, bool | np.bool_) or not isinstance(i, int | np.integer):
            raise TypeError(f"item must be a gallery row (int) or an item id (str), got "
                            f"{type(i).__name__} {i!r:.40}")
        if not 0 <= i < len(self.index):
            raise IndexError(f"item {i} out of range for {len(self.index)} motions")
        inv = self._inverted
        self.index.check_postings()  # the row is scattered over every posting list
        pos = np.flatnonzero(inv.indices == i)  # the row, from the posting lists
        row = np.zeros(inv.shape[1], np.float32)
        row[np.searchsorted(inv.indptr, pos, side="right") - 1] = inv.data[pos]
        ids, w = sparse_query(row, self.index.lexical_similarity, self.query_words)
        return QueryEmbedding(self._dense.row(i), ids, w, "item", item=i)

    # -- scores ---------------------------------------------------------------------------
    def dense_scores(self, query: QueryEmbedding, start: int = 0,
                     stop: int | None = None) -> np.ndarray:
        """``(stop - start,)`` float32 dense cosines of gallery rows ``start:stop``.

        Raises:
            ValueError: query dimension differs from the index's.
            GalleryIndexError: ``dense.npy`` changed on disk since the index was opened.
        """
        self.index.check_unchanged(("dense.npy",))  # a file cut short under its map: SIGBUS
        return self._dense.scores(query.dense, start, stop)

    def lexical_scores(self, query: QueryEmbedding, method: str = "inverted") -> np.ndarray:
        """``(N,)`` float64 lexical scores: ``"inverted"`` (posting lists) or ``"brute"``.

        Galleries of :data:`~.ann.ANN_MIN_ITEMS` motions or more accumulate the inverted
        scores in float32 (the precision of ``"brute"``), about 1.8 times faster.

        Raises:
            ValueError: unknown method.
        """
        if method == "inverted":
            self.index.check_postings(query.word_ids)
            return inverted_scores(self._inverted, query.word_ids, query.word_weights,
                                   float32=self._lex_float32)
        if method == "brute":
            return brute_force_scores(self.index.lexical, query.word_ids, query.word_weights)
        raise ValueError(f"method must be 'inverted' or 'brute', got {method!r}")

    # -- search ---------------------------------------------------------------------------
    def search(self, query: QueryEmbedding, k: int = 10, mode: str = "fused",
               fusion_weight: float | None = None, *, words: int = 5,
               exclude: Sequence[int] = (), lexical_method: str = "inverted") -> list[Hit]:
        """The ``k`` best gallery motions for a query, best first.

        Args:
            query: from :meth:`embed_text`, :meth:`embed_motion` or :meth:`item_query`.
            k: number of hits.
            mode: ``"dense"``, ``"lexical"`` or ``"fused"``.
            fusion_weight: dense weight for ``"fused"`` (None: the searcher's default).
            words: evidence words per hit.
            exclude: gallery rows left out (e.g. the query item): ints in ``[0, N)``
                (an id's row is ``index.position(id)``).
            lexical_method: ``"inverted"`` or ``"brute"`` (same scores).

        Returns:
            Up to ``k`` :class:`~.search_types.Hit` s sorted by score, highest first (ties:
            lower row first); each score's scale per mode is in :class:`Hit`'s ``score``.

        Raises:
            TypeError: ``query`` is not a :class:`QueryEmbedding` (e.g. a plain string);
                ``k`` or ``words`` not an int (``2.7``, ``True``, ``"3"``); ``exclude``
                not a list of ints (ids included).
            ValueError: unknown mode, ``k < 1``, ``words < 0``, a weight outside [0, 1], or
                an ``exclude`` row outside ``[0, N)`` (a negative row included).
        """
        steps = list(self.search_in_chunks(query, k, mode, fusion_weight, words=words,
                                           exclude=exclude, chunk_size=None,
                                           lexical_method=lexical_method))
        return steps[-1].hits or []

    def search_in_chunks(
        self,
        query: QueryEmbedding,
        k: int = 10,
        mode: str = "fused",
        fusion_weight: float | None = None,
        *,
        words: int = 5,
        exclude: Sequence[int] = (),
        chunk_size: int | None = 16384,
        lexical_method: str = "inverted",
    ) -> Iterator[SearchProgress]:
        """:meth:`search` as a generator over gallery chunks (a cancel point per chunk).

        Yields a :class:`SearchProgress` after each chunk of dense scores; the last one
        carries the hits (identical to :meth:`search`). Lexical scores come first, in one
        step (they read only the query's posting lists).

        Args:
            chunk_size: gallery rows per step (None: one step).
            (others as :meth:`search`)

        Raises:
            TypeError / ValueError: as :meth:`search`.
        """
        if not isinstance(query, QueryEmbedding):
            raise TypeError(
                f"query must be a QueryEmbedding (from embed_text, embed_motion or "
                f"item_query), got {type(query).__name__}; for a text: "
                f"searcher.search(searcher.embed_text({query!r:.40}))")
        if mode not in SEARCH_MODES:
            raise ValueError(f"mode must be one of {SEARCH_MODES}, got {mode!r}")
        if isinstance(k, bool | np.bool_) or not isinstance(k, int | np.integer):
            raise TypeError(f"k must be an int >= 1 (hits wanted), got {type(k).__name__} "
                            f"{k!r:.40}")
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        if isinstance(words, bool | np.bool_) or not isinstance(words, int | np.integer):
            raise TypeError(f"words must be an int >= 0 (evidence words per hit), got "
                            f"{type(words).__name__} {words!r:.40}")
        if words < 0:
            raise ValueError(f"words must be >= 0, got {words}")
        exclude = _check_exclude(exclude, len(self.index))
        if chunk_size is not None and chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1 or None, got {chunk_size}")
        weight = self.fusion_weight if fusion_weight is None else check_fusion_weight(fusion_weight)
        n = len(self.index)
        lex = self.lexical_scores(query, lexical_method) if mode != "dense" else None
        if mode == "lexical":
            rows = top_k(lex, k, exclude)
            yield SearchProgress(n, n, self._hits(rows, lex[rows], query, None, lex, words))
            return
        if mode == "dense" and self._dense.kind != "torch":
            rows, scores = self._dense.top_k(query.dense, k, exclude)
            yield SearchProgress(n, n, self._hits(rows, scores, query, None, None, words))
            return
        if mode == "fused" and self._dense.approximate:
            rows, scores = self._fused_candidates(query, k, weight, lex, exclude)
            yield SearchProgress(n, n, self._hits(rows, scores, query, None, lex, words))
            return
        dense = np.empty(n, np.float32)
        step = n if chunk_size is None else chunk_size
        for a in range(0, n, max(step, 1)):
            b = min(a + step, n)
            dense[a:b] = self.dense_scores(query, a, b)
            if b < n:
                yield SearchProgress(b, n, None)
        scores = dense if mode == "dense" else fuse(dense[None], _without(lex, exclude)[None],
                                                    weight)[0]
        rows = top_k(scores, k, exclude)
        yield SearchProgress(n, n, self._hits(rows, scores[rows], query, dense, lex, words))

    def _fused_candidates(self, query: QueryEmbedding, k: int, weight: float,
                          lex: np.ndarray, exclude: Sequence[int]
                          ) -> tuple[np.ndarray, np.ndarray]:
        """Fused top-k over the IVF's dense and the exact lexical top-``C`` candidates."""
        c = max(FUSED_CANDIDATES, 10 * k)
        d_rows, _ = self._dense.top_k(query.dense, c, exclude, rescore=False)  # rescored below
        cand = np.union1d(d_rows, top_k(lex, c, exclude))
        dense = self._dense.row_scores(cand, query.dense)
        rest = _without(lex, exclude)  # an excluded row (the query item) never sets the scale
        top = float(rest.max()) if len(rest) else 0.0
        scores = weight * dense.astype(np.float64) + (1.0 - weight) * (
            lex[cand] / top if top > 0 else lex[cand])
        best = top_k(scores, k)
        return cand[best], scores[best]

    def _hits(self, rows: np.ndarray, scores: np.ndarray, query: QueryEmbedding,
              dense: np.ndarray | None, lex: np.ndarray | None, words: int) -> list[Hit]:
        rows = np.asarray(rows, np.int64)
        self.index.check_postings(query.word_ids)
        evidence, l_rows = word_evidence(self._inverted, self.index.vocabulary, rows,
                                         query.word_ids, query.word_weights, words)
        if lex is not None:
            l_rows = lex[rows]
        if dense is None:
            d_rows = self._dense.row_scores(rows, query.dense)
        else:
            d_rows = dense[rows]
        hits = []
        for j, (r, s) in enumerate(zip(rows.tolist(), scores)):
            hits.append(Hit(r, self.index.ids[r], float(s), self.index.first_captions[r],
                            self.index.sources[r], evidence[j], float(d_rows[j]),
                            float(l_rows[j])))
        return hits


def _without(lexical: np.ndarray, exclude: Sequence[int]) -> np.ndarray:
    """``lexical`` with the excluded rows' scores set to 0 (a copy when any are excluded),
    so that the per-query normalisation of fused search (:func:`.fusion.normalize_lexical`)
    is taken over the rows that can be returned: a "more like this" query's own item, which
    scores itself highest, would otherwise shrink every other row's lexical share."""
    if not len(exclude):
        return lexical
    out = np.array(lexical, copy=True)
    out[np.asarray(exclude, np.int64)] = 0.0
    return out


def _check_exclude(exclude: Sequence[int], n: int) -> tuple[int, ...]:
    """``exclude`` as a tuple of rows, each an int in ``[0, n)`` (a negative row would
    silently drop a row counted from the end, a float or id fail deep in NumPy)."""
    if isinstance(exclude, str | bytes) or not isinstance(exclude, Iterable):
        raise TypeError(f"exclude must be a list of gallery rows (ints), got "
                        f"{type(exclude).__name__} {exclude!r:.40}")
    rows = list(exclude)
    odd = [r for r in rows if isinstance(r, bool | np.bool_)
           or not isinstance(r, int | np.integer)]
    if odd:
        hint = " (an id's row is index.position(id))" if isinstance(odd[0], str) else ""
        raise TypeError(f"exclude must hold gallery rows (ints in [0, {n})), got "
                        f"{type(odd[0]).__name__} {odd[0]!r:.40}{hint}")
    out = [r for r in rows if not 0 <= r < n]
    if out:
        raise ValueError(f"exclude rows must be in [0, {n}) for {n} motions, got "
                         f"{[int(r) for r in out[:5]]}")
    return tuple(int(r) for r in rows)

