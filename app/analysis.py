"""The explorer's analysis of the selected motion: event-order chronology and descriptions.

:class:`Analysis` builds and drives two panels of the main window:

Both are tabs of the window's chronology dock (``car_dock``).

- **Chronology**: :class:`~motionlex.widgets.chronology_panel.ChronologyPanel` around the
  window's :class:`~motionlex.widgets.car_panel.CarPanel`. Its toggle shows either the
  query's event orders scored against the selected motion (the default after a text query)
  or the selected motion's own caption's orders (CAR on one example).
- **Describe**: :class:`~motionlex.widgets.describe_panel.DescribePanel`, the selected
  motion's nearest captions of the model's caption bank (retrieval-based captioning). An
  open gallery's uncaptioned motions get their best description in the gallery and results
  lists, marked as retrieved ("≈ a person waves").

The Describe tab's requests and replies are :class:`~motionlex.app.describing.DescribeActions`
(a mixin). It also holds the "order-aware ranking" option of multi-event queries
(:mod:`motionlex.core.retrieval.order_ranking`; off by default: plain ranking measured better
on R@1, docs/chronology-ranking.md). All scores come from the worker
(:class:`~motionlex.app.worker.RankWorker`); this module only sends requests and shows
results, dropping those overtaken by a newer request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFrame, QScrollArea, QTabWidget, QToolBar

from motionlex.app import settings as cfg
from motionlex.app import texts
from motionlex.app.analysis_messages import GENERATED_MARK
from motionlex.app.describing import DescribeActions
from motionlex.app.layout_keepers import OrdersFit
from motionlex.app.list_records import gallery_records, result_records
from motionlex.app.messages import GalleryInfo, OrdersResult, RankResult
from motionlex.core.text.spelling import require_words
from motionlex.widgets.chronology_panel import ChronologyPanel
from motionlex.widgets.describe_panel import EXPLANATION, DescribePanel

if TYPE_CHECKING:
    from motionlex.app.window import MainWindow
    from motionlex.widgets.record_columns import ColumnRows

ORDER_ALPHA = 1.0
"""Margin weight of order-aware ranking when the option is on."""

KEY_ORDER_AWARE = "search/order_aware"
"""Settings key of the order-aware ranking option."""

MIN_WIDTH = 220
"""Narrowest the chronology / describe dock gets, pixels: its buttons and tables still fit,
and the window fits 800 px (at 340 px, with the 3D view and the word dock, it could not be
narrower than 1017 px)."""

DEFAULT_WIDTH = 560
"""Widest the left docks start (at the first start: 2/7 of the window, at least
``MIN_WIDTH``), pixels."""


class Analysis(DescribeActions, QObject):
    """Chronology and describe tabs of a :class:`MainWindow`, and their worker requests.

    Builds the tabs at once (after the window's docks) and the actions with
    :meth:`build_actions` (after the toolbar and menus).

    Signals:
        described(DescribeResult): a description was shown.
        galleryDescribed(GalleryDescriptions): uncaptioned rows got their descriptions.
    """

    described = Signal(object)
    galleryDescribed = Signal(object)
    _describe = Signal(object)
    _describeGallery = Signal()
    _orderAlpha = Signal(float)

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        worker = win.client.worker
        self._describe.connect(worker.describe)
        self._describeGallery.connect(worker.describe_gallery)
        self._orderAlpha.connect(worker.set_order_alpha)
        self._describe_id = 0
        # the row the chronology panel analyses (its newest orders request): the selected
        # row, or during a comparison the first compared one; a typed caption is scored
        # against it, and the source buttons ask again for it
        self._panel_row: int | None = None
        # the newest orders request and what it scores, said when it is asked (a reply
        # arriving after another query was ranked is still labelled by what it scored):
        # "query", "typed" (a caption typed in the panel) or "caption" (the motion's own)
        self._orders_asked: tuple[int, str] = (0, "caption")
        self._orders_error = ""  # why the last orders job failed (the panel says it)
        self._generated: dict[int, str] = {}  # uncaptioned gallery row -> description
        self._described_row: int | None = None  # the row the describe panel shows
        # the uncaptioned rows are described once the new gallery's first motion is shown:
        # the worker runs jobs in order, and preparing a caption bank takes seconds
        self._describe_when_shown = False
        self._typed: str | None = None  # a caption typed in the panel: scored against every
        # motion selected next, until cleared, a source button is clicked, another query
        # runs or another gallery opens (the same query ranked again in another mode keeps it)
        self._typed_query = ""  # the query shown when it was typed
        win.motionShown.connect(self._after_motion_shown)
        self.orders_fit = OrdersFit(win)  # the dock no higher than the query's orders need
        self.chronology = ChronologyPanel(win.car_panel, win)
        self.chronology.set_active(False)  # no motion yet
        self.describe_panel = DescribePanel(win)
        # one dock, two tabs: tabifying a second dock before the window is shown leaves a
        # stale duplicate tab bar on screen (Qt 6, reproduced without motionlex)
        self.tabs = QTabWidget(win)
        self.tabs.setObjectName("analysis_tabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.chronology, "Chronology")
        self.tabs.addTab(self.describe_panel, "Describe")
        self.tabs.setTabToolTip(1, EXPLANATION)
        self.tabs.setMinimumWidth(MIN_WIDTH)
        # in a scroll area: long captions and many events scroll inside the dock, and the
        # dock's minimum height never grows the window or squeezes the results list
        scroll = QScrollArea(win)
        scroll.setObjectName("analysis_scroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.tabs)
        # scrolls down only: the dock is never narrower than the panels need
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(MIN_WIDTH + scroll.verticalScrollBar().sizeHint().width())
        win.car_dock.setWidget(scroll)
        win.car_dock.setWindowTitle("Chronology and description")
        if win.settings.value(cfg.KEY_STATE) is None:  # first start: room for the tables
            QTimer.singleShot(0, self.default_sizes)
        self.chronology.sourceClicked.connect(self._on_source_clicked)
        self.describe_panel.describeRequested.connect(self.describe_selected)
        self.tabs.currentChanged.connect(lambda _i: self._on_describe_visible(
            self.tabs.currentWidget() is self.describe_panel))
        self.tabs.currentChanged.connect(lambda _i: self.orders_fit.tab_shown(
            self.tabs.currentWidget() is self.chronology))  # Describe needs its rows
        win.car_panel.captionEdited.connect(self._on_caption_edited)
        worker.ordersReady.connect(self._on_orders)
        worker.described.connect(self._on_described)
        worker.galleryDescribed.connect(self._on_gallery_described)
        worker.requestUnanswered.connect(self._on_unanswered)
        worker.jobFailed.connect(self._on_job_failed)

    def default_sizes(self) -> None:
        """The panel's share of the window at first start and on View > Reset layout: a
        width for its tables, and half of the left column's height (the results list had
        2/5, 12 rows at 1440x900, while a one-event query left the panel mostly empty; a
        short panel keeps the query's order row in view, :mod:`widgets.car_panel`)."""
        win = self.win
        self.orders_fit.reset()
        width = max(MIN_WIDTH, min(DEFAULT_WIDTH, win.width() * 2 // 7))
        win.resizeDocks([win.car_dock], [width], Qt.Orientation.Horizontal)
        h = max(400, win.height() - 120)
        win.resizeDocks([win.results_dock, win.car_dock], [h // 2, h - h // 2],
                        Qt.Orientation.Vertical)

    def build_actions(self) -> None:
        """The "Order-aware ranking" option and the "Describe" action, in the query
        toolbar and the Search menu."""
        win = self.win
        self.act_order = QAction("Order-aware ranking", win)
        self.act_order.setCheckable(True)
        self.act_order.setToolTip(
            "Rank multi-event queries by how much each motion prefers the query's event "
            "order to the other orders (raises the chronology test's pair accuracy, lowers "
            "R@1: a motion that shows only one of the events can then rank high; "
            "docs/chronology-ranking.md)")
        on = str(win.settings.value(KEY_ORDER_AWARE, "false")).lower() in ("true", "1")
        self.act_order.setChecked(on)
        if on:
            self._orderAlpha.emit(ORDER_ALPHA)
        self.act_order.toggled.connect(self._on_order_toggled)
        self.act_describe = QAction("&Describe motion", win)
        self.act_describe.setShortcut(QKeySequence("Ctrl+D"))
        self.act_describe.setToolTip("Describe the selected motion by its nearest training "
                                     "captions (retrieval-based captioning)")
        self.act_describe.setIconText("Describe")
        self.act_describe.triggered.connect(lambda _c=False: self.describe_selected())
        win.addAction(self.act_describe)
        panel = self.describe_panel  # its words grouped as the word panel's (one option)
        panel.set_grouped(win.act_group_words.isChecked())
        win.act_group_words.toggled.connect(panel.set_grouped)
        win.state.events.model.connect(lambda info: panel.set_word_groups(info.word_groups))
        tb = win.findChild(QToolBar, "toolbar_query")
        if tb is not None:
            tb.addAction(self.act_order)
            tb.addAction(self.act_describe)
        for act in win.menuBar().actions():
            if act.menu() is not None and act.text().replace("&", "") == "Search":
                act.menu().addSeparator()
                act.menu().addAction(self.act_order)
                act.menu().addAction(self.act_describe)

    # ------------------------------------------------------------------ records
    def gallery_opened(self, info: GalleryInfo) -> ColumnRows:
        """A gallery was opened: forget old descriptions, ask for the uncaptioned rows'
        ones (after its first motion is shown), clear the panels.

        Returns:
            The gallery browser's rows, as the gallery's columns.
        """
        self._generated, self._described_row = {}, None
        self._typed = None
        self._panel_row = None  # replies still on their way name the old gallery's rows
        self.win.car_panel.set_busy(False)  # (the state drops them)
        self.describe_panel.set_busy(False)
        self.describe_panel.clear()
        self.chronology.set_query_available(False)
        self._describe_when_shown = info.searchable and not all(info.captions)
        return gallery_records(info)

    def _after_motion_shown(self, _data: object) -> None:
        if self._describe_when_shown:
            self._describe_when_shown = False
            self._describeGallery.emit()

    def result_records(self, result: RankResult) -> list[dict[str, Any]]:
        """Rows for the results list, an uncaptioned motion showing its description."""
        rows = result_records(result)
        for r in rows:
            if not r.get("caption") or not self._generated:
                continue
            gen = self._generated.get(int(r["row"]))
            if gen is not None and str(r["caption"]).startswith("[no caption]"):
                r["caption"] = GENERATED_MARK + gen
        return rows

    def results_shown(self, result: RankResult) -> None:
        """A ranking was shown: a text query switches the chronology panel to its orders."""
        text = bool(result.text)
        if not result.text or result.text != self._typed_query:  # another query (not the
            self._typed = None  # same text re-ranked; a motion or item query always is)
        self.chronology.set_query_available(text, "" if text else
                                            "a motion query has no events to reorder")
        self.chronology.set_source("query" if text else "caption")

    def generated(self, row: int) -> str | None:
        """The description of an uncaptioned gallery row, when found."""
        return self._generated.get(int(row))

    # ------------------------------------------------------------------ chronology
    def motion_selected(self, row: int) -> None:
        """A gallery row was selected: score its orders (and describe it if shown)."""
        self.request_orders(row)
        if self.describe_shown():
            self.describe_selected()

    @property
    def panel_row(self) -> int | None:
        """The gallery row the chronology panel analyses (None: none yet)."""
        return self._panel_row

    def request_orders(self, row: int | None = None) -> None:
        """Ask for the event orders of the chosen source (query or caption) for ``row``
        (None: the row the panel analyses, else the selected row)."""
        st = self.win.state
        if row is None:
            row = self._panel_row if self._panel_row is not None else st.selected_row
        if row is None or not st.searchable or st.gallery_pending:
            return
        query = st.last_result.text if st.last_result is not None else ""
        caption = query if self.chronology.source() == "query" and query else None
        if self._typed:
            caption = self._typed
        self._send_orders(row, caption)

    def _send_orders(self, row: int, caption: str | None) -> None:
        """Ask for ``caption``'s event orders (None: the motion's own) against ``row``,
        remembering the row and what the reply will show."""
        st = self.win.state
        query = st.last_result.text if st.last_result is not None else ""
        if self.chronology.source() == "query" and query and caption == query:
            kind = "query"
        elif caption and caption not in (query, self._own_caption(row)):
            kind = "typed"
        else:
            kind = "caption"
        self._panel_row = int(row)
        self._orders_error = ""
        self.win.car_panel.set_busy(True)
        request_id = self.win.client.score_orders(row, caption).request_id
        st.orders_requested(request_id)
        self._orders_asked = (request_id, kind)

    def _on_orders(self, result: OrdersResult) -> None:
        st = self.win.state
        if not st.is_current(result):
            return
        panel = self.win.car_panel
        panel.set_busy(False)
        ident = (texts.short_id(st.gallery.ids[result.row]) if st.gallery is not None
                 else str(result.row))  # no gallery folder, as everywhere else (audit 36 #20)
        asked_id, kind = self._orders_asked  # labelled by what was asked, not by the query
        if asked_id != result.request_id:  # not asked by this panel: its own caption
            kind = "caption"
        self.chronology.set_active(True)
        self.chronology.mark_shown(kind)  # the toggle says what is shown ("typed": neither)
        if kind == "query":
            # each order is written as its events joined by ", then " (so the orders compare
            # fairly): the query's own row is that rewrite, not the results list's score
            self.chronology.set_heading(
                f"Orders of the query's events against motion {ident}",
                "Each order is scored as its events joined by \", then \" (dense cosine), so "
                "the query's own order may score other than in the results list.")
            panel.set_caption_visible(False)  # the query box shows it
            panel.set_data(result.caption, result.events, result.orders, order_name="query")
            QTimer.singleShot(0, self.orders_fit.fit)  # once its rows are fitted
        elif kind == "typed":
            self.chronology.set_heading(f"Your caption's events against motion {ident}")
            panel.set_caption_visible(True)
            panel.set_data(result.caption, result.events, result.orders,
                           order_name="your caption")
        else:
            gen = self._generated.get(result.row)
            if gen and not result.caption:
                self.chronology.set_heading(
                    f"Motion {ident} has no caption; its nearest training caption "
                    f"(retrieved, not generated): {GENERATED_MARK}{gen.rstrip(' .')}")
            else:
                self.chronology.set_heading(f"Caption of motion {ident}")
            panel.set_caption_visible(True)
            panel.set_data(result.caption, result.events, result.orders)
        self.win.ordersShown.emit(result)

    def motion_cleared(self, why: str) -> None:
        """No motion is shown (:meth:`ExplorerState.results_hidden
        <motionlex.app.state.ExplorerState.results_hidden>`): both panels empty, the
        chronology heading saying ``why``."""
        self._panel_row = self._described_row = None
        self.win.car_panel.set_busy(False)
        self.win.car_panel.clear()
        self.chronology.set_active(False)
        self.chronology.set_heading(why)
        self.describe_panel.set_busy(False)
        self.describe_panel.clear()

    def _own_caption(self, row: int) -> str:
        """The gallery's caption of ``row`` (``""`` when none or no gallery)."""
        gallery = self.win.state.gallery
        return gallery.captions[row] if gallery is not None and row < len(gallery.captions) \
            else ""

    def _on_source_clicked(self, _source: str) -> None:
        self._typed = None  # the user chose the query's or the result's caption
        self.request_orders()

    def _on_caption_edited(self, text: str) -> None:
        st = self.win.state
        # the row the panel analyses: during a comparison the first compared motion, right
        # after a selection the new row (the motion shown may still be the one before)
        row = self._panel_row if self._panel_row is not None else st.selected_row
        if row is None or not st.searchable or not st.may_select():
            return
        query = st.last_result.text if st.last_result is not None else ""
        own = text.strip() in ("", query.strip(), self._own_caption(row).strip())
        if not own:
            try:  # "?!": said here, not by an error box from the worker mid-typing
                require_words(text, "caption")
            except ValueError as e:
                self.chronology.set_heading(f"{str(e)[0].upper()}{str(e)[1:]}.")
                self.win.statusBar().showMessage(str(e), 8000)
                return
        self._typed = None if own else text  # cleared or back to a shown caption: not sticky
        self._typed_query = query
        self._send_orders(row, text)

    def _on_order_toggled(self, on: bool) -> None:
        self.win.settings.setValue(KEY_ORDER_AWARE, bool(on))
        self._orderAlpha.emit(ORDER_ALPHA if on else 0.0)
        last = self.win.state.last_result
        if last is not None and last.asked:
            self.win.search(last.asked)

    def _on_unanswered(self, kind: str, request_id: int) -> None:
        """A request ended without a result: the busy mark ends only when it was the newest
        (an older one superseded by a newer request leaves the newer one's mark)."""
        if kind == "orders" and request_id == self.win.state.latest("orders"):
            self.win.car_panel.set_busy(False)
            if self._orders_error:  # in the panel, not a message box (the status bar too)
                self.chronology.set_heading(f"No event orders: {self._orders_error}")
                self._orders_error = ""
        elif kind == "describe" and request_id == self._describe_id:
            self.describe_panel.set_busy(False)

    def _on_job_failed(self, kind: str, message: str) -> None:
        if kind == "orders":  # said by the panel once the newest request is known to fail
            self._orders_error = message
