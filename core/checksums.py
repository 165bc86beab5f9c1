"""SHA-256 of files: the one checksum of model weights, indexed sources and exports.

Below every folder of ``core`` (like :mod:`motionlex.core.atomic`), so the motion exporter,
the model folder and the gallery index share it. Also the one test of what a path that is
no regular file is (:func:`special_file_kind`): reading a FIFO blocks until a writer comes,
and reading ``/dev/zero`` never ends, so such paths are refused before they are opened.
"""

from __future__ import annotations

import hashlib
import os
import stat

BLOCK_BYTES = 1 << 20
"""Bytes read at a time (1 MiB): a file is never read whole into memory."""

_SPECIAL_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                  (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class SpecialFileError(OSError):
    """A path that is a FIFO, device or socket, not a regular file: it is never opened."""


def special_file_kind(path: str | os.PathLike) -> str | None:
    """What a path is when it exists but is neither a regular file nor a folder.

    Links are followed (``os.stat``): a link to ``/dev/zero`` is a character device.
    Nothing is opened.

    Returns:
        ``"a FIFO"``, ``"a character device"``, ``"a block device"``, ``"a socket"`` or
        ``"another kind of special file"``; ``None`` for a regular file, a folder, or a
        path that cannot be examined (missing, a broken link, no permission: opening it
        gives its own error).
    """
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):  # ValueError: a NUL byte in the name
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return next((kind for test, kind in _SPECIAL_KINDS if test(mode)),
                "another kind of special file")


def not_regular_file_message(path: str | os.PathLike, kind: str) -> str:
    """``"PATH is not a regular file (a FIFO); it is not read: ..."``, naming a link's
    target (``kind`` from :func:`special_file_kind`)."""
    via = ""
    try:
        if os.path.islink(path):
            via = f", via a link to {os.path.realpath(path)}"
    except (OSError, ValueError):
        pass
    return (f"{path} is not a regular file ({kind}{via}); it is not read: reading it could "
            "block or never end")


def require_regular_file(path: str | os.PathLike) -> None:
    """Refuse a FIFO, device or socket before anything opens it.

    Raises:
        SpecialFileError: ``path`` (links followed) exists and is no regular file or folder
            (the message names it and its kind, :func:`not_regular_file_message`).
    """
    kind = special_file_kind(path)
    if kind is not None:
        raise SpecialFileError(not_regular_file_message(path, kind))


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 hex digest of a file, read in :data:`BLOCK_BYTES` blocks.

    Raises:
        SpecialFileError: a FIFO, device or socket (never opened: ``/dev/zero`` would be
            read forever, a FIFO would block); an :class:`OSError`.
        OSError: the file cannot be read.
    """
    require_regular_file(path)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(BLOCK_BYTES), b""):
            h.update(block)
    return h.hexdigest()
