"""Files dropped onto the window: a drag from a file manager that names a file the app
takes (a BVH or ``.npy`` motion, for the explorer's search by motion file).

:class:`FileDrops` is an event filter: on the widgets it watches it takes the drag when
it names such a file, before the widget's own handling (a line edit inserted the file's
URL into the query it held: "a person wavesfile:///takes/wave.bvh"), and leaves every
other drag to the widget. A drag carries the file as ``text/uri-list`` (a URL list), as
``text/plain`` (its path or URL), or both.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QMimeData, QObject, Qt, Signal
from PySide6.QtWidgets import QWidget


def dropped_texts(mime: QMimeData) -> list[str]:
    """What a drag names, most specific first: each local file of its URL list (a path),
    then each non-blank line of its plain text (a path or a ``file://`` URL, as typed)."""
    out = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
    if mime.hasText():
        out += [line.strip() for line in mime.text().splitlines() if line.strip()]
    return out


class FileDrops(QObject):
    """Takes the drags that name a file ``resolve`` accepts, on the widgets it watches.

    Args:
        resolve: a dropped text (a path or URL) -> the file it names, or None (not taken).
        parent: owner of the filter.

    Signals:
        dropped(str): a file was dropped (as ``resolve`` gave it).
    """

    dropped = Signal(str)

    def __init__(self, resolve: Callable[[str], str | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._resolve = resolve

    def watch(self, *widgets: QWidget) -> None:
        """Take file drops on ``widgets`` (they accept drops from now on; a drop onto a
        child that takes none goes to its parent, so the window covers its views)."""
        for w in widgets:
            w.setAcceptDrops(True)
            w.installEventFilter(self)

    def file_of(self, mime: QMimeData) -> str | None:
        """The first file a drag names that ``resolve`` accepts, or None."""
        for text in dropped_texts(mime):
            path = self._resolve(text)
            if path:
                return path
        return None

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Accept a drag (enter, move) that names a file, and emit :attr:`dropped` on its
        drop; other drags go on to the widget."""
        kind = event.type()
        if kind not in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            return super().eventFilter(obj, event)
        path = self.file_of(event.mimeData())
        if path is None:
            return super().eventFilter(obj, event)
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        if kind == QEvent.Type.Drop:
            self.dropped.emit(path)
        return True
