"""Loading a :class:`~.lite.LiteModel` from a model folder (issue 13).

:func:`load_lite` reads the checkpoint's tensors with safetensors' lazy ``safe_open`` (plus
the unchanged base layers a ``"partial"``/``"false"`` checkpoint left out, checked against
their saved SHA-256 as the full loader checks them), the tokenizer with the ``tokenizers``
library, and refuses with :class:`~.lite.LiteUnsupported` whatever the full loader would load
differently or refuse (a timm backbone, a non-BERT text model, NaN weights, heads that do not
fit the config, ...): callers then use :func:`~.factory.load_checkpoint`, the one full loader
and the one to name a broken folder. :func:`load_for_queries` does that fallback for a model
folder alone; :func:`load_lite_for` for a gallery index, by the full model's fingerprint
(remembered per unchanged set of files in the cache folder).
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
from safetensors import safe_open

from motionlex.core.atomic import atomic_file, recover_directory
from motionlex.core.cache import cache_dir
from motionlex.core.model.bert_lite import (
    BERT_PREFIX,
    bert_config_problems,
)
from motionlex.core.model.checkpoint import (
    CONFIG_FILE,
    LEGACY_HEAD_PREFIX,
    MOTION_CONFIG_FILE,
    TEXT_CONFIG_FILE,
    TOKENIZER_DIR,
    WEIGHTS_FILE,
    read_config,
    text_weights_sha256,
)
from motionlex.core.model.config import MotionTextConfig
from motionlex.core.model.device import resolve_device
from motionlex.core.model.folder import (
    STATS_FILE,
    build_from_json,
    check_model_folder,
    check_motion_backbone,
    read_header,
    verify_weights,
)
from motionlex.core.model.lite import (
    MOTION_PREFIX,
    TEXT_PREFIX,
    LiteModel,
    LiteUnsupported,
    state_order,
)
from motionlex.core.model.text_encoder import resolve_text_source
from motionlex.core.model.types import EncoderModel
from motionlex.core.model.vit_lite import current_vit_name, vit_config_problems
from motionlex.core.patches import PatchStats

logger = logging.getLogger(__name__)


def _read_tensors(path: Path, keys: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
    """Tensors of a safetensors file (all, or those of ``keys`` it holds), read lazily."""
    try:
        with safe_open(str(path), framework="pt") as f:
            # a transformers < 5.9 motion ViT's names, read under today's (vit_lite's)
            stored = {current_vit_name(k, MOTION_PREFIX): k for k in f.keys()}
            wanted = stored if keys is None else [k for k in keys if k in stored]
            return {k: f.get_tensor(stored[k]) for k in wanted}
    except Exception as e:  # safetensors raises its own SafetensorError
        raise ValueError(f"cannot read model weights {path}: {e}") from e


def _tokenizer(root: Path, max_length: int) -> tuple[object, list[int]]:
    """The checkpoint's ``tokenizer.json`` as a ``tokenizers.Tokenizer`` and its special ids.

    Raises:
        LiteUnsupported: no ``tokenizer.json``; special tokens named in
            ``tokenizer_config.json`` that differ from the file's special added tokens; left
            padding or truncation; or lower-casing, accent or Chinese-character settings that
            differ from the file's BERT normalizer (transformers would apply the config's).
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
    norm = json.loads((tdir / "tokenizer.json").read_text()).get("normalizer") or {}
    if norm.get("type") == "BertNormalizer":  # transformers' BERT tokenizer rebuilds the
        pairs = {"do_lower_case": "lowercase", "strip_accents": "strip_accents",  # normalizer
                 "tokenize_chinese_chars": "handle_chinese_chars"}  # from these: other pieces
        differ = {k: cfg[k] for k, n in pairs.items() if k in cfg and cfg[k] != norm.get(n)}
        if differ:
            raise LiteUnsupported(f"{cfg_path}: {differ} differ from tokenizer.json's "
                                  f"normalizer")
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


def _value_type_problems(config: dict[str, Any], ints: tuple[str, ...]) -> list[str]:
    """The values the lite forwards read from a backbone config that ``transformers``' config
    classes refuse (their strict types, checked without importing them): ``ints`` missing or
    not int, ``layer_norm_eps`` (when given) not a float. Empty: none."""
    wanted = {key: int for key in ints}
    if "layer_norm_eps" in config:
        wanted["layer_norm_eps"] = float
    problems = []
    for key, kind in wanted.items():
        value = config.get(key)
        if isinstance(value, bool) or not isinstance(value, kind):
            got = f"{type(value).__name__} {value!r}" if key in config else "nothing"
            problems.append(f"{key} expected {kind.__name__}, got {got}")
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
    # a text backbone left out of the weights is the base model's: the full loader ignores
    # this file then, so a bad value here is for the full loader to judge
    problems = _value_type_problems(bert_config, ("num_hidden_layers", "num_attention_heads"))
    problems += bert_config_problems(bert_config)
    if problems:
        raise LiteUnsupported(f"{root / TEXT_CONFIG_FILE}: " + ", ".join(problems))
    vit_config = build_from_json(root / MOTION_CONFIG_FILE, dict)
    check_motion_backbone(root, config, vit_config)
    problems = _value_type_problems(  # as the full loader's ViTConfig refuses them
        vit_config, ("num_hidden_layers", "num_attention_heads", "patch_size", "num_channels"))
    if problems:
        raise ValueError(f"cannot read backbone config {root / MOTION_CONFIG_FILE}: "
                         + "; ".join(problems))
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
    meta, _ = read_header(root / WEIGHTS_FILE)
    included = meta.get("text_encoder_included", "true")
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
        want = meta.get("text_encoder_sha256")  # as MotionTextModel.load_weights checks
        got = text_weights_sha256(tensors, missing)
        if want != got:
            raise ValueError(f"base text weights from {config.text_model!r} differ from the "
                             f"ones {root} was saved with (sha256 {got[:12]} != "
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
                     ) -> tuple[EncoderModel, PatchStats]:
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
