"""Block checksums: one read gives the file's and each block's SHA-256; a block is checked
once, when first read, and a changed byte is named by its block."""

from __future__ import annotations

import hashlib

import pytest

from motionlex.core.retrieval.verified import BlockVerifier, file_digests


def test_block_digests_and_lazy_checks(tmp_path):
    f = tmp_path / "x.bin"
    data = bytes(range(256)) * 40  # 10240 bytes: blocks of 4096, 4096, 2048
    f.write_bytes(data)
    whole, blocks = file_digests(f, 4096)
    assert whole == hashlib.sha256(data).hexdigest() and len(blocks) == 3
    assert blocks[2] == hashlib.sha256(data[8192:]).hexdigest()
    v = BlockVerifier(f, 4096, blocks, RuntimeError)
    v.check(100, 5000)  # blocks 0 and 1
    assert v.verified_blocks == 2
    v.check(5000, 5000)  # empty range: nothing read
    raw = bytearray(data)
    raw[9000] ^= 1
    f.write_bytes(bytes(raw))
    v.check(0, 8192)  # already verified blocks are not read again
    with pytest.raises(RuntimeError, match=r"block 2 \(bytes 8192-10239\) .* rebuild"):
        v.check(8191, 8193)
    with pytest.raises(RuntimeError, match="block 2"):
        v.check_all()
    (tmp_path / "empty").write_bytes(b"")
    assert file_digests(tmp_path / "empty", 4096) == (hashlib.sha256(b"").hexdigest(), [])


def test_block_verifier_refuses_bad_digest_lists(tmp_path):
    f = tmp_path / "x.bin"
    f.write_bytes(b"\0" * 5000)
    with pytest.raises(ValueError, match="1 block checksums for 5000 bytes, expected 2"):
        BlockVerifier(f, 4096, ["0" * 64], RuntimeError)
    with pytest.raises(ValueError, match="block size must be >= 1"):
        BlockVerifier(f, 0, [], RuntimeError)
