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
        torch.testing.assert_close(tiny.lexical_text(batch["texts"]), lt)
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


def test_top_words(tiny: MotionTextModel) -> None:
    w = torch.zeros(2, tiny.text.vocab_size)
    walk, jump = tiny.tokenizer.convert_tokens_to_ids(["walk", "jump"])
    w[0, walk], w[0, jump], w[1, jump] = 2.0, 1.0, 0.5
    assert tiny.top_words(w, k=3) == [[("walk", 2.0), ("jump", 1.0)], [("jump", 0.5)]]
    assert tiny.top_words(w[0], k=1) == [[("walk", 2.0)]]
    with pytest.raises(ValueError, match="V = 30522"):
        tiny.top_words(torch.ones(10))


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
    with pytest.raises(ValueError, match="at least one caption"):
        corpus_vocabulary([], tok)
    with pytest.raises(ValueError, match="no vocabulary word occurs"):
        corpus_vocabulary(["the the a"], tok)
    with pytest.raises(ValueError, match="min_count must be"):
        corpus_vocabulary(captions, tok, min_count=0)


def test_corpus_lexical_vectors_stay_in_vocabulary(
    tiny_text_source: Path, tmp_path: Path, make_batch, outputs
) -> None:
    torch.manual_seed(0)
    model = create_model(
        "tiny", device="cpu", text_pretrained=True, text_model=str(tiny_text_source),
        lexical_vocabulary="corpus",
    ).eval()
    batch = make_batch()
    allowed = sorted({i for ids in model.tokenizer(batch["texts"], add_special_tokens=False)[
        "input_ids"] for i in ids})
    model.set_lexical_vocabulary(allowed)
    _, m_lex, _, t_lex = outputs(model, batch)
    outside = torch.ones(m_lex.shape[1], dtype=torch.bool)
    outside[allowed] = False
    assert m_lex[:, outside].abs().sum() == 0 and t_lex[:, outside].abs().sum() == 0
    assert (t_lex[:, allowed] > 0).any() and (m_lex[:, allowed] > 0).any()
    model.save_pretrained(tmp_path / "c")
    again = MotionTextModel.from_pretrained(tmp_path / "c", device="cpu")
    assert torch.equal(again.lexical_allowed, model.lexical_allowed)
    for x, y in zip(outputs(model, batch), outputs(again, batch)):
        assert torch.equal(x, y)
    with pytest.raises(ValueError, match="need at least one vocabulary id"):
        model.set_lexical_vocabulary([10**7])


def test_corpus_vocabulary_logits_match_the_full_vocabulary_path(
    shared_data: Path, make_batch, outputs
) -> None:
    """Lexical logits computed for the corpus words only give the very same vectors as the
    full 30k-word product masked afterwards (motion and text, with padding)."""
    from motionlex.core.data.text_files import read_caption_corpus
    from motionlex.core.model.lexical import corpus_vocabulary

    torch.manual_seed(3)
    model = create_model("tiny", device="cpu", lexical_vocabulary="corpus").eval()
    captions = read_caption_corpus(shared_data / "kitml_text", "train")[:2000]
    model.set_lexical_vocabulary(corpus_vocabulary(captions, model.tokenizer))
    cols = model.lexical_columns()
    assert cols is not None and 200 < len(cols) < 5000
    batch = make_batch(1)
    with torch.no_grad():
        restricted = outputs(model, batch)
        t_full = model.forward_text(batch["texts"], return_token_logits=True)
        model.lexical_columns = lambda: None  # force the full-vocabulary product
        full = outputs(model, batch)
    for x, y in zip(restricted, full):
        assert torch.equal(x, y)
    assert torch.equal(restricted[3], t_full.lexical)
    outside = torch.ones(model.text.vocab_size, dtype=torch.bool)
    outside[cols] = False
    assert (restricted[1][:, outside] == 0).all() and (restricted[1] > 0).any()
    assert create_model("tiny", device="cpu").lexical_columns() is None
