"""Check, before Qt starts, that the system libraries of Qt's xcb platform plugin load.

PySide6 >= 6.5 needs ``libxcb-cursor0`` and a few other X11 libraries that Ubuntu desktops
often lack; without them Qt prints "could not load the Qt platform plugin xcb" and aborts the
process (exit 134). The explorer asks first and names the Debian/Ubuntu packages to install.
The package list of record is ``.ci/apt-packages.txt`` (CI installs it; a test keeps this map
inside it).
"""

from __future__ import annotations

import ctypes
import os
import sys

XCB_LIBRARIES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
}
"""Shared library (soname) the xcb plugin or OpenGL views load -> Debian/Ubuntu package."""


def uses_xcb(environ: dict[str, str] | None = None, platform: str = sys.platform) -> bool:
    """Whether Qt will pick its xcb plugin: Linux, and QT_QPA_PLATFORM unset or ``xcb``."""
    env = os.environ if environ is None else environ
    qpa = env.get("QT_QPA_PLATFORM", "").split(":")[0].strip()
    return platform.startswith("linux") and qpa in ("", "xcb")


def missing_packages(libraries: dict[str, str] | None = None) -> list[str]:
    """Debian/Ubuntu packages whose library fails to load (sorted, without duplicates)."""
    missing = set()
    for soname, package in (XCB_LIBRARIES if libraries is None else libraries).items():
        try:
            ctypes.CDLL(soname)
        except OSError:
            missing.add(package)
    return sorted(missing)


def xcb_problem(environ: dict[str, str] | None = None, platform: str = sys.platform,
                libraries: dict[str, str] | None = None) -> str | None:
    """A message naming the packages to install, or None when Qt's xcb plugin can load."""
    if not uses_xcb(environ, platform):
        return None
    missing = missing_packages(libraries)
    if not missing:
        return None
    return (
        "motionlex-explorer cannot start: Qt's xcb platform plugin needs system libraries "
        f"that are missing here. Install them with:\n    sudo apt-get install {' '.join(missing)}"
        "\n(on other distributions install the packages that provide "
        + ", ".join(s for s, p in (libraries or XCB_LIBRARIES).items() if p in missing)
        + "; or run without a display with QT_QPA_PLATFORM=offscreen)"
    )
