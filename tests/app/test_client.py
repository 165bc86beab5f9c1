"""WorkerClient: the worker on its own QThread, queued requests, a burst costs one ranking."""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Slot

from motionlex.app.client import WorkerClient
from motionlex.app.messages import RankResult
from motionlex.app.worker import RankWorker


class Sink(QObject):
    """Receives worker signals on the GUI thread (a bound slot makes them queued)."""

    def __init__(self) -> None:
        super().__init__()
        self.results: list[RankResult] = []
        self.errors: list[str] = []
        self.on_gui_thread: list[bool] = []

    @Slot(object)
    def take(self, result: RankResult) -> None:
        self.results.append(result)
        self.on_gui_thread.append(QThread.currentThread() is self.thread())

    @Slot(str)
    def error(self, message: str) -> None:
        self.errors.append(message)


def test_worker_thread_burst_keeps_only_newest(qtbot, tiny_checkpoint, gallery_index, tmp_path):
    worker = RankWorker(cache_dir=tmp_path / "cache", device="cpu")
    client = WorkerClient(worker)
    sink = Sink()
    worker.ranked.connect(sink.take)
    worker.failed.connect(sink.error)
    client.start()
    try:
        assert worker.thread() is client.thread and worker.thread() is not sink.thread()
        with qtbot.waitSignal(worker.galleryLoaded, timeout=60000):
            client.load_checkpoint(str(tiny_checkpoint))
            client.load_gallery(str(gallery_index))
        for i in range(30):
            client.rank(f"a person walks {i}")
        qtbot.waitUntil(lambda: bool(sink.results) and sink.results[-1].request_id == 30,
                        timeout=30000)
        qtbot.wait(100)
    finally:
        assert client.stop()
    got = sink.results
    assert sink.errors == [] and all(sink.on_gui_thread)
    assert got[-1].text == "a person walks 29"
    assert len(got) <= 3  # the burst cost about one ranking, not thirty
    assert [r.request_id for r in got] == sorted(r.request_id for r in got)


def test_a_request_is_queued_before_it_is_declared(tmp_path, monkeypatch):
    """A background job gives way when a request is declared (``supersede``) and resumes
    behind what is queued then: the request must already be queued, or the job resumes
    ahead of it and runs to its end while the query waits."""
    worker = RankWorker(cache_dir=tmp_path / "cache", device="cpu")
    client = WorkerClient(worker)
    log: list[tuple[str, str, int]] = []
    monkeypatch.setattr(worker, "supersede", lambda kind, rid: log.append(("declared", kind,
                                                                            rid)))
    for name, kind in (("_rank", "rank"), ("_fetchMotion", "motion"),
                       ("_fetchMotions", "compare"), ("_scoreOrders", "orders")):
        signal = getattr(client, name)
        signal.connect(lambda req, kind=kind: log.append(("queued", kind, req.request_id)))
    client.rank("a person walks")
    client.fetch_motion(3)
    client.fetch_motions([1, 2])
    client.score_orders(3)
    assert log == [(step, kind, 1) for kind in ("rank", "motion", "compare", "orders")
                   for step in ("queued", "declared")]


def test_loads_make_the_background_describing_give_way(tmp_path, monkeypatch):
    """A gallery or checkpoint load asked for while the gallery's uncaptioned motions are
    described waited behind the whole describe job; each load is now declared, after it
    is queued, and a second gallery asked for gives up the first one's load."""
    worker = RankWorker(cache_dir=tmp_path / "cache", device="cpu")
    client = WorkerClient(worker)
    log: list[tuple] = []
    client._loadGallery.connect(lambda path: log.append(("queued", path)))
    client._loadCheckpoint.connect(lambda path: log.append(("queued", path)))
    monkeypatch.setattr(worker, "supersede", lambda kind, rid: log.append((kind, rid)))
    monkeypatch.setattr(worker, "request_queued", lambda: log.append(("declared",)))
    client.load_checkpoint("/c")
    client.load_gallery("/a")
    client.load_gallery("/b")
    assert log == [("queued", "/c"), ("declared",), ("queued", "/a"), ("gallery", 1),
                   ("queued", "/b"), ("gallery", 2)]
