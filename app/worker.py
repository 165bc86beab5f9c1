"""The background worker: owns the model and the gallery index on its own thread.

:class:`RankWorker` is a ``QObject`` that lives on a worker ``QThread`` (see
:class:`WorkerClient`). It loads a checkpoint and a gallery (an index directory, or a dataset
folder / folder of BVH files that it first encodes into a cached index), embeds text queries
and ranks the gallery, fetches a motion's joints and patch image for display, and scores the
event orders of a caption (the CAR panel). It never touches a widget and sends only plain
Python values and NumPy copies (never tensors) to the GUI.

Every job is a generator that yields ``(done, total)`` progress; the driver emits
``progress`` after each step and stops at the next step once the job is cancelled
(:meth:`RankWorker.cancel`) or, for a ranking, once a newer request exists (so a burst of
typed queries costs one ranking, not fifty). Results of outdated requests are dropped.
Errors are logged with their traceback and sent to the GUI as ``failed(message)``.
Source of the pattern: ``pyapp-kit/superqt/src/superqt/utils/_qthreading.py``
(``GeneratorWorker``: each ``yield`` is a progress report and a cancel point, because
``QThread.quit()`` is only a request) and ``napari/napari/napari/_qt/qthreading.py``
(worker errors reach the user).

Threading contract: the slots run on the worker thread when called through queued signals
(:class:`~motionlex.app.client.WorkerClient` does this); :meth:`RankWorker.cancel` and
:meth:`RankWorker.supersede` only set counters under a lock and are called directly from the
GUI thread, so they act while a job runs. Called directly in one thread (tests), the slots
run synchronously.
"""

from __future__ import annotations

import logging
import os
import platform
import threading
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from motionlex.app.messages import (
    GalleryInfo,
    ModelInfo,
    MotionData,
    MotionRequest,
    OrdersRequest,
    OrdersResult,
    RankRequest,
    RankResult,
)
from motionlex.core import cache

logger = logging.getLogger(__name__)

SEARCH_MODES = ("fused", "dense", "lexical")
"""Ranking modes offered (see :class:`motionlex.core.retrieval.search.Searcher`)."""

QUERY_WORDS_SHOWN = 20
"""Heaviest query / motion words sent for the lexical bars."""

MAX_EVENT_ORDERS = 24
"""Event orders scored per caption in the CAR panel (4 events: all 24)."""

USER_ERRORS = (FileNotFoundError, NotADirectoryError, ValueError)
"""Errors about the user's input (paths, files, queries; the project's documented Raises):
logged without a traceback. Anything else is logged with its traceback. Both reach the GUI."""

Progress = Generator[tuple[int, int], None, Any]
"""A job: yields ``(done, total)`` (``total == 0``: unknown) and returns its result."""




class JobCancelled(Exception):
    """Raised inside the driver when a job was cancelled or superseded (never leaves it)."""


# ---------------------------------------------------------------------------------- helpers
def device_name(device: Any) -> str:
    """Readable name of a torch device: the GPU's name, or ``"CPU (<processor>)"``."""
    # imported here: loads torch on the worker thread, keeping the explorer's start fast
    import torch

    dev = torch.device(device)
    if dev.type == "cuda" and torch.cuda.is_available():
        return f"GPU {torch.cuda.get_device_name(dev)}"
    proc = platform.processor() or platform.machine() or "unknown"
    return f"CPU ({proc}, {os.cpu_count() or '?'} threads)"


def top_pairs(ids: np.ndarray, weights: np.ndarray, vocabulary: list[str],
              n: int = QUERY_WORDS_SHOWN) -> list[tuple[str, float]]:
    """The ``n`` heaviest ``(word, weight)`` pairs of a sparse vector, heaviest first.

    Args:
        ids: ``(Q,)`` int vocabulary ids.
        weights: ``(Q,)`` float weights (> 0 kept).
        vocabulary: the vocabulary (``V`` tokens).
        n: pairs kept.

    Returns:
        Up to ``n`` pairs with distinct words; ties broken by vocabulary id.
    """
    from motionlex.core.retrieval.sparse import heaviest_words  # lazy: fast explorer start

    return heaviest_words(ids, weights, vocabulary, n)


