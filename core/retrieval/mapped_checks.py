"""Checks before an open gallery index reads its memory-mapped files.

:class:`~.index.GalleryIndex` maps the playback joints, the dense embeddings and the posting
lists instead of reading them at open, so that an index of a million motions opens at once.
Two things then have to be checked when the bytes are read rather than when the index opens,
and :class:`MappedFileChecks` (a mixin of the index) does both:

- the files must still be the ones that were mapped: a file cut short under its map kills
  the process (SIGBUS) at the next read, and one rebuilt in place reads as corrupted, so each
  read first compares the file's size, inode and modification time with those at open
  (:meth:`~MappedFileChecks.check_unchanged`);
- no byte is used before its checksum has been compared with the manifest: the joints and
  the posting lists are verified block by block as they are read (:mod:`.verified`), and a
  file read whole on first use (``lexical.npz``) when it is first read.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from motionlex.core.retrieval.index_format import (
    INVERTED_ARRAYS,
    GalleryIndexError,
    _check_sha256,
)
from motionlex.core.retrieval.verified import BlockVerifier


def file_identity(path: Path) -> tuple[int, int, int] | None:
    """``(size, inode, modification time ns)`` of a file; None when it is gone."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_ino, st.st_mtime_ns


class MappedFileChecks:
    """The checks of :class:`~.index.GalleryIndex` before it reads a mapped file.

    The index sets, when it opens:

    Attributes:
        path: the index directory.
        manifest: the parsed ``manifest.json`` (``files``: name -> ``bytes``, ``sha256``).
        inverted: ``(N, V)`` CSC lexical matrix (its ``indptr`` locates the posting lists).
        _mapped: ``{file name: file_identity}`` of the memory-mapped files at open.
        _unverified: names of the files read whole on first use whose SHA-256 is still to
            be checked (empty when opened with ``verify=False``).
        _joint_rows: ``(R, 3)`` memory-mapped ``joints.npy``.
        _joint_blocks: its :class:`BlockVerifier`, or None (not verifying, or an index
            written without block checksums, checked whole at open).
        _posting_blocks: verifiers of ``inverted_indices.npy`` and ``inverted_data.npy`` (a
            None for a file without block checksums; empty when not verifying).
        _posting_offsets: byte offsets of those two arrays in their files.
    """

    path: Path
    manifest: dict
    inverted: sp.csc_matrix
    _mapped: dict[str, tuple[int, int, int] | None]
    _unverified: set[str]
    _joint_rows: np.ndarray
    _joint_blocks: BlockVerifier | None
    _posting_blocks: tuple[BlockVerifier | None, ...]
    _posting_offsets: tuple[int, int]

    def _watch_mapped(self, names: Sequence[str]) -> None:
        """Record the identity of the mapped files ``names`` (at open)."""
        self._mapped = {name: file_identity(self.path / name) for name in names}

    def check_postings(self, word_ids: Sequence[int] | np.ndarray | None = None) -> None:
        """Verify the posting lists of ``word_ids`` (None: all) before they are read.

        Version 2 indexes check their memory-mapped inverted index block by block, once per
        block (:mod:`.verified`); a no-op for version 1 (read whole at open) and for indexes
        opened with ``verify=False``.

        Raises:
            GalleryIndexError: a block's checksum differs from the manifest, or the posting
                files changed on disk since the index was opened (:meth:`check_unchanged`).
        """
        self.check_unchanged([n for n in INVERTED_ARRAYS if n in self._mapped])
        if not any(self._posting_blocks):
            return
        indptr = self.inverted.indptr
        words = None if word_ids is None else np.asarray(word_ids, np.int64).tolist()
        # (verifier, byte offset of the array in its file): indices and data, 4 bytes a posting
        for verifier, base in zip(self._posting_blocks, self._posting_offsets):
            if verifier is None:
                continue
            if words is None:
                verifier.check_all()
                continue
            for j in words:
                a, b = int(indptr[j]), int(indptr[j + 1])
                if b > a:
                    verifier.check(base + 4 * a, base + 4 * b)

    def check_unchanged(self, names: Sequence[str] | None = None) -> None:
        """Refuse to read memory-mapped files (``names``; None: all of them) that changed on
        disk since the index was opened: a file cut short under its map kills the process
        (SIGBUS) at the next read, and one rebuilt in place reads as corrupted.

        Raises:
            GalleryIndexError: a file is gone, or its size, inode or modification time
                differ; the message says to open the gallery again.
        """
        for name in self._mapped if names is None else names:
            if file_identity(self.path / name) != self._mapped[name]:
                raise GalleryIndexError(
                    f"{self.path / name} changed on disk since the gallery was opened "
                    f"(rebuilt, replaced, cut short or removed): open the gallery again")

    def _check_joint_rows(self, a: int, b: int) -> None:
        """Verify the blocks of ``joints.npy`` that hold joint rows ``[a, b)`` (each row 3
        values of the file's dtype), when the index verifies them."""
        if self._joint_blocks is not None:
            row = 3 * self._joint_rows.dtype.itemsize
            start = self._joint_rows.offset + a * row
            self._joint_blocks.check(start, start + (b - a) * row)

    @property
    def _joints(self) -> np.ndarray:
        """``(R, 3)`` all joint rows, memory-mapped, every block verified first (for
        :func:`.build.build_steps`, which copies an old index's motions into a new one)."""
        if self._joint_blocks is not None:
            self._joint_blocks.check_all()
        return self._joint_rows

    def _verify_deferred(self, name: str) -> None:
        """Check the SHA-256 of ``name``, a file read whole on first use, once."""
        if name in self._unverified:
            _check_sha256(self.path / name, self.manifest["files"][name])
            self._unverified.discard(name)
