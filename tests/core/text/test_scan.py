"""The token scan of event splitting (core/text/scan.py): tagger repairs, the word-class
helpers, the cut of a sentence into pieces at connectives and the before/after reordering.

Helpers are fed hand-tagged tokens (``word/TAG/dep``), so each expected value follows from
the rule in the docstrings and not from spaCy's guesses; the scan itself runs on real
KIT-ML and HumanML3D captions tagged by spaCy. Whole-caption results are in test_events.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from motionlex.core.text.events import load_parser
from motionlex.core.text.scan import (
    _absolute_phrase,
    _clause_start,
    _content,
    _duration_end,
    _Piece,
    _reorder,
    _scan,
    _skip_adverbs,
    _Tok,
    _tokens,
    _verb_start,
)


def _toks(spec: str) -> list[_Tok]:
    """``"a/DT/det person/NN/nsubj walks/VBZ/ROOT/walk"`` -> tokens (lemma: the lower-cased
    word unless given)."""
    out = []
    for item in spec.split():
        text, tag, dep, *lemma = item.split("/")
        out.append(_Tok(text, " ", text.lower(), tag, dep, lemma[0] if lemma else text.lower()))
    return out


def _doc(spec: str) -> list[SimpleNamespace]:
    """spaCy-like tokens (the attributes ``_tokens`` reads) with hand-picked tags: a tagger's
    misreadings, reproduced exactly."""
    return [SimpleNamespace(text=t.text, whitespace_=" ", lower_=t.low, tag_=t.tag, dep_=t.dep,
                            lemma_=t.lemma) for t in _toks(spec)]


def _words(toks: list[_Tok]) -> str:
    return " ".join(t.text for t in toks)


@pytest.fixture(scope="module")
def kitml(shared_data: Path) -> dict[str, list[str]]:
    """Real KIT-ML captions: motion id -> its caption texts."""
    ann = json.loads((shared_data / "kitml_text" / "annotations.json").read_text("utf-8"))
    return {k: [a["text"] for a in v["annotations"]] for k, v in ann.items()}


def _caption(kitml: dict[str, list[str]], key: str, start: str) -> str:
    """The caption of KIT-ML motion ``key`` that starts with ``start`` (a motion has several)."""
    found = [c for c in kitml[key] if c.startswith(start)]
    assert len(found) == 1, (key, start, kitml[key])
    return found[0]


@pytest.fixture(scope="module")
def tag():
    nlp = load_parser()
    return lambda caption: _tokens(nlp(caption))


# -- _tokens: tagger repairs ------------------------------------------------------------------


def test_verbs_read_as_nouns_after_a_subject_become_verbs():
    toks = _tokens(_doc("a/DT/det person/NN/nsubj waves/NNS/dobj"))
    assert toks[2].tag == "VBZ"
    toks = _tokens(_doc("a/DT/det person/NN/nsubj slowly/RB/advmod walks/NNS/dobj"))
    assert toks[3].tag == "VBZ"  # an adverb between subject and verb
    toks = _tokens(_doc("he/PRP/nsubj jumps/VBZ/ROOT and/CC/cc kneels/NN/conj"))
    assert toks[3].tag == "VBZ"  # a known verb after "and"
    toks = _tokens(_doc("the/DT/det person/NN/nsubj walking/NN/dobj"))
    assert toks[2].tag == "VBG"  # an -ing word read as a noun


def test_nouns_stay_nouns():
    toks = _tokens(_doc("a/DT/det person/NN/nsubj makes/VBZ/ROOT the/DT/det waves/NNS/dobj"))
    assert toks[4].tag == "NNS"  # after a determiner, not a subject
    toks = _tokens(_doc("someone/NN/nsubj something/NN/dobj"))
    assert toks[1].tag == "NN"  # "-thing" is no gerund
    toks = _tokens(_doc("a/DT/det person/NN/nsubj ceiling/NN/dobj"))
    assert toks[2].tag == "NN"  # a listed -ing noun
    toks = _tokens(_doc("a/DT/det person/NN/nsubj sing/NN/dobj"))
    assert toks[2].tag == "NN"  # too short to be a gerund


def test_than_typo_reads_as_then_unless_after_a_comparative(kitml, tag):
    caption = _caption(kitml, "00145", "A person is walking two meters straight, than")
    than = next(t for t in tag(caption) if t.text == "than")
    assert (than.low, than.tag) == ("then", "RB")
    assert than.text == "than"  # the caption's own word is kept for the event text
    for caption in ("A person walks more than two meters", "a person jumps higher than before"):
        than = next(t for t in tag(caption) if t.text == "than")
        assert than.low == "than", caption


def test_tokens_keep_the_caption_text(kitml, tag):
    """Text and trailing whitespace of every token give the caption back, character for
    character (events are cut from these tokens)."""
    for key in ("00145", "01907", "01952", "00016"):
        for caption in kitml[key]:
            assert "".join(t.text + t.ws for t in tag(caption)) == caption


# -- word-class helpers -----------------------------------------------------------------------


def test_skip_adverbs_passes_adverbs_and_sequence_words():
    toks = _toks("then/RB/advmod slowly/RB/advmod first/JJ/amod walks/VBZ/ROOT away/RB/advmod")
    assert _skip_adverbs(toks, 0) == 3  # "first" is a sequence word whatever its tag
    assert _skip_adverbs(toks, 3) == 3  # a verb: nothing skipped
    assert _skip_adverbs(toks, 4) == 5  # up to the end
    assert _skip_adverbs(toks, 9) == 9


@pytest.mark.parametrize(("spec", "end"), [
    ("after/IN/prep a/DT/det pause/NN/pobj ,/,/punct jumps/VBZ/ROOT", 3),
    ("after/IN/prep a/DT/det few/JJ/amod seconds/NNS/pobj", 4),
    ("after/IN/prep a/DT/det short/JJ/amod while/IN/pobj he/PRP/nsubj", 4),  # "while" as IN
    ("after/IN/prep two/CD/nummod moments/NN/pobj", None),  # "moments" is not listed
    ("after/IN/prep a/DT/det few/JJ/amod steps/NNS/pobj", None),  # steps are events
    ("after/IN/prep a/DT/det while/NN/pobj jumping/VBG/pcomp", None),  # not a plain wait
    ("after/IN/prep pause/NN/pobj", None),  # a duration starts with a determiner or number
])
def test_duration_end(spec, end):
    assert _duration_end(_toks(spec), 1) == end


@pytest.mark.parametrize(("spec", "held"), [
    ("elbows/NNS/nsubj bent/VBN/ROOT ,/,/punct then/RB/advmod", True),
    ("his/PRP$/poss arms/NNS/nsubj raised/VBN/ROOT", True),
    ("arms/NNS/nsubj out/RP/prt and/CC/cc", True),
    ("arms/NNS/dobj and/CC/cc legs/NNS/conj", False),
    ("arms/NNS/nsubj bent/VBN/ROOT to/IN/prep the/DT/det side/NN/pobj", False),  # goes on
    ("steps/NNS/nsubj forward/RB/advmod", False),  # not a body part
])
def test_absolute_phrase(spec, held):
    assert _absolute_phrase(_toks(spec), 0) is held


@pytest.mark.parametrize(("spec", "clause"), [
    ("he/PRP/nsubj turns/VBZ/ROOT", True),
    ("the/DT/det man/NN/nsubj slowly/RB/advmod sits/VBZ/ROOT", True),
    ("the/DT/det person/NN/nsubj is/VBZ/aux walking/VBG/ROOT", True),
    ("the/DT/det ball/NN/dobj falls/VBZ/ROOT", False),  # not a subject
    ("a/DT/det jump/NN/nsubj", False),  # no verb
    ("sits/VBZ/ROOT down/RP/prt", False),  # no noun phrase
    ("he/PRP/nsubj turning/VBG/ROOT", False),  # not finite
])
def test_clause_start(spec, clause):
    assert _clause_start(_toks(spec), 0) is clause


@pytest.mark.parametrize(("spec", "start", "expected"), [
    ("slowly/RB/advmod walks/VBZ/ROOT", 0, "VBZ"),
    ("turning/VBG/ROOT left/RB/advmod", 0, "VBG"),
    ("sit/VB/ROOT down/RP/prt", 0, "VB"),
    ("he/PRP/nsubj sits/VBZ/ROOT", 0, "CL"),
    ("after/IN/prep a/DT/det few/JJ/amod steps/NNS/pobj turns/VBZ/ROOT", 0, "VBZ"),
    ("after/IN/prep two/CD/nummod steps/NNS/pobj he/PRP/nsubj turns/VBZ/ROOT", 0, "CL"),
    ("with/IN/prep a/DT/det hop/NN/pobj lands/VBZ/ROOT", 0, "VBZ"),
    ("after/IN/prep a/DT/det pause/NN/pobj jumps/VBZ/ROOT", 0, None),  # a wait, no phrase
    ("after/IN/prep a/DT/det pause/NN/pobj jumps/VBZ/ROOT", 3, "VBZ"),  # after the wait
    ("a/DT/det jump/NN/pobj", 0, None),
    ("walks/VBZ/ROOT", 1, None),
])
def test_verb_start(spec, start, expected):
    assert _verb_start(_toks(spec), start) == expected


def test_content_ignores_connectives_and_punctuation():
    assert not _content(_toks(",/,/punct and/CC/cc then/RB/advmod ././punct"))
    assert not _content([])
    assert _content(_toks("and/CC/cc then/RB/advmod jumps/VBZ/ROOT"))


# -- _scan on real captions -------------------------------------------------------------------


def _pieces(tag, caption: str) -> list[tuple[str, str]]:
    return [(p.kind, _words(p.toks)) for p in _scan(tag(caption))]


def test_scan_cuts_at_then_and_after_that(kitml, tag):
    caption = _caption(kitml, "01907", "A person walks a few steps forward, then walks a "
                       "step back and after that he continues")
    # the connectives are dropped at the cut: ", then" and "and after that"
    assert _pieces(tag, caption) == [
        ("main", "A person walks a few steps forward"),
        ("main", "walks a step back"),
        ("main", "he continues walking forward ."),
    ]


def test_then_after_the_subject_is_no_cut(kitml, tag):
    """"he then gets pushed": "then" inside a clause (after its subject) does not end one."""
    caption = _caption(kitml, "01952", "A person stands still, he then gets pushed")
    assert [w for _, w in _pieces(tag, caption)] == [
        "A person stands still", "he then gets pushed from his left", "stumbles to his right ."]


def test_scan_marks_before_and_after_clauses(kitml, tag):
    caption = _caption(kitml, "00016", "A person moves backwards 4 steps before standing")
    assert _pieces(tag, caption) == [("main", "A person moves backwards 4 steps"),
                                     ("before", "standing still")]
    assert _pieces(tag, "a person sits down after jumping twice") == [
        ("main", "a person sits down"), ("after", "jumping twice")]
    assert _pieces(tag, "before sitting down, a person jumps twice") == [
        ("intro_before", "sitting down"), ("main", "a person jumps twice")]


def test_before_clause_of_a_real_humanml3d_caption(shared_data, tag):
    lines = (shared_data / "humanml3d_samples" / "texts" / "000000.txt").read_text().splitlines()
    caption = lines[1].split("#")[0]
    assert caption.startswith("the standing person kicks")
    assert _pieces(tag, caption) == [
        ("main", "the standing person kicks with their left foot"),
        ("before", "going back to their original stance ."),
    ]


def test_conjoined_gerunds_of_one_after_clause_share_its_group(tag):
    pieces = _scan(tag("a person sits down after jumping and waving"))
    assert [(p.kind, _words(p.toks)) for p in pieces] == [
        ("main", "a person sits down"), ("after", "jumping"), ("after", "waving")]
    assert pieces[0].group == -1 and pieces[1].group == pieces[2].group > 0


@pytest.mark.parametrize("caption", [
    "a person walks while waving both arms",
    "someone raises arms and legs",
    "A person walks more than two meters",
])
def test_scan_keeps_one_piece(tag, caption):
    assert _pieces(tag, caption) == [("main", _words(tag(caption)))]


def test_followed_by_a_gerund_or_a_noun(tag):
    assert _pieces(tag, "a person walks forward, followed by sitting down") == [
        ("main", "a person walks forward ,"), ("follow", "sitting down")]
    assert _pieces(tag, "a person walks forward followed by a jump") == [
        ("main", "a person walks forward"), ("follow_np", "a jump")]


def test_a_second_finite_verb_without_a_connective_starts_a_piece(tag):
    assert _pieces(tag, "a man walks forward turns around") == [
        ("main", "a man walks forward"), ("main", "turns around")]


# -- _reorder ---------------------------------------------------------------------------------


def _piece(word: str, kind: str = "main", group: int = -1) -> _Piece:
    return _Piece(_toks(f"{word}/VBZ/ROOT"), kind, group)


def _order(pieces: list[_Piece]) -> list[str]:
    return [p.toks[0].text for p in pieces]


@pytest.mark.parametrize(("pieces", "expected"), [
    ([("A", "main", -1), ("B", "after", 1)], ["B", "A"]),  # "A after B"
    ([("A", "main", -1), ("B", "before", 1)], ["A", "B"]),  # "A before B"
    ([("B", "intro_before", 1), ("A", "main", -1)], ["A", "B"]),  # "before B, A"
    ([("B", "intro_after", 1), ("A", "main", -1)], ["B", "A"]),  # "after B, A"
    ([("B", "after", 1), ("A", "main", -1)], ["B", "A"]),  # nothing before it to swap
    ([("A", "main", -1), ("B1", "after", 1), ("B2", "after", 1)], ["B1", "B2", "A"]),
    ([("A", "main", -1), ("B", "after", 1), ("C", "main", -1), ("D", "after", 2)],
     ["B", "A", "D", "C"]),
    ([("A", "main", -1), ("B", "main", -1), ("C", "after", 1)], ["A", "C", "B"]),
])
def test_reorder_puts_pieces_in_chronological_order(pieces, expected):
    given = [_piece(*p) for p in pieces]
    before = _order(given)
    assert _order(_reorder(given)) == expected
    assert _order(given) == before  # the input list is left as it was
