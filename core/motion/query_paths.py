"""Motion files named in a query box or a search command: what a typed or pasted text names.

Standard library only: the CLI's text search and the explorer's query box check a text with
these on every query without importing the motion loaders (:mod:`.files`, which reads them).
"""

from __future__ import annotations

import re
from pathlib import Path

SUFFIXES = (".npy", ".bvh")
"""File suffixes :func:`motionlex.core.motion.files.load_motion_file` reads."""

_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def looks_like_path(text: str) -> bool:
    """Whether a query text is typed as a file path rather than words: it starts with a
    quote, ``file:``, ``~``, ``/``, ``./``, ``../``, ``\\`` or a drive (``C:\\``).
    ``"a person waves at someone/something"`` is words."""
    s = text.strip()
    return bool(s) and (s[0] in "'\"~/\\" or s.startswith(("./", "../", ".\\", "..\\",
                                                          "file:"))
                        or bool(_DRIVE.match(s)))


def query_path_text(text: str) -> str:
    """The path a query text gives, as typed or pasted: without surrounding quotes, and a
    ``file://`` URL as a local path (``~`` is left for :meth:`Path.expanduser`)."""
    s = text.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        s = s[1:-1].strip()
    if s.startswith("file:"):
        from urllib.parse import urlparse
        from urllib.request import url2pathname

        url = urlparse(s)  # file:///C:/x.bvh on Windows; file://server/share/x.bvh (UNC)
        host = url.netloc if url.netloc not in ("", "localhost") else ""
        s = url2pathname(f"//{host}{url.path}" if host else url.path)
    return s


def _typed_motion_path(text: str) -> Path | None:
    """The path a query text gives when it ends in a motion suffix (``~`` expanded where
    it can be), else None. Nothing is read."""
    s = query_path_text(text)
    if not s or Path(s).suffix.lower() not in SUFFIXES:
        return None
    try:
        return Path(s).expanduser()
    except RuntimeError:  # "~nosuchuser/x.bvh": the path as typed
        return Path(s)


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long for the file system, say
        return False


def motion_file_query(text: str) -> Path | None:
    """The motion file a query text names, or None: an existing file with a suffix of
    :data:`SUFFIXES`, given as a path (absolute, relative to the working folder, or with
    ``~``), optionally in quotes or as a ``file://`` URL (as a file manager pastes it).

    ``motion_file_query("~/takes/kick_001.bvh")`` is that file when it exists;
    ``motion_file_query("a person kicks")`` is None. Nothing is read (a cheap check, run as
    the user types).
    """
    path = _typed_motion_path(text)
    return path if path is not None and _is_file(path) else None


def names_motion_file(text: str) -> Path | None:
    """The motion file a query means (the CLI's search and the explorer's query box), or
    None for words: an existing file (:func:`motion_file_query`, a relative ``takes/x.bvh``
    too), or a text typed as a path that ends in a motion suffix, existing or not (the load
    then names a missing file): :func:`looks_like_path`, one word (``jump.npy``) or a text
    with a ``/`` or ``\\`` (``my takes/kick 01.bvh``). ``"a person walks to the file.bvh"``,
    ``'"a person walks"'`` and ``"~ a person waves"`` are words.
    """
    path = _typed_motion_path(text)
    if path is None:
        return None
    s = query_path_text(text)
    typed = looks_like_path(text) or "/" in s or "\\" in s or not any(c.isspace() for c in s)
    return path if typed or _is_file(path) else None
