"""What the window asks the worker for when galleries, queries, selections and comparisons
overtake each other, on a window whose worker client only records the requests (no model, no
index: the replies are built here), under Xvfb."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from motionlex.app import settings as cfg
from motionlex.app.messages import (
    GalleryInfo,
    MotionData,
    MotionRequest,
    MotionsData,
    MotionsRequest,
    OrdersRequest,
    OrdersResult,
    RankRequest,
    RankResult,
)
from motionlex.app.window import MainWindow

Q1, Q2 = "a person waves, then jumps", "a person jumps, then sits down"


class Recorded:
    """The requests a window sent, newest last."""

    def __init__(self) -> None:
        self.sent: list[object] = []

    def last(self, kind: type) -> object:
        return [r for r in self.sent if isinstance(r, kind)][-1]

    def all(self, kind: type) -> list:
        return [r for r in self.sent if isinstance(r, kind)]


@pytest.fixture
def fake(qtbot, settings_file, tmp_path, gl_platform) -> tuple[MainWindow, Recorded]:
    """A shown window whose client records rank, motion, compare, orders and describe
    requests instead of queuing them (its worker thread runs idle)."""
    win = MainWindow(settings=cfg.open_settings(settings_file), cache_dir=tmp_path / "cache")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    c, rec = win.client, Recorded()

    def keep(request):
        rec.sent.append(request)
        return request

    c.rank = lambda text, *, k=100, mode="fused", item=None, motion_file=None: keep(
        RankRequest(c._next("rank"), text, k=k, mode=mode, item=item, motion_file=motion_file))
    c.fetch_motion = lambda row: keep(MotionRequest(c._next("motion"), int(row)))
    c.fetch_motions = lambda rows: keep(MotionsRequest(c._next("compare"), tuple(rows)))
    c.score_orders = lambda row, caption=None: keep(
        OrdersRequest(c._next("orders"), int(row), caption))
    c.load_gallery = lambda path: None
    win.analysis._describe.disconnect(c.worker.describe)
    win.analysis._describe.connect(keep)
    return win, rec


def gallery(name: str, n: int) -> GalleryInfo:
    return GalleryInfo(path=f"/g/{name}.mlx", source=f"/g/{name}", size=n,
                       ids=[f"{name}{i}" for i in range(n)],
                       captions=[f"a person walks, then turns {i}" for i in range(n)],
                       durations=np.ones(n, np.float32), searchable=True)


def ranked(req: RankRequest, rows: list[int]) -> RankResult:
    hits = [{"rank": i + 1, "score": 0.5 - i / 10, "caption": f"cap {r}", "id": f"A{r}",
             "row": r, "dense_score": 0.5, "lexical_score": 0.5, "order_margin": 0.0,
             "words": []} for i, r in enumerate(rows)]
    return RankResult(req.request_id, req.text, "fused", hits, [], 6, 0.01)


def orders(req: OrdersRequest) -> OrdersResult:
    ev = req.caption.split(", then ")
    return OrdersResult(req.request_id, req.row, req.caption, ev,
                        [(req.caption, 0.4, True), (", then ".join(ev[::-1]), 0.3, False)])


def motion(req_id: int, row: int, frames: int = 20) -> MotionData:
    j = np.zeros((frames, 3, 3), np.float32)
    j[:, 1, 1], j[:, 2, 1] = 1.0, 2.0
    j[..., 0] += row
    return MotionData(req_id, row, f"A{row}", "cap", ["cap"], "src", False, "0", 20.0, j,
                      np.array([[0, 1], [1, 2]]), np.array([0, 0, 0]), None,
                      np.zeros((3, frames, 80), np.float32), [("walk", 1.0)], {})


def open_and_search(qtbot, win: MainWindow, rec: Recorded, rows=(2, 3, 5)) -> None:
    """Gallery A (6 motions) open, Q1 ranked, its first result shown."""
    win.open_gallery("/g/A", remember=False)
    win._on_gallery(gallery("A", 6))
    win.search(Q1)
    win._on_ranked(ranked(rec.last(RankRequest), list(rows)))
    req = rec.last(MotionRequest)
    win._on_motion(motion(req.request_id, req.row))
    qtbot.waitUntil(lambda: win.current_motion is not None)


def test_a_new_gallery_drops_the_old_selection_comparison_and_motion_actions(qtbot, fake):
    """Row 4 of gallery A stayed selected, shown and compared after a 3-motion gallery B
    opened: Esc raised IndexError, Similar and Describe asked B for row 4."""
    win, rec = fake
    open_and_search(qtbot, win, rec, rows=[1, 4, 0])
    assert win.comparer.compare([0, 1])
    req = rec.last(MotionsRequest)
    win.comparer._on_motions(MotionsData(req.request_id, [motion(req.request_id, 1),
                                                          motion(req.request_id, 4)]))
    assert win.comparer.showing and win.act_similar.isEnabled()
    n = len(rec.sent)
    win.open_gallery("/g/B", remember=False)
    win._on_gallery(gallery("B", 3))  # Q1 is asked of B; nothing is selected until then
    assert win.state.selected_row is None and win.current_motion is None
    assert not win.comparer.showing and win.comparer.rows == []
    assert not win.act_similar.isEnabled() and not win.act_export_video.isEnabled()
    assert not win.analysis.act_describe.isEnabled()
    win.cancel_job()  # Esc: no comparison to leave (raised IndexError)
    win.search_similar()
    win.analysis.describe_selected()
    win.analysis._on_source_clicked("caption")
    win.analysis._on_caption_edited("a person sits down, then stands up")
    new = rec.sent[n:]  # only Q1 asked again of B: nothing about A's rows
    assert len(new) == 1 and new[0].text == Q1 and new[0].item is None


def test_the_second_of_two_galleries_asked_for_is_awaited(qtbot, fake):
    win, rec = fake
    win.open_gallery("/g/A", remember=False)
    win.open_gallery("/g/B", remember=False)
    win._on_gallery(gallery("A", 6))  # A's slow build ended first
    assert win.state.gallery_pending and win.busy
    assert rec.sent == []  # nothing asked of A: B is on its way
    win.gallery_browser.select_row(2)
    assert rec.sent == []  # refused until B opens
    win._on_gallery(gallery("B", 3))
    assert not win.state.gallery_pending
    assert rec.last(MotionRequest).row == 0


def test_the_chronology_follows_a_ranking_that_selects_nothing(qtbot, fake):
    """A gallery row picked while Q2 ranked: Q2's results select nothing, so no orders were
    asked for Q2, and Q1's orders arrived labelled "Your caption's events"."""
    win, rec = fake
    open_and_search(qtbot, win, rec)
    win.analysis._on_orders(orders(rec.last(OrdersRequest)))
    win.search(Q2)
    win.gallery_browser.select_row(4)  # picked while Q2 ranks
    old = rec.last(OrdersRequest)
    assert (old.row, old.caption) == (4, Q1)
    win._on_ranked(ranked(rec.last(RankRequest), [1, 4, 0]))
    new = rec.last(OrdersRequest)
    assert (new.row, new.caption) == (4, Q2)
    win.analysis._on_orders(orders(old))  # overtaken: dropped
    win.analysis._on_orders(orders(new))
    heading = win.analysis.chronology.heading()
    assert heading.startswith("Orders of the query's events against motion A4"), heading


