"""The chronology panel's words without Qt: event numbers, order counts, the verdict."""

from __future__ import annotations

import math

import pytest

from motionlex.widgets.order_text import (
    check_orders,
    distinct_orders,
    order_steps,
    order_verdict,
    poor_note,
    scored_note,
    shown,
    tied_rows,
)


def test_order_steps_number_the_events():
    events = ["A person walks.", "sits down", "waves"]
    assert order_steps("a person walks, then sits down, then waves", events) == \
        "1 \u2192 2 \u2192 3"
    assert order_steps("Waves, then a person walks, then sits down", events) == \
        "3 \u2192 1 \u2192 2"
    assert order_steps("a person jumps, then sits down", events) == ""  # not these events
    assert order_steps("a person walks", events[:1]) == ""  # one event: nothing to number
    # a repeated event ("jumps" twice) takes its numbers in turn: the true order is 1, 2, 3
    twice = ["a person jumps", "a person sits down", "a person jumps"]
    assert order_steps("a person jumps, then a person sits down, then a person jumps",
                       twice) == "1 \u2192 2 \u2192 3"
    assert order_steps("a person jumps, then a person jumps, then a person sits down",
                       twice) == "1 \u2192 3 \u2192 2"
    assert order_steps("a person sits down, then a person jumps, then a person jumps",
                       twice) == "2 \u2192 1 \u2192 3"
    assert order_steps("a person jumps, then a person jumps, then a person jumps", twice) == ""


def test_distinct_orders_count_repeated_events_once():
    assert distinct_orders(["walk", "sit", "wave"]) == 6
    assert distinct_orders(["a person jumps", "sits", "A person jumps."]) == 3
    assert distinct_orders(["x"]) == 1 and distinct_orders([]) == 1
    assert distinct_orders([str(i) for i in range(25)]) == math.factorial(25)


def test_verdict_prefers_ranks_and_ties():
    true_best = [("a, then b", 0.62, True), ("b, then a", 0.55, False)]
    assert order_verdict(true_best) == "The model prefers the true order by 0.070 (2 orders)."
    wrong_best = [("b, then a", 0.62, False), ("a, then b", 0.60, True)]
    assert order_verdict(wrong_best, "query") == (
        "The query order ranks 2 of 2: the model prefers \u201cb, then a\u201d by 0.020.")
    # equal to three decimals: a tie, whichever of the two was sorted first
    for tie in ([("a", 0.5, True), ("b", 0.5002, False)][::-1],
                [("a", 0.5002, True), ("b", 0.5, False)]):
        assert tied_rows(tie) == 2
        assert order_verdict(tie) == "The model cannot tell these 2 orders apart: all score " \
            f"{tie[0][1]:.3f} (events past the tokens the model reads, or too alike for it, " \
            "change nothing)."
    # ties and gaps are those of the scores as the table shows them (three decimals)
    assert order_verdict([("a", 0.5004, True), ("b", 0.4996, False)]).startswith(
        "The model cannot tell these 2 orders apart: all score 0.500")
    assert order_verdict([("a", 0.5006, True), ("b", 0.5002, False)]) == (
        "The model prefers the true order by 0.001 (2 orders).")
    below = [("c", 0.7, False), ("b", 0.7, False), ("a", 0.6, True)]
    assert order_verdict(below) == ("The true order ranks 3 of 3: 2 orders share the best "
                                    "score, 0.700, 0.100 above it.")
    # ranks as shown too: equal to the order above it is not below it; -0.000 reads 0.000
    second = [("c", 0.8, False), ("b", 0.7001, False), ("a", 0.6999, True)]
    assert order_verdict(second) == ("The true order ranks 2 of 3: the model prefers "
                                     "\u201cc\u201d by 0.100.")
    assert order_verdict([("a", 0.0001, True), ("b", -0.0001, False)]).startswith(
        "The model cannot tell these 2 orders apart: all score 0.000")
    assert f"{shown(-0.0001):.3f}" == "0.000"
    three = [("c", 0.7, False), ("a", 0.7, True), ("b", 0.6, False)]
    assert order_verdict(three, "your caption") == (
        "No clear preference: your caption's order and 1 other order score 0.700, the best "
        "of 3.")
    assert order_verdict([("a", 0.5, True)]).startswith("One event: no other order")
    assert order_verdict([("b", 0.5, False), ("c", 0.4, False)]) == (
        "2 orders; the true order is not among them.")
    assert order_verdict([]) == "No event orders to compare." and tied_rows([]) == 0


def test_scored_note_counts_in_words():
    assert scored_note(24, 24) == "" and scored_note(1, 120) == ""
    assert scored_note(24, 120) == " Scored: a sample of 24 of its 120 orders."
    assert scored_note(24, math.factorial(11)) == (
        " Scored: a sample of 24 of its 39,916,800 orders.")
    assert scored_note(24, math.factorial(20)).endswith("of its over a trillion orders.")


def test_check_orders_names_the_bad_item():
    assert check_orders([("a", 1, 0)]) == [("a", 1.0, False)]
    with pytest.raises(ValueError, match=r"orders\[1\]: similarity must be finite"):
        check_orders([("a", 0.5, True), ("b", float("nan"), False)])


def test_poor_note_for_one_order_speaks_of_the_caption():
    """A single scored order (a one-event caption) was said as "Every order matches this
    motion poorly" (review 36 #26)."""
    one = poor_note([("walks", -0.2, True)])
    assert one.startswith(" The caption matches this motion poorly (-0.200)"), one
    assert "order" not in one
    two = poor_note([("a, then b", 0.05, True), ("b, then a", 0.01, False)])
    assert two.startswith(" Every order matches this motion poorly (best 0.050)"), two
    assert poor_note([("walks", 0.3, True)]) == "" and poor_note([]) == ""
