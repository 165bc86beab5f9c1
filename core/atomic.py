"""Safe writes: nothing half-written ever sits at a final path.

Every file or directory motionlex writes (checkpoints, gallery indexes, statistics,
figures, metrics) goes through these helpers: the content is written under a temporary
name in the target's own folder and moved into place with ``os.replace``, so readers see
either the old complete version or the new complete one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_directory(target: str | os.PathLike) -> Iterator[Path]:
    """Build a directory under a temporary name, then swap it in for ``target``.

    Yields an empty folder next to ``target``. When the block ends normally the folder
    replaces ``target`` (an existing one is moved aside first and deleted afterwards);
    when it raises, the temporary folder is removed and ``target`` is left untouched.

    Raises:
        FileExistsError: ``target`` exists and is not a directory.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise FileExistsError(f"{target} exists and is not a directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        os.chmod(tmp, 0o755)
        yield tmp
        if target.exists():
            old = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[Path]:
    """Write a file under a temporary name in its folder, then rename it onto ``path``.

    Yields the temporary path (same suffix as ``path``, so writers that pick a format by
    suffix keep working). On an exception the temporary file is removed and ``path`` is
    left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
