"""The one format of every ``--json`` output (``search``, ``words``, ``describe``;
``compare`` prints its table's document with the same rounding).

Each command prints ONE JSON document (``json.load`` reads it; ``search`` used to print one
object per hit), and the same idea has the same name in all three:

- ``query``: the text searched for or read (``null`` for a motion or an item query);
  ``file``: a motion file, the one queried or a hit's source; ``item``: a gallery id queried.
- ``score``: the score a hit or caption is ranked by (``mode``); ``dense``: its dense cosine;
  ``lexical``: its lexical similarity; ``fusion_weight``: the dense weight of a fused score
  (``null`` when the score is not fused).
- ``words``: always a list of objects ``{"word": ..., <numbers>}``: ``contribution`` (a
  hit's or caption's word: its part of the lexical score, query share x motion share),
  ``weight`` and ``share`` (a text's or motion's own words: the raw weight and its share of
  the vector's norm), ``in_text`` (``words`` of a text: whether the word is the text's own).
- ``unknown_words``: the query words the model does not know, each
  ``{"word": ..., "suggestion": ... | null}`` (also said on stderr); ``[]`` when none.

Floats are rounded to 6 decimals. README's "JSON output" section lists the fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from motionlex.core.value_checks import rounded

__all__ = ["hit_json", "print_json", "unknown_words", "word_contributions"]

def print_json(doc: dict[str, Any]) -> None:
    """Print ``doc`` as one JSON document on stdout (non-ASCII kept as is)."""
    print(json.dumps(rounded(doc), ensure_ascii=False))


def word_contributions(pairs: Iterable[tuple[str, float]]) -> list[dict[str, Any]]:
    """``(word, contribution)`` pairs as ``[{"word", "contribution"}]``."""
    return [{"word": w, "contribution": float(v)} for w, v in pairs]


def unknown_words(corrections: Sequence[Any]) -> list[dict[str, Any]]:
    """:class:`~motionlex.core.text.spelling.Correction` s as ``[{"word", "suggestion"}]``."""
    return [{"word": c.word, "suggestion": c.suggestion} for c in corrections]


def hit_json(rank: int, hit: Any) -> dict[str, Any]:
    """One search hit (:class:`~motionlex.core.retrieval.search_types.Hit`) with its rank."""
    return {"rank": rank, **hit.to_dict()}
