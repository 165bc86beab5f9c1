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
    # the windows as they are (assume_canonical: made canonical, each would be turned)
    d, lex = encode_motions(model, [(m.joints, m.skeleton)], stats, assume_canonical=True)
    parts = [encode_motions(model, [(m.joints[s:s + 224], m.skeleton)], stats,
                            assume_canonical=True) for s in starts]
    mean = np.mean([p[0][0] for p in parts], axis=0)
    assert np.allclose(d[0], mean / np.linalg.norm(mean), atol=1e-5)
    assert np.allclose(lex[0], np.max([p[1][0] for p in parts], axis=0), atol=1e-5)
    first, _ = encode_motions(model, [(m.joints, m.skeleton)], stats, long_clips="first",
                              assume_canonical=True)
    assert np.allclose(first[0], parts[0][0][0], atol=1e-5)
    with pytest.raises(ValueError, match="no motions"):
        encode_motions(model, [], stats)


def test_encoders_take_what_a_user_has_and_refuse_the_rest(shared_data, model, stats):
    """Motions as the loader returns them (a Motion, brought to canonical form: a BVH read
    at its own frame rate and pose encodes as its canonical form does), joints as torch
    tensors, texts as a NumPy array; a bare caption, a path instead of statistics and
    joints that do not fit their skeleton are refused with a message, never encoded."""
    import torch

    from motionlex.core.motion.files import load_motion_file

    path = shared_data / "raw_bvh" / "bandai_2_wave-right-hand_normal_001.bvh"
    canon = load_motion_file(path)
    raw = load_motion_file(path, canonical=False)
    assert raw.fps != canon.fps
    ref = encode_motions(model, [(canon.joints, canon.skeleton)], stats)
    got = encode_motions(model, [raw, (torch.from_numpy(canon.joints), canon.skeleton)], stats)
    assert np.allclose(got.dense, ref.dense[[0, 0]], atol=1e-4)
    texts = encode_texts(model, np.array(["a person waves", "a person walks"]))
    assert np.allclose(texts.dense[0], encode_texts(model, ["a person waves"]).dense[0],
                       atol=1e-6)
    with pytest.raises(TypeError, match="non-empty list of strings; got 'a person walks'"):
        encode_texts(model, "a person walks")  # was 14 one-letter captions
    with pytest.raises(TypeError, match=r"texts\[1\] is int"):
        encode_texts(model, ["a person walks", 3])
    with pytest.raises(TypeError, match="stats must be the model's PatchStats"):
        encode_motions(model, [canon], "patch_stats.json")
    with pytest.raises(TypeError, match="list of Motion objects"):
        encode_motions(model, canon, stats)
    with pytest.raises(TypeError, match=r"motions\[0\] is ndarray"):
        encode_motions(model, [canon.joints], stats)
    j = canon.skeleton.num_joints
    with pytest.raises(ValueError, match=rf"motions\[0\]: joints must be \(T, {j}, 3\)"):
        encode_motions(model, [(canon.joints[:, :5], canon.skeleton)], stats)


