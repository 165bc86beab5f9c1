"""Persistent explorer settings (``QSettings``): window layout, query history, playback speed,
loop and camera follow, recent paths.

Keys are named here once. The default store is the platform's (organisation ``motionlex``,
application ``explorer``); tests and ``--settings`` pass an INI file instead. Indexes built
from dataset folders go to :func:`default_cache_dir` (``$MOTIONLEX_CACHE`` overrides it).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow, QWidget

from motionlex.app.layout_keepers import restore_dock_state
from motionlex.core.cache import cache_dir

logger = logging.getLogger(__name__)

ORGANIZATION = "motionlex"
APPLICATION = "explorer"

KEY_GEOMETRY = "window/geometry"
KEY_STATE = "window/state"
KEY_STATE_VERSION = "window/state_version"
KEY_HISTORY = "query/history"
KEY_MODE = "query/mode"
KEY_LIVE = "query/search_as_you_type"
KEY_SPEED = "playback/speed"
KEY_LOOP = "playback/loop"
KEY_FOLLOW = "playback/follow"  # the camera follows walks and runs (else never)
KEY_GROUP_WORDS = "lexical/group_word_forms"
KEY_MORE_RESULTS = "query/more_results"  # up to 1,000 results a query, else 100
KEY_LAST_GALLERY = "paths/gallery"
KEY_LAST_CHECKPOINT = "paths/checkpoint"
KEY_LAST_MOTION_FILE = "paths/motion_file"
KEY_LAST_EXPORT_DIR = "paths/export_dir"
KEY_RECENT_GALLERIES = "paths/recent_galleries"

LAYOUT_VERSION = 1
"""Bump when docks change, so an old saved layout is not restored onto new docks."""

HISTORY_SIZE = 100
"""Queries remembered."""

RECENT_SIZE = 8
"""Galleries listed under File > Open Recent."""


def open_settings(path: str | os.PathLike | None = None) -> QSettings:
    """The settings store: an INI file at ``path``, or the platform's default store.

    Args:
        path: an ``.ini`` file (created when missing), or None.

    Returns:
        A ``QSettings``.

    Raises:
        ValueError: ``path`` does not end in ``.ini``, or is a folder: the store rewrites the
            whole file, so a model's ``config.json`` given by mistake was replaced.
    """
    if path is not None:
        p = Path(path)
        if p.suffix.lower() != ".ini":
            raise ValueError(f"--settings {p}: a settings file ends in .ini (the explorer "
                             "rewrites the whole file): give an .ini file")
        if p.is_dir():
            raise ValueError(f"--settings {p} is a folder; give an .ini file")
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings(ORGANIZATION, APPLICATION)


def scratch_copy(settings: QSettings, folder: str | os.PathLike) -> QSettings:
    """A copy of ``settings`` in ``folder/scratch.ini``: what a scripted run
    (``--screenshot``) reads and writes, so it leaves the user's layout, mode, history and
    recent galleries as they were.

    Args:
        settings: the store to copy (the platform's or an ``--settings`` file).
        folder: an existing folder the caller removes afterwards.

    Returns:
        An INI-format ``QSettings`` holding every key of ``settings``.
    """
    copy = QSettings(str(Path(folder) / "scratch.ini"), QSettings.Format.IniFormat)
    for key in settings.allKeys():
        copy.setValue(key, settings.value(key))
    return copy


def default_cache_dir() -> Path:
    """Folder for indexes built from dataset folders.

    Returns:
        :func:`motionlex.core.cache.cache_dir` (``$MOTIONLEX_CACHE`` if set, else the
        platform's user cache folder for motionlex).
    """
    return cache_dir()


def _text_list(settings: QSettings, key: str) -> list[str]:
    """A stored list of texts; a lone string is a one-item list (QSettings returns it so),
    and anything else an edited or damaged store holds (a rectangle, bytes) is none."""
    value = settings.value(key, [])
    if value is None:  # "@Invalid()": how QSettings stored an empty list (before 2026-12)
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        logger.warning("settings %s: %s is %s, not a list of texts: ignored",
                       settings.fileName(), key, type(value).__name__)
        return []
    return [v for v in value if isinstance(v, str) and v.strip()]


def read_history(settings: QSettings) -> list[str]:
    """The saved query history, oldest first (at most :data:`HISTORY_SIZE`)."""
    return _text_list(settings, KEY_HISTORY)[-HISTORY_SIZE:]


def write_history(settings: QSettings, history: list[str]) -> None:
    """Save the query history (the last :data:`HISTORY_SIZE` entries; none: the key goes,
    as QSettings writes an empty list as ``@Invalid()``, which reads back as None)."""
    if not history:
        settings.remove(KEY_HISTORY)
        return
    settings.setValue(KEY_HISTORY, list(history)[-HISTORY_SIZE:])


def read_recent(settings: QSettings) -> list[str]:
    """The galleries opened last (index, dataset or BVH folders), most recent first."""
    return _text_list(settings, KEY_RECENT_GALLERIES)[:RECENT_SIZE]


def add_recent(settings: QSettings, path: str | os.PathLike) -> list[str]:
    """Put ``path`` first in the recent galleries (once; at most :data:`RECENT_SIZE`).

    Returns:
        The new list, most recent first.
    """
    path = str(path)
    recent = [path] + [p for p in read_recent(settings) if p != path]
    settings.setValue(KEY_RECENT_GALLERIES, recent[:RECENT_SIZE])
    return recent[:RECENT_SIZE]


def clear_recent(settings: QSettings) -> None:
    """Forget the recent galleries."""
    settings.remove(KEY_RECENT_GALLERIES)


def read_bool(settings: QSettings, key: str, default: bool) -> bool:
    """A boolean setting (INI files store ``"true"``/``"false"`` strings)."""
    value = settings.value(key, default)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def read_follow(settings: QSettings) -> bool:
    """Whether the camera follows walks and runs (the 3D view's "follow", True when nothing
    was saved; False: the user turned it off, and it stays off for every motion)."""
    return read_bool(settings, KEY_FOLLOW, True)


def read_playback(settings: QSettings, speeds: tuple[float, ...]) -> tuple[float, bool]:
    """The saved playback speed and loop option.

    Args:
        settings: the store.
        speeds: the speeds the player offers (multiples of real time); a saved speed that
            is none of them (an edited or damaged store) reads as 1.0, with a warning.

    Returns:
        ``(speed, loop)``: 1.0 and True when nothing was saved.
    """
    raw = settings.value(KEY_SPEED, 1.0)
    try:
        speed = float(raw)
    except (TypeError, ValueError):
        speed = None
    if speed not in speeds:
        logger.warning("settings %s: %s is %r, not one of %s: 1x", settings.fileName(),
                       KEY_SPEED, raw, ", ".join(f"{v:g}" for v in speeds))
        speed = 1.0
    return speed, read_bool(settings, KEY_LOOP, True)


def has_saved_geometry(settings: QSettings) -> bool:
    """Whether the settings hold a window geometry (the window was closed once before)."""
    geometry = settings.value(KEY_GEOMETRY)
    return isinstance(geometry, QByteArray) and not geometry.isEmpty()


def restore_window(window: QMainWindow, settings: QSettings) -> bool:
    """Restore a main window's geometry and dock layout (a layout saved under another
    :data:`LAYOUT_VERSION` is ignored).

    Returns:
        Whether a dock layout was restored (its docks sized for the window's restored
        width).
    """
    geometry = settings.value(KEY_GEOMETRY)
    if isinstance(geometry, QByteArray) and not geometry.isEmpty():
        window.restoreGeometry(geometry)
    version = settings.value(KEY_STATE_VERSION, 0)
    state = settings.value(KEY_STATE)
    if (isinstance(state, QByteArray) and not state.isEmpty()
            and str(version) == str(LAYOUT_VERSION)):
        return restore_dock_state(window, state, LAYOUT_VERSION)
    return False


def fit_to_screen(window: QWidget) -> QRect:
    """Shrink and move ``window`` so that its frame lies on its screen's available area (a
    geometry saved at scale 1 came back 1440x900 on a 960x600 screen at scale 2, a third
    of it off-screen). Never smaller than the window's minimum size; a maximized or full
    screen window is left alone.

    Returns:
        The window's new geometry (without the frame), in logical pixels.
    """
    states = Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen
    screen = (QGuiApplication.screenAt(window.geometry().center()) or window.screen()
              or QGuiApplication.primaryScreen())
    if screen is None or window.windowState() & states:
        return window.geometry()
    room = screen.availableGeometry()
    inner, outer = window.geometry(), window.frameGeometry()
    extra_w, extra_h = outer.width() - inner.width(), outer.height() - inner.height()
    least = window.minimumSize().expandedTo(window.minimumSizeHint())
    width = max(least.width(), min(inner.width(), room.width() - extra_w))
    height = max(least.height(), min(inner.height(), room.height() - extra_h))
    x = max(room.left(), min(outer.x(), room.right() + 1 - width - extra_w))
    y = max(room.top(), min(outer.y(), room.bottom() + 1 - height - extra_h))
    if (width, height) != (inner.width(), inner.height()):
        window.resize(width, height)
    if (x, y) != (outer.x(), outer.y()):
        window.move(x, y)  # move() places the frame
    return window.geometry()


def save_window(window: QMainWindow, settings: QSettings, *, mode: str, live: bool,
                history: list[str], playback: tuple[float, bool, bool] | None = None) -> None:
    """Write a main window's geometry and dock layout, the ranking mode, the
    search-as-you-type option, the query history and the playback ``(speed, loop, follow)``
    (when given; :func:`read_playback` and :func:`read_follow` read it back), and sync the
    store."""
    settings.setValue(KEY_GEOMETRY, window.saveGeometry())
    settings.setValue(KEY_STATE, window.saveState(LAYOUT_VERSION))
    settings.setValue(KEY_STATE_VERSION, LAYOUT_VERSION)
    settings.setValue(KEY_MODE, mode)
    settings.setValue(KEY_LIVE, live)
    if playback is not None:
        settings.setValue(KEY_SPEED, float(playback[0]))
        settings.setValue(KEY_LOOP, bool(playback[1]))
        settings.setValue(KEY_FOLLOW, bool(playback[2]))
    write_history(settings, history)
    settings.sync()
