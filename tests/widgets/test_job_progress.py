"""JobProgress: busy bar, steps, hiding."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from motionlex.widgets.job_progress import JobProgress


def test_busy_then_steps_then_hidden(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    job = JobProgress(parent)
    assert not job.bar.isVisible() and not job.cancel_button.isVisible()
    job.start("Opening")
    assert job.bar.maximum() == 0 and job.bar.isVisible() and job.cancel_button.isVisible()
    job.set_progress(30, 20)  # more than total: clamped
    assert (job.bar.value(), job.bar.maximum(), job.bar.format()) == (20, 20, "30/20")
    job.set_progress(1, 0)
    assert job.bar.maximum() == 0
    job.start("Opening", unit="motions")  # what the steps count ("1,920/3,002" said nothing)
    job.set_progress(1920, 3002)
    assert job.bar.format() == "1,920/3,002 motions"
    job.start("Loading")  # a job of steps: no unit
    job.set_progress(1, 2)
    assert job.bar.format() == "1/2"
    job.show(False, True)
    assert not job.bar.isVisible() and job.cancel_button.isVisible()