def test_a_reply_is_labelled_by_what_was_asked(qtbot, fake):
    """The label follows the request's source, not the query shown when the reply comes."""
    win, rec = fake
    open_and_search(qtbot, win, rec)
    req = rec.last(OrdersRequest)
    assert req.caption == Q1
    win.state._last_result = ranked(RankRequest(99, Q2), [2])  # another query shown since
    win.analysis._on_orders(orders(req))
    assert win.analysis.chronology.heading().startswith("Orders of the query's events")


def test_a_caption_typed_during_a_comparison_is_scored_against_the_panel_motion(qtbot, fake):
    win, rec = fake
    open_and_search(qtbot, win, rec, rows=[1, 4, 0])  # row 1 shown
    win.gallery_browser.select_row(4)  # row 4 asked for, row 1 still on screen
    win.analysis._on_caption_edited("a person sits down, then stands up")
    assert rec.last(OrdersRequest).row == 4
    assert win.comparer.compare([2, 0])  # results #3 (row 0) and #1 (row 1)
    req = rec.last(MotionsRequest)
    win.comparer._on_motions(MotionsData(req.request_id, [motion(req.request_id, 0),
                                                          motion(req.request_id, 1)]))
    assert rec.last(OrdersRequest).row == 0
    win.analysis._on_caption_edited("a person sits down, then stands up")
    assert rec.last(OrdersRequest).row == 0 and win.analysis.panel_row == 0


