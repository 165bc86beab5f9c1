"""core/retrieval/mapped_checks.py: an open index checks its memory-mapped files as they are
read, not at open: joints and posting lists block by block, ``lexical.npz`` on first use, and
no file that changed on disk since the index was opened (index built by the shared ``built``
fixture; the synthetic large-index cases are in test_index_large.py, reads through the
searcher in test_search.py)."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from motionlex.core.retrieval.index import GalleryIndex, GalleryIndexError
from motionlex.core.retrieval.mapped_checks import file_identity
from motionlex.core.retrieval.search import QueryEmbedding, Searcher


def test_flipped_joints_byte_found_when_its_motion_is_fetched(built, tmp_path):
    """joints.npy is checked block by block as motions are read, not at open."""
    copy = shutil.copytree(built[0].index.path, tmp_path / "g.mlx")
    f = copy / "joints.npy"
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0xFF
    f.write_bytes(bytes(data))
    idx = GalleryIndex.load(copy)  # opens: the joints are not read
    with pytest.raises(GalleryIndexError, match=r"joints.npy: checksum of block \d+ .* does "
                       "not match"):
        for i in range(len(idx)):
            idx.joints(i)
    for name in ("lexical.npz",):  # read on first use, checked then
        g = copy / name
        raw = bytearray(g.read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        g.write_bytes(bytes(raw))
    idx = GalleryIndex.load(copy)
    with pytest.raises(GalleryIndexError, match="lexical.npz: checksum .* does not match"):
        _ = idx.lexical


def test_posting_lists_are_checked_when_a_query_reads_them(built, tmp_path):
    """The memory-mapped inverted index is verified per block on first read, not at open."""
    copy = shutil.copytree(built[0].index.path, tmp_path / "g.mlx")
    idx = GalleryIndex.load(copy)
    word = int(np.argmax(np.diff(idx.inverted.indptr)))  # the longest posting list
    a = int(idx.inverted.indptr[word])
    f = copy / "inverted_data.npy"
    data = bytearray(f.read_bytes())
    at = idx._posting_offsets[1] + 4 * a  # its first weight
    data[at] ^= 0xFF
    f.write_bytes(bytes(data))
    idx = GalleryIndex.load(copy)  # opens: posting lists are not read at open
    with pytest.raises(GalleryIndexError, match=r"inverted_data.npy: checksum of block 0 .* "
                       "does not match"):
        idx.check_postings([word])
    query = QueryEmbedding(np.asarray(idx.dense[0], np.float32), np.array([word]),
                           np.array([1.0], np.float32))
    with pytest.raises(GalleryIndexError, match="inverted_data.npy: checksum"):
        Searcher(GalleryIndex.load(copy)).search(query, 3, "lexical")


def test_file_identity_names_size_inode_and_time_and_none_when_gone(tmp_path):
    f = tmp_path / "a.npy"
    f.write_bytes(b"0123")
    st = os.stat(f)
    assert file_identity(f) == (4, st.st_ino, st.st_mtime_ns)
    f.unlink()
    assert file_identity(f) is None


def test_unchanged_files_pass_and_a_rewritten_one_is_refused(built, tmp_path):
    copy = shutil.copytree(built[0].index.path, tmp_path / "g.mlx")
    idx = GalleryIndex.load(copy)
    idx.check_unchanged()  # every mapped file as opened
    idx.check_postings()  # every block of the posting lists verified
    st = os.stat(copy / "dense.npy")  # rewritten with the same bytes: a later time
    os.utime(copy / "dense.npy", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    idx.check_unchanged(("joints.npy",))  # the other files are still the mapped ones
    with pytest.raises(GalleryIndexError, match="dense.npy changed on disk since the gallery "
                                                "was opened"):
        idx.check_unchanged()
