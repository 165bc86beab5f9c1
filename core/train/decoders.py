"""The training-only phase decoders (LexMLM, LexMMM), owned by their objectives.

Sources: Shen et al., LexMAE (ICLR 2023), Sec. 3 (a shallow decoder fed by the lexicon
bottleneck in place of [CLS]); Luo et al., LexLIP (ICCV 2023), Sec. 3.2; Lyu et al. (ICLR 2025),
"LexMMM" for the motion side.
"""

from __future__ import annotations

import torch
from torch import nn


def divisor_heads(width: int, wanted: int) -> int:
    """The largest head count ``<= wanted`` that divides ``width`` (at least 1)."""
    heads = max(1, min(wanted, width))
    while width % heads:
        heads -= 1
    return heads


class ShallowDecoder(nn.Module):
    """A few post-norm transformer layers (BERT-style) with a key padding mask.

    Args:
        width: token width.
        layers: number of layers (2 in LexMAE).
        heads: attention heads (divides ``width``).
        dropout: dropout rate.
    """

    def __init__(self, width: int, layers: int = 2, heads: int = 4, dropout: float = 0.0) -> None:
        super().__init__()
        layer = nn.TransformerEncoderLayer(
            d_model=width,
            nhead=heads,
            dim_feedforward=4 * width,
            dropout=dropout,
            activation="gelu",
            batch_first=True,
        )
        self.layers = nn.TransformerEncoder(layer, num_layers=layers, enable_nested_tensor=False)

    def forward(self, x: torch.Tensor, token_mask: torch.Tensor) -> torch.Tensor:
        """``x (B, L, W)``, ``token_mask (B, L)`` bool (True = real) -> ``(B, L, W)``."""
        return self.layers(x, src_key_padding_mask=~token_mask)


class LexMLMDecoder(nn.Module):
    """Shallow text decoder fed by the lexical bottleneck in place of [CLS].

    Args:
        hidden_size: text width ``H`` (the output goes through the text MLM head).
        layers: decoder depth.
        heads: attention heads.
    """

    def __init__(self, hidden_size: int, layers: int = 2, heads: int = 4) -> None:
        super().__init__()
        self.decoder = ShallowDecoder(hidden_size, layers, heads)

    def forward(
        self, bottleneck: torch.Tensor, token_embeddings: torch.Tensor, token_mask: torch.Tensor
    ) -> torch.Tensor:
        """Decode.

        Args:
            bottleneck: ``(B, H)`` continuous bag of words ``a @ word_embeddings``.
            token_embeddings: ``(B, L, H)`` input embeddings of the (heavily masked) caption.
            token_mask: ``(B, L)`` bool, True for real tokens.

        Returns:
            ``(B, L, H)`` hidden states; position 0 holds the bottleneck.
        """
        x = torch.cat(
            [bottleneck.unsqueeze(1).to(token_embeddings.dtype), token_embeddings[:, 1:]], 1
        )
        return self.decoder(x, token_mask)


class LexMMMDecoder(nn.Module):
    """Shallow motion decoder: bottleneck token + visible raw patches + mask tokens -> patches.

    Args:
        bottleneck_size: width of ``a @ word_embeddings`` (the text width).
        width: decoder width.
        num_patches: patch tokens ``P`` (70).
        patch_dim: values per patch (``3 * 16 * 16``).
        layers: decoder depth.
        heads: attention heads.
    """

    def __init__(
        self,
        bottleneck_size: int,
        width: int,
        num_patches: int,
        patch_dim: int,
        layers: int = 2,
        heads: int = 4,
    ) -> None:
        super().__init__()
        self.bottleneck_proj = nn.Linear(bottleneck_size, width)
        self.patch_embed = nn.Linear(patch_dim, width)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, width))
        self.pos = nn.Parameter(torch.randn(1, 1 + num_patches, width) * 0.02)
        self.decoder = ShallowDecoder(width, layers, heads)
        self.out = nn.Linear(width, patch_dim)

    def forward(
        self,
        bottleneck: torch.Tensor,
        patch_values: torch.Tensor,
        visible: torch.Tensor,
        valid: torch.Tensor,
    ) -> torch.Tensor:
        """Reconstruct every patch.

        Args:
            bottleneck: ``(B, Ht)``.
            patch_values: ``(B, P, patch_dim)`` true patch values (only visible ones are used).
            visible: ``(B, P)`` bool, patches the decoder may see.
            valid: ``(B, P)`` bool, real (unpadded) patches.

        Returns:
            ``(B, P, patch_dim)`` predicted patch values.
        """
        x = self.patch_embed(patch_values)
        x = torch.where(visible.unsqueeze(-1), x, self.mask_token.to(x.dtype))
        first = self.bottleneck_proj(bottleneck.to(x.dtype)).unsqueeze(1)
        x = torch.cat([first, x], dim=1) + self.pos
        mask = torch.cat([torch.ones_like(valid[:, :1]), valid], dim=1)
        return self.out(self.decoder(x, mask)[:, 1:])
