"""Query words a model does not know, and the known words closest to them.

A query such as "a persn wavs the lefft hnad" still ranks the gallery, because the WordPiece
tokenizer cuts "persn" into pieces ("per", "##s", "##n"), but the pieces mean little and the
ranking is poor. :class:`Speller` finds the query words that are not known and proposes, for
each, the closest known word: fewest edits (insertions, deletions, substitutions and swaps
of two neighbouring letters: the optimal string alignment distance), then the same letters
in another order ("hnad" is "hand" before "had"), then preferred words
(the lexical vocabulary's motion words and the gallery's caption words) before other
vocabulary words, then the highest ``difflib`` similarity ratio. Pure Python (``difflib``);
no model, no Qt.

Known words: whole words of the model's vocabulary, the preferred words, an inflection of
one of them ("squats", "stumbled", "waving") and a compound of two ("counterclockwise"), so
that a real word the tokenizer happens to split is not called a typo.

Sources: Damerau, "A technique for computer detection and correction of spelling errors",
CACM 7(3), 1964 (the four edit operations; most typos are one of them); the optimal string
alignment recurrence is the restricted Damerau-Levenshtein distance.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from motionlex.core.text.word_groups import base_candidates

WORD_PATTERN = re.compile(r"[^\W\d_]+(?:['\-][^\W\d_]+)*")
"""A word of a query: letters of any script, with inner apostrophes or hyphens ("someone's",
"t-pose"); a look-alike letter from another script (Cyrillic "а" in "wаlks") stays inside
its word, which is then unknown and gets a suggestion ("walks")."""

FUNCTION_WORDS = frozenset(
    """a an the this that these those it its he she they them his her their him himself
    herself themselves someone somebody person people man woman guy lady human figure subject
    individual is are was were be been being am has have had do does did of to in on at by
    for from with as and or but so then than while when before after into onto also just
    very there here which who whom whose what""".split()
)
"""Words left out of a ``"corpus"`` lexical vocabulary: articles, pronouns, auxiliaries,
conjunctions, the generic subjects every caption starts with ("a person", "a man") and the
order words ("then", "before", "after"), which a bag of words cannot use. Motion words that
general stop lists drop ("up", "down", "back", "around", "forward", "left", "right", "twice",
"over") are kept on purpose."""


def names_no_motion(text: str) -> bool:
    """Whether a query has words and all of them are :data:`FUNCTION_WORDS` ("the a of",
    "a person"): it names no motion, so its ranking (confident-looking scores) means little.
    """
    words = [w.lower() for w in WORD_PATTERN.findall(text)]
    return bool(words) and all(w in FUNCTION_WORDS for w in words)


_VOCAB_WORD = re.compile(r"^[a-z][a-z'-]*$")  # a whole word token (no "##", "[unused0]")

MIN_WORD_LENGTH = 3
"""Shorter query words are never flagged (too many real short words are not tokens)."""

MIN_RATIO = 0.6
"""Least ``difflib`` similarity ratio of a suggestion to the typed word."""


def require_words(text: object, what: str = "query") -> str:
    """A query text, stripped, that holds at least one word (:data:`WORD_PATTERN`).

    A query of punctuation or emoji alone would still be embedded (as special tokens) and
    rank the gallery with confident-looking but meaningless scores.

    Args:
        text: the text given.
        what: what it is, for the message (``"query"``, ``"caption"``).

    Raises:
        TypeError: not a string.
        ValueError: empty, or no word in it.
    """
    if not isinstance(text, str):
        raise TypeError(f"the {what} must be a string, got {type(text).__name__}")
    if not text.strip():
        raise ValueError(f"the {what} is empty: describe a motion in English, e.g. "
                         "'a person walks forward'")
    if not WORD_PATTERN.search(text):
        raise ValueError(f"the {what} {text.strip()[:40]!r} has no words: describe a motion "
                         f"in English, e.g. 'a person walks forward'")
    return text.strip()


ENGLISH_MARKERS = frozenset(
    """a an the and then with his her their its of to from into onto while after before
    someone somebody he she they them this that is are was were""".split()
)
"""Grammatical English words: a query with none of them and mostly unknown words reads as
another language, not as English with typos (which keeps its "a", "the", "then")."""


OTHER_LANGUAGE_MARKERS = frozenset(
    """der das und mit eine einen einer ein sich ist nach dann zu auf dem des zum zur beim
    une les avec puis est sur dans pour vers
    los las una con luego del por hacia mientras
    gli poi della nella verso
    het een naar
    uma com depois""".split()
)
"""Grammatical words of German, French, Spanish, Italian, Dutch and Portuguese that are no
English words: BERT's vocabulary holds many of them ("eine", "mit", "der"), so a query such
as "eine Person winkt mit der linken Hand" has few unknown words and was taken for English
with one typo ("did you mean: wink"). Two of them, or one and two unknown words ("una persona
camina hacia adelante": "did you mean: adelaide"), and no :data:`ENGLISH_MARKERS` read as
another language."""


MARKERS_ALSO_ENGLISH = frozenset("pour con sur des vers verso".split())
"""Markers that an English query may hold ("person pour watr in glas"): two of them still
read as another language, one with typos does not."""


def _latin_share(word: str) -> float:
    letters = [ch for ch in word if ch.isalpha()]
    latin = sum(unicodedata.name(ch, "").startswith("LATIN") for ch in letters)
    return latin / len(letters) if letters else 1.0


def reads_as_english(text: str, unknown: Sequence[Correction],
                     english: Callable[[str], bool] | None = None) -> bool:
    """Whether a query reads as English (typos included) rather than another language.

    Not English: a word written mostly in another script ("一个人跳", "человек"; a single
    look-alike letter in "wаlks" is a typo); or no :data:`ENGLISH_MARKERS` and either at
    least 3 words of :data:`MIN_WORD_LENGTH`+ letters, more than half of them unknown
    ("eine Person springt zweimal und setzt sich dann hin"), or two distinct
    :data:`OTHER_LANGUAGE_MARKERS` ("eine Person winkt mit der linken Hand", whose words
    but one are in the vocabulary), or one that is not also an English word (not in
    :data:`MARKERS_ALSO_ENGLISH`: "pour", "con", ...) with two unknown words ("una persona
    camina hacia adelante"), or, given ``english``, with one unknown word and no more than
    half of the other words English ("una persona salta", "une personne marche en avant";
    "person walks und jumsp" is English with a typo), or 2+ such words all unknown, one of
    them with no close known word ("asdfgh qwerty"; "wlak forwrd" are typos). English words
    the model reads in pieces (``Correction.english``) are not unknown here.
    Suggestions for such a query are unrelated English words ("sprint, weimar"), so the
    explorer says the model reads English instead of offering them.

    Args:
        text: the query as typed.
        unknown: :meth:`Speller.check`'s corrections for ``text``.
        english: whether a word is English (:meth:`Speller.in_dictionary` of a speller with
            a dictionary); None: not known.
    """
    words = [w.lower() for w in WORD_PATTERN.findall(text)]
    if any(_latin_share(w) < 0.5 for w in words):
        return False
    if any(w in ENGLISH_MARKERS for w in words):
        return True
    unknown = [c for c in unknown if not c.english]  # English words the model lacks
    long_words = [w for w in words if len(w) >= MIN_WORD_LENGTH]
    markers = OTHER_LANGUAGE_MARKERS.intersection(words)
    if len(markers) >= 2 or (markers - MARKERS_ALSO_ENGLISH and len(unknown) >= 2):
        return False
    if markers - MARKERS_ALSO_ENGLISH and unknown and english is not None:
        others = [w for w in long_words if w not in markers]
        if 2 * sum(english(w) for w in others) <= len(others):
            return False
    if (len(long_words) >= 2 and len(unknown) >= len(long_words)  # "asdfgh qwerty", not
            and any(c.suggestion is None for c in unknown)):  # "wlak forwrd" (all typos)
        return False
    return len(long_words) < 3 or 2 * len(unknown) <= len(long_words)


def names_a_word_of(text: str, words: frozenset[str]) -> bool:
    """Whether a word of ``text`` that is not a :data:`FUNCTION_WORDS` word is one of
    ``words`` (lower case) in some regular form ("jumped" of "jump"); True for a text of
    function words alone (:func:`names_no_motion` speaks of those) and for no ``words``
    (not known). The explorer asks it of the model's lexical words and the gallery's
    caption words: "the weather is nice today" names no word a motion caption taught."""
    if not words:
        return True
    typed = [w.lower() for w in WORD_PATTERN.findall(text)]
    typed = [w for w in typed if w not in FUNCTION_WORDS]
    return not typed or any(w in words or any(b in words for b in base_candidates(w))
                            for w in typed)


def unknown_words_note(subject: str = "this query") -> str:
    """The one wording, in the explorer and on the command line, for a query that does not
    read as English (:func:`reads_as_english`): another language or keyboard mash
    ("asdf qwerty zzz") alike, so it names what is known (the words are unknown to the
    model) before why (it reads English).

    Args:
        subject: what is unknown ("this query", or the query quoted).
    """
    return (f"most words of {subject} are unknown to the model, which reads English: "
            "its results mean little")


@dataclass(frozen=True)
class Correction:
    """One query word the model does not know.

    Attributes:
        word: the word as typed (lower case).
        start / end: its character span in the query.
        suggestion: the closest known word, or ``None`` when no known word is close or
            the word is English (``english``).
        english: a dictionary word (or a regular form of one) that the model's tokenizer
            reads in pieces ("lunges"): no typo, never corrected.
    """

    word: str
    start: int
    end: int
    suggestion: str | None
    english: bool = False


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: the fewest insertions, deletions, substitutions
    and swaps of two adjacent characters that turn ``a`` into ``b`` (no substring edited
    twice). ``edit_distance("hnad", "hand") == 1``.

    Source: Damerau (1964); the restricted Damerau-Levenshtein recurrence.
    """
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


def max_edits(word: str) -> int:
    """Most edits a suggestion may be away from ``word``: 1 up to 5 letters, else 2 (a
    farther known word is more often another word than the one meant)."""
    return 1 if len(word) <= 5 else 2


def whole_words(tokens: Iterable[str]) -> list[str]:
    """The whole lower-case words of a WordPiece vocabulary (no ``##`` pieces, special
    tokens, digits or punctuation), in the given order."""
    return [t for t in tokens if _VOCAB_WORD.match(t)]


def lexical_whole_words(vocabulary: Iterable[str], excluded: Iterable[bool]) -> list[str]:
    """The :func:`whole_words` a model's lexical vectors can weigh: ``vocabulary``'s entries
    whose ``excluded`` flag (``model.lexical_excluded().tolist()``) is False.

    Raises:
        ValueError: a vocabulary and flags of different lengths.
    """
    vocabulary, excluded = list(vocabulary), list(excluded)
    if len(vocabulary) != len(excluded):
        raise ValueError(f"{len(vocabulary)} vocabulary entries but {len(excluded)} "
                         "excluded flags: they must be one per entry")
    return whole_words(t for t, off in zip(vocabulary, excluded, strict=True) if not off)


class Speller:
    """Known words of a model, and the closest of them to an unknown word.

    Args:
        vocabulary: every word the model reads as one token (e.g. :func:`whole_words` of the
            tokenizer's vocabulary); any case, non-words are ignored.
        preferred: words known too and preferred as suggestions: the model's lexical
            vocabulary (its caption-corpus words) and the open gallery's caption words.
        dictionary: English words (e.g. :func:`motionlex.core.text.words.dictionary_words`):
            a query word the model does not know but the dictionary does, in some regular
            form, is still named, with no suggestion (the tokenizer reads it in pieces,
            "lunges": ``lung ##es``; it is no typo of "lungs"); never suggested.
    """

    def __init__(self, vocabulary: Iterable[str], preferred: Iterable[str] = (),
                 dictionary: Iterable[str] = ()) -> None:
        self._vocabulary = frozenset(whole_words(w.lower() for w in vocabulary))
        self.dictionary = frozenset(w.lower() for w in dictionary)
        self._set_preferred(preferred)

    def _set_preferred(self, preferred: Iterable[str]) -> None:
        self.preferred = frozenset(whole_words(w.lower() for w in preferred))
        self.known = self._vocabulary | self.preferred
        # the words grouped by length and first letter, built by the first suggestion (a
        # check of known words, the usual case, never needs them)
        self._groups: tuple[dict[int, list[str]], dict[tuple[int, str], list[str]]] | None = None
        self._suggestions: dict[str, str | None] = {}  # typed word -> suggestion (memo)

    def with_preferred(self, preferred: Iterable[str]) -> Speller:
        """A speller with this one's vocabulary and other preferred words (e.g. the next
        gallery's caption words), without reading the vocabulary again: the explorer
        builds one per model and derives one per gallery.

        Args:
            preferred: the new preferred words (they replace this speller's).
        """
        out = copy.copy(self)  # shares the vocabulary set; the rest is set anew
        out._set_preferred(preferred)
        return out

    def __len__(self) -> int:
        return len(self.known)

    def _word_groups(self) -> tuple[dict[int, list[str]], dict[tuple[int, str], list[str]]]:
        """The known words by length and by (length, first letter), alphabetical."""
        if self._groups is None:
            by_length: dict[int, list[str]] = {}
            by_start: dict[tuple[int, str], list[str]] = {}
            for w in sorted(self.known):
                by_length.setdefault(len(w), []).append(w)
                by_start.setdefault((len(w), w[0]), []).append(w)
            self._groups = by_length, by_start
        return self._groups

    def is_known(self, word: str) -> bool:
        """Whether ``word`` (any case) is known: short, a known word, a regular inflection
        of one (``-'s`` and the rules of :func:`~.word_groups.base_candidates`: ``-s``,
        ``-es``, ``-ies``, ``-ed``, ``-ied``, ``-ing``, with a dropped ``e`` or a doubled
        consonant: "hurries", "flapped", "shrugging"), two known words of 3+ letters written
        as one, or known words joined by hyphens."""
        w = word.lower()
        if len(w) < MIN_WORD_LENGTH or w in self.known:
            return True
        if "-" in w:  # "walk-in-place", "t-pose": known when every part is
            return all(self.is_known(part) for part in w.split("-") if part)
        if w.endswith("'s") and w[:-2] in self.known:
            return True
        if any(base in self.known for base in base_candidates(w)):
            return True
        return any(w[:i] in self.known and w[i:] in self.known
                   for i in range(MIN_WORD_LENGTH, len(w) - MIN_WORD_LENGTH + 1))

    def in_dictionary(self, word: str) -> bool:
        """Whether ``word`` (any case) is a dictionary word or a regular inflection of one
        ("lunges", "pirouettes"): English, though perhaps not the model's."""
        w = word.lower()
        return w in self.dictionary or any(b in self.dictionary for b in base_candidates(w))

    @property
    def english(self) -> Callable[[str], bool] | None:
        """:meth:`in_dictionary` for :func:`reads_as_english`, or None for a speller
        without a dictionary (it knows no English beyond the model's words)."""
        return self.in_dictionary if self.dictionary else None

    def suggest(self, word: str) -> str | None:
        """The known word closest to ``word`` (see the module docstring), or ``None`` when
        none is within :func:`max_edits` edits and :data:`MIN_RATIO` similarity.

        Words with the same first letter are searched first (most typos keep it; a twentieth
        of the words to compare), all words only when none of those is close.
        """
        w = word.lower()
        if not w:
            return None
        if w in self._suggestions:
            return self._suggestions[w]
        if "-" in w and w.strip("-"):  # part by part: "walk-in-plcae" -> "walk-in-place"
            parts = [p if not p or self.is_known(p) else self.suggest(p) for p in w.split("-")]
            fixed = None if any(p is None for p in parts) else "-".join(parts)
            self._suggestions[w] = fixed
            return fixed
        limit = max_edits(w)
        lengths = range(max(1, len(w) - limit), len(w) + limit + 1)
        by_length, by_start = self._word_groups()
        best = self._closest(w, limit, [by_start.get((n, w[0]), []) for n in lengths])
        if best is None:
            best = self._closest(w, limit, [by_length.get(n, []) for n in lengths])
        if len(self._suggestions) > 4096:
            self._suggestions.clear()
        self._suggestions[w] = best
        return best

    def _closest(self, w: str, limit: int, groups: list[list[str]]) -> str | None:
        matcher = SequenceMatcher(b=w, autojunk=False)
        best: tuple[int, bool, bool, float, str] | None = None
        for group in groups:
            for cand in group:
                matcher.set_seq1(cand)
                if matcher.real_quick_ratio() < MIN_RATIO or matcher.quick_ratio() < MIN_RATIO:
                    continue
                d = edit_distance(w, cand)
                if d > limit:
                    continue
                ratio = matcher.ratio()
                if ratio < MIN_RATIO:
                    continue
                swap = sorted(cand) == sorted(w)  # same letters: a swap, the commonest typo
                key = (d, not swap, cand not in self.preferred, -ratio, cand)
                if best is None or key < best:
                    best = key
        return None if best is None else best[-1]

    def check(self, text: str) -> list[Correction]:
        """The unknown words of a query, in order, each with its suggestion.

        Args:
            text: the query as typed.

        Returns:
            One :class:`Correction` per unknown word occurrence (words of
            :data:`MIN_WORD_LENGTH` or more letters that are not known), with no suggestion
            for a dictionary word (:meth:`in_dictionary`); ``[]`` when the speller has no
            vocabulary.
        """
        if not self.known:
            return []
        out = []
        for m in WORD_PATTERN.finditer(text):
            w = m.group(0).lower()
            if not self.is_known(w):
                english = self.in_dictionary(w)
                out.append(Correction(w, m.start(), m.end(),
                                      None if english else self.suggest(w), english))
        return out


def apply_corrections(text: str, corrections: Sequence[Correction]) -> str:
    """``text`` with every corrected word replaced by its suggestion (words without one are
    kept; a typed capital first letter, or a word typed in capitals, keeps its case).

    Args:
        text: the query the corrections were made for.
        corrections: from :meth:`Speller.check` on ``text``.

    Raises:
        ValueError: when a correction's span does not hold its word in ``text``.
    """
    out, pos = [], 0
    for c in sorted(corrections, key=lambda c: c.start):
        typed = text[c.start:c.end]
        if typed.lower() != c.word:
            raise ValueError(f"correction {c.word!r} does not match {typed!r} at "
                             f"{c.start}:{c.end} of {text!r}")
        if c.suggestion is None:
            continue
        fix = (c.suggestion.upper() if typed.isupper() and len(typed) > 1
               else c.suggestion.capitalize() if typed[:1].isupper() else c.suggestion)
        out.append(text[pos:c.start] + fix)
        pos = c.end
    out.append(text[pos:])
    return "".join(out)
