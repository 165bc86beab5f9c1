"""Identities: file SHA-256 and the model fingerprint."""

from __future__ import annotations

import hashlib

import numpy as np
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
    want = hashlib.sha256(np.asarray(stats.mean, np.float32).tobytes()
                          + np.asarray(stats.std, np.float32).tobytes()).hexdigest()
    assert stats_fingerprint(stats) == want
    assert stats_fingerprint(stats) == stats_fingerprint(type(stats).from_dict(stats.to_dict()))
    # any changed statistic, mean or std, is a different fingerprint
    mean, std = stats.mean.copy(), stats.std.copy()
    mean[3, 1] += 1e-4
    std[79, 2] *= 1.001
    other = {stats_fingerprint(type(stats)(mean, stats.std)),
             stats_fingerprint(type(stats)(stats.mean, std))}
    assert len(other) == 2 and want not in other
