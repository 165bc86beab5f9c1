"""The one integer and number test (core/value_checks.py): an evaluation's settings and an
index manifest's checks used two, one of them refusing NumPy's scalars (code review 36 F7)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from motionlex.core.value_checks import is_int, is_number

INTS = [0, -3, 2**70, np.int64(5), np.int32(-1), np.uint8(7)]
FLOATS = [0.5, 2.0, math.nan, math.inf, np.float32(1.5), np.float64(-2.0), np.float16(3)]
NEITHER = [True, False, np.bool_(True), "1", None, [1], 1 + 2j, np.array([1]), np.array(1.0)]


@pytest.mark.parametrize("v", INTS, ids=repr)
def test_ints_are_ints_and_numbers(v):
    assert is_int(v) and is_number(v)


@pytest.mark.parametrize("v", FLOATS, ids=repr)
def test_floats_are_numbers_not_ints(v):
    assert is_number(v) and not is_int(v)


@pytest.mark.parametrize("v", NEITHER, ids=repr)
def test_bools_strings_and_arrays_are_neither(v):
    assert not is_int(v) and not is_number(v)


def test_the_evaluation_settings_and_the_manifest_checks_share_them():
    """An index manifest read from Python with NumPy scalars (a count from ``len`` of an
    array, ``np.int64``) passes the checks an evaluation's settings pass."""
    from motionlex.core.retrieval.eval_config import EvalConfig
    from motionlex.core.retrieval.index_checks import manifest_problems

    assert EvalConfig(seed=np.int64(3), batch_size=np.int32(8)).seed == 3
    manifest = {"count": np.int64(2), "fusion_weight": np.float32(0.5), "files": {}}
    assert not [p for p in manifest_problems(manifest, ()) if "count" in p or "fusion" in p]
    assert any("count" in p for p in manifest_problems({**manifest, "count": True}, ()))
