"""Lexical evidence: the query's and the selected result's top words, side by side.

The lexical embedding gives every WordPiece of the vocabulary a non-negative weight
(SPLADE form; Lyu et al., ICLR 2025, Sec. 3), so a match can be explained by the words
both sides put weight on. ``LexicalBars`` draws two horizontal bar charts (query left,
result right), each bar scaled to its own side's largest weight with the weight printed,
and marks the words the two sides share (bold, accent colour, a dot). Given which words
are the side's text's own (the query's words, a motion's caption words), the others, the
model's expansions, are drawn in italic grey. Clicking a word emits ``wordClicked(word)``.
Custom painted: no per-row widgets.

The panel is used from the keyboard as an item view is (a current word, the arrows,
Enter or Space to search it): :mod:`~motionlex.widgets.lexical_keys`. Given the model's
word groups (:meth:`LexicalBars.set_word_groups`), the forms of one word ("raised, raises,
raising") are one row, their weights summed (:mod:`~motionlex.widgets.lexical_groups`).

When the rows do not fit the panel's height they first shrink to
:data:`~motionlex.widgets.lexical_geometry.MIN_ROW_PAD_PX` of padding, and then a vertical
scroll bar appears at the right edge (the headings stay put), so no word, shared or not, is
out of reach. Row heights, column widths and the scroll bar are
:mod:`motionlex.widgets.lexical_geometry`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QScrollBar, QSizePolicy, QWidget

from motionlex.widgets.elide import elide_heading, elide_right
from motionlex.widgets.lexical_geometry import (
    ROW_PAD_PX,
    RowScroll,
    column_widths,
    row_metrics,
)
from motionlex.widgets.lexical_groups import GroupedWords, forms_tip
from motionlex.widgets.lexical_keys import KEYS_TIP, WordCursorKeys
from motionlex.widgets.lexical_words import (
    Row,
    RowPainter,
    check_words,
    value_text,
    word_font,
)

logger = logging.getLogger(__name__)

SIDES: tuple[str, ...] = ("query", "result")
"""The two word lists, left to right."""

class LexicalBars(GroupedWords, WordCursorKeys, QWidget):
    """Two bar charts of weighted words with the shared words highlighted.

    Args:
        parent: parent widget.
        max_words: most words drawn per side (the heaviest are kept).

    Signals:
        wordClicked(str): the user clicked a word (on either side), or pressed Enter, Return
            or Space on the current word.

    Raises:
        ValueError: when ``max_words < 1``.
    """

    wordClicked = Signal(str)

    def __init__(self, parent: QWidget | None = None, max_words: int = 20) -> None:
        super().__init__(parent)
        if max_words < 1:
            raise ValueError(f"max_words must be >= 1, got {max_words}")
        self._max_words = int(max_words)
        self._words: dict[str, list[tuple[str, float]]] = {s: [] for s in SIDES}
        self._own: dict[str, frozenset[str] | None] = dict.fromkeys(SIDES)
        self._init_groups(SIDES)  # words as given, drawn grouped by word or not
        self._titles = {"query": "query", "result": "selected result"}
        self._result_id = ""
        self._rows: list[Row] = []
        self._hover: Row | None = None
        self._hint_rows = 1  # rows sizeHint() was last computed for
        self._scroll = RowScroll(self)
        self._scroll.bar.valueChanged.connect(self._on_scrolled)
        self.setMouseTracking(True)
        self._init_keys()  # focus, tips, the current word (lexical_keys)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(240)

    # ------------------------------------------------------------------ data
    def set_query_words(self, words: Sequence[tuple[str, float]],
                        own: Iterable[str] | None = None) -> None:
        """Set the query's words.

        Args:
            words: ``(word, weight)`` pairs, weights >= 0 (lexical weights); any order, the
                heaviest ``max_words`` are drawn, heaviest first.
            own: the words that are the query text's own; the other words are drawn as
                expansions (italic grey). None: not known, nothing marked.

        Raises:
            ValueError: on a pair that is not ``(non-empty str, finite number >= 0)`` or a
                duplicate word (the message gives the index).
        """
        self._set("query", words, own)

    def set_result_words(self, words: Sequence[tuple[str, float]],
                         own: Iterable[str] | None = None) -> None:
        """Set the selected result's words (same rules as :meth:`set_query_words`; ``own``:
        the words of its captions).

        Raises:
            ValueError: as :meth:`set_query_words`.
        """
        self._set("result", words, own)

    def set_titles(self, query: str, result: str, *, result_id: str = "") -> None:
        """Set the two column headings (default ``"query"``, ``"selected result"``); no
        repaint when they are unchanged.

        Args:
            query / result: the headings.
            result_id: the result's motion id, painted after ``result`` (``"result ID"``);
                when the heading does not fit, the id is cut on the left, as the results
                list cuts it (:func:`~motionlex.widgets.elide.elide_heading`), so the
                column still says which motion it is.
        """
        titles = {"query": str(query), "result": str(result)}
        result_id = str(result_id)
        if result_id:
            titles["result"] = f"{titles['result']} {result_id}".strip()
        if titles != self._titles or result_id != self._result_id:
            self._titles, self._result_id = titles, result_id
            self.update(QRect(0, 0, self.width(), self._metrics()[1]))  # the heading row

    def set_query_title(self, query: str) -> None:
        """Set the query column's heading alone (the result's stays); no repaint when it is
        unchanged."""
        if self._titles["query"] != str(query):
            self._titles = {**self._titles, "query": str(query)}
            self.update(QRect(0, 0, self.width(), self._metrics()[1]))  # the heading row

    def clear(self) -> None:
        """Remove both word lists (and the current word)."""
        self._words = {s: [] for s in SIDES}
        self._given = {s: ([], None) for s in self._given}
        self._cursor = None
        self._relayout()

    def _set(self, side: str, words: Sequence[tuple[str, float]],
             own: Iterable[str] | None) -> None:
        self._given[side] = (check_words(words, side), own)
        self._redraw((side,))

    def _word_lists(self) -> dict[str, list[str]]:
        """side -> its drawn words, top to bottom (the columns left to right)."""
        return {s: [w for w, _ in self._words[s]] for s in SIDES}

    def is_expansion(self, side: str, word: str) -> bool:
        """Whether ``word`` on ``side`` is drawn as an expansion (not a word of the side's
        text; False when the side's own words are not known)."""
        own = self._own[side]
        return own is not None and word not in own

    def words(self, side: str) -> list[tuple[str, float]]:
        """The drawn ``(word, weight)`` pairs of ``side`` (``'query'`` or ``'result'``),
        heaviest first.

        Raises:
            ValueError: on an unknown side.
        """
        if side not in SIDES:
            raise ValueError(f"side must be one of {SIDES}, got {side!r}")
        return list(self._words[side])

    def shared_words(self) -> set[str]:
        """Words drawn on both sides (the highlighted ones)."""
        return {w for w, _ in self._words["query"]} & {w for w, _ in self._words["result"]}

    def word_rect(self, side: str, word: str) -> QRect | None:
        """Widget-coordinate rectangle of ``word``'s row on ``side`` (as scrolled: it may lie
        outside the shown rows, see :meth:`is_word_shown`), or ``None`` if absent."""
        row = self._row(side, word)
        return None if row is None else QRect(row.rect)

    def _row(self, side: str, word: str) -> Row | None:
        """``word``'s row on ``side``, or ``None`` when the word is not drawn."""
        return next((r for r in self._rows if r.side == side and r.word == word), None)

    @property
    def scroll_bar(self) -> QScrollBar:
        """The vertical scroll bar (shown only when the rows do not fit)."""
        return self._scroll.bar

    def is_word_shown(self, side: str, word: str) -> bool:
        """Whether ``word``'s row on ``side`` is wholly inside the rows area (not scrolled
        away or below the panel's bottom edge)."""
        rect = self.word_rect(side, word)
        return rect is not None and self._rows_area().contains(rect)

    def scroll_to_word(self, side: str, word: str) -> bool:
        """Scroll so that ``word``'s row on ``side`` is shown; returns whether it is drawn."""
        rect = self.word_rect(side, word)
        if rect is None:
            return False
        self._scroll.reveal(rect, self._rows_area())
        return True

    # ------------------------------------------------------------------ geometry
    def _metrics(self) -> tuple[int, int, int]:
        """``(row_h, header_h, margin)`` for the current height (:func:`row_metrics`)."""
        return row_metrics(self.fontMetrics().height(), self.height(),
                           max(len(v) for v in self._words.values()))

    def _content_height(self) -> int:
        row_h, header_h, margin = self._metrics()
        n = max(len(v) for v in self._words.values())
        return header_h + n * row_h + margin

    def _rows_area(self) -> QRect:
        """Where rows are drawn: below the headings, left of the scroll bar."""
        header_h = self._metrics()[1]
        return QRect(0, header_h, self.width() - self._scroll.width(),
                     max(0, self.height() - header_h))

    def _update_scroll(self) -> None:
        """Show the scroll bar when the rows do not fit and set its range and step."""
        row_h, header_h, _ = self._metrics()
        self._scroll.fit(self._content_height() - self.height(), header_h, row_h)

    def _on_scrolled(self, _value: int) -> None:
        self._relayout(rescroll=False)

    def _bold(self) -> QFont:
        bold = QFont(self.font())
        bold.setBold(True)
        return bold

    def _col_w(self) -> int:
        return max(1, (self.width() - self._scroll.width() - 3 * self._metrics()[2]) // 2)

    def _columns(self, col_w: int) -> tuple[int, int, int]:
        """``(word_w, value_w, dot_w)`` of a column ``col_w`` pixels wide
        (:func:`column_widths`)."""
        return column_widths(col_w, self._words, self.fontMetrics(),
                             QFontMetrics(self._bold()))

    def _relayout(self, rescroll: bool = True) -> None:
        """Row rectangles for the current words, width and scroll position (``rescroll``:
        first refit the scroll bar to the height)."""
        row_h, header_h, margin = self._metrics()
        # the keys' hint in the status bar only with words to click (an empty window showed
        # it as its only message, GUI audit 36 #19)
        self.setStatusTip(KEYS_TIP if any(self._words[s] for s in SIDES) else "")
        if rescroll:
            self._update_scroll()
        top = header_h - self._scroll.bar.value()
        col_w = self._col_w()
        word_w, value_w, dot_w = self._columns(col_w)
        shared = self.shared_words()
        self._rows = []
        for c, side in enumerate(SIDES):
            x = margin + c * (col_w + margin)
            for i, (word, weight) in enumerate(self._words[side]):
                rect = QRect(x, top + i * row_h, col_w, row_h)
                expansion = self.is_expansion(side, word)
                label = elide_right(word, word_font(self.font(), word in shared, expansion),
                                    word_w - dot_w - 8)
                value = value_text(weight) if value_w else ""
                self._rows.append(Row(side, word, weight, rect, label, value, expansion))
        self._hover = None
        rows = max(1, *(len(v) for v in self._words.values()))
        if rows != self._hint_rows:  # the size hint changed: let the layout know, only then
            self._hint_rows = rows  # (a relayout of the window's docks costs a repaint)
            self.updateGeometry()
        self.update()

    def title_text(self, side: str) -> str:
        """The heading painted over ``side``'s column: its title (with the shared-word count
        on the result side), cut to fit as :func:`~motionlex.widgets.elide.elide_heading`
        cuts it (the result's id kept before its name and the count)."""
        return elide_heading(self._titles[side], self._count_text(side),
                             QFontMetrics(self._bold()), self._col_w(),
                             item_id=self._result_id if side == "result" else "")

    def _count_text(self, side: str) -> str:
        n = len(self.shared_words())
        return f"  ({n} shared)" if side == "result" and n else ""

    def _full_title(self, side: str) -> str:
        return self._titles[side] + self._count_text(side)

    def painted_label(self, side: str, word: str) -> str | None:
        """The text painted for ``word``'s row on ``side`` (the word, cut on the right with
        "…" when the word column is too narrow; the dot of a shared word is drawn apart), or
        ``None`` when the word is not drawn."""
        row = self._row(side, word)
        return None if row is None else row.label

    def painted_value(self, side: str, word: str) -> str | None:
        """The weight text painted for ``word``'s row on ``side`` (``""`` when the column is
        too narrow for weights, ``None`` when the word is not drawn)."""
        row = self._row(side, word)
        return None if row is None else row.value

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Recompute row rectangles for the new width."""
        super().resizeEvent(event)
        self._relayout()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Enough height for the longer list at full row height."""
        _, header_h, margin = self._metrics()
        n = max(1, *(len(v) for v in self._words.values()))
        return QSize(420, header_h + n * (self.fontMetrics().height() + ROW_PAD_PX) + margin)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """At least a header and three rows (more scroll)."""
        _, header_h, _ = self._metrics()
        return QSize(240, header_h + 3 * (self.fontMetrics().height() + ROW_PAD_PX))

    def _row_at(self, pos: QPoint) -> Row | None:
        if not self._rows_area().contains(pos):
            return None  # under the headings (rows scrolled up) or on the scroll bar
        for row in self._rows:
            if row.rect.contains(pos):
                return row
        return None

    # ------------------------------------------------------------------ painting
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        """Draw headings, bars, weights and highlights."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        painter.fillRect(self.rect(), pal.base())
        row_h, header_h, margin = self._metrics()
        col_w = self._col_w()
        word_w, value_w, dot_w = self._columns(col_w)
        shared = self.shared_words()
        bold = self._bold()
        text_colour = pal.text().color()
        left_mid = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        for c, side in enumerate(SIDES):
            x = margin + c * (col_w + margin)
            painter.setFont(bold)
            painter.setPen(text_colour)
            painter.drawText(QRect(x, 0, col_w, header_h), left_mid, self.title_text(side))
            if not self._words[side]:
                painter.setFont(self.font())
                painter.setPen(pal.placeholderText().color())
                painter.drawText(QRect(x, header_h, col_w, row_h), left_mid, "(no words)")
        top = {side: max([w for _, w in self._words[side]] or [1.0]) for side in SIDES}
        area = self._rows_area()
        painter.setClipRect(area)  # rows scrolled up pass under the headings
        paint = RowPainter(painter, self.font(), pal, word_w, value_w, dot_w)
        for row in self._rows:
            if row.rect.intersects(area):
                paint(row, row.word in shared, row is self._hover, top[row.side])
        self._paint_cursor(painter, area)
        painter.end()

    # ------------------------------------------------------------------ mouse
    def tooltip_at(self, pos: QPoint) -> str:
        """The tooltip at ``pos``: a row's full word and weight, a heading's full title (the
        painted ones may be cut), or ``""``."""
        row = self._row_at(pos)
        if row is not None:
            shared = " (shared)" if row.word in self.shared_words() else ""
            text = "the query's" if row.side == "query" else "its captions'"
            own = ("" if self._own[row.side] is None else
                   f"; added by the model, not one of {text} words" if row.expansion
                   else f"; one of {text} words")
            forms = forms_tip(self._forms[row.side].get(row.word, ()))
            return f"{row.word}: {row.weight:.4g}{forms}{shared}{own}"
        if 0 <= pos.y() < self._metrics()[1]:
            margin, col_w = self._metrics()[2], self._col_w()
            c = 0 if pos.x() < margin + col_w + margin // 2 else 1
            return self._full_title(SIDES[c])
        return ""

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        """Highlight the row under the mouse; the tooltip shows the full word and weight (or
        the full heading)."""
        pos = event.position().toPoint()
        row = self._row_at(pos)
        self.setToolTip(self.tooltip_at(pos) or KEYS_TIP)
        if row is not self._hover:
            self._hover = row
            if row is None:
                self.unsetCursor()
            else:
                self.setCursor(Qt.CursorShape.PointingHandCursor)
            self.update()
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Drop the hover highlight."""
        self._hover = None
        self.update()
        super().leaveEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        """Scroll the rows (when the scroll bar is shown)."""
        if not self._scroll.wheel(event):
            super().wheelEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        """Emit ``wordClicked`` for a left click on a word's row."""
        if event.button() == Qt.MouseButton.LeftButton:
            row = self._row_at(event.position().toPoint())
            if row is not None:
                self._move_cursor((row.side, row.word))
                self.wordClicked.emit(row.word)
                return
        super().mouseReleaseEvent(event)
