"""MotionTextModel: outputs, padding, tying, scales, groups, caption words (core/model/model.py)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from motionlex.core.model.factory import create_model
from motionlex.core.model.model import MotionTextModel
from motionlex.core.model.text_encoder import MINILM_PACKAGE_ID


def test_output_shapes_norms_and_non_negativity(tiny: MotionTextModel, make_batch, outputs) -> None:
    batch = make_batch()
    dm, lm, dt, lt = outputs(tiny, batch)
    assert dm.shape == dt.shape == (4, 32)
    assert lm.shape == lt.shape == (4, 30522)
    torch.testing.assert_close(dm.norm(dim=-1), torch.ones(4))
    torch.testing.assert_close(dt.norm(dim=-1), torch.ones(4))
    assert bool((lm >= 0).all()) and bool((lt >= 0).all())
    ids = tiny.tokenizer.convert_tokens_to_ids(["[CLS]", "[SEP]", "[PAD]", "[MASK]", "[unused5]"])
    assert bool((lm[:, ids] == 0).all()) and bool((lt[:, ids] == 0).all())
    with torch.no_grad():
        torch.testing.assert_close(tiny.encode_motion(batch["patches"], batch["row_mask"]), dm)
        torch.testing.assert_close(tiny.encode_text(batch["texts"]), dt)
        torch.testing.assert_close(tiny.lexical_motion(batch["patches"], batch["row_mask"]), lm)


@pytest.mark.parametrize("lexical_tokens", ["patches", "rows"])
def test_padded_rows_change_nothing(
    tiny: MotionTextModel, lexical_tokens: str, make_batch
) -> None:
    model = tiny
    if lexical_tokens == "rows":
        torch.manual_seed(0)
        model = create_model("tiny", device="cpu", motion_lexical_tokens="rows").eval()
    batch = make_batch()
    other = dict(batch, patches=batch["patches"].clone())
    g = torch.Generator().manual_seed(5)
    for b, n in enumerate(batch["row_mask"].sum(1).tolist()):
        pad = other["patches"][b, :, 16 * n :]
        pad.copy_(10 * torch.randn(pad.shape, generator=g))
    with torch.no_grad():
        a = model.forward_motion(batch["patches"], batch["row_mask"])
        b = model.forward_motion(other["patches"], other["row_mask"])
    torch.testing.assert_close(a.dense, b.dense, atol=1e-6, rtol=0)
    torch.testing.assert_close(a.lexical, b.lexical, atol=1e-5, rtol=0)
    assert bool((a.lexical >= 0).all())


def test_text_padding_changes_nothing(tiny: MotionTextModel, make_batch) -> None:
    captions = make_batch()["texts"]
    with torch.no_grad():
        alone = tiny.forward_text([captions[1]])
        padded = tiny.forward_text([captions[1], captions[0] + " and again and again"])
    torch.testing.assert_close(alone.dense[0], padded.dense[0], atol=1e-5, rtol=0)
    torch.testing.assert_close(alone.lexical[0], padded.lexical[0], atol=1e-4, rtol=0)


def test_decoder_tied_to_word_embeddings(tiny: MotionTextModel, make_batch) -> None:
    emb = tiny.text.word_embeddings
    assert tiny.text.mlm.get_output_embeddings().weight.data_ptr() == emb.data_ptr()
    own = [
        n
        for n, p in tiny.motion_lexical.named_parameters()
        if p.dim() == 2 and p.shape[0] == tiny.text.vocab_size
    ]
    assert own == []  # the motion head has no decoder matrix of its own
    batch = make_batch()
    tiny.zero_grad()
    tiny.lexical_motion(batch["patches"], batch["row_mask"]).sum().backward()
    assert emb.grad is not None and float(emb.grad.abs().sum()) > 0
    tiny.zero_grad()


def test_param_groups_partition_parameters(tiny: MotionTextModel) -> None:
    groups = tiny.param_groups()
    ids = [id(p) for ps in groups.values() for p in ps]
    assert len(ids) == len(set(ids)) == len(list(tiny.parameters()))
    assert any(p is tiny.text.word_embeddings for p in groups["text"])
    assert any(p is tiny.logit_scale for p in groups["heads"])
    # the text MLM head (the text lexical head) has its own group; its decoder is tied
    mlm_bias = tiny.text.mlm_decoder_bias()
    assert any(p is mlm_bias for p in groups["mlm_head"])
    assert not any(p is tiny.text.word_embeddings for p in groups["mlm_head"])
    assert len(groups["motion"]) == len(list(tiny.motion.parameters()))


def test_logit_scale_init_and_clamp() -> None:
    model = create_model("tiny", device="cpu")
    assert model.dense_scale().item() == pytest.approx(1 / 0.07, rel=1e-5)
    with torch.no_grad():
        model.logit_scale.fill_(math.log(1000.0))
    assert model.dense_scale().item() == pytest.approx(100.0)


def test_bf16_autocast_forward(tiny: MotionTextModel, make_batch) -> None:
    batch = make_batch()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        m = tiny.forward_motion(batch["patches"], batch["row_mask"])
        t = tiny.forward_text(batch["texts"])
    assert m.lexical.dtype == torch.float32 and t.lexical.dtype == torch.float32
    assert bool(torch.isfinite(m.dense).all()) and bool(torch.isfinite(t.lexical).all())


def test_model_returns_features_only(tiny: MotionTextModel) -> None:
    """open_clip's split: no losses, no phase decoders, in the model."""
    assert not hasattr(tiny, "phase_loss") and not hasattr(tiny, "phase_heads")
    assert not any(k.startswith("phase_heads.") for k in tiny.state_dict())
    assert math.isclose(float(tiny.dense_scale().detach()), 1 / 0.07, rel_tol=1e-5)


