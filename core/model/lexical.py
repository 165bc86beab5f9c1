"""Lexical (vocabulary-space) representations: SPLADE pooling, similarity, top words.

A lexical vector has one non-negative weight per WordPiece of the text encoder's vocabulary,
so every dimension is a word a person can read (../shared/DESIGN.md, "Lexical representation").
Everything here is a pure function on tensors, except :class:`MotionLexicalHead`, the motion
tokens' head onto the text's word embeddings; the text's MLM head lives in
:mod:`motionlex.core.model.text_encoder`.

Sources:
    - SPLADE pooling ``w_j = max_i log(1 + relu(logit_ij))``: Formal et al., "SPLADE v2",
      arXiv 2109.10086, Sec. 2 (eq. 1 with max pooling). The FLOPS regulariser is a training
      loss: :mod:`motionlex.core.train.losses`.
    - Lexicon-bottleneck distribution ``softmax(max_i logit_ij)``: Shen et al., "LexMAE",
      ICLR 2023, Sec. 3.2; Luo et al., "LexLIP", ICCV 2023, Sec. 3.
    - Cosine similarity on lexical vectors for contrastive training: LexLIP reference code
      ``ChiYeungLaw/LexLIP-ICCV23/Phase2/src/modules/objectives.py`` (``compute_contrastive``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from motionlex.core.text.spelling import FUNCTION_WORDS  # its home; the corpus vocabulary uses it

LEXICAL_SIMILARITIES = ("cosine", "dot")
"""Allowed values of ``MotionTextConfig.lexical_similarity``."""

_UNUSED_TOKEN = re.compile(r"^\[unused\d+\]$")
_WHOLE_WORD = re.compile(r"^[a-z][a-z'-]+$")

INFLECTION_PIECES = ("##s", "##es", "##ed", "##d", "##ing")
"""WordPiece pieces that inflect the word piece before them (:func:`corpus_vocabulary`)."""


def _inflects(stem: str, suffix: str) -> bool:
    """Whether ``stem`` + ``suffix`` is the English inflection of ``stem``: three letters or
    more, "-es" only after s, x, z, ch, sh or o ("dashes"; "lunges" is "lunge" + "s", which
    WordPiece splits "lung", "##es"), "-d" only after e."""
    if len(stem) < 3:
        return False
    if suffix == "##es":
        return stem.endswith(("s", "x", "z", "ch", "sh", "o"))
    return suffix != "##d" or stem.endswith("e")


def _check_logits_mask(logits: torch.Tensor, token_mask: torch.Tensor) -> None:
    if logits.dim() != 3:
        raise ValueError(f"token logits must be (B, L, V); got shape {tuple(logits.shape)}")
    if token_mask.shape != logits.shape[:2]:
        raise ValueError(
            f"token_mask must be (B, L) = {tuple(logits.shape[:2])} matching the logits; "
            f"got {tuple(token_mask.shape)}"
        )
    if token_mask.dtype != torch.bool:
        raise ValueError(f"token_mask must be bool (True = real token); got {token_mask.dtype}")


class _MaskedMax(torch.autograd.Function):
    """Max over dim 1 of ``(B, L, V)`` logits with padded tokens left out, keeping only the
    ``(B, V)`` argmax for the backward pass: the gradient goes to the maximising token of
    each word (one scatter), where ``amax`` would keep the masked ``(B, L, V)`` copy and
    rebuild an equality mask over it (several full passes in the backward)."""

    @staticmethod
    def forward(ctx, logits: torch.Tensor, token_mask: torch.Tensor) -> torch.Tensor:
        fill = torch.finfo(logits.dtype).min
        values, argmax = logits.masked_fill(~token_mask.unsqueeze(-1), fill).max(dim=1)
        ctx.save_for_backward(argmax)
        ctx.logits_shape = logits.shape
        return values

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (argmax,) = ctx.saved_tensors
        out = grad.new_zeros(ctx.logits_shape)
        return out.scatter_(1, argmax.unsqueeze(1), grad.unsqueeze(1)), None


def masked_max_logits(logits: torch.Tensor, token_mask: torch.Tensor) -> torch.Tensor:
    """Maximum of each vocabulary logit over the real (unpadded) tokens.

    The gradient of each ``(b, v)`` goes to one maximising real token (the first one where
    several tie), as ``torch.max(dim)`` does; the pass keeps only the ``(B, V)`` argmax for
    the backward (at ViT-B/16 scale the ``(B, L, V)`` logits are the largest tensors of a
    training step).

    Args:
        logits: ``(B, L, V)`` float token logits over the vocabulary.
        token_mask: ``(B, L)`` bool, True for real tokens, False for padding.

    Returns:
        ``(B, V)`` float32. A row with no real token gets float32's lowest value everywhere.

    Raises:
        ValueError: wrong shapes or a non-bool mask.
    """
    _check_logits_mask(logits, token_mask)
    if not logits.is_floating_point():
        logits = logits.float()
    # the max is exact in any float dtype: reduce first, then widen (no (B, L, V) float32 copy)
    pooled = _MaskedMax.apply(logits, token_mask).float()
    return pooled.masked_fill(~token_mask.any(dim=1, keepdim=True), torch.finfo(torch.float32).min)


def pool_vocabulary(logits: torch.Tensor, token_mask: torch.Tensor, excluded: torch.Tensor,
                    columns: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Token logits -> lexical vector: masked max over the real tokens
    (:func:`masked_max_logits`), excluded words out, ``log1p(relu)``.

    Args:
        logits: ``(B, L, V)`` float token logits over the vocabulary, or ``(B, L, C)`` over
            ``columns`` (scattered back into the vocabulary; the max logits of the other
            words are float32's lowest value).
        token_mask: ``(B, L)`` bool, True for real tokens.
        excluded: ``(V,)`` bool, words forced to zero.
        columns: optional ``(C,)`` int64 vocabulary ids of the logits' last axis.

    Returns:
        ``(lexical, max_logits)``, each ``(B, V)`` float32.

    Raises:
        ValueError: as :func:`masked_max_logits`.

    Source: Formal et al., SPLADE (SIGIR 2021) for the ``log(1 + relu)`` term weights and
    SPLADE v2 (arXiv 2109.10086) for max pooling over tokens.
    """
    maxl = masked_max_logits(logits, token_mask)
    low = torch.finfo(maxl.dtype).min
    if columns is not None:
        maxl = maxl.new_full((maxl.shape[0], excluded.shape[0]), low).index_copy(
            1, columns, maxl)
    maxl = maxl.masked_fill(excluded, low)
    return torch.log1p(torch.relu(maxl)), maxl


