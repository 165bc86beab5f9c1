"""Safe writes: nothing half-written ever sits at a final path, nothing complete is lost.

Every file or directory motionlex writes (checkpoints, gallery indexes, statistics,
figures, metrics) goes through these helpers: the content is written under a temporary
name in the target's own folder and moved into place with ``os.replace``, so readers see
either the old complete version or the new complete one.

A directory swap takes four steps, each one rename or delete; hidden names next to
``NAME`` record where it stopped (``PID`` is the writer's process id):

1. the finished ``.NAME.tmp-PID-*`` becomes ``.NAME.new-PID-*`` (the commit point: from
   here on the new version wins);
2. the old ``NAME`` becomes ``.NAME.old-PID-*``;
3. ``.NAME.new-PID-*`` becomes ``NAME``;
4. ``.NAME.old-PID-*`` is deleted.

An exception at any step is settled at once (:func:`_settle`); a writer killed outright
(SIGKILL, power loss) leaves names that :func:`recover_directory` settles the next time
the directory is written or opened: it finishes a committed swap, restores a hidden old
version, and deletes unfinished temporary folders. It touches only names whose writer is
no longer running, so a live writer's work is never taken from it. :func:`directory_lock`
(or its generator form :func:`lock_steps`) serialises read-modify-write cycles (an
incremental index build) across processes. Contents are flushed to the disk (``fsync``)
before the rename that publishes them, and the folder after it, so a power loss cannot leave
a final name pointing at an empty file.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

from filelock import FileLock, Timeout

from motionlex.core.checksums import special_file_kind
from motionlex.core.steps import run_steps

logger = logging.getLogger(__name__)

_STARTED = time.time()
"""When this process imported the module: hidden folders without a writer id that are
older than this are left over from an earlier run."""


class DirectoryBusyError(TimeoutError):
    """Another process holds a directory's lock for longer than the caller would wait."""


def write_target(path: str | os.PathLike) -> Path:
    """Where a write of ``path`` lands: ``path`` itself, or for a symbolic link the file or
    folder it points to (resolved), so that the link stays a link and what it points to
    gets the new version (a swap at the link's name would replace the link with a real
    folder and leave its target behind, unchanged)."""
    p = Path(path)
    return Path(os.path.realpath(p)) if p.is_symlink() else p


def _owner_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def _started_at(pid: int) -> float | None:
    """When process ``pid`` started (Unix time; Linux ``/proc``), or None when unknown."""
    try:
        ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        btime = next(float(ln.split()[1]) for ln in Path("/proc/stat").read_text().splitlines()
                     if ln.startswith("btime "))
        return btime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _is_stale(path: Path, pid: int | None) -> bool:
    """Whether a hidden folder's writer is gone: its process ``pid`` is dead, or started
    after the folder was last written (the id was reused); without an id, the folder is
    older than this process."""
    mtime = path.stat().st_mtime
    if pid is None:
        return mtime < _STARTED
    if not _owner_alive(pid):
        return True
    started = _STARTED if pid == os.getpid() else _started_at(pid)
    return started is not None and mtime < started - 1.0


def _leftovers(target: Path) -> dict[str, list[Path]]:
    """Hidden ``tmp``/``new``/``old`` folders of ``target`` whose writer is gone."""
    pat = re.compile(rf"^\.{re.escape(target.name)}\.(tmp|new|old)-(?:(\d+)-)?[0-9a-z_]+$")
    out: dict[str, list[Path]] = {"tmp": [], "new": [], "old": []}
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return out
    for p in entries:
        m = pat.match(p.name)
        if m is None:
            continue
        try:
            stale = _is_stale(p, int(m.group(2)) if m.group(2) else None)
        except OSError:  # removed meanwhile
            continue
        if stale:
            out[m.group(1)].append(p)
    for v in out.values():
        v.sort(key=lambda q: q.stat().st_mtime if q.exists() else 0.0)
    return out


def recover_directory(target: str | os.PathLike) -> bool:
    """Settle an interrupted :func:`atomic_directory` swap of ``target`` and clean up.

    Only hidden folders whose writer process is no longer running are touched. A committed
    new version (``.NAME.new-*``) is swapped in; otherwise a missing ``target`` gets its
    hidden old version (``.NAME.old-*``, the newest) back; then the remaining old versions
    and unfinished temporary folders (``.NAME.tmp-*``) are deleted.

    Args:
        target: the directory a writer was replacing.

    Returns:
        True when something was restored, finished or deleted; False when nothing was
        left over or it could not be settled (logged; e.g. a read-only folder).
    """
    target = write_target(target)
    left = _leftovers(target)
    if not any(left.values()):
        return False
    try:
        _recover(target, left)
    except OSError as e:  # e.g. a read-only folder: readers still get what is there
        logger.warning("could not settle the interrupted write of %s: %s", target, e)
        return False
    return True


