"""Notes a text query gets on stderr before it is ranked (``search``, ``words``): a query
that is a motion file's path, a query longer than the model reads, and query words the model
does not know (typos, with what was meant; English words it reads in pieces; another
language), and a query none of whose words is a motion word.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Any

from motionlex.core.model.types import EncoderModel


def motion_path_query(text: str, what: str) -> str | None:
    """The motion file a text query names, as the explorer's query box reads it
    (:func:`~motionlex.core.motion.query_paths.names_motion_file`), said on stderr ("note:
    the query is a path: {what} X (--motion)"); None for words.

    Args:
        text: the query as given.
        what: what the command does with the motion ("searching by the motion in").
    """
    from motionlex.core.motion.query_paths import names_motion_file

    named = names_motion_file(text)
    if named is None:
        return None
    if named.is_file():  # else the load names the missing file, in one line
        print(f"note: the query is a path: {what} {named} (--motion)", file=sys.stderr)
    return str(named)


def warn_long_text(text: str, model: EncoderModel) -> None:
    """On stderr: a query longer than the text encoder reads (``max_text_length`` tokens) is
    cut there; say so rather than rank on part of it silently (it said nothing for the
    text-only model ``search`` loads)."""
    n, limit = model.count_tokens(text), int(model.config.max_text_length)
    if n > limit:  # the full model or the text-only one search loads: both count
        print(f"note: the query is {n} tokens long; the model reads its first {limit} "
              f"(about {limit * 3 // 4} words)", file=sys.stderr)


def warn_unknown_words(text: str, model: EncoderModel, index: Any = None) -> list[Any]:
    """On stderr: the query words the model does not know, with the closest known words
    (the explorer's "did you mean" line; :class:`~motionlex.core.text.spelling.Speller`);
    with an ``index``, its captions' words count as known too. A query of function words
    alone ("the a of", "a person") gets a note too: it names no motion, and its ranking
    (confident-looking scores) means little.

    Returns:
        the :class:`~motionlex.core.text.spelling.Correction` s said (``[]``: none), for
        ``--json``'s ``unknown_words``.
    """
    from motionlex.core.text.spelling import (
        MIN_WORD_LENGTH,
        WORD_PATTERN,
        Speller,
        apply_corrections,
        names_no_motion,
        reads_as_english,
        unknown_words_note,
        whole_words,
    )

    if names_no_motion(text):
        print(f"note: {text.strip()[:40]!r} names no motion (only words such as 'a', 'the', "
              f"'person'), so these results mean little; describe one, e.g. 'a person walks "
              f"forward'", file=sys.stderr)
        return []
    vocabulary = whole_words(model.vocabulary)
    if not Speller(vocabulary).check(text):  # every word known: is one a motion word?
        _warn_no_motion_word(text, model, index)
        return []
    captions = set() if index is None else {
        w.lower() for c in index.first_captions for w in WORD_PATTERN.findall(c or "")}
    speller = Speller(vocabulary, captions)  # caption words known too
    corrections = speller.check(text)
    if corrections:  # English words the tokenizer splits ("lunges") are no typos: spaCy's
        from motionlex.core.text.words import dictionary_words  # dictionary, read only now

        try:
            speller = Speller(vocabulary, captions, dictionary_words())
            corrections = speller.check(text)
        except ImportError:  # no English model: every unknown word stays named
            pass
    if not corrections:
        return []
    if not reads_as_english(text, corrections, speller.english):  # no unrelated suggestions
        shown = text.strip()  # cut at a word, not inside one
        shown = shown if len(shown) <= 60 else shown[:57].rsplit(" ", 1)[0] + " ..."
        print(f"note: {unknown_words_note(repr(shown))}", file=sys.stderr)
        return [replace(c, suggestion=None) for c in corrections]
    words = ", ".join(f"{c.word} (did you mean {c.suggestion!r}?)" if c.suggestion else c.word
                      for c in corrections)
    note = f"note: words the model does not know: {words}; {'ranked' if index else 'read'} as typed"
    checked = [w for w in WORD_PATTERN.findall(text) if len(w) >= MIN_WORD_LENGTH]
    if len(corrections) == len(checked):  # no word the speller checks is known: say so
        note += " (no word of the query is known, so these results mean little)"
    fixed = apply_corrections(text, corrections)
    if fixed != text:
        note += f"; try: {fixed!r}"
    print(note, file=sys.stderr)
    return list(corrections)


def _warn_no_motion_word(text: str, model: EncoderModel, index: Any = None) -> None:
    """On stderr, as the explorer's line says it: a query of known words none of which the
    model's lexical vectors weigh or (with an ``index``) its captions use ("the weather is
    nice today") names nothing a motion caption taught; its ranking means little
    (:func:`~motionlex.core.text.spelling.names_a_word_of`)."""
    from motionlex.core.text.spelling import WORD_PATTERN, lexical_whole_words, names_a_word_of

    known = {w.lower() for w in lexical_whole_words(model.vocabulary,
                                                     model.lexical_excluded().tolist())}
    if known and index is not None:
        known |= {w.lower() for c in index.first_captions for w in WORD_PATTERN.findall(c or "")}
    if not names_a_word_of(text, frozenset(known)):
        print("note: no word of the query is one the model learned from motion captions, so "
              "these results mean little; describe a motion, e.g. 'a person walks forward'",
              file=sys.stderr)

