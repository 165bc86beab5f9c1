"""The GUI thread's handle of the background worker: the worker's ``QThread``, request ids,
and queued calls into the worker's slots (Source of the pattern:
``pyapp-kit/superqt/src/superqt/utils/_qthreading.py``).

Shutdown is cooperative, because destroying a ``QThread`` that still runs aborts the process
(Qt's ``qFatal("QThread: Destroyed while thread is still running")``, exit 134):
:meth:`WorkerClient.stop` shuts the worker down (the running job stops at its next step,
jobs still queued end before they start), asks the thread's event loop to quit and waits a
short while. A thread still inside a step that cannot be interrupted (loading a checkpoint
takes seconds) is kept referenced in a module list, and :func:`join_busy_threads` waits for
it before the process ends: ``motionlex-explorer`` calls it after its event loop returns, and
an ``atexit`` hook calls it for any other program that made a client.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import time
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from motionlex.app.messages import (
    DEFAULT_K,
    MotionRequest,
    MotionsRequest,
    OrdersRequest,
    RankRequest,
)
from motionlex.app.worker import RankWorker

logger = logging.getLogger(__name__)

STOP_WAIT_MS = 1000
"""How long :meth:`WorkerClient.stop` blocks the GUI thread for the worker to stop, ms."""

JOIN_WAIT_S = 120.0
"""How long :func:`join_busy_threads` waits for threads still finishing a step, seconds (a
checkpoint load on a busy 2-core machine takes well under a minute)."""

_BUSY_THREADS: list[tuple[QThread, QObject]] = []
"""Worker threads that did not stop in time (kept alive: destroying a running QThread aborts)."""


def keep_busy_thread(thread: QThread, worker: QObject) -> None:
    """Keep a thread that did not stop in time (and its worker) referenced until
    :func:`join_busy_threads` sees it finish."""
    if all(t is not thread for t, _ in _BUSY_THREADS):
        logger.info("thread %s still finishing a step; the process waits for it before it "
                    "exits", thread.objectName())
        _BUSY_THREADS.append((thread, worker))


def busy_threads() -> int:
    """How many stopped workers' threads are still finishing a step."""
    return len(_BUSY_THREADS)


def join_busy_threads(timeout_s: float = JOIN_WAIT_S) -> bool:
    """Wait for the worker threads that were still busy when their clients stopped.

    Args:
        timeout_s: longest wait for all of them together, seconds.

    Returns:
        Whether every one finished (then they are released); False leaves the rest
        referenced, and the caller must end the process with ``os._exit`` rather than let
        Python destroy a running ``QThread``.
    """
    deadline = time.monotonic() + timeout_s
    while _BUSY_THREADS:
        thread, _worker = _BUSY_THREADS[0]
        # in slices: Python runs a signal handler (Ctrl-C: quit now) only between them
        while not thread.wait(min(100, max(0, int((deadline - time.monotonic()) * 1000)))):
            if time.monotonic() >= deadline:
                logger.error("worker thread still busy after %.0f s", timeout_s)
                return False
        _BUSY_THREADS.pop(0)
    return True


def exit_now_if_busy(code: int, timeout_s: float = JOIN_WAIT_S) -> None:
    """Wait for busy worker threads (:func:`join_busy_threads`); if one is still running,
    flush the standard streams and end the process at once with ``code`` (``os._exit``),
    which leaves the thread to the operating system instead of aborting."""
    if join_busy_threads(timeout_s):
        return
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


