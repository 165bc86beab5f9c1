"""The motion-language model: dense and lexical features of motion and text.

Public names: :class:`MotionTextModel` (``encode_motion`` / ``encode_text``, ``forward_motion``
/ ``forward_text``, the learned scales ``dense_scale`` / ``lexical_scale``; ``top_words``,
``set_lexical_vocabulary`` and SPLADE pooling from :mod:`.lexical_vocabulary`;
``save_pretrained`` / ``from_pretrained`` from :mod:`.checkpoint`); its outputs
:class:`~.outputs.MotionOutput` / :class:`~.outputs.TextOutput`. The config is
:class:`~.config.MotionTextConfig`; the registry and ``create_model`` /
``load_checkpoint`` live in :mod:`.factory`.

Architecture (../shared/DESIGN.md): a ViT over motion patches (:mod:`.motion_encoder`) and a
Hugging Face masked-LM text encoder (:mod:`.text_encoder`). Each modality gets
- a dense embedding: linear projection (no bias, as CLIP) of the motion [CLS] token / the text's
  mean-pooled tokens (``text_pooling="mean"``, the pooling all-MiniLM-L6-v2 was trained with;
  ``"cls"`` as in Motion Patches/DistilBERT), L2-normalised, ``(B, embed_dim)``;
- a lexical vector ``(B, V)`` over the text vocabulary (SPLADE max pooling of
  ``log(1 + relu(logits))``, padding masked, special and ``[unusedN]`` tokens forced to 0).
  Text logits come from the text model's MLM head (decoder tied to its word embeddings).
  Motion logits: patch tokens -> own transform (Linear to text width, GELU, LayerNorm) ->
  the same tied word-embedding matrix (plus a motion bias), so both land in one word space.

The model returns features only (open_clip's split of model and loss): the training losses of
each phase, and the phase decoders they need, are in :mod:`motionlex.core.train.objectives`.
Lexical contrastive logits there are ``lexical_scale() * cosine(w_motion, w_text)`` (a second
learned temperature), so an index should store L2-normalised lexical vectors.

This module never imports Lightning, Qt or data modules and computes no losses or metrics.

Sources: Yu et al., "Motion Patches", CVPR 2024, Sec. 3.3-3.5 (the dense towers and their
contrastive training); Lyu et al., ICLR 2025, "Methods" and Fig. 2 (lexical vectors of motion
and text in one vocabulary space); SPLADE pooling and LexLIP: :mod:`.lexical`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from motionlex.core.model.checkpoint import PretrainedMixin
from motionlex.core.model.config import MotionTextConfig
from motionlex.core.model.device import to_device
from motionlex.core.model.lexical import MotionLexicalHead
from motionlex.core.model.lexical_vocabulary import LexicalVocabularyMixin
from motionlex.core.model.motion_encoder import MotionEncoder, build_motion_encoder
from motionlex.core.model.outputs import MotionOutput, TextOutput
from motionlex.core.model.text_encoder import TextEncoder

# ---------------------------------------------------------------------------------------------
# model


class MotionTextModel(PretrainedMixin, LexicalVocabularyMixin, nn.Module):
    """Motion and text encoders with dense and lexical heads in one vocabulary space.

    Args:
        config: the configuration.
        motion: a prebuilt motion encoder (used by :meth:`from_pretrained`), else built.
        text: a prebuilt text encoder, else built (pretrained weights loaded as configured).

    Raises:
        ValueError: a pretrained backbone that does not match the configured sizes.

    Source: Yu et al., "Motion Patches", CVPR 2024, Sec. 3.3 (ViT motion encoder on motion
    patches, its [class] token projected into the joint space), Sec. 3.4 (text encoder with a
    projection head; ``text_pooling="cls"`` is the paper's, ``"mean"`` ours) and Sec. 3.5
    (CLIP-style contrastive training; the temperature is learned as in CLIP, Radford et al.
    2021: ``dense_scale``); Lyu et al., ICLR 2025, "Methods" and Fig. 2 (lexical vectors of
    motion and text in one vocabulary space; reading the motion tokens through the text
    model's tied word embeddings is ours).
    """

    def __init__(
        self,
        config: MotionTextConfig,
        *,
        motion: MotionEncoder | None = None,
        text: TextEncoder | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.motion = motion if motion is not None else build_motion_encoder(config)
        if self.motion.image_size != config.image_size:
            raise ValueError(
                f"motion encoder takes {self.motion.image_size} images; config says "
                f"{config.image_size}"
            )
        self.text = (
            text
            if text is not None
            else TextEncoder.from_pretrained(
                config.text_model,
                random_init=None if config.text_pretrained else dict(config.text_random_init),
                max_length=config.max_text_length,
            )
        )
        hm, ht, v = self.motion.hidden_size, self.text.hidden_size, self.text.vocab_size
        self.motion_proj = nn.Linear(hm, config.embed_dim, bias=False)
        self.text_proj = nn.Linear(ht, config.embed_dim, bias=False)
        self.motion_lexical = MotionLexicalHead(hm, ht, v)
        init = math.log(config.logit_scale_init)
        self.logit_scale = nn.Parameter(torch.tensor(init))
        self.lexical_logit_scale = nn.Parameter(torch.tensor(init))
        self._register_vocabulary(self.text.tokenizer, v)
        if config.text_trainable_layers >= 0:
            self.text.freeze_lower_layers(config.text_trainable_layers)

    # -- basics --------------------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        """Device of the parameters."""
        return self.logit_scale.device

    @property
    def tokenizer(self) -> Any:
        """The text tokenizer (a ``transformers`` tokenizer)."""
        return self.text.tokenizer

    def dense_scale(self) -> torch.Tensor:
        """``exp(logit_scale)`` clamped at ``logit_scale_max`` (CLIP, Radford et al. 2021);
        clamped in log space, so a parameter at the cap (:meth:`clamp_logit_scales_`) still
        has a gradient."""
        return self.logit_scale.clamp(max=math.log(self.config.logit_scale_max)).exp()

    def lexical_scale(self) -> torch.Tensor:
        """``exp(lexical_logit_scale)`` clamped at ``logit_scale_max`` (as :meth:`dense_scale`)."""
        return self.lexical_logit_scale.clamp(max=math.log(self.config.logit_scale_max)).exp()

    @torch.no_grad()
    def clamp_logit_scales_(self) -> None:
        """Clamp ``logit_scale`` and ``lexical_logit_scale`` in place at
        ``log(logit_scale_max)``, after each optimiser step: the clamp in :meth:`dense_scale`
        passes no gradient above the cap, so a parameter past it would stay there for good
        (open_clip's training loop clamps the same way). No lower bound: open_clip's
        ``clamp_(0, ...)`` keeps scales >= 1, but ``lexical_similarity: dot`` compares raw
        dot products that need scales below 1, as may ``logit_scale_init``."""
        top = math.log(self.config.logit_scale_max)
        for p in (self.logit_scale, self.lexical_logit_scale):
            p.clamp_(max=top)

    def param_groups(self) -> dict[str, list[nn.Parameter]]:
        """Trainable parameters split for per-group learning rates (Motion Patches Sec. 4.3,
        1e-5 text, 1e-4 motion, 1e-3 heads). Each parameter appears once (tied ones too).

        Returns:
            ``{"text": backbone of the text model, "mlm_head": the text model's MLM head
            (transform and bias; its decoder is the tied word embeddings, in "text"),
            "motion": motion encoder, "heads": everything else (projections, motion lexical
            head, scales)}``. The phase decoders belong to the training objectives.
        """
        text = {id(p) for p in self.text.backbone.parameters()}
        mlm = {id(p) for p in self.text.mlm.parameters()}
        motion = {id(p) for p in self.motion.parameters()}
        groups: dict[str, list[nn.Parameter]] = {
            "text": [], "mlm_head": [], "motion": [], "heads": []
        }
        for p in self.parameters():  # parameters() yields each shared tensor once
            i = id(p)
            key = (
                "text" if i in text else "mlm_head" if i in mlm
                else "motion" if i in motion else "heads"
            )
            groups[key].append(p)
        return groups

    def prepare_motion(
        self, patches: torch.Tensor | np.ndarray, row_mask: torch.Tensor | np.ndarray
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Move ``patches (B, 3, max_frames, 80)`` (as float32) and ``row_mask (B, R)`` to the
        device (``R = max_frames // patch_size``)."""
        p = to_device(torch.as_tensor(patches), self.device)
        if p.dtype not in (torch.float32, torch.float16, torch.bfloat16):
            p = p.float()
        return p, to_device(torch.as_tensor(row_mask), self.device)

    # -- forward -------------------------------------------------------------------------------
    def forward_motion(
        self,
        patches: torch.Tensor,
        row_mask: torch.Tensor,
        *,
        bool_masked_pos: torch.Tensor | None = None,
        lexical: bool = True,
    ) -> MotionOutput:
        """Encode motions.

        Args:
            patches: ``(B, 3, max_frames, 80)`` float32 z-scored motion patches.
            row_mask: ``(B, 14)`` bool, True for real patch rows (16 frames).
            bool_masked_pos: optional ``(B, 70)`` bool, patches replaced by the mask token.
            lexical: also compute the lexical vector.

        Returns:
            :class:`MotionOutput`.

        Raises:
            ValueError: shapes or dtypes that break the input contract.

        Source: Yu et al., CVPR 2024, Sec. 3.3 (dense); lexical: :meth:`motion_lexical_from_tokens`.
        """
        patches, row_mask = self.prepare_motion(patches, row_mask)
        enc = self.motion(patches, row_mask, bool_masked_pos)
        dense = F.normalize(self.motion_proj(enc.tokens[:, 0]), dim=-1)
        lex = maxl = None
        if lexical:
            lex, maxl = self.motion_lexical_from_tokens(enc.tokens, enc.token_mask, row_mask)
        return MotionOutput(dense, lex, maxl, enc.tokens, enc.token_mask)

    def motion_lexical_from_tokens(
        self, tokens: torch.Tensor, token_mask: torch.Tensor, row_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The motion lexical head on the trunk's output tokens.

        Args:
            tokens: ``(B, 1 + P, D)`` trunk output tokens (CLS first).
            token_mask: ``(B, 1 + P)`` bool, True for real tokens.
            row_mask: ``(B, 14)`` bool, True for real patch rows (16 frames) (used when
                ``motion_lexical_tokens == "rows"``).

        Returns:
            ``(lexical, max_logits)``, each ``(B, V)`` float32 (see :meth:`pool_lexical`).

        Source: Lyu et al., ICLR 2025, "Methods" and Fig. 2 (the motion lexical head);
        ``motion_lexical_tokens="rows"`` is ours.
        """
        tokens, mask = tokens[:, 1:], token_mask[:, 1:]
        if self.config.motion_lexical_tokens == "rows":
            gh, gw = self.motion.grid
            tokens, mask = tokens.reshape(len(tokens), gh, gw, -1).mean(2), row_mask
        cols = self.lexical_columns()
        logits = self.motion_lexical(tokens, self.text.word_embeddings, cols)
        return self.pool_lexical(logits, mask, cols)

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text``, not truncated (``TextEncoder.count_tokens``)."""
        return self.text.count_tokens(text)

    def word_pieces(self, text: str) -> list[str]:
        """``text`` as the tokenizer's pieces (WordPiece: ``["waving", "##s"]``), without
        special tokens or truncation: which vocabulary entries a text spells."""
        return list(self.tokenizer.tokenize(text))

    def forward_text(
        self,
        texts: Sequence[str] | Mapping[str, torch.Tensor],
        *,
        lexical: bool = True,
        return_token_logits: bool = False,
    ) -> TextOutput:
        """Encode captions.

        Args:
            texts: ``B`` strings, or a tokenised batch (``input_ids``, ``attention_mask``
                ``(B, L)``).
            lexical: also compute the lexical vector.
            return_token_logits: also return the ``(B, L, V)`` MLM logits.

        Returns:
            :class:`TextOutput`.

        Raises:
            TypeError: a bare string or a non-string caption. ValueError: an empty list.

        Source: Yu et al., CVPR 2024, Sec. 3.4 (dense); Lyu et al., ICLR 2025, Fig. 2 (lexical,
        SPLADE pooling of the MLM logits: :meth:`pool_lexical`).
        """
        if isinstance(texts, Mapping):
            tok = {
                k: to_device(torch.as_tensor(texts[k]), self.device)
                for k in ("input_ids", "attention_mask")
            }
        else:
            tok = self.text.tokenize(texts, device=self.device)
        enc = self.text(tok["input_ids"], tok["attention_mask"], need_logits=return_token_logits)
        mask = enc.token_mask
        if self.config.text_pooling == "cls":
            pooled = enc.tokens[:, 0]
        else:
            w = mask.unsqueeze(-1).to(enc.tokens.dtype)
            pooled = (enc.tokens * w).sum(1) / w.sum(1).clamp(min=1.0)
        dense = F.normalize(self.text_proj(pooled), dim=-1)
        lex = maxl = None
        if lexical:
            if return_token_logits:
                lex, maxl = self.pool_lexical(enc.logits, mask)
            else:
                cols = self.lexical_columns()
                logits = self.text.mlm_head(enc.tokens, cols)
                lex, maxl = self.pool_lexical(logits, mask, cols)
        logits = enc.logits if return_token_logits else None
        return TextOutput(dense, lex, maxl, enc.tokens, mask, logits)

    def encode_motion(self, patches: torch.Tensor, row_mask: torch.Tensor) -> torch.Tensor:
        """Dense motion embedding (no lexical head).

        Args:
            patches: ``(B, 3, max_frames, 80)`` z-scored motion patch images (``(B, 3, 224,
                80)`` by default), torch tensor or NumPy array; float16/bfloat16/float32 are
                kept, other dtypes become float32. Moved to :attr:`device`.
            row_mask: ``(B, max_frames // patch_size)`` bool (``(B, 14)`` by default), True
                for real patch rows (``patch_size`` frames, 16). Moved to :attr:`device`.

        Returns:
            ``(B, D)`` embedding, ``D = config.embed_dim``, L2-normalised along ``D``, on
            :attr:`device`, in the projection's dtype (float32 unless the model was cast or
            autocast is on). Autograd is not disabled here.

        Raises:
            ValueError: ``patches`` or ``row_mask`` of the wrong shape, or a non-bool
                ``row_mask``.

        Source: Yu et al., CVPR 2024, Sec. 3.3.
        """
        return self.forward_motion(patches, row_mask, lexical=False).dense

    def encode_text(self, texts: Sequence[str]) -> torch.Tensor:
        """Dense caption embedding (no lexical head).

        Args:
            texts: ``B`` strings, tokenised here (padded to the longest, truncated to the
                text encoder's ``max_length`` tokens) and moved to :attr:`device`.

        Returns:
            ``(B, D)`` embedding, ``D = config.embed_dim``, of the ``config.text_pooling``
            pooled tokens, L2-normalised along ``D``, on :attr:`device`, in the projection's
            dtype (float32 unless the model was cast or autocast is on). Autograd is not
            disabled here.

        Raises:
            TypeError: a bare string or a non-string caption. ValueError: an empty list.

        Source: Yu et al., CVPR 2024, Sec. 3.4 (mean pooling, the default, is ours).
        """
        return self.forward_text(texts, lexical=False).dense

    def lexical_motion(self, patches: torch.Tensor, row_mask: torch.Tensor) -> torch.Tensor:
        """``(B, V)`` float32 non-negative lexical vectors of motions (with gradients).

        Args / Raises: as :meth:`forward_motion` (``patches (B, 3, max_frames, 80)``,
        ``row_mask (B, R)`` bool).

        Source: SPLADE-style max-pooled ``log(1 + relu)`` of vocabulary logits (Lyu et al.,
        ICLR 2025, the motion lexical head; Formal et al., "SPLADE v2", 2021).
        """
        return self.forward_motion(patches, row_mask).lexical
