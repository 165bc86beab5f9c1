"""The one test of what counts as an integer and as a number in a checked setting or a read
file (an evaluation's settings, an index manifest): Python's or NumPy's, never a bool; and
the one rounding of the floats motionlex writes as JSON (:func:`rounded`: ``--json``
output, ``metrics.json``, ``val_metrics.json``).

Below every folder of ``core`` (like :mod:`motionlex.core.atomic`), so any of them may use it.
"""

from __future__ import annotations

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


def rounded(value: Any) -> Any:
    """``value`` with every float (in nested dicts and lists) rounded to :data:`DECIMALS`;
    other values (ints, strings, None) as they are."""
    if isinstance(value, float):
        return round(value, DECIMALS)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v) for v in value]
    return value
