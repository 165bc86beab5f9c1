"""A BVH file whose left and right joint names are swapped (named from the viewer's side)
is named in a warning when it loads (core/motion/file_checks.py warn_if_sides_swapped); the
real files, dashes and runs included, are not."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from motionlex.core.motion.files import load_motion_file

_SIDE = re.compile(r"Left|Right|left|right|(?<![A-Za-z])[LR](?![a-z])|^[lr](?=[A-Z])")
_OTHER = {"Left": "Right", "Right": "Left", "left": "right", "right": "left", "L": "R",
          "R": "L", "l": "r", "r": "l"}


def _swap_side_names(line: str) -> str:
    """A JOINT/ROOT line with its side marks exchanged (Shoulder_L, CC_Base_L_Thigh, rShldr,
    leftEye), as a file named from the viewer's side has them."""
    m = re.match(r"(\s*(?:JOINT|ROOT)\s+)(\S+)", line)
    if m is None:
        return line
    name = _SIDE.sub(lambda side: _OTHER[side.group(0)], m.group(2))
    return m.group(1) + name + line[m.end(2):]


def _bvh_files(shared_data: Path) -> list[Path]:
    files = sorted((shared_data / "raw_bvh").glob("*.bvh"))
    if len(files) != 10:
        pytest.skip(f"expected the 10 BVH files of {shared_data / 'raw_bvh'}")
    return files


def test_real_bvh_files_raise_no_side_warning(shared_data, caplog):
    with caplog.at_level(logging.WARNING, logger="motionlex.core.motion"):
        for f in _bvh_files(shared_data):
            load_motion_file(f)
    assert "look swapped" not in caplog.text


def test_swapped_side_names_are_named_in_a_warning(shared_data, tmp_path, caplog):
    """Probe: the Bandai "wave right hand" take with its _L/_R names exchanged loaded
    mirrored, silently ("wave left"). Every real file so renamed is named, its own file."""
    named = []
    for f in _bvh_files(shared_data):
        swapped = tmp_path / f.name
        swapped.write_text("".join(_swap_side_names(ln) for ln in
                                   f.read_text().splitlines(keepends=True)))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="motionlex.core.motion"):
            load_motion_file(swapped)
        if f"{swapped}: its left and right joint names look swapped" in caplog.text:
            named.append(f.name)
    assert named == [f.name for f in _bvh_files(shared_data)]
