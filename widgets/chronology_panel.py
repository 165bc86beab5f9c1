"""Chronology panel: the query's event orders (or the result caption's) against one motion.

Two views of the same analysis (:class:`~motionlex.widgets.car_panel.CarPanel`) behind a
toggle:

- **Query**: the query's events (split by the same parser as ``motionlex events``), every
  order of them (past 24, the true one and a sample) and, for the selected motion, the
  similarity of each order with the query's own order marked, so a user sees at a glance
  whether the motion matches "raise, then walk" or "walk, then raise".
- **Result caption**: the same for the selected motion's own caption (CAR on one example).

The widget only shows what it is given; the scores come from the worker.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from motionlex.widgets.car_panel import CarPanel
from motionlex.widgets.wrap_label import WrapLabel

SOURCES = ("query", "caption")
"""What the panel analyses: the query's events, or the selected result's caption."""

_TITLES = {"query": "Query orders", "caption": "Result caption"}
_BOX_LABELS = {"query": "Query:", "caption": "Caption:", "typed": "Your text:"}
"""The caption box's label for what the orders show (:meth:`ChronologyPanel.mark_shown`)."""
_TIPS = {"query": "Every order of the query's events, scored against the selected motion",
         "caption": "Every order of the selected motion's own caption's events (CAR)"}


def _mark_checked(button: QToolButton, on: bool) -> None:
    """The chosen view's button in bold: a checked tool button differed from the other by
    a faint grey only."""
    font = button.font()
    font.setBold(on)
    button.setFont(font)


class ChronologyPanel(QWidget):
    """A toggle between the query's and the result caption's event orders, a heading, and
    the orders view.

    Args:
        car_panel: the orders view to show (None: a new :class:`CarPanel`).
        parent: Qt parent.

    Signals:
        sourceChanged(str): the user switched the toggle (``"query"`` or ``"caption"``).
        sourceClicked(str): the user clicked a toggle button, also the one already shown
            (which leaves a caption typed in the panel for that source's orders).
    """

    sourceChanged = Signal(str)
    sourceClicked = Signal(str)

    def __init__(self, car_panel: CarPanel | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.car_panel = car_panel if car_panel is not None else CarPanel(self)
        # no QButtonGroup: Tab skips a group's unpressed buttons ("Result caption" could
        # not be reached from the keyboard); the panel presses one button itself
        self._buttons: dict[str, QToolButton] = {}
        self._bar = QWidget(self)  # off while no motion is analysed (:meth:`set_active`)
        bar = QHBoxLayout(self._bar)
        bar.setContentsMargins(6, 6, 6, 0)
        for source in SOURCES:
            b = QToolButton(self)
            b.setText(_TITLES[source])
            b.setToolTip(_TIPS[source])
            b.setCheckable(True)
            b.setAutoRaise(False)
            self._buttons[source] = b
            bar.addWidget(b)
            b.clicked.connect(lambda _c=False, s=source: self._clicked(s))
            b.toggled.connect(lambda on, b=b: _mark_checked(b, on))
        bar.addStretch(1)
        # its least height is its wrapped height: a plain word-wrapped label's second line
        # was taken from the orders view below it, whose lines then overlapped (audit B #2)
        self._heading = WrapLabel(self)
        self._heading.setContentsMargins(6, 2, 6, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self._bar)
        layout.addWidget(self._heading)
        layout.addWidget(self.car_panel, 1)
        self._source = "caption"
        self.set_source("caption")
        self.set_query_available(False)

    # ------------------------------------------------------------------ state
    def source(self) -> str:
        """``"query"`` or ``"caption"``: what is analysed."""
        return self._source

    def set_source(self, source: str) -> None:
        """Show the query's (``"query"``) or the result caption's orders, without emitting
        ``sourceChanged``.

        Raises:
            ValueError: an unknown source.
        """
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
        self._source = source
        self.mark_shown(source)

    def mark_shown(self, shown: str) -> None:
        """Press the button of what the orders below show (``"query"`` or ``"caption"``),
        or neither for anything else (``"typed"``: a caption typed in the panel, which
        "Result caption" stayed pressed over), without changing :meth:`source`. The caption
        box below is labelled by what it holds ("Query:", "Caption:", "Your text:")."""
        for source, b in self._buttons.items():
            b.setChecked(source == shown)
        self.car_panel.set_box_label(_BOX_LABELS.get(shown, "Caption:"))

    def set_active(self, active: bool) -> None:
        """Turn the toggle on (a motion's orders are shown) or off with neither button
        pressed (no motion: "Result caption" stayed pressed with no gallery open, GUI audit
        w38 #8); the query button's own availability is kept."""
        self._bar.setEnabled(bool(active))
        if not active:
            self.mark_shown("")

    def set_query_available(self, available: bool, reason: str = "") -> None:
        """Enable the query view (a text query is shown) or disable it with a tooltip."""
        b = self._buttons["query"]
        b.setEnabled(bool(available))
        b.setToolTip(_TIPS["query"] if available else (reason or "search a text first"))

    def query_available(self) -> bool:
        """Whether the query view can be chosen."""
        return self._buttons["query"].isEnabled()

    def button(self, source: str) -> QToolButton:
        """The toggle button of ``source``."""
        return self._buttons[source]

    def set_heading(self, text: str, detail: str = "") -> None:
        """The line above the orders (what is compared with which motion); ``detail`` (how
        the orders are scored) goes into its tooltip, keeping the line short for the table."""
        self._heading.setText(text)
        self._heading.setToolTip(text + (f"\n{detail}" if detail else ""))

    def heading(self) -> str:
        """The heading's text."""
        return self._heading.text()

    def _clicked(self, source: str) -> None:
        self.mark_shown(source)  # a click on the pressed button leaves it pressed
        if source != self._source:
            self._source = source
            self.sourceChanged.emit(source)
        self.sourceClicked.emit(source)
