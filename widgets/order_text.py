"""The chronology panel's words, without Qt: event numbers of an order, how many orders a
caption has, and the verdict line (does the model prefer the caption's own order?).

CAR, Chronologically Accurate Retrieval (Fujiwara, Tanaka, Yu, ECCV 2024, Sec. 3-4), counts a
caption as right when its true event order scores highest; the verdict says that for one
motion, and says so plainly when orders score the same (the model cannot tell them apart:
for instance events that lie past the tokens the text encoder reads).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from motionlex.core.text.orders import num_orders

DECIMALS = 3
"""Decimals of the table's scores; orders whose scores read the same there are a tie, and
every gap the verdict names is a difference of the scores as shown."""


def order_steps(text: str, events: Sequence[str]) -> str:
    """The event numbers of an order's caption, e.g. ``"2 \u2192 1"`` (``""`` when its parts
    are not the events, e.g. a caption typed by the user). An event that occurs twice
    ("jumps, then sits down, then jumps") takes its numbers in turn, so the true order
    reads ``1 \u2192 2 \u2192 3``.

    Args:
        text: an order's caption, events joined with ``", then "``.
        events: the events in true order (numbered from 1).
    """
    free: dict[str, list[int]] = {}  # event text -> its numbers not yet used, in order
    for i, e in enumerate(events, start=1):
        free.setdefault(_event_key(e), []).append(i)
    parts = []
    for p in text.split(", then "):  # a repeated event takes its numbers in turn
        left = free.get(_event_key(p))
        if not left:
            return ""
        parts.append(left.pop(0))
    if len(events) < 2 or len(parts) != len(events):
        return ""
    return " \u2192 ".join(str(p) for p in parts)


def _event_key(text: str) -> str:
    """An event as the panel compares it: lower-case, outer punctuation and extra spaces cut."""
    return " ".join(str(text).lower().strip(" .!?;,").split())


def distinct_orders(events: Sequence[str]) -> int:
    """How many different orders ``events`` have (:func:`~motionlex.core.text.orders.
    num_orders` of the events as the panel compares them: ``["jumps", "sits", "jumps"]``:
    3)."""
    return num_orders([_event_key(e) for e in events])


def check_orders(orders: Sequence[tuple[str, float, bool]]) -> list[tuple[str, float, bool]]:
    out = []
    for i, item in enumerate(orders):
        try:
            text, sim, is_true = item
        except (TypeError, ValueError) as e:
            raise ValueError(
                f"orders[{i}]: expected (caption, similarity, is_true_order), got {item!r}"
            ) from e
        if not isinstance(text, str):
            raise ValueError(f"orders[{i}]: caption must be a str, got {type(text).__name__}")
        try:
            s = float(sim)
        except (TypeError, ValueError) as e:
            raise ValueError(f"orders[{i}]: similarity must be a number, got {sim!r}") from e
        if not math.isfinite(s):
            raise ValueError(f"orders[{i}]: similarity must be finite, got {sim!r}")
        out.append((text, s, bool(is_true)))
    return out


def shown(score: float) -> float:
    """A score as the table shows it (:data:`DECIMALS` decimals; ``-0.0`` reads ``0.0``)."""
    return round(float(score), DECIMALS) + 0.0


def tied_rows(ranked: Sequence[tuple[str, float, bool]]) -> int:
    """How many of the ``ranked`` orders (best first) show the best score (1: the best
    stands alone; 0: no orders)."""
    if not ranked:
        return 0
    return sum(1 for o in ranked if shown(o[1]) == shown(ranked[0][1]))


def order_verdict(ranked: Sequence[tuple[str, float, bool]], name: str = "true") -> str:
    """The verdict above the panel's table, in the scores as the table shows them.

    Args:
        ranked: ``(caption, similarity, is_true_order)`` per order, best first.
        name: what the written order is called (``"true"``, ``"query"``, ``"your caption"``).

    Returns:
        One or two sentences: which order the model prefers and by how much, or that the
        caption's order ties with others.
    """
    if not ranked:
        return "No event orders to compare."
    if len(ranked) == 1:
        return ("One event: no other order to compare. Events are what a caption "
                "joins with words such as \u201cthen\u201d or \u201cafter\u201d "
                "(\u201ca person waves, then sits down\u201d).")
    true_ranks = [i for i, o in enumerate(ranked) if o[2]]
    order = "your caption's order" if name == "your caption" else f"the {name} order"
    if not true_ranks:
        return f"{len(ranked)} orders; {order} is not among them."
    r, n = true_ranks[0], len(ranked)
    tied = tied_rows(ranked)
    best = shown(ranked[0][1])
    if r < tied and tied > 1:  # the caption's order is among equal best scores
        if tied == n:
            return (f"The model cannot tell these {n} orders apart: all score {best:.3f} "
                    f"(events past the tokens the model reads, or too alike for it, change "
                    f"nothing).")
        return (f"No clear preference: {order} and {tied - 1} other "
                f"order{'s' if tied > 2 else ''} score {best:.3f}, the best of {n}.")
    if r == 0:  # by how much the winner beats the runner-up, as shown: at least 0.001
        return (f"The model prefers {order} by {best - shown(ranked[1][1]):.3f} ({n} "
                f"orders).")
    gap = best - shown(ranked[r][1])
    r = sum(1 for o in ranked if shown(o[1]) > shown(ranked[r][1]))  # as shown: equal, equal
    upper = f"{order[0].upper()}{order[1:]}"
    if tied > 1:  # several orders share the best score: none of them is "the" preferred
        return (f"{upper} ranks {r + 1} of {n}: {tied} orders share the best score, "
                f"{best:.3f}, {gap:.3f} above it.")
    return (f"{upper} ranks {r + 1} of {n}: the model prefers \u201c{ranked[0][0]}\u201d "
            f"by {gap:.3f}.")


def scored_note(scored: int, possible: int) -> str:
    """`` Scored: a sample of 24 of its 5,040 orders.`` when not every order was scored,
    else ``""`` (a leading space, to follow the verdict)."""
    if scored < 2 or possible <= scored:
        return ""
    many = f"{possible:,}" if possible < 10**12 else "over a trillion"
    return f" Scored: a sample of {scored} of its {many} orders."


POOR_COSINE = 0.1
"""Dense cosine below which an order matches the motion poorly: when even the best order
does, ranking the orders says little (a 4-event caption on a walk scored -0.37 for all 24)."""


def poor_note(ranked: Sequence[tuple[str, float, bool]]) -> str:
    """A sentence for the verdict when every order (``ranked``, best first) scores below
    :data:`POOR_COSINE`, else ``""``; of the caption when only one order was scored (it
    said "Every order" for a one-event caption, review 36 #26)."""
    if not ranked or shown(ranked[0][1]) >= POOR_COSINE:
        return ""
    if len(ranked) == 1:
        return (f" The caption matches this motion poorly ({shown(ranked[0][1]):.3f}): it "
                "hardly describes it.")
    return (f" Every order matches this motion poorly (best {shown(ranked[0][1]):.3f}): the "
            "caption hardly describes it, so the order ranking says little.")
