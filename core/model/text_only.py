"""Text-only loading of a checkpoint: what a text query needs, nothing else (issue 13).

A one-off ``motionlex search "..."`` needs the tokenizer, the BERT text backbone, its MLM head,
the text projection and the lexical vocabulary mask, not the motion ViT. :func:`load_text_only`
reads just those: the tokenizer with the ``tokenizers`` library (no ``transformers`` import),
the text tensors with safetensors' lazy ``safe_open`` (plus the unchanged base layers a
``"partial"``/``"false"`` checkpoint left out, from ``config.text_model``), and runs BERT in
plain torch (:mod:`.bert_lite`). Its :meth:`TextOnlyModel.forward_text` gives the same dense
and lexical vectors as :meth:`MotionTextModel.forward_text` (tests: to 1e-5), so it drops into
:func:`motionlex.core.retrieval.embed.encode_texts` and the ``Searcher``.

Identity: :meth:`TextOnlyModel.fingerprint` is :func:`~motionlex.core.retrieval.fingerprints.
model_fingerprint` of the full model, computed from the files in the full model's state-dict
order (:func:`state_order`). It reads every tensor once (motion ones included), so a gallery
index is still searched only with the model that built it (:func:`load_text_only_for`
remembers a verified fingerprint per unchanged set of files). Anything outside this path (a timm
motion backend, a non-BERT text model, a hub id, unexpected tensors) raises
:class:`TextOnlyUnsupported`: callers then load the full model with
:func:`~motionlex.core.model.factory.load_checkpoint`, which stays the one full loader.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from safetensors import safe_open

from motionlex.core.atomic import atomic_file
from motionlex.core.cache import cache_dir
from motionlex.core.model.bert_lite import (
    BERT_PREFIX,
    bert_config_problems,
    bert_forward,
    bert_keys,
)
from motionlex.core.model.checkpoint import (
    CONFIG_FILE,
    LEGACY_HEAD_PREFIX,
    MOTION_CONFIG_FILE,
    TEXT_CONFIG_FILE,
    TOKENIZER_DIR,
    WEIGHTS_FILE,
    read_config,
)
from motionlex.core.model.config import MotionTextConfig
from motionlex.core.model.device import resolve_device
from motionlex.core.model.folder import check_model_folder, verify_weights
from motionlex.core.model.lexical import excluded_vocabulary_ids, masked_max_logits
from motionlex.core.model.outputs import TextOutput
from motionlex.core.model.text_encoder import check_texts, resolve_text_source

logger = logging.getLogger(__name__)

TEXT_PREFIX = "text.mlm."
HEAD_KEYS = ("cls.predictions.bias", "cls.predictions.transform.dense.weight",
             "cls.predictions.transform.dense.bias", "cls.predictions.transform.LayerNorm.weight",
             "cls.predictions.transform.LayerNorm.bias")
_VIT_LAYER = ("attention.q_proj.weight", "attention.q_proj.bias", "attention.k_proj.weight",
              "attention.k_proj.bias", "attention.v_proj.weight", "attention.v_proj.bias",
              "attention.o_proj.weight", "attention.o_proj.bias", "layernorm_before.weight",
              "layernorm_before.bias", "layernorm_after.weight", "layernorm_after.bias",
              "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias")


class TextOnlyUnsupported(ValueError):
    """A checkpoint the text-only path does not cover; load the full model instead."""


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
    vit = "motion.backbone."
    motion = [f"{vit}embeddings.{k}" for k in ("cls_token", "mask_token", "position_embeddings",
                                                 "patch_embeddings.projection.weight",
                                                 "patch_embeddings.projection.bias")]
    motion += [f"{vit}layers.{i}.{k}" for i in range(motion_layers) for k in _VIT_LAYER]
    motion += [f"{vit}layernorm.weight", f"{vit}layernorm.bias"]
    text = [TEXT_PREFIX + k for k in bert_keys(text_layers) + list(HEAD_KEYS)]
    heads = ["motion_proj.weight", "text_proj.weight", "motion_lexical.bias",
             "motion_lexical.dense.weight", "motion_lexical.dense.bias",
             "motion_lexical.norm.weight", "motion_lexical.norm.bias"]
    return own + motion + text + heads


class TextOnlyModel:
    """The text tower of a :class:`MotionTextModel`: tokenizer, BERT, MLM head, projection.

    Built by :func:`load_text_only`. Offers what text queries use of the full model:
    ``config``, ``vocabulary``, ``device``, ``eval()``, :meth:`tokenize`,
    :meth:`count_tokens`, :meth:`word_pieces`, :meth:`forward_text` and :meth:`encode_text`.

    Args:
        config: the checkpoint's config.
        bert_config: the text backbone's ``transformers`` config dict.
        tokenizer: a ``tokenizers.Tokenizer`` with truncation and batch padding set.
        special_ids: the tokenizer's special token ids.
        tensors: every tensor of the full model by state-dict name (motion ones included, for
            :meth:`fingerprint`); the text ones are used on ``device``.
        device: where to compute.
        files: the files the config and tensors were read from (keys of the fingerprint
            cache of :func:`load_text_only_for`).
    """

    def __init__(self, config: MotionTextConfig, bert_config: dict, tokenizer: object,
                 special_ids: Sequence[int], tensors: dict[str, torch.Tensor],
                 device: torch.device, files: Sequence[Path] = ()) -> None:
        self.config = config
        self.files = [Path(f) for f in files]
        self.bert_config = bert_config
        self.tokenizer = tokenizer
        self._tensors = tensors
        self.device = device
        self.text = {k[len(TEXT_PREFIX):]: t.to(device) for k, t in tensors.items()
                     if k.startswith(TEXT_PREFIX)}
        self.text_proj = tensors["text_proj.weight"].to(device)
        v = self.text[f"{BERT_PREFIX}embeddings.word_embeddings.weight"].shape[0]
        if tokenizer.get_vocab_size(with_added_tokens=True) != v:
            raise TextOnlyUnsupported(
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

    def eval(self) -> TextOnlyModel:
        """No-op (inference only), for callers written for ``nn.Module``."""
        return self

    def fingerprint(self) -> str:
        """:func:`model_fingerprint` of the full model (64 hex chars): config JSON, then each
        tensor's ``name:shape`` and float32 bytes in :func:`state_order`."""
        h = hashlib.sha256()
        h.update(json.dumps(self.config.to_dict(), sort_keys=True, default=str).encode())
        for name, t in self._tensors.items():
            h.update(f"{name}:{tuple(t.shape)}".encode())
            # the float32 bytes, hashed in place (``tobytes`` would copy ~100 MB)
            h.update(t.to("cpu", torch.float32).contiguous().numpy().reshape(-1))
        return h.hexdigest()

    def tokenize(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        """``B`` strings -> ``input_ids`` and ``attention_mask`` ``(B, L)`` int64 on the device,
        padded to the longest, truncated to ``max_text_length`` (as ``TextEncoder.tokenize``).

        Raises:
            ValueError: an empty list or a non-string item.
        """
        check_texts(texts)
        enc = self.tokenizer.encode_batch(list(texts))
        ids = torch.tensor([e.ids for e in enc], dtype=torch.long, device=self.device)
        mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.long, device=self.device)
        return {"input_ids": ids, "attention_mask": mask}

    def _untruncated(self, text: str, special: bool = True) -> Any:
        """``text`` encoded whole (the tokenizer's truncation lifted for it)."""
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
            ValueError: an empty list or a non-string caption.
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
        """MLM head over the allowed columns, masked max, ``log1p(relu)``: ``(B, V)`` each."""
        t, eps = self.text, float(self.bert_config.get("layer_norm_eps", 1e-12))
        p = "cls.predictions."
        h = F.gelu(F.linear(hidden, t[p + "transform.dense.weight"], t[p + "transform.dense.bias"]))
        h = F.layer_norm(h, h.shape[-1:], t[p + "transform.LayerNorm.weight"],
                         t[p + "transform.LayerNorm.bias"], eps)
        weight, bias = t[f"{BERT_PREFIX}embeddings.word_embeddings.weight"], t[p + "bias"]
        cols = self._columns
        if cols is not None:
            weight, bias = weight[cols], bias[cols]
        maxl = masked_max_logits(F.linear(h, weight, bias), mask)
        if cols is not None:
            low = torch.finfo(maxl.dtype).min
            maxl = maxl.new_full((maxl.shape[0], len(self.vocabulary)), low).index_copy(
                1, cols, maxl)
        maxl = maxl.masked_fill(self._excluded, torch.finfo(maxl.dtype).min)
        return torch.log1p(torch.relu(maxl)), maxl

    def encode_text(self, texts: Sequence[str]) -> torch.Tensor:
        """``B`` captions -> ``(B, D)`` L2-normalised dense embedding."""
        return self.forward_text(texts, lexical=False).dense