def test_a_typed_caption_without_words_is_said_not_sent(qtbot, fake):
    win, rec = fake
    open_and_search(qtbot, win, rec)
    n = len(rec.all(OrdersRequest))
    win.analysis._on_caption_edited("?!")
    assert len(rec.all(OrdersRequest)) == n and win.error_box is None
    assert "has no words" in win.statusBar().currentMessage()
    assert "has no words" in win.analysis.chronology.heading()


def test_errors_of_automatic_jobs_do_not_open_a_box(qtbot, fake):
    win, _ = fake
    worker = win.client.worker
    shown = []
    win.errorShown.connect(shown.append)
    worker.jobFailed.emit("orders", "Scoring event orders of motion 3 failed: no events")
    worker.jobFailed.emit("describe_gallery", "Describing the uncaptioned motions failed: x")
    assert win.error_box is None and len(shown) == 2
    assert win.statusBar().currentMessage().startswith("Describing the uncaptioned")
    worker.jobFailed.emit("gallery", "Opening gallery /g failed: bad manifest")
    assert win.error_box is not None and "bad manifest" in win.error_box.text()


def test_a_superseded_request_keeps_the_busy_marks(qtbot, fake):
    """jobFinished('orders', 'cancelled') of an older request hid the busy bar while the
    newer one was on its way (and the Describe tab then sent a duplicate request)."""
    win, rec = fake
    open_and_search(qtbot, win, rec)
    first = rec.last(OrdersRequest)
    win.gallery_browser.select_row(4)
    worker = win.client.worker
    worker.jobFinished.emit("orders", "cancelled")
    worker.requestUnanswered.emit("orders", first.request_id)
    assert win.car_panel.is_busy()
    worker.requestUnanswered.emit("orders", rec.last(OrdersRequest).request_id)
    assert not win.car_panel.is_busy()
    win.analysis.describe_selected()
    worker.requestUnanswered.emit("describe", win.analysis._describe_id - 1)
    assert win.analysis.describe_panel.is_busy()
    worker.requestUnanswered.emit("describe", win.analysis._describe_id)
    assert not win.analysis.describe_panel.is_busy()


def test_a_motion_chosen_while_a_video_is_recorded_is_shown_after_it(qtbot, fake, tmp_path):
    """A click on another result (or search-as-you-type selecting one) during a video export
    put the other motion into the file: it is now held back, said in the status bar, and
    shown once the frames are rendered."""
    win, rec = fake
    open_and_search(qtbot, win, rec, rows=[2, 3, 5])
    qtbot.waitUntil(lambda: win.skeleton_view.num_frames == 20)
    frames = []
    real_grab = win.skeleton_view.grab_frame
    win.skeleton_view.grab_frame = lambda: (frames.append(win.skeleton_view.num_frames),
                                            real_grab())[1]
    late = rec.last(MotionRequest)  # a reply still on its way when the recording starts
    n = len(rec.all(MotionRequest))
    with qtbot.waitSignal(win.videoSaved, timeout=60000):
        win.record_video(tmp_path / "m.gif")
        assert win.dialogs.recording
        win.gallery_browser.select_row(4)  # a click during the recording
        assert len(rec.all(MotionRequest)) == n  # held back
        assert "motion A4 is shown once the video's frames are rendered" in \
            win.statusBar().currentMessage()
        assert italic(win.gallery_browser, 4) and not italic(win.gallery_browser, 2)
        win.results_list.select_row(1)  # #2 (row 3) chosen instead: marked in both lists
        assert italic(win.results_list, 1) and italic(win.gallery_browser, 3)
        assert not italic(win.gallery_browser, 4) and not italic(win.results_list, 0)
        win._on_motion(motion(late.request_id, late.row, frames=30))  # not shown either
        assert win.comparer.compare([0, 1]) is False
        qtbot.waitUntil(lambda: not win.dialogs.recording, timeout=60000)
        assert rec.last(MotionRequest).row == 3  # shown now
        assert not italic(win.results_list, 1) and not italic(win.gallery_browser, 3)
    assert set(frames) == {20} and len(frames) == 20


