"""ARCHITECTURE.md's size rule, checked: "files stay under ~400 lines; a module holds one idea;
tests mirror the tree". A source file past :data:`MAX_LINES` has grown a second idea; split it
along that idea (a sibling module with its own docstring and its own test file), do not squeeze
it. Tests may run longer (a test file holds many small cases), up to :data:`MAX_TEST_LINES`."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: "~400 lines" in ARCHITECTURE.md, with room for a docstring or two
MAX_LINES = 450
MAX_TEST_LINES = 650
SOURCE_FOLDERS = ("core", "app", "widgets", "benchmarks")


def _python_files(*folders: str) -> list[Path]:
    files = [p for f in folders for p in sorted((REPO / f).rglob("*.py"))]
    return [p for p in files if "__pycache__" not in p.parts]


def _too_long(files: list[Path], limit: int, root: Path = REPO) -> list[str]:
    lengths = ((p, len(p.read_text(encoding="utf-8").splitlines())) for p in files)
    return [f"{p.relative_to(root)}: {n} lines" for p, n in lengths if n > limit]


def test_the_source_folders_hold_python_files() -> None:
    for folder in SOURCE_FOLDERS:
        assert _python_files(folder), f"no Python files under {folder}/: did the tree move?"


@pytest.mark.parametrize(("folders", "limit"), [(SOURCE_FOLDERS, MAX_LINES),
                                                (("tests",), MAX_TEST_LINES)],
                         ids=["source", "tests"])
def test_no_file_outgrows_the_size_rule(folders: tuple[str, ...], limit: int) -> None:
    long = _too_long(_python_files(*folders), limit)
    assert not long, (f"over {limit} lines (ARCHITECTURE.md: split along the second idea): "
                      + "; ".join(long))


def test_the_size_check_sees_a_long_file(tmp_path: Path) -> None:
    """The check itself can fail: a file one line past the limit is reported by name."""
    long = tmp_path / "long.py"
    long.write_text("x = 1\n" * (MAX_LINES + 1), encoding="utf-8")
    short = tmp_path / "short.py"
    short.write_text("x = 1\n" * MAX_LINES, encoding="utf-8")
    assert _too_long([long, short], MAX_LINES, tmp_path) == [f"long.py: {MAX_LINES + 1} lines"]
