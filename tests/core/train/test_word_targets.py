"""Content-word targets of captions: vocabulary ids, side words kept apart, the cache."""

from __future__ import annotations

import torch

from motionlex.core.model.model import MotionTextModel
from motionlex.core.train.word_targets import CaptionWordIds


def test_side_words_keep_their_own_token(tiny: MotionTextModel) -> None:
    words = CaptionWordIds()
    left, right, empty = words.ids(tiny, ["a person waves the left hand",
                                          "a person waves the right hand", "a person"])
    vocab = tiny.vocabulary
    assert {vocab[i] for i in left} == {"left", "hand", "wave", "waves"}
    assert {vocab[i] for i in right} == {"right", "hand", "wave", "waves"}
    assert empty == ()  # the subject noun is no content word


def test_targets_are_uniform_rows_and_cached(tiny: MotionTextModel) -> None:
    words = CaptionWordIds()
    target = words.targets(tiny, ["someone jumps twice", "a person"])
    assert target.shape == (2, len(tiny.vocabulary))
    torch.testing.assert_close(target[0].sum(), torch.tensor(1.0))
    assert float(target[1].sum()) == 0.0
    assert set(words.cache) == {"someone jumps twice", "a person"}
    words.cache["someone jumps twice"] = (7,)  # a cached caption is not parsed again
    assert words.ids(tiny, ["someone jumps twice"]) == [(7,)]