def _recover(target: Path, left: dict[str, list[Path]]) -> None:
    if left["new"]:
        newest = left["new"].pop()
        if target.exists():
            old = target.parent / f".{target.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            os.replace(target, old)
            left["old"].append(old)
        os.replace(newest, target)
        logger.warning("finished the interrupted replacement of %s", target)
    elif not target.exists() and left["old"]:
        os.replace(left["old"].pop(), target)
        logger.warning("restored %s from an interrupted replacement", target)
    for p in left["tmp"] + left["new"] + left["old"]:
        shutil.rmtree(p, ignore_errors=True)
        logger.info("removed %s, left over by an interrupted write", p)


def _settle(target: Path, new: Path, old: Path) -> None:
    """Finish a committed swap after an exception (or roll it back if it cannot finish)."""
    try:
        if new.exists():
            if target.exists() and not old.exists():
                os.replace(target, old)
            os.replace(new, target)
    except OSError:
        if not target.exists() and old.exists():
            os.replace(old, target)
        shutil.rmtree(new, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)


def _raise_clearer(e: BaseException, target: Path, tmp: Path | None = None) -> NoReturn:
    """Raise :func:`write_error`'s clearer error from ``e``, or ``e`` itself."""
    clearer = write_error(e, target, tmp)
    if clearer is None:
        raise e
    raise clearer from e


def write_error(e: BaseException, target: Path, tmp: Path | None = None) -> OSError | None:
    """A clearer error for a write into ``target``'s folder that failed (a full disk, a
    read-only or forbidden folder, a folder that takes no new files such as ``/proc``),
    naming ``target`` rather than the hidden temporary name; None when ``e`` is another
    error (kept as it is).

    Args:
        e: the error raised while creating (``tmp`` None) or writing ``tmp``.
        target: the file or folder being written.
        tmp: the temporary file or folder written; a permission error about another path
            (a source file read while writing) is not ours to rename.
    """
    if not isinstance(e, OSError):
        return None
    text = str(e)
    code = e.errno
    if code in (errno.ENOSPC, errno.EDQUOT) or (
            code is None and " requested and " in text and " written" in text):  # NumPy's
        out: OSError = OSError(f"cannot write {target}: no space left on the device; "
                               f"nothing was replaced")
        out.errno = errno.ENOSPC
        return out
    if code == errno.EFBIG:  # 'File too large' names no file: a ulimit -f or the file system
        out = OSError(f"cannot write {target}: a file grew past the largest size allowed "
                      f"(a file-size limit such as ulimit -f, or the file system's); nothing "
                      f"was replaced")
        out.errno = code
        return out
    name = str(e.filename or "")
    # the OS names absolute paths; the caller's may be relative
    where, full, tmp_full = (Path(os.path.abspath(p)) if p else None
                             for p in (name, target, tmp))
    if where is None or full is None:
        ours = False
    elif tmp_full is None:  # creating the temporary name in target's folder
        ours = where == full.parent or full.parent in where.parents
    else:
        ours = where in (tmp_full, full) or tmp_full in where.parents
    if not ours:
        return None
    if code in (errno.EROFS, errno.EACCES, errno.EPERM):
        out = PermissionError(f"cannot write {target}: {e.strerror or text} "
                              f"(in {target.parent})")
    elif code == errno.ENOENT and tmp_full is None and full.parent.is_dir():
        # the folder is there but refuses a new file (/proc, /sys): the OS says ENOENT
        out = OSError(f"cannot write {target}: the folder {target.parent} does not accept "
                      f"new files (not a writable folder)")
    else:  # any other failure of the temporary file is the target's, by the user's name
        out = OSError(f"cannot write {target}: {e.strerror or text}")
    out.errno = code
    return out


def _fsync(path: Path) -> None:
    """Flush a file's or a folder's contents to the disk (best effort: some file systems
    refuse ``fsync`` on a folder)."""
    try:  # a file opened for writing: Windows flushes only those (and no folders)
        fd = os.open(path, os.O_RDONLY if path.is_dir() else os.O_RDWR)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    """:func:`_fsync` every file and folder under ``root`` (``root`` last), so a rename that
    publishes it never points at data still in the page cache after a power loss."""
    for folder, _, files in os.walk(root, topdown=False):
        for name in files:
            _fsync(Path(folder) / name)
        _fsync(Path(folder))


