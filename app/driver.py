"""Driving job generators on the worker thread: progress, cancel, supersede, errors.

:class:`JobDriver` is the ``QObject`` base of :class:`~motionlex.app.worker.RankWorker`. A job
is a generator that yields ``(done, total)`` progress and returns its result; the driver
emits ``progress`` after each step and stops at the next step once the job is cancelled
(:meth:`JobDriver.cancel`) or, for a request kind, once a newer request exists
(:meth:`JobDriver.supersede`, so a burst of typed queries costs one ranking, not fifty).
Results of outdated requests are dropped. Errors are logged (with their traceback unless
they are about the user's input) and sent to the GUI as ``failed(message)``.
A background job the user did not ask for (describing a gallery's uncaptioned motions) gives
way (:meth:`JobDriver._drive` with ``on_result``): when a request arrives, it parks its generator at
the step it reached and resumes after the request, so a query typed meanwhile answers at once
instead of after seconds of encoding.
Source of the pattern: ``pyapp-kit/superqt/src/superqt/utils/_qthreading.py``
(``GeneratorWorker``: each ``yield`` is a progress report and a cancel point, because
``QThread.quit()`` is only a request) and ``napari/napari/napari/_qt/qthreading.py``
(worker errors reach the user).

Threading contract: :meth:`JobDriver.cancel` and :meth:`JobDriver.supersede` only set
counters under a lock and are called directly from the GUI thread, so they act while a job
runs on the worker thread.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Generator
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

logger = logging.getLogger(__name__)

USER_ERRORS = (FileNotFoundError, NotADirectoryError, ValueError)
"""Errors about the user's input (paths, files, queries; the project's documented Raises):
logged without a traceback. Anything else is logged with its traceback. Both reach the GUI."""

Progress = Generator[tuple[int, int], None, Any]
"""A job: yields ``(done, total)`` (``total == 0``: unknown) and returns its result."""

REQUEST_KINDS = ("rank", "motion", "orders", "compare")
"""Job kinds whose requests carry increasing ids; only the newest of each kind counts."""

LOADING_KINDS = ("checkpoint", "gallery")
"""Job kinds after which what is alive is frozen out of the cyclic garbage collector
(:func:`freeze_loaded_objects`)."""


def freeze_loaded_objects() -> None:
    """Move every object alive now to the garbage collector's permanent generation
    (:func:`gc.freeze`), after a model or a gallery has loaded.

    A loaded model, tokenizer, spaCy pipeline and gallery index are millions of objects that
    each full (generation-2) collection walks again; those collections grew to 300 ms here,
    and as a collection holds the interpreter lock, each one froze the window in the middle
    of a query (``benchmarks/gui_stall.py``, sequential phase: one 278-325 ms gap with no
    GUI event in it). Frozen objects are still freed by reference counting when dropped;
    reference cycles among them (a previous gallery's, a replaced model's) wait for the next
    load, which gives them back to the collector and collects once before freezing again
    (one pause per load, while the load is shown, instead of one per query).
    """
    if gc.get_freeze_count():
        gc.unfreeze()
        gc.collect()
    gc.freeze()



def failure_message(description: str, error: BaseException) -> str:
    """``"DESCRIPTION failed: ERROR"``, naming a path once: when the error's message names
    the path the description ends with ("Loading checkpoint /x" and "/x is not a motionlex
    model folder ...", "Opening gallery /g" and "gallery not found: /g"), the description
    drops it ("Loading checkpoint failed: /x is not ...")."""
    text = str(error)
    head, _, tail = description.rpartition(" ")
    if head and tail and tail in text:
        description = head
    return f"{description} failed: {text}"

class JobCancelled(Exception):
    """Raised inside the driver when a job was cancelled or superseded (never leaves it)."""


class JobDriver(QObject):
    """Runs job generators with progress, cancellation and error reporting.

    Signals:
        progress(int, int): ``(done, total)`` of the running job (``total == 0``: unknown).
        failed(str): a job raised; the message names the job and the error.
        jobFailed(str, str): ``(kind, message)``, emitted just before ``failed`` (the GUI
            tells a job the user asked for from an automatic one).
        jobStarted(str, str): ``(kind, description)``.
        jobFinished(str, str): ``(kind, outcome)``; outcomes ``done``, ``cancelled``,
            ``failed``.
        message(str): a note for the status bar.
    """

    progress = Signal(int, int)
    failed = Signal(str)
    jobFailed = Signal(str, str)
    jobStarted = Signal(str, str)
    jobFinished = Signal(str, str)
    message = Signal(str)
    _resumeParked = Signal()  # internal: queued to this object's own thread

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._epoch = 0  # bumped by cancel()
        self._closing = False  # set by shut_down(): every job from now on is cancelled
        self._latest: dict[str, int] = dict.fromkeys(REQUEST_KINDS, 0)
        self._requests = 0  # requests declared so far (supersede): background jobs give way
        self._parked: list[tuple[Any, ...]] = []  # background jobs waiting behind requests
        self._resumeParked.connect(self._resume_parked, Qt.ConnectionType.QueuedConnection)

    # -- thread-safe controls (call from any thread) ------------------------------------
    @Slot()
    def cancel(self) -> None:
        """Stop the running job at its next step (thread-safe; acts while a job runs)."""
        with self._lock:
            self._epoch += 1

    def cancels(self) -> int:
        """How many cancels so far (thread-safe): a job queued with this count is
        cancelled by a cancel made before it starts (:meth:`_drive`'s ``epoch``)."""
        return self._epoch_now()

    def shut_down(self) -> None:
        """Cancel the running job and every job after it (thread-safe): the owner is
        closing. Jobs still queued on the thread then end at their first step instead of
        running (``QThread.quit()`` does not drop slot calls already queued)."""
        with self._lock:
            self._closing = True
            self._epoch += 1

    @property
    def closing(self) -> bool:
        """Whether :meth:`shut_down` was called."""
        with self._lock:
            return self._closing

    def supersede(self, kind: str, request_id: int) -> None:
        """Declare ``request_id`` the newest request of ``kind`` (``rank``, ``motion``,
        ``orders``, ``compare``); older ones still queued or running are dropped (thread-safe).

        Raises:
            ValueError: unknown kind.
        """
        if kind not in self._latest:
            raise ValueError(f"kind must be one of {sorted(self._latest)}, got {kind!r}")
        with self._lock:
            self._latest[kind] = max(self._latest[kind], int(request_id))
            self._requests += 1

    def request_queued(self) -> None:
        """Declare a request without an id queued (a checkpoint load): a background job
        gives way to it as to :meth:`supersede`'s requests (thread-safe)."""
        with self._lock:
            self._requests += 1

    def _request_count(self) -> int:
        with self._lock:
            return self._requests

    def _outdated(self, kind: str, request_id: int) -> bool:
        with self._lock:
            return request_id < self._latest[kind]

    def _epoch_now(self) -> int:
        with self._lock:
            return self._epoch

    def _stopped(self, epoch: int) -> bool:
        with self._lock:
            return self._closing or self._epoch != epoch

    # -- driver --------------------------------------------------------------------------
    def _drive(self, kind: str, description: str, job: Progress,
               outdated: Callable[[], bool] = lambda: False, *,
               on_result: Callable[[Any], None] | None = None,
               epoch: int | None = None) -> Any:
        """Run a job generator: progress after each step, stop when cancelled/outdated.

        Args:
            outdated: checked before each step (a newer request, another gallery...).
            on_result: set for a background job that gives way to requests: when a request
                (:meth:`supersede`) arrives, it stops at its next step, its generator is
                parked and resumes, where it stopped, after the requests queued by then;
                ``on_result`` gets its return value on the worker thread when it finishes.
            epoch: :meth:`cancels` when the job was queued (None: when it starts), so that
                a cancel made while it waited in the queue stops it at its first step.

        Returns:
            The job's return value, or None when it was cancelled, outdated, failed (a
            failure is logged with its traceback and emitted as ``failed``) or parked.
        """
        epoch = self._epoch_now() if epoch is None else epoch
        if self.closing:  # queued before the owner closed: do not start it
            job.close()
            return None
        self.jobStarted.emit(kind, description)
        return self._steps(kind, description, job, outdated, epoch, on_result)

    @Slot()
    def _resume_parked(self) -> None:
        if self._parked:
            self._steps(*self._parked.pop(0))

    def _steps(self, kind: str, description: str, job: Progress,
               outdated: Callable[[], bool], epoch: int,
               on_result: Callable[[Any], None] | None) -> Any:
        """Drive ``job`` from where it stands (``on_result`` set: it gives way to requests)."""
        mark = self._request_count()
        try:
            while True:
                if outdated() or self._stopped(epoch):
                    raise JobCancelled(kind)
                if on_result is not None and self._request_count() != mark:
                    # queued behind the request that just arrived (a queued signal to this
                    # thread joins the end of its event queue)
                    self._parked.append((kind, description, job, outdated, epoch, on_result))
                    self._resumeParked.emit()
                    logger.debug("%s job gives way to a request: %s", kind, description)
                    return None
                try:
                    done, total = next(job)
                except StopIteration as stop:
                    result = stop.value
                    break
                self.progress.emit(int(done), int(total))
            if outdated():
                raise JobCancelled(kind)
        except JobCancelled:
            job.close()
            logger.debug("%s job cancelled or superseded: %s", kind, description)
            self.jobFinished.emit(kind, "cancelled")
            return None
        except Exception as e:  # noqa: BLE001 - every error reaches the GUI (napari pattern)
            job.close()
            if isinstance(e, USER_ERRORS):  # bad input, named in the message: no traceback
                logger.debug("%s failed: %s", description, e)  # the window logs what it shows
            else:
                logger.exception("%s failed", description)
            message = failure_message(description, e)
            self.jobFailed.emit(kind, message)
            self.failed.emit(message)
            self.jobFinished.emit(kind, "failed")
            return None
        if kind in LOADING_KINDS:
            freeze_loaded_objects()
        self.jobFinished.emit(kind, "done")
        if on_result is not None:
            on_result(result)
        return result
