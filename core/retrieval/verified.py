"""Checksums of large index files in blocks, verified when the bytes are first used.

A gallery index of a million motions holds gigabytes of playback joints; hashing them all
whenever the index opens would read every byte before the first query. Such a file is
instead recorded in the manifest with one SHA-256 per block of :data:`BLOCK_BYTES` (besides
the whole-file SHA-256 that older readers check), and :class:`BlockVerifier` checks a
block the first time any of its bytes are read. The standard stays the one of the whole-file
check: no byte of the file is used before its checksum has been compared with the manifest.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

BLOCK_BYTES = 1 << 22
"""Bytes per checksummed block (4 MiB: hashing one takes a few milliseconds)."""


def file_digests(path: str | os.PathLike, block_bytes: int = BLOCK_BYTES) -> tuple[str, list[str]]:
    """SHA-256 of a whole file and of each of its ``block_bytes`` blocks, in one read.

    Args:
        path: the file.
        block_bytes: block size in bytes (the last block may be shorter).

    Returns:
        ``(file hex digest, [block hex digest, ...])``; an empty file has no blocks.
    """
    whole = hashlib.sha256()
    blocks = []
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(block_bytes), b""):
            whole.update(block)
            blocks.append(hashlib.sha256(block).hexdigest())
    return whole.hexdigest(), blocks



def rebuild_hint(index_dir: str | Path) -> str:
    """How to replace a damaged gallery index (the end of every corruption message)."""
    return (f"rebuild the index: remove {index_dir} and run 'motionlex index --data DATA "
            f"--out {index_dir}' again")

class BlockVerifier:
    """Checks byte ranges of one file against its manifest block digests, once per block.

    Args:
        path: the file (its size was checked against the manifest when the index opened).
        block_bytes: block size the digests were computed with.
        digests: SHA-256 hex digest of each block.
        error: exception class raised on a mismatch (called with the message).

    Raises:
        ValueError: ``block_bytes < 1`` or a digest count that does not cover the file.
    """

    def __init__(self, path: Path, block_bytes: int, digests: list[str],
                 error: Callable[[str], Exception]) -> None:
        if int(block_bytes) < 1:
            raise ValueError(f"{path}: block size must be >= 1 byte, got {block_bytes}")
        self.path = Path(path)
        self.block_bytes = int(block_bytes)
        self.digests = list(digests)
        self.size = self.path.stat().st_size
        want = -(-self.size // self.block_bytes)
        if len(self.digests) != want:
            raise ValueError(f"{path}: {len(self.digests)} block checksums for {self.size} "
                             f"bytes, expected {want}")
        self._error = error
        self._verified = bytearray(len(self.digests))  # 1 once a block matched
        self._complete = False  # every block matched
        self._lock = threading.Lock()

    @property
    def verified_blocks(self) -> int:
        """Number of blocks checked so far."""
        return sum(self._verified)

    def check(self, start: int, stop: int) -> None:
        """Verify every block overlapping bytes ``[start, stop)`` not verified yet.

        Raises:
            the ``error`` class: a block's SHA-256 differs from the manifest (the file, the
                block and both digests named).
        """
        if stop <= start or self._complete:
            return
        first, last = start // self.block_bytes, (min(stop, self.size) - 1) // self.block_bytes
        todo = [b for b in range(first, last + 1) if not self._verified[b]]
        if not todo:
            return
        with self._lock, open(self.path, "rb") as f:
            for b in todo:
                if self._verified[b]:
                    continue
                f.seek(b * self.block_bytes)
                got = hashlib.sha256(f.read(self.block_bytes)).hexdigest()
                if got != self.digests[b]:
                    raise self._error(
                        f"{self.path}: checksum of block {b} (bytes {b * self.block_bytes}-"
                        f"{min((b + 1) * self.block_bytes, self.size) - 1}) {got[:16]}... does "
                        f"not match the manifest's {self.digests[b][:16]}... (the file changed "
                        f"or is corrupted; {rebuild_hint(self.path.parent)})")
                self._verified[b] = 1

    def check_all(self) -> None:
        """Verify the whole file (every block not verified yet); later checks are free."""
        self.check(0, self.size)
        self._complete = True
