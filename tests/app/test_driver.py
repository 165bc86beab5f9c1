"""JobDriver on plain generators: progress, result, cancel, outdated requests, errors."""

from __future__ import annotations

import pytest

from motionlex.app.driver import JobDriver


def _job(n: int, fail_at: int | None = None):
    for i in range(n):
        if i == fail_at:
            raise ValueError(f"bad step {i}")
        yield i + 1, n
    return "result"


@pytest.fixture
def driver(qapp) -> tuple[JobDriver, list[tuple]]:
    d = JobDriver()
    events: list[tuple] = []
    d.progress.connect(lambda done, total: events.append(("progress", done, total)))
    d.failed.connect(lambda m: events.append(("failed", m)))
    d.jobStarted.connect(lambda k, desc: events.append(("started", k, desc)))
    d.jobFinished.connect(lambda k, o: events.append(("finished", k, o)))
    return d, events


def test_drive_reports_progress_and_returns(driver):
    d, events = driver
    assert d._drive("rank", "job", _job(3)) == "result"
    assert events == [("started", "rank", "job"), ("progress", 1, 3), ("progress", 2, 3),
                      ("progress", 3, 3), ("finished", "rank", "done")]


def test_cancel_stops_at_next_step(driver):
    d, events = driver
    d.progress.connect(lambda done, total: d.cancel() if done == 1 else None)
    assert d._drive("rank", "job", _job(3)) is None
    assert [e for e in events if e[0] == "progress"] == [("progress", 1, 3)]
    assert events[-1] == ("finished", "rank", "cancelled")


def test_outdated_request_dropped(driver):
    d, events = driver
    d.supersede("rank", 2)
    assert d._drive("rank", "job", _job(3), lambda: d._outdated("rank", 1)) is None
    assert events[-1] == ("finished", "rank", "cancelled")
    assert d._drive("rank", "job", _job(1), lambda: d._outdated("rank", 2)) == "result"


def test_errors_reach_failed(driver):
    d, events = driver
    assert d._drive("motion", "Loading", _job(3, fail_at=1)) is None
    assert ("failed", "Loading failed: bad step 1") in events
    assert events[-1] == ("finished", "motion", "failed")


def test_failure_message_names_a_path_once():
    from motionlex.app.driver import failure_message

    assert (failure_message("Opening gallery /tmp/nope",
                            FileNotFoundError("gallery not found: /tmp/nope"))
            == "Opening gallery failed: gallery not found: /tmp/nope")
    assert (failure_message("Loading checkpoint /x", ValueError("/x is not a model folder"))
            == "Loading checkpoint failed: /x is not a model folder")
    assert (failure_message("Opening gallery /g", ValueError("bad manifest"))
            == "Opening gallery /g failed: bad manifest")


def test_supersede_unknown_kind_raises(qapp):
    with pytest.raises(ValueError, match="kind must be one of"):
        JobDriver().supersede("gallery", 1)


def test_failures_name_their_job_kind(driver):
    d, _ = driver
    kinds = []
    d.jobFailed.connect(lambda k, m: kinds.append((k, m)))
    d._drive("orders", "Scoring", _job(3, fail_at=0))
    assert kinds == [("orders", "Scoring failed: bad step 0")]


def test_a_background_job_gives_way_to_a_request_without_an_id(driver, qapp):
    """A checkpoint load (no request id) queued while the gallery's describing runs: the
    describing parks at its next step, as for a query."""
    d, events = driver
    d.progress.connect(lambda done, total: d.request_queued() if done == 1 else None)
    got = []
    assert d._drive("describe_gallery", "bg", _job(3), on_result=got.append) is None
    assert not got and not [e for e in events if e[0] == "finished"]  # parked
    qapp.processEvents()  # resumed
    assert got == ["result"]


def test_a_finished_load_freezes_what_is_alive_out_of_the_collector(driver):
    """A full garbage collection over a loaded model and gallery took ~300 ms and froze the
    window mid-query (gui_stall's sequential phase); after a checkpoint or gallery load the
    live objects go to the permanent generation. Requests and failed loads leave it."""
    import gc
    import weakref

    d, _ = driver
    gc.unfreeze()
    try:
        assert d._drive("rank", "job", _job(2)) == "result"
        assert d._drive("gallery", "Opening", _job(2, fail_at=1)) is None
        assert gc.get_freeze_count() == 0
        class Node:
            pass

        cycle = Node()
        cycle.me = cycle  # alive at the load: frozen with it
        alive = weakref.ref(cycle)
        assert d._drive("gallery", "Opening", _job(2)) == "result"
        assert gc.get_freeze_count() > 0
        del cycle
        gc.collect()
        assert alive() is not None  # a frozen cycle waits ...
        assert d._drive("checkpoint", "Loading", _job(2)) == "result"
        assert alive() is None and gc.get_freeze_count() > 0  # ... for the next load
    finally:
        gc.unfreeze()
