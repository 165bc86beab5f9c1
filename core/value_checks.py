"""The one test of what counts as an integer and as a number in a checked setting or a read
file (an evaluation's settings, an index manifest): Python's or NumPy's, never a bool; and
the one rounding of the floats motionlex writes as JSON (:func:`rounded`: ``--json``
output, ``metrics.json``, ``val_metrics.json``).

Below every folder of ``core`` (like :mod:`motionlex.core.atomic`), so any of them may use it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

DECIMALS = 6
"""Decimals of every float motionlex writes as JSON (0.6000000000000001 -> 0.6)."""


def is_int(v: object) -> bool:
    """True for a Python ``int`` or a NumPy integer scalar (``np.int64``), False for a bool
    (``True``, ``np.bool_``), a float (even ``2.0``) and anything else."""
    return isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_)


def is_number(v: object) -> bool:
    """True for what :func:`is_int` accepts and for a Python ``float`` or NumPy floating
    scalar (``np.float32``; NaN and inf included: finiteness is the caller's check)."""
    return is_int(v) or isinstance(v, float | np.floating)


def rounded(value: Any, *, nonfinite_to_null: bool = False) -> Any:
    """``value`` with every float (in nested dicts, lists and tuples; NumPy float scalars
    included) rounded to :data:`DECIMALS` (a Python float; ``-0.0`` written as ``0.0``),
    NumPy integer scalars as Python ints, other values (ints, strings, None, NumPy arrays:
    ``.tolist()`` them first) as they are.

    Args:
        value: a JSON-ready value, possibly nested.
        nonfinite_to_null: NaN and infinities become None (JSON's null) at any depth, for
            files that strict JSON readers open; otherwise they stay as they are.
    """
    if is_number(value) and not is_int(value):
        v = float(value)
        if not math.isfinite(v):
            return None if nonfinite_to_null else v
        return round(v, DECIMALS) + 0.0
    if is_int(value):
        return int(value)
    if isinstance(value, dict):
        return {k: rounded(v, nonfinite_to_null=nonfinite_to_null) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v, nonfinite_to_null=nonfinite_to_null) for v in value]
    return value
