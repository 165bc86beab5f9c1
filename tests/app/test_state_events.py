"""The explorer state's events without Qt (motionlex.app.state_events)."""

from __future__ import annotations

import pytest

from motionlex.app.state_events import Event


def test_event_connect_disconnect():
    ev, got = Event(), []
    ev.connect(got.append)
    ev.emit(1)
    ev.disconnect(got.append)
    ev.emit(2)
    assert got == [1]
    with pytest.raises(ValueError, match="not in list"):
        ev.disconnect(got.append)
