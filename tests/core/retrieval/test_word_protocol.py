"""Word precision@10 and query word recall on hand-built lexical vectors and a toy vocabulary
(content lemmas from spaCy on real-style captions)."""

from __future__ import annotations

import numpy as np
import pytest

from motionlex.core.retrieval.word_protocol import (
    heaviest_hits,
    word_precision_at_k,
    word_recall_at_k,
    word_report,
)

VOCAB = ["[PAD]", "waves", "left", "hand", "brings", "calls", "walking", "forward", "##s", "beam"]


def _vec(weights: dict[str, float]) -> np.ndarray:
    v = np.zeros(len(VOCAB), np.float32)
    for w, x in weights.items():
        v[VOCAB.index(w)] = x
    return v


def test_word_precision_and_recall_by_hand():
    top = [["wave", "", "hand", ""], ["walk"], []]
    rel = [{"wave", "hand", "left"}, {"walk", "forward"}, {"sit"}]
    # precision@4: 2/4, 1/1, 0 (no word) -> mean 0.5; @1: 1, 1, 0 -> 2/3
    assert word_precision_at_k(top, rel, k=4) == pytest.approx(0.5)
    assert word_precision_at_k(top, rel, k=1) == pytest.approx(2 / 3)
    # recall@4: 2/3, 1/2, 0/1 -> 7/18; items without relevant words are left out
    assert word_recall_at_k(top, rel, k=4) == pytest.approx(7 / 18)
    assert word_recall_at_k([["a"]], [set()]) != word_recall_at_k([["a"]], [set()])  # NaN
    assert np.isnan(word_precision_at_k([], []))
    with pytest.raises(ValueError, match="k must be"):
        word_precision_at_k(top, rel, k=0)
    with pytest.raises(ValueError, match="one entry per item"):
        word_recall_at_k(top, rel[:2])


def test_heaviest_hits_match_forms_to_caption_lemmas():
    lex = np.stack([_vec({"waves": 3, "brings": 2, "left": 1}), _vec({})])
    hits = heaviest_hits(lex, VOCAB, [frozenset({"wave", "left"}), frozenset({"x"})], k=2)
    assert hits == [["wave", ""], []]
    with pytest.raises(ValueError):
        heaviest_hits(lex[:, :3], VOCAB, [frozenset()] * 2)


def test_word_report_motions_and_queries():
    caps = [["a person waves the left hand.", "someone waves the left hand"],
            ["a person walks forward"]]
    motion_lex = np.stack([
        _vec({"waves": 5, "brings": 4, "calls": 3, "hand": 2}),   # 2 of 4 words right
        _vec({"beam": 1}),                                        # 0 of 1
    ])
    texts = [caps[0][0], caps[1][0], caps[0][0]]
    text_lex = np.stack([_vec({"waves": 2, "left": 1}),            # wave, left of wave/left/hand
                         _vec({"walking": 1, "forward": 1, "##s": 3}),  # walk, forward: all
                         _vec({"waves": 2, "left": 1})])
    out = word_report(motion_lex, caps, text_lex, texts, VOCAB, k=10)
    assert out["words/precision@10"] == pytest.approx((0.5 + 0.0) / 2)
    # motion 0 shows wave and hand of wave/left/hand; motion 1 neither walk nor forward
    assert out["words/motion_recall@10"] == pytest.approx((2 / 3 + 0.0) / 2)
    assert out["words/query_recall@10"] == pytest.approx((2 / 3 + 1.0) / 2)
    assert out["words/n_motions"] == 2 and out["words/n_queries"] == 2
    with pytest.raises(ValueError, match="one entry per motion"):
        word_report(motion_lex, caps[:1], text_lex, texts, VOCAB)


def test_every_caption_of_a_motion_names_its_words_and_wordless_captions_are_not_queries():
    """A motion captioned "a person waves" and "someone walks forward" has both captions'
    content words as its own (HumanML3D gives three captions a motion): its top words wave
    and walk, forward are all right. A caption with no content word ("he does it") is no
    query of the recall count."""
    caps = [["a person waves", "someone walks forward"]]
    motion_lex = np.stack([_vec({"waves": 3, "walking": 2, "forward": 1})])
    texts = ["a person waves", "he does it"]
    text_lex = np.stack([_vec({"waves": 1}), _vec({"beam": 1})])
    out = word_report(motion_lex, caps, text_lex, texts, VOCAB, k=10)
    assert out["words/precision@10"] == pytest.approx(1.0)
    assert out["words/n_queries"] == 1 and out["words/query_recall@10"] == pytest.approx(1.0)


def test_word_shares_are_weights_over_the_vectors_norm(model):
    """``motionlex words`` lists each word's weight and share, the weight over the whole
    vector's L2 norm (so shares multiply into the lexical cosine), not over the words shown."""
    from motionlex.core.retrieval.embed import encode_texts
    from motionlex.core.retrieval.word_protocol import word_weights

    out = word_weights(model, None, text="a person waves the left hand", k=5)
    vec = encode_texts(model, ["a person waves the left hand"]).lexical[0]
    assert len(out) == 5
    for _, weight, share in out:
        assert share == pytest.approx(weight / np.linalg.norm(vec), rel=1e-5)
    assert sum(s for _, _, s in out) < 1.0


def test_motion_recall_counts_a_lemma_once_where_precision_counts_each_form():
    """The default model's "raises both hands" motion showed raised, raises, raising at the
    top: three precision hits for one caption word (CLI/science audit 35)."""
    vocab = ["[PAD]", "raised", "raises", "raising", "hands", "both", "left"]
    lex = np.zeros((1, len(vocab)), np.float32)
    lex[0, 1:4] = [3, 2.9, 2.8]
    lex[0, 6] = 1  # "left": no word of the caption
    caps = [["a person raises both hands"]]
    out = word_report(lex, caps, lex, ["a person raises both hands"], vocab, k=4)
    assert out["words/precision@4"] == pytest.approx(3 / 4)
    assert out["words/motion_recall@4"] == pytest.approx(1 / 2)  # raise of raise, hand
