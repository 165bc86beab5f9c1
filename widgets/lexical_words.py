"""The word lists of the lexical evidence panel (:mod:`.lexical_bars`): ``(word, weight)``
pairs checked and ordered, weights as painted, and one painted row."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRect


def value_text(weight: float) -> str:
    """A weight as painted after its bar: three decimals (``0.140``, ``2.273``, so a
    column's numbers line up and compare), three significant digits outside [0.001, 10)."""
    return f"{weight:.3f}" if 0.001 <= abs(weight) < 9.9995 else f"{weight:.3g}"


def check_words(words: Sequence[tuple[str, float]], side: str) -> list[tuple[str, float]]:
    """Validate ``(word, weight)`` pairs; return them sorted by weight, heaviest first."""
    out: list[tuple[str, float]] = []
    seen: set[str] = set()
    for i, item in enumerate(words):
        try:
            word, weight = item
        except (TypeError, ValueError) as e:
            raise ValueError(f"{side} words[{i}]: expected (word, weight), got {item!r}") from e
        if not isinstance(word, str) or not word:
            raise ValueError(f"{side} words[{i}]: word must be a non-empty str, got {word!r}")
        try:
            w = float(weight)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{side} words[{i}]: weight must be a number, got {weight!r}") from e
        if not math.isfinite(w) or w < 0:
            raise ValueError(
                f"{side} words[{i}] ({word!r}): weight must be finite and >= 0, got {weight!r}"
            )
        if word in seen:
            raise ValueError(f"{side} words[{i}]: duplicate word {word!r}")
        seen.add(word)
        out.append((word, w))
    out.sort(key=lambda p: -p[1])
    return out


@dataclass(frozen=True)
class Row:
    """One painted row of the panel."""

    side: str
    word: str
    weight: float
    rect: QRect  # the whole row (word, bar and value)
    label: str  # the word as painted (cut on the right with "…" when too long)
    value: str  # the weight as painted
