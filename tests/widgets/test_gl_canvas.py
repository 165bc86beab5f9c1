"""gl_canvas: shared GL contexts, render-mode choice, the Y-up to Z-up map."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, Qt

from motionlex.widgets.gl_canvas import (
    RENDER_MODE_ENV,
    enable_shared_gl_contexts,
    gl_renderer,
    is_software_renderer,
    resolve_render_mode,
    y_up_to_z_up,
)


def test_y_up_to_z_up_is_a_proper_rotation():
    p = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(y_up_to_z_up(p), [[1.0, -3.0, 2.0]])
    rot = y_up_to_z_up(np.eye(3))  # rows: images of the basis vectors
    assert np.isclose(np.linalg.det(rot), 1.0)


def test_enable_shared_gl_contexts_after_app_start(qapp):
    attr = Qt.ApplicationAttribute.AA_ShareOpenGLContexts
    assert QCoreApplication.testAttribute(attr)  # set by conftest before the app started
    enable_shared_gl_contexts()  # already on: nothing to do
    QCoreApplication.setAttribute(attr, False)
    try:
        with pytest.raises(RuntimeError, match="before the QApplication"):
            enable_shared_gl_contexts()
    finally:
        QCoreApplication.setAttribute(attr, True)


def test_render_mode_choice(monkeypatch, gl_platform):
    assert is_software_renderer("llvmpipe (LLVM 15.0.6, 256 bits)")
    assert not is_software_renderer("NVIDIA GeForce RTX 4090/PCIe/SSE2")
    assert resolve_render_mode("offscreen") == "offscreen"
    assert resolve_render_mode("widget") == "widget"
    expected = "offscreen" if is_software_renderer(gl_renderer()) else "widget"
    assert resolve_render_mode("auto") == expected
    import motionlex.widgets.gl_canvas as gl_canvas

    for renderer, mode in (("llvmpipe (LLVM 15.0.6, 256 bits)", "offscreen"),
                           ("NVIDIA GeForce RTX 4090/PCIe/SSE2", "widget")):
        monkeypatch.setattr(gl_canvas, "gl_renderer", lambda r=renderer: r)
        assert resolve_render_mode("auto") == mode, renderer
    monkeypatch.undo()
    monkeypatch.setenv(RENDER_MODE_ENV, "widget")
    assert resolve_render_mode() == "widget"
    monkeypatch.setenv(RENDER_MODE_ENV, "vulkan")
    with pytest.raises(ValueError, match=RENDER_MODE_ENV):
        resolve_render_mode()
