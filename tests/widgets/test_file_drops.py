"""FileDrops: what a file manager's drag names, and which drags are taken."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QUrl

from motionlex.widgets.file_drops import FileDrops, dropped_texts


def test_a_drag_names_its_local_files_then_its_text_lines(qtbot):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile("/takes/wave 01.bvh"), QUrl("https://example.org/x.bvh")])
    mime.setText("file:///takes/wave%2001.bvh\n\n  /takes/kick.npy  ")
    assert dropped_texts(mime) == ["/takes/wave 01.bvh", "file:///takes/wave%2001.bvh",
                                   "/takes/kick.npy"]
    only_text = QMimeData()
    only_text.setText("a person waves")
    assert dropped_texts(only_text) == ["a person waves"]


def test_the_first_file_resolve_accepts_is_taken(qtbot):
    drops = FileDrops(lambda text: text.upper() if text.endswith(".npy") else None)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile("/takes/notes.txt"), QUrl.fromLocalFile("/takes/k.npy")])
    assert drops.file_of(mime) == "/TAKES/K.NPY"
    words = QMimeData()
    words.setText("a person waves")
    assert drops.file_of(words) is None
