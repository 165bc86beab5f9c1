"""A ViT encoder forward in plain torch, on ``transformers``' own tensor names (issue 13).

Importing ``transformers``' model code costs seconds; a motion query needs only the motion
ViT's inference forward: patch embedding (a ``patch_size`` stride convolution), [CLS] first,
absolute position embeddings of the motion grid, then per layer pre-norm self-attention
(scaled dot product, padded patch rows masked), output projection and residual, pre-norm GELU
feed-forward and residual, and a final LayerNorm. Weights are the tensors of a
``transformers`` ``ViTModel`` state dict (``embeddings.cls_token``, ``layers.0.attention.q_proj
.weight`` ...) under a prefix, so no name mapping is needed. :mod:`.lite` uses it; tests check
it against ``ViTModel`` (the motion encoder's backbone) to 1e-5.

Source: Dosovitskiy et al., "An Image is Worth 16x16 Words", ICLR 2021, Sec. 3.1 (Eq. 1-4);
``transformers`` ``models/vit/modeling_vit.py`` (``ViTEmbeddings``, ``ViTLayer``); the motion
grid and padding mask per Yu et al., "Motion Patches", CVPR 2024, Sec. 3.3.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

_EMBEDDINGS = ("cls_token", "mask_token", "position_embeddings",
               "patch_embeddings.projection.weight", "patch_embeddings.projection.bias")
_LAYER = ("attention.q_proj.weight", "attention.q_proj.bias", "attention.k_proj.weight",
          "attention.k_proj.bias", "attention.v_proj.weight", "attention.v_proj.bias",
          "attention.o_proj.weight", "attention.o_proj.bias", "layernorm_before.weight",
          "layernorm_before.bias", "layernorm_after.weight", "layernorm_after.bias",
          "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias")


def vit_keys(num_layers: int, prefix: str = "") -> list[str]:
    """Tensor names of a ``ViTModel`` with a mask token and no pooler, in state-dict order."""
    keys = [f"{prefix}embeddings.{k}" for k in _EMBEDDINGS]
    keys += [f"{prefix}layers.{i}.{k}" for i in range(num_layers) for k in _LAYER]
    return keys + [f"{prefix}layernorm.weight", f"{prefix}layernorm.bias"]


# transformers 5.9 renamed ViTModel's tensors (its conversion_mapping.py, "ViTModel"):
# older checkpoints hold encoder.layer.N.attention.attention.query ... under the same prefix
_OLD_LAYER_NAMES = (("attention.attention.query.", "attention.q_proj."),
                    ("attention.attention.key.", "attention.k_proj."),
                    ("attention.attention.value.", "attention.v_proj."),
                    ("attention.output.dense.", "attention.o_proj."),
                    ("intermediate.dense.", "mlp.fc1."),
                    ("output.dense.", "mlp.fc2."))


def current_vit_name(name: str, prefix: str) -> str:
    """A ``ViTModel`` tensor name under ``prefix`` as transformers >= 5.9 spells it.

    ``{prefix}encoder.layer.3.attention.attention.query.weight`` (transformers < 5.9) becomes
    ``{prefix}layers.3.attention.q_proj.weight``; every other name is returned unchanged.
    Source: transformers' ``conversion_mapping.py`` (``"ViTModel"`` renamings).
    """
    head = prefix + "encoder.layer."
    if not name.startswith(head):
        return name
    index, _, rest = name[len(head):].partition(".")
    for old, new in _OLD_LAYER_NAMES:
        if rest.startswith(old):
            rest = new + rest[len(old):]
            break
    return f"{prefix}layers.{index}.{rest}"


def vit_config_problems(config: dict[str, Any]) -> list[str]:
    """What of a ``transformers`` ViT config dict this forward does not reproduce (empty: none).

    Covered: ``model_type`` vit, exact GELU, q/k/v with biases, heads that divide the width.
    """
    problems = []
    if config.get("model_type") != "vit":
        problems.append(f"model_type {config.get('model_type')!r}")
    if config.get("hidden_act", "gelu") != "gelu":
        problems.append(f"hidden_act {config.get('hidden_act')!r}")
    if not config.get("qkv_bias", True):
        problems.append("q/k/v without biases")
    hidden, heads = config.get("hidden_size"), config.get("num_attention_heads")
    if not isinstance(hidden, int) or not isinstance(heads, int) or heads < 1 or hidden % heads:
        problems.append(f"hidden_size {hidden!r} / num_attention_heads {heads!r}")
    elif config.get("head_dim") not in (None, hidden // heads):
        problems.append(f"head_dim {config.get('head_dim')!r}")
    return problems


def vit_forward(weights: dict[str, torch.Tensor], config: dict[str, Any],
                pixel_values: torch.Tensor, attention_mask: torch.Tensor,
                prefix: str = "") -> torch.Tensor:
    """Last hidden states of a ViT encoder (inference: no dropout, no masked patches).

    Args:
        weights: the ViT's tensors by ``transformers`` name under ``prefix`` (others are
            ignored).
        config: the ``transformers`` ViT config dict (``num_hidden_layers``,
            ``num_attention_heads``, ``patch_size``, ``layer_norm_eps``).
        pixel_values: ``(B, C, H, W)`` float32 images (z-scored motion patch images
            ``(B, 3, max_frames, 80)``); ``H, W`` as the position table was made for.
        attention_mask: ``(B, 1, 1, 1 + P)`` additive mask (0 = may attend, the dtype's
            minimum = padding: :func:`~.motion_encoder.additive_attention_mask`).
        prefix: the tensors' name prefix (``"motion.backbone."`` in a motionlex state dict).

    Returns:
        ``(B, 1 + P, H)`` hidden states, [CLS] first, then the ``P`` patches row-major.

    Raises:
        ValueError: an image whose patch grid does not match the position table.
    """
    w = {k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)}
    eps = float(config.get("layer_norm_eps", 1e-12))
    heads = int(config["num_attention_heads"])
    ps = int(config["patch_size"])
    e = "embeddings."
    x = F.conv2d(pixel_values, w[e + "patch_embeddings.projection.weight"],
                 w[e + "patch_embeddings.projection.bias"], stride=ps)
    x = x.flatten(2).transpose(1, 2)  # (B, P, H), row-major over the grid
    pos = w[e + "position_embeddings"]
    if x.shape[1] + 1 != pos.shape[1]:
        raise ValueError(f"an image of {tuple(pixel_values.shape[-2:])} gives {x.shape[1]} "
                         f"patches; the position table has {pos.shape[1] - 1}")
    b, hid = x.shape[0], x.shape[-1]
    x = torch.cat([w[e + "cls_token"].expand(b, -1, -1).to(x.dtype), x], dim=1) + pos
    n = x.shape[1]
    for i in range(int(config["num_hidden_layers"])):
        p = f"layers.{i}."

        def lin(name: str, t: torch.Tensor, p: str = p) -> torch.Tensor:
            return F.linear(t, w[p + name + ".weight"], w[p + name + ".bias"])

        h = F.layer_norm(x, (hid,), w[p + "layernorm_before.weight"],
                         w[p + "layernorm_before.bias"], eps)
        q, k, v = (lin(f"attention.{s}_proj", h).view(b, n, heads, -1).transpose(1, 2)
                   for s in ("q", "k", "v"))
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=attention_mask.to(q.dtype))
        x = x + lin("attention.o_proj", a.transpose(1, 2).reshape(b, n, hid))
        h = F.layer_norm(x, (hid,), w[p + "layernorm_after.weight"],
                         w[p + "layernorm_after.bias"], eps)
        x = x + lin("mlp.fc2", F.gelu(lin("mlp.fc1", h)))
    return F.layer_norm(x, (hid,), w["layernorm.weight"], w["layernorm.bias"], eps)
