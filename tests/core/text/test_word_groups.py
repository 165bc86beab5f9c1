"""Word forms of one word in a lexical vocabulary (the lexical panel's grouped rows), on the
shipped model's own vocabulary and on hand-picked words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from motionlex.core.text.spelling import whole_words
from motionlex.core.text.word_groups import base_candidates, group_weights, word_groups

MODEL = Path(__file__).parents[3] / "resources" / "default_model"


def test_regular_inflections_join_their_base_and_side_words_keep_their_rows():
    words = ["hand", "hands", "handed", "left", "leaves", "leave", "ground", "grinding",
             "stepped", "step", "boxes", "box", "carries", "carrying", "news", "new",
             "right", "rights", "across", "this", "bus"]
    g = word_groups(words)
    assert {w for w, b in g.items() if b == "hand"} == {"hand", "hands", "handed"}
    assert g["stepped"] == "step" and g["boxes"] == "box"
    assert g["carries"] == g["carrying"] == "carry"  # the base need not be a word here
    assert g["leaves"] == "leave" and "left" not in g  # no lemmatiser: left is no leave
    for alone in ("ground", "grinding", "news", "new", "right", "rights", "across", "this",
                  "bus"):
        assert alone not in g, alone  # side words and look-alike endings keep their rows
    assert word_groups(["walk"]) == {}  # a group needs two words


def test_known_words_choose_the_base_forms_share():
    """"lowered" and "lowering" share "lowere" and "lower": the tokenizer's words say which
    is English; without them the first candidate would name the group."""
    assert base_candidates("lowering")[:2] == ["lowere", "lower"]
    g = word_groups(["lowered", "lowering"], known=["lower", "raise"])
    assert g == {"lowered": "lower", "lowering": "lower"}
    assert word_groups(["raised", "raises", "raising"])["raising"] == "raise"
    assert base_candidates("goes") == ["go"] and base_candidates("left") == []


def test_words_that_only_look_like_forms_keep_their_own_rows():
    """"need" is no nee-d, "speed" no spee-d, "being" no bee-ing, "shed" no she-d, and "fled"
    and "fling" share no 3-letter "fle"; on BERT's whole-word vocabulary (the default
    lexical vocabulary of every registered config) and on a small corpus."""
    g = word_groups(["speed", "speeds", "sped", "speeding"])
    assert g == {"speed": "speed", "speeds": "speed", "speeding": "speed"}
    assert word_groups(["need", "needs", "needed", "nee"])["need"] == "need"
    assert word_groups(["being", "bee", "bees"]) == {"bee": "bee", "bees": "bee"}
    assert word_groups(["seed", "see", "sees"]) == {"see": "see", "sees": "see"}
    assert word_groups(["fled", "fling"]) == {}
    assert word_groups(["agree", "agreed", "agrees"])["agreed"] == "agree"  # a real -d
    vocab = list(json.loads((MODEL / "tokenizer" / "tokenizer.json").read_text())["model"]
                 ["vocab"])
    words = list(whole_words(vocab))
    full = word_groups(words, words)
    for word in ("need", "needs", "speed", "speeding", "being", "feed", "seed", "shed",
                 "bleed", "deed", "weed", "breed"):
        base = full.get(word, word)
        assert word.startswith(base), (word, base)  # its own group (or none)
    assert all(b in set(words) for b in full.values())  # every group named by a word
    assert full["annoyed"] == full["annoying"] == "annoyed"  # "annoye" or "annoy": unknown
    # th-ing is no the-ing, br-ing no bre-ing; dying is a form of die, not of dye
    assert full.get("thing") != "the" and full.get("bring", "bring") == "bring"
    assert word_groups(["the", "thing", "things"]) == {"thing": "thing", "things": "thing"}
    assert word_groups(["dying", "dyed", "die", "dye"]) == {
        "dying": "die", "die": "die", "dyed": "dye", "dye": "dye"}


def test_the_shipped_vocabulary_groups_its_forms():
    """On the default model's 1,053 lexical words: the forms its panel showed side by side
    ("raised, raises, raising, handed, hands, hand") become one row each; no side word and
    no word of two groups."""
    vocab = list(json.loads((MODEL / "tokenizer" / "tokenizer.json").read_text())["model"]
                 ["vocab"])
    words = list(whole_words(vocab))
    g = word_groups(words, words)
    assert g["raised"] == g["raises"] == g["raising"] == "raise"
    assert g["handed"] == g["hands"] == "hand" and g["waving"] == g["waves"] == "wave"
    assert g["walked"] == g["walking"] == g["walks"] == "walk"
    for side in ("left", "right", "clockwise", "counterclockwise"):
        assert side not in g
    assert all(g.get(base, base) == base for base in g.values())  # one level: base is root


def test_group_weights_sum_each_words_forms_heaviest_first():
    groups = {"waves": "wave", "wave": "wave", "waving": "wave", "hands": "hand",
              "hand": "hand"}
    rows = group_weights([("left", 0.5), ("waves", 0.3), ("hand", 0.2), ("waving", 0.25),
                          ("hands", 0.1), ("call", 0.05)], groups)
    assert [r[0] for r in rows] == ["wave", "left", "hand", "call"]
    assert rows[0][1] == pytest.approx(0.55) and rows[0][2] == ("waves", "waving")
    assert rows[2] == ("hand", pytest.approx(0.3), ("hand", "hands"))
    assert rows[3] == ("call", 0.05, ("call",))
    assert group_weights([], groups) == []
