"""The one cache folder: $MOTIONLEX_CACHE, else platformdirs' user cache folder."""

from __future__ import annotations

import platformdirs

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
