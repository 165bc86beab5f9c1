"""The explorer's pre-Qt check of the xcb plugin's system libraries (no display needed)."""

from __future__ import annotations

import subprocess
import sys

from motionlex.app.main import main
from motionlex.app.platform_check import XCB_LIBRARIES, missing_packages, uses_xcb, xcb_problem


def test_every_package_named_is_in_the_one_package_list(repo_root):
    listed = {line.strip() for line in (repo_root / ".ci" / "apt-packages.txt").read_text()
              .splitlines() if line.strip() and not line.startswith("#")}
    assert set(XCB_LIBRARIES.values()) <= listed


def test_uses_xcb_only_on_linux_without_another_platform():
    assert uses_xcb({}, "linux")
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb"}, "linux")
    assert not uses_xcb({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not uses_xcb({}, "darwin")
    assert not uses_xcb({}, "win32")


def test_a_missing_library_names_its_package():
    libs = {"libmotionlex-no-such-lib.so.9": "libmotionlex-nothing0", **XCB_LIBRARIES}
    assert "libmotionlex-nothing0" in missing_packages(libs)
    msg = xcb_problem({}, "linux", libs)
    assert "sudo apt-get install" in msg and "libmotionlex-nothing0" in msg
    assert "libmotionlex-no-such-lib.so.9" in msg
    assert xcb_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", libs) is None


def test_explorer_exits_with_the_message_before_qt(monkeypatch, capsys):
    import motionlex.app.platform_check as pc

    monkeypatch.setattr(pc, "XCB_LIBRARIES", {"libmotionlex-no-such-lib.so.9": "libfoo0"})
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(sys, "platform", "linux")
    assert main(["--empty"]) == 3
    assert "sudo apt-get install libfoo0" in capsys.readouterr().err
    # nothing of Qt was needed to say so, in a fresh interpreter either
    code = ("import sys, motionlex.app.platform_check as pc; pc.xcb_problem(); "
            "print('PySide6' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"
