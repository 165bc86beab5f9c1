"""The orders algebra of events: join, shuffle, all distinct orders; the side swap of words.

Events come from :func:`motionlex.core.text.events.split_events` in chronological order.
:func:`join_events` glues them as ``"a, then b, then c"`` (every boundary gets the same
marker, so a shuffled caption has the same surface pattern as the true one);
:func:`shuffle_events` / :func:`shuffled_captions` build the chronologically wrong captions
that CAR uses as hard negatives; :func:`all_orders` lists every distinct order (or, past a limit,
the true one and a seeded uniform sample of the others).
The side swap of words (:func:`~.sides.mirror_caption`) is :mod:`.sides`.

Source: Fujiwara, Tanaka, Yu, "Chronologically Accurate Retrieval for Temporal Grounding of
Motion-Language Models", ECCV 2024, Sec. 3.2 (shuffled descriptions) and Sec. 4.1 (shuffled
events as hard negatives).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

import numpy as np
from more_itertools import distinct_permutations

from motionlex.core.text.events import _check_caption, split_events

JOIN_SEPARATOR = ", then "
"""Separator between events in :func:`join_events`."""
CLOSING_PUNCTUATION = ".,;:!?"
"""What an inner event loses at its end when events are joined."""
MAX_ENUMERATED_ORDERS = 5040
"""Up to this many distinct orders (7!) are enumerated exactly; beyond it orders are sampled."""

_SUBJECT = re.compile(
    r"^((?:(?:a|an|the|one|this|that)\s+)?(?:person|man|woman|human|figure|someone|somebody|"
    r"subject|individual|character|guy|actor|he|she))(?![\w'\u2019])\s+(?!and\b|or\b)(?=\S)",
    re.IGNORECASE,
)
_TRAILING = re.compile(r"[\s.!?;,]+$")


def _check_events(events: object, func: str) -> None:
    """Refuse a caption string (iterated, it is a list of characters) or a non-iterable
    where a list of events is expected."""
    if isinstance(events, str | bytes):
        raise TypeError(f"{func} expects a list of event strings, got a {type(events).__name__} "
                        f"{events[:40]!r}: split a caption into its events first, "
                        "split_events(caption) (shuffled_captions takes a caption and splits it "
                        "itself)")
    if not isinstance(events, Iterable):
        raise TypeError(f"{func} expects a list of event strings, got "
                        f"{type(events).__name__}")


def join_events(events: Sequence[str]) -> str:
    """Glue events back into one caption: ``"a, then b, then c"``.

    Every event after the first starts with a lower-case letter (unless its first word is
    "I" or an all-capital acronym), and every event before the last loses its closing
    punctuation (``"walks."`` -> ``"walks"``); the last keeps its own ending, so one event
    gives that event unchanged (:func:`~motionlex.core.text.events.split_events` gives events
    without closing punctuation).

    >>> join_events(["A person walks.", "Sits down."])
    'A person walks, then sits down.'

    Args:
        events: one or more event strings.

    Returns:
        The caption.

    Raises:
        TypeError: ``events`` is a single string (a caption: :func:`split_events` splits it)
            or not a sequence.
        ValueError: if ``events`` is empty.
    """
    _check_events(events, "join_events")
    if len(events) == 0:
        raise ValueError("join_events needs at least one event, got an empty sequence")
    parts = [str(events[0]).strip()] + [lower_first(str(e).strip()) for e in events[1:]]
    inner = [p.rstrip(CLOSING_PUNCTUATION).rstrip() for p in parts[:-1]]
    return JOIN_SEPARATOR.join([*inner, parts[-1]])


def lower_first(text: str) -> str:
    """``text`` with its first letter lower-cased, unless its first word is "I" or an acronym.

    >>> lower_first("A person walks"), lower_first("NASA jumps"), lower_first("I turn")
    ('a person walks', 'NASA jumps', 'I turn')
    """
    first = text.split(" ", 1)[0]
    if first == "I" or (len(first) > 1 and first.isupper()):
        return text
    return text[:1].lower() + text[1:]


def _labels(events: Sequence[str]) -> list[int]:
    # events equal as captions ("A person jumps" / "a person jumps.") are one event: an
    # order swapping them would join to the true caption, a "shuffle" that is no negative
    first: dict[str, int] = {}
    return [first.setdefault(normalize_caption(e), len(first)) for e in events]


def _to_indices(labels: Sequence[int], order: Sequence[int]) -> tuple[int, ...]:
    """Map a label sequence to event indices, taking equal events in their original order."""
    pools: dict[int, list[int]] = {}
    for idx, lab in enumerate(labels):
        pools.setdefault(lab, []).append(idx)
    used = {lab: 0 for lab in pools}
    out = []
    for lab in order:
        out.append(pools[lab][used[lab]])
        used[lab] += 1
    return tuple(out)


def _num_distinct_orders(labels: Sequence[int]) -> int:
    counts = np.bincount(np.asarray(labels, dtype=np.int64))
    return math.factorial(len(labels)) // math.prod(math.factorial(int(c)) for c in counts)


def num_orders(events: Sequence[str]) -> int:
    """How many distinct orders ``events`` have, ``K! / prod(m_i!)`` (``m_i``: how often each
    event repeats, compared by :func:`normalize_caption`; ``["jumps", "sits", "Jumps."]``: 3),
    all of which :func:`all_orders` lists when its ``limit`` allows.

    Raises:
        TypeError: ``events`` is a single string or not iterable (as :func:`all_orders`).
    """
    _check_events(events, "num_orders")
    return _num_distinct_orders(_labels(events))


def all_orders(events: Sequence[str], limit: int = 24, seed: int = 0
               ) -> list[tuple[int, ...]]:
    """Distinct orders of the events as index tuples, the true order first.

    Orders that give the same list of events (repeated events, equal by
    :func:`normalize_caption`) are listed once. When all of them fit in ``limit``, every
    order is listed, after the identity in lexicographic order of the events'
    first-occurrence labels. When there are more (5 events have 120), the identity is
    followed by a uniform random sample of the others (seeded, so the same events give the
    same sample), listed in lexicographic order: the first ``limit`` orders in lexicographic
    order would all keep the leading events in place and only reorder the last few.

    Args:
        events: K events in chronological order.
        limit: at most this many orders (>= 1); e.g. 24 = 4! for a panel.
        seed: seed of the sample taken when there are more than ``limit`` orders.

    Returns:
        ``min(limit, K! / prod(m_i!))`` tuples of length K (``m_i``: multiplicities).

    Raises:
        TypeError: ``events`` is a single string (a caption: :func:`split_events` gives its
            events) or not iterable.
        ValueError: if ``limit < 1``.
    """
    _check_events(events, "all_orders")
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    labels = _labels(events)
    out = [tuple(range(len(labels)))]
    if _num_distinct_orders(labels) > limit:
        rng = np.random.default_rng(seed)
        seen = {tuple(labels)}
        sample: list[tuple[int, ...]] = []
        while len(sample) < limit - 1:  # terminates: more than limit distinct orders exist
            seq = tuple(labels[int(k)] for k in rng.permutation(len(labels)))
            if seq not in seen:
                seen.add(seq)
                sample.append(seq)
        return out + [_to_indices(labels, seq) for seq in sorted(sample)]
    for seq in distinct_permutations(labels):  # lexicographic: labels are ints
        if list(seq) != labels:
            out.append(_to_indices(labels, seq))
    return out


def _generator(rng: np.random.Generator | int) -> np.random.Generator:
    """``rng`` itself, or a generator seeded with it (an int seed, as ``--seed`` gives)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, bool) or not isinstance(rng, int | np.integer):
        raise TypeError(f"rng must be a numpy Generator (np.random.default_rng(seed)) or an "
                        f"int seed, got {type(rng).__name__}")
    return np.random.default_rng(int(rng))


