"""The explorer state's composed status texts (motionlex.app.status_texts) as plain functions;
when the state says them is tested in test_state.py."""

from __future__ import annotations

from motionlex.app.messages import RankResult
from motionlex.app.status_texts import not_searched_text, ranking_text, sentence


def test_a_note_becomes_a_sentence():
    assert sentence("  the shipped model stands in ") == "The shipped model stands in."
    assert sentence("done.") == "Done." and sentence("  ") == ""


def test_an_order_aware_ranking_names_its_weight():
    hits = [{"rank": 1, "score": 0.9, "caption": "walks", "id": "M1", "row": 1}]
    result = RankResult(1, "walk, then sit", "fused", hits, [("walk", 1.0)], total=3,
                        seconds=0.012, order_weight=0.5)
    assert ranking_text(result) == ("1 results of 3, ranked in 12 ms, order-aware "
                                    "(score + 0.5 \u00d7 order margin).")


def test_a_query_not_searched_says_what_is_shown_instead():
    assert not_searched_text("jump", "", searchable=False) == (
        "Opening the gallery was cancelled: “jump” was not searched (nothing searchable is "
        "open; it stays in the query box).")
