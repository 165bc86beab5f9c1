"""Events from scanned pieces: shared subjects restored, gerunds inflected, connectives dropped.

Turns the pieces of :mod:`motionlex.core.text.scan` into event token lists; the rules are
listed in :mod:`motionlex.core.text.events`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from motionlex.core.text.scan import (
    _AFTER_OBJ,
    _CONJ,
    _GAP_START,
    _NOUNISH,
    _NP,
    _SEQ_ADVERBS,
    _SUBJECT_WORDS,
    _VERB,
    _WHILE,
    _duration_end,
    _Piece,
    _skip_adverbs,
    _Tok,
    _verb_start,
)

_IRREGULAR_3SG = {"be": "is", "have": "has", "do": "does", "go": "goes"}
_IRREGULAR_PAST = dict(
    pair.split(":")
    for pair in (
        "be:was have:had do:did go:went sit:sat stand:stood run:ran get:got take:took "
        "make:made fall:fell throw:threw catch:caught come:came lie:lay bend:bent kneel:knelt "
        "hold:held put:put swing:swung spin:spun rise:rose lean:leaned begin:began keep:kept "
        "leave:left give:gave swim:swam stop:stopped step:stepped hop:hopped jog:jogged "
        "drop:dropped clap:clapped skip:skipped grab:grabbed slip:slipped hit:hit cut:cut "
        "shut:shut set:set let:let quit:quit bet:bet split:split spread:spread cast:cast "
        "win:won forget:forgot dig:dug shake:shook wake:woke draw:drew fly:flew stick:stuck "
        "sling:slung fling:flung creep:crept sweep:swept sneak:snuck tear:tore wear:wore"
    ).split()
)


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
        stem = original.lower()[:-3] if original.lower().endswith("ing") else ""
        if word is None and len(stem) > len(lemma) and stem == lemma + lemma[-1]:
            word = stem + "ed"  # the gerund shows the doubled consonant: hugging -> hugged
        elif word is None:
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
    if original.isupper() and len(original) > 1:  # "SITTING" -> "SITS"
        return word.upper()
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
    while subj and (subj[0].tag in {"RB", ",", ":"} or subj[0].low in _SEQ_ADVERBS | _CONJ):
        subj = subj[1:]  # "slowly, the person sits": the subject is "the person"
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
    # the first verb as a participle has no auxiliary before it: the tagger read a simple
    # past as one ("a man nodded before tapping": "nodded" VBN), so the events are past
    return subj, [], "VBD" if toks[k].tag == "VBN" else toks[k].tag


_SINGULAR_PRONOUNS = frozenset({"he", "she"})
"""Subject pronouns an event takes its earlier subject for ("they" and "it" are left:
"they" needs a plural verb, "it" may be an object's)."""

_PRONOUNS = frozenset({"he", "she", "they", "it"})


def _pronoun(subject: list[_Tok]) -> bool:
    """Whether a subject is one singular personal pronoun ("he", "she")."""
    return len(subject) == 1 and subject[0].low in _SINGULAR_PRONOUNS


_PERSON_NOUNS = frozenset(_SUBJECT_WORDS - _PRONOUNS - {"body", "being", "figure"})
"""Nouns that name a person ("man", "someone"): another one in a caption makes "he"/"she"
ambiguous."""

_GENDER = {"man": "he", "boy": "he", "guy": "he", "woman": "she", "girl": "she"}
"""The pronoun a gendered person noun takes."""

_OTHER = frozenset({"another", "other", "second"})


def _stand_in(pronoun: list[_Tok], named: list[_Tok], toks: list[_Tok]) -> list[_Tok] | None:
    """The subject a "he"/"she" ``pronoun`` stands for: ``named`` (the earlier subject,
    "a man"), or None when that is not certain, so the pronoun stays.

    Certain means: ``named`` is a short noun phrase ending in one person noun ("a man",
    "a standing person", "someone"; not "a man with his arms"), the pronoun's gender does
    not contradict it ("she" never stands for "a man"), and no other person is named among
    ``toks`` (the sentence's tokens: "a man walks toward a woman, then she waves" leaves
    "she"; "the person" again is the same person, "another person" is not).
    """
    if not (_pronoun(pronoun) and named and len(named) <= 3):
        return None
    noun = named[-1]
    if noun.low not in _PERSON_NOUNS:
        return None
    if _GENDER.get(noun.low, pronoun[0].low) != pronoun[0].low:
        return None
    own = {id(t) for t in named}
    for i, t in enumerate(toks):
        if t.low in _PERSON_NOUNS and id(t) not in own and (
                t.low != noun.low or (i > 0 and toks[i - 1].low in _OTHER)):
            return None
    return list(named)


def _in_place(subject: list[_Tok], k: int) -> list[_Tok]:
    """``subject`` put at token ``k`` of an event: lower-cased first letter past the start
    ("so A person steps" reads "so a person steps")."""
    first = subject[0].text if subject else ""
    if k == 0 or not first or first == "I" or (first.isupper() and len(first) > 1):
        return subject
    t = subject[0]
    return [_Tok(t.text[:1].lower() + t.text[1:], t.ws, t.low, t.tag, t.dep, t.lemma),
            *subject[1:]]


def _names_person(subject: list[_Tok]) -> bool:
    """Whether a subject names the person ("a man", "the person"), not by a pronoun ("his
    first step" names none)."""
    return any(t.low in _SUBJECT_WORDS and t.low not in _PRONOUNS for t in subject)


def _clauses(pieces: list[_Piece], carried: tuple) -> tuple[list[list[_Tok]], tuple]:
    """Restore the shared subject (and auxiliary) and inflect orphan gerunds.

    A piece without a subject takes the subject of the nearest earlier piece that has one
    (in surface order; pieces before the first subject take that first subject); the
    event of an "after" clause, moved before its main clause, takes that clause's subject.
    """
    own = [_subject(p.toks) for p in pieces]
    verb_prefix: list[_Tok] = []  # subject + verb of the last event, for gapped fragments
    first = next((o for o in own if _names_person(o[0])), None) or next(
        (o for o in own if o[0]), None)  # "... after he leans": "a person leans" first
    state = first if (first is not None and not carried[0]) else carried
    every = [t for p in pieces for t in p.toks]  # the sentence's tokens: who else is named
    events = []
    for i, (p, o) in enumerate(zip(pieces, own)):
        toks = list(p.toks)
        while toks and (toks[0].low in _CONJ or toks[0].tag in {",", ":"}):
            toks = toks[1:]
        while toks and (toks[-1].low in _CONJ or toks[-1].tag in {",", ":", "."}):
            toks = toks[:-1]
        if not toks:
            continue
        if o[0] and any(t is o[0][0] for t in toks):  # its own subject, maybe after an adverb
            named = _stand_in(o[0], state[0], every)
            if named is not None:
                # "a person walks, then he sits": "a person sits" (an event read alone, or
                # shuffled before the first one, names its subject); the verb form is this
                # event's ("he is turning and waving": "a person is waving")
                k = next(i for i, t in enumerate(toks) if t is o[0][0])
                toks = toks[:k] + _in_place(named, k) + toks[k + len(o[0]):]
                state = (named, o[1], o[2])
            else:
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
        if p.kind in {"after", "intro_after"}:  # "Y after X" / "after X, Y": X is Y's doing
            nxt = next((q for q in own[i + 1:] if q[0]), None)
            if nxt is not None:
                subj, aux, form = nxt
                named = _stand_in(subj, state[0], every)  # "after jumping, he sits"
                subj = subj if named is None else named
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
    out = toks[:first] + [
        t
        for t in toks[first : k + 1]
        if t.tag not in {"RB", "RBR", "RBS"} and t.low not in _SEQ_ADVERBS
    ]
    # words follow the prefix: its last token's space ("spins," had none before the comma)
    return out[:-1] + [dataclasses.replace(out[-1], ws=" ")] if out else out


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
        end = _duration_end(toks, k + 1) if t.low in {"after", "before"} else None
        if end is not None and (k == 0 or end == len(toks)):  # "after a pause": a wait
            k = end
            continue
        if (
            t.low in _SEQ_ADVERBS
            and (t.tag in {"RB", "JJ"} or (t.low == "next" and t.tag == "IN"))
            and not (  # "his first step" keeps it; a sentence's "first he waves" does not
                t.low in {"first", "firstly", "next"} and k + 1 < len(toks)
                and toks[k + 1].tag in _NOUNISH and not (k == 0 and toks[k + 1].tag == "PRP")
            )
            and not (t.low == "next" and k + 1 < len(toks) and toks[k + 1].low == "to")
        ):
            k += 1
            continue
        out.append(t)
        k += 1
    return out
