"""Which search-as-you-type queries the query history keeps (Up in the query box). No Qt.

A query typed and left to search itself (:attr:`QueryEdit.typingPaused
<motionlex.widgets.query_edit.QueryEdit.typingPaused>`) never went through Enter, so it
never reached the history: a user who browsed its results could not bring it back with Up
(audit 35 #2). Every pause in typing sends a query, so keeping each one would fill the
history with the prefixes of one query ("a pe", "a person cl", "a person claps"). A live
query is kept once its results were shown and the user moved on from it:

- its results are used: the keyboard or the mouse leaves the query box (Down into the
  results, a click on a result, Compare, a dialog), or the window closes; or
- another query replaces it after its results were on screen for
  :data:`READ_AFTER_S` seconds, and that query does not go on typing it (a query that
  starts with it is the same one, still being typed).

Enter, a clicked word and a dropped file keep their own queries (:mod:`motionlex.app.searching`).
"""

from __future__ import annotations

READ_AFTER_S = 2.0
"""Seconds a live query's results stay on screen before a query replacing it keeps it."""


class LiveQueries:
    """The newest live query, until it is kept in the history or dropped."""

    def __init__(self) -> None:
        self._text: str | None = None  # the newest query sent, when it was a live one
        self._shown_at: float | None = None  # when its results were shown (clock, s)

    @property
    def pending(self) -> str | None:
        """The newest live query, not yet kept (None: none, or the newest query was not a
        live one)."""
        return self._text

    def sent(self, text: str | None, live: bool, now: float) -> str | None:
        """A query was sent: ``text`` (None for a query by motion), typed live or not.

        Args:
            text: the query's words (stripped), or None.
            live: sent by a pause in typing (search as you type).
            now: the clock, seconds.

        Returns:
            The live query it replaces, to keep in the history: its results were shown for
            :data:`READ_AFTER_S` or longer and ``text`` does not go on typing it; else None.
        """
        old, shown = self._text, self._shown_at
        keep = old if (old is not None and shown is not None and now - shown >= READ_AFTER_S
                       and not (text or "").startswith(old)) else None
        self._text, self._shown_at = (text, None) if live and text else (None, None)
        return keep

    def shown(self, now: float) -> None:
        """The newest query's results are shown (``now``: the clock, seconds)."""
        if self._text is not None and self._shown_at is None:
            self._shown_at = now

    def used(self) -> str | None:
        """The user moved on from the results shown (left the query box, closed the window).

        Returns:
            The live query whose results those are, to keep in the history (once), or None
            (no live query, or its results not shown yet).
        """
        if self._text is None or self._shown_at is None:
            return None
        keep, self._text, self._shown_at = self._text, None, None
        return keep
