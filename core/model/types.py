"""The model type that the encoding path and everything above it takes.

Two classes encode: the full :class:`~motionlex.core.model.model.MotionTextModel`
(``transformers`` towers; training, ``load_checkpoint``) and the plain-torch
:class:`~motionlex.core.model.lite.LiteModel` of
:func:`~motionlex.core.model.lite_load.load_for_queries` (one-off queries: ``motionlex words``,
``describe``). Both offer ``config``, ``vocabulary``, ``device``, ``eval()``,
``forward_text`` / ``forward_motion``, ``encode_text``, ``count_tokens``, ``word_pieces``,
``lexical_excluded`` and ``parameters()``, and give the same vectors, so
:func:`~motionlex.core.retrieval.embed.encode_texts`,
:func:`~motionlex.core.retrieval.embed.encode_motions`, index builds, searches and caption banks
take either. A ``LiteModel`` is not a ``torch.nn.Module``.

This module imports neither class at run time (no torch import): annotate with
:data:`EncoderModel` under ``from __future__ import annotations``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from motionlex.core.model.lite import LiteModel
    from motionlex.core.model.model import MotionTextModel

EncoderModel = Union["MotionTextModel", "LiteModel"]
"""A model that encodes motions and texts: a ``MotionTextModel`` or a ``LiteModel``."""
