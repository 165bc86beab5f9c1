"""Identities: file SHA-256 and the model fingerprint."""

from __future__ import annotations

import hashlib

import torch

from motionlex.core.model.model import MotionTextModel
from motionlex.core.retrieval.fingerprints import file_sha256, model_fingerprint, stats_fingerprint


def test_model_fingerprint_stable_across_loads(checkpoint, model):
    again = MotionTextModel.from_pretrained(checkpoint, device="cpu")
    assert model_fingerprint(again) == model_fingerprint(model)
    with torch.no_grad():
        again.motion_proj.weight[0, 0] += 1e-3
    assert model_fingerprint(again) != model_fingerprint(model)


def test_file_and_stats_digests(tmp_path, stats):
    f = tmp_path / "x.bin"
    f.write_bytes(b"motion" * 300_000)  # more than one 1 MiB block
    assert file_sha256(f) == hashlib.sha256(f.read_bytes()).hexdigest()
    assert len(stats_fingerprint(stats)) == 64
    assert stats_fingerprint(stats) == stats_fingerprint(type(stats).from_dict(stats.to_dict()))
