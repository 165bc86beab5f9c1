"""core/wording.py: ``count(n, noun, plural)``, the one rule for counts in messages."""

from __future__ import annotations

import numpy as np
import pytest

from motionlex.core.wording import count


@pytest.mark.parametrize(("n", "expected"), [
    (0, "0 motions"),
    (1, "1 motion"),
    (2, "2 motions"),
    (999, "999 motions"),
    (1000, "1,000 motions"),
    (3002, "3,002 motions"),
    (1_234_567, "1,234,567 motions"),
])
def test_singular_only_for_one_and_thousands_separated(n, expected):
    assert count(n, "motion") == expected


def test_a_float_count_reads_as_an_int():
    """A metric such as ``metrics["n/texts"]`` is a float: it is counted as the int it holds
    (``int()`` truncates), so ``1.0`` is singular and no decimals are shown."""
    assert count(1.0, "caption") == "1 caption"
    assert count(1200.0, "caption") == "1,200 captions"
    assert count(2.9, "caption") == "2 captions"  # int(2.9) == 2
    assert count(1.5, "caption") == "1 caption"  # int(1.5) == 1
    assert count(np.float32(70.0), "clip") == "70 clips"
    assert count(np.int64(1), "clip") == "1 clip"


def test_irregular_plural_is_used_only_when_not_one():
    assert count(1, "query", "queries") == "1 query"
    assert count(2, "query", "queries") == "2 queries"
    assert count(0, "index", "indexes") == "0 indexes"
    assert count(10_000, "person", "people") == "10,000 people"
    # without a plural the noun takes an "s"; an empty plural counts as none given
    assert count(2, "skeleton") == "2 skeletons"
    assert count(2, "skeleton", "") == "2 skeletons"
