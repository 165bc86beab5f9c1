"""The model folder: its files, the one "not a model folder" error, weight checksums, config.

A model folder (written by :meth:`~.checkpoint.PretrainedMixin.save_pretrained`, opened by
:func:`~.factory.load_checkpoint`) holds ``config.json``, ``model.safetensors``,
``checksums.json`` (SHA-256 of the weights, ``config.json`` and ``patch_stats.json``, checked
on every load; folders written before it existed have none, those written before it covered
the other two record the weights alone, and both still load), ``motion_encoder_config.json``,
``text_encoder_config.json``,
``tokenizer/`` and ``patch_stats.json``. Every reader here raises a ``ValueError`` naming the
file (never a ``TypeError`` from deep inside) for content it cannot use.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from safetensors import safe_open

from motionlex.core.atomic import recover_directory
from motionlex.core.checksums import file_sha256 as weights_sha256
from motionlex.core.json_io import write_json
from motionlex.core.model.config import MotionTextConfig

logger = logging.getLogger(__name__)

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
MOTION_CONFIG_FILE = "motion_encoder_config.json"
TEXT_CONFIG_FILE = "text_encoder_config.json"
TOKENIZER_DIR = "tokenizer"
CHECKSUM_FILE = "checksums.json"
"""``{"sha256": {"model.safetensors": HEX, "config.json": HEX, "patch_stats.json": HEX}}``:
checked on every load (older folders have none, or the weights' alone)."""
STATS_FILE = "patch_stats.json"
TRAIN_CONFIG_FILE = "train_config.json"
"""The training run's config, with its ``data`` folders (written by ``motionlex train``)."""
RESERVED_NAMES = {CONFIG_FILE, WEIGHTS_FILE, MOTION_CONFIG_FILE, TEXT_CONFIG_FILE, TOKENIZER_DIR,
             CHECKSUM_FILE}
CHECKED_FILES = (WEIGHTS_FILE, CONFIG_FILE, STATS_FILE)
"""The files ``checksums.json`` covers (each when the folder has it): a ``patch_stats.json`` or
``config.json`` copied from another model loaded silently (other words for every motion)."""


def trained_data_folders(checkpoint: str | os.PathLike) -> list[str]:
    """The dataset folders a model was trained on (its ``train_config.json`` ``data`` list,
    absolute since session 17); ``[]`` when the folder records none or the file cannot be
    read (logged)."""
    path = Path(checkpoint) / TRAIN_CONFIG_FILE
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text()).get("data") or []
    except (OSError, ValueError, AttributeError) as e:
        logger.warning("%s: unreadable (%s); its training data is unknown", path, e)
        return []
    return [d for d in data if isinstance(d, str)]


class NotAModelFolderError(FileNotFoundError):
    """A path that is not a model folder (the one message every command and the app give).

    Attributes:
        summary: the message's first part, ``"X is not a motionlex model folder (problem)"``,
            without the explanation of what a model folder holds (for a status bar).
    """

    def __init__(self, summary: str, explanation: str) -> None:
        super().__init__(f"{summary}: {explanation}")
        self.summary = summary


