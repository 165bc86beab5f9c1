"""What a search takes and returns: a query in the index's space, one hit, one progress
step (:class:`~.search.Searcher`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, eq=False)
class QueryEmbedding:
    """A query in the index's space.

    Attributes:
        dense: ``(D,)`` float32, L2-normalised.
        word_ids: ``(Q,)`` int64 vocabulary ids of the query's words, ascending.
        word_weights: ``(Q,)`` float32 weights (> 0) of those words, normalised as the
            index's vectors are (see :func:`sparse_query`).
        kind: ``"text"``, ``"motion"`` or ``"item"``.
        text: the query text (``kind == "text"``).
        item: the gallery row (``kind == "item"``).
    """

    dense: np.ndarray
    word_ids: np.ndarray
    word_weights: np.ndarray
    kind: str = "text"
    text: str = ""
    item: int | None = None

    def __repr__(self) -> str:
        """The kind, the text or item, and shapes: not the arrays."""
        what = (f"text={self.text!r:.60}" if self.kind == "text"
                else f"item={self.item}" if self.kind == "item" else "")
        return (f"QueryEmbedding(kind={self.kind!r}{', ' + what if what else ''}, "
                f"dense={tuple(self.dense.shape)}, words={len(self.word_ids)})")


@dataclass(frozen=True)
class Hit:
    """One search result.

    Attributes:
        index: row in the gallery index.
        id: the item's id.
        score: the ranking score of the chosen mode: dense cosine in [-1, 1]; lexical
            similarity (``lexical_score``); fused
            ``w * dense + (1 - w) * lexical / max over the gallery`` (:func:`.fusion.fuse`).
        caption: its first caption (``""`` when it has none).
        source: the source file.
        words: up to ``words`` (the argument of :meth:`.search.Searcher.search`)
            ``(word, query weight x motion weight)`` pairs, largest first.
        dense_score: dense cosine of the hit.
        lexical_score: lexical similarity of the hit on pruned vectors: for a ``cosine``
            model the cosine in [0, 1] of the query's ``query_words`` heaviest words and the
            motion's stored ``lexical_top_k`` words, each renormalised
            (:func:`~.sparse.sparse_query`); it reads below ``lexical_similarity`` of the
            full vectors, for the best hits of Bandai val's captions a median 11 % below
            (3-20 %) with the default 64 and 128 words (README, "Python").
    """

    index: int
    id: str
    score: float
    caption: str
    source: str
    words: list[tuple[str, float]]
    dense_score: float = 0.0
    lexical_score: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, in the field names of every ``--json`` output
        (:mod:`motionlex.core.cli.json_output`): ``id``, ``index``, ``file`` (the source),
        ``caption``, ``score``, ``dense``, ``lexical`` and ``words`` as
        ``[{"word", "contribution"}]``."""
        return {"id": self.id, "index": self.index, "file": self.source,
                "caption": self.caption, "score": float(self.score),
                "dense": float(self.dense_score), "lexical": float(self.lexical_score),
                "words": [{"word": w, "contribution": float(v)} for w, v in self.words]}


@dataclass(frozen=True)
class SearchProgress:
    """One step of :meth:`Searcher.search_in_chunks`.

    Attributes:
        done: gallery items scored so far.
        total: gallery size.
        hits: the final ranked hits on the last step, None before.
    """

    done: int
    total: int
    hits: list[Hit] | None = None
