"""Completing a word the user stopped typing at: the known words that extend it.

A query's last word, typed up to the end of the text, may be unfinished: "a person climbs a
ladd" is "ladder" cut short more likely than "lad" with a letter too many, which the fewest
edits rule of :class:`~motionlex.core.text.spelling.Speller` proposes (GUI audit B #8).
:class:`Completer` proposes, for such a word, a known word that starts with it: a preferred
word (the model's lexical words, the gallery's caption words) before another, then the
fewest letters added, then the alphabet. Pure Python (a sorted list and ``bisect``); no
model, no Qt.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable

MIN_PREFIX = 3
"""Fewest letters a word needs before it is completed ("cl" starts too many words)."""


class Completer:
    """Known words, sorted, and the best of them that extend a typed prefix.

    Args:
        known: every word known (lower case), e.g. a :class:`Speller`'s ``known``.
        preferred: known words proposed first (e.g. a :class:`Speller`'s ``preferred``).
    """

    def __init__(self, known: Iterable[str], preferred: Iterable[str] = ()) -> None:
        self._words = sorted({w.lower() for w in known})
        self._preferred = frozenset(w.lower() for w in preferred)

    def complete(self, prefix: str) -> str | None:
        """The known word that ``prefix`` most likely begins: preferred first, then the
        shortest, then alphabetical; ``None`` for a prefix shorter than
        :data:`MIN_PREFIX` letters or one no longer known word starts with.

        Args:
            prefix: the word as typed (any case).
        """
        p = prefix.lower()
        if len(p) < MIN_PREFIX:
            return None
        best: tuple[bool, int, str] | None = None
        for w in self._words[bisect_left(self._words, p):]:
            if not w.startswith(p):
                break
            if len(w) > len(p):
                key = (w not in self._preferred, len(w), w)
                best = key if best is None or key < best else best
        return None if best is None else best[-1]
