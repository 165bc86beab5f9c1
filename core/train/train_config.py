"""Training configuration: the phases of a run and everything else it needs (YAML).

``TrainConfig`` is saved with every exported model as ``train_config.json``.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from motionlex.core.model.config import (
    LEGACY_LOSS_KEYS,
    MotionTextConfig,
    check_types,
    unknown_keys_error,
)
from motionlex.core.train.objectives import PHASES, ObjectiveConfig

logger = logging.getLogger(__name__)

LEGACY_TRAIN_KEYS = frozenset({"export_phase_heads"})
"""Keys of older training configs that no longer mean anything; dropped on load."""
RECORD_KEYS = frozenset({"data", "init", "software"})
"""Keys an exported ``train_config.json`` adds as a record of the run (the ``--data``
folders, the ``--init`` model, the software versions); they are no settings and are
dropped on load."""


@dataclass(frozen=True)
class PhaseConfig:
    """One training phase.

    Attributes:
        name: one of :data:`~motionlex.core.train.objectives.PHASES`: ``mlmhead`` (fit the
            text MLM head alone, encoder frozen: for text models without a trained MLM head),
            ``lexmlm``, ``cmmm``, ``lexmmm``, ``lexcmlp`` or ``dense`` (LexCMLP's data with the
            dense-only MotionPatch loss: no lexical term; CAR and side negatives and the
            false-negative mask only as the config's switches set them).
        max_steps: optimisation steps.
        batch_size: examples per step (per device).
        val_every: validate every this many steps (contrastive phases).
        lr_scale: multiplier of every learning rate in this phase (``> 0``; 1 = the config's
            rates), e.g. a gentler masked-modelling pre-phase on a from-scratch encoder.
    """

    name: str
    max_steps: int = 100
    batch_size: int = 64
    val_every: int = 100
    lr_scale: float = 1.0


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs besides its data paths (saved with the model).

    Attributes:
        model: registry name for ``create_model`` (``tiny``, ``cpu-small``, ``paper-base``).
        model_overrides: keyword overrides for ``create_model`` (architecture only).
        objective: loss weights, mask ratios and decoder depth of the phase objectives
            (older configs had them in ``model_overrides``; :meth:`from_dict` moves them).
        phases: phases in order.
        lr_text / lr_motion / lr_heads: learning rates of the text encoder, the motion
            encoder and everything else (MotionPatch reference: 1e-5 / 1e-4 / 1e-3).
        lr_mlm_head: learning rate of the text MLM head (the text lexical head) outside the
            ``mlmhead`` phase, which always uses ``lr_heads``; None = ``lr_heads``. Once the
            head is fitted (or pretrained, as distilbert's), a text-like rate keeps its words
            on the caption: at ``lr_heads`` the contrastive phase drifts them to arbitrary
            vocabulary.
        weight_decay: AdamW weight decay (of matrices: weights and embeddings).
        weight_decay_1d: decay 1-D parameters too (biases, norm gains, the logit scales);
            off, as in open_clip and timm (decay would pull a norm's gain and the learned
            temperatures toward 0). Runs before 2026-12-06 decayed them (set it to
            reproduce one).
        warmup_steps: linear learning-rate warm-up per phase, then cosine decay to 10 %.
        grad_clip: gradient-norm clipping.
        negatives_per_caption: CAR shuffled captions per multi-event caption (0 = none);
            the ``dense`` phase reads them too.
        false_negative_mask: in every contrastive term, captions identical (by
            ``normalize_caption``) to a motion's own caption are not its negatives (TMR).
        side_negatives: side-swapped captions as motion-to-text negatives and mirrored
            motions as text-to-motion negatives, for captions that name a side.
        order_negatives: each composed pair's reordered motion (its clips joined in another
            order) as a text-to-motion negative of its caption: CAR's shuffled captions
            turned around, so that a caption learns to prefer its clip order (the composed
            chronology test's motion side: "the caption picks its true-order clip").
        event_text_p: probability of feeding a multi-event caption as its joined events.
        mirror_p: probability of the mirroring augmentation.
        compose_p: share of each pair batch replaced by composed multi-event pairs.
        text_corpora: caption corpora for LexMLM (folders or annotations.json), besides
            the training captions.
        data_repeat: dataset folder name (the last part of a ``--data`` path) -> how many
            times its training pairs enter each epoch (an integer >= 1): oversamples a small
            folder beside a large one. Patch statistics and validation are not affected.
        precision: Lightning precision; ``auto`` = bf16-mixed on a CUDA GPU (16-mixed
            before Ampere), 32 on CPU (also ``accelerator=cpu`` on a GPU machine).
        accelerator / devices / strategy: Lightning's (``auto`` picks CUDA when present;
            ``devices`` per node; ``ddp`` or ``auto`` on several devices: DDP, README
            "Several GPUs").
        num_nodes: machines of a multi-node DDP run (torchrun or SLURM).
        num_workers: DataLoader workers.
        seed: global seed (Lightning ``seed_everything``).
        monitor: validation metric that chooses the exported model (higher is better).
        compile: ``torch.compile`` backend for the two towers while training (``inductor``
            on a GPU, where an eager step is bound by the host's kernel launches; None =
            eager, the default). The first steps of each phase compile (tens of seconds);
            the exported model and checkpoints are those of an eager run
            (:mod:`motionlex.core.train.compile`).
    """

    model: str = "tiny"
    model_overrides: dict = field(default_factory=dict)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    phases: tuple[PhaseConfig, ...] = (PhaseConfig("lexcmlp"),)
    lr_text: float = 1e-5
    lr_motion: float = 1e-4
    lr_heads: float = 1e-3
    lr_mlm_head: float | None = None
    weight_decay: float = 0.01
    weight_decay_1d: bool = False
    warmup_steps: int = 20
    grad_clip: float = 1.0
    negatives_per_caption: int = 1
    false_negative_mask: bool = True
    side_negatives: bool = False
    order_negatives: bool = False
    event_text_p: float = 0.5
    mirror_p: float = 0.5
    compose_p: float = 0.0
    text_corpora: tuple[str, ...] = ()
    data_repeat: dict[str, int] = field(default_factory=dict)
    precision: str = "auto"
    accelerator: str = "auto"
    devices: Any = "auto"
    strategy: str = "auto"
    num_nodes: int = 1
    num_workers: int = 0
    seed: int = 0
    monitor: str = "val/rsum"
    compile: str | None = None

    def to_dict(self) -> dict:
        """JSON/YAML-ready dict."""
        d = asdict(self)
        d["objective"] = self.objective.to_dict()
        d["phases"] = [asdict(p) for p in self.phases]
        d["text_corpora"] = list(self.text_corpora)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        """Build from a dict (YAML), rejecting unknown keys.

        Older configs (e.g. a checkpoint's ``train_config.json``) still load: loss settings
        found in ``model_overrides`` move to ``objective``, the retired key
        ``export_phase_heads`` is dropped (the model no longer holds phase decoders), and so
        is an exported config's record of its ``data`` folders and ``init`` model. Settings
        that do nothing (:meth:`idle_settings`) are logged as warnings.

        Raises:
            ValueError: not a mapping, unknown keys, an unknown phase name, or a value of the
                wrong type (key, expected and actual type named; phases as ``phases[i].key``).
        """
        if not isinstance(d, Mapping):
            raise ValueError(f"a training config must be a mapping, not {type(d).__name__}")
        d = dict(d)
        for key in sorted(set(d) & (LEGACY_TRAIN_KEYS | RECORD_KEYS)):
            logger.debug("training config: dropped key %r (legacy or a record)", key)
            del d[key]
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise unknown_keys_error("training config", unknown, known)
        check_types(cls, {k: v for k, v in d.items() if k != "phases"})
        overrides = dict(d.get("model_overrides") or {})
        objective = dict(d.get("objective") or {})
        moved = sorted(set(overrides) & LEGACY_LOSS_KEYS)
        if moved:
            logger.info("training config: loss settings %s moved from model_overrides to "
                        "objective", moved)
            for k in moved:
                objective.setdefault(k, overrides.pop(k))
        arch = {f.name for f in fields(MotionTextConfig)}
        if sorted(set(overrides) - arch):
            raise unknown_keys_error("model_overrides", sorted(set(overrides) - arch), arch)
        check_types(MotionTextConfig, overrides)
        check_types(ObjectiveConfig, objective)
        phases = []
        listed = d.get("phases", [{"name": "lexcmlp"}])
        if not isinstance(listed, (list, tuple)):
            raise ValueError(f"phases must be a list of phase names or mappings, got "
                             f"{type(listed).__name__} {listed!r:.40}")
        if not listed:  # nothing would train, and no model would be written
            raise ValueError("phases is empty: a run needs at least one phase (e.g. "
                             "phases: [lexcmlp]; leave the key out for that default)")
        for i, p in enumerate(listed):
            phases.append(_phase(i, p))
        d["phases"] = tuple(phases)
        d["text_corpora"] = tuple(d.get("text_corpora", ()))
        repeat = dict(d.get("data_repeat") or {})
        bad = {k: v for k, v in repeat.items()
               if not isinstance(k, str) or isinstance(v, bool) or not isinstance(v, int) or v < 1}
        if bad:
            raise ValueError(f"data_repeat maps dataset folder names to integers >= 1; got {bad}")
        d["data_repeat"] = repeat
        d["model_overrides"] = overrides
        d["objective"] = ObjectiveConfig.from_dict(objective)
        cfg = cls(**d)
        cfg.check_ranges()
        for problem in cfg.idle_settings():
            logger.warning("training config: %s", problem)
        return cfg

    def check_ranges(self) -> None:
        """Refuse values outside their meaning (a negative learning rate trains backwards,
        a probability of 2 is no probability).

        Raises:
            ValueError: naming every key out of range, its value and the range.
        """
        bad = []
        for key in ("lr_text", "lr_motion", "lr_heads", "lr_mlm_head"):
            v = getattr(self, key)
            if v is not None and not (math.isfinite(v) and v > 0):
                bad.append(f"{key}={v} (must be > 0)")
        for key in ("weight_decay", "grad_clip", "warmup_steps", "negatives_per_caption",
                    "num_workers"):
            v = getattr(self, key)
            if not (math.isfinite(v) and v >= 0):
                bad.append(f"{key}={v} (must be >= 0)")
        for key in ("event_text_p", "mirror_p", "compose_p"):
            v = getattr(self, key)
            if not 0.0 <= v <= 1.0:
                bad.append(f"{key}={v} (a probability: must be in [0, 1])")
        if self.num_nodes < 1:
            bad.append(f"num_nodes={self.num_nodes} (must be >= 1)")
        if not 0 <= self.seed < 2 ** 32:
            bad.append(f"seed={self.seed} (must be in [0, 2^32))")
        if self.monitor.rsplit("/", 1)[-1] in ("MedR", "loss"):  # lower is better: the worst
            bad.append(f"monitor={self.monitor} (lower is better there, but the exported "  # step
                       "model is the one with the highest figure: monitor an R@k, val/rsum "
                       "or CAR)")
        if bad:
            raise ValueError("training config: " + "; ".join(bad))

    def idle_settings(self) -> list[str]:
        """Settings that have no effect with the others as they are (each a sentence)."""
        out = []
        if self.order_negatives and self.compose_p <= 0:
            out.append("order_negatives needs composed pairs (compose_p > 0); it does nothing")
        if self.objective.order_pair_weight > 0 and not self.order_negatives:
            out.append("objective.order_pair_weight acts on reordered motions, which only "
                       "order_negatives adds; it does nothing")
        return out


def _phase(i: int, p: Any) -> PhaseConfig:
    """``phases[i]`` of a config: a phase name or a mapping of :class:`PhaseConfig` fields.

    Raises:
        ValueError: another type, unknown keys, an unknown phase or wrong value types.
    """
    p = {"name": p} if isinstance(p, str) else p
    if not isinstance(p, Mapping):
        raise ValueError(f"phases[{i}] must be a phase name or a mapping, got "
                         f"{type(p).__name__} {p!r:.40}")
    known = {f.name for f in fields(PhaseConfig)}
    unknown = sorted(set(p) - known)
    if unknown:
        raise unknown_keys_error(f"phases[{i}]", unknown, known)
    if p.get("name") not in PHASES:
        raise ValueError(f"unknown phase {p.get('name')!r} in phases[{i}]; known: "
                         f"{list(PHASES)}")
    try:
        check_types(PhaseConfig, p)
    except ValueError as e:
        raise ValueError(f"phases[{i}]: {e}") from e
    bad = [k for k in ("max_steps", "batch_size", "val_every") if k in p and p[k] < 1]
    if bad:
        raise ValueError(f"phases[{i}]: {', '.join(bad)} must be >= 1")
    if "lr_scale" in p and not p["lr_scale"] > 0:
        raise ValueError(f"phases[{i}]: lr_scale must be > 0; got {p['lr_scale']}")
    return PhaseConfig(**p)


def _coerce(value: str) -> Any:
    """Parse a ``key=value`` override value as YAML (numbers, booleans, lists); ``1e-5``
    (a string to YAML 1.1) is read as a float."""
    parsed = yaml.safe_load(value)
    if isinstance(parsed, str):
        try:
            return float(parsed)
        except ValueError:
            return parsed
    return parsed


def load_train_config(path: str | Path | None, overrides: Sequence[str] = ()) -> TrainConfig:
    """Read a YAML training config and apply ``key=value`` overrides.

    Dotted keys reach into dicts (``model_overrides.embed_dim=128``,
    ``objective.flops_max_weight=0.01``); ``phases.N.key`` into the N-th phase.

    Args:
        path: a YAML file, or a shipped config's name (``"tiny"``, ``"configs/tiny.yaml"``:
            :func:`~.configs.resolve_config`); None: the defaults.
        overrides: ``key=value`` strings.

    Raises:
        FileNotFoundError: no such config file nor shipped config (the shipped ones and the
            closest name listed; ``IsADirectoryError``: a folder).
        ValueError: a YAML syntax error (file, line and column named), a malformed override,
            or a bad key or value (see :meth:`TrainConfig.from_dict`; the file is named).
    """
    d: Any = {}
    source = "training config"
    if path is not None:
        path = Path(path)
        source = f"training config {path}"
        if path.is_dir():
            raise IsADirectoryError(f"{path} is a folder, not a training config: give a YAML "
                                    f"file, e.g. configs/tiny.yaml")
        if not path.is_file():  # a shipped config's name ("tiny"), else the shipped ones named
            from motionlex.core.train.configs import resolve_config

            path = Path(resolve_config(str(path)))
            source = f"training config {path}"
        d = _read_yaml(path)
    from_file = copy.deepcopy(d)  # overrides reach into nested dicts
    for ov in overrides:
        _apply_override(d, ov)
    try:
        return TrainConfig.from_dict(d)
    except ValueError as e:
        if overrides:  # blame the overrides when the file alone is a valid config
            try:
                TrainConfig.from_dict(from_file)
                source = f"command-line override {' '.join(overrides)}"
            except ValueError:
                pass
        raise ValueError(f"{source}: {e}") from e


def _read_yaml(path: Path) -> dict:
    """The mapping in a YAML file.

    Raises:
        ValueError: unreadable text, a YAML syntax error (line and column) or not a mapping.
    """
    try:
        d = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as e:
        raise ValueError(f"training config {path}: not UTF-8 text ({e})") from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or e
        raise ValueError(f"training config {path}: invalid YAML{where}: {problem}") from e
    except RecursionError as e:
        raise ValueError(f"training config {path}: nested too deeply") from e
    if d is None:  # an empty file (or only comments) would train on every default
        raise ValueError(f"training config {path} is empty; give at least 'model:' and "
                         f"'phases:' (see configs/tiny.yaml)")
    if not isinstance(d, dict):
        raise ValueError(f"{path}: a training config must be a YAML mapping")
    return d


def _apply_override(d: dict, ov: str) -> None:
    """Apply one ``key=value`` override to a config dict in place.

    Raises:
        ValueError: not ``key=value``, a path through a non-container, a bad list index.
    """
    if "=" not in ov:
        raise ValueError(f"override {ov!r} is not key=value")
    key, value = ov.split("=", 1)
    parts = key.split(".")
    target: Any = d
    try:
        parsed = _coerce(value)
    except yaml.YAMLError as e:
        problem = getattr(e, "problem", None) or e
        raise ValueError(f"override {ov!r}: invalid YAML value: {problem}") from e
    try:
        for i, p in enumerate(parts[:-1]):
            target = (target[_list_index(target, p, parts[:i])] if isinstance(target, list)
                      else target.setdefault(p, {}))
        if isinstance(target, list):
            target[_list_index(target, parts[-1], parts[:-1])] = parsed
        elif isinstance(target, dict):
            target[parts[-1]] = parsed
        else:
            raise TypeError(f"{type(target).__name__} {target!r:.40} has no keys")
    except (ValueError, IndexError, TypeError, AttributeError) as e:
        raise ValueError(f"override {ov!r} does not fit the config: {e}") from e


def _list_index(items: list, part: str, where: Sequence[str]) -> int:
    """The entry ``part`` of an override's key names in the list ``items`` (at the dotted
    key ``where``, e.g. ``phases``): an index 0..N-1.

    Raises:
        ValueError: ``part`` is not such an index (the list's entries named).
    """
    name = ".".join(where) or "the config"
    entries = (f"{name} is empty" if not items else
               f"{name} has {len(items)} entr{'y' if len(items) == 1 else 'ies'}, "
               f"{name}.0" + (f" to {name}.{len(items) - 1}" if len(items) > 1 else ""))
    try:
        index = int(part)
    except ValueError:
        raise ValueError(f"{part!r} is not an entry of the list {name} ({entries})") from None
    if not 0 <= index < len(items):
        raise ValueError(f"no entry {index} in {name} ({entries})")
    return index
