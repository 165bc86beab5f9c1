"""Messages of the explorer's analysis jobs (describe a motion, describe a gallery's
uncaptioned motions): plain, frozen dataclasses without Qt, like :mod:`motionlex.app.messages`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

GENERATED_MARK = "\u2248 "
"""Prefix of a caption found by retrieval-based captioning (shown instead of none)."""


@dataclass(frozen=True)
class DescribeRequest:
    """Describe gallery row ``row`` by its ``k`` nearest bank captions (``request_id``
    increasing; older ones dropped)."""

    request_id: int
    row: int
    k: int = 8


@dataclass(frozen=True)
class DescribeResult:
    """A motion's nearest bank captions (retrieval-based captioning).

    Attributes:
        request_id / row: as requested.
        captions: one dict per caption, best first: ``caption``, ``score`` (fused),
            ``dense`` (cosine), ``lexical``, ``words`` (list of ``(word, weight)`` carrying
            the lexical match).
        motion_words: the motion's heaviest ``(word, weight)`` pairs.
        bank_source / bank_size: where the bank's captions came from, and how many.
        weight: fusion weight (dense share) of ``score``.
        ranked_by: ``"csls"`` (fused score less half the caption's hubness) or ``"fused"``.
    """

    request_id: int
    row: int
    captions: list[dict]
    motion_words: list[tuple[str, float]]
    bank_source: str
    bank_size: int
    weight: float
    ranked_by: str = "fused"


@dataclass(frozen=True)
class GalleryDescriptions:
    """The best bank caption of each uncaptioned motion of the open gallery.

    Attributes:
        gallery: the gallery's index path (results for another gallery are dropped).
        rows: gallery row -> ``(caption, fused score)``.
        bank_source / bank_size: as :class:`DescribeResult`.
    """

    gallery: str
    rows: dict[int, tuple[str, float]] = field(default_factory=dict)
    bank_source: str = ""
    bank_size: int = 0
