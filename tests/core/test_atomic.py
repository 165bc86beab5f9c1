"""The safe writes: a directory swap interrupted at every step (an exception in the process,
or the process killed outright) leaves a complete old or new version and no hidden
leftovers; stale temporary folders are removed; the directory lock serialises writers."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from motionlex.core import atomic
from motionlex.core.atomic import (
    DirectoryBusyError,
    atomic_directory,
    atomic_file,
    directory_lock,
    recover_directory,
)


def _write(target: Path, text: str) -> None:
    with atomic_directory(target) as tmp:
        (tmp / "a.txt").write_text(text)
        (tmp / "b.txt").write_text(text)


def _state(target: Path) -> tuple[str | None, list[str]]:
    """(content of the complete version at ``target`` or None, hidden leftovers)."""
    hidden = sorted(p.name for p in target.parent.iterdir()
                    if p.name.startswith(f".{target.name}.") and not p.name.endswith(".lock"))
    if not target.is_dir():
        return None, hidden
    a, b = (target / "a.txt").read_text(), (target / "b.txt").read_text()
    assert a == b  # never a mix of versions
    return a, hidden


def test_atomic_directory_replaces_and_cleans(tmp_path):
    target = tmp_path / "idx"
    _write(target, "v1")
    _write(target, "v2")
    assert _state(target) == ("v2", [])
    with pytest.raises(RuntimeError), atomic_directory(target) as tmp:
        (tmp / "a.txt").write_text("half")
        raise RuntimeError("crash while writing")
    assert _state(target) == ("v2", [])
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError), atomic_directory(tmp_path / "file"):
        pass


@pytest.mark.parametrize("step", [1, 2, 3])
@pytest.mark.parametrize("fault", [KeyboardInterrupt, OSError])
def test_swap_interrupted_at_each_step(tmp_path, monkeypatch, step, fault):
    target = tmp_path / "idx"
    _write(target, "old")
    real, calls = os.replace, []

    def replace(src, dst):
        calls.append((src, dst))
        if len(calls) == step:
            raise fault(f"injected at rename {step}")
        return real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    with pytest.raises(fault, match="injected"):
        _write(target, "new")
    monkeypatch.setattr(atomic.os, "replace", real)
    content, hidden = _state(target)
    # before the commit rename the old version stays; after it the new one is finished
    assert content == ("old" if step == 1 else "new") and hidden == []


def test_a_swap_that_cannot_finish_rolls_back_to_the_old_version(tmp_path, monkeypatch):
    """The committed new version cannot be moved to NAME at all (every such rename fails, in
    the swap and again when it is settled): the old version is put back, whole, and nothing
    hidden is left; the error reaches the caller."""
    target = tmp_path / "idx"
    _write(target, "old")
    real = os.replace

    def replace(src, dst):
        if Path(dst) == target and ".new-" in Path(src).name:
            raise OSError("injected: NAME cannot be written")
        return real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    with pytest.raises(OSError, match="injected"):
        _write(target, "new")
    monkeypatch.setattr(atomic.os, "replace", real)
    assert _state(target) == ("old", [])


def test_recovery_swaps_in_the_newest_of_several_committed_versions(tmp_path):
    """Two killed writers each committed a version: the newer one (by write time) wins and
    the other is removed."""
    target = tmp_path / "idx"
    _write(target, "current")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(gone.stdout)  # a writer that is no longer running
    for k, text in enumerate(["older", "newer"]):
        d = tmp_path / f".idx.new-{pid}-{'ba'[k]}{k}"
        d.mkdir()
        (d / "a.txt").write_text(text)
        (d / "b.txt").write_text(text)
        os.utime(d, (time.time() - 100 + 50 * k,) * 2)
    assert recover_directory(target)
    assert _state(target) == ("newer", [])


_KILL = """
import os, sys
from pathlib import Path
from motionlex.core import atomic
step, real, n = int(sys.argv[2]), os.replace, [0]
def replace(src, dst):
    n[0] += 1
    if n[0] == step:
        os._exit(9)  # as SIGKILL: no except, no finally
    return real(src, dst)
