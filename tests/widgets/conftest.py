"""Fixtures for the Qt widget tests: X11 (xcb) platform, real motions, screenshots.

pyqtgraph's OpenGL views draw nothing on Qt's ``offscreen`` platform, so these tests run on
``xcb`` under Xvfb (pytest-xvfb starts it and sets ``DISPLAY`` before this file is imported).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "xcb")  # before any Qt import

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import QCoreApplication  # noqa: E402

from motionlex.widgets.skeleton_view import enable_shared_gl_contexts  # noqa: E402

# every SkeletonView of the session draws in its own GL context: share them (pyqtgraph
# caches shader programs per item class), before pytest-qt creates the QApplication
if QCoreApplication.instance() is None:
    enable_shared_gl_contexts()

HUMANML3D_IDS = ("000000", "007005", "M010968")  # 116, 199 and 70 frames


def emit_drops_true_reference() -> bool:
    """Whether this PySide6 build's ``SignalInstance.emit()`` returns ``True`` without a
    new reference (seen in PySide6 6.12.0). On Python < 3.12, where ``True`` is not
    immortal, every emit then drops one reference and the process aborts with
    "bool_dealloc: deallocating True or False" after a few thousand emits."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        sig = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(20):
        probe.sig.emit()
    return sys.getrefcount(True) <= before - 10


EMIT_DROPS_TRUE_REF = emit_drops_true_reference()


@pytest.fixture(autouse=True)
def _offset_emit_refcount_bug():
    """Keep the widget tests running on an affected PySide6 build (``test_qt_binding.py``
    fails on it and names the fix): before each test, raise ``True``'s reference count by
    a million (CPython < 3.12 stores it in ``ob_refcnt``, the object's first field; ``True``
    is a static object, so the extra count is never freed and harms nothing)."""
    if EMIT_DROPS_TRUE_REF and sys.version_info < (3, 12):
        import ctypes

        ctypes.c_ssize_t.from_address(id(True)).value += 1_000_000
    yield


@pytest.fixture(scope="session")
def humanml3d_joints(shared_data: Path) -> dict[str, np.ndarray]:
    """Real HumanML3D SMPL-22 motions: id -> (T, 22, 3) float32 metres, Y up, 20 fps."""
    root = shared_data / "humanml3d_samples" / "new_joints"
    return {i: np.load(root / f"{i}.npy").astype(np.float32) for i in HUMANML3D_IDS}


@pytest.fixture
def gl_platform(qapp) -> str:
    """The Qt platform name; skips when it cannot render OpenGL (offscreen/minimal)."""
    from PySide6.QtGui import QGuiApplication

    name = QGuiApplication.platformName()
    if name in ("offscreen", "minimal"):
        pytest.skip(f"Qt platform {name!r} does not render pyqtgraph OpenGL views (use xcb/Xvfb)")
    return name


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Where widget screenshots go (``$MOTIONLEX_SCREENSHOTS`` or the temp dir)."""
    return Path(os.environ.get("MOTIONLEX_SCREENSHOTS", tempfile.gettempdir()))
