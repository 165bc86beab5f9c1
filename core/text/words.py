"""Content words of captions and lemmas of vocabulary words, for word-level metrics.

Word precision@10 and query word recall (../shared/DESIGN.md, "Retrieval protocols") ask
whether the heaviest words of a lexical vector are words of the caption. Captions are parsed
with spaCy (the same English model as the event parser); a vocabulary word, seen without a
sentence, counts as a caption word when its surface form or its lemma read as a noun, verb or
adjective is one of the caption's content lemmas or forms.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from motionlex.core.text.events import load_parser

logger = logging.getLogger(__name__)

CONTENT_POS = frozenset({"NOUN", "VERB", "ADJ", "ADV", "PROPN", "NUM"})
"""Universal POS tags of content words."""

SUBJECT_WORDS = frozenset({
    "person", "someone", "somebody", "man", "woman", "human", "people", "figure", "subject",
    "guy", "individual", "character",
})
"""Subject nouns that every caption carries; they describe no motion."""

_KEEP_STOP = frozenset({"left", "right", "back", "forward", "up", "down", "around", "twice",
                        "front", "side", "over"})
"""spaCy stop words that describe motion here (direction, side, repetition)."""


_LEMMAS: dict[str, frozenset[str]] = {}
"""Cache of :func:`content_lemmas`: caption -> its content lemmas (validation reuses it)."""


def _is_content(t: object) -> bool:
    form, lemma = t.text.lower(), t.lemma_.lower()
    if not t.is_alpha or t.pos_ not in CONTENT_POS:
        return False
    return not ((t.is_stop and form not in _KEEP_STOP) or lemma in SUBJECT_WORDS)


def content_words(captions: Sequence[str]) -> list[frozenset[str]]:
    """Lower-case lemmas and forms of each caption's content words.

    A token counts when its POS is in :data:`CONTENT_POS`, it is alphabetic, it is not a
    spaCy stop word (direction and side words excepted) and not a subject noun
    ("person", "someone", ...).

    Args:
        captions: English captions.

    Returns:
        One frozenset of words (lemmas and surface forms, lower-case) per caption.

    Raises:
        ImportError: the spaCy English model is not installed (from :func:`load_parser`).
    """
    nlp = load_parser()
    out = []
    for doc in nlp.pipe(list(captions)):
        words: set[str] = set()
        for t in doc:
            if _is_content(t):
                words.update((t.lemma_.lower(), t.text.lower()))
        out.append(frozenset(words))
    return out


def content_lemmas(captions: Sequence[str]) -> list[frozenset[str]]:
    """Lower-case lemmas of each caption's content words (one per word, no surface forms).

    The unit of word precision@10 and query word recall: "waves the left hand" gives
    ``{"wave", "left", "hand"}``. The same tokens count as in :func:`content_words`. Results
    are cached per caption string, so validation during training parses each caption once.

    Args:
        captions: English captions.

    Returns:
        One frozenset of lemmas per caption.

    Raises:
        ImportError: the spaCy English model is not installed (from :func:`load_parser`).
    """
    todo = [c for c in dict.fromkeys(captions) if c not in _LEMMAS]
    if todo:
        for c, doc in zip(todo, load_parser().pipe(todo)):
            _LEMMAS[c] = frozenset(t.lemma_.lower() for t in doc if _is_content(t))
    return [_LEMMAS[c] for c in captions]


@lru_cache(maxsize=1)
def dictionary_lemmas() -> dict[str, frozenset[str]]:
    """The English lemmas spaCy's rule lemmatizer knows, by part of speech: a dictionary.

    The small English pipeline carries WordNet's lemma lists as the ``lemma_index`` table of
    its lemmatizer (about 58k nouns, 9k verbs, 21k adjectives, 4k adverbs, lower-case).

    Returns:
        ``{"noun": ..., "verb": ..., "adj": ..., "adv": ...}``; empty when the loaded
        pipeline has no such table (a warning is logged).

    Raises:
        ImportError: the spaCy English model is not installed (from :func:`load_parser`).
    """
    nlp = load_parser()
    lemmatizer = nlp.get_pipe("lemmatizer") if "lemmatizer" in nlp.pipe_names else None
    tables = getattr(getattr(lemmatizer, "lookups", None), "tables", ())
    if "lemma_index" not in tables:
        logger.warning("the spaCy pipeline has no lemma_index table: no dictionary of words")
        return {}
    index = lemmatizer.lookups.get_table("lemma_index")
    return {pos: frozenset(w.lower() for w in index[pos])
            for pos in ("noun", "verb", "adj", "adv") if pos in index}


@lru_cache(maxsize=1)
def dictionary_words() -> frozenset[str]:
    """Every lemma of :func:`dictionary_lemmas`, whatever its part of speech (about 80k):
    the :class:`~motionlex.core.text.spelling.Speller`'s dictionary.

    Raises:
        ImportError: the spaCy English model is not installed (from :func:`load_parser`).
    """
    return frozenset().union(*dictionary_lemmas().values())


_IRREGULAR_THIRD = {"be": "is", "have": "has"}


def third_person(verb: str) -> str:
    """The third person singular present of a verb in its base form, by the regular rules:
    ``+es`` after s, sh, ch, x, z or o ("dash" -> "dashes", "go" -> "goes"), ``y`` -> ``ies``
    after a consonant ("cry" -> "cries", "pray" -> "prays"), else ``+s``; "be" -> "is",
    "have" -> "has". The case of the first letter is kept. No dictionary: pass a verb.
    """
    low = verb.lower()
    if low in _IRREGULAR_THIRD:
        out = _IRREGULAR_THIRD[low]
    elif low.endswith(("s", "sh", "ch", "x", "z", "o")):
        out = low + "es"
    elif len(low) > 1 and low.endswith("y") and low[-2] not in "aeiou":
        out = low[:-1] + "ies"
    else:
        out = low + "s"
    return out.capitalize() if verb[:1].isupper() else out


def is_base_verb(word: str) -> bool:
    """Whether ``word`` is a verb lemma of :func:`dictionary_lemmas` ("bow", "raise"; not
    "bye", "walking", "walks"); False without the spaCy English model."""
    try:
        return word.lower() in dictionary_lemmas().get("verb", ())
    except ImportError:
        return False


_VERB_SUFFIXES = frozenset({"ing", "ed", "d"})


@lru_cache(maxsize=4096)
def dictionary_inflection(stem: str, suffix: str) -> bool:
    """Whether ``stem + suffix`` is a regular inflection of a dictionary word
    (:func:`dictionary_lemmas`): ``-ing``, ``-ed``, ``-d`` of a verb ("crouch" + "ing"),
    ``-s``, ``-es`` of a noun or verb ("staircase" + "s", "clap" + "s"), or a form that is
    a dictionary word itself ("outward" + "s"). Typos are none: "wal" + "s", "ste" + "s",
    "bee" + "ing" (a noun takes no "-ing"), "stove" + "d".

    Args:
        stem: a lower-case word (a WordPiece stem: "clap").
        suffix: the inflection without ``##``: ``"s"``, ``"es"``, ``"ed"``, ``"d"``,
            ``"ing"``.

    Raises:
        ImportError: the spaCy English model is not installed (from :func:`load_parser`).
    """
    lemmas = dictionary_lemmas()
    if any(stem + suffix in words for words in lemmas.values()):
        return True
    verb = stem in lemmas.get("verb", ())
    return verb if suffix in _VERB_SUFFIXES else verb or stem in lemmas.get("noun", ())


@lru_cache(maxsize=65536)
def word_forms(word: str) -> frozenset[str]:
    """A vocabulary word with its lemmas read as noun, verb and adjective (lower-case).

    WordPiece continuations (``##ing``) and non-alphabetic tokens return only themselves.
    """
    w = word.lower()
    if not w.isalpha():
        return frozenset({w})
    from spacy.tokens import Doc  # spaCy loads only when words are parsed

    nlp = load_parser()
    lemmatizer = nlp.get_pipe("lemmatizer") if "lemmatizer" in nlp.pipe_names else None
    forms = {w}
    if lemmatizer is not None:
        for pos in ("NOUN", "VERB", "ADJ"):
            doc = Doc(nlp.vocab, words=[w], pos=[pos])
            forms.update(lemmatizer.rule_lemmatize(doc[0]))
    return frozenset(f.lower() for f in forms)


def lemma_hits(words: Iterable[str], lemmas: frozenset[str]) -> list[str]:
    """Each word mapped to the caption lemma it is a form of, else to ``""``.

    ``lemma_hits(["waving", "left", "##s"], {"wave", "left"}) == ["wave", "left", ""]``; a
    word that is a form of two lemmas maps to the first in sorted order.
    """
    return [min(word_forms(w) & lemmas, default="") for w in words]


@lru_cache(maxsize=4096)
def text_forms(text: str) -> frozenset[str]:
    """Lower-case surface forms and lemmas of every alphabetic word and number of ``text``
    (spaCy), stop words and subject nouns included: what the text itself says. A text
    with capitals past its first letter is read lower-cased as well: spaCy takes "A PERSON
    WALKS" or "A Person Walks" for proper nouns and keeps "WALKS" as its lemma.

    Raises:
        ImportError: the spaCy English model is not installed (from :func:`load_parser`).
    """
    nlp = load_parser()
    docs = [nlp(text)]
    if text[1:] != text[1:].lower():
        docs.append(nlp(text.lower()))
    return frozenset(f for doc in docs for t in doc if t.is_alpha or t.is_digit
                     for f in (t.lower_, t.lemma_.lower()))


def own_words(words: Iterable[str], texts: Sequence[str],
              tokenize: Callable[[str], Iterable[str]] | None = None) -> frozenset[str]:
    """The vocabulary ``words`` that are forms of a word of one of ``texts``.

    A lexical vector (SPLADE form, Lyu et al., ICLR 2025, "Methods") weights words of its
    text and words the model adds (expansions); the explorer tells them apart with this.
    ``own_words(["walking", "wrong", "hands"], ["a person walks with raised hands"])`` is
    ``{"walking", "hands"}``: a word counts when its forms (:func:`word_forms`) meet the
    text's (:func:`text_forms`), or when it is one of the texts' own tokens.

    Args:
        words: vocabulary words.
        texts: the texts the vector stands for (a query; a motion's captions).
        tokenize: the model's ``word_pieces``, for vocabularies of
            WordPiece pieces (the papers' full vocabulary): the pieces a text is cut into
            ("somersaulting" -> ``so ##mers ##ault ##ing``) count as its own words. Without
            it, a continuation such as ``##ing`` never counts.

    Returns:
        The subset of ``words`` that the texts contain, in some form.

    Raises:
        ImportError: the spaCy English model is not installed (from :func:`load_parser`).
    """
    texts = [t for t in texts if t and t.strip()]
    forms = frozenset().union(*(text_forms(t) for t in texts))
    pieces = frozenset(p.lower() for t in texts for p in tokenize(t)) if tokenize else frozenset()
    return frozenset(w for w in words
                     if w.lower() in pieces or (forms and word_forms(w) & forms))
