"""The explorer's state and decisions as plain Python: what is open, the pending query, the
current results and selection, and the status texts. No Qt. Its events are
:mod:`motionlex.app.state_events`; the longer status texts are composed in
:mod:`motionlex.app.status_texts`.

:class:`ExplorerState` is napari's layer idea applied to the whole window (Source:
``napari/napari/napari/layers/base/base.py``): plain data with checked changes and events.
The window forwards what the user does and what the worker sends to it, and sets its widgets
from its events; the state decides (search now, queue the query behind an opening gallery,
refuse it, drop a result whose request was overtaken), so those decisions are tested without
a display (``tests/app/test_state.py``).

Request ids: the window sends a request through the worker client and tells the state its id
(:meth:`ExplorerState.query_sent`, :meth:`~ExplorerState.motion_requested`,
:meth:`~ExplorerState.orders_requested`); a result is accepted only for the newest id of its
kind (an older ranking overtaken by a newer request is dropped).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable

from motionlex.app.analysis_messages import DescribeResult
from motionlex.app.live_queries import LiveQueries
from motionlex.app.messages import GalleryInfo, ModelInfo, MotionData, OrdersResult, RankResult
from motionlex.app.state_events import StateEvents
from motionlex.app.status_texts import (
    gallery_opened_text,
    not_searched_text,
    ranking_text,
    sentence,
)
from motionlex.app.texts import OPEN_CHECKPOINT, OPEN_GALLERY, short_id
from motionlex.core.text.spelling import require_words
from motionlex.core.wording import count

logger = logging.getLogger(__name__)

LONG_JOBS = ("checkpoint", "gallery")
"""Worker jobs that show the progress bar and the cancel button."""

REQUEST_KINDS = ("rank", "motion", "orders", "describe")
"""Kinds of request whose results are matched to the newest request id."""


class ExplorerState:
    """What the explorer has open and shows, and the rules for changing it.

    Args:
        clock: seconds for latencies (default ``time.perf_counter``; tests pass a fake).
    """

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.events = StateEvents()
        self._clock = clock
        self._model: ModelInfo | None = None
        self._gallery: GalleryInfo | None = None
        self._galleries_pending = 0  # galleries asked for and not yet opened or given up
        self._pending_query: str | None = None
        self._last_result: RankResult | None = None
        self._motion: MotionData | None = None
        self._query_label = "query"
        self._selected_row: int | None = None
        self._picked_in_gallery = False  # the selected row was chosen in the gallery list
        self._latest = dict.fromkeys(REQUEST_KINDS, 0)
        # per kind: replies to requests up to this id name rows of a gallery since replaced
        self._stale_upto = dict.fromkeys(REQUEST_KINDS, 0)
        self._sent_at: dict[int, float] = {}
        self._long_job: str | None = None
        self._model_note = ""
        self._ranking = False  # a ranking request is on its way
        self._picked_while_ranking = False  # the user chose a motion meanwhile
        self.live = LiveQueries()
        """Which search-as-you-type queries the history keeps (:meth:`query_sent`,
        :meth:`results_left`)."""
        self.last_latency_ms: float | None = None
        self.not_searched: str | None = None
        """The query that waited for the gallery whose opening just ended without it (the
        last :meth:`job_finished`), or None: it stays in the query box, unsearched (the
        status bar says what the results shown are), and enters the history."""

    # ------------------------------------------------------------------ read-only views
    @property
    def model(self) -> ModelInfo | None:
        """The loaded checkpoint, or None."""
        return self._model

    @property
    def gallery(self) -> GalleryInfo | None:
        """The open gallery, or None."""
        return self._gallery

    @property
    def searchable(self) -> bool:
        """Whether a gallery is open and can be searched by text."""
        return self._gallery is not None and self._gallery.searchable

    @property
    def gallery_pending(self) -> bool:
        """Whether a gallery is being opened (any of those asked for: opening A then B
        waits for B after A opens)."""
        return self._galleries_pending > 0

    @property
    def pending_query(self) -> str | None:
        """A query waiting for the opening gallery, or None."""
        return self._pending_query

    @property
    def last_result(self) -> RankResult | None:
        """The ranking shown, or None."""
        return self._last_result

    @property
    def motion(self) -> MotionData | None:
        """The motion shown, or None."""
        return self._motion

    @property
    def query_label(self) -> str:
        """Title of the query's word bars: ``query: TEXT``, or ``like ID`` for motions like
        a shown one; ``previous query: TEXT`` (``previous: like ID``) once a query was
        refused over those results."""
        return self._query_label

    @property
    def selected_row(self) -> int | None:
        """Gallery row of the selected result or gallery item, or None."""
        return self._selected_row

    @property
    def long_job(self) -> str | None:
        """The long worker job running (``checkpoint`` or ``gallery``), or None."""
        return self._long_job

    @property
    def busy(self) -> bool:
        """Whether a gallery or checkpoint is being opened."""
        return self.gallery_pending or self._long_job is not None

    def latest(self, kind: str) -> int:
        """The newest request id of ``kind`` told to the state (0: none yet)."""
        return self._latest[kind]

    def _status(self, text: str, timeout_ms: int = 0) -> None:
        self.events.status.emit(text, timeout_ms)

    # ------------------------------------------------------------------ opening
    def model_loaded(self, info: ModelInfo) -> None:
        """A checkpoint was loaded in the worker; its note (the shipped model standing in
        for one that failed) is the status text, and is repeated when the gallery opens."""
        self._model = info
        if self._gallery is not None and info.gallery_searchable is not None:
            # another model for the open gallery: its text queries follow that model
            self._gallery = dataclasses.replace(self._gallery,
                                                searchable=info.gallery_searchable)
        self._model_note = sentence(info.note)
        self._status(self._model_note or f"Checkpoint {info.name} loaded on "
                     f"{info.device_name}.", 15000 if info.note else 5000)
        self.events.model.emit(info)

    def opening_gallery(self) -> None:
        """A gallery was asked for; queries now wait for it (counted: each one asked
        ends in :meth:`gallery_opened` or in :meth:`job_finished` without ``done``)."""
        self._galleries_pending += 1

    def gallery_opened(self, info: GalleryInfo) -> str | None:
        """A gallery was opened: it replaces the old one and clears the results, the
        selection and the shown motion (they name the old gallery's rows).

        Returns:
            The query to send now: the one that waited for it, else the text query whose
            results the old gallery showed (asked of this one), or None. None too while
            another gallery asked for later is still opening: the query waits for that one.
        """
        last = self._last_result
        asked = last.asked if last is not None and info.size and info.searchable else ""
        # requests sent before now (served after the load, in order) named the old
        # gallery's rows: their replies are dropped, the text query is asked again below
        self._stale_upto = dict(self._latest)
        self._ranking = self._picked_while_ranking = False
        self._gallery = info
        self._galleries_pending = max(0, self._galleries_pending - 1)
        self._last_result, self.last_latency_ms = None, None  # no query shown
        self._selected_row = None
        self._motion = None
        model_note, self._model_note = self._model_note, ""
        self._status(gallery_opened_text(info, model_note), 15000 if model_note else 8000)
        self.events.gallery.emit(info)
        if self.gallery_pending:  # a later gallery is still opening: the query waits for it
            if self._pending_query is None and asked:
                self._pending_query = asked
            return None
        pending, self._pending_query = self._pending_query, None
        return pending or asked or None

    # ------------------------------------------------------------------ searching
    def check_search(self, text: str) -> str:
        """Decide what a query does now.

        Args:
            text: the query, already stripped.

        Returns:
            ``"send"`` (rank it now), ``"queued"`` (kept until the opening gallery is open)
            or ``"refused"`` (no word in it, no gallery, or one that cannot be searched by
            text; a status text says why, never a message box in the middle of typing).
        """
        try:  # "12", "?!"
            require_words(text, "query")
        except ValueError as e:
            self._status(str(e), 8000)
            self._mark_previous()
            return "refused"
        if self.gallery_pending:  # asked of the gallery that is opening, not the old one
            self._pending_query = text
            self._status(f"Will search “{text}” once the gallery is open.")
            return "queued"
        if self._gallery is None:
            self._status(f"Open a gallery first ({OPEN_GALLERY}).", 8000)
            return "refused"
        if not self._gallery.searchable:
            self._status("Text search needs the checkpoint this gallery was built with "
                         f"({OPEN_CHECKPOINT}).", 8000)
            return "refused"
        return "send"

    def _mark_previous(self) -> None:
        """A query was refused over the results of the one before: they stay, and the
        word panel's query title says whose they are ("previous query: walk"), not "query:
        walk" under "?!" in the box (audit 35 #7)."""
        label = self._query_label
        if self._last_result is not None and not label.startswith("previous"):
            self._query_label = ("previous " if label.startswith("query:") else "previous: ") \
                + label

    def result_position(self, row: int) -> int | None:
        """Where gallery row ``row`` is in the ranking shown (None: not in it)."""
        hits = self._last_result.hits if self._last_result is not None else []
        return next((i for i, h in enumerate(hits) if int(h["row"]) == row), None)

    def query_sent(self, request_id: int, label: str, text: str | None = None,
                   live: bool = False) -> str | None:
        """A ranking request was sent (``label``: ``query: TEXT`` or ``motion ID``; ``text``:
        the query's words, None for a motion; ``live``: sent by a pause in typing).

        Returns:
            A search-as-you-type query it replaces after its results were read, for the
            history (:meth:`LiveQueries.sent <motionlex.app.live_queries.LiveQueries.sent>`).

        Raises:
            ValueError: ``request_id`` is not newer than the last one sent.
        """
        if request_id <= self._latest["rank"]:
            raise ValueError(f"request ids must increase: got {request_id} after "
                             f"{self._latest['rank']}")
        self._query_label = label
        self._latest["rank"] = request_id
        self._sent_at[request_id] = now = self._clock()
        self._ranking, self._picked_while_ranking = True, False
        return self.live.sent(text, live, now)

    def results_left(self) -> str | None:
        """The user moved on from the results shown (left the query box, closed the window).

        Returns:
            The search-as-you-type query whose results they are, for the history, or None.
        """
        return self.live.used()

    def accept_result(self, result: RankResult) -> bool:
        """Take a ranking from the worker unless a newer request overtook it.

        Returns:
            Whether it was accepted (then ``results`` and a status text are emitted and
            :attr:`last_latency_ms` is the time from sending to now).
        """
        if (result.request_id != self._latest["rank"]
                or result.request_id <= self._stale_upto["rank"]):
            return False  # an older ranking overtaken by a newer request or gallery
        sent = self._sent_at.pop(result.request_id, None)
        self._sent_at = {k: v for k, v in self._sent_at.items() if k > result.request_id}
        if sent is not None:
            self.last_latency_ms = (self._clock() - sent) * 1000.0
        self._last_result = result
        self._ranking = False
        self.live.shown(self._clock())
        self._status(ranking_text(result),
                     15000 if result.cut else 8000 if result.order_weight else 5000)
        self.events.results.emit(result)
        return True

    # ------------------------------------------------------------------ selection
    def select(self, row: int, from_gallery: bool = False) -> bool:
        """A gallery row was selected (in the results, or in the gallery browser:
        ``from_gallery``, kept by :meth:`filtered` also when it is a result).

        Returns:
            Whether its event orders should be scored too (the gallery is searchable).

        Raises:
            ValueError: no gallery is open. IndexError: ``row`` is not a row of the gallery.
        """
        if self._gallery is None:
            raise ValueError(f"cannot select row {row}: no gallery is open")
        if not 0 <= int(row) < self._gallery.size:
            raise IndexError(f"row {row} out of range [0, {self._gallery.size})")
        self._selected_row, self._picked_in_gallery = int(row), from_gallery
        if self._ranking:
            self._picked_while_ranking = True
        return self.searchable

    def may_select(self) -> bool:
        """Whether a gallery row may be chosen now (shown, compared, described, its orders
        scored): not while another gallery opens, whose rows a request sent now would read
        (the status bar says so)."""
        if self.gallery_pending:
            self._status("Wait for the gallery to open, then select a motion.", 5000)
            return False
        return True

    @property
    def results_take_selection(self) -> bool:
        """Whether the newest ranking should select (and show) its first result: not when
        the user chose a motion while it was on its way (e.g. a gallery row right after
        opening a gallery, whose re-asked query then arrives)."""
        return not self._picked_while_ranking

    def results_hidden(self, count_hidden: int, filter_text: str) -> str:
        """The results filter hides every result of the newest ranking: nothing is selected
        or shown (not a motion the list no longer holds), replies to the motion, orders and
        describe requests sent before are dropped, and the status bar says why.

        Returns:
            Why nothing is shown, for the panels (``"The results filter “elderly” hides
            all 10 results of this query: clear it to see them."``).
        """
        self._selected_row = None
        self._motion = None
        for kind in ("motion", "orders", "describe"):
            self._latest[kind] = -1
        why = (f"The results filter \u201c{filter_text.strip()}\u201d hides all "
               f"{count(count_hidden, 'result')} of this query: clear it to see them.")
        self._status(why, 15000)
        return why

    def filtered(self, listed: list[int]) -> str:
        """The results filter changed; the list now shows the ranking's hits ``listed``.

        Returns:
            ``"keep"`` (the motion shown is listed, or was chosen in the gallery list),
            ``"first"`` (show the first result listed, as a new ranking does) or ``"none"``
            (it hides every result: :meth:`results_hidden`); the views followed a motion
            the list no longer held (GUI audit 36 #3).
        """
        if self._last_result is None or not self._last_result.hits:
            return "keep"
        row = self._selected_row
        if row is not None and (self._picked_in_gallery
                                or self.result_position(row) in (None, *listed)):
            return "keep"
        return "first" if listed else "none"

    def motion_requested(self, request_id: int) -> None:
        """A motion was asked for with this id."""
        self._latest["motion"] = request_id

    def orders_requested(self, request_id: int) -> None:
        """Event orders were asked for with this id."""
        self._latest["orders"] = request_id

    def describe_requested(self, request_id: int) -> None:
        """A description was asked for with this id."""
        self._latest["describe"] = request_id

    def motion_superseded(self) -> None:
        """Something else now fills the 3D view (a comparison): replies to the motion
        requests sent so far, and their display steps still pending, are dropped."""
        self._latest["motion"] = -1

    def is_current(self, data: MotionData | OrdersResult | DescribeResult) -> bool:
        """Whether a motion, orders or describe result answers the newest request of its
        kind, asked of the gallery open now."""
        kind = ("motion" if isinstance(data, MotionData)
                else "describe" if isinstance(data, DescribeResult) else "orders")
        return data.request_id == self._latest[kind] and data.request_id > self._stale_upto[kind]

    def show_motion(self, data: MotionData) -> None:
        """The 3D view now shows ``data``."""
        self._motion = data
        self.events.motion.emit(data)

    def similar_label(self, row: int | None = None) -> str | None:
        """Query label ("like ID") for "motions like the selected one" (or like gallery row
        ``row``: an item query asked again in another mode), or None (with a status text)
        when no motion is shown, no gallery is open or another one is opening."""
        if self._gallery is None or (row is None and self._motion is None):
            self._status("Select a motion first.", 5000)
            return None
        if not self.may_select():
            return None
        ident = self._motion.id if row is None else self._gallery.ids[row]
        return f"like {short_id(ident)}"

    # ------------------------------------------------------------------ jobs
    def job_started(self, kind: str, description: str) -> bool:
        """A worker job started; returns whether it is a long one (progress bar shown)."""
        if kind not in LONG_JOBS:
            return False
        self._long_job = kind
        self._status(description + "…")
        return True

    def job_finished(self, kind: str, outcome: str, recording: bool = False) -> bool:
        """A worker job ended (``outcome``: ``done``, ``cancelled`` or ``failed``).

        Args:
            recording: a video recording is running (it keeps the progress bar; the job
                is over all the same, so Esc no longer cancels worker jobs).

        Returns:
            Whether the progress bar and cancel button should be hidden. A query that waited
            for a gallery whose opening was cancelled or failed is :attr:`not_searched`.
        """
        hide = kind in LONG_JOBS and not recording
        self.not_searched = None
        if kind in LONG_JOBS:
            self._long_job = None
        if kind == "gallery" and outcome != "done":
            self._galleries_pending = max(0, self._galleries_pending - 1)
            if self.gallery_pending:  # given up for a gallery asked later: the query waits
                return hide           # for that one, and the cancel is no news
            pending = self._pending_query
            self._pending_query, self.not_searched = None, pending
            if outcome == "cancelled":  # a query typed meanwhile is said, not dropped unseen
                if pending is None:
                    self._status("Opening the gallery was cancelled.", 5000)
                else:
                    asked = self._last_result.asked if self._last_result is not None else ""
                    self._status(not_searched_text(pending, asked, self.searchable), 10000)
        elif kind == "checkpoint" and outcome == "cancelled":  # "Cancelling…" stayed
            model = f" ({self._model.name} stays)" if self._model is not None else ""
            self._status(f"Loading the checkpoint was cancelled{model}.", 5000)
        return hide
