"""The ``motionlex`` parser, entry point and error policy. Subcommands (scan, stats, patches,
events, train, evaluate, words, index, search, describe, compare, export) live in the sibling
modules.

Every command imports core inside its function, so ``--help`` and argument errors start without
torch, transformers or SciPy. An expected failure prints one line naming the file and the
problem (exit 2), Ctrl-C prints "interrupted" (exit 130) and SIGTERM (``kill``, a scheduler's
stop) "terminated" (exit 143), each keeping what a Ctrl-C keeps; only a bug prints a traceback
(and, with ``-v``, every failure). A reader of stdout that goes away early (``| head -1``) ends
every command quietly with exit 0.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import select
import shlex
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

from motionlex.core import __version__
from motionlex.core.cli.compare import add_compare_command
from motionlex.core.cli.data import add_data_commands
from motionlex.core.cli.describe import add_describe_command
from motionlex.core.cli.export import add_export_command
from motionlex.core.cli.gallery import add_gallery_commands
from motionlex.core.cli.model import add_evaluate_commands, add_train_command
from motionlex.core.cli.types import Parser, UsageError
from motionlex.core.cli.words import add_words_command

VERBOSE_HELP = "debug logging, and a traceback with every error"

_FULL = {errno.EFBIG: "a file grew past the size limit (ulimit -f, or the file system's "
                      "largest file)",
         errno.ENOSPC: "no space left on the device", errno.EDQUOT: "the disk quota is used up"}
"""Write errors that the libraries writing a file (NumPy, fsspec) raise without its name."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``motionlex`` (subcommands registered here)."""
    p = Parser(
        prog="motionlex",
        description="3D human motion and language: motion patches, dense and lexical "
        "embeddings, chronology-aware retrieval.",
    )
    p.add_argument("--version", action="version", version=f"motionlex {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    add_data_commands(sub)
    add_train_command(sub)
    add_evaluate_commands(sub)
    add_words_command(sub)
    add_gallery_commands(sub)
    add_describe_command(sub)
    add_compare_command(sub)
    add_export_command(sub)
    p.commands = dict(sub.choices)  # an unknown option is refused by its subcommand
    for command in sub.choices.values():  # -v after the subcommand too; SUPPRESS keeps a
        command.add_argument(  # -v given before it (no default of its own to overwrite it)
            "-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
            help=VERBOSE_HELP)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``motionlex`` console script.

    Returns:
        0 done (also when the reader of stdout went away early, ``| head -1``: the rest of
        the output is dropped without a word, as when it had fitted into the pipe), 2 an
        expected failure, 130 Ctrl-C.
    """
    slowed = _slow_bars_in_logs()
    try:
        code = _run(argv)
    except SystemExit:  # --help and --version
        _flush_stdout()
        raise
    except BrokenPipeError:  # while parsing (--help | head -1); a bug's error propagates
        if not _stdout_closed():
            raise
        return _stdout_gone()
    finally:  # main() called in-process (a notebook, a test) leaves the environment as it was
        if slowed:
            os.environ.pop("TQDM_MININTERVAL", None)
    _flush_stdout()  # here, not at exit, where a reader gone away is reported again
    return code


def _flush_stdout() -> None:
    """Flush stdout; a reader that went away (``| head -1``) ends quietly."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        if not _stdout_closed():
            raise
        _stdout_gone()


def _stdout_closed() -> bool:
    """Whether the reader of stdout has gone away (a pipe whose read end is closed), so a
    ``BrokenPipeError`` came from stdout, not from another pipe (a data-loader worker's)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # no file behind it (a test's capture)
        return False
    if not hasattr(select, "poll"):  # Windows: no way to ask, so the error is shown
        return False
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(ev & (select.POLLERR | select.POLLHUP) for _, ev in poller.poll(0))


def _stdout_gone() -> int:
    """Stop quietly when stdout's reader went away: what is still buffered goes to devnull
    (else Python's exit flush reports the broken pipe again); exit 0, as every command."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # no file descriptor (a test's capture)
        pass
    return 0


LOG_BAR_INTERVAL = "30"
"""Seconds between progress-bar updates when stderr is a file or pipe (a SLURM log, ``2>
log``): each update there is a new line, so an index of 3,002 motions wrote ~100 of them."""


def _slow_bars_in_logs() -> bool:
    """Progress bars on a stderr that is no terminal update every :data:`LOG_BAR_INTERVAL`
    seconds: tqdm's ``TQDM_MININTERVAL`` (a value the user set is kept), which tqdm reads
    when it is imported, so this works for the ``motionlex`` process (tqdm is imported by
    the commands, after this), not for an interpreter that imported tqdm before ``main``.

    Returns:
        Whether it set the variable (:func:`main` removes it again at the end).
    """
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):  # no file behind it (closed, a test's capture)
        tty = False
    if tty or "TQDM_MININTERVAL" in os.environ:
        return False
    os.environ["TQDM_MININTERVAL"] = LOG_BAR_INTERVAL
    return True


_LOG_HANDLER: list[logging.Handler] = []
"""The stderr handler a :func:`main` call put on the root logger (at most one)."""


