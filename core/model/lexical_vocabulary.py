"""The vocabulary of the lexical vectors: which words they may use, and their heaviest words.

:class:`LexicalVocabularyMixin` gives :class:`~.model.MotionTextModel` the vocabulary state
(the tokenizer's tokens, the words forced to zero: special and ``[unusedN]`` tokens, and with
``lexical_vocabulary="corpus"`` every word outside the training captions) and the operations
over it: the columns lexical logits are computed for, SPLADE pooling into ``(B, V)`` vectors
with excluded words at zero, and the top words of a vector. The pure functions it calls are
in :mod:`.lexical`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from motionlex.core.model.config import MotionTextConfig
from motionlex.core.model.lexical import excluded_vocabulary_ids, pool_vocabulary, top_words


class LexicalVocabularyMixin(nn.Module):
    """The lexical vocabulary of :class:`~.model.MotionTextModel`.

    The class using it has a ``config`` and calls :meth:`_register_vocabulary` in its
    ``__init__`` once its text tokenizer is built.
    """

    config: MotionTextConfig
    vocabulary: list[str]

    def _register_vocabulary(self, tok: Any, v: int) -> None:
        """Set ``vocabulary`` (the ``v`` tokens of ``tok``) and register the vocabulary
        buffers: ``special_token_ids``, ``vocab_excluded`` (special and ``[unusedN]`` tokens
        when ``config.lexical_exclude_special``) and, for ``lexical_vocabulary="corpus"``,
        the persistent ``lexical_allowed`` (all True until :meth:`set_lexical_vocabulary`
        in training or ``load_weights`` from a checkpoint)."""
        self.vocabulary: list[str] = tok.convert_ids_to_tokens(list(range(v)))
        self.register_buffer(
            "special_token_ids", torch.tensor(sorted(set(tok.all_special_ids))), persistent=False
        )
        excluded = torch.zeros(v, dtype=torch.bool)
        if self.config.lexical_exclude_special:
            excluded[excluded_vocabulary_ids(self.vocabulary, tok.all_special_ids)] = True
        self.register_buffer("vocab_excluded", excluded, persistent=False)
        if self.config.lexical_vocabulary == "corpus":
            # all True until set_lexical_vocabulary (training) or load_weights (a checkpoint)
            self.register_buffer("lexical_allowed", torch.ones(v, dtype=torch.bool))
        self._lexical_columns: tuple | None = None  # see lexical_columns

    def lexical_excluded(self) -> torch.Tensor:
        """``(V,)`` bool: vocabulary entries forced to zero in every lexical vector."""
        if self.config.lexical_vocabulary == "corpus":
            return self.vocab_excluded | ~self.lexical_allowed
        return self.vocab_excluded

    def set_lexical_vocabulary(self, token_ids: Sequence[int]) -> None:
        """Limit lexical vectors to these vocabulary ids (``lexical_vocabulary="corpus"``).

        Args:
            token_ids: allowed WordPiece ids, e.g. from
                :func:`motionlex.core.model.lexical.corpus_vocabulary` on the training captions.

        Raises:
            ValueError: the config's ``lexical_vocabulary`` is not ``"corpus"``, no ids, or an
                id outside ``[0, V)``.
        """
        if self.config.lexical_vocabulary != "corpus":
            raise ValueError(
                "set_lexical_vocabulary needs lexical_vocabulary='corpus' in the model config; "
                f"this model has {self.config.lexical_vocabulary!r}"
            )
        ids = torch.as_tensor(list(token_ids), dtype=torch.long)
        v = self.lexical_allowed.numel()
        if ids.numel() == 0 or int(ids.min()) < 0 or int(ids.max()) >= v:
            raise ValueError(f"need at least one vocabulary id, all in [0, {v}); got {ids.numel()}")
        allowed = torch.zeros(v, dtype=torch.bool, device=self.lexical_allowed.device)
        allowed[ids.to(allowed.device)] = True
        self.lexical_allowed.copy_(allowed)
        self._lexical_columns = None

    def lexical_columns(self) -> torch.Tensor | None:
        """``(C,)`` int64 ids of a corpus vocabulary (``lexical_vocabulary="corpus"``), else
        None. Lexical logits are computed for these ids only; every other entry is zero."""
        if self.config.lexical_vocabulary != "corpus":
            return None
        # cached while the mask buffers are unchanged (same storage, no in-place write since;
        # set_lexical_vocabulary and moves clear it): torch.nonzero would otherwise wait for
        # the device in every forward pass. Buffers made under inference mode keep no version
        # counter: then nothing is cached.
        buffers = (self.vocab_excluded, self.lexical_allowed)
        if any(b.is_inference() for b in buffers):
            return torch.nonzero(~self.lexical_excluded()).squeeze(1)
        key = tuple((b.device, b.data_ptr(), b._version) for b in buffers)
        if self._lexical_columns is None or self._lexical_columns[0] != key:
            with torch.inference_mode(False):  # a normal tensor, usable by a later backward
                cols = torch.nonzero(~self.lexical_excluded()).squeeze(1)
            self._lexical_columns = (key, cols)
        return self._lexical_columns[1]

    def _apply(self, fn, *args, **kwargs):  # .to(), .cuda(), .half(): new buffers
        self._lexical_columns = None
        return super()._apply(fn, *args, **kwargs)

    def pool_lexical(
        self,
        logits: torch.Tensor,
        mask: torch.Tensor,
        columns: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Masked max over tokens, excluded words out, ``log1p(relu)``: ``(B, V)`` each.

        ``w_j = log(1 + relu(max_i logit_ij))`` over the real tokens ``i``, which equals
        ``max_i log(1 + relu(logit_ij))`` since ``log1p(relu)`` is non-decreasing.

        Args:
            logits: ``(B, L, V)`` float token logits over the vocabulary, or ``(B, L, C)``
                over ``columns`` (scattered back into the vocabulary; max logits of the other
                words are float32's lowest value).
            mask: ``(B, L)`` bool, True for real tokens.
            columns: optional ``(C,)`` int64 vocabulary ids of the logits' last axis (see
                :meth:`lexical_columns`), on the logits' device.

        Returns:
            ``(lexical, max_logits)``, each ``(B, V)`` float32: ``lexical`` non-negative,
            zero for excluded words (:meth:`lexical_excluded`); ``max_logits`` the masked
            max, excluded words and rows without a real token at float32's lowest value.

        Raises:
            ValueError: ``logits`` not 3-D, ``mask`` not ``(B, L)`` or not bool (from
                :func:`~motionlex.core.model.lexical.masked_max_logits`).
            IndexError: from torch, ``C`` is not ``len(columns)`` or an id is out of range.
            RuntimeError: from torch, ``V`` is not the vocabulary size (without ``columns``).

        Source: Formal et al., SPLADE (SIGIR 2021) for the ``log(1 + relu)`` term weights and
        SPLADE v2 (arXiv 2109.10086) for max instead of sum pooling over tokens; applied to
        text and motion tokens by Lyu et al., ICLR 2025, "Methods" and Fig. 2 (the poster
        text in ../shared/papers has no numbered sections or equations).
        """
        return pool_vocabulary(logits, mask, self.lexical_excluded(), columns)

    def top_words(
        self, lexical: torch.Tensor | np.ndarray, k: int = 10
    ) -> list[list[tuple[str, float]]]:
        """The ``k`` heaviest words of ``(V,)`` or ``(B, V)`` lexical vectors.

        Args:
            lexical: lexical vectors over this model's vocabulary (NumPy or torch), or the
                ``TopWords`` of ``encode_motions(..., lexical_top_k=K)`` (its ``values`` and
                ``ids``, ids ascending, become the rows they stand for).
            k: words per vector (>= 1).

        Returns:
            One list per vector (a ``(V,)`` input gives a list of one list) of
            ``(word, weight)`` pairs, heaviest first; zero weights are left out, so a list
            can be shorter than ``k``.

        Raises:
            ValueError: wrong vocabulary size or ``k < 1``.
        """
        if hasattr(lexical, "lexical_rows"):  # a TopWords (core/retrieval/embed.py)
            lexical = lexical.lexical_rows()
        return top_words(lexical, self.vocabulary, k)
