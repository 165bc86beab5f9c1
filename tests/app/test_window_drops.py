"""Motion files dropped on the explorer window: searched, never typed into the query."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

ACTIONS = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction | Qt.DropAction.LinkAction


def _drop(widget, mime: QMimeData) -> bool:
    """Drag ``mime`` into the middle of ``widget`` and drop it there, as a file manager's
    drag arrives; returns whether the drop was accepted."""
    at = QPoint(widget.width() // 2, widget.height() // 2)
    args = (ACTIONS, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(at, *args)
    QApplication.sendEvent(widget, enter)
    move = QDragMoveEvent(at, *args)
    QApplication.sendEvent(widget, move)
    if not (enter.isAccepted() and move.isAccepted()):
        return False
    drop = QDropEvent(QPointF(at), *args)
    QApplication.sendEvent(widget, drop)
    return drop.isAccepted()


def _file_mime(path: Path, text: bool = True) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    if text:  # a file manager also sends the URL as plain text
        mime.setText(QUrl.fromLocalFile(str(path)).toString())
    return mime


@pytest.fixture
def take(tmp_path) -> Path:
    path = tmp_path / "takes" / "wave 01.bvh"
    path.parent.mkdir()
    path.write_text("HIERARCHY\n")  # the search is recorded, never loaded
    return path


def test_a_dropped_motion_file_replaces_the_query_and_is_searched(qtbot, window, take):
    """A BVH dragged onto the query box that held "a person waves" went into its text
    ("motion file not found: a person wavesfile:///…bvh"); a drag with only a URL list
    was refused, and so was a drop on the 3D view or the results. Each now searches by
    the file, the query it replaces kept in the history."""
    w = window
    searched: list[str] = []
    w.search = lambda text: searched.append(text) or True
    w.query_edit.setText("a person waves")
    w.query_edit.setCursorPosition(9)
    assert _drop(w.query_edit, _file_mime(take))
    assert searched == [str(take)] and w.query_edit.text() == str(take)
    assert "a person waves" in w.query_edit.history
    npy = take.with_name("kick.npy")
    npy.write_bytes(b"")
    for widget, path, text in ((w.query_edit, npy, False),  # a URL list alone
                               (w.skeleton_view, take, True),
                               (w.results_list.view.viewport(), npy, True),
                               (w.gallery_browser.view.viewport(), take, False)):
        assert _drop(widget, _file_mime(path, text)), widget
        assert searched[-1] == str(path) and w.query_edit.text() == str(path)


def test_other_drops_are_left_to_the_widget(qtbot, window, tmp_path):
    """Words and files that are no motion are not searched: the query box takes words as
    text, as before, and the 3D view refuses a text file."""
    w = window
    searched: list[str] = []
    w.search = lambda text: searched.append(text) or True
    notes = tmp_path / "notes.txt"
    notes.write_text("a person waves")
    assert not _drop(w.skeleton_view, _file_mime(notes))
    words = QMimeData()
    words.setText("jumps twice")
    w.query_edit.setText("a person ")
    w.query_edit.setCursorPosition(len(w.query_edit.text()))
    _drop(w.query_edit, words)
    assert searched == [] and "jumps twice" in w.query_edit.text()
