"""The explorer window's searching: the query box, search as you type, a clicked word, the
search mode, and motions like the shown one.

A mixin of :class:`motionlex.app.window.MainWindow` (its widgets ``query_edit`` and
``mode_box`` are built by :mod:`motionlex.app.ui`); whether a query is sent, queued behind an
opening gallery or refused is decided by :meth:`ExplorerState.check_search
<motionlex.app.state.ExplorerState.check_search>`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from motionlex.app import texts
from motionlex.core.motion.file_checks import not_a_motion_file
from motionlex.core.motion.query_paths import (
    looks_like_path,
    motion_file_query,
    names_motion_file,
)

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDockWidget

    from motionlex.app.client import WorkerClient
    from motionlex.app.state import ExplorerState
    from motionlex.widgets.lexical_bars import LexicalBars
    from motionlex.widgets.query_edit import QueryEdit
    from motionlex.widgets.results_list import GalleryBrowser, ResultsList


def unfinished_path(text: str) -> bool:
    """Whether ``text`` is a path that names no motion file (yet): searched neither as words
    nor by a pause in typing, nor again when another gallery opens (its error was said once,
    when it was submitted)."""
    return looks_like_path(text) and motion_file_query(text) is None


class SearchActions:
    """Searching for :class:`~motionlex.app.window.MainWindow` (attributes ``query_edit``,
    ``state``, ``_client`` and the ``mode`` property)."""

    query_edit: QueryEdit
    lexical_bars: LexicalBars
    results_list: ResultsList
    gallery_browser: GalleryBrowser
    results_dock: QDockWidget
    gallery_dock: QDockWidget
    state: ExplorerState
    show_error: Callable[[str], None]
    _client: WorkerClient
    mode: str
    results_k: int
    show_opening: Callable[[], None]

    def focus_results(self) -> None:
        """Down from the query box: the keyboard goes to the results list (or the gallery
        list when no results are shown), on its selected row, so that Space plays, Left /
        Right step and Shift+Down selects more to compare."""
        lists = ((self.results_list, self.results_dock),
                 (self.gallery_browser, self.gallery_dock))
        target, dock = next(((w, d) for w, d in lists if w.row_count()), (None, None))
        if target is None:
            return
        dock.show()
        dock.raise_()
        target.view.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if target.selected_row() is None:
            target.select_row(0)

    def focus_query(self) -> None:
        """Put the cursor in the query box with its text selected."""
        self.query_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.query_edit.selectAll()

    def search(self, text: str, *, live: bool = False) -> bool:
        """Rank the gallery for ``text`` (queued after a gallery that is still opening); a
        text that is the path of a BVH or ``.npy`` file ranks by that motion
        (:func:`~motionlex.core.motion.query_paths.motion_file_query`).

        A text typed as a motion file's path (``takes/kick.bvh``) that names no file is
        an error (the CLI's), not words to search. With ``live`` (search as you type) the
        text enters the history once the user moves on from its results
        (:mod:`motionlex.app.live_queries`).

        Returns:
            Whether a request was sent (or queued behind the opening gallery).
        """
        text = text.strip()
        self.query_edit.cancel_pause()
        if not text and live:
            return False  # a blank box submitted (Enter, Search) is refused as "?!" is
        if self.query_edit.text().strip() != text:
            self.query_edit.setText(text)
        typed = names_motion_file(text)
        if typed is not None and motion_file_query(text) is None:  # it was searched as words
            self.show_error(f"{not_a_motion_file(typed)} (a motion file's path in the query "
                            "box searches by that motion)")
            return False
        decision = self.state.check_search(text)
        if decision == "queued" and self.state.gallery is None:  # the welcome page says it
            self.show_opening()  # waits (the status bar's line is soon replaced)
        if decision == "refused" and self.state.last_result is not None:  # they stay, so
            self.lexical_bars.set_query_title(self.state.query_label)  # marked as before
        if decision == "send":
            path = motion_file_query(text)
            if path is not None:
                req = self._client.rank("", k=self.results_k, mode=self.mode,
                                        motion_file=str(path))
                kept = self.state.query_sent(req.request_id, f"motion {path.name}")
            else:
                req = self._client.rank(text, k=self.results_k, mode=self.mode)
                kept = self.state.query_sent(req.request_id, f"query: {text}", text, live)
            self._keep_replaced(kept, text)
        return decision != "refused"

    def _keep_replaced(self, kept: str | None, text: str) -> None:
        """Keep ``kept``, a live query read and replaced by ``text``, in the history, before
        ``text`` when that was just submitted (the newest entry stays the newest)."""
        if not kept:
            return
        newest = self.query_edit.history[-1:] == [text]
        self.query_edit.add_history(kept)
        if newest:
            self.query_edit.add_history(text)

    def keep_live_query(self) -> None:
        """The user moved on from the results (left the query box, closed the window): a
        search-as-you-type query they came from goes into the history (Up brings it back)."""
        kept = self.state.results_left()
        if kept:
            self.query_edit.add_history(kept)

    def search_motion_file(self, path: str | Path) -> bool:
        """Rank the gallery by the motion in file ``path`` (BVH or ``.npy``; its path goes
        into the query box, kept in the history)."""
        text = str(path)
        self.query_edit.setText(text)
        self.query_edit.add_history(text)
        return self.search(text)

    def search_dropped_file(self, path: str) -> bool:
        """A motion file was dropped on the window: rank by it (as
        :meth:`search_motion_file`), the query it replaces kept in the history."""
        self.query_edit.add_history(self.query_edit.text())
        return self.search_motion_file(path)

    def search_from_box(self) -> None:
        """Search the query box's text (and keep it in the history); a blank box is
        refused with a word why, as "?!" is."""
        text = self.query_edit.text().strip()
        self.query_edit.add_history(text)
        self.search(text)

    def _search_word(self, word: str) -> None:
        """A word's bar was clicked: search for it; the query it replaces stays in the
        history (Up in the query box)."""
        self.query_edit.add_history(self.query_edit.text())
        self.search(word)

    def _live_search(self, text: str) -> None:
        # a path being typed is no text query: it is searched once it names a motion file
        if self.state.searchable and not unfinished_path(text):
            self.search(text, live=True)

    def _on_mode_changed(self, _index: int) -> None:
        last = self.state.last_result
        if last is not None and last.item is not None:  # motions like a row: asked again
            label = self.state.similar_label(last.item)  # (the box shows no text for it)
            if label is not None:
                self._rank_like(last.item, label)
        elif last is not None and last.asked:
            self.search(last.asked)

    def search_similar(self) -> None:
        """Rank the gallery by the shown motion."""
        label = self.state.similar_label()
        if label is not None:
            self._rank_like(self.state.motion.row, label)

    def _rank_like(self, row: int, label: str) -> None:
        """Rank the gallery by its row ``row`` in the mode chosen (``label``: "like ID")."""
        req = self._client.rank("", k=self.results_k, mode=self.mode, item=row)
        self._keep_replaced(self.state.query_sent(req.request_id, label), "")
        self.query_edit.show_other_query(texts.similar_placeholder(self.state.gallery.ids[row]))
