"""Word precision@10 and query word recall: do the lexical bars show the caption's words?

- ``words/precision@10``: for each gallery motion, the share of its 10 heaviest lexical
  words that are content words of its captions (any of them), matched by lemma: a
  vocabulary word counts when one of its forms (:func:`word_forms`) is a content lemma of a
  caption (:func:`content_lemmas`), so "waving" counts for "waves".
- ``words/query_recall@10``: for each distinct caption, the share of its content lemmas
  found among its own 10 heaviest lexical words.
- ``words/motion_recall@10``: for each gallery motion, the share of its captions' content
  lemmas found among its 10 heaviest words, each lemma once. Precision counts every form
  ("raised", "raises", "raising" are three hits of "raise"), so a motion whose bars spend
  their rows on one word's forms scores high there and low here.

``motionlex evaluate`` and validation during training both call :func:`word_report`;
``motionlex words`` prints :func:`word_weights`.
Content lemmas are cached per caption (:func:`content_lemmas`). Needs spaCy's English model.

Source: DESIGN.md "Retrieval protocols" (ours); the arithmetic is
:func:`word_precision_at_k` and :func:`word_recall_at_k`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from motionlex.core.model.lexical import top_words
from motionlex.core.model.types import EncoderModel
from motionlex.core.motion.motion import Motion
from motionlex.core.motion.skeleton import Skeleton
from motionlex.core.patches import PatchStats
from motionlex.core.retrieval.embed import Scorer, encode_motions, encode_texts
from motionlex.core.text.spelling import require_words
from motionlex.core.text.words import content_lemmas, lemma_hits


def word_precision_at_k(top_words: Sequence[Sequence[str]],
                        relevant: Sequence[Collection[str]], k: int = 10) -> float:
    """Mean share of each item's ``k`` heaviest words that are relevant (word precision@k).

    Used with a motion's heaviest lexical words and the content words (by lemma) of its
    captions (word precision@10, DESIGN.md "Retrieval protocols"). An item with fewer than
    ``k`` non-zero words is scored on the words it has; an item with no word scores 0.

    Args:
        top_words: per item, its words heaviest first (already normalised, e.g. lemmas).
        relevant: per item, the words that count as right.
        k: cut-off, ``>= 1``.

    Returns:
        Mean precision in ``[0, 1]``; NaN for no items.

    Raises:
        ValueError: ``k < 1`` or lists of different lengths.
    """
    _check_word_lists(top_words, relevant, k)
    scores = []
    for words, good in zip(top_words, relevant):
        head = list(words)[:k]
        scores.append(sum(w in good for w in head) / len(head) if head else 0.0)
    return float(np.mean(scores)) if scores else float("nan")


def word_recall_at_k(top_words: Sequence[Sequence[str]],
                     relevant: Sequence[Collection[str]], k: int = 10) -> float:
    """Mean share of each item's relevant words found among its ``k`` heaviest words.

    Used with a caption's own heaviest words and its content lemmas (query word recall).
    Items without relevant words are left out.

    Args:
        top_words: per item, its words heaviest first (already normalised, e.g. lemmas).
        relevant: per item, the words it should show.
        k: cut-off, ``>= 1``.

    Returns:
        Mean recall in ``[0, 1]``; NaN when no item has a relevant word.

    Raises:
        ValueError: ``k < 1`` or lists of different lengths.
    """
    _check_word_lists(top_words, relevant, k)
    scores = [len(set(good) & set(list(words)[:k])) / len(set(good))
              for words, good in zip(top_words, relevant) if good]
    return float(np.mean(scores)) if scores else float("nan")


def _check_word_lists(top_words: Sequence, relevant: Sequence, k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be >= 1; got {k}")
    if len(top_words) != len(relevant):
        raise ValueError(f"top_words and relevant must have one entry per item; got "
                         f"{len(top_words)} and {len(relevant)}")


def heaviest_hits(lexical: np.ndarray, vocabulary: Sequence[str],
                  lemmas: Sequence[frozenset[str]], k: int = 10) -> list[list[str]]:
    """Each vector's ``k`` heaviest words, each mapped to the lemma it is a form of or ``""``.

    Args:
        lexical: ``(N, V)`` float32 non-negative lexical vectors.
        vocabulary: the ``V`` tokens in id order (``model.vocabulary``).
        lemmas: per row, the content lemmas the words are matched against.
        k: words per vector (zero weights are never listed).

    Returns:
        ``N`` lists of at most ``k`` strings (:func:`lemma_hits`).

    Raises:
        ValueError: ``V != len(vocabulary)`` or ``k < 1`` (:func:`top_words`).
    """
    if len(lexical) == 0:
        return []
    tops = top_words(np.asarray(lexical, np.float32), vocabulary, k)
    return [lemma_hits([w for w, _ in top], good) for top, good in zip(tops, lemmas)]


def word_report(motion_lexical: np.ndarray, motion_captions: Sequence[Sequence[str]],
                text_lexical: np.ndarray, texts: Sequence[str], vocabulary: Sequence[str],
                k: int = 10) -> dict[str, float]:
    """Word precision@k of motions and query word recall@k of captions.

    Args:
        motion_lexical: ``(M, V)`` float32 lexical vectors of the gallery motions.
        motion_captions: per motion, its captions.
        text_lexical: ``(N, V)`` float32 lexical vectors of ``texts``.
        texts: the captions (duplicates are scored once).
        vocabulary: the ``V`` tokens in id order.
        k: cut-off (10 in the keys' names of the default).

    Returns:
        ``words/precision@k``, ``words/motion_recall@k``, ``words/query_recall@k`` (shares
        in ``[0, 1]``; see the module's docstring) and the counts
        ``words/n_motions``, ``words/n_queries`` (captions with at least one content word).

    Raises:
        ValueError: shape mismatches (:func:`heaviest_hits`, :func:`word_precision_at_k`).
        ImportError: spaCy's English model is missing (:func:`content_lemmas`).
    """
    if len(motion_captions) != len(motion_lexical):
        raise ValueError(f"motion_captions must have one entry per motion ({len(motion_lexical)}),"
                         f" got {len(motion_captions)}")
    relevant = [frozenset().union(*content_lemmas(list(caps))) for caps in motion_captions]
    motion_hits = heaviest_hits(motion_lexical, vocabulary, relevant, k)
    out = {f"words/precision@{k}": word_precision_at_k(motion_hits, relevant, k),
           f"words/motion_recall@{k}": word_recall_at_k(motion_hits, relevant, k)}
    first = {t: i for i, t in reversed(list(enumerate(texts)))}
    uniq = list(first)
    lemmas = content_lemmas(uniq)
    hits = heaviest_hits(np.asarray(text_lexical)[[first[t] for t in uniq]], vocabulary,
                         lemmas, k)
    out[f"words/query_recall@{k}"] = word_recall_at_k(hits, lemmas, k)
    out["words/n_motions"] = float(len(motion_captions))
    out["words/n_queries"] = float(sum(bool(g) for g in lemmas))
    return out


def scorer_word_report(score: Scorer, texts: Sequence[str], owners: np.ndarray,
                       num_motions: int, vocabulary: Sequence[str], k: int = 10
                       ) -> dict[str, float]:
    """:func:`word_report` on the embeddings a :class:`.embed.Scorer` holds.

    Args:
        score: encoded captions (all of ``texts``) and motions (rows ``0 .. num_motions-1``
            are the gallery).
        texts / owners: the gallery captions and ``(N,)`` int motion index of each.
        num_motions: gallery motions.
        vocabulary: the model's vocabulary (``model.vocabulary``).
        k: cut-off.

    Raises:
        ImportError: spaCy's English model is missing.
    """
    captions: list[list[str]] = [[] for _ in range(num_motions)]
    for t, o in zip(texts, owners):
        captions[int(o)].append(t)
    rows = [score.row[t] for t in texts]
    return word_report(score.m.lexical[:num_motions], captions, score.t.lexical[rows], texts,
                       vocabulary, k)


def word_weights(model: EncoderModel, stats: PatchStats | None, *, text: str | None = None,
                 motion: Motion | tuple[np.ndarray, Skeleton] | None = None, k: int = 20,
                 warn_truncated: bool = True) -> list[tuple[str, float, float]]:
    """The ``k`` heaviest lexical words of one caption or one motion (``motionlex words``).

    Encoded through :mod:`.embed` (a motion over its windows, as the index and search do).
    Each word comes with two numbers: its weight in the lexical vector
    (``log(1 + relu(max logit))``) and its share, the weight over the vector's L2 norm (the
    lexical cosine of two vectors is the sum of their shares' products; search keeps a text
    query's 64 heaviest words and an index a motion's 128, each normalised over those, so
    their shares, the explorer's bars, read higher).

    Args:
        model: a ``MotionTextModel`` or ``LiteModel`` (:data:`~.types.EncoderModel`).
        stats: its patch statistics (for a motion; None will do for a text).
        text: a caption; or ``motion``: a :class:`Motion` or a ``(joints (T, J, 3) float32
            metres, skeleton)`` pair, brought to the canonical form as
            :func:`~.embed.encode_motions` does (a pair at its skeleton's joint-file rate).
            Exactly one of the two.
        k: number of words, ``>= 1``.
        warn_truncated: warn of a text longer than the model reads (as
            :func:`~.embed.encode_texts`: it is cut at ``max_text_length`` tokens).

    Returns:
        ``(word, weight, share)`` triples, heaviest first; zero weights are left out.

    Raises:
        ValueError: neither or both of ``text`` and ``motion``, ``k < 1``, or a text
            without words.
    """
    if (text is None) == (motion is None):
        raise ValueError("give exactly one of text and motion")
    emb = (encode_texts(model, [require_words(text)], warn_truncated=warn_truncated)
           if text is not None
           else encode_motions(model, [motion], stats))
    vector = emb.lexical[0]
    norm = float(np.linalg.norm(vector)) or 1.0
    return [(w, v, v / norm) for w, v in top_words(vector, model.vocabulary, k)[0]]