def italic(browser, row: int) -> bool:
    """Whether a list shows its source row ``row`` in italics (pending: GUI audit 36 #10)."""
    font = browser.proxy.index(browser.model.display_row(row), 0).data(Qt.ItemDataRole.FontRole)
    return font is not None and font.italic()


def test_the_chronology_follows_a_ranking_whose_first_result_is_filtered_out(qtbot, fake):
    """The views follow the list: the first result the filter shows is selected and
    analysed (the motion shown before, no longer in the list, was kept and scored)."""
    win, rec = fake
    open_and_search(qtbot, win, rec, rows=[2, 3, 5])  # row 2 shown, Q1's orders asked
    win.results_list.set_filter_text("cap 3")  # hides the next ranking's first result
    win.search(Q2)
    win._on_ranked(ranked(rec.last(RankRequest), [1, 3]))  # "cap 1" filtered out
    assert win.results_list.selected_row() == 1 and win.state.selected_row == 3
    assert rec.last(MotionRequest).row == 3
    req = rec.last(OrdersRequest)
    assert (req.row, req.caption) == (3, Q2)  # the first result shown, against the query


def test_a_failed_orders_request_is_said_in_the_panel(qtbot, fake):
    win, rec = fake
    open_and_search(qtbot, win, rec)
    worker = win.client.worker
    worker.jobFailed.emit("orders", "Scoring event orders of motion 2 failed: no events")
    worker.requestUnanswered.emit("orders", rec.last(OrdersRequest).request_id)
    assert win.error_box is None and not win.car_panel.is_busy()
    assert win.analysis.chronology.heading() == ("No event orders: Scoring event orders of "
                                                 "motion 2 failed: no events")


def test_a_mode_change_ranks_motions_like_a_row_again(qtbot, fake):
    """After "Similar motions" the mode box changed and nothing was asked: the list kept
    the fused scores under "lexical" (GUI audit 36 #1)."""
    win, rec = fake
    open_and_search(qtbot, win, rec, rows=[2, 3, 5])  # row 2 shown
    win.search_similar()
    like = rec.last(RankRequest)
    assert like.item == 2 and like.text == ""
    reply = ranked(like, [3, 5])
    win._on_ranked(RankResult(**{**reply.__dict__, "text": "", "item": 2}))
    win.mode_box.setCurrentIndex(win.mode_box.findData("lexical"))
    again = rec.last(RankRequest)
    assert again is not like
    assert (again.item, again.mode, again.text) == (2, "lexical", "")
    assert win.state.query_label == "like A2"


def test_a_missing_motion_file_is_said_once_not_again_when_a_gallery_opens(qtbot, fake):
    """Enter on a path that names no file showed its error box, and opening another gallery
    searched the box's text again: a second box, and an empty results list (GUI audit 36
    #2). Now the path stays in the box, unsearched, and the new gallery's first motion is
    shown."""
    win, rec = fake
    open_and_search(qtbot, win, rec)
    shown = []
    win.errorShown.connect(shown.append)
    win.query_edit.setText("/tmp/nope/missing.bvh")
    assert win.search("/tmp/nope/missing.bvh") is False
    assert len(shown) == 1 and "not found" in shown[0]
    win.error_box.done(0)
    n = len(rec.all(RankRequest))
    win.open_gallery("/g/B", remember=False)
    win._on_gallery(gallery("B", 3))
    assert len(shown) == 1 and win.error_box is None
    assert len(rec.all(RankRequest)) == n  # nothing searched
    assert rec.last(MotionRequest).row == 0  # the new gallery's first motion
    assert win.query_edit.text() == "/tmp/nope/missing.bvh"


