"""Fixtures for tests/core: figures that tests measure, printed in pytest's terminal summary.

A test asks for ``terminal_report`` (a list of str) and appends lines; they appear under a
"motionlex figures" heading at the end of every run, including a plain ``python -m pytest``.
"""

from __future__ import annotations

import pytest

_REPORT = pytest.StashKey[list]()


@pytest.fixture
def terminal_report(request: pytest.FixtureRequest) -> list:
    """Lines to print in the terminal summary (shared by all tests of the session)."""
    return request.config.stash.setdefault(_REPORT, [])


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    lines = config.stash.get(_REPORT, [])
    if lines:
        terminalreporter.section("motionlex figures")
        for line in lines:
            terminalreporter.write_line(line)