def _log_to_stderr(command: str, verbose: bool) -> None:
    """Log warnings (``-v``: everything) to stderr, worded for ``command``.

    As ``logging.basicConfig``, nothing is added when the root logger has handlers of its
    own (an application's, pytest's); the handler an earlier :func:`main` call added is
    replaced, so a second call in one process (a notebook, a script) labels its warnings
    with its own command and level, not the first one's.
    """
    root = logging.getLogger()
    for old in _LOG_HANDLER:
        root.removeHandler(old)
    _LOG_HANDLER.clear()
    if root.handlers:
        return
    handler = logging.StreamHandler()  # stderr, as logging.basicConfig's
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s")
                         if verbose else UserLogFormatter(command))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    _LOG_HANDLER.append(handler)


def _run(argv: list[str] | None) -> int:
    """Parse ``argv`` and run its command under the error policy (module doc)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.command_line = shlex.join(["motionlex", *(sys.argv[1:] if argv is None else argv)])
    _log_to_stderr(args.command, args.verbose)
    if not getattr(args, "func", None):  # no command: argparse's convention, usage + exit 2
        parser.print_help(sys.stderr)
        print("motionlex: error: give a COMMAND (motionlex COMMAND --help for its options)",
              file=sys.stderr)
        return 2
    terminated: list[int] = []
    try:
        with _sigterm_as_interrupt(terminated):
            return int(args.func(args) or 0)
    except KeyboardInterrupt:
        if args.verbose:
            traceback.print_exc()
        hint = getattr(args, "interrupt_hint", "")  # what Ctrl-C keeps, once there is some
        hint = hint() if callable(hint) else hint  # (said from what is on disk now)
        said = "terminated" if terminated else "interrupted"
        print(f"motionlex {args.command}: {said}{hint}", file=sys.stderr)
        return 143 if terminated else 130
    except UsageError as e:  # a missing argument: the command's usage, as argparse says it
        parser.commands[args.command].print_usage(sys.stderr)
        print(f"motionlex {args.command}: error: {e}", file=sys.stderr)
        return 2
    except Exception as e:
        if isinstance(e, BrokenPipeError) and _stdout_closed():  # ``| head``: stop quietly
            return _stdout_gone()
        message = expected_failure(e, args)
        if message is None:  # a bug: Python prints the traceback
            raise
        if args.verbose:
            traceback.print_exc()
        print(f"motionlex {args.command}: error: {message}", file=sys.stderr)
        return 2


class UserLogFormatter(logging.Formatter):
    """Without ``-v``, a warning that motionlex logs reads as the CLI's other warnings,
    ``motionlex index: warning: MESSAGE`` (``motionlex compare: warning: ...``), not as a
    log line with a module path (``WARNING motionlex.core.retrieval.build: ...``); another
    library's keeps its logger's name, which says where it comes from. ``-v`` keeps the
    log format (level and logger of each line)."""

    def __init__(self, command: str | None) -> None:
        super().__init__()
        self.prog = f"motionlex {command}" if command else "motionlex"

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        """``motionlex COMMAND: warning: MESSAGE`` (``error:`` for an error, ...)."""
        source = "" if record.name.split(".")[0] == "motionlex" else f"{record.name}: "
        return f"{self.prog}: {record.levelname.lower()}: {source}{record.getMessage()}"


@contextmanager
def _sigterm_as_interrupt(terminated: list[int]) -> Iterator[None]:
    """While the command runs, SIGTERM stops it as Ctrl-C does (a ``KeyboardInterrupt``: an
    index keeps its encoded motions, training its checkpoints; Lightning's own handler runs
    first during a fit), noted in ``terminated``; the handler before is restored after."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread
        return

    def stop(signum: int, frame: object) -> None:
        terminated.append(signum)
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def expected_failure(e: BaseException, args: argparse.Namespace) -> str | None:
    """One line for an expected failure, None for a bug. Expected: ``OSError``, ``ValueError``
    (``MotionFileError``, ``DatasetError``, ``GalleryIndexError``, bad JSON ...), ``KeyError``,
    ``ImportError`` (an optional package) and YAML errors (named by file or override)."""
    yaml = sys.modules.get("yaml")  # imported only by the commands that read YAML
    if yaml is not None and isinstance(e, yaml.YAMLError):
        mark, problem = getattr(e, "problem_mark", None), getattr(e, "problem", None) or e
        value = str(getattr(mark, "buffer", "") or "").rstrip("\0")
        culprit = [ov for ov in getattr(args, "overrides", None) or [] if ov.endswith(value)]
        source = (f"override {culprit[0]!r}" if value and culprit
                  else getattr(args, "config", None) or "YAML")
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return " ".join(f"{source}: invalid YAML{where}: {problem}".split())
    if not isinstance(e, (OSError, ValueError, KeyError, ImportError)) or (
            isinstance(e, ImportError) and (e.name or "").startswith("motionlex")):
        return None  # a bug (our own module failing to import is one too)
    if isinstance(e, KeyError):  # a sentence raised as KeyError reads as itself
        arg = e.args[0] if e.args else ""
        text = arg if isinstance(arg, str) and " " in arg.strip() else f"missing key {e}"
    elif (isinstance(e, OSError) and e.errno in _FULL and not e.filename
          and "cannot write" not in str(e)):  # "[Errno 27] File too large", naming no file
        out = getattr(args, "out", None)
        text = (f"cannot write {out}: {_FULL[e.errno]} ({e.strerror})" if out else
                f"a file could not be written: {_FULL[e.errno]} ({e.strerror})")
    else:
        text = str(e)
    return " ".join(text.split()) or type(e).__name__