def shuffle_events(events: Sequence[str], rng: np.random.Generator | int
                   ) -> list[str] | None:
    """One random order of the events that differs from the true order.

    Args:
        events: K events in chronological order.
        rng: source of randomness (results are deterministic for a seeded generator), or
            an int seed.

    Returns:
        The events in a different order (as a new list), or ``None`` when ``K < 2`` or all
        events are the same caption (:func:`normalize_caption`), so that no different order
        exists.

    Raises:
        TypeError: ``events`` is a single string (a caption: :func:`split_events` gives its
            events) or not iterable; ``rng`` is neither a Generator nor an int.

    Source: Fujiwara et al., ECCV 2024, Sec. 3.2 ("shuffling the events ... to generate a
    new description with a different chronological order").
    """
    _check_events(events, "shuffle_events")
    rng = _generator(rng)
    events = list(events)
    labels = _labels(events)
    if len(events) < 2 or len(set(labels)) < 2:
        return None
    while True:  # terminates: at least one order differs, each draw is uniform
        perm = rng.permutation(len(events))
        if [labels[int(k)] for k in perm] != labels:
            return [events[int(k)] for k in perm]


def shuffled_captions(
    caption_or_events: str | Sequence[str], k: int, rng: np.random.Generator | int
) -> list[str]:
    """Up to ``k`` distinct chronologically wrong captions, each joined by :func:`join_events`.

    Args:
        caption_or_events: a caption (split with :func:`split_events`) or its events.
        k: how many negatives to draw (>= 0).
        rng: source of randomness, or an int seed.

    Returns:
        ``min(k, number of distinct wrong orders)`` captions in random order; ``[]`` for a
        single-event caption.

    Raises:
        ValueError: if ``k < 0``; a caption that :func:`split_events` refuses (blank, no
            word).
        TypeError: ``rng`` is neither a Generator nor an int; a caption not a str.
        ImportError: a caption given and no spaCy English model installed.

    Source: Fujiwara et al., ECCV 2024, Sec. 4.1 (shuffled events as hard negatives; with
    several per caption for the N x (N + K) similarity matrix).
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    rng = _generator(rng)
    events = (
        split_events(caption_or_events)
        if isinstance(caption_or_events, str)
        else [str(e) for e in caption_or_events]
    )
    labels = _labels(events)
    if k == 0 or len(set(labels)) < 2:
        return []
    total = _num_distinct_orders(labels) - 1
    if total <= MAX_ENUMERATED_ORDERS:
        orders = all_orders(events, limit=total + 1)[1:]
        pick = rng.choice(len(orders), size=min(k, len(orders)), replace=False)
        return [join_events([events[j] for j in orders[int(p)]]) for p in pick]
    seen: list[str] = []
    original = join_events(events)
    for _ in range(50 * k):
        cap = join_events(shuffle_events(events, rng))
        if cap != original and cap not in seen:
            seen.append(cap)
            if len(seen) == k:
                break
    return seen


_CONNECTIVE_WORDS = frozenset({"then", "and", "after", "afterwards", "that", "this", "before",
                               "finally", "next", "followed", "by", "while", "later"})
"""Words that order events without being one (a caption of these alone has no event)."""


def format_events_report(caption: str, seed: int = 0) -> str:
    """Human-readable report for ``motionlex events "caption"``: events and a shuffled order.

    Args:
        caption: the caption to split.
        seed: seed of the shuffle (as :func:`shuffled_captions` draws CAR's negatives).

    Returns:
        Several lines: the caption, the numbered events, the canonical joined form and one
        shuffled caption (or a note why there is none: a single event, or events that
        all read the same).

    Raises:
        TypeError: if ``caption`` is not a str.
        ValueError: if ``caption`` is empty or blank, has no English (Latin-letter) word
            (``"一个人走路，然后坐下"``), or holds sequence connectives and punctuation alone
            (", then": no event).
    """
    if not re.search(r"[a-z]", _check_caption(caption).lower()):  # 一个人走路: no English
        raise ValueError(f"the caption {caption.strip()[:40]!r} has no English words: events "
                         "are split on English words such as 'then' and 'after'; describe the "
                         "motion in English, e.g. 'a person jumps, then sits down'")
    events = split_events(caption)
    if not any(set(re.findall(r"[a-z']+", e.lower())) - _CONNECTIVE_WORDS for e in events):
        raise ValueError(f"the caption {caption.strip()!r} has no events, only sequence "
                         "words: describe a motion, e.g. 'a person jumps, then sits down'")
    lines = [f"caption:  {caption.strip()}", f"events ({len(events)}):"]
    lines += [f"  {i + 1}. {e}" for i, e in enumerate(events)]
    lines.append(f"joined:   {join_events(events)}")
    # the CAR negative training draws, so "--seed 0" prints what shuffled_captions(events,
    # 1, 0) gives (the README's example)
    shuffled = shuffled_captions(events, 1, seed)
    if not shuffled:
        why = ("a single event has no wrong order" if len(events) < 2 else
               "the events read the same, so every order is the same caption")
        lines.append(f"shuffled: (none: {why})")
    else:
        lines.append(f"shuffled: {shuffled[0]}  (seed {seed})")
    return "\n".join(lines)


def normalize_caption(text: str) -> str:
    """THE key under which two captions are the same caption, everywhere.

    Lower-case, whitespace collapsed, trailing dots and spaces cut: ``"A person  walks. "``
    and ``"a person walks"`` match; word forms, inner punctuation and side words are kept, so
    a mirrored caption that swapped "left" for "right" is a different caption (and a
    mirrored copy without side words is the same one). The "All" retrieval protocol takes
    its positives by this key; training keeps identical captions out of the negatives by it
    (TMR's false-negative filtering) and out of one batch.
    """
    return " ".join(text.lower().split()).rstrip(". ")


def split_subject(caption: str) -> tuple[str | None, str]:
    """Normalise a caption and split off a leading subject.

    Args:
        caption: e.g. ``"Someone raises both hands energetically. "``.

    Returns:
        ``(subject, rest)``: ``("Someone", "raises both hands energetically")``; subject is
        ``None`` (and ``rest`` the whole normalised caption) when the caption does not start
        with a recognised subject such as "a person", "someone", "the man", "he", "she".
        Whitespace is collapsed and trailing ``.!?;,`` removed.

    Raises:
        ValueError: when ``caption`` is empty after normalisation.
    """
    text = _TRAILING.sub("", " ".join(str(caption).split()))
    if not text:
        raise ValueError(f"empty caption: {caption!r}")
    m = _SUBJECT.match(text)
    if m is None:
        return None, text
    return m.group(1), text[m.end():]


def compose_captions(captions: Sequence[str], order: Sequence[int] | None = None
                     ) -> tuple[str, list[str]]:
    """Join single-event captions into one multi-event caption.

    Args:
        captions: ``n >= 1`` captions in true chronological order.
        order: indices into ``captions`` giving the order to join them in (default: true
            order). The subject is always that of ``captions[0]``, so a reordered caption
            differs from the true one only in the order of its events.

    Returns:
        ``(caption, events)``: e.g. ``("a person waves the right hand, then walks
        forward", ["a person waves the right hand", "a person walks forward"])``; events in
        the joined order, full-clause form.

    Rules: each caption is normalised (whitespace collapsed, trailing ``.!?;,`` removed);
    when every caption starts with a recognised subject ("a person", "someone", "the man",
    "he", ...) the subject is named once, from ``captions[0]``, and the predicates are
    joined by :func:`join_events`; otherwise the normalised captions are joined whole.
    Events are in full-clause form ("a person walks forward"), which is what
    :func:`~motionlex.core.text.events.split_events` returns for the composed caption.

    Raises:
        ValueError: no captions, an empty caption, or ``order`` that is not a permutation.
    """
    if len(captions) == 0:
        raise ValueError("compose_captions needs at least one caption, got none")
    order = list(range(len(captions))) if order is None else [int(i) for i in order]
    if sorted(order) != list(range(len(captions))):
        raise ValueError(f"order {order} is not a permutation of 0..{len(captions) - 1}")
    parts = [split_subject(c) for c in captions]
    if all(s is not None for s, _ in parts):
        subject = parts[0][0]
        preds = [lower_first(parts[i][1]) for i in order]
        return f"{subject} {join_events(preds)}", [f"{subject} {p}" for p in preds]
    whole = [lower_first(s + " " + r if s else r) for s, r in parts]
    events = [whole[i] for i in order]
    return join_events(events), events
