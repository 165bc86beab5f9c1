"""settings: INI store, history, booleans, and a main window's layout saved and restored."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow

from motionlex.app import settings as cfg


def test_history_and_bool_round_trip(tmp_path):
    s = cfg.open_settings(tmp_path / "s.ini")
    cfg.write_history(s, [f"q{i}" for i in range(cfg.HISTORY_SIZE + 5)])
    s.setValue(cfg.KEY_LIVE, "false")
    s.sync()
    s2 = cfg.open_settings(tmp_path / "s.ini")
    hist = cfg.read_history(s2)
    assert len(hist) == cfg.HISTORY_SIZE and hist[-1] == f"q{cfg.HISTORY_SIZE + 4}"
    assert cfg.read_bool(s2, cfg.KEY_LIVE, True) is False
    assert cfg.read_bool(s2, "missing/key", True) is True


def test_an_empty_history_reads_back_without_a_warning(tmp_path, caplog):
    """QSettings stored an empty list as ``@Invalid()``, which read back as None: every
    start after a session without a typed query warned about the explorer's own file."""
    path = tmp_path / "s.ini"
    s = cfg.open_settings(path)
    cfg.write_history(s, ["a person waves"])
    cfg.write_history(s, [])
    s.setValue(cfg.KEY_LIVE, True)
    s.sync()
    assert "history" not in path.read_text()  # the key is gone, not "@Invalid()"
    path.write_text("[query]\nhistory=@Invalid()\n")  # a file written before the fix
    with caplog.at_level("WARNING"):
        assert cfg.read_history(cfg.open_settings(path)) == []
    assert not caplog.records


def test_window_layout_saved_and_restored(qtbot, tmp_path):
    def make() -> tuple[QMainWindow, QDockWidget]:
        w = QMainWindow()
        qtbot.addWidget(w)
        w.setCentralWidget(QLabel("centre"))
        dock = QDockWidget("d", w)
        dock.setObjectName("dock")
        w.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        return w, dock

    w1, d1 = make()
    d1.hide()
    s = cfg.open_settings(tmp_path / "s.ini")
    cfg.save_window(w1, s, mode="dense", live=False, history=["a person jumps"])
    w2, d2 = make()
    w2.show()
    cfg.restore_window(w2, cfg.open_settings(tmp_path / "s.ini"))
    assert not d2.isVisible()
    s2 = cfg.open_settings(tmp_path / "s.ini")
    assert s2.value(cfg.KEY_MODE) == "dense" and cfg.read_history(s2) == ["a person jumps"]
    s2.setValue(cfg.KEY_STATE_VERSION, cfg.LAYOUT_VERSION + 1)  # another layout version
    w3, d3 = make()
    w3.show()
    cfg.restore_window(w3, s2)
    assert d3.isVisible()


def test_recent_galleries_most_recent_first_once_and_capped(tmp_path):
    s = cfg.open_settings(tmp_path / "s.ini")
    assert cfg.read_recent(s) == []
    for i in range(cfg.RECENT_SIZE + 2):
        cfg.add_recent(s, tmp_path / f"g{i}")
    cfg.add_recent(s, tmp_path / "g5")  # opened again: moves to the top, listed once
    recent = cfg.read_recent(cfg.open_settings(tmp_path / "s.ini"))
    assert recent[0] == str(tmp_path / "g5") and recent.count(str(tmp_path / "g5")) == 1
    assert len(recent) == cfg.RECENT_SIZE and str(tmp_path / "g0") not in recent
    cfg.clear_recent(s)
    assert cfg.read_recent(s) == []


def test_a_settings_path_that_is_no_ini_file_is_refused(tmp_path):
    """The store rewrites its whole file: --settings a model's config.json replaced it."""
    victim = tmp_path / "config.json"
    victim.write_text('{"embed_dim": 32}')
    with pytest.raises(ValueError, match=r"config.json: a settings file ends in .ini"):
        cfg.open_settings(victim)
    (tmp_path / "d.ini").mkdir()
    with pytest.raises(ValueError, match=r"d.ini is a folder; give an .ini file"):
        cfg.open_settings(tmp_path / "d.ini")
    assert victim.read_text() == '{"embed_dim": 32}'


def test_stored_lists_of_another_type_are_ignored(tmp_path):
    """An edited or damaged store (a rectangle, bytes where the history and the recent
    galleries are kept) stopped the explorer at start with a TypeError."""
    from PySide6.QtCore import QByteArray, QRect, QSize

    s = cfg.open_settings(tmp_path / "s.ini")
    s.setValue(cfg.KEY_RECENT_GALLERIES, QRect(1, 2, 3, 4))
    s.setValue(cfg.KEY_HISTORY, QSize(3, 4))
    assert cfg.read_recent(s) == [] and cfg.read_history(s) == []
    s.setValue(cfg.KEY_RECENT_GALLERIES, QByteArray(b"xyz"))  # was listed as b'x', b'y', b'z'
    s.setValue(cfg.KEY_HISTORY, ["a person walks", 5, "", "jumps"])
    assert cfg.read_recent(s) == [] and cfg.read_history(s) == ["a person walks", "jumps"]


def test_a_window_larger_than_its_screen_is_fitted_to_it(qtbot):
    """A geometry saved at scale 1 and restored at scale 2 stayed 1440x900 on a 960x600
    screen (Qt refuses a geometry saved on a screen of another width, and the window kept
    its own size): :func:`fit_to_screen` shrinks and moves it onto the screen."""
    w = QMainWindow()
    qtbot.addWidget(w)
    w.setCentralWidget(QLabel("centre"))
    room = w.screen().availableGeometry()
    w.setGeometry(room.x() + 300, room.y() + 200, room.width() + 300, room.height() + 200)
    w.show()
    qtbot.waitExposed(w)
    got = cfg.fit_to_screen(w)
    qtbot.wait(100)
    assert room.contains(w.frameGeometry()), (w.frameGeometry().getRect(), room.getRect())
    assert got == w.geometry() and w.width() >= room.width() - 40
    small = w.geometry().adjusted(20, 20, -200, -200)  # already on screen: left alone
    w.setGeometry(small)
    qtbot.wait(100)
    assert cfg.fit_to_screen(w) == small


def test_playback_round_trip_and_a_damaged_speed(tmp_path, qtbot, caplog):
    speeds = (0.25, 0.5, 1.0, 2.0, 4.0)
    s = cfg.open_settings(tmp_path / "s.ini")
    assert cfg.read_playback(s, speeds) == (1.0, True)  # nothing saved yet
    w = QMainWindow()
    qtbot.addWidget(w)
    assert cfg.read_follow(s)  # walks followed until the user turns "follow" off
    cfg.save_window(w, s, mode="fused", live=True, history=[], playback=(0.5, False, False))
    assert cfg.read_playback(cfg.open_settings(tmp_path / "s.ini"), speeds) == (0.5, False)
    assert not cfg.read_follow(cfg.open_settings(tmp_path / "s.ini"))  # GUI audit 36 #11
    for bad in ("fast", 3.0, "nan"):
        s.setValue(cfg.KEY_SPEED, bad)
        with caplog.at_level("WARNING"):
            assert cfg.read_playback(s, speeds) == (1.0, False)
        assert cfg.KEY_SPEED in caplog.text
