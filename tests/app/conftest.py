"""Fixtures for the explorer tests: a real tiny checkpoint, a real gallery index, windows.

GUI tests run on Qt's ``xcb`` platform under Xvfb (pytest-xvfb sets ``DISPLAY`` before this
file is imported): pyqtgraph's OpenGL views draw nothing on the ``offscreen`` platform.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "xcb")  # before any Qt import

import pytest  # noqa: E402
from PySide6.QtCore import QCoreApplication  # noqa: E402

from motionlex.widgets.gl_canvas import enable_shared_gl_contexts  # noqa: E402

if QCoreApplication.instance() is None:  # every GL view shares one context group
    enable_shared_gl_contexts()

GALLERY_BANDAI = 24  # Bandai val clips in the test gallery (every 3rd of the 70)
GALLERY_BVH = ("bandai_1_dash_normal_001.bvh", "bandai_2_raise-up-both-hands_normal_001.bvh")


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory, save_tiny) -> Path:
    """A tiny model directory (random weights, identity patch statistics)."""
    return save_tiny(tmp_path_factory.mktemp("app_ckpt") / "tiny")


@pytest.fixture(scope="session")
def bandai_subset(shared_data, tmp_path_factory, make_subset) -> Path:
    """24 real Bandai val clips (HumanML3D layout, 2 captions each)."""
    src = shared_data / "bandai"
    ids = [ln.strip() for ln in (src / "val.txt").read_text().splitlines() if ln.strip()]
    return make_subset(src, tmp_path_factory.mktemp("app_data") / "bandai_val",
                   ids[::3][:GALLERY_BANDAI])


@pytest.fixture(scope="session")
def bvh_folder(shared_data, tmp_path_factory) -> Path:
    """A folder of two real Bandai BVH files (their native 22-joint skeleton)."""
    d = tmp_path_factory.mktemp("app_bvh") / "bvh_clips"
    d.mkdir()
    for name in GALLERY_BVH:
        shutil.copy(shared_data / "raw_bvh" / name, d / name)
    return d


@pytest.fixture(scope="session")
def gallery_index(tiny_checkpoint, bandai_subset, bvh_folder, tmp_path_factory) -> Path:
    """A real index (``motionlex index`` code path) of the Bandai clips and the BVH files."""
    from motionlex.core.model.factory import load_checkpoint
    from motionlex.core.retrieval.build import build_index

    model, stats = load_checkpoint(tiny_checkpoint, "cpu")
    out = tmp_path_factory.mktemp("app_index") / "gallery.mlx"
    build_index(model, [bandai_subset, bvh_folder], out, patch_stats=stats, progress=False,
                checkpoint=tiny_checkpoint)
    return out


@pytest.fixture
def settings_file(tmp_path) -> Path:
    """An INI file for QSettings (never the user's real settings)."""
    return tmp_path / "explorer.ini"


@pytest.fixture(scope="session")
def bank_cache(tmp_path_factory) -> Path:
    """The caption-bank cache the windows of a session share: the tiny model's bank (the
    default model's ~1,000 training captions) is encoded once, not in every window's
    set-up (3-4 s each on this 2-core machine); everything else a window caches stays in
    its test's own folder."""
    return tmp_path_factory.mktemp("caption-banks")


@pytest.fixture
def make_window(qtbot, settings_file, tmp_path):
    """``make_window(size=(1280, 820), cache_dir=None)``: a shown, exposed main window with
    nothing open (its cache ``tmp_path/cache`` unless given; closed by qtbot)."""
    from motionlex.app import settings as cfg
    from motionlex.app.window import MainWindow

    def make(size: tuple[int, int] | None = (1280, 820), cache_dir: Path | None = None
             ) -> MainWindow:
        w = MainWindow(settings=cfg.open_settings(settings_file),
                       cache_dir=tmp_path / "cache" if cache_dir is None else cache_dir)
        qtbot.addWidget(w)
        if size is not None:
            w.resize(*size)
        w.show()
        qtbot.waitExposed(w)
        return w

    return make


@pytest.fixture
def open_window(qtbot, make_window, tmp_path, gl_platform, tiny_checkpoint, gallery_index,
                bank_cache):
    """``open_window(size=(1280, 820), timeout_ms=90000)``: a shown main window with the tiny
    checkpoint and the test gallery open, its first motion shown and its uncaptioned rows
    described (the caption banks' cache is the session's, :func:`bank_cache`)."""
    cache = tmp_path / "cache"
    cache.mkdir(exist_ok=True)
    if not (cache / "caption-banks").exists():
        (cache / "caption-banks").symlink_to(bank_cache, target_is_directory=True)

    def make(size: tuple[int, int] = (1280, 820), timeout_ms: int = 90000):
        w = make_window(size, cache)
        with qtbot.waitSignal(w.galleryShown, timeout=timeout_ms):
            w.open_checkpoint(tiny_checkpoint)
            w.open_gallery(gallery_index)
        qtbot.waitUntil(lambda: w.current_motion is not None, timeout=timeout_ms)
        # the uncaptioned (BVH) rows are described after the first motion: let that settle,
        # so a test's own status texts and selections are not overtaken by it
        bare = [r for r, c in enumerate(w.gallery.captions) if not c]
        qtbot.waitUntil(lambda: all(w.analysis.generated(r) for r in bare), timeout=timeout_ms)
        return w

    return make


@pytest.fixture
def window(make_window, gl_platform):
    """A shown main window with nothing open, at ``make_window``'s default size."""
    return make_window()


@pytest.fixture
def loaded(open_window):
    """A window with the tiny checkpoint and the test gallery open, first item shown and the
    uncaptioned rows described (:func:`open_window` with its 90 s wait)."""
    return open_window()
