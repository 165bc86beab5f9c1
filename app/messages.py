"""What the explorer's window and its worker send each other: plain, frozen dataclasses.

Requests carry an increasing ``request_id`` so that a result for an outdated request can be
recognised and dropped (by the worker before it runs, by :mod:`motionlex.app.state` when it
arrives). Only plain Python values and NumPy copies, never tensors; no Qt, so the explorer's
state and its tests run without a display.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from motionlex.core.motion.skeleton import Skeleton

DEFAULT_K = 100
"""Hits returned per query."""

MORE_K = 1000
"""Hits returned per query with View > Show up to 1,000 results (the results filter then
searches them all)."""


@dataclass(frozen=True)
class RankRequest:
    """A query to rank the open gallery against.

    Attributes:
        request_id: increasing id; a request older than the newest one is dropped.
        text: the query text (ignored when ``item`` is set).
        k: number of hits.
        mode: ``"fused"``, ``"dense"`` or ``"lexical"``.
        item: rank by a gallery row as the query (no model needed) instead of text.
        chunk_size: gallery rows scored per step (a cancel point per chunk).
        motion_file: rank by a motion file (BVH or ``.npy``, read on the worker) as the
            query instead of text; needs the model that built the gallery.
    """

    request_id: int
    text: str
    k: int = DEFAULT_K
    mode: str = "fused"
    item: int | None = None
    chunk_size: int = 4096
    motion_file: str | None = None


@dataclass(frozen=True)
class RankResult:
    """The ranked gallery for one :class:`RankRequest`.

    Attributes:
        request_id: the request's id.
        text: the query text (``""`` for an item query and a motion file query).
        mode: ranking mode used.
        hits: one dict per hit, best first: ``rank`` (1-based), ``score``, ``caption``,
            ``id``, ``row`` (gallery row), ``dense_score``, ``lexical_score``, ``words``
            (list of ``(word, contribution)``).
        query_words: the query's heaviest ``(word, weight)`` pairs (lexical vector).
        total: gallery size.
        seconds: worker time to embed and rank, seconds.
        order_weight: the order-agreement weight ``alpha`` of an order-aware ranking of a
            multi-event query (each score is the mode's score ``+ alpha *`` its
            ``order_margin``), 0 for a plain ranking.
        query_own: the ``query_words`` that are words of the query's text (of the query
            motion's captions for an item query), the rest being the model's expansions;
            empty when there is no text (a motion file, an uncaptioned motion), None when
            unknown (no English parser).
        motion_file: the motion file of a motion file query, else None.
        query_tokens: tokens of a text query (with the special ones), 0 otherwise.
        max_tokens: tokens the model reads of a text (its ``max_text_length``; a longer
            query is cut there), 0 when unknown.
        item: the gallery row of an item query ("motions like this one"), else None.
    """

    request_id: int
    text: str
    mode: str
    hits: list[dict[str, Any]]
    query_words: list[tuple[str, float]]
    total: int
    seconds: float
    order_weight: float = 0.0
    query_own: frozenset[str] | None = None
    motion_file: str | None = None
    query_tokens: int = 0
    max_tokens: int = 0
    item: int | None = None

    @property
    def cut(self) -> bool:
        """Whether the text query was longer than the model reads (its end was cut)."""
        return 0 < self.max_tokens < self.query_tokens

    @property
    def asked(self) -> str:
        """What the query box asks to run this query again: the text, or the motion file's
        path (``""`` for an item query, which names a row of its gallery only)."""
        return self.text or (self.motion_file or "")


@dataclass(frozen=True)
class ModelInfo:
    """A loaded checkpoint.

    Attributes:
        checkpoint: its directory.
        name: the config's name (e.g. ``"cpu-small"``).
        device: torch device string (``"cpu"``, ``"cuda"``).
        device_name: readable device (GPU name or CPU model).
        embed_dim: dense embedding size.
        vocab_size: lexical vocabulary size.
        parameters: number of parameters.
        words: the whole words of its vocabulary (query spelling feedback).
        lexical_words: the words its lexical vectors can weigh (caption-corpus words).
        word_groups: form -> the word it is a form of, over ``lexical_words`` ("raised" ->
            "raise"; :func:`motionlex.core.text.word_groups.word_groups`): the lexical
            panel's rows.
        note: why this model is loaded when it is not the one asked for (the shipped
            model standing in, see :mod:`motionlex.app.fallback`); ``""`` otherwise.
        substituted: True when a model that was asked for is not the one loaded (it failed,
            or a gallery's own model replaced it): the window keeps the note in view. False
            for the shipped model loaded because none was given (the documented default).
        gallery_searchable: whether the gallery open when it loaded can be searched by text
            with it (it built that gallery); None when no gallery was open.
        dictionary: English words (spaCy's lemma lists), known to the query's spelling
            feedback but never suggested ("lunges" is no typo of "lungs"); empty without
            an English parser.
    """

    checkpoint: str
    name: str
    device: str
    device_name: str
    embed_dim: int
    vocab_size: int
    parameters: int
    words: tuple[str, ...] = ()
    lexical_words: tuple[str, ...] = ()
    word_groups: dict[str, str] = field(default_factory=dict, hash=False)
    note: str = ""
    substituted: bool = False
    gallery_searchable: bool | None = None
    dictionary: frozenset[str] = frozenset()


@dataclass(frozen=True, eq=False)
class GalleryInfo:
    """An opened gallery, as the GUI lists it.

    Attributes:
        path: the index directory.
        source: what the user opened (the index, or the dataset folder it was built from).
        size: number of motions ``N``.
        ids / captions: ``N`` ids and first captions (``""`` when none).
        durations: ``(N,)`` float32 clip lengths, seconds.
        searchable: whether text queries work (a matching model is loaded).
        built: whether the index was (re)built in this load.
        skipped: ``(file, reason)`` of motions a build left out.
        synthetic: whether this is the built-in synthetic demo gallery.
        not_upright: ids of motions the build read not upright along +Y (a Z-up export):
            kept, but named in the status bar and the gallery label's tooltip.
    """

    path: str
    source: str
    size: int
    ids: list[str]
    captions: list[str]
    durations: np.ndarray
    searchable: bool
    built: bool = False
    skipped: list[tuple[str, str]] = field(default_factory=list)
    synthetic: bool = False
    not_upright: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MotionRequest:
    """Fetch gallery row ``row`` for display (``request_id`` increasing; older ones dropped)."""

    request_id: int
    row: int


@dataclass(frozen=True, eq=False)
class MotionData:
    """One gallery motion, ready for the views.

    Attributes:
        request_id / row / id: the request's id, the gallery row, the item id.
        caption: first caption (``""`` when none); captions: all of them.
        source: source file; has_bvh: whether it is a BVH file that still exists.
        source_sha256: the source file's SHA-256 when it was indexed.
        fps: frame rate, frames per second (20, canonical).
        joints: ``(T, J, 3)`` float32 canonical joints, metres, Y up.
        bones: ``(J - 1, 2)`` int64 ``(parent, child)`` pairs.
        part_of_joint: ``(J,)`` int64 body part per joint (-1: none).
        skeleton: the motion's skeleton (joint names and kinematic chains; for BVH export).
        patches: ``(3, T, 80)`` float32 z-scored motion-patch image (all frames).
        words: the motion's heaviest ``(word, weight)`` lexical pairs.
        meta: dataset metadata (e.g. Bandai action and style).
        own_words: the ``words`` that are words of its captions (the rest: the model's
            expansions); empty when it has no caption, None without an English parser.
    """

    request_id: int
    row: int
    id: str
    caption: str
    captions: list[str]
    source: str
    has_bvh: bool
    source_sha256: str
    fps: float
    joints: np.ndarray
    bones: np.ndarray
    part_of_joint: np.ndarray
    skeleton: Skeleton
    patches: np.ndarray
    words: list[tuple[str, float]]
    meta: dict
    own_words: frozenset[str] | None = None


@dataclass(frozen=True)
class MotionsRequest:
    """Fetch several gallery rows to compare them in the 3D view (side by side or overlaid).

    Attributes:
        request_id: increasing id (older ones dropped).
        rows: gallery rows, in the order they are shown (first: leftmost / opaque).
    """

    request_id: int
    rows: tuple[int, ...]


@dataclass(frozen=True)
class MotionsData:
    """The motions of a :class:`MotionsRequest`, in its order (for the views)."""

    request_id: int
    motions: list[MotionData]


@dataclass(frozen=True)
class OrdersRequest:
    """Score the event orders of a caption against gallery row ``row``'s motion.

    Attributes:
        request_id: increasing id (older ones dropped).
        row: gallery row.
        caption: the caption to split; ``None`` = the motion's own first caption.
    """

    request_id: int
    row: int
    caption: str | None = None


@dataclass(frozen=True)
class OrdersResult:
    """Event orders of a caption with the model's similarity to one motion (CAR panel).

    Attributes:
        request_id / row: as requested.
        caption: the caption split.
        events: its events, in true order.
        orders: ``(joined caption, dense cosine, is_true_order)`` per distinct order.
    """

    request_id: int
    row: int
    caption: str
    events: list[str]
    orders: list[tuple[str, float, bool]]
