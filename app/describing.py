"""The analysis tabs' describing (retrieval-based captioning): the Describe tab's requests
and replies, and the gallery's uncaptioned motions shown with their nearest training caption.

A mixin of :class:`motionlex.app.analysis.Analysis` (its signals ``described``,
``galleryDescribed`` and ``_describe``, its panels and the main window ``win``), kept apart so
that each module holds one idea.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from motionlex.app import texts
from motionlex.app.analysis_messages import (
    GENERATED_MARK,
    DescribeRequest,
    DescribeResult,
    GalleryDescriptions,
)
from motionlex.app.jobs import BANK_NOTE_START
from motionlex.app.list_records import gallery_records
from motionlex.core.wording import count

if TYPE_CHECKING:
    from PySide6.QtWidgets import QTabWidget

    from motionlex.app.window import MainWindow
    from motionlex.widgets.chronology_panel import ChronologyPanel
    from motionlex.widgets.describe_panel import DescribePanel


class DescribeActions:
    """Describing for :class:`~motionlex.app.analysis.Analysis`."""

    win: MainWindow
    tabs: QTabWidget
    chronology: ChronologyPanel
    describe_panel: DescribePanel
    described: Any
    galleryDescribed: Any  # noqa: N815 - Analysis's Qt signal
    _describe: Any
    _describe_id: int
    _described_row: int | None
    _generated: dict[int, str]

    def describe_shown(self) -> bool:
        """Whether the Describe tab is on screen."""
        return (self.tabs.currentWidget() is self.describe_panel
                and self.win.car_dock.isVisible())

    def describe_selected(self) -> None:
        """Describe the selected motion, or during a comparison the first compared one (the
        motion the word panel explains; shows the Describe tab)."""
        st = self.win.state
        comparer = self.win.comparer
        row = comparer.rows[0] if comparer.showing and comparer.rows else st.selected_row
        self.win.car_dock.show()
        if row is None or not st.searchable:
            self.describe_panel.clear("the selected motion: select a motion in a searchable "
                                      "gallery first")
            return
        if not st.may_select():  # the row is the old gallery's
            return
        self._describe_id += 1
        st.describe_requested(self._describe_id)
        self.describe_panel.set_busy(True)
        # queued, then declared (as WorkerClient._send): the gallery's background
        # describing that gives way to it finds it queued ahead of its own resumption
        self._describe.emit(DescribeRequest(self._describe_id, int(row)))
        self.win.client.worker.supersede("describe", self._describe_id)
        self.win.car_dock.raise_()
        self.tabs.setCurrentWidget(self.describe_panel)  # busy now: the switch sends nothing

    def _on_describe_visible(self, visible: bool) -> None:
        row = self.win.state.selected_row
        if (visible and row is not None and row != self._described_row
                and not self.describe_panel.is_busy()):
            self.describe_selected()

    def _on_described(self, result: DescribeResult) -> None:
        if result.request_id != self._describe_id or not self.win.state.is_current(result):
            return  # overtaken, or about a row of the gallery open before
        self.describe_panel.set_busy(False)
        self._described_row = result.row
        bar = self.win.statusBar()
        if bar.currentMessage().startswith(BANK_NOTE_START):  # the bank is ready now
            bar.clearMessage()
        gal = self.win.state.gallery
        # the short id, as the lists and the other panels name it ("demo-v1/demo_s078"
        # here, wrapped at its slash, GUI audit w38 #4)
        ident = texts.short_id(gal.ids[result.row]) if gal is not None else str(result.row)
        cap = gal.captions[result.row] if gal is not None else ""
        title = f"motion {ident}: \u201c{cap}\u201d" if cap else f"motion {ident} (no caption)"
        self.describe_panel.set_data(title, result.captions, result.motion_words,
                                     result.bank_source, result.bank_size, result.weight,
                                     ranked_by=result.ranked_by)
        self.described.emit(result)

    def _on_gallery_described(self, result: GalleryDescriptions) -> None:
        win = self.win
        if win.state.gallery is None or result.gallery != win.state.gallery.path:
            return
        self._generated = {int(r): c for r, (c, _s) in result.rows.items()}
        browser = win.gallery_browser
        keep = browser.selected_row()
        browser.blockSignals(True)
        try:
            rows = gallery_records(win.state.gallery)
            for r in rows:
                gen = self._generated.get(int(r["row"]))
                if gen is not None:
                    r["caption"] = GENERATED_MARK + gen
            browser.set_items(rows)
            if keep is not None:
                browser.select_row(keep)
        finally:
            browser.blockSignals(False)
        if win.state.last_result is not None:
            results = win.results_list
            keep = results.selected_rows()  # every selected row: a comparison's too
            results.blockSignals(True)
            try:
                results.set_results(self.result_records(win.state.last_result))
                if keep:
                    results.select_rows(keep)
            finally:
                results.blockSignals(False)
        shown = win.state.selected_row
        if (shown is not None and shown in self._generated and not self._own_caption(shown)
                and self.chronology.source() == "caption"
                and not win.car_panel.caption_edit.text().strip()):  # not over a typed one
            self.request_orders(shown)  # its heading names the nearest caption now
        if result.rows:
            win.statusBar().showMessage(
                f"{count(len(result.rows), 'uncaptioned motion')} described by the nearest "
                f"training caption ({GENERATED_MARK.strip()} = retrieved, not generated)", 8000)
        self.galleryDescribed.emit(result)