def _read_tensors(path: Path, keys: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
    """Tensors of a safetensors file (all, or those of ``keys`` it holds), read lazily."""
    try:
        with safe_open(str(path), framework="pt") as f:
            names = set(f.keys())
            wanted = names if keys is None else [k for k in keys if k in names]
            return {k: f.get_tensor(k) for k in wanted}
    except Exception as e:  # safetensors raises its own SafetensorError
        raise ValueError(f"cannot read model weights {path}: {e}") from e


def _tokenizer(root: Path, max_length: int) -> tuple[object, list[int]]:
    """The checkpoint's ``tokenizer.json`` as a ``tokenizers.Tokenizer`` and its special ids.

    Raises:
        TextOnlyUnsupported: no ``tokenizer.json``, or special tokens named in
            ``tokenizer_config.json`` that differ from the file's special added tokens.
    """
    from tokenizers import Tokenizer  # the Rust tokenizer alone: no transformers import

    tdir = root / TOKENIZER_DIR
    if not (tdir / "tokenizer.json").is_file():
        raise TextOnlyUnsupported(f"{tdir} has no tokenizer.json")
    tok = Tokenizer.from_file(str(tdir / "tokenizer.json"))
    cfg_path = tdir / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text()) if cfg_path.is_file() else {}
    named = {v for k, v in cfg.items() if k.endswith("_token") and isinstance(v, str)}
    named_ids = {tok.token_to_id(t) for t in named}
    special = {i for i, t in tok.get_added_tokens_decoder().items() if t.special}
    if not named or None in named_ids or named_ids != special:
        raise TextOnlyUnsupported(f"{tdir}: special tokens {sorted(named)} do not match the "
                                  f"tokenizer's special tokens {sorted(special)}")
    pad = cfg.get("pad_token", "[PAD]")
    tok.enable_truncation(max_length=max_length)
    tok.enable_padding(pad_id=tok.token_to_id(pad), pad_token=pad)
    return tok, sorted(special)


