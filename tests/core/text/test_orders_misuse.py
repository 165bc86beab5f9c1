"""Misuse of the events API from Python (audit 25y): a caption string where a list of events
is expected, a caption with no words. Valid calls give what they gave."""

from __future__ import annotations

import numpy as np
import pytest

from motionlex.core.text.events import split_events, split_events_batch
from motionlex.core.text.orders import (
    all_orders,
    format_events_report,
    join_events,
    num_orders,
    shuffle_events,
    shuffled_captions,
)

CAPTION = "a person walks then sits"
EVENTS = ["a person walks", "a person sits", "a person waves"]


@pytest.mark.parametrize("call", [
    lambda e: all_orders(e), lambda e: join_events(e), lambda e: num_orders(e),
    lambda e: shuffle_events(e, np.random.default_rng(0))])
def test_a_caption_string_is_not_a_list_of_events(call):
    """all_orders(caption) gave 24 orders of the caption's characters, join_events(caption)
    'a, then , then p, then e, ...'."""
    with pytest.raises(TypeError, match=r"expects a list of event strings, got a str 'a person "
                                        r"walks then sits': split a caption into its events "
                                        r"first, split_events\(caption\) \(shuffled_captions "
                                        r"takes a caption"):
        call(CAPTION)
    with pytest.raises(TypeError, match="expects a list of event strings, got NoneType"):
        call(None)


def test_lists_of_events_work_as_before():
    assert join_events(EVENTS) == "a person walks, then a person sits, then a person waves"
    assert join_events(tuple(EVENTS[:1])) == "a person walks"
    assert all_orders(EVENTS)[:3] == [(0, 1, 2), (0, 2, 1), (1, 0, 2)]
    assert len(all_orders(EVENTS)) == num_orders(EVENTS) == 6
    assert all_orders([]) == [()]
    assert sorted(shuffle_events(EVENTS, np.random.default_rng(0))) == sorted(EVENTS)
    with pytest.raises(ValueError, match="at least one event"):
        join_events([])


@pytest.mark.parametrize("caption", ["...", "!?", " . , ; ", "\u2026"])
def test_a_caption_with_no_words_is_refused_as_the_cli_refuses_it(caption):
    """split_events("...") returned [''] (its docstring: ValueError for an empty caption);
    'motionlex events "..."' said it had no English words."""
    with pytest.raises(ValueError, match=r"^caption .* has no words \(punctuation or symbols "
                                         r"alone\)"):
        split_events(caption)
    with pytest.raises(ValueError, match=r"^captions\[1\] .* has no words"):
        split_events_batch(["a person walks", caption])
    with pytest.raises(ValueError, match="no English words|no words"):
        format_events_report(caption)
    with pytest.raises(ValueError, match="has no words"):
        shuffled_captions(caption, 2, np.random.default_rng(0))
