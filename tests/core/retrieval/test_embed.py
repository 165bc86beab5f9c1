"""The one encoding path: windows of long clips, texts, the similarity lookup."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from motionlex.core.data.datasets import MotionDataset
from motionlex.core.model.lexical import lexical_similarity
from motionlex.core.retrieval.embed import (
    Embeddings,
    Scorer,
    clip_windows,
    encode_motions,
    encode_texts,
)


def test_long_clips_pooled_over_windows(shared_data, model, stats):
    assert clip_windows(100, 224) == [0]
    assert clip_windows(500, 224) == [0, 224, 276]
    assert clip_windows(448, 224) == [0, 224]
    assert clip_windows(500, 224, "first") == [0]
    ds = MotionDataset(shared_data / "humanml3d_samples", "all")
    m = ds.load_motion(ds.records[1])  # 199 frames, played three times: 597 frames
    m = replace(m, joints=np.concatenate([m.joints] * 3))
    starts = clip_windows(m.num_frames, 224)
    assert starts == [0, 224, 373]
    d, lex = encode_motions(model, [(m.joints, m.skeleton)], stats)
    parts = [encode_motions(model, [(m.joints[s:s + 224], m.skeleton)], stats) for s in starts]
    mean = np.mean([p[0][0] for p in parts], axis=0)
    assert np.allclose(d[0], mean / np.linalg.norm(mean), atol=1e-5)
    assert np.allclose(lex[0], np.max([p[1][0] for p in parts], axis=0), atol=1e-5)
    first, _ = encode_motions(model, [(m.joints, m.skeleton)], stats, long_clips="first")
    assert np.allclose(first[0], parts[0][0][0], atol=1e-5)
    with pytest.raises(ValueError, match="no motions"):
        encode_motions(model, [], stats)


def test_encode_texts_dedupes_and_keeps_order(model):
    texts = ["a person walks", "a person jumps", "a person walks"]
    emb = encode_texts(model, texts, batch_size=1)
    assert isinstance(emb, Embeddings) and emb.dense.shape == (3, model.config.embed_dim)
    assert emb.lexical.shape == (3, len(model.vocabulary)) and (emb.lexical >= 0).all()
    np.testing.assert_array_equal(emb.dense[0], emb.dense[2])
    np.testing.assert_allclose(np.linalg.norm(emb.dense, axis=1), 1.0, atol=1e-5)
    one = encode_texts(model, ["a person jumps"])
    np.testing.assert_allclose(one.dense[0], emb.dense[1], atol=1e-5)
    with pytest.raises(ValueError, match="no texts"):
        encode_texts(model, [])


def test_scorer_blocks(model):
    texts = ["a person walks", "a person jumps"]
    t = encode_texts(model, texts)
    m = Embeddings(t.dense[::-1].copy(), t.lexical[::-1].copy())  # motions = texts reversed
    score = Scorer(texts, t, m, model.config.lexical_similarity)
    dense, lex = score(["a person jumps"], [0, 1])
    assert dense.shape == lex.shape == (1, 2) and dense.dtype == np.float32
    assert dense[0, 0] == pytest.approx(1.0, abs=1e-5)
    import torch

    ref = lexical_similarity(torch.from_numpy(t.lexical[1:]), torch.from_numpy(m.lexical),
                             model.config.lexical_similarity).numpy()
    np.testing.assert_allclose(lex, np.maximum(ref, 0), atol=1e-6)
