"""The towers a query needs, in plain torch, without ``transformers`` (issue 13).

A one-off ``motionlex search`` needs one tower: a text query the tokenizer, the BERT text
backbone, its MLM head, the text projection and the lexical vocabulary mask; a motion query the
motion ViT, its projection and the motion lexical head (decoded with the text word
embeddings). Importing ``transformers``' model code costs seconds, so :class:`LiteModel` runs
both encoders in plain torch (:mod:`.bert_lite`, :mod:`.vit_lite`) on the checkpoint's own
tensors. Its :meth:`LiteModel.forward_text` and :meth:`LiteModel.forward_motion` give the same
dense and lexical vectors as those of :class:`MotionTextModel` (tests: to 1e-5), so it drops
into :func:`motionlex.core.retrieval.embed.encode_texts`, :func:`~motionlex.core.retrieval.
embed.encode_motions`, the ``Searcher``, index builds and the explorer's worker.
:mod:`.lite_load` loads it from a model folder (or says the folder needs the full model).

Identity: :meth:`LiteModel.fingerprint` is :func:`~motionlex.core.retrieval.fingerprints.
model_fingerprint` of the full model, computed from the tensors in the full model's state-dict
order (:func:`state_order`), so a gallery index is still searched only with the model that
built it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from motionlex.core.model.bert_lite import (
    BERT_PREFIX,
    bert_forward,
    bert_keys,
)
from motionlex.core.model.checkpoint import state_fingerprint
from motionlex.core.model.config import MotionTextConfig
from motionlex.core.model.lexical import excluded_vocabulary_ids, pool_vocabulary
from motionlex.core.model.motion_encoder import additive_attention_mask
from motionlex.core.model.outputs import MotionOutput, TextOutput
from motionlex.core.model.text_encoder import check_texts
from motionlex.core.model.vit import row_mask_to_token_mask
from motionlex.core.model.vit_lite import vit_forward, vit_keys

logger = logging.getLogger(__name__)

TEXT_PREFIX = "text.mlm."
MOTION_PREFIX = "motion.backbone."
HEAD_KEYS = ("cls.predictions.bias", "cls.predictions.transform.dense.weight",
             "cls.predictions.transform.dense.bias", "cls.predictions.transform.LayerNorm.weight",
             "cls.predictions.transform.LayerNorm.bias")

class LiteUnsupported(ValueError):
    """A checkpoint the lite path does not cover; load the full model instead."""


def state_order(config: MotionTextConfig, motion_layers: int, text_layers: int) -> list[str]:
    """Names of the full model's state dict, in its order, each tied tensor once.

    Mirrors ``MotionTextModel.state_dict()`` for the ``vit`` motion backend and a BERT masked
    LM: own parameters (and the persistent ``lexical_allowed`` buffer), then the motion ViT,
    the text masked LM (its decoder is tied to the word embeddings and its bias to
    ``cls.predictions.bias``), the projections and the motion lexical head. A test checks it
    against the real model; at run time a wrong order only makes the fingerprint differ, and
    the caller falls back to the full model.
    """
    own = ["logit_scale", "lexical_logit_scale"]
    if config.lexical_vocabulary == "corpus":
        own.append("lexical_allowed")
    motion = vit_keys(motion_layers, MOTION_PREFIX)
    text = [TEXT_PREFIX + k for k in bert_keys(text_layers) + list(HEAD_KEYS)]
    heads = ["motion_proj.weight", "text_proj.weight", "motion_lexical.bias",
             "motion_lexical.dense.weight", "motion_lexical.dense.bias",
             "motion_lexical.norm.weight", "motion_lexical.norm.bias"]
    return own + motion + text + heads


class LiteModel:
    """Both towers of a :class:`MotionTextModel` in plain torch, for queries (no training).

    Built by :func:`~.lite_load.load_lite`. Offers what queries, gallery builds and the
    explorer use of the full model: ``config``, ``vocabulary``, ``device``, ``eval()``,
    :meth:`tokenize`, :meth:`count_tokens`, :meth:`word_pieces`, :meth:`forward_text`,
    :meth:`encode_text`, :meth:`forward_motion`, :meth:`lexical_excluded`, :meth:`parameters`
    and :meth:`fingerprint` (:func:`~motionlex.core.retrieval.fingerprints.model_fingerprint`
    uses it). The motion tensors move to ``device`` at the first motion forward (a text query
    never uses them).

    Args:
        config: the checkpoint's config.
        bert_config: the text backbone's ``transformers`` config dict.
        vit_config: the motion backbone's ``transformers`` ViT config dict.
        tokenizer: a ``tokenizers.Tokenizer`` with truncation and batch padding set.
        special_ids: the tokenizer's special token ids.
        tensors: every tensor of the full model by state-dict name (for :meth:`fingerprint`).
        device: where to compute.
        files: the files the config and tensors were read from (keys of the fingerprint
            cache of :func:`~.lite_load.load_lite_for`).
    """

    def __init__(self, config: MotionTextConfig, bert_config: dict, vit_config: dict,
                 tokenizer: object, special_ids: Sequence[int], tensors: dict[str, torch.Tensor],
                 device: torch.device, files: Sequence[Path] = ()) -> None:
        self.config = config
        self.files = [Path(f) for f in files]
        self.bert_config = bert_config
        self.vit_config = vit_config
        self.tokenizer = tokenizer
        self._tensors = tensors
        self.device = device
        self.text = {k[len(TEXT_PREFIX):]: t.to(device) for k, t in tensors.items()
                     if k.startswith(TEXT_PREFIX)}
        self.text_proj = tensors["text_proj.weight"].to(device)
        self._motion: dict[str, torch.Tensor] | None = None  # see _motion_tensors
        v = self.text[f"{BERT_PREFIX}embeddings.word_embeddings.weight"].shape[0]
        if tokenizer.get_vocab_size(with_added_tokens=True) != v:
            raise LiteUnsupported(
                f"tokenizer has {tokenizer.get_vocab_size(with_added_tokens=True)} tokens but "
                f"the text model's vocabulary has {v}")
        self.vocabulary: list[str] = [tokenizer.id_to_token(i) or "" for i in range(v)]
        excluded = torch.zeros(v, dtype=torch.bool)
        if config.lexical_exclude_special:
            excluded[excluded_vocabulary_ids(self.vocabulary, special_ids)] = True
        if config.lexical_vocabulary == "corpus":
            excluded |= ~tensors["lexical_allowed"].bool()
        self._excluded = excluded.to(device)
        self._columns = (torch.nonzero(~self._excluded).squeeze(1)
                         if config.lexical_vocabulary == "corpus" else None)

    def eval(self) -> LiteModel:
        """No-op (inference only), for callers written for ``nn.Module``."""
        return self

    def lexical_excluded(self) -> torch.Tensor:
        """``(V,)`` bool: vocabulary entries forced to zero in every lexical vector (as
        :meth:`MotionTextModel.lexical_excluded`)."""
        return self._excluded

    def parameters(self) -> list[torch.Tensor]:
        """The full model's parameters (its float tensors but the ``lexical_allowed`` buffer,
        each tied tensor once, on the CPU), for counting as ``nn.Module.parameters()``."""
        return [t for k, t in self._tensors.items()
                if k != "lexical_allowed" and t.is_floating_point()]

    def fingerprint(self) -> str:
        """:func:`model_fingerprint` of the full model (64 hex chars): config JSON, then each
        tensor's ``name:shape`` and float32 bytes in :func:`state_order`."""
        return state_fingerprint(self.config, self._tensors.items())

    def tokenize(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        """``B`` strings -> ``input_ids`` and ``attention_mask`` ``(B, L)`` int64 on the device,
        padded to the longest, truncated to ``max_text_length`` (as ``TextEncoder.tokenize``).

        Raises:
            TypeError: a bare string or a non-string item. ValueError: an empty list.
        """
        check_texts(texts)
        enc = self.tokenizer.encode_batch(list(texts))
        ids = torch.tensor([e.ids for e in enc], dtype=torch.long, device=self.device)
        mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.long, device=self.device)
        return {"input_ids": ids, "attention_mask": mask}

    def _untruncated(self, text: str, special: bool = True) -> Any:
        """``text`` encoded whole (the tokenizer's truncation lifted for it; the tokenizer is
        shared, so a model is used from one thread at a time, as the explorer's worker and
        the CLI do)."""
        truncation = self.tokenizer.truncation
        self.tokenizer.no_truncation()
        try:
            return self.tokenizer.encode(text, add_special_tokens=special)
        finally:
            self.tokenizer.enable_truncation(**truncation)

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` with the special tokens, not truncated (as
        ``TextEncoder.count_tokens``)."""
        return len(self._untruncated(text).ids)

    def word_pieces(self, text: str) -> list[str]:
        """``text`` as the tokenizer's pieces, as :meth:`MotionTextModel.word_pieces`."""
        return list(self._untruncated(text, special=False).tokens)

    @torch.inference_mode()
    def forward_text(self, texts: Sequence[str], *, lexical: bool = True) -> TextOutput:
        """Encode captions as :meth:`MotionTextModel.forward_text` does (no token logits).

        Returns:
            :class:`TextOutput`: ``dense (B, D)`` L2-normalised, ``lexical``/``max_logits``
            ``(B, V)`` float32 (None when ``lexical`` is False), ``tokens (B, L, H)``,
            ``token_mask (B, L)`` bool.

        Raises:
            TypeError: a bare string or a non-string caption. ValueError: an empty list.
        """
        tok = self.tokenize(texts)
        hidden = bert_forward(self.text, self.bert_config, tok["input_ids"],
                              tok["attention_mask"])
        mask = tok["attention_mask"].bool()
        if self.config.text_pooling == "cls":
            pooled = hidden[:, 0]
        else:
            w = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * w).sum(1) / w.sum(1).clamp(min=1.0)
        dense = F.normalize(F.linear(pooled, self.text_proj), dim=-1)
        lex = maxl = None
        if lexical:
            lex, maxl = self._lexical(hidden, mask)
        return TextOutput(dense, lex, maxl, hidden, mask)

    def _lexical(self, hidden: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor,
                                                                          torch.Tensor]:
        """Text MLM head over the allowed columns, then :meth:`_pool`: ``(B, V)`` each."""
        t, eps = self.text, float(self.bert_config.get("layer_norm_eps", 1e-12))
        p = "cls.predictions."
        h = F.gelu(F.linear(hidden, t[p + "transform.dense.weight"], t[p + "transform.dense.bias"]))
        h = F.layer_norm(h, h.shape[-1:], t[p + "transform.LayerNorm.weight"],
                         t[p + "transform.LayerNorm.bias"], eps)
        return self._pool(h, t[p + "bias"], mask)

    def _pool(self, h: torch.Tensor, bias: torch.Tensor, mask: torch.Tensor) -> tuple[
            torch.Tensor, torch.Tensor]:
        """Tokens at text width ``(B, L, Ht)`` -> tied word-embedding logits over the allowed
        columns, masked max, excluded words out, ``log1p(relu)``: ``(B, V)`` each (as
        :meth:`MotionTextModel.pool_lexical`)."""
        weight = self.text[f"{BERT_PREFIX}embeddings.word_embeddings.weight"]
        cols = self._columns
        if cols is not None:
            weight, bias = weight[cols], bias[cols]
        return pool_vocabulary(F.linear(h, weight, bias), mask, self._excluded, cols)

    def _motion_tensors(self) -> dict[str, torch.Tensor]:
        """The motion ViT and head tensors on the device (moved at the first call)."""
        if self._motion is None:
            self._motion = {k: t.to(self.device) for k, t in self._tensors.items()
                            if k.startswith((MOTION_PREFIX, "motion_proj.", "motion_lexical."))}
        return self._motion

    @torch.inference_mode()
    def forward_motion(self, patches: torch.Tensor | np.ndarray,
                       row_mask: torch.Tensor | np.ndarray, *,
                       lexical: bool = True) -> MotionOutput:
        """Encode motions as :meth:`MotionTextModel.forward_motion` does (no masked patches).

        Args:
            patches: ``(B, 3, max_frames, 80)`` float z-scored motion patch images.
            row_mask: ``(B, R)`` bool, True for real patch rows (``R = max_frames //
                patch_size``).
            lexical: also compute the lexical vector.

        Returns:
            :class:`MotionOutput`: ``dense (B, D)`` L2-normalised, ``lexical``/``max_logits``
            ``(B, V)`` float32 (None when ``lexical`` is False), ``tokens (B, 1 + P, Hm)``,
            ``token_mask (B, 1 + P)`` bool.

        Raises:
            ValueError: patches or a row mask of another shape or dtype.
        """
        m = self._motion_tensors()
        patches = torch.as_tensor(patches).to(self.device, torch.float32)
        row_mask = torch.as_tensor(row_mask).to(self.device)
        size = tuple(self.vit_config["image_size"])
        ps = int(self.vit_config["patch_size"])
        grid = (size[0] // ps, size[1] // ps)
        b = patches.shape[0] if patches.ndim == 4 else -1
        if tuple(patches.shape) != (b, int(self.vit_config["num_channels"]), *size):
            raise ValueError(f"patches must be (B, {self.vit_config['num_channels']}, "
                             f"{size[0]}, {size[1]}); got {tuple(patches.shape)}")
        if tuple(row_mask.shape) != (b, grid[0]) or row_mask.dtype != torch.bool:
            raise ValueError(f"row_mask must be bool ({b}, {grid[0]}); got {row_mask.dtype} "
                             f"{tuple(row_mask.shape)}")
        patch_mask = row_mask_to_token_mask(row_mask, grid[1])
        mask = torch.cat([torch.ones_like(patch_mask[:, :1]), patch_mask], dim=1)
        tokens = vit_forward(m, self.vit_config, patches,
                             additive_attention_mask(mask, patches.dtype), MOTION_PREFIX)
        dense = F.normalize(F.linear(tokens[:, 0], m["motion_proj.weight"]), dim=-1)
        lex = maxl = None
        if lexical:
            t, t_mask = tokens[:, 1:], mask[:, 1:]
            if self.config.motion_lexical_tokens == "rows":
                t, t_mask = t.reshape(b, grid[0], grid[1], -1).mean(2), row_mask
            h = F.layer_norm(F.gelu(F.linear(t, m["motion_lexical.dense.weight"],
                                             m["motion_lexical.dense.bias"])),
                             (m["motion_lexical.norm.weight"].shape[0],),
                             m["motion_lexical.norm.weight"], m["motion_lexical.norm.bias"],
                             1e-12)
            lex, maxl = self._pool(h, m["motion_lexical.bias"], t_mask)
        return MotionOutput(dense, lex, maxl, tokens, mask)

    def encode_text(self, texts: Sequence[str]) -> torch.Tensor:
        """``B`` captions -> ``(B, D)`` L2-normalised dense embedding."""
        return self.forward_text(texts, lexical=False).dense
