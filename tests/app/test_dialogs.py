"""Dialogs: save dialogs with the default suffix and remembered folder, export outcomes (from
the export thread) in the status bar or the error box, one error box that collects errors,
the About box."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from motionlex.app import settings as cfg
from motionlex.app.window import MainWindow


@pytest.fixture
def window(make_window, gl_platform) -> MainWindow:
    return make_window(size=None)  # the window's own default size


def _answer_save(monkeypatch, path) -> list[tuple]:
    asked = []

    def fake(parent, title, start, filters):
        asked.append((title, start, filters))
        return (str(path), filters.split(";;")[0])

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake)
    return asked


def test_png_export_adds_suffix_and_remembers_folder(qtbot, window, monkeypatch, tmp_path):
    asked = _answer_save(monkeypatch, tmp_path / "shots" / "win")
    with qtbot.waitSignal(window.dialogs.exports.saved, timeout=30000):  # the export thread
        window.dialogs.export("png")
    out = tmp_path / "shots" / "win.png"
    assert out.is_file() and asked[0][0] == "Save window as PNG"
    assert window.statusBar().currentMessage() == f"Saved {out}"
    assert window.settings.value(cfg.KEY_LAST_EXPORT_DIR) == str(out.parent)


def test_motion_export_without_motion_is_an_error(window, monkeypatch, tmp_path):
    _answer_save(monkeypatch, tmp_path / "m.glb")
    errors = []
    window.errorShown.connect(errors.append)
    window.dialogs.export("glb")
    assert errors and errors[0].startswith(f"Export to {tmp_path / 'm.glb'} failed: no motion")
    window.dialogs.export("video")  # a second error joins the open box
    assert "no motion is shown" in errors[1]
    assert window.error_box is not None and window.error_box.text().count("\n\n") == 1
    assert not (tmp_path / "m.glb").exists()


def test_an_export_error_names_the_chosen_file_and_the_reason(qtbot, window, monkeypatch,
                                                               caplog):
    """Saving to /proc/forbidden.png said "[Errno 2] No such file or directory:
    '/proc/.forbidden.piptu8b0.png'" (a hidden temporary name, the wrong reason), and every
    error box was repeated on stderr as a WARNING."""
    _answer_save(monkeypatch, "/proc/forbidden.png")
    errors = []
    window.errorShown.connect(errors.append)
    with caplog.at_level("INFO"), qtbot.waitSignal(window.errorShown, timeout=30000):
        window.dialogs.export("png")  # on the export thread
    assert len(errors) == 1 and "cannot write /proc/forbidden.png: the folder /proc does " \
        "not accept new files (not a writable folder)" in errors[0], errors
    assert ".forbidden." not in errors[0] and "Errno" not in errors[0]
    assert errors[0] in window.error_box.text()
    said = [r for r in caplog.records if r.getMessage() == errors[0]]
    assert said and all(r.levelname == "INFO" for r in said)  # logged, not warned


def test_cancelled_dialogs_do_nothing(window, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: ("", ""))
    monkeypatch.setattr("motionlex.app.dialogs.ask_folder", lambda *a: "")
    opened = []
    monkeypatch.setattr(window, "open_gallery", opened.append)
    window.dialogs.export("bvh")
    window.dialogs.ask_gallery()
    assert opened == [] and window.error_box is None


def test_search_by_motion_file_asks_for_a_file_and_remembers_it(window, monkeypatch, tmp_path):
    from motionlex.app import settings as cfg

    take = tmp_path / "take.bvh"
    asked, searched = [], []
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *a: (asked.append(a[3]) or str(take), ""))
    monkeypatch.setattr(window, "search_motion_file", searched.append)
    window.act_search_file.trigger()
    assert searched == [str(take)] and "*.bvh *.npy" in asked[0]
    assert window.settings.value(cfg.KEY_LAST_MOTION_FILE) == str(take)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a: ("", ""))
    window.dialogs.ask_motion_file()  # cancelled: nothing searched
    assert searched == [str(take)]


def test_about_box_replaces_itself(window):
    window.dialogs.about()
    first = window.dialogs.info_box
    assert first is not None and "none loaded" in first.text()
    window.dialogs.shortcuts()
    assert window.dialogs.info_box is not first
    assert "Ctrl+F" in window.dialogs.info_box.text()


def test_the_shortcuts_box_fits_a_laptop_screen(qtbot, window):
    """The F1 box was 834 px tall and did not scroll: its OK button was off a 1366x768
    screen (GUI audit 36 #14). Two columns, in a box that scrolls within the screen."""
    from PySide6.QtWidgets import QDialogButtonBox, QScrollArea

    window.dialogs.shortcuts()
    box = window.dialogs.info_box
    qtbot.waitExposed(box)
    assert box.height() < 768 - 80 and box.width() <= 1366  # with a title bar and a panel
    assert box.findChild(QScrollArea) is not None
    ok = box.findChild(QDialogButtonBox)
    assert ok is not None and ok.isVisible()
    assert "Ctrl+Q" in box.text()
    box.accept()
    qtbot.waitUntil(lambda: window.dialogs.info_box is None, timeout=2000)


def test_the_chosen_file_type_gives_the_suffix(window, monkeypatch, tmp_path):
    from motionlex.app.dialogs import filter_suffix

    video_filters = "Animated GIF (*.gif);;MP4 video (*.mp4)"
    assert [filter_suffix(f) for f in video_filters.split(";;")] == [".gif", ".mp4"]
    assert filter_suffix("") == ""
    # the MP4 type chosen, a name typed without a suffix: an .mp4 file, not the default .gif
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a: (str(tmp_path / "clip"), "MP4 video (*.mp4)"))
    assert window.dialogs.ask_save("video") == tmp_path / "clip.mp4"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a: (str(tmp_path / "clip.gif"), "MP4 video (*.mp4)"))
    assert window.dialogs.ask_save("video") == tmp_path / "clip.gif"  # a typed suffix wins
    # a dot in a versioned name is no suffix: "walk_v1.2" was refused as a ".2" file
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a: (str(tmp_path / "walk_v1.2"), "BVH motion (*.bvh)"))
    assert window.dialogs.ask_save("bvh") == tmp_path / "walk_v1.2.bvh"


