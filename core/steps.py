"""Job generators: long work written as generators that yield ``(done, total)`` progress
steps (cancel points) and return their result, so one body serves the CLI (a progress bar),
the explorer's worker (progress, cancel, supersede) and plain calls (:func:`run_steps`)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, TypeVar

T = TypeVar("T")


def run_steps(steps: Generator[Any, Any, T]) -> T:
    """Run a job generator to its end, ignoring its progress steps.

    Returns:
        The generator's return value.

    Raises:
        Whatever the job raises.
    """
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value
