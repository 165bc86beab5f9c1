"""The orders algebra: join, shuffle, all orders of events; side swap; caption identity."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from motionlex.core.text.events import split_events
from motionlex.core.text.orders import (
    JOIN_SEPARATOR,
    all_orders,
    compose_captions,
    format_events_report,
    join_events,
    normalize_caption,
    num_orders,
    shuffle_events,
    shuffled_captions,
    split_subject,
)
from motionlex.core.text.sides import mirror_caption

CASES_FILE = Path(__file__).resolve().parents[2] / "data" / "events_kitml.json"
CASES = json.loads(CASES_FILE.read_text(encoding="utf-8"))["cases"]


def test_join_events_form():
    assert JOIN_SEPARATOR == ", then "
    assert join_events(["A person walks", "A person sits"]) == "A person walks, then a person sits"
    assert join_events(["A person walks"]) == "A person walks"
    # inner events lose their closing punctuation; the last keeps its own ending
    assert join_events(["A person walks.", "Sits down ;", "waves!"]) == (
        "A person walks, then sits down, then waves!")
    assert join_events(["A person walks."]) == "A person walks."
    assert join_events(["a man waves", "I turn", "NASA jumps"]) == (
        "a man waves, then I turn, then NASA jumps"
    )
    with pytest.raises(ValueError, match="at least one event"):
        join_events([])


def test_shuffle_none_without_a_different_order():
    rng = np.random.default_rng(0)
    assert shuffle_events(["a person walks"], rng) is None
    assert shuffle_events([], rng) is None
    assert shuffle_events(["a person jumps", "a person jumps"], rng) is None
    assert shuffled_captions("A person walks forward.", 5, rng) == []


def test_events_equal_as_captions_have_no_other_order():
    # "A person jumps. Then a person jumps." splits into events that differ only in case:
    # swapping them joins to the true caption, which CAR would count as a "shuffle"
    rng = np.random.default_rng(0)
    events = split_events("A person jumps. Then a person jumps.")
    assert len(events) == 2 and events[0] != events[1]
    assert shuffled_captions(events, 3, rng) == []
    assert shuffle_events(events, rng) is None
    assert num_orders(events) == 1 and all_orders(events) == [(0, 1)]
    assert num_orders(["jumps", "sits", "Jumps."]) == 3
    mixed = shuffled_captions(["A person jumps", "sits down", "a person jumps."], 5, rng)
    assert [c.split(", then ")[0] for c in mixed].count("sits down") == 1
    assert len(mixed) == 2  # 3 orders, the true one excluded


def test_shuffle_is_deterministic_under_a_seed():
    events = ["a", "b", "c", "d", "e"]
    draws = [[shuffle_events(events, np.random.default_rng(s)) for s in range(6)] for _ in "ab"]
    assert draws[0] == draws[1]
    assert len({tuple(d) for d in draws[0]}) > 1  # the seed matters
    caps = [shuffled_captions(events, 4, np.random.default_rng(7)) for _ in "ab"]
    assert caps[0] == caps[1]


def test_every_multi_event_case_shuffles_to_a_different_order():
    rng = np.random.default_rng(123)
    multi = [c["events"] for c in CASES if len(set(c["events"])) > 1]
    assert multi
    for events in multi:
        for _ in range(5):
            shuffled = shuffle_events(events, rng)
            assert shuffled != events and sorted(shuffled) == sorted(events)


def test_shuffled_captions_distinct_and_wrong():
    events = ["a person waves", "a person jumps", "a person sits"]
    caps = shuffled_captions(events, 10, np.random.default_rng(1))
    assert len(caps) == 5 == len(set(caps))  # 3! - 1 wrong orders
    assert join_events(events) not in caps
    assert len(shuffled_captions(events, 2, np.random.default_rng(1))) == 2
    repeated = shuffled_captions(["a", "b", "a"], 10, np.random.default_rng(1))
    assert sorted(repeated) == ["a, then a, then b", "b, then a, then a"]
    from_text = shuffled_captions("a person waves, then jumps", 3, np.random.default_rng(0))
    assert from_text == ["a person jumps, then a person waves"]
    eight = [f"e{i}" for i in range(8)]  # beyond exact enumeration: sampled
    caps8 = shuffled_captions(eight, 20, np.random.default_rng(0))
    assert len(set(caps8)) == 20 and join_events(eight) not in caps8
    with pytest.raises(ValueError, match="k must be >= 0"):
        shuffled_captions(events, -1, np.random.default_rng(0))


def test_all_orders_are_stable_and_lexicographic():
    assert all_orders(["a", "b", "c"]) == [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1),
                                           (2, 1, 0)]
    cut = all_orders(["b", "a", "c"], limit=3)  # 6 orders, 3 listed: the true one first
    assert cut[0] == (0, 1, 2) and len(set(cut)) == 3 and cut[1:] == sorted(cut[1:])
    assert all_orders(["a", "b", "a"]) == [(0, 1, 2), (0, 2, 1), (1, 0, 2)]


def test_a_sample_of_many_orders_moves_every_event():
    """Seven events have 5,040 orders: the 24 listed are the true one and a seeded sample
    that moves the leading events too (the first 23 in lexicographic order all began
    0, 1, 2 and only reordered the last four events)."""
    seven = all_orders(list("abcdefg"), limit=24)
    assert seven[0] == tuple(range(7)) and len(seven) == 24 == len(set(seven))
    assert all(sorted(o) == list(range(7)) for o in seven)
    assert {o[0] for o in seven[1:]} >= {1, 2, 3}  # other events lead
    assert seven[1:] == sorted(seven[1:])  # listed in lexicographic order
    assert all_orders(list("abcdefg"), limit=24) == seven  # the same events, the same sample
    assert all_orders(list("abcdefg"), limit=24, seed=1) != seven
    # with repeats, the sample holds distinct event lists and never the true one again
    rep = all_orders(list("abcabca"), limit=24)
    lists = {tuple("abcabca"[i] for i in o) for o in rep}
    assert len(lists) == 24 and len(rep) == 24
    # limit just under the count: a sample, still distinct; at the count: every order
    assert len(set(all_orders(list("abcd"), limit=23))) == 23
    assert len(all_orders(list("abcd"), limit=24)) == 24


def test_all_orders_count_and_limit():
    three = all_orders(["a", "b", "c"])
    assert three[0] == (0, 1, 2) and len(three) == 6 == len(set(three))
    five = all_orders(list("abcde"), limit=24)
    assert five[0] == tuple(range(5)) and len(five) == 24 == len(set(five))
    assert all(sorted(o) == list(range(5)) for o in five)
    assert len(all_orders(list("abcd"), limit=100)) == math.factorial(4)
    assert all_orders(["a", "b"], limit=1) == [(0, 1)]
    assert all_orders(["x"]) == [(0,)]
    dup = all_orders(["a", "b", "a"])
    assert len(dup) == 3 and len({tuple("aba"[i] for i in o) for o in dup}) == 3
    with pytest.raises(ValueError, match="limit"):
        all_orders(["a", "b"], limit=0)


def test_format_events_report():
    text = format_events_report("A person walks forward, turns around and walks back.", seed=3)
    assert "1. A person walks forward" in text and "3. A person walks back" in text
    joined = "A person walks forward, then a person turns around, then a person walks back"
    assert f"joined:   {joined}" in text
    shuffled_line = next(line for line in text.splitlines() if line.startswith("shuffled:"))
    assert (
        "(seed 3)" in shuffled_line
        and "walks forward, then a person turns around, then" not in shuffled_line
    )
    assert "none: a single event" in format_events_report("A person walks forward.")
    # the report's shuffle is the one shuffled_captions draws with that seed (the README's
    # example), an int seed or a generator alike; anything else is named
    events = ["A person walks forward", "a person turns around", "a person walks back"]
    for seed in range(4):
        line = next(ln for ln in format_events_report(". ".join(events), seed=seed).splitlines()
                    if ln.startswith("shuffled:"))
        assert line == f"shuffled: {shuffled_captions(events, 1, seed)[0]}  (seed {seed})"
        assert shuffled_captions(events, 1, seed) == shuffled_captions(
            events, 1, np.random.default_rng(seed))
    with pytest.raises(TypeError, match="rng must be a numpy Generator .* or an int seed, "
                                        "got str"):
        shuffled_captions(events, 1, "0")
    with pytest.raises(ValueError, match="empty"):
        format_events_report("")
    with pytest.raises(TypeError, match="must be a str"):
        format_events_report(None)


def test_events_of_a_caption_without_english_words_say_so():
    """Probe V06: a Chinese caption "has no events, only sequence words"."""
    with pytest.raises(ValueError, match="'一个人走路，然后坐下' has no English words"):
        format_events_report("一个人走路，然后坐下")
    with pytest.raises(ValueError, match="only sequence words"):  # English, but no event
        format_events_report("and then")


def test_mirror_caption_swaps_left_and_right_keeping_case():
    assert mirror_caption("A person waves the Left hand then the right.") == (
        "A person waves the Right hand then the left."
    )
    assert mirror_caption("LEFT; leftover") == "RIGHT; leftover"
    assert mirror_caption(mirror_caption("turns left, then right")) == "turns left, then right"


def test_normalize_caption_identifies_identical_captions():
    assert normalize_caption("  A person Walks ") == "a person walks"
    assert normalize_caption("a person walks") == "a person walks"
    assert normalize_caption("a person walks.") == normalize_caption("a person walks")
    assert normalize_caption("waves the left hand") != normalize_caption("waves the right hand")


def test_caption_join_in_order():
    assert split_subject(" Someone raises both hands energetically. ") == (
        "Someone", "raises both hands energetically")
    assert split_subject("a man and a woman dance.") == (None, "a man and a woman dance")
    cap, events = compose_captions(["a person waves the right hand.", "someone walks forward."])
    assert cap == "a person waves the right hand, then walks forward"
    assert events == ["a person waves the right hand", "a person walks forward"]
    neg, neg_events = compose_captions(["a person waves the right hand.", "he walks forward."],
                                       [1, 0])
    assert neg == "a person walks forward, then waves the right hand"
    assert neg_events == events[::-1]
    # a caption without a recognised subject: every event is kept whole
    cap, events = compose_captions(["Playground - climb, hang", "a person sits down."])
    assert cap == "playground - climb, hang, then a person sits down"
    with pytest.raises(ValueError, match="not a permutation"):
        compose_captions(["a person walks", "a person runs"], [0, 0])
    with pytest.raises(ValueError, match="at least one caption"):
        compose_captions([])
    with pytest.raises(ValueError, match="empty caption"):
        compose_captions(["a person walks", " . "])


def test_events_report_says_why_there_is_no_shuffled_order():
    from motionlex.core.text.orders import format_events_report

    one = format_events_report("a person waves")
    assert "shuffled: (none: a single event has no wrong order)" in one
    same = format_events_report("a person jumps, then a person jumps")
    assert "events (2):" in same and "the events read the same" in same
    assert "a single event" not in same
    two = format_events_report("a person jumps, then sits down")
    assert "shuffled: " in two and "(none" not in two


def test_a_shuffle_of_repeated_events_never_reads_as_the_true_order():
    """"jumps, sits, jumps": swapping the two jumps is another permutation but the same
    caption, never a negative; every shuffle drawn reads differently from the truth."""
    ev = ["a person jumps", "a person sits", "a person jumps"]
    drawn = {join_events(shuffle_events(ev, seed)) for seed in range(100)}
    assert join_events(ev) not in drawn
    assert drawn == {join_events(["a person sits", "a person jumps", "a person jumps"]),
                     join_events(["a person jumps", "a person jumps", "a person sits"])}


@pytest.mark.parametrize("variant", ["a person walks .", "A person walks. ", "a person  walks..",
                                     "a person walks"])
def test_captions_that_differ_in_case_spaces_and_final_dots_are_one_caption(variant):
    assert normalize_caption(variant) == "a person walks"
