"""ExplorerState without Qt: opening, queued and sent queries, outdated results, selection."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from motionlex.app.analysis_messages import DescribeResult
from motionlex.app.messages import GalleryInfo, ModelInfo, MotionData, OrdersResult, RankResult
from motionlex.app.state import ExplorerState
from motionlex.core.motion.skeleton import SMPL22


class _Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _model() -> ModelInfo:
    return ModelInfo("/ckpt", "tiny", "cpu", "CPU (test)", 32, 100, 12_345)


def _gallery(searchable: bool = True, size: int = 3) -> GalleryInfo:
    return GalleryInfo(path="/g.mlx", source="/g", size=size, ids=[f"M{i}" for i in range(size)],
                       captions=["walks", "", "jumps"][:size],
                       durations=np.array([1.0, 2.5, 3.0][:size], np.float32),
                       searchable=searchable, skipped=[("bad.bvh", "no root")])


def _result(request_id: int, text: str = "walk") -> RankResult:
    hits = [{"rank": 1, "score": 0.9, "caption": "", "id": "M1", "row": 1}]
    return RankResult(request_id, text, "fused", hits, [("walk", 1.0)], total=3, seconds=0.01)


def _motion(request_id: int, row: int = 1) -> MotionData:
    j = np.zeros((4, 22, 3), np.float32)
    return MotionData(request_id, row, f"M{row}", "walks", ["walks"], "/m.npy", False, "", 20.0,
                      j, SMPL22.bones(), SMPL22.part_of_joint(), SMPL22,
                      np.zeros((3, 4, 80), np.float32), [("walk", 1.0)], {})


@pytest.fixture
def state() -> tuple[ExplorerState, dict[str, list]]:
    s = ExplorerState(clock=_Clock())
    seen: dict[str, list] = {k: [] for k in ("model", "gallery", "results", "motion", "status")}
    for name, log in seen.items():
        getattr(s.events, name).connect(lambda *a, log=log: log.append(a))
    return s, seen


def test_state_imports_no_qt():
    code = ("import sys, motionlex.app.state; "
            "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_open_model_then_gallery(state):
    s, seen = state
    assert s.model is None and s.gallery is None and not s.busy
    s.model_loaded(_model())
    assert s.model.name == "tiny" and seen["model"] == [(s.model,)]
    assert seen["status"][-1] == ("Checkpoint tiny loaded on CPU (test).", 5000)
    s.opening_gallery()
    assert s.busy and s.gallery_pending
    assert s.gallery_opened(_gallery()) is None  # no query waited
    assert not s.busy and s.searchable and len(seen["gallery"]) == 1
    assert seen["status"][-1] == ("Gallery opened: 3 motions (1 file skipped: the gallery "
                                  "label at the bottom right names them).", 8000)


def test_a_gallery_read_not_upright_says_so(state):
    """A Z-up dataset opened with "Gallery built and opened: 5 motions" and skeletons lying
    down: the status now names it, and the gallery label counts them."""
    from dataclasses import replace

    from motionlex.app.texts import gallery_label, gallery_tooltip

    s, seen = state
    s.model_loaded(_model())
    s.opening_gallery()
    lying = replace(_gallery(), skipped=[], not_upright=["M0", "M2"])
    s.gallery_opened(lying)
    assert seen["status"][-1][0] == (
        "Gallery opened: 3 motions (2 motions not upright along +Y: a Z-up export must be "
        "rotated first; the gallery label names them).")
    assert gallery_label(lying) == "gallery: 3 motions, 2 not upright"
    assert gallery_tooltip(lying).endswith("2 motions kept but not upright along +Y (a Z-up "
                                           "export must be rotated first): M0, M2")


def test_query_waits_for_the_opening_gallery(state):
    s, seen = state
    assert s.check_search("walk") == "refused"  # nothing open, nothing opening
    assert seen["status"][-1][0].startswith("Open a gallery first")
    s.opening_gallery()
    assert s.check_search("a person walks") == "queued"
    assert s.pending_query == "a person walks"
    assert s.gallery_opened(_gallery()) == "a person walks"
    assert s.pending_query is None
    assert s.check_search("a person walks") == "send"
    # a query typed while another gallery opens is asked of the new one, not the old
    s.query_sent(1, "query: a person walks")
    s.accept_result(_result(1, "a person walks"))
    s.opening_gallery()
    assert s.check_search("a person bows") == "queued"
    assert seen["status"][-1][0] == "Will search “a person bows” once the gallery is open."
    assert s.gallery_opened(_gallery()) == "a person bows"  # not the old "a person walks"


def test_cancelled_gallery_says_the_queued_query_was_not_searched(state):
    s, seen = state
    s.opening_gallery()
    s.check_search("walk")
    assert s.job_started("gallery", "Opening gallery")
    assert not s.job_started("rank", "Ranking")  # not a long job
    assert s.job_finished("gallery", "cancelled")
    assert s.pending_query is None and not s.busy
    assert seen["status"][-1] == ("Opening the gallery was cancelled: “walk” was not searched "
                                  "(nothing searchable is open; it stays in the query box).",
                                  10000)
    assert s.not_searched == "walk"  # it stays in the query box (audit 35 #6)
    # with a gallery still open, the user is told how to search it; without a query waiting,
    # the cancellation alone is said
    s.model_loaded(_model())
    s.gallery_opened(_gallery())
    s.opening_gallery()
    s.check_search("a person bows")
    s.job_finished("gallery", "cancelled")
    assert seen["status"][-1][0].endswith("“a person bows” was not searched (Enter searches "
                                          "the gallery that is open; it stays in the query "
                                          "box).")
    s.query_sent(1, "query: walk")  # with results shown, the status names their query
    s.accept_result(_result(1, "walk"))
    s.opening_gallery()
    s.check_search("a person bows")
    s.job_finished("gallery", "cancelled")
    assert seen["status"][-1][0].endswith("“a person bows” was not searched (the results "
                                          "shown are for “walk”; it stays in the query "
                                          "box).")
    assert s.not_searched == "a person bows"
    s.opening_gallery()
    s.job_finished("gallery", "cancelled")
    assert seen["status"][-1] == ("Opening the gallery was cancelled.", 5000)
    assert s.not_searched is None
    s.job_started("gallery", "Opening gallery")
    assert not s.job_finished("gallery", "done", recording=True)  # the recording keeps the bar
    # a cancelled checkpoint load says so ("Cancelling…" stayed in the status bar)
    assert s.job_started("checkpoint", "Loading checkpoint x")
    assert s.job_finished("checkpoint", "cancelled")
    assert seen["status"][-1] == ("Loading the checkpoint was cancelled (tiny stays).", 5000)


def test_unsearchable_gallery_refuses_text(state):
    s, seen = state
    s.gallery_opened(_gallery(searchable=False))
    assert s.check_search("walk") == "refused"
    assert "checkpoint" in seen["status"][-1][0]
    assert not s.select(0)  # no event orders without a model


def test_outdated_result_is_dropped(state):
    s, seen = state
    s.gallery_opened(_gallery())
    s.query_sent(1, "query: walk")
    s._clock.t += 0.25
    s.query_sent(2, "query: walk fast")
    assert not s.accept_result(_result(1))  # overtaken by request 2
    assert s.last_result is None and seen["results"] == []
    s._clock.t += 0.5
    assert s.accept_result(_result(2, "walk fast"))
    assert s.last_result.text == "walk fast" and s.query_label == "query: walk fast"
    assert s.last_latency_ms == pytest.approx(500.0)
    assert seen["status"][-1] == ("1 results of 3, ranked in 10 ms.", 5000)
    assert s.latest("rank") == 2
    with pytest.raises(ValueError, match="must increase"):
        s.query_sent(2, "query: again")


def test_a_query_longer_than_the_model_reads_is_said(state):
    """The model reads the first 64 tokens of a text: a longer query's end was left out
    without a word in the explorer (the CLI said so)."""
    from dataclasses import replace

    s, seen = state
    s.gallery_opened(_gallery())
    s.query_sent(1, "query: a long one")
    long = replace(_result(1), query_tokens=110, max_tokens=64)
    assert long.cut and s.accept_result(long)
    text, ms = seen["status"][-1]
    assert text == ("1 results of 3, ranked in 10 ms. The query is 110 tokens long: the "
                    "model reads its first 64, the rest is left out.") and ms == 15000
    s.query_sent(2, "query: short")
    assert s.accept_result(replace(_result(2), query_tokens=8, max_tokens=64))
    assert seen["status"][-1] == ("1 results of 3, ranked in 10 ms.", 5000)


def test_selection_and_current_motion(state):
    s, seen = state
    assert s.similar_label() is None  # nothing shown yet
    with pytest.raises(ValueError, match="no gallery"):
        s.select(0)
    s.gallery_opened(_gallery())
    with pytest.raises(IndexError, match="out of range"):
        s.select(3)
    assert s.select(2) and s.selected_row == 2
    s.motion_requested(5)
    s.orders_requested(7)
    assert not s.is_current(_motion(4)) and s.is_current(_motion(5))
    assert s.is_current(OrdersResult(7, 2, "walks", ["walks"], []))
    assert not s.is_current(OrdersResult(6, 2, "walks", ["walks"], []))
    s.show_motion(_motion(5, row=2))
    assert s.motion.row == 2 and len(seen["motion"]) == 1
    assert s.similar_label() == "like M2"


def test_results_all_hidden_by_the_filter_show_nothing(state):
    """A new ranking whose results the filter hides all: no motion stays selected or shown
    (the views kept the previous one), replies still on their way are dropped, and the
    status bar says why."""
    s, seen = state
    s.gallery_opened(_gallery())
    s.select(2)
    s.motion_requested(5)
    s.orders_requested(7)
    s.show_motion(_motion(5, row=2))
    why = s.results_hidden(10, " elderly ")
    assert why == ("The results filter \u201celderly\u201d hides all 10 results of this query: "
                   "clear it to see them.")
    assert seen["status"][-1] == (why, 15000)
    assert s.motion is None and s.selected_row is None and s.similar_label() is None
    assert not s.is_current(_motion(5, row=2))
    assert not s.is_current(OrdersResult(7, 2, "walks", ["walks"], []))
    s.select(1)  # a row clicked afterwards is shown as ever
    s.motion_requested(8)
    assert s.is_current(_motion(8)) and s.selected_row == 1


def test_a_filter_that_hides_the_motion_shown_moves_the_views(state):
    """A filter change that hid the result shown left it in every view (GUI audit 36 #3):
    the first result listed is shown, or nothing when none is; a motion chosen in the
    gallery list (not a result) stays."""
    s, _ = state
    assert s.filtered([]) == "keep"  # no ranking
    s.gallery_opened(_gallery())
    s.query_sent(1, "query: walk", "walk")
    s.accept_result(_result(1))  # one hit: row 1
    s.select(1)
    assert s.filtered([0]) == "keep"  # still listed
    assert s.filtered([]) == "none"  # hidden, nothing else listed
    s.results_hidden(1, "zzzz")
    assert s.filtered([]) == "none" and s.filtered([0]) == "first"  # listed again
    s.select(2)  # from the gallery list: not a result
    assert s.filtered([]) == "keep"


def test_a_gallery_pick_that_is_also_a_hidden_result_stays(state):
    """A motion chosen in the gallery list that is also a result gave way to the first
    result listed, or to nothing, when the results filter hid it (review 36 #4): the state
    knew only the row, not the list it was chosen in."""
    s, _ = state
    s.gallery_opened(_gallery())
    s.query_sent(1, "query: walk", "walk")
    hits = [{"rank": i + 1, "score": 0.9, "caption": "", "id": f"M{r}", "row": r}
            for i, r in enumerate([0, 1])]
    s.accept_result(RankResult(1, "walk", "fused", hits, [("walk", 1.0)], total=3,
                               seconds=0.01))
    s.select(1, from_gallery=True)  # M1, result #2, picked in the gallery tab
    assert s.filtered([0]) == "keep" and s.filtered([]) == "keep"
    s.select(1)  # the same motion chosen in the results list follows the filter
    assert s.filtered([0]) == "first" and s.filtered([]) == "none"
    s.select(1, from_gallery=True)
    s.query_sent(2, "query: walk", "walk")  # a new ranking selects its first result
    s.accept_result(RankResult(2, "walk", "fused", hits, [("walk", 1.0)], total=3,
                               seconds=0.01))
    s.select(0)
    assert s.filtered([1]) == "first"


def test_a_motion_picked_while_ranking_keeps_the_selection(state):
    """Opening a gallery re-asks the last query; a gallery row the user picks before its
    results arrive must not be replaced by the first result."""
    s, _ = state
    s.gallery_opened(_gallery())
    s.query_sent(1, "query: walk")
    assert s.results_take_selection
    s.select(2)  # the user picks a gallery row while the ranking is on its way
    assert s.accept_result(_result(1))
    assert not s.results_take_selection and s.selected_row == 2
    s.select(1)  # choosing a result after it arrived is no pick "meanwhile"
    s.query_sent(2, "query: jump")
    assert s.accept_result(_result(2, "jump")) and s.results_take_selection



def test_replies_to_requests_about_the_old_gallery_are_dropped(state):
    """Requests sent before a gallery opened are served after its load (the worker keeps
    their order) but name rows of the old gallery: their replies are dropped, and "more
    like this" is refused while a gallery opens (it ranked the new gallery by an old row)."""
    s, seen = state
    s.gallery_opened(_gallery())
    s.motion_requested(1)
    s.show_motion(_motion(1, row=2))
    s.opening_gallery()
    assert s.similar_label() is None
    assert seen["status"][-1][0].startswith("Wait for the gallery to open")
    s.query_sent(3, "motion M2")  # e.g. sent just before the gallery was asked for
    s.motion_requested(4)
    s.orders_requested(2)
    s.gallery_opened(_gallery(size=3))
    assert not s.accept_result(_result(3)) and s.last_result is None
    assert not s.is_current(_motion(4)) and not s.is_current(OrdersResult(2, 2, "w", ["w"], []))
    s.query_sent(4, "query: walk")  # asked of the new gallery: taken
    s.motion_requested(5)
    assert s.accept_result(_result(4)) and s.is_current(_motion(5))
    s.show_motion(_motion(5, row=1))
    assert s.similar_label() == "like M1"


def test_a_failed_gallery_open_ends_the_wait(state):
    """A gallery that failed to open (the error box says why): queries and selections are
    no longer held for it, and the query typed meanwhile is not kept for a later gallery."""
    s, seen = state
    s.gallery_opened(_gallery())
    s.opening_gallery()
    assert s.check_search("a person bows") == "queued" and not s.may_select()
    s.job_started("gallery", "Opening gallery")
    assert s.job_finished("gallery", "failed")
    assert not s.gallery_pending and s.pending_query is None and not s.busy
    assert s.may_select() and s.check_search("a person bows") == "send"


def test_a_new_gallery_that_cannot_be_searched_by_text_is_not_asked_the_old_query(state):
    s, _ = state
    s.gallery_opened(_gallery())
    s.query_sent(1, "query: walk")
    s.accept_result(_result(1, "walk"))
    assert s.gallery_opened(_gallery(searchable=False)) is None
    s.gallery_opened(_gallery())  # no result shown now: nothing to ask again
    assert s.gallery_opened(_gallery()) is None


def test_a_ranking_in_flight_when_a_gallery_opens_does_not_hold_back_selection(state):
    """The ranking sent before a gallery opened is stale (its reply is dropped): choosing a
    motion in the new gallery is not a choice made while that ranking was on its way."""
    s, _ = state
    s.gallery_opened(_gallery())
    s.query_sent(1, "query: walk")  # on its way ...
    s.opening_gallery()
    s.gallery_opened(_gallery())  # ... when another gallery opens
    s.select(2)
    assert s.results_take_selection
    assert not s.accept_result(_result(1, "walk"))  # the stale reply is dropped


def test_a_model_that_cannot_search_the_open_gallery_marks_it_unsearchable(state):
    """Another checkpoint loaded over an open gallery built with a different model: text
    queries are refused (a status says which checkpoint is needed), and a model that can
    search it makes it searchable again."""
    from dataclasses import replace

    s, seen = state
    s.gallery_opened(_gallery())
    assert s.searchable
    s.model_loaded(replace(_model(), gallery_searchable=False))
    assert not s.searchable and s.check_search("a person walks") == "refused"
    assert seen["status"][-1][0].startswith("Text search needs the checkpoint")
    s.model_loaded(replace(_model(), gallery_searchable=True))
    assert s.searchable and s.check_search("a person walks") == "send"


def test_a_new_gallery_clears_the_selection_and_the_shown_motion(state):
    """Row 900 of a 1,000-motion gallery stayed selected (and shown) after a 50-motion
    gallery opened: Similar, Describe and the chronology then asked for that row."""
    s, _ = state
    s.gallery_opened(_gallery(size=3))
    s.select(2)
    s.motion_requested(1)
    s.show_motion(_motion(1, row=2))
    s.opening_gallery()
    s.gallery_opened(_gallery(size=2))
    assert s.selected_row is None and s.motion is None
    assert s.similar_label() is None  # "Select a motion first."
    s.select(1)
    assert s.selected_row == 1


def test_two_galleries_asked_in_a_row_wait_for_the_last(state):
    """Open A (a slow build), then B: A opening (or being given up) does not end the wait
    for B; the query typed meanwhile is asked of B."""
    s, seen = state
    s.opening_gallery()  # A
    assert s.check_search("a person bows") == "queued"
    s.opening_gallery()  # B
    assert s.gallery_opened(_gallery(size=3)) is None  # A: the query waits for B
    assert s.gallery_pending and s.busy and not s.may_select()
    assert s.pending_query == "a person bows"
    assert s.gallery_opened(_gallery(size=2)) == "a person bows"  # B
    assert not s.gallery_pending and s.may_select()
    # A given up for B (its build cancelled): no "cancelled" news, B is still awaited
    s.opening_gallery()
    s.opening_gallery()
    assert s.check_search("a person sits") == "queued"
    s.job_started("gallery", "Opening gallery A")
    n = len(seen["status"])
    assert s.job_finished("gallery", "cancelled")
    assert len(seen["status"]) == n and s.gallery_pending
    assert s.pending_query == "a person sits"
    assert s.gallery_opened(_gallery()) == "a person sits"
    assert not s.gallery_pending


def test_a_long_job_that_ends_during_a_recording_is_over(state):
    """A gallery opened during a video recording: the recording keeps the progress bar, but
    the job is over (busy was left true, and Esc then cancelled unrelated worker jobs)."""
    s, _ = state
    s.opening_gallery()
    assert s.job_started("gallery", "Opening gallery A")
    assert not s.job_finished("gallery", "done", recording=True)  # the bar stays
    s.gallery_opened(_gallery())
    assert s.long_job is None and not s.busy
    assert s.job_started("checkpoint", "Loading checkpoint /c")
    assert not s.job_finished("checkpoint", "cancelled", recording=True)
    assert s.long_job is None and not s.busy


def test_describe_replies_follow_the_newest_request_of_the_open_gallery(state):
    s, _ = state
    s.gallery_opened(_gallery())
    s.describe_requested(1)
    s.describe_requested(2)
    assert not s.is_current(DescribeResult(1, 2, [], [], "bank", 10, 0.5))
    assert s.is_current(DescribeResult(2, 2, [], [], "bank", 10, 0.5))
    s.opening_gallery()
    s.gallery_opened(_gallery(size=2))  # a reply about the old gallery's row: dropped
    assert not s.is_current(DescribeResult(2, 2, [], [], "bank", 10, 0.5))


def test_a_refused_query_marks_the_results_as_the_previous_querys(state):
    """Audit 35 #7: the word panel titled "query: asdkjh…" under "?!" in the box."""
    s, _seen = state
    assert s.check_search("?!") == "refused" and s.query_label == "query"  # nothing shown
    s.model_loaded(_model())
    s.gallery_opened(_gallery())
    s.query_sent(1, "query: walk", "walk")
    s.accept_result(_result(1, "walk"))
    assert s.check_search("?!") == "refused" and s.check_search("12") == "refused"
    assert s.query_label == "previous query: walk"
    s.query_sent(2, "like M1")
    s.accept_result(_result(2, ""))
    assert s.check_search("...") == "refused" and s.query_label == "previous: like M1"
    assert s.check_search("jump") == "send"
    s.query_sent(3, "query: jump", "jump")
    assert s.query_label == "query: jump"
