"""Word targets of captions: the vocabulary ids of each caption's content words.

The optional LexCMLP term ``lexical_word_weight`` supervises a motion's (and its caption's)
lexical vector toward the words of its caption (:func:`~motionlex.core.train.losses.word_loss`).
Its target is uniform over the vocabulary ids of the caption's content words (lemmas and
surface forms, spaCy, :func:`motionlex.core.text.words.content_words`). Ids are computed
once per caption string and cached (spaCy runs once per distinct caption, not per step).
Side words keep their own token: "left" and "right" are different WordPieces and different
targets; nothing maps them to one id.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from motionlex.core.model.device import to_device
from motionlex.core.model.model import MotionTextModel
from motionlex.core.text.words import content_words, word_forms


class CaptionWordIds:
    """Cache: caption string -> sorted vocabulary ids of its content words.

    A content word (lemma or form) maps to the vocabulary entry that spells it as a whole
    word. With a corpus vocabulary (``lexical_vocabulary="corpus"``) every allowed entry is
    also reached through its own lemmas (:func:`~motionlex.core.text.words.word_forms`:
    "waving" is a target of a caption saying "waves"); with the full WordPiece vocabulary
    only exact spellings are (lemmatising 30k entries is not worth it). Entries the model
    excludes from lexical vectors are never targets.
    """

    def __init__(self) -> None:
        self.cache: dict[str, tuple[int, ...]] = {}
        self.index: dict[str, set[int]] | None = None

    def _build_index(self, model: MotionTextModel) -> dict[str, set[int]]:
        vocab = model.vocabulary
        allowed = ~model.lexical_excluded().cpu()
        index: dict[str, set[int]] = {}
        cols = model.lexical_columns()
        for i, tok in enumerate(vocab):
            if allowed[i] and tok.isalpha():
                index.setdefault(tok.lower(), set()).add(i)
        if cols is not None:
            for i in cols.tolist():
                if vocab[i].isalpha():
                    for form in word_forms(vocab[i]):
                        index.setdefault(form, set()).add(int(i))
        return index

    def ids(self, model: MotionTextModel, captions: Sequence[str]) -> list[tuple[int, ...]]:
        """Target ids of each caption (an empty tuple when none of its words is in the
        vocabulary); spaCy parses only captions not seen before, in one batch."""
        if self.index is None:
            self.index = self._build_index(model)
        new = sorted({c for c in captions if c not in self.cache})
        for cap, words in zip(new, content_words(new) if new else []):
            found: set[int] = set()
            for w in words:
                found |= self.index.get(w, set())
            self.cache[cap] = tuple(sorted(found))
        return [self.cache[c] for c in captions]

    def targets(self, model: MotionTextModel, captions: Sequence[str]) -> torch.Tensor:
        """``(B, V)`` float32 on the model's device: row ``i`` uniform over caption ``i``'s
        target ids (all zero when it has none)."""
        out = torch.zeros(len(captions), len(model.vocabulary))
        for row, ids in enumerate(self.ids(model, captions)):
            if ids:
                out[row, list(ids)] = 1.0 / len(ids)
        return to_device(out, model.device)
