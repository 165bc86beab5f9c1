"""Counts in words, one rule for every message: ``"1 motion"``, ``"1,200 motions"``."""

from __future__ import annotations

__all__ = ["count"]


def count(n: float, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1, with thousands separators.

    Args:
        n: how many (a float count such as ``metrics["n/texts"]`` is read as an int).
        noun: the singular noun (``"motion"``).
        plural: its plural when not ``noun + "s"`` (``"skeletons"`` needs none).

    Returns:
        e.g. ``"1 motion"``, ``"0 motions"``, ``"3,002 motions"``.
    """
    k = int(n)
    return f"{k:,} {noun if k == 1 else (plural or noun + 's')}"