def test_a_loaded_array_encodes_as_its_loaded_motion(shared_data, model, stats):
    """A pair of joints from np.load is brought to the canonical form, as the loader's Motion
    is (it was encoded as it was: a Bandai file's floor at +4 cm and root off the origin moved
    every embedding); assume_canonical keeps the old path, and both refuse 1-frame clips."""
    from motionlex.core.motion.files import load_motion_file
    from motionlex.core.motion.motion import resample

    path = shared_data / "bandai" / "new_joints" / "bn2_wave-right-hand_normal_001.npy"
    raw, m = np.load(path), load_motion_file(path)
    assert raw.shape == m.joints.shape and np.abs(raw - m.joints).max() > 0.04  # not canonical
    emb = encode_motions(model, [(raw, "smpl22"), m, (m.joints, m.skeleton)], stats)
    np.testing.assert_allclose(emb.dense[0], emb.dense[1], atol=1e-6)
    np.testing.assert_allclose(emb.dense[2], emb.dense[1], atol=1e-6)  # canonical: as it is
    as_is = encode_motions(model, [(raw, "smpl22")], stats, assume_canonical=True)
    assert np.abs(as_is.dense[0] - emb.dense[0]).max() > 1e-3
    for fast in (False, True):
        with pytest.raises(ValueError, match=r"motions\[0\]: 1 frame\(s\); at least 2 needed"):
            encode_motions(model, [(raw[:1], "smpl22")], stats, assume_canonical=fast)
    with pytest.raises(ValueError, match=r"motions\[0\]: joints must be \(T, 22, 3\) .* got "
                       r"\(124, 21, 3\); 21 joints is the built-in skeleton 'kit21'"):
        encode_motions(model, [(raw[:, :21], "smpl22")], stats)
    with pytest.raises(ValueError, match=r"motions\[1\] is at 10 fps: canonical motions are at "
                       r"20"):  # a Motion said canonical at another rate: refused, not encoded
        encode_motions(model, [m, resample(m, 10.0)], stats, assume_canonical=True)
    with pytest.raises(ValueError, match=r"motions\[0\]: implausible scale for metres"):
        encode_motions(model, [(raw * 1000, "smpl22")], stats)  # millimetres: as make_motion


def test_encode_texts_dedupes_and_keeps_order(model):
    texts = ["a person walks", "a person jumps", "a person walks"]
    emb = encode_texts(model, texts, batch_size=1)
    assert isinstance(emb, Embeddings) and emb.dense.shape == (3, model.config.embed_dim)
    assert emb.lexical.shape == (3, len(model.vocabulary)) and (emb.lexical >= 0).all()
    np.testing.assert_array_equal(emb.dense[0], emb.dense[2])
    np.testing.assert_allclose(np.linalg.norm(emb.dense, axis=1), 1.0, atol=1e-5)
    one = encode_texts(model, ["a person jumps"])
    np.testing.assert_allclose(one.dense[0], emb.dense[1], atol=1e-5)
    with pytest.raises(ValueError, match="non-empty list of strings"):
        encode_texts(model, [])


def test_texts_longer_than_the_model_reads_are_named_in_one_warning(model, caplog):
    """encode_texts cut captions at max_text_length silently (two captions differing only
    after token 64 got one embedding); one warning per call now names them."""
    limit = model.config.max_text_length
    base = " ".join(["a person walks forward and then turns left"] * 8)  # 8 x 8 words
    long = [base + " and sits down", base + " and jumps high"]
    assert model.count_tokens(long[0]) > limit
    with caplog.at_level("WARNING", logger="motionlex.core.retrieval.embed"):
        emb = encode_texts(model, ["a person waves", long[0]])
    assert [r.getMessage() for r in caplog.records] == [
        f"texts[1] is {model.count_tokens(long[0])} tokens long; the model reads its first "
        f"{limit} (max_text_length), so the rest of it is left out of its embedding"]
    np.testing.assert_allclose(emb.dense[1], encode_texts(model, [long[1]]).dense[0],
                               atol=1e-5)  # the end that differs is not read
    caplog.clear()
    with caplog.at_level("WARNING", logger="motionlex.core.retrieval.embed"):
        encode_texts(model, long + ["a person sits", long[0]] + [base + f" {w}" for w in
                                                                  ("bows", "kicks")],
                     batch_size=2)  # the cut ones in several batches, one repeated
    (msg,) = [r.getMessage() for r in caplog.records]
    n = model.count_tokens(long[0])
    assert msg.startswith(f"4 of 5 texts are longer than the {limit} tokens the model reads")
    assert msg.endswith(f"texts[0] ({n}), texts[1] ({model.count_tokens(long[1])}), "
                        f"texts[4] ({model.count_tokens(base + ' bows')}) ... (tokens)")
    caplog.clear()
    with caplog.at_level("WARNING", logger="motionlex.core.retrieval.embed"):
        encode_texts(model, long, warn_truncated=False)  # a caller that says it itself
        encode_texts(model, [" ".join(["walks"] * (limit - 2))])  # exactly the limit: read
    assert not caplog.records


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