@atexit.register
def _join_at_exit() -> None:  # pragma: no cover - the explorer joins before this runs
    exit_now_if_busy(1)


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
    _ensureModel = Signal()
    _loadGallery = Signal(str)
    _rank = Signal(object)
    _fetchMotion = Signal(object)
    _fetchMotions = Signal(object)
    _scoreOrders = Signal(object)

    def __init__(self, worker: RankWorker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName("motionlex-worker")
        worker.moveToThread(self.thread)
        self._loadCheckpoint.connect(worker.load_checkpoint)
        self._ensureModel.connect(worker.ensure_model)
        self._loadGallery.connect(worker.load)
        self._rank.connect(worker.rank)
        self._fetchMotion.connect(worker.fetch_motion)
        self._fetchMotions.connect(worker.fetch_motions)
        self._scoreOrders.connect(worker.score_orders)
        self._ids = {"rank": 0, "motion": 0, "orders": 0, "compare": 0, "gallery": 0}

    def start(self) -> None:
        """Start the worker thread."""
        self.thread.start()

    def stop(self, timeout_ms: int = STOP_WAIT_MS) -> bool:
        """Shut the worker down, stop the thread and wait up to ``timeout_ms`` for it.

        The running job stops at its next step and queued jobs do not start
        (:meth:`~motionlex.app.driver.JobDriver.shut_down`). A thread still inside a step
        after ``timeout_ms`` is kept referenced for :func:`join_busy_threads` instead of
        being destroyed while running. Calling it again is harmless.

        Returns:
            Whether the thread finished within ``timeout_ms``.
        """
        self.worker.shut_down()
        self.thread.quit()
        finished = bool(self.thread.wait(timeout_ms))
        if not finished:
            keep_busy_thread(self.thread, self.worker)
        return finished

    def _next(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    def _send(self, signal: Any, kind: str, request: Any) -> None:
        """Queue ``request`` on the worker, then declare it (:meth:`JobDriver.supersede`):
        in this order a background job that gives way to it finds it queued ahead of its
        own resumption (declared first, the job could park and resume before the request
        was queued, then run on to its end while the request waited)."""
        signal.emit(request)
        self.worker.supersede(kind, request.request_id)

    def latest(self, kind: str) -> int:
        """Id of the newest request of ``kind`` (``rank``, ``motion``, ``orders``,
        ``compare``)."""
        return self._ids[kind]

    def load_checkpoint(self, path: str | None) -> None:
        """Queue loading a checkpoint directory (None or ``""``: the shipped model); the
        background describing of a gallery gives way to it."""
        self._loadCheckpoint.emit(str(path or ""))
        self.worker.request_queued()

    def ensure_model(self) -> None:
        """Queue loading the shipped model unless a model is loaded by then."""
        self._ensureModel.emit()

    def load_gallery(self, path: str) -> None:
        """Queue opening a gallery (index, dataset folder or BVH folder). A gallery load
        still running or queued is given up (it opens no gallery anyone waits for), and the
        background describing of the open gallery gives way."""
        self._loadGallery.emit(str(path))
        self.worker.supersede("gallery", self._next("gallery"))

    def rank(self, text: str, *, k: int = DEFAULT_K, mode: str = "fused",
             item: int | None = None, motion_file: str | None = None) -> RankRequest:
        """Queue a ranking (by ``text``, a gallery ``item`` or a ``motion_file``); older
        queued or running rankings are dropped.

        Returns:
            The request sent.
        """
        req = RankRequest(self._next("rank"), text, k=k, mode=mode, item=item,
                          motion_file=motion_file)
        self._send(self._rank, "rank", req)
        return req

    def fetch_motion(self, row: int) -> MotionRequest:
        """Queue fetching gallery row ``row`` for display.

        Returns:
            The request sent.
        """
        req = MotionRequest(self._next("motion"), int(row))
        self._send(self._fetchMotion, "motion", req)
        return req

    def fetch_motions(self, rows: list[int]) -> MotionsRequest:
        """Queue fetching several gallery rows to compare them.

        Returns:
            The request sent.
        """
        req = MotionsRequest(self._next("compare"), tuple(int(r) for r in rows))
        self._send(self._fetchMotions, "compare", req)
        return req

    def score_orders(self, row: int, caption: str | None = None) -> OrdersRequest:
        """Queue scoring the event orders of ``caption`` (None: the motion's) for ``row``.

        Returns:
            The request sent.
        """
        req = OrdersRequest(self._next("orders"), int(row), caption)
        self._send(self._scoreOrders, "orders", req)
        return req

    def cancel(self) -> None:
        """Cancel the running job now (thread-safe)."""
        self.worker.cancel()
