"""Loading the towers a query needs, without ``transformers`` (issue 13).

A one-off ``motionlex search`` needs one tower: a text query the tokenizer, the BERT text
backbone, its MLM head, the text projection and the lexical vocabulary mask; a motion query the
motion ViT, its projection and the motion lexical head (decoded with the text word
embeddings). Importing ``transformers``' model code costs seconds, so :func:`load_lite` reads
the checkpoint's tensors with safetensors' lazy ``safe_open`` (plus the unchanged base layers
a ``"partial"``/``"false"`` checkpoint left out, from ``config.text_model``), the tokenizer
with the ``tokenizers`` library, and runs both encoders in plain torch (:mod:`.bert_lite`,
:mod:`.vit_lite`). Its :meth:`LiteModel.forward_text` and :meth:`LiteModel.forward_motion` give
the same dense and lexical vectors as those of :class:`MotionTextModel` (tests: to 1e-5), so it
drops into :func:`motionlex.core.retrieval.embed.encode_texts`, :func:`~motionlex.core.
retrieval.embed.encode_motions` and the ``Searcher``.

Identity: :meth:`LiteModel.fingerprint` is :func:`~motionlex.core.retrieval.fingerprints.
model_fingerprint` of the full model, computed from the files in the full model's state-dict
order (:func:`state_order`). It reads every tensor once, so a gallery index is still searched
only with the model that built it (:func:`load_lite_for` remembers a verified fingerprint per
unchanged set of files). Anything outside this path (a timm motion backend, a non-BERT text
model, a hub id, unexpected tensors) raises :class:`LiteUnsupported`: callers then load the
full model with :func:`~motionlex.core.model.factory.load_checkpoint`, which stays the one full
loader.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import safe_open

from motionlex.core.atomic import atomic_file, recover_directory
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
from motionlex.core.model.folder import (
    STATS_FILE,
    build_from_json,
    check_model_folder,
    check_motion_backbone,
    verify_weights,
)
from motionlex.core.model.lexical import excluded_vocabulary_ids, masked_max_logits
from motionlex.core.model.motion_encoder import additive_attention_mask
from motionlex.core.model.outputs import MotionOutput, TextOutput
from motionlex.core.model.text_encoder import check_texts, resolve_text_source
from motionlex.core.model.vit import row_mask_to_token_mask
from motionlex.core.model.vit_lite import vit_config_problems, vit_forward, vit_keys
from motionlex.core.patches import PatchStats

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

    Built by :func:`load_lite`. Offers what queries, gallery builds and the explorer use of the
    full model: ``config``, ``vocabulary``, ``device``, ``eval()``, :meth:`tokenize`,
    :meth:`count_tokens`, :meth:`word_pieces`, :meth:`forward_text`, :meth:`encode_text`,
    :meth:`forward_motion`, :meth:`lexical_excluded`, :meth:`parameters` and
    :meth:`fingerprint` (:func:`~motionlex.core.retrieval.fingerprints.model_fingerprint` uses
    it). The motion tensors move to ``device`` at the first motion forward
    (a text query never uses them).

    Args:
        config: the checkpoint's config.
        bert_config: the text backbone's ``transformers`` config dict.
        vit_config: the motion backbone's ``transformers`` ViT config dict.
        tokenizer: a ``tokenizers.Tokenizer`` with truncation and batch padding set.
        special_ids: the tokenizer's special token ids.
        tensors: every tensor of the full model by state-dict name (for :meth:`fingerprint`).
        device: where to compute.
        files: the files the config and tensors were read from (keys of the fingerprint
            cache of :func:`load_lite_for`).
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
        maxl = masked_max_logits(F.linear(h, weight, bias), mask)
        if cols is not None:
            low = torch.finfo(maxl.dtype).min
            maxl = maxl.new_full((maxl.shape[0], len(self.vocabulary)), low).index_copy(
                1, cols, maxl)
        maxl = maxl.masked_fill(self._excluded, torch.finfo(maxl.dtype).min)
        return torch.log1p(torch.relu(maxl)), maxl

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


def _read_tensors(path: Path, keys: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
    """Tensors of a safetensors file (all, or those of ``keys`` it holds), read lazily."""
    try:
        with safe_open(str(path), framework="pt") as f:
            names = set(f.keys())
            wanted = names if keys is None else [k for k in keys if k in names]
            return {k: f.get_tensor(k) for k in wanted}
    except Exception as e:  # safetensors raises its own SafetensorError
        raise ValueError(f"cannot read model weights {path}: {e}") from e


def _weights_metadata(path: Path) -> dict[str, str]:
    """The string metadata of a safetensors file (empty when it has none)."""
    try:
        with safe_open(str(path), framework="pt") as f:
            return dict(f.metadata() or {})
    except Exception as e:  # safetensors raises its own SafetensorError
        raise ValueError(f"cannot read model weights {path}: {e}") from e


def _tokenizer(root: Path, max_length: int) -> tuple[object, list[int]]:
    """The checkpoint's ``tokenizer.json`` as a ``tokenizers.Tokenizer`` and its special ids.

    Raises:
        LiteUnsupported: no ``tokenizer.json``, or special tokens named in
            ``tokenizer_config.json`` that differ from the file's special added tokens.
    """
    from tokenizers import Tokenizer  # the Rust tokenizer alone: no transformers import

    tdir = root / TOKENIZER_DIR
    if not (tdir / "tokenizer.json").is_file():
        raise LiteUnsupported(f"{tdir} has no tokenizer.json")
    tok = Tokenizer.from_file(str(tdir / "tokenizer.json"))
    cfg_path = tdir / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text()) if cfg_path.is_file() else {}
    named = {v for k, v in cfg.items() if k.endswith("_token") and isinstance(v, str)}
    named_ids = {tok.token_to_id(t) for t in named}
    special = {i for i, t in tok.get_added_tokens_decoder().items() if t.special}
    if not named or None in named_ids or named_ids != special:
        raise LiteUnsupported(f"{tdir}: special tokens {sorted(named)} do not match the "
                                  f"tokenizer's special tokens {sorted(special)}")
    sides = {k: cfg[k] for k in ("padding_side", "truncation_side")
             if cfg.get(k, "right") != "right"}
    if sides:  # BERT positions would move: the full tokenizer honours these
        raise LiteUnsupported(f"{cfg_path}: {sides}")
    pad = cfg.get("pad_token", "[PAD]")
    tok.enable_truncation(max_length=max_length)
    tok.enable_padding(pad_id=tok.token_to_id(pad), pad_token=pad)
    return tok, sorted(special)


def _weight_problems(config: MotionTextConfig, tensors: dict[str, torch.Tensor]) -> list[str]:
    """What the full loader would refuse in these weights: NaN or inf values, or heads whose
    shapes do not fit the config (an edited ``embed_dim``)."""
    problems = [f"{k} has NaN or inf values" for k, t in tensors.items()
                if t.is_floating_point() and not bool(t.isfinite().all())]
    words = tensors[TEXT_PREFIX + BERT_PREFIX + "embeddings.word_embeddings.weight"]
    vocab, text_width = words.shape
    want = {"motion_proj.weight": (config.embed_dim, config.motion_hidden_size),
            "text_proj.weight": (config.embed_dim, text_width),
            "motion_lexical.dense.weight": (text_width, config.motion_hidden_size),
            "motion_lexical.bias": (vocab,)}
    problems += [f"{k} is {tuple(tensors[k].shape)}, the config asks {shape}"
                 for k, shape in want.items() if tuple(tensors[k].shape) != shape]
    return problems


def load_lite(checkpoint: str | os.PathLike,
                   device: str | torch.device | None = None, *,
                   verify: bool = False) -> LiteModel:
    """Load the query towers of a checkpoint directory (see the module docstring).

    Args:
        checkpoint: a directory written by ``MotionTextModel.save_pretrained``.
        device: target device; None picks CUDA when available, else CPU.
        verify: check the folder as :func:`~motionlex.core.model.factory.load_checkpoint`
            does (``patch_stats.json`` present, the weights against ``checksums.json``);
            off for :func:`load_lite_for`, whose fingerprint check stands for it.

    Returns:
        The :class:`LiteModel`.

    Raises:
        NotAModelFolderError: (a ``FileNotFoundError``) the directory or one of its files is
            missing (:func:`~motionlex.core.model.folder.check_model_folder`'s message).
        ValueError: an unreadable config or weights file (named), or a bad ``device``
            (:func:`~motionlex.core.model.device.resolve_device`).
        LiteUnsupported: a checkpoint outside this path (load the full model instead).
    """
    dev = resolve_device(device)  # a bad --device before anything is read
    root = Path(checkpoint)
    recover_directory(root)  # an interrupted save of the folder, as load_checkpoint does
    # the one "not a model" message
    check_model_folder(root, need_stats=verify)
    config = read_config(root / CONFIG_FILE)
    if config.motion_backend != "vit":  # a timm folder has no motion_encoder_config.json
        raise LiteUnsupported(f"motion backend {config.motion_backend!r}")
    check_model_folder(root, also=(MOTION_CONFIG_FILE,))
    if verify:
        verify_weights(root)  # flipped bytes or a partial copy (~0.1 s)
    bert_config = build_from_json(root / TEXT_CONFIG_FILE, dict)  # a bad file named
    problems = bert_config_problems(bert_config)
    if problems:
        raise LiteUnsupported(f"{root / TEXT_CONFIG_FILE}: " + ", ".join(problems))
    vit_config = build_from_json(root / MOTION_CONFIG_FILE, dict)
    check_motion_backbone(root, config, vit_config)
    problems = vit_config_problems(vit_config)
    if problems:
        raise LiteUnsupported(f"{root / MOTION_CONFIG_FILE}: " + ", ".join(problems))
    order = state_order(config, int(vit_config["num_hidden_layers"]),
                        int(bert_config["num_hidden_layers"]))
    # float32 as the full model holds them (a half-precision save is upcast on load there)
    tensors = {k: v.float() if v.is_floating_point() else v
               for k, v in _read_tensors(root / WEIGHTS_FILE).items()
               if not k.startswith(LEGACY_HEAD_PREFIX)}
    missing = [k for k in order if k not in tensors]
    if missing and not all(k.startswith(TEXT_PREFIX + BERT_PREFIX) for k in missing):
        raise LiteUnsupported(f"{root / WEIGHTS_FILE} lacks {missing[:5]}")
    included = _weights_metadata(root / WEIGHTS_FILE).get("text_encoder_included", "true")
    if (included == "true") == bool(missing):  # the full loader names the mismatch
        raise LiteUnsupported(f"{root / WEIGHTS_FILE}: text_encoder_included {included!r} "
                              f"with {len(missing)} backbone tensors left out")
    files = [root / CONFIG_FILE, root / WEIGHTS_FILE]
    if missing:  # the unchanged base backbone, left out of the checkpoint
        base = Path(resolve_text_source(config.text_model)) / WEIGHTS_FILE
        files.append(base)
        if not base.is_file():
            raise LiteUnsupported(f"base text weights {base} not found")
        names = {k: k[len(TEXT_PREFIX + BERT_PREFIX):] for k in missing}
        got = _read_tensors(base, list(names.values()) + [BERT_PREFIX + n for n in names.values()])
        for k, n in names.items():
            t = got.get(n, got.get(BERT_PREFIX + n))
            if t is None:
                raise LiteUnsupported(f"{base} lacks {n}")
            tensors[k] = t.float()
        want = _weights_metadata(root / WEIGHTS_FILE).get("text_encoder_sha256")
        h = hashlib.sha256()  # as MotionTextModel.load_weights checks the base layers
        for k in sorted(missing):
            h.update(k.encode())
            h.update(tensors[k].contiguous().numpy().reshape(-1))
        if want != h.hexdigest():
            raise ValueError(f"base text weights from {config.text_model!r} differ from the "
                             f"ones {root} was saved with (sha256 {h.hexdigest()[:12]} != "
                             f"{str(want)[:12]})")
    if set(tensors) != set(order):
        raise LiteUnsupported(f"unexpected tensors {sorted(set(tensors) - set(order))[:5]}")
    problems = _weight_problems(config, tensors)
    if problems:  # the full loader refuses them, naming the file: it is the one to say so
        raise LiteUnsupported(f"{root / WEIGHTS_FILE}: " + "; ".join(problems))
    tokenizer, special = _tokenizer(root, config.max_text_length)
    return LiteModel(config, bert_config, vit_config, tokenizer, special,
                         {k: tensors[k] for k in order}, dev, files)


def load_for_queries(checkpoint: str | os.PathLike, device: str | torch.device | None = None,
                     ) -> tuple[LiteModel | Any, PatchStats]:
    """A model folder for queries without a gallery index (``motionlex words``): the
    :class:`LiteModel` checked as :func:`~motionlex.core.model.factory.load_checkpoint` checks
    a folder (weights against ``checksums.json``), or the full model where the lite path does
    not cover the checkpoint; with its patch statistics.

    Raises:
        NotAModelFolderError / ValueError: as :func:`load_lite` and ``load_checkpoint``.
    """
    try:
        model = load_lite(checkpoint, device, verify=True)
    except LiteUnsupported as e:
        from motionlex.core.model.factory import load_checkpoint

        logger.debug("lite loading of %s not possible (%s); use the full model", checkpoint, e)
        return load_checkpoint(checkpoint, device)
    return model, PatchStats.load(Path(checkpoint) / STATS_FILE)


def _cache_file(files: Sequence[Path]) -> Path:
    """Fingerprint cache entry of these files: named by their paths, sizes, mtimes, inodes."""
    h = hashlib.sha256()
    for p in files:
        st = p.stat()
        h.update(f"{p.resolve()}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}\n".encode())
    return cache_dir("fingerprints", f"{h.hexdigest()[:32]}.txt")


def load_lite_for(model_hash: str, checkpoint: str | os.PathLike,
                       device: str | torch.device | None = None) -> LiteModel | None:
    """The text tower of ``checkpoint`` if it is the model whose fingerprint is ``model_hash``
    (a gallery index's ``model_hash``), else None.

    None also when the checkpoint is outside the lite path: the caller then loads the
    full model with :func:`~motionlex.core.model.factory.load_checkpoint`, whose index check
    names a real mismatch. A verified fingerprint is remembered in the cache folder under the
    identity (path, size, mtime, inode) of the files it was computed from, so the next query
    on unchanged files skips hashing ~100 MB of weights (~0.3 s); any change of a file misses.

    Raises:
        FileNotFoundError / ValueError: as :func:`load_lite`.
    """
    try:
        model = load_lite(checkpoint, device)
    except LiteUnsupported as e:
        logger.debug("lite loading of %s not possible (%s); use the full model",
                     checkpoint, e)
        return None
    entry = _cache_file(model.files)
    try:
        if entry.read_text().strip() == model_hash:
            return model
    except OSError:
        pass  # not cached yet
    if model.fingerprint() != model_hash:
        logger.debug("lite fingerprint of %s differs from %s; use the full model",
                     checkpoint, model_hash[:16])
        return None
    try:
        with atomic_file(entry) as tmp:
            tmp.write_text(model_hash + "\n")
    except OSError as e:  # a read-only cache folder only costs the hash next time
        logger.debug("cannot cache the fingerprint in %s: %s", entry, e)
    return model
