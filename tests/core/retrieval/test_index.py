"""Gallery index on real data: build, manifest checksums, refusal, atomicity, incremental add."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from motionlex.core.data.datasets import MotionDataset
from motionlex.core.model.factory import create_model
from motionlex.core.model.model import MotionTextModel
from motionlex.core.patches import PatchStatsAccumulator, part_resampling_matrix, sample_points
from motionlex.core.retrieval.index import (
    GalleryIndex,
    GalleryIndexError,
    IndexMismatchError,
    IndexSettings,
    build_index,
    checkpoint_fusion_weight,
    clip_windows,
    encode_motions,
    file_sha256,
    model_fingerprint,
    sparsify_lexical,
    write_index,
)


@pytest.fixture(scope="module")
def checkpoint(shared_data, tmp_path_factory):
    """A tiny model directory with patch statistics from real motions (loaded back)."""
    ds = MotionDataset(shared_data / "humanml3d_samples", "all")
    acc = PatchStatsAccumulator()
    for rec in ds.records:
        m = ds.load_motion(rec)
        acc.update(sample_points(m.joints, part_resampling_matrix(m.skeleton)))
    torch.manual_seed(0)
    d = tmp_path_factory.mktemp("ckpt") / "model"
    create_model("tiny", device="cpu").save_pretrained(
        d, extra_json={"patch_stats.json": acc.finalize("humanml3d_samples").to_dict()})
    return d


@pytest.fixture(scope="module")
def model(checkpoint):
    return MotionTextModel.from_pretrained(checkpoint, device="cpu")


@pytest.fixture(scope="module")
def stats(checkpoint):
    from motionlex.core.patches import PatchStats

    return PatchStats.load(checkpoint / "patch_stats.json")


@pytest.fixture(scope="module")
def bandai_val(shared_data, tmp_path_factory, make_subset):
    src = shared_data / "bandai"
    ids = [ln.strip() for ln in (src / "val.txt").read_text().splitlines() if ln.strip()]
    return make_subset(src, tmp_path_factory.mktemp("bv") / "bandai_val", ids[::7][:10])


@pytest.fixture(scope="module")
def built(shared_data, bandai_val, model, stats, checkpoint, tmp_path_factory):
    """An index of humanml3d_samples (7) + raw_bvh (10 BVH) + 10 Bandai val clips."""
    out = tmp_path_factory.mktemp("idx") / "gallery.mlx"
    data = [shared_data / "humanml3d_samples", shared_data / "raw_bvh", bandai_val]
    rep = build_index(model, data, out, patch_stats=stats, progress=False,
                      checkpoint=checkpoint)
    return rep, data


def test_build_real_data_contents(built, model, stats, shared_data):
    rep, data = built
    idx = GalleryIndex.load(rep.index.path, model)
    assert rep.added == len(idx) == 7 + 10 + 10 and rep.kept == 0 and not rep.skipped
    n, v = len(idx), len(model.vocabulary)
    assert idx.dense.dtype == np.float16 and idx.dense.shape == (n, model.config.embed_dim)
    assert np.allclose(np.linalg.norm(idx.dense.astype(np.float32), axis=1), 1.0, atol=2e-3)
    lex = idx.lexical
    assert lex.shape == (n, v) and lex.dtype == np.float32
    nnz = np.diff(lex.indptr)
    assert (nnz > 0).all() and (nnz <= 128).all()
    assert np.allclose(sp.linalg.norm(lex, axis=1), 1.0, atol=1e-5)  # cosine -> unit rows
    assert (idx.inverted != lex.tocsc()).nnz == 0
    # captions, sources, skeletons, joints as in the dataset
    i = idx.position("humanml3d_samples/000000")
    assert len(idx.captions[i]) == 4 and idx.item(i).caption == idx.captions[i][0]
    ds = MotionDataset(shared_data / "humanml3d_samples", "all")
    motion = ds.load_motion(ds.records[0])
    assert idx.sources[i] == str(ds.records[0].path.resolve())
    assert np.abs(idx.joints(i) - motion.joints).max() < 5e-3  # float16 storage
    assert idx.item(i).skeleton.name == "smpl22" and idx.fps[i] == 20.0
    bvh = [k for k in idx.ids if k.startswith("raw_bvh/")]
    assert len(bvh) == 10 and all(idx.skeleton_of(idx.position(k)).name.startswith("bvh:")
                                  for k in bvh)
    smpl = [s for s in idx.skeletons if s.name == "smpl22"]
    assert len(smpl) == 1  # HumanML3D and Bandai share one stored skeleton
    assert idx.item(idx.ids.index(bvh[0])).meta == {}
    assert idx.meta[idx.ids.index(next(k for k in idx.ids if "bandai_val" in k))]["action"]
    assert np.allclose(idx.patch_stats.mean, stats.mean) and idx.vocabulary == model.vocabulary


def test_manifest_checksums_and_sizes(built, model):
    idx = built[0].index
    man = json.loads((idx.path / "manifest.json").read_text())
    assert man["count"] == len(idx) and man["model"]["sha256"] == model_fingerprint(model)
    assert man["model"]["lexical_similarity"] == "cosine"
    assert man["settings"] == IndexSettings().to_dict()
    assert set(man["files"]) == {p.name for p in idx.path.iterdir()} - {"manifest.json"}
    for name, info in man["files"].items():
        assert info["bytes"] == (idx.path / name).stat().st_size
        assert info["sha256"] == file_sha256(idx.path / name)
    assert man["sizes"]["total_bytes"] == idx.size_bytes() == sum(
        f["bytes"] for f in man["files"].values())


def test_model_fingerprint_stable_across_loads(checkpoint, model):
    again = MotionTextModel.from_pretrained(checkpoint, device="cpu")
    assert model_fingerprint(again) == model_fingerprint(model)
    with torch.no_grad():
        again.motion_proj.weight[0, 0] += 1e-3
    assert model_fingerprint(again) != model_fingerprint(model)


@pytest.mark.parametrize("name", ["dense.npy", "inverted.npz", "items.json", "joints.npy"])
def test_refuses_flipped_byte(built, tmp_path, name):
    copy = shutil.copytree(built[0].index.path, tmp_path / "g.mlx")
    f = copy / name
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0xFF
    f.write_bytes(bytes(data))
    with pytest.raises(GalleryIndexError, match=f"{name}: checksum .* does not match"):
        GalleryIndex.load(copy)
    try:  # sizes agree, so without checksums the damage shows (if at all) as a clear error
        GalleryIndex.load(copy, verify=False)
    except GalleryIndexError as e:
        assert str(copy) in str(e)


def test_refuses_truncated_missing_and_foreign(built, tmp_path):
    copy = shutil.copytree(built[0].index.path, tmp_path / "g.mlx")
    with open(copy / "dense.npy", "ab") as f:
        f.write(b"\0")
    with pytest.raises(GalleryIndexError, match=r"dense.npy: size \d+ bytes, manifest says"):
        GalleryIndex.load(copy, verify=False)
    (copy / "joints.npy").unlink()
    (copy / "dense.npy").unlink()
    with pytest.raises(GalleryIndexError, match="dense.npy listed in the manifest is missing"):
        GalleryIndex.load(copy)
    man = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(json.dumps({**man, "version": 99}))
    with pytest.raises(GalleryIndexError, match="index version 99"):
        GalleryIndex.load(copy)
    (copy / "manifest.json").unlink()
    with pytest.raises(GalleryIndexError, match="not a gallery index"):
        GalleryIndex.load(copy)
    with pytest.raises(FileNotFoundError, match="gallery index not found"):
        GalleryIndex.load(tmp_path / "nowhere.mlx")


def test_refuses_other_model(built, model):
    torch.manual_seed(123)
    other = create_model("tiny", device="cpu")
    want, got = model_fingerprint(model), model_fingerprint(other)
    with pytest.raises(IndexMismatchError) as e:
        GalleryIndex.load(built[0].index.path, other)
    assert want[:16] in str(e.value) and got[:16] in str(e.value)


def test_build_failure_is_atomic(shared_data, model, stats, tmp_path, monkeypatch):
    calls = []
    real = model.forward_motion

    def failing(*a, **kw):
        calls.append(1)
        if len(calls) > 2:
            raise RuntimeError("simulated crash mid-build")
        return real(*a, **kw)

    out = tmp_path / "g.mlx"
    monkeypatch.setattr(model, "forward_motion", failing)
    with pytest.raises(RuntimeError, match="simulated crash"):
        build_index(model, [shared_data / "raw_bvh"], out, patch_stats=stats, batch_size=2,
                    progress=False)
    assert len(calls) == 3 and not out.exists() and list(tmp_path.iterdir()) == []
    # an existing index survives a failed incremental add unchanged
    monkeypatch.setattr(model, "forward_motion", real)
    build_index(model, [shared_data / "humanml3d_samples"], out, patch_stats=stats,
                progress=False)
    before = (out / "manifest.json").read_text()
    calls.clear()
    monkeypatch.setattr(model, "forward_motion", failing)
    with pytest.raises(RuntimeError, match="simulated crash"):
        build_index(model, [shared_data / "raw_bvh"], out, batch_size=2, progress=False)
    assert (out / "manifest.json").read_text() == before
    assert len(GalleryIndex.load(out, model)) == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.mlx"]


def test_incremental_add_encodes_only_new(shared_data, model, stats, tmp_path, monkeypatch):
    windows = []
    real = model.forward_motion

    def counting(patches, row_mask, **kw):
        windows.append(len(patches))
        return real(patches, row_mask, **kw)

    monkeypatch.setattr(model, "forward_motion", counting)
    data = tmp_path / "humanml3d_samples"
    shutil.copytree(shared_data / "humanml3d_samples", data)
    out = tmp_path / "g.mlx"
    first = build_index(model, [data], out, patch_stats=stats, progress=False).index
    assert sum(windows) == 7  # all 7 clips are <= 224 frames
    dense_before = np.array(first.dense)

    windows.clear()
    rep = build_index(model, [data, shared_data / "raw_bvh"], out, progress=False)
    ds = MotionDataset(shared_data / "raw_bvh", "all")
    expected = sum(len(clip_windows(ds.load_motion(r).num_frames, 224)) for r in ds.records)
    assert sum(windows) == expected > 10  # long CMU clips: several windows each
    assert rep.added == 10 and rep.kept == 7 and len(rep.index) == 17
    assert np.array_equal(np.array(rep.index.dense[:7]), dense_before)
    assert rep.index.ids[:7] == first.ids

    windows.clear()
    rep = build_index(model, [data, shared_data / "raw_bvh"], out, progress=False)
    assert windows == [] and rep.added == 0 and len(rep.index) == 17

    # a changed source file is re-encoded and replaces its row; the id is kept
    f = data / "new_joints" / "000000.npy"
    np.save(f, np.load(f)[:80])
    rep = build_index(model, [data], out, progress=False)
    assert sum(windows) == 1 and rep.replaced == ["humanml3d_samples/000000"]
    idx = GalleryIndex.load(out, model)
    i = idx.position("humanml3d_samples/000000")
    assert len(idx) == 17 and idx.num_frames[i] == 80


def test_incremental_add_refuses_other_stats_and_settings(built, stats, model, tmp_path):
    from motionlex.core.patches import PatchStats

    copy = shutil.copytree(built[0].index.path, tmp_path / "g.mlx")
    with pytest.raises(IndexMismatchError, match="other patch statistics"):
        build_index(model, built[1][:1], copy, patch_stats=PatchStats.identity(),
                    progress=False)
    with pytest.raises(IndexMismatchError, match="settings"):
        build_index(model, built[1][:1], copy, settings=IndexSettings(lexical_top_k=7),
                    progress=False)


def test_build_needs_stats_and_data(model, stats, tmp_path, shared_data):
    with pytest.raises(ValueError, match="patch statistics are needed"):
        build_index(model, [shared_data / "raw_bvh"], tmp_path / "g.mlx", progress=False)
    with pytest.raises(FileNotFoundError):
        build_index(model, [tmp_path / "none"], tmp_path / "g.mlx", progress=False,
                    patch_stats=stats)
    assert not (tmp_path / "g.mlx").exists()


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


def test_sparsify_lexical():
    rng = np.random.default_rng(0)
    lex = np.maximum(rng.normal(size=(5, 50)), 0).astype(np.float32)
    lex[3] = 0.0
    m = sparsify_lexical(lex, 4, "cosine")
    assert m.shape == (5, 50) and m.has_sorted_indices
    assert list(np.diff(m.indptr)) == [4, 4, 4, 0, 4]
    for r in (0, 1, 2, 4):
        keep = np.sort(np.argsort(-lex[r])[:4])
        assert list(m[r].indices) == list(keep)
        assert np.allclose(m[r].data, lex[r, keep] / np.linalg.norm(lex[r, keep]))
    raw = sparsify_lexical(lex, None, "dot")
    assert np.allclose(raw.toarray(), lex)
    with pytest.raises(ValueError, match=">= 0"):
        sparsify_lexical(-lex, 4, "cosine")
    with pytest.raises(ValueError, match="similarity"):
        sparsify_lexical(lex, 4, "l2")
    with pytest.raises(ValueError, match=r"\(B, V\)"):
        sparsify_lexical(lex[0], 4, "dot")


def test_settings_and_writer_validate(tmp_path, stats):
    with pytest.raises(ValueError, match="lexical_top_k"):
        IndexSettings(lexical_top_k=0)
    with pytest.raises(ValueError, match="long_clips"):
        IndexSettings(long_clips="all")
    with pytest.raises(ValueError, match="joints_dtype"):
        IndexSettings(joints_dtype="int8")
    with pytest.raises(ValueError, match="needs dense"):
        write_index(tmp_path / "g.mlx", dense=np.zeros((2, 4)), lexical=sp.csr_matrix((3, 5)),
                    items={"ids": ["a", "b"]}, joints=[], num_frames=np.zeros(2),
                    fps=np.zeros(2), skeleton_ids=np.zeros(2), skeletons=[], patch_stats=stats,
                    vocabulary=list("abcde"), model_info={}, settings=IndexSettings())
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError):
        write_index(tmp_path / "file", dense=np.zeros((0, 4)), lexical=sp.csr_matrix((0, 1)),
                    items={"ids": []}, joints=[], num_frames=np.zeros(0), fps=np.zeros(0),
                    skeleton_ids=np.zeros(0), skeletons=[], patch_stats=stats,
                    vocabulary=["a"], model_info={}, settings=IndexSettings())


def test_accessor_errors(built):
    idx = built[0].index
    with pytest.raises(KeyError, match="no motion with id 'nope'"):
        idx.position("nope")
    with pytest.raises(IndexError, match="out of range"):
        idx.joints(len(idx))
    with pytest.raises(IndexError, match="out of range"):
        idx.item(len(idx))


def test_checkpoint_fusion_weight(tmp_path):
    assert checkpoint_fusion_weight(tmp_path) is None
    (tmp_path / "val_metrics.json").write_text(json.dumps({"fusion/weight": 0.35}))
    assert checkpoint_fusion_weight(tmp_path) == 0.35
    (tmp_path / "val_metrics.json").write_text(json.dumps({"fusion_weight": 3.0}))
    assert checkpoint_fusion_weight(tmp_path) is None


def test_build_progress_callback_and_cancel(shared_data, model, stats, tmp_path):
    from motionlex.core.retrieval.index import BuildCancelled

    seen = []
    out = tmp_path / "g.mlx"
    build_index(model, [shared_data / "humanml3d_samples"], out, patch_stats=stats,
                progress=False, batch_size=2, callback=lambda d, t: seen.append((d, t)) or True)
    assert seen[0] == (0, 7) and seen[-1] == (7, 7)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    cancelled = tmp_path / "c.mlx"
    with pytest.raises(BuildCancelled, match="cancelled at 2/7"):
        build_index(model, [shared_data / "humanml3d_samples"], cancelled, patch_stats=stats,
                    progress=False, batch_size=2, callback=lambda d, t: d < 2)
    assert not cancelled.exists() and not list(tmp_path.glob(".c.mlx*"))
