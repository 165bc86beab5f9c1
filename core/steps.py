"""Job generators: long work written as generators that yield ``(done, total)`` progress
steps (cancel points) and return their result, so one body serves the CLI (a progress bar:
:func:`run_steps_with_bar`), the explorer's worker (progress, cancel, supersede) and plain
calls (:func:`run_steps`)."""

from __future__ import annotations

from collections.abc import Callable, Generator
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


def run_steps_with_bar(steps: Generator[Any, Any, T], *, desc: str, unit: str,
                       disable: bool = False,
                       on_step: Callable[[int, int], None] | None = None) -> T:
    """Run a job generator to its end with a tqdm progress bar (on stderr).

    The bar appears at the first step with a total (a job that fails its checks first, or
    waits with ``(0, 0)``, draws none), starts at that step's count (a resumed job's rate
    counts what is done now) and follows the job's totals as they change.

    Args:
        steps: a job generator of ``(done, total)`` steps.
        desc / unit: the bar's label and unit. disable: no bar (``--quiet``).
        on_step: called with each ``(done, total)``; it may raise to stop the job (the
            generator is closed, so it cleans up as on any error).

    Returns:
        The generator's return value.

    Raises:
        Whatever the job or ``on_step`` raises.
    """
    from tqdm.auto import tqdm

    bar = None
    try:
        while True:
            try:
                done, total = next(steps)
            except StopIteration as stop:
                return stop.value
            if bar is None and total > 0:
                bar = tqdm(desc=desc, unit=unit, total=total, initial=done, disable=disable)
            if bar is not None:
                bar.total, bar.n = total, done
                bar.refresh()
            if on_step is not None:
                try:
                    on_step(done, total)
                except BaseException:
                    steps.close()
                    raise
    finally:
        if bar is not None:
            bar.close()