def check_model_folder(root: str | os.PathLike, *, need_stats: bool = False,
                       also: tuple[str, ...] = ()) -> Path:
    """Raise the one "not a model folder" error unless ``root`` holds a model's files.

    Args:
        root: the folder.
        need_stats: also require ``patch_stats.json`` (what :func:`.factory.load_checkpoint`
            needs; training's intermediate folders have none).
        also: further files the folder's config calls for (``motion_encoder_config.json``).

    A replacement of the folder that was interrupted (a killed ``save_pretrained``) is
    finished or undone first (:func:`~motionlex.core.atomic.recover_directory`), so every
    early check sees what :func:`~.factory.load_checkpoint` would.

    Returns:
        ``root`` as a path.

    Raises:
        NotAModelFolderError: ``root`` is missing, not a folder, or lacks a file (named).
    """
    root = Path(root)
    recover_directory(root)
    need = [CONFIG_FILE, WEIGHTS_FILE, TEXT_CONFIG_FILE, TOKENIZER_DIR, *also]
    if need_stats:
        need.append(STATS_FILE)
    if not root.exists():
        problem = "no such folder"
    elif not root.is_dir():
        problem = "not a folder"
    else:
        missing = [n for n in need if not (root / n).exists()]
        if not missing:
            return root
        if CONFIG_FILE in missing:  # no model at all: every command names the same files
            missing = [n for n in (CONFIG_FILE, WEIGHTS_FILE, STATS_FILE, TEXT_CONFIG_FILE,
                                   TOKENIZER_DIR) if not (root / n).exists()]
        # all of them missing: the explanation below names them, once
        problem = ("no model files in it" if len(missing) == 5 and CONFIG_FILE in missing
                   else f"missing {', '.join(missing)}")
        inner = root / "model"  # a training run's folder: its export is OUT/model
        if (inner / CONFIG_FILE).is_file() and (inner / WEIGHTS_FILE).is_file():
            problem += f"; {inner} is one: give that folder"
    raise NotAModelFolderError(
        f"{root} is not a motionlex model folder ({problem})",
        f"a model folder holds {CONFIG_FILE}, {WEIGHTS_FILE} and {STATS_FILE} (plus "
        f"{TEXT_CONFIG_FILE} and {TOKENIZER_DIR}/), as written by 'motionlex train' (OUT/model)"
        f" or, from Python, by model.save_pretrained(DIR, extra_json={{'{STATS_FILE}': stats}})")


def write_checksums(directory: str | os.PathLike) -> Path:
    """Write ``checksums.json`` (SHA-256 of each of :data:`CHECKED_FILES` in the folder) into
    a model folder.

    :meth:`PretrainedMixin.save_pretrained` calls it inside its atomic write, after the
    other files; call it directly only to give an existing folder its checksums (nothing
    else is touched), e.g. after an edit its writer meant.

    Returns:
        The checksum file's path.
    """
    root = Path(directory)
    sums = {name: weights_sha256(root / name) for name in CHECKED_FILES
            if name == WEIGHTS_FILE or (root / name).is_file()}
    return write_json(root / CHECKSUM_FILE, {"sha256": sums}, sort_keys=True)


def verify_weights(directory: str | os.PathLike) -> bool:
    """Check a model folder's files against its ``checksums.json``: ``model.safetensors``,
    and ``config.json`` and ``patch_stats.json`` where it records them (folders written
    before it did record the weights alone; a recorded file that is missing is left to
    :func:`check_model_folder`).

    Returns:
        True when checked, False for an older folder without a checksum file.

    Raises:
        ValueError: an unreadable checksum file, or a file whose SHA-256 differs (both
            files named: flipped bytes, a partial copy, an edited file, or one copied from
            another model).
    """
    root = Path(directory)
    sums = root / CHECKSUM_FILE
    if not sums.exists():
        logger.debug("%s has no %s (an older model folder): weights not verified",
                     root, CHECKSUM_FILE)
        return False
    try:
        data = json.loads(sums.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"cannot read weight checksums {sums}: {e!r}") from e
    recorded = data.get("sha256") if isinstance(data, dict) else None
    if not isinstance(recorded, dict):
        got = (f"a {type(data).__name__}" if not isinstance(data, dict) else
               f"'sha256': {type(recorded).__name__}" if "sha256" in data else "no 'sha256'")
        raise ValueError(f"cannot read weight checksums {sums}: expected a JSON object "
                         f'{{"sha256": {{file name: SHA-256 hex}}}} as save_pretrained writes '
                         f"it, got {got}; copy the model folder again")
    want = {name: recorded.get(name) for name in CHECKED_FILES
            if name == WEIGHTS_FILE or name in recorded}
    bad = [name for name, v in want.items() if not isinstance(v, str)]
    if bad:
        what = "missing" if want[bad[0]] is None else (
            f"a {type(want[bad[0]]).__name__}, not a string")
        raise ValueError(f"cannot read weight checksums {sums}: the checksum of {bad[0]} is "
                         f"{what}")
    for name, hexdigest in want.items():
        path = root / name
        if name != WEIGHTS_FILE and not path.is_file():
            continue
        got = weights_sha256(path)
        if got == hexdigest:
            continue
        if name == WEIGHTS_FILE:
            why = "the weights changed or are corrupted (copy the model folder again)"
        else:
            why = (f"the file changed since the model was saved, or was copied from another "
                   f"model: {name} belongs with these weights (copy the model folder again)")
        raise ValueError(f"{path}: SHA-256 {got[:16]}... does not match {sums} "
                         f"({hexdigest[:16]}...): {why}")
    return True