def _reference_encode(model, motions, stats, batch_size=32):
    """The clip-by-clip encoding the batched path replaced (per-clip patch images, per-row
    NumPy pooling of CPU copies): the batched path must give the same embeddings."""
    import torch

    from motionlex.core.patch_batches import patches_from_joints
    from motionlex.core.patches import part_resampling_matrix

    clips = [(i, j[s:s + 224], sk) for i, (j, sk) in enumerate(motions)
             for s in clip_windows(len(j), 224)]
    dense = lexical = None
    with torch.inference_mode():
        for b in range(0, len(clips), batch_size):
            chunk = clips[b:b + batch_size]
            parts = [patches_from_joints([j], part_resampling_matrix(sk), stats, 224)[:2]
                     for _, j, sk in chunk]
            out = model.forward_motion(torch.from_numpy(np.concatenate([p[0] for p in parts])),
                                       torch.from_numpy(np.concatenate([p[1] for p in parts])))
            d, lex = out.dense.float().numpy(), out.lexical.float().numpy()
            if dense is None:
                dense = np.zeros((len(motions), d.shape[1]), np.float32)
                lexical = np.zeros((len(motions), lex.shape[1]), np.float32)
            for row, (i, _, _) in enumerate(chunk):
                dense[i] += d[row]
                np.maximum(lexical[i], lex[row], out=lexical[i])
    dense /= np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-12)
    return dense, lexical


@pytest.fixture(scope="module")
def mixed_motions(shared_data):
    """SMPL-22 clips (one made 597 frames long) interleaved with BVH clips of another skeleton."""
    from motionlex.core.motion.files import load_motion_file

    ds = MotionDataset(shared_data / "humanml3d_samples", "all")
    smpl = [ds.load_motion(r) for r in ds.records[:4]]
    long = np.concatenate([smpl[1].joints] * 3)
    bvh = [load_motion_file(p) for p in sorted((shared_data / "raw_bvh").glob("*.bvh"))[:3]]
    assert bvh[0].skeleton != smpl[0].skeleton
    out = [(smpl[0].joints, smpl[0].skeleton), (bvh[0].joints, bvh[0].skeleton),
           (long, smpl[1].skeleton), (bvh[1].joints, bvh[1].skeleton),
           (smpl[2].joints, smpl[2].skeleton), (smpl[3].joints, smpl[3].skeleton),
           (bvh[2].joints, bvh[2].skeleton)]
    assert any(len(j) > 224 for j, _ in out)
    return out


@pytest.mark.parametrize("batch_size", [32, 3, 1])
def test_batched_encoding_equals_clip_by_clip(model, stats, mixed_motions, batch_size):
    """Per-skeleton patch batches, the prefetch thread and device pooling change nothing:
    also when a long clip's windows span forward batches (batch_size 3 and 1)."""
    ref_d, ref_l = _reference_encode(model, mixed_motions, stats, batch_size)
    d, lex = encode_motions(model, mixed_motions, stats, batch_size=batch_size)
    np.testing.assert_allclose(d, ref_d, rtol=0, atol=2e-6)
    np.testing.assert_allclose(lex, ref_l, rtol=1e-6, atol=1e-6)
    assert d.dtype == lex.dtype == np.float32


