"""The explorer window's results: a ranking shown in the results list, the views following
its first result (the one the results filter shows, also when the filter changes), and both
lists marking the motion shown.

A mixin of :class:`motionlex.app.window.MainWindow` (its ``results_list``, ``gallery_browser``
and the other views are built by :mod:`motionlex.app.ui`); which result is selected is decided
by :class:`~motionlex.app.state.ExplorerState` (``results_take_selection``,
``results_hidden``, ``result_position``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from motionlex.app import texts

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDockWidget, QLabel, QWidget

    from motionlex.app.analysis import Analysis
    from motionlex.app.compare import Comparer
    from motionlex.app.dialogs import Dialogs
    from motionlex.app.messages import RankResult
    from motionlex.app.stager import Stager
    from motionlex.app.state import ExplorerState
    from motionlex.widgets.lexical_bars import LexicalBars
    from motionlex.widgets.patch_view import PatchView
    from motionlex.widgets.results_list import GalleryBrowser, ResultsList
    from motionlex.widgets.skeleton_view import SkeletonView


class ResultsShown:
    """The results list for :class:`~motionlex.app.window.MainWindow` (attributes ``state``,
    ``analysis``, the lists and views, ``_ranked_stage``, the ``resultsShown`` signal and
    ``_update_enabled``)."""

    state: ExplorerState
    analysis: Analysis
    comparer: Comparer
    dialogs: Dialogs
    results_list: ResultsList
    gallery_browser: GalleryBrowser
    results_dock: QDockWidget
    lexical_bars: LexicalBars
    skeleton_view: SkeletonView
    patch_view: PatchView
    latency_label: QLabel
    _ranked_stage: Stager

    def _show_results(self, result: RankResult) -> None:
        if self.state.last_latency_ms is not None:
            self.latency_label.setText(f"last query {self.state.last_latency_ms:.0f} ms")
            self.latency_label.setToolTip(
                f"{self.state.last_latency_ms:.0f} ms end to end (from sending the query to "
                f"its results); the worker took {result.seconds * 1000:.1f} ms to embed it "
                f"and rank {result.total:,} motions ({result.mode})")
        # the title first: the columns are fitted to their headers with the rows
        self.results_list.model.set_title("score", *texts.score_header(result.order_weight,
                                                                      result.mode))
        self.results_list.set_results(self.analysis.result_records(result))
        self.analysis.results_shown(result)
        take = self.state.results_take_selection  # not over a motion picked meanwhile
        if take:
            self.results_dock.raise_()
        label = self.state.query_label

        def show_query_words() -> None:
            self.lexical_bars.set_query_words(result.query_words, result.query_own)
            self.lexical_bars.set_titles(label, "selected result")

        self._ranked_stage.run([show_query_words])
        self.resultsShown.emit(result)
        asked = self.state.latest("orders")
        shown = self.results_list.visible_rows()  # the results filter may hide the first
        if result.hits and take and shown:
            self.results_list.select_row(shown[0])
        elif result.hits and take:  # it hides them all: the views follow the empty list
            self._show_no_motion(self.state.results_hidden(len(result.hits),
                                                           self.results_list.filter_edit.text()))
        elif self.state.selected_row is not None:
            self._mark_shown(self.state.selected_row)
        if self.state.latest("orders") == asked:  # no result selected (a motion picked
            # meanwhile stays): the chronology panel follows the new query for its row
            self.analysis.request_orders()

    def _on_results_filtered(self, text: str) -> None:
        """The results filter changed: a motion shown that it hides gives way to the first
        result it lists, or to nothing, with the reason (as for a new ranking). A motion
        chosen in the gallery list, a comparison and a recording keep their motions."""
        if self.comparer.showing or self.dialogs.recording:
            return
        listed = self.results_list.visible_rows()
        follow = self.state.filtered(listed)
        if follow == "first":
            self.results_list.select_row(listed[0])
        elif follow == "none":
            self._show_no_motion(self.state.results_hidden(len(self.state.last_result.hits),
                                                           text))

    def _show_no_motion(self, why: str) -> None:
        """Every view empty, the chronology panel saying ``why`` (the results filter hid
        every result: they kept showing a motion the list no longer held)."""
        self.skeleton_view.clear()
        self.patch_view.clear()
        self.lexical_bars.set_result_words([])
        self.gallery_browser.mark_row(None)
        self.analysis.motion_cleared(why)
        self._update_enabled()

    def _mark_shown(self, row: int, clicked: QWidget | None = None) -> None:
        """Both lists highlight gallery row ``row``, the motion shown (the results list
        nothing when it does not hold it), so no tab keeps a stale highlight; the list the
        user clicked is left as it is (its selection may hold more rows, to compare)."""
        if clicked is not self.gallery_browser:
            self.gallery_browser.mark_row(row)
        hit = self.state.result_position(row)
        if clicked is not self.results_list and (
                hit is None or hit not in self.results_list.selected_rows()):
            self.results_list.mark_row(hit)