def test_forward_motion_rejects_wrong_shapes(tiny: MotionTextModel) -> None:
    with pytest.raises(ValueError, match=r"row_mask must be bool \(2, 14\)"):
        tiny.forward_motion(torch.zeros(2, 3, 224, 80), torch.ones(2, 13, dtype=torch.bool))


def test_corpus_vocabulary_keeps_motion_words(shared_data: Path) -> None:
    from motionlex.core.data.text_files import read_caption_corpus
    from motionlex.core.model.lexical import FUNCTION_WORDS, corpus_vocabulary
    from motionlex.core.model.text_encoder import TextEncoder

    tok = TextEncoder.from_pretrained(MINILM_PACKAGE_ID).tokenizer
    captions = read_caption_corpus(shared_data / "kitml_text", "train")
    ids = corpus_vocabulary(captions, tok)
    words = set(tok.convert_ids_to_tokens(ids))
    assert {"walks", "jumps", "left", "right", "forward", "backwards", "squat", "up"} <= words
    assert not words & FUNCTION_WORDS
    assert not any(w.startswith("##") or len(w) < 2 or not w.isascii() for w in words)
    assert 300 < len(ids) < 5000  # a caption vocabulary, far below the 30,522 WordPieces
    # a first piece of a longer word is no word: "cartwheel" -> "cart", "##wheel"
    assert tok.tokenize("cartwheel")[1].startswith("##") and "cart" not in words
    # a stem that WordPiece splits off an inflection is a word: "claps" -> "clap", "##s"
    assert tok.tokenize("claps") == ["clap", "##s"] and tok.tokenize("dashes")[1] == "##es"
    stems = set(tok.convert_ids_to_tokens(corpus_vocabulary(
        ["a person claps", "someone claps twice", "he dashes", "she dashes", "cartwheels",
         "cartwheels", "he lunges", "she lunges"], tok)))
    assert tok.tokenize("lunges") == ["lung", "##es"]  # "lunge" + "s": "lung" is no stem
    assert {"clap", "dash"} <= stems and not stems & {"cart", "cl", "lung"}
    with pytest.raises(ValueError, match="at least one caption"):
        corpus_vocabulary([], tok)
    with pytest.raises(ValueError, match="no vocabulary word occurs"):
        corpus_vocabulary(["the the a"], tok)
    with pytest.raises(ValueError, match="min_count must be"):
        corpus_vocabulary(captions, tok, min_count=0)


def test_corpus_vocabulary_drops_typo_fragments_with_a_dictionary(shared_data: Path) -> None:
    """KIT-ML's typos "wals", "stes" and "beeing" (``wal ##s``, ``ste ##s``, ``bee ##ing``)
    made "wal", "ste" and "bee" words of the vocabulary; a dictionary's inflection test
    keeps the real stems only."""
    from motionlex.core.data.text_files import read_caption_corpus
    from motionlex.core.model.lexical import corpus_vocabulary
    from motionlex.core.model.text_encoder import TextEncoder
    from motionlex.core.text.words import dictionary_inflection, dictionary_lemmas

    tok = TextEncoder.from_pretrained(MINILM_PACKAGE_ID).tokenizer
    captions = read_caption_corpus(shared_data / "kitml_text")
    lemmas = dictionary_lemmas()
    assert {"clap", "crouch", "salute"} <= lemmas["verb"] and "bee" in lemmas["noun"]
    assert not any({"wal", "ste"} & words for words in lemmas.values())
    loose = set(tok.convert_ids_to_tokens(corpus_vocabulary(captions, tok)))
    strict = set(tok.convert_ids_to_tokens(
        corpus_vocabulary(captions, tok, known_inflection=dictionary_inflection)))
    assert {"wal", "ste", "bee"} <= loose - strict
    # real stems (a verb's -ing, a noun's -s, a form that is a word: "outwards") and whole
    # words stay
    assert {"clap", "crouch", "staircase", "outward", "walks", "left"} <= strict
    assert "walks" in tok.convert_ids_to_tokens(corpus_vocabulary(
        ["he walks", "she walks"], tok, known_inflection=lambda stem, suffix: False))
