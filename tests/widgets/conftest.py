"""Fixtures for the Qt widget tests: X11 (xcb) platform, real motions, screenshots.

pyqtgraph's OpenGL views draw nothing on Qt's ``offscreen`` platform, so these tests run on
``xcb`` under Xvfb (pytest-xvfb starts it and sets ``DISPLAY`` before this file is imported).
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "xcb")  # before any Qt import

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import QCoreApplication  # noqa: E402

from motionlex.widgets.gl_canvas import enable_shared_gl_contexts  # noqa: E402
from motionlex.widgets.skeleton_view import SkeletonView  # noqa: E402

# every SkeletonView of the session draws in its own GL context: share them (pyqtgraph
# caches shader programs per item class), before pytest-qt creates the QApplication
if QCoreApplication.instance() is None:
    enable_shared_gl_contexts()

HUMANML3D_IDS = ("000000", "007005", "M010968")  # 116, 199 and 70 frames


@pytest.fixture(scope="session")
def humanml3d_joints(shared_data: Path) -> dict[str, np.ndarray]:
    """Real HumanML3D SMPL-22 motions: id -> (T, 22, 3) float32 metres, Y up, 20 fps."""
    root = shared_data / "humanml3d_samples" / "new_joints"
    return {i: np.load(root / f"{i}.npy").astype(np.float32) for i in HUMANML3D_IDS}


@pytest.fixture
def make_skeleton_view(qtbot, gl_platform):
    """Factory of shown :class:`SkeletonView` players, closed with the test.

    ``make_skeleton_view(render_mode=None, size=(640, 480))`` returns the player, shown and
    exposed, ``size`` in pixels.
    """

    def make(render_mode: str | None = None, size: tuple[int, int] = (640, 480)
             ) -> SkeletonView:
        w = SkeletonView(render_mode=render_mode)
        w.resize(*size)
        qtbot.addWidget(w)
        w.show()
        qtbot.waitExposed(w)
        return w

    return make
