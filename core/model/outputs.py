"""What the encoders return: :class:`MotionOutput` and :class:`TextOutput` (shared by
:class:`~.model.MotionTextModel` and the plain-torch query towers of :mod:`.lite`)."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(eq=False)
class MotionOutput:
    """Output of :meth:`MotionTextModel.forward_motion`.

    Attributes:
        dense: ``(B, D)`` L2-normalised embedding.
        lexical: ``(B, V)`` float32, non-negative lexical weights (None if not asked).
        max_logits: ``(B, V)`` float32, max over real patch tokens of the vocabulary logits,
            excluded words at the dtype minimum (None if not asked).
        tokens: ``(B, 71, Hm)`` encoder hidden states ([CLS] + 70 patches).
        token_mask: ``(B, 71)`` bool, True for [CLS] and real patches.
    """

    dense: torch.Tensor
    lexical: torch.Tensor | None
    max_logits: torch.Tensor | None
    tokens: torch.Tensor
    token_mask: torch.Tensor


@dataclass(eq=False)
class TextOutput:
    """Output of :meth:`MotionTextModel.forward_text`.

    Attributes:
        dense: ``(B, D)`` L2-normalised embedding.
        lexical: ``(B, V)`` float32, non-negative lexical weights (None if not asked).
        max_logits: ``(B, V)`` float32 pooled logits (None if not asked).
        tokens: ``(B, L, Ht)`` encoder hidden states.
        token_mask: ``(B, L)`` bool, True for real tokens.
        token_logits: ``(B, L, V)`` MLM logits per token (only with ``return_token_logits``).
    """

    dense: torch.Tensor
    lexical: torch.Tensor | None
    max_logits: torch.Tensor | None
    tokens: torch.Tensor
    token_mask: torch.Tensor
    token_logits: torch.Tensor | None = None
