"""core/checksums.py: ``file_sha256``, the SHA-256 of model weights, indexed sources and
exports, read in blocks."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import time
from pathlib import Path

import pytest

from motionlex.core import checksums
from motionlex.core.checksums import (
    BLOCK_BYTES,
    SpecialFileError,
    file_sha256,
    special_file_kind,
)

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
"""SHA-256 of zero bytes (FIPS 180-4 test value)."""
ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
"""SHA-256 of b"abc" (FIPS 180-4, appendix B.1)."""


def test_published_test_vectors(tmp_path):
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "abc").write_bytes(b"abc")
    assert file_sha256(tmp_path / "empty") == EMPTY_SHA256
    assert file_sha256(tmp_path / "abc") == ABC_SHA256


def test_real_motion_files_hash_as_their_bytes(shared_data):
    """A real BVH file and a real joint array: the digest of their whole contents (lower-case
    hex, 64 digits), given as a Path or as a str."""
    for path in (shared_data / "raw_bvh" / "bandai_1_bow_normal_001.bvh",
                 shared_data / "humanml3d_samples" / "new_joints" / "000000.npy"):
        expected = hashlib.sha256(path.read_bytes()).hexdigest()
        assert file_sha256(path) == expected
        assert file_sha256(str(path)) == expected
    assert len(expected) == 64 and expected == expected.lower()


@pytest.mark.parametrize("size", [BLOCK_BYTES - 1, BLOCK_BYTES, BLOCK_BYTES + 1,
                                  2 * BLOCK_BYTES + BLOCK_BYTES // 2])
def test_files_around_the_block_size_are_read_in_blocks(tmp_path, monkeypatch, size):
    """Files just under, at and over one block, and over two: the same digest as the whole
    contents, and no read asks for more than one block (a file is never read whole)."""
    data = bytes(range(251)) * (size // 251 + 1)
    data = data[:size]
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    reads: list[int] = []

    class Spy(io.FileIO):
        def read(self, n=-1):
            reads.append(n)
            return super().read(n)

    def spy_open(p, mode="r", *args, **kwargs):
        assert mode == "rb"
        return Spy(p, "rb")

    monkeypatch.setattr(checksums, "open", spy_open, raising=False)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
    assert reads and all(0 < n <= BLOCK_BYTES for n in reads)  # never read(-1): all of it
    assert len(reads) > size // BLOCK_BYTES  # at least one read per block


def test_unreadable_paths_raise_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        file_sha256(tmp_path / "missing.bin")
    with pytest.raises(OSError):
        file_sha256(tmp_path)  # a folder
    assert issubclass(FileNotFoundError, OSError)


def test_one_byte_changes_the_digest(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"\x00" * (BLOCK_BYTES + 10))
    b.write_bytes(b"\x00" * BLOCK_BYTES + b"\x01" + b"\x00" * 9)  # differs in block 2 only
    assert file_sha256(a) != file_sha256(b)
    assert file_sha256(Path(a)) == hashlib.sha256(a.read_bytes()).hexdigest()


class Hung(Exception):
    """file_sha256 did not return in time."""


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"),
                    reason="needs os.mkfifo and /dev/zero (POSIX)")
def test_fifos_and_devices_are_refused_without_being_read(shared_data, tmp_path):
    """D34b: a link to /dev/zero in a dataset's new_joints/ made ``index`` hash it forever at
    100 % CPU (a FIFO would block in open()). Now an OSError (the builders skip the file with
    it) naming the path and its kind, at once; a real file still hashes."""
    fifo = tmp_path / "f.npy"
    os.mkfifo(fifo)
    link = tmp_path / "z.npy"
    link.symlink_to("/dev/zero")
    real = tmp_path / "real.npy"  # a copy of a real joint file, and a link to it
    real.write_bytes((shared_data / "humanml3d_samples/new_joints/000000.npy").read_bytes())
    (tmp_path / "to_real.npy").symlink_to(real)

    def _raise(signum, frame):
        raise Hung("no answer within 1 s")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, 1.0)
    start = time.perf_counter()
    try:
        for path, kind in ((fifo, "a FIFO"), (link, "a character device, via a link to "
                                                   "/dev/zero"), (Path("/dev/zero"),
                                                                  "a character device")):
            with pytest.raises(SpecialFileError) as e:
                file_sha256(path)
            assert isinstance(e.value, OSError)
            assert str(e.value).startswith(f"{path} is not a regular file ({kind})")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert time.perf_counter() - start < 1.0
    assert file_sha256(tmp_path / "to_real.npy") == hashlib.sha256(real.read_bytes()).hexdigest()
    assert special_file_kind(real) is None and special_file_kind(tmp_path) is None
    assert special_file_kind(tmp_path / "missing") is None
