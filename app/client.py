"""The GUI thread's handle of the background worker: the worker's ``QThread``, request ids,
and queued calls into the worker's slots (Source of the pattern:
``pyapp-kit/superqt/src/superqt/utils/_qthreading.py``)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QThread, Signal

from motionlex.app.messages import DEFAULT_K, MotionRequest, OrdersRequest, RankRequest
from motionlex.app.worker import RankWorker

logger = logging.getLogger(__name__)

_BUSY_THREADS: list[tuple[QThread, QObject]] = []
"""Worker threads that did not stop in time (kept alive: destroying a running QThread aborts)."""


class WorkerClient(QObject):
    """GUI-thread handle of a :class:`RankWorker` running on its own ``QThread``.

    Each method marks the request as the newest of its kind (so older ones are dropped)
    and emits a queued signal that runs the worker's slot on the worker thread. Connect to
    :attr:`worker`'s signals before calling :meth:`start`.

    Args:
        worker: the worker (moved to the new thread).
        parent: Qt parent.
    """

    _loadCheckpoint = Signal(str)
    _loadGallery = Signal(str)
    _rank = Signal(object)
    _fetchMotion = Signal(object)
    _scoreOrders = Signal(object)

    def __init__(self, worker: RankWorker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName("motionlex-worker")
        worker.moveToThread(self.thread)
        self._loadCheckpoint.connect(worker.load_checkpoint)
        self._loadGallery.connect(worker.load)
        self._rank.connect(worker.rank)
        self._fetchMotion.connect(worker.fetch_motion)
        self._scoreOrders.connect(worker.score_orders)
        self._ids = {"rank": 0, "motion": 0, "orders": 0}

    def start(self) -> None:
        """Start the worker thread."""
        self.thread.start()

    def stop(self, timeout_ms: int = 5000) -> bool:
        """Cancel the running job, stop the thread and wait for it.

        A thread still busy after ``timeout_ms`` (a job that cannot be interrupted) is kept
        referenced until the process ends instead of being destroyed while running.

        Returns:
            Whether the thread finished within ``timeout_ms``.
        """
        self.worker.cancel()
        for kind in self._ids:
            self.worker.supersede(kind, self._ids[kind] + 1)
        self.thread.quit()
        finished = bool(self.thread.wait(timeout_ms))
        if not finished:
            logger.warning("worker thread still busy after %d ms; leaving it to finish",
                           timeout_ms)
            _BUSY_THREADS.append((self.thread, self.worker))
        return finished

    def _next(self, kind: str) -> int:
        self._ids[kind] += 1
        self.worker.supersede(kind, self._ids[kind])
        return self._ids[kind]

    def latest(self, kind: str) -> int:
        """Id of the newest request of ``kind`` (``rank``, ``motion``, ``orders``)."""
        return self._ids[kind]

    def load_checkpoint(self, path: str) -> None:
        """Queue loading a checkpoint directory."""
        self._loadCheckpoint.emit(str(path))

    def load_gallery(self, path: str) -> None:
        """Queue opening a gallery (index, dataset folder or BVH folder)."""
        self._loadGallery.emit(str(path))

    def rank(self, text: str, *, k: int = DEFAULT_K, mode: str = "fused",
             item: int | None = None) -> RankRequest:
        """Queue a ranking; older queued or running rankings are dropped.

        Returns:
            The request sent.
        """
        req = RankRequest(self._next("rank"), text, k=k, mode=mode, item=item)
        self._rank.emit(req)
        return req

    def fetch_motion(self, row: int) -> MotionRequest:
        """Queue fetching gallery row ``row`` for display.

        Returns:
            The request sent.
        """
        req = MotionRequest(self._next("motion"), int(row))
        self._fetchMotion.emit(req)
        return req

    def score_orders(self, row: int, caption: str | None = None) -> OrdersRequest:
        """Queue scoring the event orders of ``caption`` (None: the motion's) for ``row``.

        Returns:
            The request sent.
        """
        req = OrdersRequest(self._next("orders"), int(row), caption)
        self._scoreOrders.emit(req)
        return req

    def cancel(self) -> None:
        """Cancel the running job now (thread-safe)."""
        self.worker.cancel()
