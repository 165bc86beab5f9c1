"""The background worker: owns the model and the gallery index on its own thread.

:class:`RankWorker` is a ``QObject`` that lives on a worker ``QThread`` (see
:class:`~motionlex.app.client.WorkerClient`). It loads a checkpoint and a gallery (an index
directory, or a dataset folder / folder of BVH files that it first encodes into a cached
index) and holds them (opening a gallery is the job of :mod:`motionlex.app.gallery_jobs`);
ranking, motion display data and event-order scores are the read-only jobs of
:mod:`motionlex.app.jobs`, and describing those of :mod:`motionlex.app.describe_jobs`, run on
that state. It never touches a widget and sends only
plain Python values and NumPy copies (never tensors) to the GUI.

Every job is a generator of ``(done, total)`` progress driven by
:class:`~motionlex.app.driver.JobDriver` (progress, cancel points, outdated requests dropped,
errors reported as ``failed``).

Threading contract: the slots run on the worker thread when called through queued signals
(:class:`~motionlex.app.client.WorkerClient` does this); :meth:`RankWorker.cancel` and
:meth:`RankWorker.supersede` only set counters under a lock and are called directly from the
GUI thread, so they act while a job runs. Called directly in one thread (tests), the slots
run synchronously.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Signal, Slot

from motionlex.app import fallback, jobs
from motionlex.app.analysis_messages import DescribeRequest
from motionlex.app.describe_jobs import DescribeJobs
from motionlex.app.driver import JobDriver, Progress
from motionlex.app.gallery_jobs import GalleryJobs, gallery_label
from motionlex.app.messages import (
    ModelInfo,
    MotionRequest,
    MotionsRequest,
    OrdersRequest,
    RankRequest,
)
from motionlex.core import cache

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------- worker
class RankWorker(GalleryJobs, DescribeJobs, JobDriver):
    """Owns the model and the gallery index; loads, ranks and prepares motions on request.

    Args:
        cache_dir: where indexes built from dataset folders are kept.
        device: torch device for the model (None: CUDA when available, else CPU).
        torch_threads: CPU threads for torch's intra-op pool, set on the worker thread when
            a checkpoint loads (None: one fewer than the CPU count, at least 1, so the GUI
            thread keeps a core; on a busy 2-core machine two spinning OpenMP threads made a
            MiniLM query 15x slower than one).

    Signals:
        ranked(RankResult): a ranking finished (only for the newest request).
        progress(int, int): ``(done, total)`` of the running job (``total == 0``: unknown).
        failed(str): a job raised; the message names the job and the error.
        checkpointLoaded(ModelInfo), galleryLoaded(GalleryInfo): loads finished.
        motionReady(MotionData), motionsReady(MotionsData), ordersReady(OrdersResult):
            display data for the views (``motionsReady``: several motions to compare).
        described(DescribeResult): a motion's nearest bank captions.
        galleryDescribed(GalleryDescriptions): best captions of uncaptioned gallery rows.
        jobStarted(str, str): ``(kind, description)``; kinds ``checkpoint``, ``gallery``,
            ``rank``, ``motion``, ``compare``, ``orders``, ``describe`` (one motion),
            ``describe_gallery`` (the uncaptioned rows).
        jobFinished(str, str): ``(kind, outcome)``; outcomes ``done``, ``cancelled``,
            ``failed``.
        message(str): a note for the status bar (e.g. a checkpoint switched automatically).
        requestUnanswered(str, int): ``(kind, request_id)`` of an ``orders`` or ``describe``
            request that ended without a result (superseded, cancelled or failed), so the
            GUI ends its busy mark only when the newest request will not answer.
    """

    ranked = Signal(object)
    checkpointLoaded = Signal(object)
    galleryLoaded = Signal(object)
    motionReady = Signal(object)
    motionsReady = Signal(object)
    ordersReady = Signal(object)
    described = Signal(object)
    galleryDescribed = Signal(object)
    requestUnanswered = Signal(str, int)

    def __init__(self, cache_dir: str | os.PathLike | None = None,
                 device: str | None = None, torch_threads: int | None = None) -> None:
        super().__init__()
        if torch_threads is not None and torch_threads < 1:
            raise ValueError(f"torch_threads must be >= 1 or None, got {torch_threads}")
        self.torch_threads = torch_threads or max(1, (os.cpu_count() or 2) - 1)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else cache.cache_dir()
        self.device = device
        self._model: Any = None
        self._model_hash: str | None = None
        self._model_info: ModelInfo | None = None
        self._stats: Any = None
        self._index: Any = None
        self._searcher: Any = None
        self._matrices: dict[Any, np.ndarray] = {}
        self._orders_cache: dict[str, Any] = {}  # caption -> embedded event orders
        self._order_alpha = 0.0  # > 0: rank multi-event queries by order agreement
        self._bank: Any = None  # the model's caption bank, built at first use
        self._latest.setdefault("describe", 0)
        # galleries asked for (WorkerClient.load_gallery declares each one): a load with a
        # later one queued behind it is given up at its next step (a build is not finished
        # for a gallery nobody waits for)
        self._latest.setdefault("gallery", 0)
        self._loads = 0  # loads started on this thread (the n-th is the n-th asked for)

    # -- state ---------------------------------------------------------------------------
    @property
    def model(self) -> Any:
        """The loaded model, or None: a :class:`~motionlex.core.model.lite.LiteModel` (both
        towers in plain torch), or the full :class:`~motionlex.core.model.model.MotionTextModel`
        for a checkpoint the lite path does not cover."""
        return self._model

    @property
    def index(self) -> Any:
        """The open :class:`~motionlex.core.retrieval.index.GalleryIndex`, or None."""
        return self._index

    @property
    def model_info(self) -> ModelInfo | None:
        """The loaded checkpoint's description, or None."""
        return self._model_info

    # -- checkpoint ----------------------------------------------------------------------
    @Slot(str)
    def load_checkpoint(self, path: str) -> None:
        """Load a checkpoint directory (``config.json``, weights, ``patch_stats.json``);
        ``""`` is the shipped model. While no model is loaded, a checkpoint that fails to
        load is replaced by the shipped model (:func:`motionlex.app.fallback.checkpoint_steps`).

        Emits ``checkpointLoaded(ModelInfo)``, or ``failed`` (e.g. not a checkpoint while
        another model is loaded, which stays).
        """
        shown = f"Loading checkpoint {path}" if path else "Loading the shipped model"
        info = self._drive("checkpoint", shown,
                           fallback.checkpoint_steps(self.load_checkpoint_steps, path or None,
                                                     have_model=self._model is not None))
        if info is not None:
            if self._index is not None and self._searcher is not None:  # the open gallery
                info = dataclasses.replace(  # with this model: text queries on or off
                    info, gallery_searchable=self._searcher.model is not None)
            self.checkpointLoaded.emit(info)

    @Slot()
    def ensure_model(self) -> None:
        """Load the shipped model unless a model is loaded (after opening a gallery that
        loaded none, e.g. a mistyped path)."""
        if self._model is None:
            self.load_checkpoint("")

    def load_checkpoint_steps(self, path: str | os.PathLike, *, attach: bool = True) -> Progress:
        """Job: load a checkpoint and make it the model for searches. The worker switches
        to it at the end, all at once: a cancel before that keeps the model it had.

        Args:
            path: the model directory.
            attach: rebuild the open gallery's searcher for the new model (False when the
                caller opens another gallery next).

        Returns (as the generator's value):
            :class:`ModelInfo`.

        Raises:
            FileNotFoundError: no such directory, or no ``patch_stats.json`` in it.
            ValueError: not a valid checkpoint (see ``MotionTextModel.from_pretrained``).
        """
        # imported here: loads torch on the worker thread, keeping the explorer's start fast
        import torch

        from motionlex.core.model.device import readable_device
        from motionlex.core.model.lite_load import load_for_queries
        from motionlex.core.retrieval.fingerprints import model_fingerprint
        from motionlex.core.text.spelling import lexical_whole_words, whole_words
        from motionlex.core.text.word_groups import word_groups

        root = Path(path).expanduser()
        yield 0, 0
        if torch.get_num_threads() != self.torch_threads:
            torch.set_num_threads(self.torch_threads)  # on the thread that runs the model
        # both towers in plain torch (no transformers import: ~5 s less on this machine),
        # the full model for a checkpoint the lite path does not cover
        model, stats = load_for_queries(root, self.device)
        model.eval()
        yield 0, 0  # stages, not counted steps: (done, total) > 0 are a build's motions
        model_hash = model_fingerprint(model)
        words = whole_words(model.vocabulary)
        lexical = lexical_whole_words(model.vocabulary, model.lexical_excluded().tolist())
        info = ModelInfo(
            checkpoint=str(root.resolve()),
            name=str(model.config.name),
            device=str(model.device),
            device_name=readable_device(model.device),
            embed_dim=int(model.config.embed_dim),
            vocab_size=len(model.vocabulary),
            parameters=int(sum(p.numel() for p in model.parameters())),
            words=tuple(words),
            lexical_words=tuple(lexical),
            word_groups=word_groups(lexical, words),  # the lexical panel's rows
        )
        yield 0, 0
        note = jobs.warm_event_parser()
        if note:
            self.message.emit(note)
        else:  # spaCy is loaded: its dictionary tells real words from typos
            from motionlex.core.text.words import dictionary_words

            info = dataclasses.replace(info, dictionary=dictionary_words())
        # the last step: model, searcher and caches change together (no yield between), so
        # a cancel at any step leaves the worker on the old model, as the window shows it
        self._model, self._stats, self._model_hash, self._model_info = (
            model, stats, model_hash, info)
        self._orders_cache, self._bank = {}, None
        if self._index is not None and attach:
            self._attach_searcher()
        logger.info("loaded checkpoint %s on %s", root, info.device_name)
        return info

    def _attach_searcher(self) -> None:
        """(Re)build the searcher for the open index with the model, if it matches."""
        # imported here: loads torch on the worker thread, keeping the explorer's start fast
        from motionlex.core.retrieval.search import Searcher

        matches = self._model is not None and self._model_hash == self._index.model_hash
        self._searcher = Searcher(self._index, self._model if matches else None,
                                  verify_model=False)
        if self._model is not None and not matches:
            self.message.emit(f"The open gallery {self._index.path} was built with another "
                              "model: text queries are off until it is rebuilt or its own "
                              "checkpoint is opened.")

    # -- gallery -------------------------------------------------------------------------
    @Slot(str)
    def load(self, path: str) -> None:
        """Open a gallery: an index directory, a dataset folder or a folder of BVH files.

        A folder that is not an index is encoded with the loaded model into a cached index
        (only new or changed files on later opens), with progress
        (:meth:`~motionlex.app.gallery_jobs.GalleryJobs.load_steps`). Emits
        ``galleryLoaded(GalleryInfo)`` or ``failed``. A load with another one asked for
        behind it (:meth:`~motionlex.app.driver.JobDriver.supersede` ``("gallery", n)``) is
        cancelled at its next step; once its steps are done it is opened all the same (the
        worker switched to it already), and the next load replaces it.
        """
        self._loads += 1
        ticket, ended = self._loads, []

        def steps() -> Progress:
            info = yield from self.load_steps(path)
            ended.append(True)  # the worker holds this gallery now: it must be reported
            return info

        info = self._drive("gallery", f"Opening {gallery_label(path)}", steps(),
                           lambda: not ended and self._outdated("gallery", ticket))
        if info is not None:
            self.galleryLoaded.emit(info)

    # -- ranking -------------------------------------------------------------------------
    @Slot(object)
    def rank(self, request: RankRequest) -> None:
        """Rank the gallery for a request; emit ``ranked`` unless a newer request exists.

        Emits ``failed`` when no gallery is open, the query needs a missing model, or the
        request is invalid.
        """
        if self._outdated("rank", request.request_id):
            logger.debug("dropping outdated rank request %d", request.request_id)
            return
        desc = (f"Item query {request.item}" if request.item is not None
                else f"Motion file query {Path(request.motion_file).name}"
                if request.motion_file is not None else f"Query {request.text!r}")
        result = self._drive("rank", desc, self.rank_steps(request),
                             lambda: self._outdated("rank", request.request_id))
        if result is not None:
            self.ranked.emit(result)

    def rank_steps(self, request: RankRequest) -> Progress:
        """Job: rank the open gallery (:func:`motionlex.app.jobs.rank_steps`)."""
        return jobs.rank_steps(self._searcher, request, self._order_alpha, self._orders_cache)

    @Slot(float)
    def set_order_alpha(self, alpha: float) -> None:
        """Rank multi-event text queries by order agreement with margin weight ``alpha``
        (0: plain ranking); applies to the next ranking.

        Raises:
            ValueError: ``alpha < 0``.
        """
        if alpha < 0:
            raise ValueError(f"order weight must be >= 0, got {alpha}")
        self._order_alpha = float(alpha)

    # -- display data --------------------------------------------------------------------
    @Slot(object)
    def fetch_motion(self, request: MotionRequest) -> None:
        """Prepare gallery row ``request.row`` for the views; emit ``motionReady``."""
        if self._outdated("motion", request.request_id):
            return
        data = self._drive("motion", f"Loading motion {request.row}",
                           self.motion_steps(request),
                           lambda: self._outdated("motion", request.request_id))
        if data is not None:
            self.motionReady.emit(data)

    def motion_steps(self, request: MotionRequest) -> Progress:
        """Job: display data of one gallery motion (:func:`motionlex.app.jobs.motion_steps`)."""
        model = None if self._searcher is None else self._searcher.model
        return jobs.motion_steps(self._index, request, self._matrices,
                                 jobs.model_tokenize(model))

    @Slot(object)
    def fetch_motions(self, request: MotionsRequest) -> None:
        """Prepare several gallery rows to compare them; emit ``motionsReady``."""
        if self._outdated("compare", request.request_id):
            return
        data = self._drive("compare", f"Loading {len(request.rows)} motions to compare",
                           jobs.motions_steps(self._index, request, self._matrices),
                           lambda: self._outdated("compare", request.request_id))
        if data is not None:
            self.motionsReady.emit(data)

    @Slot(object)
    def score_orders(self, request: OrdersRequest) -> None:
        """Split a caption into events and score its event orders; emit ``ordersReady``."""
        if self._outdated("orders", request.request_id):
            self.requestUnanswered.emit("orders", request.request_id)
            return
        result = self._drive("orders", f"Scoring event orders of motion {request.row}",
                             self.orders_steps(request),
                             lambda: self._outdated("orders", request.request_id))
        if result is not None:
            self.ordersReady.emit(result)
        else:
            self.requestUnanswered.emit("orders", request.request_id)

    def orders_steps(self, request: OrdersRequest) -> Progress:
        """Job: event-order scores of a caption (:func:`motionlex.app.jobs.orders_steps`)."""
        return jobs.orders_steps(self._index, self._searcher, request, self._orders_cache)

    # -- describing ----------------------------------------------------------------------
    @Slot(object)
    def describe(self, request: DescribeRequest) -> None:
        """Describe gallery row ``request.row`` by its nearest bank captions; emit
        ``described`` (or ``failed``)."""
        if self._outdated("describe", request.request_id):
            self.requestUnanswered.emit("describe", request.request_id)
            return
        result = self._drive("describe", f"Describing motion {request.row}",
                             self.describe_steps(request),
                             lambda: self._outdated("describe", request.request_id))
        if result is not None:
            self.described.emit(result)
        else:
            self.requestUnanswered.emit("describe", request.request_id)

    @Slot()
    def describe_gallery(self) -> None:
        """Find the best bank caption of each uncaptioned motion of the open gallery; emit
        ``galleryDescribed`` (or ``failed``). A background job: it gives way to searches and
        other requests made meanwhile (caption bank encoding takes seconds at first use)."""
        index, model = self._index, self._model  # another gallery or model: drop the job
        self._drive("describe_gallery", "Describing the uncaptioned motions",
                    self.describe_gallery_steps(),
                    lambda: self._index is not index or self._model is not model,
                    on_result=self.galleryDescribed.emit)
