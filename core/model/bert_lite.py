"""A BERT encoder forward in plain torch, on ``transformers``' own tensor names (issue 13).

Importing ``transformers``' model code costs seconds; a text query needs only BERT's inference
forward: embeddings (word + token type 0 + absolute position, LayerNorm), then per layer
self-attention (scaled dot product, padded keys masked), output projection, residual and
LayerNorm, GELU feed-forward, residual and LayerNorm (post-norm). Weights are the tensors of a
``BertForMaskedLM`` state dict (``bert.embeddings.word_embeddings.weight`` ...), so no name
mapping is needed. :mod:`.lite` uses it; tests check it against ``BertModel`` to 1e-5.
Source: Devlin et al., "BERT", NAACL 2019, Sec. 3; ``transformers``
``models/bert/modeling_bert.py`` (``BertEmbeddings``, ``BertSelfAttention``, ``BertLayer``).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

BERT_PREFIX = "bert."
"""``base_model_prefix`` of BERT masked LMs: backbone tensors are ``bert.<name>``."""

_EMBEDDINGS = ("word_embeddings.weight", "position_embeddings.weight",
               "token_type_embeddings.weight", "LayerNorm.weight", "LayerNorm.bias")
_LAYER = ("attention.self.query.weight", "attention.self.query.bias",
          "attention.self.key.weight", "attention.self.key.bias",
          "attention.self.value.weight", "attention.self.value.bias",
          "attention.output.dense.weight", "attention.output.dense.bias",
          "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
          "intermediate.dense.weight", "intermediate.dense.bias",
          "output.dense.weight", "output.dense.bias",
          "output.LayerNorm.weight", "output.LayerNorm.bias")


def bert_keys(num_layers: int) -> list[str]:
    """Backbone tensor names of a ``BertForMaskedLM`` (no pooler), in state-dict order."""
    keys = [f"{BERT_PREFIX}embeddings.{k}" for k in _EMBEDDINGS]
    keys += [f"{BERT_PREFIX}encoder.layer.{i}.{k}" for i in range(num_layers) for k in _LAYER]
    return keys


def bert_config_problems(config: dict[str, Any]) -> list[str]:
    """What of a ``transformers`` config dict this forward does not reproduce (empty: none).

    Covered: ``model_type`` bert, absolute positions, exact GELU, an encoder (no decoder or
    cross-attention) whose MLM decoder is tied to the word embeddings.
    """
    problems = []
    if config.get("model_type") != "bert":
        problems.append(f"model_type {config.get('model_type')!r}")
    if config.get("hidden_act", "gelu") != "gelu":
        problems.append(f"hidden_act {config.get('hidden_act')!r}")
    if config.get("position_embedding_type", "absolute") != "absolute":
        problems.append(f"position_embedding_type {config.get('position_embedding_type')!r}")
    if config.get("is_decoder") or config.get("add_cross_attention"):
        problems.append("a decoder")
    if not config.get("tie_word_embeddings", True):
        problems.append("an untied MLM decoder")
    return problems


def bert_forward(weights: dict[str, torch.Tensor], config: dict[str, Any],
                 input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Last hidden states of a BERT encoder (inference: no dropout).

    Args:
        weights: ``bert.*`` tensors by ``transformers`` name (others are ignored).
        config: the ``transformers`` BERT config dict (``num_hidden_layers``,
            ``num_attention_heads``, ``layer_norm_eps``).
        input_ids: ``(B, L)`` int64 token ids, ``L <= max_position_embeddings``.
        attention_mask: ``(B, L)`` int or bool, 1/True for real tokens.

    Returns:
        ``(B, L, H)`` float32 hidden states.
    """
    w = {k[len(BERT_PREFIX):]: v for k, v in weights.items() if k.startswith(BERT_PREFIX)}
    eps = float(config.get("layer_norm_eps", 1e-12))
    heads = int(config["num_attention_heads"])
    b, n = input_ids.shape
    e = "embeddings."
    x = w[e + "word_embeddings.weight"][input_ids] + w[e + "token_type_embeddings.weight"][0]
    x = x + w[e + "position_embeddings.weight"][:n]
    hid = x.shape[-1]
    x = F.layer_norm(x, (hid,), w[e + "LayerNorm.weight"], w[e + "LayerNorm.bias"], eps)
    keep = attention_mask.bool()[:, None, None, :]  # (B, 1, 1, L): True = may attend
    for i in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{i}."

        def lin(name: str, t: torch.Tensor, p: str = p) -> torch.Tensor:
            return F.linear(t, w[p + name + ".weight"], w[p + name + ".bias"])

        q, k, v = (lin(f"attention.self.{s}", x).view(b, n, heads, -1).transpose(1, 2)
                   for s in ("query", "key", "value"))
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
        a = lin("attention.output.dense", a.transpose(1, 2).reshape(b, n, hid))
        x = F.layer_norm(a + x, (hid,), w[p + "attention.output.LayerNorm.weight"],
                         w[p + "attention.output.LayerNorm.bias"], eps)
        f = lin("output.dense", F.gelu(lin("intermediate.dense", x)))
        x = F.layer_norm(f + x, (hid,), w[p + "output.LayerNorm.weight"],
                         w[p + "output.LayerNorm.bias"], eps)
    return x
