"""The one cache folder of motionlex (demo dataset, gallery indexes built from folders).

``$MOTIONLEX_CACHE`` overrides it; otherwise it is the platform's user cache folder as
:mod:`platformdirs` defines it (``~/.cache/motionlex`` on Linux, ``~/Library/Caches/motionlex``
on macOS, ``%LOCALAPPDATA%\\motionlex\\Cache`` on Windows).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "motionlex"
"""Folder name under the platform's cache folder."""

CACHE_ENV = "MOTIONLEX_CACHE"
"""Environment variable that overrides the cache folder."""


def cache_dir(*parts: str) -> Path:
    """The cache folder (not created), or a path inside it.

    Args:
        parts: path components appended to the folder (``cache_dir("demo-v3")``).

    Returns:
        ``$MOTIONLEX_CACHE/<parts>`` when the variable is set and non-empty, else
        ``platformdirs.user_cache_path("motionlex")/<parts>``.
    """
    env = os.environ.get(CACHE_ENV)
    root = Path(env).expanduser() if env else platformdirs.user_cache_path(APP_NAME,
                                                                            appauthor=False)
    return root.joinpath(*parts)


def ensure_cache_dir(path: str | os.PathLike) -> Path:
    """Create the cache folder ``path`` (and its parents) if needed.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        OSError: it cannot be created or is not a folder; the message names the folder and
            where it came from (``$MOTIONLEX_CACHE`` when that names it) and how to choose
            another.
    """
    path = Path(path)
    env = os.environ.get(CACHE_ENV)
    origin = f" (${CACHE_ENV})" if env and Path(env).expanduser() in (path, *path.parents) else ""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as e:  # FileExistsError: a file of that name
        reason = "a file of that name is in the way" if isinstance(e, FileExistsError) \
            else getattr(e, "strerror", None) or str(e)
        raise OSError(f"cannot use the cache folder {path}{origin}: {reason}; set "
                      f"{CACHE_ENV} (or --cache) to a folder you can write") from e
    return path
