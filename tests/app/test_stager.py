"""Stager: steps run in order on later event-loop turns; a new run drops the old one's rest."""

from __future__ import annotations

from PySide6.QtCore import QObject

from motionlex.app.stager import Stager


def test_steps_run_later_in_order_and_newer_runs_replace(qtbot, qapp):
    owner = QObject()
    stager = Stager(owner)
    done: list[str] = []
    stager.run([lambda: done.append("a1"), lambda: done.append("a2"), lambda: done.append("a3")])
    assert done == []  # nothing runs before the loop turns
    qtbot.waitUntil(lambda: len(done) == 3, timeout=2000)
    assert done == ["a1", "a2", "a3"]
    stager.run([lambda: done.append("x1"), lambda: done.append("x2")])
    stager.run([lambda: done.append("y1")])  # x1 and x2 are dropped before they run
    qtbot.waitUntil(lambda: done[-1] == "y1", timeout=2000)
    qtbot.wait(50)
    assert done == ["a1", "a2", "a3", "y1"]
