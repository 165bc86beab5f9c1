"""Word forms grouped in the lexical evidence panel (:mod:`.lexical_bars`): one row per word.

A lexical vector weighs "raised", "raises" and "raising" apart, and training spreads a
caption word over all its forms, so a side's 20 heaviest words were often six forms of two
words. With the vocabulary's groups (:func:`motionlex.core.text.word_groups.word_groups`,
given by the app once per model), a side's words are summed by group: the row "raise"
weighs what the vector puts on raise in all its forms, its tooltip lists them. A group is
the side's own (not an expansion) when one of its forms is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from motionlex.core.text.word_groups import group_weights
from motionlex.widgets.lexical_cursor import kept_cursor


@dataclass(frozen=True)
class SideWords:
    """One side's words as drawn: ``pairs`` heaviest first, ``own`` (None: not known) and,
    per drawn word that stands for several forms, its ``(form, weight)`` pairs."""

    pairs: list[tuple[str, float]]
    own: frozenset[str] | None
    forms: dict[str, tuple[tuple[str, float], ...]] = field(default_factory=dict)


def drawn_words(words: Sequence[tuple[str, float]], own: Iterable[str] | None,
                groups: Mapping[str, str] | None, max_words: int) -> SideWords:
    """A side's checked ``(word, weight)`` pairs (heaviest first) as the panel draws them.

    Args:
        words: checked pairs, heaviest first (:func:`.lexical_words.check_words`).
        own: the side text's own words, or None.
        groups: word -> group of the vocabulary; None or empty: one row per word.
        max_words: rows kept (the heaviest).

    Returns:
        :class:`SideWords`: without groups, the first ``max_words`` pairs as given.
    """
    mine = None if own is None else frozenset(own)
    if not groups:
        return SideWords(list(words[:max_words]), mine)
    weight = dict(words)
    rows = group_weights(words, groups)[:max_words]
    forms = {g: tuple((f, weight[f]) for f in fs) for g, _, fs in rows if len(fs) > 1}
    if mine is not None:
        mine = frozenset(groups.get(w.lower(), w) for w in mine) | mine
    return SideWords([(g, v) for g, v, _ in rows], mine, forms)


def forms_tip(forms: Sequence[tuple[str, float]]) -> str:
    """The tooltip part naming a grouped row's forms: ``" = raised 0.143 + raises 0.139"``."""
    return " = " + " + ".join(f"{f} {v:.3g}" for f, v in forms) if forms else ""


class GroupedWords:
    """Mixin of :class:`~motionlex.widgets.lexical_bars.LexicalBars`: each side's words as
    given, drawn one row per word (forms grouped) or one per vocabulary word."""

    _max_words: int
    _words: dict[str, list[tuple[str, float]]]
    _own: dict[str, frozenset[str] | None]
    _cursor: object

    def _init_groups(self, sides: Sequence[str]) -> None:
        self._given: dict[str, tuple[list[tuple[str, float]], Iterable[str] | None]] = {
            s: ([], None) for s in sides}
        self._groups: Mapping[str, str] | None = None
        self._grouped = True
        self._forms: dict[str, dict[str, tuple[tuple[str, float], ...]]] = {
            s: {} for s in sides}

    def set_word_groups(self, groups: Mapping[str, str] | None) -> None:
        """Set the vocabulary's word groups (word -> the word it is a form of,
        :func:`motionlex.core.text.word_groups.word_groups`); None: none. While grouping is
        on (:meth:`set_grouped`), each side draws one row per group, weights summed."""
        self._groups = dict(groups) if groups else None
        self._redraw()

    def set_grouped(self, on: bool) -> None:
        """Draw the forms of one word as one row (True, the default, when groups are set)
        or every vocabulary word on its own row (False)."""
        self._grouped = bool(on)
        self._redraw()

    def word_groups(self) -> dict[str, str] | None:
        """The vocabulary's word groups as set (:meth:`set_word_groups`), or None."""
        return None if self._groups is None else dict(self._groups)

    def is_grouped(self) -> bool:
        """Whether the rows are words with their forms summed (groups set and grouping on)."""
        return self._grouped and self._groups is not None

    def _redraw(self, sides: Sequence[str] = ()) -> None:
        changed = False
        for side in sides or tuple(self._given):
            words, own = self._given[side]
            drawn = drawn_words(words, own, self._groups if self._grouped else None,
                                self._max_words)
            if drawn.pairs == self._words[side] and drawn.own == self._own[side]:
                continue  # nothing changed: no relayout, no repaint
            self._words[side], self._own[side] = drawn.pairs, drawn.own
            self._forms[side] = drawn.forms
            changed = True
        if changed:
            self._cursor = kept_cursor(self._cursor, self._word_lists())
            self._relayout()
