"""Zero-shot classification metrics on hand-built score matrices."""

from __future__ import annotations

import numpy as np
import pytest

from motionlex.core.retrieval.classification import classification_metrics, confusion_matrix


def test_classification_metrics_and_confusion_matrix() -> None:
    scores = np.array(
        [
            [0.9, 0.1, 0.2, 0.3, 0.4, 0.5],  # label 0 -> rank 1
            [0.9, 0.8, 0.7, 0.6, 0.5, 0.4],  # label 5 -> rank 6
            [0.1, 0.9, 0.8, 0.7, 0.6, 0.5],  # label 4 -> rank 4
            [0.5, 0.5, 0.1, 0.1, 0.1, 0.1],  # label 1, tied with class 0 -> rank 1.5
        ]
    )
    labels = np.array([0, 5, 4, 1])
    # top1 = {row0} = 25 %, top2 = {row0, row3} = 50 %, top5 = {0, 2, 3} = 75 %
    assert classification_metrics(scores, labels) == {"top1": 25.0, "top5": 75.0}
    assert classification_metrics(scores, labels, ks=(2,)) == {"top2": 50.0}
    pred = scores.argmax(axis=1)  # [0, 0, 1, 0]: the tie goes to class 0
    cm = confusion_matrix(pred, labels, 6)
    expected = np.zeros((6, 6), dtype=np.int64)
    expected[0, 0] = expected[5, 0] = expected[4, 1] = expected[1, 0] = 1
    assert cm.dtype == np.int64
    np.testing.assert_array_equal(cm, expected)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: classification_metrics(np.zeros((2, 6)), [0]), r"\(2,\)"),
        (lambda: classification_metrics(np.zeros((2, 6)), [0, 6]), r"\[0, 6\)"),
        (lambda: classification_metrics(np.zeros((2, 3)), [0, 1]), "number of classes"),
        (lambda: confusion_matrix([0], [0], 0), "num_classes"),
        (lambda: confusion_matrix([0, 1], [0], 2), r"\(1,\)"),
        (lambda: confusion_matrix([0, 2], [0, 1], 2), r"\[0, 2\)"),
    ],
)
def test_raises_value_error(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
