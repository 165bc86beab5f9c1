"""SHA-256 of files: the one checksum of model weights, indexed sources and exports.

Below every folder of ``core`` (like :mod:`motionlex.core.atomic`), so the motion exporter,
the model folder and the gallery index share it.
"""

from __future__ import annotations

import hashlib
import os

BLOCK_BYTES = 1 << 20
"""Bytes read at a time (1 MiB): a file is never read whole into memory."""


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 hex digest of a file, read in :data:`BLOCK_BYTES` blocks.

    Raises:
        OSError: the file cannot be read.
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(BLOCK_BYTES), b""):
            h.update(block)
    return h.hexdigest()
