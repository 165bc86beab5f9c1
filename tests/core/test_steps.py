"""core/steps.py: ``run_steps`` runs a job generator to its end, ignoring its progress
steps, and gives back its return value (or raises what the job raises)."""

from __future__ import annotations

import pytest
from filelock import FileLock

from motionlex.core.atomic import DirectoryBusyError, lock_steps
from motionlex.core.steps import run_steps


def test_returns_the_generator_value_after_every_step():
    ran: list[int] = []

    def job():
        for i in range(5):
            ran.append(i)
            yield i, 5
        return "done"

    assert run_steps(job()) == "done"
    assert ran == [0, 1, 2, 3, 4]  # run to its end, not stopped at the first step


def test_a_job_without_steps_and_one_without_value():
    def no_steps():
        return 42
        yield  # a generator that returns before its first step

    def no_value():
        yield 0, 0

    assert run_steps(no_steps()) == 42
    assert run_steps(no_value()) is None


def test_steps_of_any_form_are_ignored():
    """Progress steps are not looked at: tuples, floats, None or objects alike."""
    def job():
        yield (1, 2)
        yield 0.5
        yield None
        yield object()
        return [1, 2]

    assert run_steps(job()) == [1, 2]


def test_the_job_error_is_raised_after_its_steps():
    ran: list[int] = []

    def job():
        ran.append(1)
        yield 1, 2
        raise KeyError("missing piece")

    with pytest.raises(KeyError, match="missing piece"):
        run_steps(job())
    assert ran == [1]


def test_real_lock_job(tmp_path):
    """A real job generator, :func:`~motionlex.core.atomic.lock_steps`: free, it returns the
    held lock; held by another holder, it yields its waits and then raises its own error."""
    target = tmp_path / "gallery.mlx"
    lock = run_steps(lock_steps(target, timeout=0))
    assert isinstance(lock, FileLock) and lock.is_locked
    lock.release()
    assert not lock.is_locked

    other = FileLock(str(tmp_path / ".gallery.mlx.lock"))
    other.acquire()
    try:
        waits: list[float] = []
        steps = lock_steps(target, timeout=0.3, poll=0.05)

        def recording():
            while True:
                try:
                    waits.append(next(steps))
                except StopIteration as stop:
                    return stop.value
                yield waits[-1]

        with pytest.raises(DirectoryBusyError, match="being written by another"):
            run_steps(recording())
        assert waits and all(w >= 0 for w in waits)
    finally:
        other.release()


def test_the_bar_form_returns_the_value_and_an_on_step_error_closes_the_job(capsys):
    """``run_steps_with_bar``: the one drain with a progress bar (index, evaluate, describe)."""
    from motionlex.core.steps import run_steps_with_bar

    closed: list[bool] = []

    def job():
        try:
            yield 0, 0  # waiting: no bar yet
            for i in range(1, 4):
                yield i, 3
            return "done"
        finally:
            closed.append(True)

    assert run_steps_with_bar(job(), desc="work", unit="item") == "done"
    err = capsys.readouterr().err
    assert "work: 100%" in err and "3/3" in err

    def stop(done, total):
        if done == 2:
            raise KeyError("stopped")

    closed.clear()
    with pytest.raises(KeyError, match="stopped"):
        run_steps_with_bar(job(), desc="work", unit="item", on_step=stop)
    assert closed == [True]  # the job cleaned up, as on any error
