"""Completer: the known word a typed prefix most likely begins."""

from __future__ import annotations

from motionlex.core.text.completion import Completer


def test_preferred_then_shortest_then_alphabetical():
    c = Completer(["lad", "ladder", "ladders", "laddie", "climb", "climbs", "client", "cliff"],
                  preferred=["climbs", "ladder"])
    assert c.complete("ladd") == "ladder"  # preferred, then the shortest
    assert c.complete("LADDE") == "ladder"
    assert c.complete("cli") == "climbs"  # preferred before the shorter "cliff"
    assert Completer(["cliff", "client", "climb"]).complete("cli") == "cliff"  # alphabet
    assert c.complete("lad") == "ladder"  # a known word itself: longer ones only
    assert c.complete("cl") is None  # too short to guess
    assert c.complete("ladx") is None and c.complete("zzz") is None
    assert Completer([]).complete("walk") is None
