"""Comparing several results in the 3D player: select rows in the results list -> Compare.

The results list allows a multi-row selection; its Compare button (side by side, or overlaid
with the motions after the first translucent) asks :class:`Comparer` to fetch the selected
motions in the worker (one ``compare`` request; a newer one drops an older one) and shows
them on one timeline in the skeleton player
(:meth:`~motionlex.widgets.skeleton_view.SkeletonView.set_motions`), each labelled with its
rank and score. Selecting a single result afterwards, or Esc (:meth:`Comparer.leave`), shows
one motion alone again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot

from motionlex.app.messages import MotionsData
from motionlex.widgets.colors import OVERLAY_TINTS_HEX, overlay_colour_name
from motionlex.widgets.results_list import MAX_COMPARED, MIN_COMPARED
from motionlex.widgets.skeleton_scene import LAYOUTS

if TYPE_CHECKING:
    from motionlex.app.window import MainWindow

logger = logging.getLogger(__name__)

MAX_OVERLAID = 1 + len(OVERLAY_TINTS_HEX)
"""Most motions overlaid at once: the first in body-part colours, then one colour each
(more bodies in one place cannot be told apart)."""


class Comparer(QObject):
    """Shows the results selected in the results list together in the skeleton player.

    Args:
        win: the main window (its results list, worker client, skeleton view, status bar).

    Signals:
        compared(MotionsData): the player shows the compared motions.
    """

    compared = Signal(object)

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self._pending: tuple[int, list[str], list[str], str, str] | None = None
        self.showing = False  # the player shows a comparison (not one motion)
        self.rows: list[int] = []  # the compared gallery rows, #1 first, while showing
        self.first: Any = None  # the first compared motion's MotionData, while showing
        win.results_list.compareRequested.connect(self.compare)
        win.results_list.selectionChanged.connect(self._on_selection)
        win.motionShown.connect(self._on_single_motion)
        win.client.worker.motionsReady.connect(self._on_motions)  # queued: a bound slot
        win.state.events.gallery.connect(self._on_gallery)

    def compare(self, rows: list[int], layout: str = "side") -> bool:
        """Fetch and show results-list rows ``rows`` together (the first ``MAX_COMPARED``).

        Args:
            rows: indices into the shown results (as :meth:`ResultsList.record` takes).
            layout: ``"side"`` (side by side, travelling motions on the spot), ``"paths"``
                (side by side, paths kept) or ``"overlay"``.

        Returns:
            Whether a request was sent (at least two rows; a status text says otherwise).

        Raises:
            ValueError: an unknown layout.
        """
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
        if len(rows) < MIN_COMPARED:
            self.win.statusBar().showMessage("Select two or more results to compare "
                                             "(Ctrl+click or Shift+click).", 5000)
            return False
        if self.win.dialogs.recording:  # the 3D view keeps the recorded motion
            self.win.statusBar().showMessage("A video is being recorded from the 3D view: "
                                             "compare once it is (Esc cancels it).", 5000)
            return False
        if self.win.state.gallery_pending:  # the rows would be read in the opening gallery
            self.win.statusBar().showMessage("Wait for the gallery to open, then compare "
                                             "its results.", 5000)
            return False
        most = MAX_OVERLAID if layout == "overlay" else MAX_COMPARED
        records = [self.win.results_list.record(r) for r in list(rows)[:most]]
        ranks = [f"#{int(r['rank'])}" for r in records]
        labels = [f"{k} {float(r['score']):.3f}" for k, r in zip(ranks, records)]  # as the list
        req = self.win.client.fetch_motions([int(r["row"]) for r in records])
        self.win.state.motion_superseded()  # a single motion on its way must not replace it
        more = f" (the first {most} of {len(rows)})" if len(rows) > most else ""
        self._pending = (req.request_id, ranks, labels, layout, more)
        self.win.statusBar().showMessage(f"Comparing {len(records)} motions{more}…", 5000)
        return True

    def leave(self) -> bool:
        """Leave the comparison (Esc): drop one on its way, show the motion shown before it
        alone.

        Returns:
            Whether there was a comparison to leave.
        """
        win = self.win
        if self._pending is None and not self.showing:
            return False
        self._pending = None
        was_showing, self.showing = self.showing, False
        if was_showing and win.current_motion is not None:
            row = int(win.current_motion.row)
            win.show_gallery_row(row)
            win.results_list.mark_row(win.state.result_position(row))  # it alone selected
        win.statusBar().showMessage("Comparison closed.", 3000)
        return True

    def _on_selection(self, rows: list[int]) -> None:
        """One row left selected of a compared set, the one whose motion was shown before:
        its current row did not change, so show it alone here."""
        win = self.win
        if not self.showing or len(rows) != 1 or win.current_motion is None:
            return
        row = int(win.results_list.record(rows[0])["row"])
        if row == win.current_motion.row:
            win.show_gallery_row(row)

    def _on_gallery(self, _info: object) -> None:
        # a comparison asked or shown before this gallery opened names rows of the old one:
        # leaving it (Esc), describing its first motion or scoring its orders would ask the
        # new gallery for them
        self._pending = None
        self.showing, self.rows, self.first = False, [], None

    def _on_single_motion(self, _data: object) -> None:
        # one motion replaced the comparison in the player (a late signal of a motion shown
        # before the comparison finds it still there): so does its status text
        if self.showing and self.win.skeleton_view.num_motions == 1:
            self.showing = False
            bar = self.win.statusBar()
            if bar.currentMessage().startswith("Comparing "):
                bar.clearMessage()

    @Slot(object)
    def _on_motions(self, data: MotionsData) -> None:
        if self._pending is None or data.request_id != self._pending[0]:
            return  # an older comparison, overtaken
        _, ranks, labels, layout, more = self._pending
        self._pending = None
        win = self.win
        if win.dialogs.recording:  # asked just before a recording started: not over it
            win.statusBar().showMessage("Comparison not shown: a video is being recorded "
                                        "from the 3D view.", 5000)
            return
        view = win.skeleton_view
        view.set_motions([(m.joints, m.bones, m.fps, m.part_of_joint) for m in data.motions],
                         layout=layout, labels=labels)
        view.play()
        # the word panel, the patch image and the chronology panel explain the first
        # compared motion (they kept the motion current before, maybe none of them)
        first = data.motions[0]
        win.show_result_words(first, ranks[0])
        win.patch_view.set_image(first.patches, fps=first.fps)
        win.analysis.request_orders(int(first.row))
        # the scores first, the explanation after them: the status bar's permanent widgets
        # cut a long message before its scores ("… keeps them): #1 0.707, #2 0.69…",
        # GUI audit w38 #7)
        note = ""
        if layout == "side":
            moved = [k for k, m in zip(ranks, view.in_place) if m]
            who = "all" if len(moved) == len(labels) else ", ".join(moved)
            how = "side by side"
            note = (f" ({who} on the spot; their paths: Compare \u203a Side by side, with "
                    "their paths)" if moved else "")
        elif layout == "paths":
            how = "side by side with their paths"
        else:  # say which colour is which motion
            how = "overlaid"
            labels = [f"{label} ({overlay_colour_name(i)})" for i, label in enumerate(labels)]
        self.win.statusBar().showMessage(
            f"Comparing {', '.join(labels)} {how}{more}{note}.", 10000)
        self.showing = True
        self.rows = [int(m.row) for m in data.motions]
        self.first = data.motions[0]
        self.compared.emit(data)