def load_text_only(checkpoint: str | os.PathLike,
                   device: str | torch.device | None = None, *,
                   verify: bool = False) -> TextOnlyModel:
    """Load the text tower of a checkpoint directory (see the module docstring).

    Args:
        checkpoint: a directory written by ``MotionTextModel.save_pretrained``.
        device: target device; None picks CUDA when available, else CPU.
        verify: check the folder as :func:`~motionlex.core.model.factory.load_checkpoint`
            does (``patch_stats.json`` present, the weights against ``checksums.json``);
            off for :func:`load_text_only_for`, whose fingerprint check stands for it.

    Returns:
        The :class:`TextOnlyModel`.

    Raises:
        NotAModelFolderError: (a ``FileNotFoundError``) the directory or one of its files is
            missing (:func:`~motionlex.core.model.folder.check_model_folder`'s message).
        ValueError: an unreadable config or weights file (named), or a bad ``device``
            (:func:`~motionlex.core.model.device.resolve_device`).
        TextOnlyUnsupported: a checkpoint outside this path (load the full model instead).
    """
    dev = resolve_device(device)  # a bad --device before anything is read
    root = Path(checkpoint)
    # the one "not a model" message
    check_model_folder(root, need_stats=verify, also=(MOTION_CONFIG_FILE,))
    if verify:
        verify_weights(root)  # flipped bytes or a partial copy (~0.1 s)
    config = read_config(root / CONFIG_FILE)
    if config.motion_backend != "vit":
        raise TextOnlyUnsupported(f"motion backend {config.motion_backend!r}")
    bert_config = json.loads((root / TEXT_CONFIG_FILE).read_text())
    problems = bert_config_problems(bert_config)
    if problems:
        raise TextOnlyUnsupported(f"{root / TEXT_CONFIG_FILE}: " + ", ".join(problems))
    motion_layers = int(json.loads((root / MOTION_CONFIG_FILE).read_text())["num_hidden_layers"])
    order = state_order(config, motion_layers, int(bert_config["num_hidden_layers"]))
    tensors = {k: v for k, v in _read_tensors(root / WEIGHTS_FILE).items()
               if not k.startswith(LEGACY_HEAD_PREFIX)}
    missing = [k for k in order if k not in tensors]
    if missing and not all(k.startswith(TEXT_PREFIX + BERT_PREFIX) for k in missing):
        raise TextOnlyUnsupported(f"{root / WEIGHTS_FILE} lacks {missing[:5]}")
    files = [root / CONFIG_FILE, root / WEIGHTS_FILE]
    if missing:  # the unchanged base backbone, left out of the checkpoint
        base = Path(resolve_text_source(config.text_model)) / WEIGHTS_FILE
        files.append(base)
        if not base.is_file():
            raise TextOnlyUnsupported(f"base text weights {base} not found")
        names = {k: k[len(TEXT_PREFIX + BERT_PREFIX):] for k in missing}
        got = _read_tensors(base, list(names.values()) + [BERT_PREFIX + n for n in names.values()])
        for k, n in names.items():
            t = got.get(n, got.get(BERT_PREFIX + n))
            if t is None:
                raise TextOnlyUnsupported(f"{base} lacks {n}")
            tensors[k] = t.float()
    if set(tensors) != set(order):
        raise TextOnlyUnsupported(f"unexpected tensors {sorted(set(tensors) - set(order))[:5]}")
    tokenizer, special = _tokenizer(root, config.max_text_length)
    return TextOnlyModel(config, bert_config, tokenizer, special,
                         {k: tensors[k] for k in order}, dev, files)


