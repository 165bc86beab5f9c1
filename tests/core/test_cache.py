"""The one cache folder: $MOTIONLEX_CACHE, else platformdirs' user cache folder."""

from __future__ import annotations

import platformdirs
import pytest

from motionlex.core.cache import cache_dir


def test_env_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTIONLEX_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    assert cache_dir("demo-v1", "x") == tmp_path / "mine" / "demo-v1" / "x"
    assert not (tmp_path / "mine").exists()  # not created


def test_platform_default(tmp_path, monkeypatch):
    monkeypatch.delenv("MOTIONLEX_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == platformdirs.user_cache_path("motionlex", appauthor=False)
    monkeypatch.setenv("MOTIONLEX_CACHE", "")
    assert cache_dir("a") == platformdirs.user_cache_path("motionlex", appauthor=False) / "a"


def test_ensure_cache_dir_creates_it_or_names_it(tmp_path, monkeypatch):
    from motionlex.core.cache import ensure_cache_dir

    made = ensure_cache_dir(tmp_path / "a" / "b")
    assert made == tmp_path / "a" / "b" and made.is_dir()
    assert ensure_cache_dir(made) == made  # already there: fine
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("MOTIONLEX_CACHE", str(blocker))
    with pytest.raises(OSError, match=rf"cannot use the cache folder {blocker} "
                                      r"\(\$MOTIONLEX_CACHE\): a file of that name is in "
                                      r"the way; set MOTIONLEX_CACHE \(or --cache\)"):
        ensure_cache_dir(blocker)
    monkeypatch.delenv("MOTIONLEX_CACHE")
    with pytest.raises(OSError, match=rf"cannot use the cache folder {blocker / 'sub'}: "):
        ensure_cache_dir(blocker / "sub")  # under a file: no such folder can exist
