"""TransportBar: the player's controls show the state they are given, without echo."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from motionlex.widgets.transport import SPEEDS, TransportBar


def test_shows_frame_time_speed_and_checks_without_signals(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    bar = TransportBar(parent, loop=True)
    echoed = []
    bar.slider.valueChanged.connect(echoed.append)
    bar.speed_box.currentIndexChanged.connect(echoed.append)
    bar.loop_box.toggled.connect(echoed.append)
    bar.show_time(0, 0, 20.0)
    assert bar.time_label.text() == "no motion"
    bar.set_range(41)
    bar.show_frame(20, 41, 20.0)
    assert bar.slider.value() == 20 and bar.slider.maximum() == 40
    assert bar.time_label.text() == "21/41  1.00 s"
    bar.show_speed(2.0)
    assert bar.speed_box.currentData() == 2.0
    bar.show_speed(1.5)  # not offered: the box keeps its choice
    assert bar.speed_box.currentData() == 2.0
    bar.show_checks(False, True)
    assert not bar.loop_box.isChecked() and bar.follow_box.isChecked()
    assert echoed == []
    bar.show_playing(False, enabled=False)
    assert not bar.slider.isEnabled() and bar.loop_box.isEnabled()
    assert bar.speed_box.count() == len(SPEEDS)