def _cache_file(files: Sequence[Path]) -> Path:
    """Fingerprint cache entry of these files: named by their paths, sizes, mtimes, inodes."""
    h = hashlib.sha256()
    for p in files:
        st = p.stat()
        h.update(f"{p.resolve()}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}\n".encode())
    return cache_dir("fingerprints", f"{h.hexdigest()[:32]}.txt")


def load_text_only_for(model_hash: str, checkpoint: str | os.PathLike,
                       device: str | torch.device | None = None) -> TextOnlyModel | None:
    """The text tower of ``checkpoint`` if it is the model whose fingerprint is ``model_hash``
    (a gallery index's ``model_hash``), else None.

    None also when the checkpoint is outside the text-only path: the caller then loads the
    full model with :func:`~motionlex.core.model.factory.load_checkpoint`, whose index check
    names a real mismatch. A verified fingerprint is remembered in the cache folder under the
    identity (path, size, mtime, inode) of the files it was computed from, so the next query
    on unchanged files skips hashing ~100 MB of weights (~0.3 s); any change of a file misses.

    Raises:
        FileNotFoundError / ValueError: as :func:`load_text_only`.
    """
    try:
        model = load_text_only(checkpoint, device)
    except TextOnlyUnsupported as e:
        logger.debug("text-only loading of %s not possible (%s); use the full model",
                     checkpoint, e)
        return None
    entry = _cache_file(model.files)
    try:
        if entry.read_text().strip() == model_hash:
            return model
    except OSError:
        pass  # not cached yet
    if model.fingerprint() != model_hash:
        logger.debug("text-only fingerprint of %s differs from %s; use the full model",
                     checkpoint, model_hash[:16])
        return None
    try:
        with atomic_file(entry) as tmp:
            tmp.write_text(model_hash + "\n")
    except OSError as e:  # a read-only cache folder only costs the hash next time
        logger.debug("cannot cache the fingerprint in %s: %s", entry, e)
    return model
