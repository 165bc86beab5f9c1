"""The worker's describe jobs (retrieval-based captioning): the model's caption bank, built at
first use, and the nearest bank captions of one gallery motion or of every uncaptioned one.
A mixin of :class:`motionlex.app.worker.RankWorker` (its slots ``describe`` and
``describe_gallery`` drive these generators on the worker thread)."""

from __future__ import annotations

from typing import Any

from motionlex.app import jobs
from motionlex.app.analysis_messages import DescribeRequest
from motionlex.app.driver import Progress


class DescribeJobs:
    """Describe-job generators over the worker's model, gallery and searcher (attributes
    ``_model``, ``_model_info``, ``_model_hash``, ``_index``, ``_searcher``, ``_bank``,
    ``cache_dir`` and the ``message`` signal of :class:`~motionlex.app.worker.RankWorker`)."""

    _bank: Any
    _index: Any
    _searcher: Any

    def bank_steps(self) -> Progress:
        """Job step: the model's caption bank, built at first use (:func:`jobs.bank_steps`)."""
        if self._model is None or self._model_info is None:
            raise ValueError("describing a motion needs a model: open a checkpoint first")
        if self._bank is None:
            from motionlex.core.retrieval.hubness import with_hubness  # lazy: fast start

            bank = yield from jobs.bank_steps(
                self._model, self._model_info.checkpoint, self._model_hash,
                self.cache_dir / "caption-banks", self.message.emit)
            self._bank = with_hubness(bank, self._model_info.checkpoint)  # CSLS when it has
        return self._bank

    def _describe_weight(self) -> float:
        from motionlex.core.retrieval.describe import checkpoint_weight  # lazy: fast start

        return checkpoint_weight(self._model_info.checkpoint)

    def describe_steps(self, request: DescribeRequest) -> Progress:
        """Job: :func:`motionlex.app.jobs.describe_steps` with the model's caption bank."""
        self._check_gallery_model()
        bank = yield from self.bank_steps()
        return (yield from jobs.describe_steps(self._index, bank, request,
                                               self._describe_weight()))

    def describe_gallery_steps(self) -> Progress:
        """Job: :func:`motionlex.app.jobs.describe_gallery_steps` with the caption bank."""
        self._check_gallery_model()
        bank = yield from self.bank_steps()
        return (yield from jobs.describe_gallery_steps(self._index, bank,
                                                       self._describe_weight()))

    def _check_gallery_model(self) -> None:
        if self._index is None:
            raise ValueError("no gallery is open")
        if self._searcher is None or self._searcher.model is None:
            raise ValueError("describing needs the model that built the gallery")
