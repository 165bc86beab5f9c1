"""Describe panel: a motion's nearest captions from the model's caption bank.

Retrieval-based motion captioning, said plainly in the panel: nothing is generated; the
selected motion is compared with every caption the model was trained on and the nearest
ones are listed with their fused, dense and lexical scores and the words that carry the
lexical match, above the motion's heaviest lexical words: with the vocabulary's word groups
set, their forms summed into one word as the lexical evidence panel draws them (one
grouping, :func:`~motionlex.widgets.lexical_groups.drawn_words`). The widget only shows
what it is given; the worker computes the scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from motionlex.widgets.lexical_groups import drawn_words, forms_tip

COLUMNS: tuple[str, ...] = ("caption", "score", "dense", "lexical", "shared words")

MOTION_WORDS_SHOWN = 10
"""The motion's heaviest words listed under the captions."""

EXPLANATION = ("Retrieval-based captioning: the nearest of the captions the model was "
               "trained on, not a generated sentence. Low scores mean nothing in the bank "
               "fits well.")
"""The panel's tooltip: what a description is."""

SHORT_NOTE = "\u2248 retrieved from the training captions, not generated"
"""The panel's one-line note (the full :data:`EXPLANATION` is its tooltip)."""

NARROW_PX = 480
"""Below this panel width only the caption and score columns are shown (the others are in
the caption's tooltip)."""


def _italic(label: QLabel) -> None:
    """Secondary text: italic in the palette's own colour (readable in dark themes too)."""
    font = label.font()
    font.setItalic(True)
    label.setFont(font)