atomic.os.replace = replace
with atomic.atomic_directory(Path(sys.argv[1])) as tmp:
    (tmp / "a.txt").write_text("new")
    (tmp / "b.txt").write_text("new")
    if step == 0:
        os._exit(9)  # killed while writing
"""


@pytest.mark.parametrize("step", [0, 1, 2, 3])
def test_killed_writer_is_settled_by_the_next_open(tmp_path, step):
    target = tmp_path / "idx"
    _write(target, "old")
    r = subprocess.run([sys.executable, "-c", _KILL, str(target), str(step)],
                       env={**os.environ}, capture_output=True, text=True)
    assert r.returncode == 9, r.stderr
    content, hidden = _state(target)
    assert hidden  # the killed writer left something behind
    assert content == (None if step == 3 else "old")  # step 3: NAME itself was moved aside
    assert recover_directory(target)
    assert _state(target) == ("old" if step <= 1 else "new", [])
    assert not recover_directory(target)


def test_stale_temp_folders_are_removed_live_ones_kept(tmp_path):
    target = tmp_path / "idx"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".idx.tmp-{dead}-abc_12x"
    legacy = tmp_path / ".idx.tmp-k3j_9a0b"  # older motionlex: no writer id
    live = tmp_path / f".idx.tmp-{os.getppid()}-zz9"
    reused = tmp_path / f".idx.tmp-{os.getppid()}-old"  # older than the live process
    other = tmp_path / f".idxx.tmp-{dead}-abc"
    for p in (stale, legacy, live, reused, other):
        p.mkdir()
        (p / "big.npy").write_bytes(b"0" * 1000)
    os.utime(legacy, (time.time() - 3600,) * 2)
    parent_start = atomic._started_at(os.getppid())
    os.utime(reused, ((parent_start or time.time()) - 3600,) * 2)
    _write(target, "v1")  # any write of idx cleans its stale leftovers
    assert not stale.exists() and not legacy.exists() and live.exists() and other.exists()
    assert reused.exists() == (parent_start is None)
    assert _state(target)[0] == "v1"


def test_directory_lock_waits_then_refuses(tmp_path, caplog):
    target = tmp_path / "idx"
    order: list[str] = []
    held = threading.Event()

    def holder() -> None:
        with directory_lock(target):
            held.set()
            time.sleep(0.3)
            order.append("first")

    t = threading.Thread(target=holder)
    t.start()
    held.wait()
    with directory_lock(target, timeout=10):
        order.append("second")
    t.join()
    assert order == ["first", "second"] and "waiting for another" in caplog.text
    held.clear()
    t = threading.Thread(target=holder)
    t.start()
    held.wait()
    with pytest.raises(DirectoryBusyError, match=r"idx is being written by another.*\.idx\.lock"):
        with directory_lock(target, timeout=0.05):
            pass
    t.join()


def test_atomic_file(tmp_path):
    path = tmp_path / "sub" / "m.json"
    with atomic_file(path) as tmp:
        assert tmp.suffix == ".json"
        tmp.write_text("{}")
    assert path.read_text() == "{}"
    with pytest.raises(ValueError), atomic_file(path) as tmp:
        tmp.write_text("half")
        raise ValueError("x")
    assert path.read_text() == "{}" and [p.name for p in path.parent.iterdir()] == ["m.json"]


def test_recovery_that_cannot_write_only_warns(tmp_path, monkeypatch, caplog):
    target = tmp_path / "idx"
    _write(target, "v1")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    (tmp_path / f".idx.new-{dead}-abcd1234").mkdir()

    def refuse(src, dst):
        raise PermissionError(f"read-only: {dst}")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    assert not recover_directory(target)
    assert "could not settle the interrupted write" in caplog.text
    assert _state(target)[0] == "v1"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_a_lock_that_cannot_be_created_fails_at_once():
    """A folder where no lock file can be made (here /proc) is an error at once, not a wait
    for "another process" that would last the whole timeout (that wait would end in a
    DirectoryBusyError saying another process holds it, not this message)."""
    with pytest.raises(OSError, match="cannot create the lock file /proc/.x.mlx.lock"):
        with directory_lock("/proc/x.mlx", timeout=30):
            pass


def test_a_full_disk_or_read_only_folder_names_the_target_not_the_temporary(tmp_path,
                                                                            monkeypatch):
    import errno
    import tempfile

    from motionlex.core.atomic import atomic_directory, atomic_file

    out = tmp_path / "fig.png"
    out.write_bytes(b"old")
    with pytest.raises(OSError, match=f"cannot write {out}: no space left on the device"):
        with atomic_file(out) as tmp:  # NumPy's own wording of a short write
            raise OSError("30523 requested and 3056 written")
    with pytest.raises(OSError, match="no space left") as e:
        with atomic_directory(tmp_path / "g.mlx") as tmp:
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp / "dense.npy"))
    assert e.value.errno == errno.ENOSPC
    # a file-size limit (ulimit -f) says "[Errno 27] File too large" and names no file
    with pytest.raises(OSError, match=f"cannot write {tmp_path / 'g.mlx'}: a file grew past "
                                      "the largest size allowed") as e:
        with atomic_directory(tmp_path / "g.mlx") as tmp:
            raise OSError(errno.EFBIG, "File too large")
    assert e.value.errno == errno.EFBIG
    assert out.read_bytes() == b"old" and not (tmp_path / "g.mlx").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.png"]  # no temporary left

    def read_only(*args, dir=None, **kwargs):  # noqa: A002 - tempfile's own name
        raise OSError(errno.EROFS, "Read-only file system", str(Path(dir) / ".fig.x1y2.png"))

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    with pytest.raises(PermissionError, match=f"cannot write {out}: Read-only file system"):
        with atomic_file(out):
            pass
    # a relative target: the OS names the temporary by its absolute path (as mkstemp does
    # for a relative dir); it is still ours, named as the user gave it
    monkeypatch.chdir(tmp_path)

    def denied(*args, dir=None, **kwargs):  # noqa: A002 - tempfile's own name
        raise PermissionError(errno.EACCES, "Permission denied",
                              os.path.abspath(Path(dir) / ".fig.x1y2.png"))

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(PermissionError, match="cannot write fig.png: Permission denied"):
        with atomic_file("fig.png"):
            pass
    monkeypatch.undo()
    # a permission error about another file (a source read while writing) is left alone
    source = tmp_path / "elsewhere" / "src.npy"
    with pytest.raises(PermissionError, match=r"\[Errno 13\] Permission denied") as e:
        with atomic_file(out):
            raise PermissionError(errno.EACCES, "Permission denied", str(source))
    assert e.value.filename == str(source)


def test_a_folder_that_takes_no_new_file_is_named_with_the_reason(tmp_path, monkeypatch):
    """Exporting to /proc/forbidden.glb said "[Errno 2] No such file or directory:
    '/proc/.forbidden.piptu8b0.glb'": a hidden name the user never gave, and the wrong
    reason. The error names the target and says the folder takes no new file; any other
    failure of the temporary file is named by the target too."""
    import errno
    import tempfile

    from motionlex.core.atomic import atomic_directory, atomic_file

    for make, target in ((atomic_file, "/proc/forbidden.glb"),
                         (atomic_directory, "/proc/forbidden.mlx")):
        with pytest.raises(OSError) as e:
            with make(target):
                pass
        assert str(e.value) == (f"cannot write {target}: the folder /proc does not accept "
                                "new files (not a writable folder)")
        assert e.value.errno == errno.ENOENT and ".forbidden." not in str(e.value)
    out = tmp_path / "m.glb"
    with pytest.raises(OSError, match=rf"^cannot write {out}: Input/output error$"):
        with atomic_file(out) as tmp:
            raise OSError(errno.EIO, "Input/output error", str(tmp))
    assert list(tmp_path.iterdir()) == []

    def gone(*args, dir=None, **kwargs):  # noqa: A002 - the folder removed meanwhile
        Path(dir).rmdir()
        raise FileNotFoundError(errno.ENOENT, "No such file or directory",
                                str(Path(dir) / ".m.x1y2.glb"))

    monkeypatch.setattr(tempfile, "mkstemp", gone)
    with pytest.raises(OSError, match=rf"^cannot write {out}: No such file or directory$"):
        with atomic_file(out):
            pass


def test_a_write_through_a_symbolic_link_updates_what_it_points_to(tmp_path):
    """An index or file given by a link: the link stays a link and its target gets the new
    version (the swap at the link's name used to replace the link with a real folder, leave
    the target unchanged and a hidden ``.LINK.old-*`` link behind)."""
    from motionlex.core.atomic import atomic_directory, atomic_file, directory_lock

    real = tmp_path / "real.mlx"
    real.mkdir()
    (real / "a.txt").write_text("old")
    link = tmp_path / "link.mlx"
    link.symlink_to(real.name)
    with directory_lock(link), atomic_directory(link) as tmp:
        (tmp / "a.txt").write_text("new")
    assert link.is_symlink() and (real / "a.txt").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".real.mlx.lock", "link.mlx",
                                                          "real.mlx"]
    f = tmp_path / "stats.json"
    f.write_text("{}")
    flink = tmp_path / "stats-link.json"
    flink.symlink_to(f)
    with atomic_file(flink) as tmp:
        tmp.write_text('{"n": 1}')
    assert flink.is_symlink() and f.read_text() == '{"n": 1}'


def test_atomic_file_never_replaces_a_fifo_or_device(tmp_path):
    """The rename replaced a FIFO (and, as root, /dev/full) with a regular file."""
    from motionlex.core.atomic import atomic_file

    fifo = tmp_path / "pipe.glb"
    os.mkfifo(fifo)
    with pytest.raises(FileExistsError, match=r"pipe.glb is a FIFO, not a file"):
        with atomic_file(fifo) as tmp:
            tmp.write_bytes(b"glb")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and sorted(tmp_path.iterdir()) == [fifo]
    # (a device node is refused the same way; not tried here: a failure would replace it)


def test_contents_reach_the_disk_before_the_rename_that_publishes_them(tmp_path, monkeypatch):
    """A power loss after a rename must not leave a final name pointing at data that was
    still in the page cache: each file and folder is fsynced before its rename, the parent
    folder after it."""
    import motionlex.core.atomic as atomic

    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (
        events.append("sync " + Path(os.readlink(f"/proc/self/fd/{fd}")).name), real_fsync(fd)))
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: (
        events.append(f"rename {Path(a).name[:9]} -> {Path(b).name[:9]}"), real_replace(a, b)))
    with atomic.atomic_directory(tmp_path / "idx") as tmp:
        (tmp / "a.npy").write_bytes(b"a")
        (tmp / "sub").mkdir()
        (tmp / "sub" / "b.json").write_text("{}")
    first_rename = next(i for i, e in enumerate(events) if e.startswith("rename"))
    synced = {e[5:] for e in events[:first_rename]}
    assert {"a.npy", "b.json", "sub"} <= synced
    assert events[-1] == f"sync {tmp_path.name}"  # the renames themselves
    events.clear()
    with atomic.atomic_file(tmp_path / "stats.json") as f:
        f.write_text("{}")
    assert events[0].startswith("sync .stats.") and events[1].startswith("rename .stats.")
    assert events[2] == f"sync {tmp_path.name}"

