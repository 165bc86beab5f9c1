"""Clause building of event splitting (core/text/clauses.py): verb inflection, subjects and
the pronouns that stand for them, the verb prefix of gapped fragments, the sequence words
dropped from events, and shared subjects carried across pieces and sentences.

Helpers are fed hand-tagged tokens (``word/TAG/dep``), so each expected value follows from
English grammar or the docstrings' rule, not from spaCy's guesses; :func:`_clauses` runs on
pieces scanned from real captions. Whole-caption results are in test_events.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from motionlex.core.text.clauses import (
    _clauses,
    _drop_sequence_words,
    _in_place,
    _inflect,
    _main_verb_index,
    _names_person,
    _stand_in,
    _subject,
    _text,
    _verb_prefix,
)
from motionlex.core.text.events import load_parser
from motionlex.core.text.scan import _reorder, _scan, _Tok, _tokens


def _toks(spec: str) -> list[_Tok]:
    """``"a/DT/det person/NN/nsubj walks/VBZ/ROOT/walk"`` -> tokens (dependency ``dep`` and
    lemma the lower-cased word unless given)."""
    out = []
    for item in spec.split():
        text, tag, *rest = item.split("/")
        dep, lemma = (rest + ["dep", text.lower()][len(rest):])[:2]
        out.append(_Tok(text, " ", text.lower(), tag, dep, lemma))
    return out


def _words(toks: list[_Tok]) -> str:
    return " ".join(t.text for t in toks)


@pytest.fixture(scope="module")
def tag():
    nlp = load_parser()
    return lambda caption: _tokens(nlp(caption))


@pytest.fixture(scope="module")
def humanml3d_caption(shared_data: Path) -> str:
    """A real HumanML3D caption with a participle in its subject and a "before" clause."""
    lines = (shared_data / "humanml3d_samples" / "texts" / "000000.txt").read_text().splitlines()
    caption = lines[1].split("#")[0]
    assert caption == ("the standing person kicks with their left foot before going back to "
                       "their original stance.")
    return caption


# -- _inflect ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("lemma", "form", "word"), [
    ("walk", "VBZ", "walks"), ("go", "VBZ", "goes"), ("do", "VBZ", "does"),
    ("have", "VBZ", "has"), ("be", "VBZ", "is"), ("watch", "VBZ", "watches"),
    ("push", "VBZ", "pushes"), ("kiss", "VBZ", "kisses"), ("mix", "VBZ", "mixes"),
    ("carry", "VBZ", "carries"), ("play", "VBZ", "plays"),
    ("walk", "VBD", "walked"), ("wave", "VBD", "waved"), ("carry", "VBD", "carried"),
    ("play", "VBD", "played"), ("sit", "VBD", "sat"), ("stand", "VBD", "stood"),
    ("step", "VBD", "stepped"), ("throw", "VBD", "threw"),
    ("sit", "VBP", "sit"), ("sit", "VB", "sit"),
])
def test_inflect_puts_a_gerund_in_the_main_verbs_form(lemma, form, word):
    assert _inflect(lemma, form, lemma + "ing") == word
    assert _inflect(lemma, form, lemma.capitalize() + "ing") == word.capitalize()


@pytest.mark.parametrize(("lemma", "gerund", "past"), [
    ("hug", "hugging", "hugged"), ("tap", "tapping", "tapped"), ("pat", "patting", "patted"),
    ("roll", "rolling", "rolled"), ("visit", "visiting", "visited"), ("lift", "lifting", "lifted"),
    # irregular pasts win over the doubled consonant: not "hitted", "cutted", "shutted"
    ("hit", "hitting", "hit"), ("cut", "cutting", "cut"), ("shut", "shutting", "shut"),
    ("swim", "swimming", "swam"), ("win", "winning", "won"),
])
def test_inflect_keeps_the_doubled_consonant_the_gerund_shows(lemma, gerund, past):
    """Past tense from a gerund: its doubled consonant stays ("tapping" -> "tapped", not
    "taped", another word); a double letter of the lemma itself is not doubled again."""
    assert _inflect(lemma, "VBD", gerund) == past


@pytest.mark.parametrize("form", ["VBN", "VBG", "MD", "NN"])
def test_inflect_leaves_other_forms_as_written(form):
    assert _inflect("sit", form, "Sitting") == "Sitting"


# -- subjects ---------------------------------------------------------------------------------


def test_main_verb_skips_participles_used_as_adjectives(tag, humanml3d_caption):
    toks = tag(humanml3d_caption)
    assert toks[1].text == "standing"
    assert toks[_main_verb_index(toks)].text == "kicks"
    assert _main_verb_index(_toks("is/VBZ/aux walking/VBG/ROOT")) == 0
    assert _main_verb_index(_toks("a/DT/det jump/NN/ROOT")) is None


def test_subject_of_a_real_caption(tag, humanml3d_caption):
    subj, aux, form = _subject(tag(humanml3d_caption))
    assert (_words(subj), aux, form) == ("the standing person", [], "VBZ")


@pytest.mark.parametrize(("spec", "subject", "aux", "form"), [
    ("the/DT/det person/NN/nsubj is/VBZ/aux/be walking/VBG/ROOT forward/RB/advmod",
     "the person", ["is"], "VBG"),  # progressive: the auxiliary goes with the subject
    ("the/DT/det person/NN/nsubj is/VBZ/aux/be slowly/RB/advmod walking/VBG/ROOT",
     "the person", ["is"], "VBG"),
    ("slowly/RB/advmod ,/,/punct the/DT/det person/NN/nsubj sits/VBZ/ROOT down/RP/prt",
     "the person", [], "VBZ"),  # a leading adverb is not part of it
    ("then/RB/advmod he/PRP/nsubj sat/VBD/ROOT/sit", "he", [], "VBD"),
    # a first verb read as a participle has no auxiliary: a simple past ("a man nodded")
    ("a/DT/det man/NN/nsubj nodded/VBN/ROOT/nod", "a man", [], "VBD"),
    ("a/DT/det person/NN/nsubj with/IN/prep bent/JJ/amod knees/NNS/pobj walks/VBZ/ROOT",
     "a person with bent knees", [], "VBZ"),  # a noun phrase with its prepositional phrase
    ("walks/VBZ/ROOT forward/RB/advmod", "", [], "VBZ"),  # no subject: it is shared
    ("while/IN/mark walking/VBG/advcl", "", [], "VBG"),
    ("a/DT/det jump/NN/ROOT", "", [], None),  # no verb at all
])
def test_subject_aux_and_form(spec, subject, aux, form):
    subj, got_aux, got_form = _subject(_toks(spec))
    assert (_words(subj), [t.text for t in got_aux], got_form) == (subject, aux, form)


def test_names_person():
    assert _names_person(_toks("a/DT/det man/NN/nsubj"))
    assert _names_person(_toks("the/DT/det person/NN/nsubj"))
    assert not _names_person(_toks("he/PRP/nsubj"))
    assert not _names_person(_toks("his/PRP$/poss first/JJ/amod step/NN/nsubj"))
    assert not _names_person([])


# -- _stand_in: "he"/"she" named as the person only when certain ------------------------------


def _stand(pronoun: str, named: str, sentence: str) -> str | None:
    """``_stand_in`` for a pronoun and an earlier subject found among the sentence's tokens
    (tokens compared by identity, as in the module)."""
    toks = _toks(sentence)
    words = [t.text for t in toks]
    k = words.index(named.split()[0])
    subject = toks[k:k + len(named.split())]
    p = words.index(pronoun)
    got = _stand_in(toks[p:p + 1], subject, toks)
    return None if got is None else _words(got)


@pytest.mark.parametrize(("pronoun", "named", "sentence", "expected"), [
    ("he", "a man", "a/DT man/NN walks/VBZ then/RB he/PRP sits/VBZ", "a man"),
    ("she", "a person", "a/DT person/NN walks/VBZ then/RB she/PRP sits/VBZ", "a person"),
    ("he", "someone", "someone/NN walks/VBZ then/RB he/PRP sits/VBZ", "someone"),
    ("she", "a man", "a/DT man/NN walks/VBZ then/RB she/PRP sits/VBZ", None),  # gender
    ("he", "a woman", "a/DT woman/NN jumps/VBZ then/RB he/PRP turns/VBZ", None),
    ("she", "a man",  # another person named: "she" may be her
     "a/DT man/NN walks/VBZ toward/IN a/DT woman/NN then/RB she/PRP waves/VBZ", None),
    ("he", "a person",  # "another person" is someone else
     "a/DT person/NN walks/VBZ to/IN another/DT person/NN and/CC he/PRP waves/VBZ", None),
    ("he", "a person",  # "the person" again is the same one
     "a/DT person/NN walks/VBZ then/RB the/DT person/NN stops/VBZ and/CC he/PRP sits/VBZ",
     "a person"),
    ("he", "a tall old man",  # a long subject is not certain
     "a/DT tall/JJ old/JJ man/NN walks/VBZ then/RB he/PRP sits/VBZ", None),
    ("they", "a person", "a/DT person/NN walks/VBZ then/RB they/PRP sit/VBP", None),
    ("it", "a person", "a/DT person/NN walks/VBZ then/RB it/PRP sits/VBZ", None),
])
def test_stand_in(pronoun, named, sentence, expected):
    assert _stand(pronoun, named, sentence) == expected


def test_stand_in_needs_an_earlier_subject():
    toks = _toks("he/PRP sits/VBZ")
    assert _stand_in(toks[:1], [], toks) is None


def test_in_place_lowercases_a_subject_moved_past_the_start():
    subject = _toks("A/DT/det person/NN/nsubj")
    assert _in_place(subject, 0) is subject  # still first: untouched
    moved = _in_place(subject, 1)
    assert _words(moved) == "a person"
    assert (moved[0].tag, moved[0].dep, moved[0].ws) == ("DT", "det", " ")
    assert subject[0].text == "A"  # a new token, the original kept
    assert _words(_in_place(_toks("I/PRP/nsubj"), 2)) == "I"
    assert _words(_in_place(_toks("NASA/NNP/nsubj"), 2)) == "NASA"
    assert _in_place([], 3) == []


# -- _verb_prefix -----------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "prefix"), [
    ("a/DT/det person/NN/nsubj sits/VBZ/ROOT/sit down/RP/prt on/IN/prep a/DT/det chair/NN/pobj",
     "a person sits down"),  # the particle goes with the verb
    ("a/DT/det person/NN/nsubj is/VBZ/aux/be slowly/RB/advmod walking/VBG/ROOT forward/RB/advmod",
     "a person is walking"),  # adverbs between auxiliary and verb are left out
    ("a/DT/det human/NN/nsubj jumps/VBZ/ROOT to/IN/prep the/DT/det left/NN/pobj",
     "a human jumps"),
    ("a/DT/det jump/NN/ROOT", ""),
])
def test_verb_prefix(spec, prefix):
    assert _words(_verb_prefix(_toks(spec))) == prefix


# -- _drop_sequence_words ---------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "kept"), [
    ("then/RB/advmod sits/VBZ/ROOT down/RP/prt", "sits down"),
    ("finally/RB/advmod he/PRP/nsubj sits/VBZ/ROOT", "he sits"),
    ("afterwards/RB/advmod he/PRP/nsubj sits/VBZ/ROOT", "he sits"),
    ("at/IN/prep first/RB/advmod he/PRP/nsubj waves/VBZ/ROOT", "he waves"),
    ("first/RB/advmod he/PRP/nsubj waves/VBZ/ROOT", "he waves"),
    ("after/IN/prep that/DT/pobj he/PRP/nsubj jumps/VBZ/ROOT", "he jumps"),
    ("he/PRP/nsubj jumps/VBZ/ROOT after/IN/prep that/DT/pobj", "he jumps"),
    ("after/IN/prep a/DT/det pause/NN/pobj he/PRP/nsubj jumps/VBZ/ROOT", "he jumps"),
    ("he/PRP/nsubj jumps/VBZ/ROOT after/IN/prep a/DT/det few/JJ/amod seconds/NNS/pobj",
     "he jumps"),
    ("next/RB/advmod the/DT/det person/NN/nsubj runs/VBZ/ROOT", "the person runs"),
    # not sequence words here
    ("his/PRP$/poss first/JJ/amod step/NN/nsubj is/VBZ/ROOT a/DT/det jump/NN/attr",
     "his first step is a jump"),
    ("he/PRP/nsubj walks/VBZ/ROOT next/RB/advmod to/IN/prep a/DT/det chair/NN/pobj",
     "he walks next to a chair"),
    ("he/PRP/nsubj takes/VBZ/ROOT the/DT/det next/JJ/amod step/NN/dobj",
     "he takes the next step"),
    ("he/PRP/nsubj jumps/VBZ/ROOT after/IN/prep a/DT/det few/JJ/amod steps/NNS/pobj",
     "he jumps after a few steps"),
])
def test_drop_sequence_words(spec, kept):
    assert _words(_drop_sequence_words(_toks(spec))) == kept


# -- _clauses: shared subjects ----------------------------------------------------------------


def _events(tag, caption: str, carried: tuple = ([], [], None)) -> tuple[list[str], tuple]:
    """Events of one sentence as events.py builds them: scan, reorder, drop sequence words,
    build clauses."""
    pieces = _reorder(_scan(tag(caption)))
    for p in pieces:
        p.toks = _drop_sequence_words(p.toks)
    events, state = _clauses(pieces, carried)
    return [_text(e) for e in events], state


def test_pieces_without_a_subject_take_the_earlier_one(tag):
    events, state = _events(tag, "a person walks forward, then sits down and waves")
    assert events == ["a person walks forward", "a person sits down", "a person waves"]
    assert (_words(state[0]), state[2]) == ("a person", "VBZ")


def test_a_gerund_takes_the_form_of_its_subjects_verb(tag, humanml3d_caption):
    events, _ = _events(tag, humanml3d_caption)
    assert events == ["the standing person kicks with their left foot",
                      "the standing person goes back to their original stance"]
    past, _ = _events(tag, "the man walked forward before sitting down")
    assert past == ["the man walked forward", "the man sat down"]
    tapped, _ = _events(tag, "a man walked forward before tapping his foot")
    assert tapped == ["a man walked forward", "a man tapped his foot"]


def test_an_after_clause_takes_its_main_clauses_subject(tag):
    events, _ = _events(tag, "the woman sits down after jumping twice")
    assert events == ["the woman jumps twice", "the woman sits down"]


def test_a_sentence_without_a_subject_takes_the_carried_one(tag):
    carried = (_toks("A/DT/det woman/NN/nsubj"), [], "VBZ")
    events, state = _events(tag, "then sits down and waves", carried)
    assert events == ["A woman sits down", "A woman waves"]
    assert state == carried  # nothing named here: the carried subject stays


def test_a_sentence_with_its_own_subject_does_not_take_the_carried_one(tag):
    carried = (_toks("a/DT/det woman/NN/nsubj"), [], "VBZ")
    events, state = _events(tag, "the man jumps, then sits down", carried)
    assert events == ["the man jumps", "the man sits down"]
    assert _words(state[0]) == "the man"


def test_a_carried_person_is_named_for_a_later_he(tag):
    carried = (_toks("a/DT/det man/NN/nsubj"), [], "VBZ")
    events, _ = _events(tag, "he jumps, then he sits down", carried)
    assert events == ["a man jumps", "a man sits down"]