def test_the_shortcuts_box_lists_every_shortcut(window):
    from PySide6.QtGui import QAction, QKeySequence

    from motionlex.app.texts import SHORTCUTS_TEXT

    keys = {a.shortcut().toString(QKeySequence.SequenceFormat.PortableText)
            for a in window.findChildren(QAction) if not a.shortcut().isEmpty()}
    assert {"Ctrl+F", "Ctrl+D", "Ctrl+L", "Esc"} <= keys
    missing = [k for k in keys if f"<b>{k}</b>" not in SHORTCUTS_TEXT
               and k not in ("Left", "Right", "Space")]  # listed together, as pairs
    assert not missing, missing


def test_the_pose_sequence_offers_its_own_file_name(window, monkeypatch, tmp_path):
    """The animated GLB and the GLB pose sequence both offered "<id>.glb", so saving both in
    one folder replaced the first (audit 33 #7). The id is the short one the lists show, not
    "demo-v1_demo_s081" with the gallery folder baked in (GUI audit w38 #4)."""
    from types import SimpleNamespace

    monkeypatch.setattr(type(window), "current_motion",
                        property(lambda self: SimpleNamespace(id="demo-v1/demo_s081")))
    window.settings.setValue(cfg.KEY_LAST_EXPORT_DIR, str(tmp_path))
    offered = {}
    for kind in ("glb", "poses", "bvh"):
        monkeypatch.setattr(QFileDialog, "getSaveFileName",
                            lambda _p, _t, start, _f, k=kind: (offered.setdefault(k, start), ""))
        assert window.dialogs.ask_save(kind) == Path(offered[kind])
    assert offered == {"glb": str(tmp_path / "demo_s081.glb"),
                       "poses": str(tmp_path / "demo_s081_poses.glb"),
                       "bvh": str(tmp_path / "demo_s081.bvh")}


def test_the_folder_dialog_lists_the_files_greyed(qtbot, tmp_path):
    """GUI audit B #9: File › Open gallery listed folders only, so a folder of BVH files
    looked empty. Its files are listed, greyed (not enabled), and a folder is chosen."""
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication, QFileSystemModel

    from motionlex.app.dialogs import ask_folder

    (tmp_path / "takes").mkdir()
    (tmp_path / "takes" / "kick.bvh").write_text("HIERARCHY\n")
    seen: dict[str, bool] = {}

    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(50, look)
            return
        model = dialog.findChild(QFileSystemModel)
        folder = model.index(str(tmp_path / "takes"))
        qtbot.waitUntil(lambda: model.rowCount(folder) == 1, timeout=5000)
        kick = model.index(0, 0, folder)
        seen[kick.data()] = bool(model.flags(kick) & Qt.ItemFlag.ItemIsEnabled)
        dialog.accept()  # "Choose": the folder shown

    QTimer.singleShot(0, look)
    assert ask_folder(None, "Open gallery", str(tmp_path / "takes")) == str(tmp_path / "takes")
    assert seen == {"kick.bvh": False}  # listed, greyed