def lexical_similarity(a: torch.Tensor | np.ndarray, b: torch.Tensor | np.ndarray,
                       mode: str = "cosine") -> torch.Tensor | np.ndarray:
    """Similarity matrix between two sets of lexical vectors.

    ``cosine``: dot product of L2-normalised vectors (the form used for contrastive training
    and retrieval: an inverted index stores the normalised vectors, which stay sparse).
    ``dot``: the raw sparse dot product (SPLADE).

    Args:
        a: ``(N, V)`` non-negative lexical vectors (torch, or NumPy as
            ``encode_texts`` / ``encode_motions`` return them).
        b: ``(M, V)`` non-negative lexical vectors.
        mode: ``"cosine"`` or ``"dot"``.

    Returns:
        ``(N, M)`` float32 similarities: a NumPy array when both inputs are NumPy (as
        ``texts.dense @ motions.dense.T`` is), else a torch tensor (gradients flow).

    Raises:
        ValueError: unknown mode or vocabulary sizes that differ.
    """
    if mode not in LEXICAL_SIMILARITIES:
        raise ValueError(f"lexical similarity must be one of {LEXICAL_SIMILARITIES}; got {mode!r}")
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        with torch.no_grad():
            return lexical_similarity(torch.from_numpy(np.ascontiguousarray(a)),
                                      torch.from_numpy(np.ascontiguousarray(b)), mode).numpy()
    a, b = torch.as_tensor(a), torch.as_tensor(b)
    if a.dim() != 2 or b.dim() != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(
            f"lexical vectors must be (N, V) and (M, V); got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    a, b = a.float(), b.float()
    if mode == "cosine":
        a, b = F.normalize(a, dim=-1), F.normalize(b, dim=-1)
    return a @ b.t()


def excluded_vocabulary_ids(tokens: Sequence[str], special_ids: Sequence[int]) -> list[int]:
    """Vocabulary ids that are not readable words: special tokens and ``[unusedN]`` slots.

    Args:
        tokens: the vocabulary in id order (``tokenizer.convert_ids_to_tokens(range(V))``).
        special_ids: ``tokenizer.all_special_ids`` ([PAD], [CLS], [SEP], [MASK], [UNK]).

    Returns:
        Sorted list of ids to force to zero in lexical vectors.
    """
    out = {int(i) for i in special_ids if 0 <= int(i) < len(tokens)}
    out.update(i for i, tok in enumerate(tokens) if _UNUSED_TOKEN.match(tok))
    return sorted(out)


def corpus_vocabulary(
    texts: Sequence[str],
    tokenizer: Any,
    *,
    min_count: int = 2,
    exclude: frozenset[str] = FUNCTION_WORDS,
    known_inflection: Callable[[str, str], bool] | None = None,
) -> list[int]:
    """Vocabulary ids that occur in a caption corpus: the readable words of a lexical space.

    Every caption is tokenised (WordPiece); an id is kept when it occurs at least
    ``min_count`` times as a complete word (not followed by a ``##`` piece) or as the stem of
    an inflected word that WordPiece splits into it and one inflection piece
    (:data:`INFLECTION_PIECES`: "claps" -> "clap", "##s"; "dashes" -> "dash", "##es"), has two
    or more lower-case letters (no ``##`` pieces, digits, punctuation or special tokens) and is
    not in ``exclude``. Without the stems, "clap" and "dash", actions of the demo gallery and
    of Bandai, had no word (a first piece of a longer word, "cart" of "cartwheel", still is
    none). With ``known_inflection`` (a dictionary's test,
    :func:`motionlex.core.text.words.dictionary_inflection`), a stem and its inflection
    count only when they are a word's inflection: KIT-ML's typos "wals", "stes" and "beeing"
    no longer add the fragments "wal" and "ste" or a "bee". Restricting SPLADE-style vectors to an
    in-domain vocabulary keeps the words a user reads (the explorer's bars) on motion
    language; a motion vector can no longer spend weight on rare sub-words of the 30k
    vocabulary.

    Args:
        texts: captions (e.g. the training captions and a text-only caption corpus).
        tokenizer: a ``transformers`` tokenizer of the lexical vocabulary.
        min_count: minimum number of occurrences, ``>= 1``.
        exclude: words never kept (default :data:`FUNCTION_WORDS`).
        known_inflection: ``(stem, suffix) -> bool`` ("clap", "s"; the suffix without
            ``##``): whether a stem and inflection piece are a word's regular form;
            ``None`` counts every one.

    Returns:
        Sorted list of vocabulary ids.

    Raises:
        ValueError: no texts, ``min_count < 1``, or no id survives the filters.
    """
    if not texts:
        raise ValueError("corpus_vocabulary needs at least one caption")
    if min_count < 1:
        raise ValueError(f"min_count must be >= 1; got {min_count}")
    vocab = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    piece = np.array([t.startswith("##") for t in vocab] + [False])
    counts: dict[int, int] = {}
    inflection = np.array([t in INFLECTION_PIECES for t in vocab] + [False])
    for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"]:
        ends = [*ids[1:], len(vocab), len(vocab)]
        for i, nxt, after in zip(ids, ends, ends[1:]):
            # a complete word, or a stem and one inflection ("clap" "##s"), not the first
            # piece of a longer word
            if not piece[nxt] or (
                inflection[nxt] and not piece[after] and _inflects(vocab[i], vocab[nxt])
                and (known_inflection is None or known_inflection(vocab[i], vocab[nxt][2:]))
            ):
                counts[i] = counts.get(i, 0) + 1
    special = set(getattr(tokenizer, "all_special_ids", ()))
    keep = []
    for i, n in counts.items():
        if n < min_count or i in special:
            continue
        tok = vocab[i]
        if _WHOLE_WORD.match(tok) and tok not in exclude:
            keep.append(int(i))
    if not keep:
        raise ValueError(
            f"no vocabulary word occurs {min_count}+ times in {len(texts)} captions "
            "outside the excluded words"
        )
    return sorted(keep)


def top_words(
    weights: torch.Tensor | np.ndarray, tokens: Sequence[str], k: int = 10
) -> list[list[tuple[str, float]]]:
    """The ``k`` heaviest vocabulary entries of each lexical vector, heaviest first.

    Zero weights are never listed, so a sparse vector may give fewer than ``k`` words.

    Args:
        weights: ``(V,)`` or ``(B, V)`` non-negative lexical weights (tensor or array).
        tokens: the vocabulary in id order, length ``V``.
        k: number of words per vector, ``>= 1``.

    Returns:
        One list of ``(token, weight)`` per vector: ``B`` lists, or one list holding one
        list for a ``(V,)`` input.

    Raises:
        ValueError: ``k < 1``, a tensor that is not 1-D/2-D, or ``V != len(tokens)``.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1; got {k}")
    w = torch.as_tensor(np.asarray(weights) if isinstance(weights, np.ndarray) else weights)
    w = w.detach().float().cpu()
    given = tuple(w.shape)  # the shape as given, for the message (not the (1, V) made of it)
    if w.dim() == 1:
        w = w.unsqueeze(0)
    if w.dim() != 2 or w.shape[1] != len(tokens):
        raise ValueError(
            f"lexical weights must be (V,) or (B, V) with V = {len(tokens)}; got {given}"
        )
    values, ids = torch.topk(w, k=min(k, w.shape[1]), dim=1)
    out: list[list[tuple[str, float]]] = []
    for vals, idx in zip(values.tolist(), ids.tolist()):
        out.append([(tokens[i], float(v)) for v, i in zip(vals, idx) if v > 0.0])
    return out


class MotionLexicalHead(nn.Module):
    """Motion tokens -> text width (Linear, GELU, LayerNorm) -> tied word-embedding decoder:
    the motion side's vocabulary logits, which the lexical pooling turns into a motion's
    lexical representation.

    Args:
        motion_hidden: width ``Hm`` of the motion encoder's tokens.
        text_hidden: width ``Ht`` of the text encoder's word embeddings.
        vocab_size: ``V``, the text vocabulary's size (the bias has one entry per word).

    Source: Lyu et al., ICLR 2025, "Methods" and Fig. 2 (a vocabulary head on the motion
    tokens as on the text tokens); the layout is BERT's MLM head
    (``BertPredictionHeadTransform``); the decoder is the text encoder's word-embedding
    matrix, passed in at call time so it is stored only once.
    """

    def __init__(self, motion_hidden: int, text_hidden: int, vocab_size: int) -> None:
        super().__init__()
        self.dense = nn.Linear(motion_hidden, text_hidden)
        self.norm = nn.LayerNorm(text_hidden, eps=1e-12)
        self.bias = nn.Parameter(torch.zeros(vocab_size))

    def forward(
        self,
        tokens: torch.Tensor,
        word_embeddings: torch.Tensor,
        columns: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``tokens (B, P, Hm)``, ``word_embeddings (V, Ht)`` -> logits ``(B, P, V)``, or
        ``(B, P, C)`` for the vocabulary ids ``columns (C,)`` (int64) only; in the tokens'
        dtype (float32, or bf16/fp16 under autocast).

        Raises:
            RuntimeError: (torch) widths that do not match ``Hm`` / ``Ht``."""
        h = self.norm(F.gelu(self.dense(tokens)))
        weight, bias = word_embeddings, self.bias
        if columns is not None:
            weight, bias = weight[columns], bias[columns]
        return F.linear(h, weight.to(h.dtype), bias.to(h.dtype))