DEMO_GALLERY = ":demo:"
"""Gallery path that stands for the built-in synthetic demo gallery (generated into the
worker's cache folder at first use, then encoded like any dataset folder)."""


def cached_index_path(cache_dir: Path, dataset: Path, model_hash: str) -> Path:
    """Where the index built from ``dataset`` by a model is cached.

    Returns:
        ``cache_dir / "<folder name>-<8 hex of its path>-<8 hex of the model>.mlx"``.
    """
    from motionlex.core.retrieval.build import cached_index_path as core_cached_index_path

    return core_cached_index_path(cache_dir, dataset, model_hash)  # lazy: fast explorer start


# ---------------------------------------------------------------------------------- worker
class RankWorker(QObject):
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
        motionReady(MotionData), ordersReady(OrdersResult): display data for the views.
        jobStarted(str, str): ``(kind, description)``; kinds ``checkpoint``, ``gallery``,
            ``rank``, ``motion``, ``orders``.
        jobFinished(str, str): ``(kind, outcome)``; outcomes ``done``, ``cancelled``,
            ``failed``.
        message(str): a note for the status bar (e.g. a checkpoint switched automatically).
    """

    ranked = Signal(object)
    progress = Signal(int, int)
    failed = Signal(str)
    checkpointLoaded = Signal(object)
    galleryLoaded = Signal(object)
    motionReady = Signal(object)
    ordersReady = Signal(object)
    jobStarted = Signal(str, str)
    jobFinished = Signal(str, str)
    message = Signal(str)

    def __init__(self, cache_dir: str | os.PathLike | None = None,
                 device: str | None = None, torch_threads: int | None = None) -> None:
        super().__init__()
        if torch_threads is not None and torch_threads < 1:
            raise ValueError(f"torch_threads must be >= 1 or None, got {torch_threads}")
        self.torch_threads = torch_threads or max(1, (os.cpu_count() or 2) - 1)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else cache.cache_dir()
        self.device = device
        self._lock = threading.Lock()
        self._epoch = 0  # bumped by cancel()
        self._latest: dict[str, int] = {"rank": 0, "motion": 0, "orders": 0}
        self._model: Any = None
        self._model_hash: str | None = None
        self._model_info: ModelInfo | None = None
        self._stats: Any = None
        self._index: Any = None
        self._searcher: Any = None
        self._matrices: dict[Any, np.ndarray] = {}

    # -- thread-safe controls (call from any thread) ------------------------------------
    @Slot()
    def cancel(self) -> None:
        """Stop the running job at its next step (thread-safe; acts while a job runs)."""
        with self._lock:
            self._epoch += 1

    def supersede(self, kind: str, request_id: int) -> None:
        """Declare ``request_id`` the newest request of ``kind`` (``rank``, ``motion``,
        ``orders``); older ones still queued or running are dropped (thread-safe).

        Raises:
            ValueError: unknown kind.
        """
        if kind not in self._latest:
            raise ValueError(f"kind must be one of {sorted(self._latest)}, got {kind!r}")
        with self._lock:
            self._latest[kind] = max(self._latest[kind], int(request_id))

    def _outdated(self, kind: str, request_id: int) -> bool:
        with self._lock:
            return request_id < self._latest[kind]

    def _epoch_now(self) -> int:
        with self._lock:
            return self._epoch

    # -- state ---------------------------------------------------------------------------
    @property
    def model(self) -> Any:
        """The loaded :class:`~motionlex.core.model.model.MotionTextModel`, or None."""
        return self._model

    @property
    def index(self) -> Any:
        """The open :class:`~motionlex.core.retrieval.index.GalleryIndex`, or None."""
        return self._index

    @property
    def model_info(self) -> ModelInfo | None:
        """The loaded checkpoint's description, or None."""
        return self._model_info

    # -- driver --------------------------------------------------------------------------
    def _drive(self, kind: str, description: str, job: Progress,
               outdated: Callable[[], bool] = lambda: False) -> Any:
        """Run a job generator: progress after each step, stop when cancelled/outdated.

        Returns:
            The job's return value, or None when it was cancelled, outdated or failed (a
            failure is logged with its traceback and emitted as ``failed``).
        """
        epoch = self._epoch_now()
        self.jobStarted.emit(kind, description)
        try:
            while True:
                if outdated() or self._epoch_now() != epoch:
                    raise JobCancelled(kind)
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
                logger.warning("%s failed: %s", description, e)
            else:
                logger.exception("%s failed", description)
            self.failed.emit(f"{description} failed: {e}")
            self.jobFinished.emit(kind, "failed")
            return None
        self.jobFinished.emit(kind, "done")
        return result

    # -- checkpoint ----------------------------------------------------------------------
    @Slot(str)
    def load_checkpoint(self, path: str) -> None:
        """Load a checkpoint directory (``config.json``, weights, ``patch_stats.json``).

        Emits ``checkpointLoaded(ModelInfo)``, or ``failed`` (e.g. not a checkpoint).
        """
        info = self._drive("checkpoint", f"Loading checkpoint {path}",
                           self.load_checkpoint_steps(path))
        if info is not None:
            self.checkpointLoaded.emit(info)

    def load_checkpoint_steps(self, path: str | os.PathLike) -> Progress:
        """Job: load a checkpoint and make it the model for searches.

        Returns (as the generator's value):
            :class:`ModelInfo`.

        Raises:
            FileNotFoundError: no such directory, or no ``patch_stats.json`` in it.
            ValueError: not a valid checkpoint (see ``MotionTextModel.from_pretrained``).
        """
        # imported here: loads torch on the worker thread, keeping the explorer's start fast
        import torch

        from motionlex.core.model.factory import load_checkpoint
        from motionlex.core.retrieval.fingerprints import model_fingerprint

        root = Path(path).expanduser()
        if not root.is_dir():
            raise FileNotFoundError(f"checkpoint directory not found: {root}")
        yield 0, 0
        if torch.get_num_threads() != self.torch_threads:
            torch.set_num_threads(self.torch_threads)  # on the thread that runs the model
        model, stats = load_checkpoint(root, self.device)
        model.eval()
        yield 1, 2
        model_hash = model_fingerprint(model)
        info = ModelInfo(
            checkpoint=str(root.resolve()),
            name=str(model.config.name),
            device=str(model.device),
            device_name=device_name(model.device),
            embed_dim=int(model.config.embed_dim),
            vocab_size=len(model.vocabulary),
            parameters=int(sum(p.numel() for p in model.parameters())),
        )
        self._model, self._stats, self._model_hash, self._model_info = (
            model, stats, model_hash, info)
        yield 2, 3
        self._warm_event_parser()
        if self._index is not None:
            self._attach_searcher()
        logger.info("loaded checkpoint %s on %s", root, info.device_name)
        return info

    def _warm_event_parser(self) -> None:
        """Load spaCy's parser now (once per process), so the first CAR request does not
        hold up the first query; a missing parser is reported, and reported again by the
        CAR job that needs it."""
        # imported here: loads spaCy on the worker thread, keeping the explorer's start fast
        from motionlex.core.text.events import load_parser

        try:
            load_parser()
        except ImportError as e:
            logger.warning("event splitting unavailable: %s", e)
            self.message.emit(f"Event splitting (CAR panel) unavailable: {e}")

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
        (only new or changed files on later opens), with progress. Emits
        ``galleryLoaded(GalleryInfo)`` or ``failed``.
        """
        info = self._drive("gallery", f"Opening gallery {path}", self.load_steps(path))
        if info is not None:
            self.galleryLoaded.emit(info)

    def load_steps(self, path: str | os.PathLike) -> Progress:
        """Job: open (or build, then open) a gallery.

        Returns (as the generator's value):
            :class:`GalleryInfo`.

        Raises:
            FileNotFoundError: the path does not exist.
            ValueError: a file instead of a folder, a folder that is neither an index nor
                a dataset, a dataset without a loaded model to encode it, or an index whose
                model cannot be found.
            GalleryIndexError: a corrupted index (the file and the problem named).
        """
        from motionlex.core.data.datasets import detect_layout
        from motionlex.core.retrieval.build import gallery_index_path
        from motionlex.core.retrieval.index import GalleryIndex

        synthetic = str(path) == DEMO_GALLERY
        if synthetic:
            from motionlex.core.data.demo.gallery import DEMO_VERSION, ensure_demo_dataset

            self.message.emit("Preparing the synthetic demo gallery…")
            root = ensure_demo_dataset(self.cache_dir / f"demo-v{DEMO_VERSION}")
        else:
            root = Path(path).expanduser()
        if not root.exists():
            raise FileNotFoundError(f"gallery not found: {root}")
        if not root.is_dir():
            raise ValueError(f"{root} is a file; a gallery is an index directory, a dataset "
                             "folder (new_joints/ + texts/) or a folder of .bvh files")
        yield 0, 0
        built, skipped = False, []
        index_path, build = gallery_index_path(root, self.cache_dir, self._model_hash or "")
        if not build:
            index = GalleryIndex.load(index_path, verify=True)
        else:
            detect_layout(root)  # raises DatasetError naming what was looked for
            if self._model is None:
                raise ValueError(f"{root} is a dataset folder; encoding it needs a model: open "
                                 "a checkpoint first (File > Open checkpoint)")
            index, skipped = yield from self._build_steps(root, index_path)
            built = True
        yield 1, 2
        if self._model is None or self._model_hash != index.model_hash:
            ckpt = index.checkpoint
            if ckpt and Path(ckpt).is_dir():
                self.message.emit(f"Loading the checkpoint the gallery was built with: {ckpt}")
                info = yield from self.load_checkpoint_steps(ckpt)
                self.checkpointLoaded.emit(info)
            if self._model_hash != index.model_hash:
                raise ValueError(
                    f"{index_path} was built with model {index.model_hash[:12]}..., which is not "
                    f"loaded (recorded checkpoint: {ckpt or 'none'}); open that checkpoint first")
        self._index = index
        self._matrices = {}
        self._attach_searcher()
        captions = [c[0] if c else "" for c in index.captions]
        durations = (index.num_frames / np.maximum(index.fps, 1e-6)).astype(np.float32)
        return GalleryInfo(
            path=str(index_path), source=str(root), size=len(index), ids=list(index.ids),
            captions=captions, durations=durations, searchable=self._searcher.model is not None,
            built=built, skipped=list(skipped), synthetic=synthetic)

    def _build_steps(self, dataset: Path, out: Path) -> Progress:
        """Job step: encode ``dataset`` into the index ``out`` (incremental when it exists).

        Drives core's build generator: its ``(done, total)`` steps are this job's steps, so
        a cancel closes the build at the next batch and nothing is written; a cancel right
        after the build leaves the finished index in the cache, not opened.

        Returns:
            ``(index, skipped (id, reason) list)``.

        Raises:
            JobCancelled: cancelled during or right after the build.
        """
        from motionlex.core.retrieval.build import build_steps

        logger.info("building gallery index %s from %s", out, dataset)
        out.parent.mkdir(parents=True, exist_ok=True)
        yield 0, 0
        report = yield from build_steps(
            self._model, [dataset], out, patch_stats=self._stats,
            checkpoint=self._model_info.checkpoint if self._model_info else None)
        n = len(report.index)
        yield n, n
        return report.index, list(report.skipped)

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
        desc = f"Query {request.text!r}" if request.item is None else f"Item query {request.item}"
        result = self._drive("rank", desc, self.rank_steps(request),
                             lambda: self._outdated("rank", request.request_id))
        if result is not None:
            self.ranked.emit(result)

    def rank_steps(self, request: RankRequest) -> Progress:
        """Job: embed the query, then score the gallery chunk by chunk.

        Yields ``(rows scored, N)`` after embedding and after each chunk.

        Returns (as the generator's value):
            :class:`RankResult`.

        Raises:
            ValueError: no gallery open, a text query without a model (or with one that did
                not build the gallery), an empty text, or an invalid ``k``/``mode``.
        """
        if self._searcher is None:
            raise ValueError("no gallery is open: open one first (File > Open gallery)")
        if request.mode not in SEARCH_MODES:
            raise ValueError(f"mode must be one of {SEARCH_MODES}, got {request.mode!r}")
        t0 = time.perf_counter()
        searcher = self._searcher
        n = len(searcher)
        if request.item is not None:
            query = searcher.item_query(int(request.item))
        else:
            if searcher.model is None:
                raise ValueError("text queries need the model that built this gallery: open its "
                                 "checkpoint (File > Open checkpoint)")
            query = searcher.embed_text(request.text)
        yield 0, n
        hits = []
        exclude = () if request.item is None else (int(request.item),)
        for step in searcher.search_in_chunks(query, k=request.k, mode=request.mode,
                                              words=5, exclude=exclude,
                                              chunk_size=request.chunk_size):
            if step.hits is not None:
                hits = step.hits
            else:
                yield step.done, step.total
        vocab = self._index.vocabulary
        rows = [{
            "rank": r, "score": float(h.score), "caption": h.caption, "id": h.id,
            "row": int(h.index), "dense_score": float(h.dense_score),
            "lexical_score": float(h.lexical_score),
            "words": [(str(w), float(v)) for w, v in h.words],
        } for r, h in enumerate(hits, 1)]
        return RankResult(
            request_id=request.request_id, text=request.text if request.item is None else "",
            mode=request.mode, hits=rows,
            query_words=top_pairs(query.word_ids, query.word_weights, vocab),
            total=n, seconds=time.perf_counter() - t0)

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
        """Job: joints, bones, patch image and top words of one gallery motion.

        Returns (as the generator's value):
            :class:`MotionData` (arrays are copies).

        Raises:
            ValueError: no gallery open. IndexError: row out of range.
        """
        # imported here: loads torch on the worker thread, keeping the explorer's start fast
        from motionlex.core.patches import motion_patch_image, part_resampling_matrix

        index = self._index
        if index is None:
            raise ValueError("no gallery is open")
        item = index.item(int(request.row))
        joints = index.joints(item.index)  # float32 copy
        skeleton = item.skeleton
        if skeleton not in self._matrices:
            self._matrices[skeleton] = part_resampling_matrix(skeleton)
        yield 1, 2
        patches = motion_patch_image(joints, self._matrices[skeleton], index.patch_stats)
        lex = index.lexical.getrow(item.index)
        words = top_pairs(lex.indices, lex.data, index.vocabulary)
        source = Path(item.source)
        return MotionData(
            request_id=request.request_id, row=item.index, id=item.id, caption=item.caption,
            captions=list(item.captions), source=item.source,
            has_bvh=source.suffix.lower() == ".bvh" and source.is_file(),
            source_sha256=str(index.source_sha256[item.index]), fps=item.fps,
            joints=np.ascontiguousarray(joints, np.float32),
            bones=skeleton.bones().copy(), part_of_joint=skeleton.part_of_joint().copy(),
            skeleton=skeleton, patches=np.ascontiguousarray(patches, np.float32), words=words,
            meta=dict(item.meta))

    @Slot(object)
    def score_orders(self, request: OrdersRequest) -> None:
        """Split a caption into events and score its event orders; emit ``ordersReady``."""
        if self._outdated("orders", request.request_id):
            return
        result = self._drive("orders", f"Scoring event orders of motion {request.row}",
                             self.orders_steps(request),
                             lambda: self._outdated("orders", request.request_id))
        if result is not None:
            self.ordersReady.emit(result)

    def orders_steps(self, request: OrdersRequest) -> Progress:
        """Job: events of the caption, every distinct order, dense cosine with the motion
        (:func:`motionlex.core.retrieval.chronology.event_order_scores` on the motion's
        stored dense embedding).

        Returns (as the generator's value):
            :class:`OrdersResult` (empty when the caption is empty).

        Raises:
            ValueError: no gallery open or no matching model.
        """
        from motionlex.core.retrieval.chronology import event_order_scores

        index = self._index
        if index is None:
            raise ValueError("no gallery is open")
        item = index.item(int(request.row))
        caption = item.caption if request.caption is None else request.caption.strip()
        if not caption:
            return OrdersResult(request.request_id, item.index, "", [], [])
        if self._searcher is None or self._searcher.model is None:
            raise ValueError("scoring event orders needs the model that built the gallery")
        yield 1, 3
        scores = event_order_scores(self._searcher.model, caption, index.dense[item.index],
                                    max_orders=MAX_EVENT_ORDERS)
        yield 2, 3
        return OrdersResult(request.request_id, item.index, caption, scores.events,
                            scores.orders)
