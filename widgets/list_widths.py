"""How the results list and the gallery browser give way as their dock narrows.

:func:`~motionlex.widgets.column_fit.fit_columns` takes, per column, a least width (the
column is hidden below it, or for the stretched caption: the room it keeps before the other
columns narrow) and a floor (the column narrows to it, never hidden). The two lists give
them here, from their rows' display strings, as :func:`fit_columns`'s keyword arguments:

- the results list: the caption keeps its start (:data:`CAPTION_KEPT` characters), then
  the id narrows to its end (:data:`~motionlex.widgets.elide.ID_KEPT` characters), the
  score to its numbers, and only then is the id hidden (the row's tooltip names it). Where
  the first rows' caption starts are the same (Bandai's templates: every row read "a person
  raises both han…" at 1024x640, GUI audit B #6), the caption's start tells no row apart
  and keeps only its title's width: the id, which does, is kept before it (where even so
  the id does not fit, it is hidden and the caption keeps its start, as before);
- the gallery browser: the caption keeps a shorter start (:data:`GALLERY_CAPTION_KEPT`
  characters), the length narrows to its numbers
  (its title then ends in "…") and the id to its end, never hidden: the caption read
  "a pe…" beside a 94-pixel "length (s)" holding "4.6" (GUI audit B #3).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QTableView

from motionlex.widgets.column_fit import header_width, kept_width
from motionlex.widgets.column_specs import Column
from motionlex.widgets.elide import ID_KEPT

CAPTION_KEPT = 16
"""Characters of a caption (its start) kept before the id column narrows below its share."""

GALLERY_CAPTION_KEPT = 12
"""Characters of a caption the gallery browser keeps before its id narrows to its end: the
id leads there (the list is sorted and filtered by it), "a person wav…" still reads."""

FIRST_ROWS = 20
"""Rows (from the top: the ones a new list shows) whose caption starts are compared."""

Widths = dict[str, dict[int, int]]


def starts_tell_rows_apart(captions: Sequence[str], kept: int = CAPTION_KEPT,
                           rows: int = FIRST_ROWS) -> bool:
    """Whether the first ``rows`` captions' first ``kept`` characters mostly differ: more
    than half as many different starts as rows (``True`` for no captions).

    Args:
        captions: the caption column's display strings, top row first.
        kept: characters of each caption compared.
        rows: rows compared, from the top.
    """
    starts = [c[:kept] for c in captions[:rows]]
    return 2 * len(set(starts)) > len(starts)


def _numbers_floor(view: QTableView, texts: Sequence[str]) -> int:
    """Width that shows every one of ``texts`` whole (a numeric column's values)."""
    return kept_width(view, texts, max(map(len, texts), default=0))


def results_widths(view: QTableView, columns: Sequence[Column],
                   texts: Sequence[Sequence[str]]) -> Widths:
    """The results list's least widths (caption, id) and floor (score), pixels.

    Args:
        view: the list's table view (its font and header titles).
        columns: the list's columns (keys ``score``, ``caption``, ``id``).
        texts: per column, its display strings, top row first.

    Returns:
        ``least``, ``floor`` and ``least_alone`` (the caption's start, once the id is
        hidden): column -> pixels, :func:`fit_columns`'s keyword arguments.
    """
    keys = [c.key for c in columns]
    cap, ids, score = keys.index("caption"), keys.index("id"), keys.index("score")
    start = max(kept_width(view, texts[cap], CAPTION_KEPT), header_width(view, cap))
    least = {cap: start if starts_tell_rows_apart(texts[cap]) else header_width(view, cap),
             ids: max(kept_width(view, texts[ids], ID_KEPT, end=True),
                      header_width(view, ids))}
    floor = {score: max(header_width(view, score), _numbers_floor(view, texts[score]))}
    return {"least": least, "floor": floor, "least_alone": {cap: start}}


def gallery_widths(view: QTableView, columns: Sequence[Column],
                   texts: Sequence[Sequence[str]]) -> Widths:
    """The gallery browser's least width (caption) and floors (length, then id), pixels.

    Args:
        view: the browser's table view.
        columns: its columns (keys ``id``, ``caption``, ``duration``).
        texts: per column, its display strings.

    Returns:
        ``least`` and ``floor``: column -> pixels, :func:`fit_columns`'s keyword
        arguments; the length is listed first, so it narrows before the id.
    """
    keys = [c.key for c in columns]
    cap, ids, length = keys.index("caption"), keys.index("id"), keys.index("duration")
    least = {cap: max(kept_width(view, texts[cap], GALLERY_CAPTION_KEPT),
                      header_width(view, cap))}
    floor = {length: _numbers_floor(view, texts[length]),
             ids: max(kept_width(view, texts[ids], ID_KEPT, end=True),
                      header_width(view, ids))}
    return {"least": least, "floor": floor}
