"""The built-in default: ``motionlex-explorer`` with no arguments opens the shipped checkpoint
on the synthetic demo gallery (generated and encoded into the cache at first start)."""

from __future__ import annotations

from pathlib import Path

import pytest

from motionlex.app import settings as cfg
from motionlex.app.main import main
from motionlex.app.window import MainWindow
from motionlex.core.data.demo.gallery import demo_items
from motionlex.resources import DEFAULT_MODEL_DIR, default_model_dir

LONG_WAIT_MS = 180000  # demo generation + encoding 200 motions on a busy 2-core machine


@pytest.fixture(scope="module")
def default_cache(tmp_path_factory) -> Path:
    """One cache folder for the module: the first start builds, later ones reuse it."""
    return tmp_path_factory.mktemp("default_cache")


def test_default_checkpoint_is_small_and_complete() -> None:
    d = default_model_dir()
    total = sum(p.stat().st_size for p in d.rglob("*") if p.is_file())
    assert total <= 40 * 2**20, f"default checkpoint is {total / 2**20:.1f} MiB (limit 40)"
    for name in ("patch_stats.json", "val_metrics.json", "train_config.json", "README.md"):
        assert (d / name).is_file(), name


def test_missing_default_checkpoint_is_a_clear_error(monkeypatch, tmp_path) -> None:
    import motionlex.resources as res

    monkeypatch.setattr(res, "DEFAULT_MODEL_DIR", tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="default checkpoint is incomplete"):
        res.default_model_dir()
    assert DEFAULT_MODEL_DIR.is_dir()


def test_no_arguments_opens_the_demo_gallery(qapp, gl_platform, default_cache, tmp_path,
                                             screenshot_dir) -> None:
    png = screenshot_dir / "app_default_start.png"
    code = main(["--screenshot", str(png), "--cache", str(default_cache),
                 "--settings", str(tmp_path / "s.ini"), "--timeout", "300"])
    assert code == 0 and png.is_file()
    assert any(p.name.startswith("demo-v") for p in default_cache.iterdir())


def test_default_window_says_synthetic_and_searches(qtbot, gl_platform, default_cache,
                                                    settings_file) -> None:
    w = MainWindow(settings=cfg.open_settings(settings_file), cache_dir=default_cache)
    qtbot.addWidget(w)
    w.resize(1280, 820)
    w.show()
    qtbot.waitExposed(w)
    with qtbot.waitSignal(w.galleryShown, timeout=LONG_WAIT_MS) as blocker:
        w.open_default()
    info = blocker.args[0]
    n = len(demo_items())
    assert info.synthetic and info.searchable and info.size == n
    assert w.demo_banner.isVisible() and "Synthetic demo gallery" in w.demo_banner.text()
    assert "File &rsaquo; Open" in w.demo_banner.text()
    assert "synthetic" in w.gallery_label.text()
    # the trained default model finds jumps among 200 synthetic motions far above chance
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS) as blocker:
        w.search("a person jumps")
    result = blocker.args[0]
    top = [h["caption"] for h in result.hits[:10]]
    base_rate = sum("jump" in c for c in info.captions) / n
    hit_rate = sum("jump" in c for c in top) / len(top)
    assert hit_rate >= 2 * base_rate, (hit_rate, base_rate, top)
