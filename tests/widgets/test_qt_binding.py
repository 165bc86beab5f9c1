"""The Qt binding itself: defects that crash the explorer, found while testing the widgets."""

from __future__ import annotations

import sys

import PySide6
import pytest
from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    changed = Signal(int)


@pytest.mark.skipif(sys.version_info >= (3, 12),
                    reason="True is immortal from Python 3.12 (PEP 683): its refcount is fixed, "
                           "so the lost reference can neither crash nor be counted")
def test_signal_emit_keeps_reference_to_true():
    """``SignalInstance.emit()`` must return a new reference. PySide6 6.12.0 does not: on
    Python < 3.12 each emit drops one reference to ``True`` and the process aborts
    ("bool_dealloc") after a few thousand emits, e.g. a few minutes of skeleton playback.
    Fix: pin ``PySide6-Essentials!=6.12.0`` (6.11.3 is unaffected)."""
    emitter = _Emitter()
    received: list[int] = []
    emitter.changed.connect(received.append)
    before = sys.getrefcount(True)
    results = [emitter.changed.emit(k) for k in range(1000)]
    lost = before + len(results) - sys.getrefcount(True)
    assert received == list(range(1000))
    assert lost == 0, (
        f"PySide6 {PySide6.__version__}: SignalInstance.emit() dropped {lost} references to "
        f"True in 1000 emits (Python {sys.version.split()[0]}); pin PySide6-Essentials!=6.12.0"
    )
