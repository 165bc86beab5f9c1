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