def read_config(path: Path) -> MotionTextConfig:
    """Read a checkpoint's ``config.json``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not readable JSON or not a valid config (the message names
            the file).
    """
    if not path.is_file():
        raise FileNotFoundError(f"model checkpoint incomplete: {path} not found")
    try:
        return MotionTextConfig.from_dict(json.loads(path.read_text()))
    except (OSError, ValueError, TypeError, RecursionError) as e:
        raise ValueError(f"cannot read model config {path}: {e}") from e


def read_header(path: Path) -> tuple[dict[str, str], set[str]]:
    """Metadata and tensor names of a safetensors file.

    Raises:
        ValueError: the file is not a readable safetensors file (the message names it).
    """
    try:
        with safe_open(str(path), framework="pt") as f:
            return dict(f.metadata() or {}), set(f.keys())
    except Exception as e:  # safetensors raises its own SafetensorError
        raise ValueError(f"cannot read model weights {path}: {e}") from e


def build_from_json(path: Path, build: Callable[[dict], Any]) -> Any:
    """``build(the JSON object in path)``; a bad file is a ValueError naming it.

    Raises:
        ValueError: unreadable JSON, not an object, or values the builder refuses (the
            builders are transformers' config classes, whose validators raise their own
            exception types; all of them mean a bad file here).
    """
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ValueError(f"cannot read backbone config {path}: {e}") from e
    if not isinstance(data, dict):
        raise ValueError(f"cannot read backbone config {path}: expected a JSON object, got "
                         f"{type(data).__name__}")
    try:
        return build(data)
    except Exception as e:  # noqa: BLE001 -- see Raises
        raise ValueError(f"cannot read backbone config {path}: {type(e).__name__}: "
                         f"{' '.join(str(e).split())}") from e


def check_motion_backbone(root: Path, config: MotionTextConfig, vit: dict[str, Any]) -> None:
    """Refuse a ``config.json`` whose motion sizes differ from ``motion_encoder_config.json``.

    The ViT is built from the backbone file, so an edited or mixed-up ``config.json`` would
    otherwise load a model other than the one it describes, silently.

    Args:
        root: the model folder (for the message).
        config: its ``config.json``.
        vit: its ``motion_encoder_config.json`` (a ``transformers`` ViT config dict).

    Raises:
        ValueError: the sizes that differ, naming both files.
    """
    size = vit.get("image_size")
    pairs = {"motion_hidden_size": "hidden_size", "motion_layers": "num_hidden_layers",
             "motion_heads": "num_attention_heads",
             "motion_intermediate_size": "intermediate_size", "patch_size": "patch_size"}
    differ = [f"{k} {getattr(config, k)!r} vs {v} {vit.get(v)!r}" for k, v in pairs.items()
              if vit.get(v) != getattr(config, k)]
    if not isinstance(size, (list, tuple)) or list(size) != list(config.image_size):
        differ.append(f"image_size {list(config.image_size)} vs image_size {size!r}")
    if differ:
        raise ValueError(f"{root / CONFIG_FILE} does not describe the motion encoder in "
                         f"{root / MOTION_CONFIG_FILE}: " + "; ".join(differ))