class DescribePanel(QWidget):
    """Nearest bank captions of one motion, with scores and words.

    Signals:
        describeRequested(): the user pressed "Describe".
    """

    describeRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setToolTip(EXPLANATION)
        self._title = QLabel(self)
        self._title.setWordWrap(True)
        self._title.setTextFormat(Qt.TextFormat.PlainText)
        note = QLabel(SHORT_NOTE, self)
        note.setToolTip(EXPLANATION)
        note.setWordWrap(True)
        _italic(note)
        self._button = QPushButton("Describe", self)
        self._button.setToolTip("Describe the selected motion by its nearest training "
                                "captions (retrieval, not generation)")
        self._button.clicked.connect(self.describeRequested)
        self._busy = QProgressBar(self)
        self._busy.setRange(0, 0)
        self._busy.setTextVisible(False)
        self._busy.setMaximumHeight(6)
        policy = self._busy.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self._busy.setSizePolicy(policy)
        self._busy.hide()
        self._table = QTableWidget(0, len(COLUMNS), self)
        self._table.setHorizontalHeaderLabels(list(COLUMNS))
        self._table.verticalHeader().setVisible(False)
        self._table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self._table.setTabKeyNavigation(False)  # Tab leaves the table (rows: arrow keys)
        # the captions are what this panel is for: they wrap (rows as tall as they need)
        self._table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self._table.setWordWrap(True)
        header = self._table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in range(1, len(COLUMNS) - 1):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Interactive)
        self._table.setColumnWidth(len(COLUMNS) - 1, 130)
        header.sectionResized.connect(lambda *_: self._table.resizeRowsToContents())
        self._words = QLabel(self)
        self._words.setWordWrap(True)
        self._words.setTextFormat(Qt.TextFormat.PlainText)
        self._source = QLabel(self)
        self._source.setWordWrap(True)
        self._source.setTextFormat(Qt.TextFormat.PlainText)
        _italic(self._source)
        top = QHBoxLayout()
        top.addWidget(self._title, 1)
        top.addWidget(self._button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(note)
        layout.addWidget(self._busy)
        layout.addWidget(self._table, 1)
        layout.addWidget(self._words)
        layout.addWidget(self._source)
        self._rows: list[dict[str, Any]] = []
        self._motion_words: list[tuple[str, float]] = []
        self._groups: dict[str, str] | None = None
        self._grouped = True
        self.clear()

    # ------------------------------------------------------------------ accessors
    @property
    def table(self) -> QTableWidget:
        """The captions table (best first)."""
        return self._table

    @property
    def describe_button(self) -> QPushButton:
        """The "Describe" button."""
        return self._button

    def shown_captions(self) -> list[str]:
        """The listed captions, best first."""
        return [str(r["caption"]) for r in self._rows]

    def words_text(self) -> str:
        """The motion's-words line."""
        return self._words.text()

    def title_text(self) -> str:
        """The title line."""
        return self._title.text()

    def shown_words(self) -> list[tuple[str, float]]:
        """The motion's words listed, heaviest first (forms summed when grouped)."""
        return list(self._shown_words)

    def set_word_groups(self, groups: Mapping[str, str] | None) -> None:
        """The vocabulary's word groups (form -> word,
        :func:`motionlex.core.text.word_groups.word_groups`), as the lexical evidence panel
        has them; None: none. While grouping is on, the motion's forms of a word are one
        word, their weights summed (six of ten slots were "forward, forwards, walks, walked,
        walking, walk" beside the word panel's "walk, forward, hand", GUI audit w38 #5)."""
        self._groups = dict(groups) if groups else None
        self._show_words()

    def set_grouped(self, on: bool) -> None:
        """Sum a word's forms (True, the default, when groups are set) or list every
        vocabulary word (False): View > Group word forms."""
        self._grouped = bool(on)
        self._show_words()

    def _show_words(self) -> None:
        drawn = drawn_words(self._motion_words, None,
                            self._groups if self._grouped else None, MOTION_WORDS_SHOWN)
        self._shown_words = drawn.pairs
        words = ", ".join(w for w, _ in drawn.pairs)
        self._words.setText(f"Motion's heaviest words: {words}" if words else "")
        self._words.setToolTip("\n".join(f"{w} {v:.3g}{forms_tip(drawn.forms.get(w, ()))}"
                                          for w, v in drawn.pairs))

    # ------------------------------------------------------------------ data
    def set_data(self, title: str, captions: Sequence[Mapping[str, Any]],
                 motion_words: Sequence[tuple[str, float]], source: str = "",
                 bank_size: int = 0, weight: float | None = None, *,
                 ranked_by: str = "fused") -> None:
        """Show a motion's nearest captions.

        Args:
            title: what was described (e.g. ``"motion 42 (no caption)"``).
            captions: dicts with ``caption`` (str), ``score``, ``dense``, ``lexical``
                (floats) and ``words`` (``(word, weight)`` pairs), best first.
            motion_words: the motion's heaviest ``(word, weight)`` pairs, heaviest first
                (the lexical panel's: enough to fill :data:`MOTION_WORDS_SHOWN` words
                with their forms summed).
            source / bank_size: where the bank came from and its size.
            weight: the fusion weight (dense share) of ``score``, shown when given.
            ranked_by: ``"csls"`` when the captions were ranked by their score less half
                their hubness (said under the table), else ``"fused"``.

        Raises:
            ValueError: a caption dict without ``caption`` or with a non-numeric score
                (the message gives the row).
        """
        rows = []
        for i, c in enumerate(captions):
            try:
                rows.append({"caption": str(c["caption"]), "score": float(c["score"]),
                             "dense": float(c.get("dense", c["score"])),
                             "lexical": float(c.get("lexical", 0.0)),
                             "words": [str(w) for w, _ in c.get("words", [])]})
            except (KeyError, TypeError, ValueError) as e:
                raise ValueError(f"captions[{i}]: expected caption and numeric scores, got "
                                 f"{c!r}") from e
        self._rows = rows
        self._title.setText(f"Describe {title}")
        self._title.setToolTip(title)
        self._table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            cells = [row["caption"], f"{row['score']:.3f}", f"{row['dense']:.3f}",
                     f"{row['lexical']:.3f}", ", ".join(row["words"])]
            tip = (f"{row['caption']}\nscore {row['score']:.3f}, dense {row['dense']:.3f}, "
                   f"lexical {row['lexical']:.3f}\nshared words: {', '.join(row['words'])}")
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                if c in (1, 2, 3):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self._table.setItem(r, c, item)
        self._table.resizeRowsToContents()
        self._motion_words = [(str(w), float(v)) for w, v in motion_words]
        self._show_words()
        fused = ("" if weight is None else f"score = {weight:.2f} \u00d7 dense + "
                 f"{1 - weight:.2f} \u00d7 lexical / best lexical")
        bank = f"{bank_size:,} training captions" if source else ""
        csls = "ranked by CSLS" if ranked_by == "csls" else ""
        self._source.setText(" \u00b7 ".join(t for t in (fused, csls, bank) if t))
        self._source.setToolTip(
            (f"{fused} (lexical as a share of the best caption's; the checkpoint's fusion "
             "weight)\n"
             if fused else "")
            + ("ranked by CSLS: the score less half the caption's hubness, its mean score "
               "with its 10 nearest training motions (captions near very many motions go "
               "down)\n" if csls else "")
            + (f"caption bank: {bank_size:,} captions from {source}" if source else ""))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Keep the caption readable: hide the dense, lexical and words columns when
        narrow."""
        super().resizeEvent(event)
        narrow = self.width() < NARROW_PX  # the table is laid out after this event
        for c in (2, 3, 4):
            self._table.setColumnHidden(c, narrow)

    def clear(self, title: str = "the selected motion") -> None:
        """Show an empty panel (press Describe or select a motion)."""
        self._rows = []
        self._table.setRowCount(0)
        self._title.setText(f"Describe {title}")
        self._motion_words = []
        self._show_words()
        self._source.setText("")

    def set_busy(self, busy: bool) -> None:
        """Show (``True``) or hide the busy indicator."""
        self._busy.setVisible(bool(busy))

    def is_busy(self) -> bool:
        """Whether the busy indicator is shown."""
        return not self._busy.isHidden()
