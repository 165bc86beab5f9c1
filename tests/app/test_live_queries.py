"""Which search-as-you-type queries the history keeps (audit 35 #2), without a display."""

from __future__ import annotations

from motionlex.app.live_queries import READ_AFTER_S, LiveQueries
from motionlex.app.state import ExplorerState


def test_a_live_query_is_kept_once_its_results_are_used():
    live = LiveQueries()
    assert live.sent("a pers", True, 0.0) is None
    live.shown(0.1)
    assert live.sent("a person claps", True, 5.0) is None  # typed on: the same query
    assert live.used() is None  # its results are not shown yet
    live.shown(5.1)
    assert live.pending == "a person claps"
    assert live.used() == "a person claps" and live.used() is None  # kept once


def test_a_live_query_read_and_replaced_is_kept_a_quick_edit_is_not():
    live = LiveQueries()
    live.sent("a persn claps", True, 0.0)
    live.shown(0.1)
    assert live.sent("a person claps", True, 0.1 + READ_AFTER_S / 2) is None  # fixed fast
    live.shown(1.2)
    assert live.sent("a person bows", True, 1.2 + READ_AFTER_S) == "a person claps"
    live.shown(4.0)
    assert live.sent("a person bows", False, 9.0) is None  # Enter on it: kept by Enter
    assert live.pending is None and live.used() is None
    live.sent("a person jumps", True, 10.0)  # not shown, then replaced: never read
    assert live.sent(None, False, 20.0) is None


def test_the_state_keeps_live_queries_by_its_clock():
    now = [0.0]
    s = ExplorerState(clock=lambda: now[0])
    assert s.query_sent(1, "query: a person claps", "a person claps", live=True) is None
    assert s.results_left() is None  # nothing shown yet
    s.live.shown(now[0])  # as accept_result does
    now[0] = READ_AFTER_S + 1
    assert s.query_sent(2, "like demo_s001") == "a person claps"  # motions like: moved on
    assert s.query_sent(3, "query: walk", "walk", live=True) is None
    s.live.shown(now[0])
    assert s.results_left() == "walk"
