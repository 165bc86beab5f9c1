"""The explorer window's worker jobs as the user sees them: the progress bar and cancel
button, the welcome page while a gallery opens, and errors (a message box for what the user
asked, the status bar for what the window runs on its own).

A mixin of :class:`motionlex.app.window.MainWindow` (its ``job`` bar, ``_welcome`` page and
``dialogs`` are built by :mod:`motionlex.app.ui` and the window); which job keeps the bar is
decided by :meth:`ExplorerState.job_started <motionlex.app.state.ExplorerState.job_started>`
and :meth:`~motionlex.app.state.ExplorerState.job_finished`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox

from motionlex.app import texts

if TYPE_CHECKING:
    from motionlex.app.client import WorkerClient
    from motionlex.app.compare import Comparer
    from motionlex.app.dialogs import Dialogs
    from motionlex.app.state import ExplorerState
    from motionlex.widgets.query_edit import QueryEdit

logger = logging.getLogger(__name__)

AUTOMATIC_JOBS = ("orders", "describe_gallery")
"""Worker jobs the window runs on its own (a selection's event orders, a caption typed in the
chronology panel, the gallery's background describing): their errors go to the status bar
and the log, never a window-modal box that takes the keyboard from the user mid-typing."""


class JobStatus:
    """Jobs and errors for :class:`~motionlex.app.window.MainWindow` (attributes ``state``,
    ``job``, ``dialogs``, ``comparer``, ``_client``, ``_welcome``, ``_opening``,
    ``_opening_progress``, ``_last_error``, the ``errorShown`` signal and
    ``_update_enabled``)."""

    state: ExplorerState
    dialogs: Dialogs
    comparer: Comparer
    query_edit: QueryEdit
    _client: WorkerClient

    def cancel_job(self) -> None:
        """Cancel opening/building a gallery or loading a checkpoint, or a video export;
        with none running, leave a comparison of several motions (Esc)."""
        if self.dialogs.cancel_export():
            return
        if self.state.long_job is not None:
            self._client.cancel()
            self.statusBar().showMessage("Cancelling…")
        else:
            self.comparer.leave()

    def _on_job_started(self, kind: str, description: str) -> None:
        if self.state.job_started(kind, description):
            self.job.start(description.split(" ", 1)[0],
                           unit="motions" if kind == "gallery" else "")
        if kind == "gallery":  # the page in view while no gallery is, until it opens
            self._opening = description
            self.show_opening(0, 0)

    def _on_progress(self, done: int, total: int) -> None:
        if self.state.long_job is not None:
            self.job.set_progress(done, total)
            if self.state.long_job == "gallery":
                self.show_opening(done, total)

    def show_opening(self, done: int | None = None, total: int | None = None) -> None:
        """The welcome page while a gallery opens: what opens, ``done`` of ``total`` of its
        motions read (None: as last shown), and the query that waits for it."""
        if done is not None and total is not None:
            self._opening_progress = (done, total)
        done, total = self._opening_progress
        self._welcome.setText(texts.opening_text(self._opening, done, total,
                                                 self.state.pending_query or ""))

    def show_job_controls(self, on: bool) -> None:
        """Show the progress bar and cancel button (a recording started), or hide the bar
        and keep the cancel button only while a long worker job runs."""
        self.job.show(on, on or self.state.long_job is not None)

    def _on_job_finished(self, kind: str, outcome: str) -> None:
        if self.state.job_finished(kind, outcome, recording=self.dialogs.exporting):
            self.job.show(False, False)
        dropped = self.state.not_searched
        if dropped is not None:  # it stays in the box, ready for Enter (or the next gallery:
            self.query_edit.add_history(dropped)  # audit 35 #6), and Up brings it back
        if kind == "gallery" and not self.state.gallery_pending:  # the welcome page keeps
            # why the last gallery did not open (one given up for a later one: it opens)
            error = self._last_error if outcome == "failed" else None
            self._welcome.setText(texts.welcome_text(error))
        self._update_enabled()

    def _on_job_failed(self, kind: str, message: str) -> None:
        if kind not in AUTOMATIC_JOBS:
            self.show_error(message)
            return
        logger.warning("%s", message)  # a job the user did not start: no message box
        self.statusBar().showMessage(message.splitlines()[0], 15000)
        self.errorShown.emit(message)

    def _on_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def show_error(self, message: str) -> None:
        """Show an error in a (non-blocking) message box and the status bar, and log it (at
        INFO: the box says it, stderr does not repeat it as a warning)."""
        logger.info("%s", message)
        self._last_error = message
        self.statusBar().showMessage(message.splitlines()[0], 15000)
        self.dialogs.error(message)
        self.errorShown.emit(message)

    @property
    def error_box(self) -> QMessageBox | None:
        """The error message box while it is shown."""
        return self.dialogs.error_box
