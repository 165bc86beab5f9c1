"""Identities of files, models and patch statistics (SHA-256 hex digests).

A gallery index records them at build time; loading it checks them again, so an index is
never searched with another model or other patch statistics than the ones that built it.
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from motionlex.core.checksums import file_sha256 as file_sha256
from motionlex.core.model.checkpoint import state_fingerprint
from motionlex.core.model.types import EncoderModel
from motionlex.core.patches import PatchStats


def require_model(model: object, method: str) -> None:
    """Refuse what is not a model (None, a path, the arguments swapped) with one message.

    Args:
        model: what was given as the model.
        method: the model method the caller needs (``"forward_text"``, ``"state_dict"``).

    Raises:
        TypeError: ``model`` has no such method (names its type).
    """
    if not callable(getattr(model, method, None)):
        raise TypeError(f"model must be a MotionTextModel or LiteModel (load_checkpoint(folder) "
                        f"or load_for_queries(folder) returns one with its PatchStats), got "
                        f"{type(model).__name__} {model!r:.40}")


def model_fingerprint(model: EncoderModel) -> str:
    """Identity of a :class:`~.model.MotionTextModel`: SHA-256 of its config and weights.

    A :class:`~motionlex.core.model.lite.LiteModel` answers with its own
    :meth:`~motionlex.core.model.lite.LiteModel.fingerprint`, the same hash of the same
    checkpoint.

    Hashes the config (sorted JSON) and every tensor of the state dict as float32 bytes, each
    tied tensor once, in state-dict order. The training-only phase decoders
    (``phase_heads.*``) are left out: an inference checkpoint re-initialises them on load
    and they never touch an embedding. The same checkpoint loaded twice, on any device,
    gives the same fingerprint.

    Returns:
        64 hex characters.

    Raises:
        TypeError: ``model`` is not a model (:func:`require_model`).
    """
    if callable(getattr(model, "fingerprint", None)):  # the lite towers hash the same bytes
        return model.fingerprint()
    require_model(model, "state_dict")
    seen: set[tuple[int, tuple[int, ...], torch.dtype]] = set()

    def tensors():
        for name, t in model.state_dict().items():
            ident = (t.data_ptr(), tuple(t.shape), t.dtype)
            if not name.startswith("phase_heads.") and ident not in seen:
                seen.add(ident)
                yield name, t

    return state_fingerprint(model.config, tensors())


def stats_fingerprint(stats: PatchStats) -> str:
    """SHA-256 of the float32 ``mean`` and ``std`` of patch statistics (64 hex chars)."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(stats.mean, np.float32).tobytes())
    h.update(np.ascontiguousarray(stats.std, np.float32).tobytes())
    return h.hexdigest()
