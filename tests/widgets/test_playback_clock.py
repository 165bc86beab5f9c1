"""PlaybackClock: tick interval, real-time frames due, loop wrap, end, scrub hold."""

from __future__ import annotations

import pytest

from motionlex.widgets.playback_clock import PlaybackClock


@pytest.fixture
def clock(qtbot) -> PlaybackClock:
    c = PlaybackClock()
    yield c
    c.stop()


@pytest.mark.parametrize(
    ("fps", "speed", "ms"),
    [(20.0, 1.0, 25), (20.0, 4.0, 6), (5.0, 0.25, 33), (120.0, 4.0, 5)],
)
def test_interval_is_half_a_displayed_frame_within_5_to_33_ms(clock, fps, speed, ms):
    clock.set_speed(speed, 0)
    clock.start(0, 100, fps)
    assert clock.interval_ms() == ms


def test_frames_due_advance_with_the_wall_clock_and_wrap_when_looping(qtbot, clock):
    due: list[int] = []
    clock.frameDue.connect(due.append)
    clock.set_speed(4.0, 0)
    clock.start(5, 10, 20.0)  # 80 frames/s: past the end of 10 frames in about 0.07 s
    assert clock.is_running
    qtbot.waitUntil(lambda: len(due) > 1 and due[-1] < due[0], timeout=2000)
    assert all(0 <= f < 10 for f in due) and due[0] >= 5


def test_end_without_loop_emits_ended_and_keeps_running(qtbot, clock):
    clock.loop = False
    clock.set_speed(4.0, 0)
    with qtbot.waitSignal(clock.ended, timeout=2000):
        clock.start(8, 10, 20.0)
    assert clock.is_running  # the owner stops it
    clock.stop()
    assert not clock.is_running


def test_hold_counts_as_running_until_release(qtbot, clock):
    due: list[int] = []
    clock.frameDue.connect(due.append)
    clock.hold()  # not running: nothing to hold
    assert not clock.is_running
    clock.start(0, 1000, 20.0)
    clock.hold()
    assert clock.is_running
    due.clear()
    qtbot.wait(100)
    assert due == []  # no ticks while held
    clock.release(500)
    qtbot.waitUntil(lambda: bool(due), timeout=2000)
    assert 500 <= due[0] <= 540  # counted again from the frame dragged to (20 fps, <= 2 s)
    clock.hold()
    clock.stop()  # a stop ends the hold
    assert not clock.is_running


def test_set_speed_while_running_counts_from_the_frame_shown(qtbot, clock):
    due: list[int] = []
    clock.frameDue.connect(due.append)
    clock.start(0, 1000, 20.0)
    clock.set_speed(0.25, 300)
    assert clock.speed == 0.25 and clock.interval_ms() == 33
    due.clear()
    qtbot.waitUntil(lambda: bool(due), timeout=2000)
    assert 300 <= due[0] <= 310  # 5 frames/s from frame 300, within 2 s
