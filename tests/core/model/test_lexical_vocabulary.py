"""The model's lexical vocabulary (core/model/lexical_vocabulary.py): top words, a corpus
vocabulary kept through save and load, and logits computed for its columns only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from motionlex.core.model.factory import create_model
from motionlex.core.model.model import MotionTextModel


def test_top_words(tiny: MotionTextModel) -> None:
    w = torch.zeros(2, tiny.text.vocab_size)
    walk, jump = tiny.tokenizer.convert_tokens_to_ids(["walk", "jump"])
    w[0, walk], w[0, jump], w[1, jump] = 2.0, 1.0, 0.5
    assert tiny.top_words(w, k=3) == [[("walk", 2.0), ("jump", 1.0)], [("jump", 0.5)]]
    assert tiny.top_words(w[0], k=1) == [[("walk", 2.0)]]
    with pytest.raises(ValueError, match=r"V = 30522; got \(10,\)$"):  # as given, not (1, 10)
        tiny.top_words(torch.ones(10))
    with pytest.raises(ValueError, match=r"got \(100,\)$"):  # the audit's NumPy case
        tiny.top_words(np.zeros(100))


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
