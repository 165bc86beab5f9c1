"""The status-bar texts of :class:`~motionlex.app.state.ExplorerState` that are composed from
the worker's messages: a gallery opened, a ranking arrived, a query not searched because
the opening of its gallery was cancelled. Pure functions of plain values (no Qt); the state
decides when each is said and for how long.
"""

from __future__ import annotations

from motionlex.app.messages import GalleryInfo, RankResult
from motionlex.app.texts import motions
from motionlex.core.wording import count


def sentence(text: str) -> str:
    """``text`` with a capital first letter and a final full stop (``""`` stays ``""``)."""
    text = text.strip()
    if not text:
        return ""
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def gallery_opened_text(info: GalleryInfo, model_note: str = "") -> str:
    """``"Gallery [built and ]opened: N motions (… skipped …) (… not upright …). NOTE"``.

    Args:
        info: the gallery opened.
        model_note: the note of the checkpoint loaded with it (:func:`sentence`), repeated
            after the gallery's own text (``""``: none).
    """
    note = (f" ({count(len(info.skipped), 'file')} skipped: the gallery label at the "
            "bottom right names them)" if info.skipped else "")
    if info.not_upright:  # a Z-up export: its skeletons lie, its results mean little
        note += (f" ({count(len(info.not_upright), 'motion')} not upright along +Y: a Z-up "
                 "export must be rotated first; the gallery label names them)")
    built = "built and " if info.built else ""
    return f"Gallery {built}opened: {motions(info.size)}{note}. {model_note}".strip()


def ranking_text(result: RankResult) -> str:
    """``"K results of N, ranked in T ms[, order-aware (…)].[ The query is … tokens long …]"``
    (the order weight when the ranking was order-aware, and a warning when the query was
    cut at the model's token limit)."""
    how = (f", order-aware (score + {result.order_weight:g} \u00d7 order margin)"
           if result.order_weight else "")
    cut = (f" The query is {result.query_tokens} tokens long: the model reads its first "
           f"{result.max_tokens}, the rest is left out." if result.cut else "")
    return (f"{len(result.hits):,} results of {result.total:,}, ranked in "
            f"{result.seconds * 1000:.0f} ms{how}.{cut}")


def not_searched_text(pending: str, asked: str, searchable: bool) -> str:
    """What the status bar says when a gallery's opening is cancelled while ``pending`` (a
    query typed meanwhile) waited for it.

    Args:
        pending: the query that was not searched.
        asked: the text query of the results shown (``""``: none).
        searchable: whether the gallery still open can be searched by text.
    """
    where = (f"the results shown are for “{asked}”" if asked else
             "Enter searches the gallery that is open" if searchable
             else "nothing searchable is open")
    return (f"Opening the gallery was cancelled: “{pending}” was not "
            f"searched ({where}; it stays in the query box).")