def test_top_words_on_device_equal_sparsify(model, stats, mixed_motions):
    """``lexical_top_k``: the device's top words make the CSR rows sparsify_lexical makes of
    the full matrix (same words, same normalised weights, bit for bit)."""
    from motionlex.core.retrieval.embed import TopWords
    from motionlex.core.retrieval.sparse import sparse_from_top_words, sparsify_lexical

    full = encode_motions(model, mixed_motions, stats, batch_size=4)
    top = encode_motions(model, mixed_motions, stats, batch_size=4, lexical_top_k=128)
    assert isinstance(top, TopWords) and top.values.shape == top.ids.shape == (7, 128)
    assert top.num_words == full.lexical.shape[1]
    assert (np.diff(top.ids, axis=1) > 0).all()
    np.testing.assert_array_equal(top.dense, full.dense)
    for sim in ("cosine", "dot"):
        a = sparsify_lexical(full.lexical, 128, sim)
        b = sparse_from_top_words(top.values, top.ids, top.num_words, sim)
        for attr in ("indptr", "indices", "data"):
            np.testing.assert_array_equal(getattr(a, attr), getattr(b, attr))
            assert getattr(a, attr).dtype == getattr(b, attr).dtype
    with pytest.raises(ValueError, match="lexical_top_k"):
        encode_motions(model, mixed_motions, stats, lexical_top_k=0)
    # the model names a TopWords' words as it names full rows' (it refused them with a
    # shape error: only tokenizer.convert_ids_to_tokens could read them)
    assert model.top_words(top, k=5) == model.top_words(full.lexical, k=5)


def test_top_words_ties_go_to_lowest_ids():
    """Device and NumPy selections agree on rows full of ties (bf16 weights tie often)."""
    import torch

    from motionlex.core.retrieval.embed import top_words
    from motionlex.core.retrieval.sparse import top_words_np

    rng = np.random.default_rng(0)
    lex = rng.integers(0, 4, size=(50, 40)).astype(np.float32)  # many ties
    lex[3] = 0.0
    lex[4] = 1.0
    for k in (1, 5, 17, 40, 64):
        v, ids = top_words(torch.from_numpy(lex), k)
        vn, idn = top_words_np(lex, k)
        np.testing.assert_array_equal(ids.numpy(), idn)
        np.testing.assert_array_equal(v.numpy(), vn)
        kk = min(k, 40)
        assert ids.shape == (50, kk) and (np.diff(idn, axis=1) > 0).all()
        # the kept weights are the k largest, and ties go to the lowest ids
        np.testing.assert_array_equal(np.sort(vn, axis=1), np.sort(lex, axis=1)[:, 40 - kk:])
    np.testing.assert_array_equal(top_words_np(lex, 5)[1][4], [0, 1, 2, 3, 4])


def test_patch_images_on_device_equal_numpy(model, stats, mixed_motions):
    """The GPU path's patch images (padded joints to the device, resampling there) equal
    patches_from_joints' to float32 round-off, and so do the embeddings (run here on CPU)."""
    import torch

    from motionlex.core.patch_batches import patches_from_joints
    from motionlex.core.patches import part_resampling_matrix
    from motionlex.core.retrieval.device_patches import device_patch_images, pad_joints

    for sk in {s for _, s in mixed_motions}:
        windows = [j[:224] for j, s in mixed_motions if s == sk]
        mat = part_resampling_matrix(sk)
        ref, _, _ = patches_from_joints(windows, mat, stats, 224)
        g = pad_joints(sk, list(range(len(windows))), windows, 224)
        img = device_patch_images(torch.from_numpy(g.joints), torch.from_numpy(g.lengths),
                                  torch.from_numpy(mat), stats).numpy()
        assert img.dtype == np.float32 and img.shape == ref.shape
        np.testing.assert_allclose(img, ref, rtol=1e-5, atol=1e-5)
        assert ((img == 0) == (ref == 0)).mean() > 0.999  # the same padded frames
    for bs in (32, 3):
        ref_d, ref_l = encode_motions(model, mixed_motions, stats, batch_size=bs)
        d, lex = encode_motions(model, mixed_motions, stats, batch_size=bs,
                                patches_on_device=True)
        np.testing.assert_allclose(d, ref_d, rtol=0, atol=1e-5)
        np.testing.assert_allclose(lex, ref_l, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match=r"joints must be \(T, 22, 3\)"):
        encode_motions(model, [(np.zeros((30, 5, 3), np.float32), mixed_motions[0][1])], stats,
                       patches_on_device=True)
