"""The word lists of the lexical evidence panel (:mod:`.lexical_bars`): ``(word, weight)``
pairs checked and ordered, weights as painted, and one painted row (:class:`RowPainter`)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette

from motionlex.widgets.colors import ACCENT_HEX

PLAIN_BAR_HEX = "#8FA7BF"
"""Neutral grey-blue of the bars of words only one side has (shared: the accent)."""


def value_text(weight: float) -> str:
    """A weight as painted after its bar: three decimals (``0.140``, ``2.273``, so a
    column's numbers line up and compare), three significant digits outside [0.001, 10)."""
    return f"{weight:.3f}" if 0.001 <= abs(weight) < 9.9995 else f"{weight:.3g}"


def check_words(words: Sequence[tuple[str, float]], side: str) -> list[tuple[str, float]]:
    """Validate ``(word, weight)`` pairs; return them sorted by weight, heaviest first."""
    out: list[tuple[str, float]] = []
    seen: set[str] = set()
    for i, item in enumerate(words):
        if isinstance(item, (str, bytes)) or not isinstance(item, Sequence) or len(item) != 2:
            raise ValueError(f"{side} words[{i}]: expected (word, weight), got {item!r}")
        word, weight = item
        if not isinstance(word, str) or not word:
            raise ValueError(f"{side} words[{i}]: word must be a non-empty str, got {word!r}")
        if isinstance(weight, (str, bytes, bool)) or not isinstance(weight, numbers.Real):
            raise ValueError(f"{side} words[{i}]: weight must be a number, got {weight!r}")
        w = float(weight)
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
    expansion: bool = False  # not a word of its side's text: added by the model (italic)


def word_font(base: QFont, shared: bool, expansion: bool) -> QFont:
    """The font of a word: bold when both sides have it, italic when it is an expansion
    (not a word of its side's text), else ``base``."""
    font = QFont(base)
    font.setBold(shared)
    font.setItalic(expansion and not shared)
    return font


@dataclass
class RowPainter:
    """Paints rows of the panel: word (right-aligned against its bar; a shared word bold on
    an accent background with a dot left of it, so the highlight is not colour-only; an
    expansion italic and grey), bar scaled to its side's heaviest weight, weight."""

    painter: QPainter
    font: QFont
    palette: QPalette
    word_w: int
    value_w: int
    dot_w: int

    def __call__(self, row: Row, shared: bool, hovered: bool, top: float) -> None:
        """Paint ``row`` (``top``: its side's heaviest weight)."""
        p, r, pal = self.painter, row.rect, self.palette
        accent, text = QColor(ACCENT_HEX), pal.text().color()
        if shared:
            bg = QColor(accent)
            bg.setAlpha(40)
            p.fillRect(r, bg)
        if hovered:
            p.fillRect(r, pal.highlight().color().lighter(170))
        font = word_font(self.font, shared, row.expansion)
        p.setFont(font)
        p.setPen(pal.placeholderText().color() if row.expansion else text)
        word_rect = QRect(r.left() + self.dot_w, r.top(), self.word_w - self.dot_w - 8,
                          r.height())
        p.drawText(word_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                   row.label)
        if shared:
            fm = QFontMetrics(font)
            d = max(4, fm.height() // 3)
            text_left = word_rect.right() + 1 - fm.horizontalAdvance(row.label)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(text)
            p.drawEllipse(QRect(max(r.left() + 2, text_left - d - 4),
                                r.top() + (r.height() - d) // 2, d, d))
            p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(text)
        bar_x = r.left() + self.word_w
        # without weights the bar may run to the column's end (the margin follows)
        bar_max = max(1, r.width() - self.word_w - (self.value_w + 4 if self.value_w else 0))
        frac = row.weight / top if top > 0 else 0.0
        bar_w = max(1, int(round(frac * bar_max))) if row.weight > 0 else 0
        p.fillRect(QRect(bar_x, r.top() + 3, bar_w, r.height() - 6),
                   accent if shared else QColor(PLAIN_BAR_HEX))
        if row.value:
            p.setFont(self.font)
            p.drawText(QRect(bar_x + bar_w + 4, r.top(), self.value_w, r.height()),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, row.value)