def test_a_filter_that_hides_the_motion_shown_moves_the_views(qtbot, fake):
    """With "zzzz" in the results filter the list said "0 of 3" while every view kept the
    motion shown; with a filter listing others, none was selected (GUI audit 36 #3)."""
    win, rec = fake
    open_and_search(qtbot, win, rec, rows=[2, 3, 5])  # row 2 shown
    n = len(rec.all(MotionRequest))
    win.results_list.set_filter_text("cap")  # still lists it: nothing changes
    assert len(rec.all(MotionRequest)) == n and win.current_motion.row == 2
    win.results_list.set_filter_text("zzzz")
    assert win.current_motion is None and win.skeleton_view.num_motions == 0
    assert "hides all 3 results" in win.analysis.chronology.heading()
    assert "hides all 3 results" in win.statusBar().currentMessage()
    assert not win.act_export_glb.isEnabled()
    win.results_list.set_filter_text("cap 5")  # lists #3 only: it is shown
    assert win.results_list.selected_row() == 2 and rec.last(MotionRequest).row == 5
    win.results_list.set_filter_text("cap 3")  # hides it: the first listed instead
    assert rec.last(MotionRequest).row == 3 and win.state.selected_row == 3


def test_a_gallery_pick_that_the_filter_hides_as_a_result_stays(qtbot, fake):
    """Row 3 picked in the gallery list, also result #2: a results filter hiding #2 showed
    result #3 in its place, or nothing (review 36 #4)."""
    win, rec = fake
    open_and_search(qtbot, win, rec, rows=[2, 3, 5])  # row 2 shown
    win.gallery_browser.select_row(3)
    assert rec.last(MotionRequest).row == 3
    n = len(rec.all(MotionRequest))
    win.results_list.set_filter_text("cap 5")  # lists #3 only
    win.results_list.set_filter_text("zzzz")  # lists none
    assert len(rec.all(MotionRequest)) == n and win.state.selected_row == 3
    assert "hides all" not in win.analysis.chronology.heading()


def test_the_chronology_heading_names_the_motion_without_its_folder(qtbot, fake):
    """"…against motion demo-v1/demo_c065" wrapped at the "/" (GUI audit 36 #20)."""
    win, rec = fake
    win.open_gallery("/g/A", remember=False)
    info = gallery("A", 6)
    win._on_gallery(GalleryInfo(**{**info.__dict__, "ids": [f"demo-v1/A{i}" for i in range(6)]}))
    win.search(Q1)
    win._on_ranked(ranked(rec.last(RankRequest), [2, 3]))
    win.analysis._on_orders(orders(rec.last(OrdersRequest)))
    heading = win.analysis.chronology.heading()
    assert heading.startswith("Orders of the query's events against motion A2"), heading


def test_a_hidden_demo_banner_comes_back_with_the_next_demo_gallery(qtbot, fake):
    """"hide" lasts until the next demo gallery opens, as DEMO_BANNER_TEXT's docstring says
    (review 36 #25): another gallery keeps it hidden, a demo gallery shows it again."""
    win, _rec = fake
    demo = GalleryInfo(**{**gallery("A", 6).__dict__, "synthetic": True})
    win.open_gallery("/g/A", remember=False)
    win._on_gallery(demo)
    assert win.demo_banner.isVisible()
    win.demo_banner.linkActivated.emit("hide")
    assert not win.demo_banner.isVisible()
    win.open_gallery("/g/B", remember=False)
    win._on_gallery(gallery("B", 3))
    assert not win.demo_banner.isVisible()
    win.open_gallery("/g/A", remember=False)
    win._on_gallery(demo)
    assert win.demo_banner.isVisible()
