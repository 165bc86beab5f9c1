"""TransportBar: the player's controls show the state they are given, without echo."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from motionlex.widgets.transport import MIN_BAR_WIDTH, MIN_SLIDER_WIDTH, SPEEDS, TransportBar


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


def test_a_narrow_bar_drops_speed_loop_and_follow_first(qtbot):
    """The bar held the 3D view at 411 px (and the window at 1017 px): narrow, it keeps
    the play button, the slider and the read-out, and drops the controls the Playback menu
    has, right to left."""
    parent = QWidget()
    qtbot.addWidget(parent)
    bar = TransportBar(parent, loop=True)
    parent.setLayout(bar.layout)
    optional = (bar.speed_box, bar.loop_box, bar.follow_box)
    bar.fit(2000)
    assert not any(w.isHidden() for w in optional)
    parent.resize(MIN_BAR_WIDTH, 40)
    bar.set_range(3000, 20.0)  # a long motion's read-out: "3000/3000  149.95 s"
    bar.fit(MIN_BAR_WIDTH)
    assert all(w.isHidden() for w in optional)
    assert parent.layout().minimumSize().width() <= MIN_BAR_WIDTH
    assert not any(w.isHidden() for w in (bar.play_button, bar.slider, bar.time_label))
    needed = bar.play_button.sizeHint().width() + MIN_SLIDER_WIDTH + bar.time_label.width()
    bar.fit(needed + bar.speed_box.sizeHint().width() + 40)  # room for the speed box only
    assert not bar.speed_box.isHidden() and bar.follow_box.isHidden()
    assert bar.slider.minimumWidth() == MIN_SLIDER_WIDTH


def test_loop_and_follow_go_together_and_follow_the_read_out(qtbot):
    """GUI audit B #13: at 1024x640 the loop and follow boxes were hidden at start, and
    after a resize to 1920 and back "loop" was shown without "follow": the bar was fitted
    for the default read-out, not again when a motion's narrower one came. The two boxes
    are shown or hidden together, and a new read-out width fits the bar again."""
    parent = QWidget()
    qtbot.addWidget(parent)
    bar = TransportBar(parent, loop=True)
    parent.setLayout(bar.layout)
    gap = bar.layout.spacing()
    m = bar.layout.contentsMargins()
    boxes = sum(gap + w.sizeHint().width() for w in (bar.speed_box, bar.loop_box,
                                                      bar.follow_box))

    def needed() -> int:  # every control at its size hint
        return (m.left() + m.right() + bar.play_button.sizeHint().width() + MIN_SLIDER_WIDTH
                + bar.time_label.width() + 2 * gap + boxes)

    bar.set_range(88, 20.0)  # a short motion's read-out ("88/88  4.35 s")
    short = needed()
    bar.set_range(30000, 20.0)  # a long one's, wider
    assert needed() > short
    parent.resize(short, 40)
    bar.fit(short)  # too narrow for both boxes with the long read-out
    assert not bar.speed_box.isHidden() or bar.loop_box.isHidden()
    assert bar.loop_box.isHidden() == bar.follow_box.isHidden()
    assert bar.follow_box.isHidden()
    bar.set_range(88, 20.0)  # the narrower read-out: the bar is fitted again, both shown
    assert not bar.loop_box.isHidden() and not bar.follow_box.isHidden()
    bar.fit(short - bar.follow_box.sizeHint().width() // 2)  # "loop" fits, "follow" not:
    assert not bar.speed_box.isHidden()
    assert bar.loop_box.isHidden() and bar.follow_box.isHidden()  # neither is shown
    bar.fit(2000)
    bar.fit(short)  # a resize back: the same state at the same width and read-out
    assert not bar.loop_box.isHidden() and not bar.follow_box.isHidden()