@contextmanager
def atomic_directory(target: str | os.PathLike) -> Iterator[Path]:
    """Build a directory under a temporary name, then swap it in for ``target``.

    Yields an empty folder next to ``target``. When the block ends normally the folder
    replaces ``target`` (the four steps of the module docstring); when it raises, the
    temporary folder is removed and ``target`` is left untouched. Leftovers of killed
    writers are settled first (:func:`recover_directory`). An interrupt during the swap
    itself ends with the new version in place (or, if it cannot be moved, the old one).

    Raises:
        FileExistsError: ``target`` exists and is not a directory.
    """
    target = write_target(target)
    if target.exists() and not target.is_dir():
        raise FileExistsError(f"{target} exists and is not a directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    recover_directory(target)
    tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-",
                                    dir=target.parent))
    except OSError as e:
        _raise_clearer(e, target)
    new = target.parent / f".{target.name}.new-{tag}"
    old = target.parent / f".{target.name}.old-{tag}"
    try:
        os.chmod(tmp, 0o755)
        yield tmp
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        _raise_clearer(e, target, tmp)
    try:
        _fsync_tree(tmp)  # the contents are on the disk before any name points at them
        os.replace(tmp, new)
        if target.exists():
            os.replace(target, old)
        os.replace(new, target)
        _fsync(target.parent)  # and the renames too
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        _settle(target, new, old)
        raise


def lock_steps(target: str | os.PathLike, timeout: float = 600.0,
               poll: float = 0.2) -> Generator[float, None, FileLock]:
    """Take the inter-process lock of ``target`` (``.NAME.lock`` next to it), step by step.

    The generator form of :func:`directory_lock`, for jobs driven as generators: while
    another process holds the lock it yields the seconds waited so far every ``poll``
    seconds (each a cancel point: closing the generator gives up the wait), then returns
    the held lock, which the caller must ``release()``. ``flock`` locks die with their
    process, so a crashed writer leaves no stale lock; the first wait is logged.

    Args:
        target: the directory guarded.
        timeout: seconds to wait for another holder (< 0: wait forever, 0: do not wait).
        poll: seconds between attempts.

    Raises:
        DirectoryBusyError: another process held the lock for ``timeout`` seconds (names
            the directory, the lock file and the wait).
        OSError: the lock file cannot be created (a read-only or special folder).
    """
    target = write_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    lock_path = target.parent / f".{target.name}.lock"
    if not lock_path.exists():  # a folder where no file can be made would look like a lock
        try:                    # held forever; the lock file itself is filelock's to make
            with tempfile.TemporaryFile(dir=target.parent):
                pass
        except OSError as e:
            raise OSError(f"cannot create the lock file {lock_path} next to {target} "
                          f"({e.strerror}): is {target.parent} a writable folder?") from e
    lock = FileLock(lock_path)
    start, first = time.monotonic(), True
    while True:
        left = poll if timeout < 0 else max(0.0, timeout - (time.monotonic() - start))
        try:
            lock.acquire(timeout=0 if first else min(poll, left))
            return lock
        except Timeout:
            pass
        waited = time.monotonic() - start
        if first:
            first = False
            logger.warning("waiting for another motionlex process writing %s (lock %s)",
                           target, lock.lock_file)
        if 0 <= timeout <= waited:
            raise DirectoryBusyError(
                f"{target} is being written by another motionlex process (lock "
                f"{lock.lock_file} held for more than {timeout:g} s); wait for it to finish "
                "and run again")
        yield waited


@contextmanager
def directory_lock(target: str | os.PathLike, timeout: float = 600.0) -> Iterator[None]:
    """Hold the inter-process lock of ``target`` for the block (see :func:`lock_steps`).

    Wrap a read-modify-write cycle of ``target`` in it so that two writers cannot both
    read the old version and the second one drop the first one's additions.

    Raises:
        DirectoryBusyError: another process held the lock for ``timeout`` seconds.
        OSError: the lock file cannot be created (a read-only or special folder).
    """
    lock = run_steps(lock_steps(target, timeout))
    try:
        yield
    finally:
        lock.release()


@contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[Path]:
    """Write a file under a temporary name in its folder, then rename it onto ``path``.

    Yields the temporary path (same suffix as ``path``, so writers that pick a format by
    suffix keep working). On an exception the temporary file is removed and ``path`` is
    left as it was.

    Raises:
        IsADirectoryError: ``path`` is a folder.
        FileExistsError: ``path`` is a FIFO, device or socket (never replaced).
        OSError / PermissionError: a full disk or a folder that cannot be written,
            naming ``path`` (:func:`write_error`).
    """
    path = write_target(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder: give a file name inside it")
    kind = special_file_kind(path)
    if kind is not None:  # the rename would replace a FIFO or a device node (/dev/full)
        raise FileExistsError(f"{path} is {kind}, not a file: give a file name to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.",
                                   suffix=path.suffix)
    except OSError as e:
        _raise_clearer(e, path)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        _fsync(Path(tmp))  # on the disk before the name points at it (a power loss)
        os.replace(tmp, path)
        _fsync(path.parent)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        _raise_clearer(e, path, Path(tmp))
