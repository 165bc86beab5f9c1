"""The worker's gallery job: open a gallery (an index directory, a dataset folder or a folder
of BVH files, or the built-in synthetic demo gallery), encoding a folder that is not an index
into a cached index first, and switching to the checkpoint an index was built with.
A mixin of :class:`motionlex.app.worker.RankWorker` (its slot ``load`` drives
:meth:`GalleryJobs.load_steps` on the worker thread).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from motionlex.app import fallback, texts
from motionlex.app.driver import Progress
from motionlex.app.messages import GalleryInfo, ModelInfo
from motionlex.core import cache

logger = logging.getLogger(__name__)

DEMO_GALLERY = ":demo:"
"""Gallery path that stands for the built-in synthetic demo gallery (generated into the
worker's cache folder at first use, then encoded like any dataset folder)."""


def gallery_label(path: str | os.PathLike) -> str:
    """How messages name a gallery path: "the synthetic demo gallery" for
    :data:`DEMO_GALLERY` (not its internal name), else "gallery PATH"."""
    return "the synthetic demo gallery" if str(path) == DEMO_GALLERY else f"gallery {path}"


class GalleryJobs:
    """Gallery-opening job generators over the worker's model and gallery (attributes
    ``cache_dir``, ``_model``, ``_model_hash``, ``_model_info``, ``_stats``, ``_index``,
    ``_searcher``, ``_matrices``, the job ``load_checkpoint_steps``, the method
    ``_attach_searcher`` and the signals ``message`` and ``checkpointLoaded`` of
    :class:`~motionlex.app.worker.RankWorker`)."""

    cache_dir: Path
    _model: Any
    _model_hash: str | None
    _model_info: ModelInfo | None
    _stats: Any
    _index: Any
    _searcher: Any
    _matrices: dict[Any, np.ndarray]

    def load_steps(self, path: str | os.PathLike) -> Progress:
        """Job: open (or build, then open) a gallery.

        Returns (as the generator's value):
            :class:`GalleryInfo`.

        Raises:
            FileNotFoundError: the path does not exist.
            ValueError: a file instead of a folder, a folder that is neither an index nor
                a dataset, or an index whose model cannot be found. (A dataset folder opened
                with no model loaded is encoded with the shipped model.)
            GalleryIndexError: a corrupted index (the file and the problem named).
        """
        from motionlex.core.data.layout import SeveralDatasetsError, detect_layout
        from motionlex.core.data.text_files import DatasetError
        from motionlex.core.retrieval.gallery_paths import gallery_index_path
        from motionlex.core.retrieval.index import GalleryIndex

        synthetic = str(path) == DEMO_GALLERY
        if synthetic:
            from motionlex.core.data.demo.gallery import DEMO_VERSION, ensure_demo_dataset

            self.message.emit("Preparing the synthetic demo gallery…")
            cache.ensure_cache_dir(self.cache_dir)
            root = ensure_demo_dataset(self.cache_dir / f"demo-v{DEMO_VERSION}")
        else:
            root = Path(path).expanduser()
        if not root.exists():
            raise FileNotFoundError(f"gallery not found: {root}")
        if not root.is_dir():
            raise ValueError(f"{root} is a file; a gallery is an index directory, a dataset "
                             "folder (new_joints/ + texts/) or a folder of .bvh files")
        yield 0, 0
        built, skipped, lying = False, [], []
        index_path, build = gallery_index_path(root, self.cache_dir, self._model_hash or "")
        if not build:
            index = GalleryIndex.load(index_path, verify=True)
        else:
            try:  # raises DatasetError naming what was looked for
                detect_layout(root)
            except SeveralDatasetsError as e:  # the explorer opens one of them (no --data)
                raise DatasetError(texts.several_datasets(
                    str(e.root), e.names, str(e.example))) from e
            if self._model is None:  # no model given: encode with the shipped one (or
                # open its cached index: nothing encoded, so the note says neither, audit
                # 35 #9; "Gallery built and opened" says when it was encoded)
                info = yield from fallback.checkpoint_steps(
                    self.load_checkpoint_steps, None,
                    note=f"no checkpoint given: {root.name} is searched with the shipped model")
                self.checkpointLoaded.emit(info)
                index_path, _ = gallery_index_path(root, self.cache_dir, self._model_hash)
            index, skipped, built, lying = yield from self._build_steps(root, index_path)
        yield 0, 0  # a cancel point; counted steps of a gallery job are its build's motions
        if self._model is None or self._model_hash != index.model_hash:
            ckpt = index.checkpoint
            if ckpt and Path(ckpt).is_dir():
                self.message.emit(f"Loading the checkpoint the gallery was built with: {ckpt}")
                # a model the user asked for and got (no note: not the shipped one standing
                # in, nor one loaded because none was given)
                asked = self._model_info is not None and not self._model_info.note
                previous = self._model_info.checkpoint if asked else None
                info = yield from self.load_checkpoint_steps(ckpt, attach=False)
                if previous and Path(previous).resolve() != Path(ckpt).resolve():
                    # the model asked for is replaced: say so where it stays visible
                    info = dataclasses.replace(info, substituted=True, note=(
                        f"{index_path.name} was built with {ckpt}, so that model replaces "
                        f"{previous} (a gallery is searched with the model that encoded it; "
                        f"'motionlex index --checkpoint {previous} --data DATA --out NEW.mlx' "
                        f"indexes its data for that one)"))
                    self._model_info = info
                self.checkpointLoaded.emit(info)
                if self._model_hash != index.model_hash and self._index is not None:
                    self._attach_searcher()  # the open gallery stays, with the new model
            if self._model_hash != index.model_hash:
                from motionlex.core.retrieval.index_format import model_mismatch

                # the one wording (the CLI's): an updated shipped model or a checkpoint
                # trained again is re-encoded with 'motionlex index --out X --rebuild'
                there = bool(ckpt) and Path(ckpt).is_dir()
                loaded = self._model_info.checkpoint if self._model_info else None
                raise model_mismatch(index_path, index.model_hash, self._model_hash or "",
                                     ckpt, ckpt if there else loaded,
                                     source="recorded" if there else None)
        self._index = index
        self._matrices = {}
        self._attach_searcher()
        captions = list(index.first_captions)
        durations = (index.num_frames / np.maximum(index.fps, 1e-6)).astype(np.float32)
        return GalleryInfo(
            path=str(index_path), source=str(root), size=len(index), ids=list(index.ids),
            captions=captions, durations=durations, searchable=self._searcher.model is not None,
            built=built, skipped=list(skipped), synthetic=synthetic, not_upright=list(lying))

    def _build_steps(self, dataset: Path, out: Path) -> Progress:
        """Job step: encode ``dataset`` into the index ``out`` (incremental when it exists).

        Drives core's build generator: its ``(done, total)`` steps are this job's steps, so
        a cancel closes the build at the next batch and nothing is written; a cancel right
        after the build leaves the finished index in the cache, not opened.

        Returns:
            ``(index, skipped (id, reason) list, whether motions were encoded or removed
            (False: the cached index was up to date), ids read not upright)``.

        Raises:
            JobCancelled: cancelled during or right after the build.
        """
        from motionlex.core.retrieval.build import build_steps

        logger.info("gallery index %s for %s: checking it is up to date", out, dataset)
        cache.ensure_cache_dir(out.parent)
        yield 0, 0
        report = yield from build_steps(
            self._model, [dataset], out, patch_stats=self._stats,
            checkpoint=self._model_info.checkpoint if self._model_info else None)
        changed = bool(report.added or report.replaced or report.removed or report.unreadable)
        return report.index, list(report.skipped), changed, list(report.not_upright)
