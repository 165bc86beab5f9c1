"""Building a gallery index on real data: contents, atomicity, incremental add, progress and
cancel (the generator and its drained form), builds of one index waiting for each other (what
a build plans and the batches it keeps for a rerun are in test_build_work.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from motionlex.core.atomic import DirectoryBusyError, directory_lock
from motionlex.core.data.datasets import MotionDataset
from motionlex.core.patches import PatchStats
from motionlex.core.retrieval.build import BuildCancelled, build_index, build_steps
from motionlex.core.retrieval.embed import clip_windows
from motionlex.core.retrieval.index import GalleryIndex, IndexMismatchError, IndexSettings


def _files(folder) -> list[str]:
    """Names in ``folder`` but the indexes' lock files (kept: deleting one races)."""
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".lock"))


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
    assert idx.item(idx.ids.index(bvh[0])).meta["action"] == "bow"  # raw_bvh/index.json
    assert idx.meta[idx.ids.index(next(k for k in idx.ids if "bandai_val" in k))]["action"]
    assert np.allclose(idx.patch_stats.mean, stats.mean) and idx.vocabulary == model.vocabulary


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
    # no index; the batches encoded before the crash are kept for the next build
    assert len(calls) == 3 and not out.exists() and _files(tmp_path) == [".g.mlx.work"]
    # an existing index survives a failed incremental add unchanged
    monkeypatch.setattr(model, "forward_motion", real)
    # one folder as a string (it was read as a list of one-letter folders from "/")
    build_index(model, str(shared_data / "humanml3d_samples"), out, patch_stats=stats,
                progress=False)
    before = (out / "manifest.json").read_text()
    calls.clear()
    monkeypatch.setattr(model, "forward_motion", failing)
    with pytest.raises(RuntimeError, match="simulated crash"):
        build_index(model, [shared_data / "raw_bvh"], out, batch_size=2, progress=False)
    assert (out / "manifest.json").read_text() == before
    assert len(GalleryIndex.load(out, model)) == 7
    assert _files(tmp_path) == [".g.mlx.work", "g.mlx"]


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

    # edited captions re-encode their motion; a deleted file leaves the index, and files
    # of folders not in this build (raw_bvh) stay
    windows.clear()
    (data / "texts" / "000000.txt").write_text("a person edits the caption#a/X#0.0#0.0\n")
    gone = sorted((data / "new_joints").glob("*.npy"))[2]
    gone.unlink()
    split = data / "all.txt"
    split.write_text("".join(f"{ln}\n" for ln in split.read_text().split() if ln != gone.stem))
    rep = build_index(model, [data], out, progress=False)
    assert rep.replaced == ["humanml3d_samples/000000"]
    assert rep.removed == [f"humanml3d_samples/{gone.stem}"] and rep.added == 1
    idx = GalleryIndex.load(out, model)
    assert len(idx) == 16 and f"humanml3d_samples/{gone.stem}" not in idx.ids
    assert idx.item(idx.position("humanml3d_samples/000000")).captions == (
        "a person edits the caption",)
    assert sum(1 for s in idx.sources if "raw_bvh" in s) == 10
    # a deleted file still listed in the split file: removed and reported, not a failure
    listed = sorted((data / "new_joints").glob("*.npy"))[-1]
    listed.unlink()
    rep = build_index(model, [data], out, progress=False)
    assert rep.removed == [f"humanml3d_samples/{listed.stem}"]
    assert (listed.stem, "listed in all.txt, no motion file") in rep.skipped
    assert len(rep.index) == 15
    # a file that changed and no longer loads loses its row: removed, not "replaced"
    bad = sorted((data / "new_joints").glob("*.npy"))[-1]
    bad.write_text("not a motion")
    rep = build_index(model, [data], out, progress=False)
    assert rep.replaced == [] and rep.unreadable == [f"humanml3d_samples/{bad.stem}"]
    assert any(i == bad.stem for i, _ in rep.skipped) and len(rep.index) == 14
    # an indexed file that became a broken link: skipped with its reason, its row removed
    link = sorted((data / "new_joints").glob("*.npy"))[0]
    link.unlink()
    link.symlink_to(tmp_path / "nowhere.npy")
    rep = build_index(model, [data], out, progress=False)
    assert (link.stem, f"motion file not found: {link} is a broken link (to "
                       f"{tmp_path / 'nowhere.npy'})") in rep.skipped
    assert rep.removed == [f"humanml3d_samples/{link.stem}"] and len(rep.index) == 13


def test_incremental_add_refuses_other_stats_and_settings(built, stats, model, tmp_path):
    copy = shutil.copytree(built[0].index.path, tmp_path / "g.mlx")
    with pytest.raises(IndexMismatchError, match="other patch statistics"):
        build_index(model, built[1][:1], copy, patch_stats=PatchStats.identity(),
                    progress=False)
    with pytest.raises(IndexMismatchError, match="settings"):
        build_index(model, built[1][:1], copy, settings=IndexSettings(lexical_top_k=7),
                    progress=False)


def test_an_update_refuses_an_index_folder_holding_other_files(built, model, tmp_path,
                                                               shared_data):
    """An update replaces the whole folder: a user's notes and figures inside it were
    deleted without a word; now they are named and nothing changes. An index that is up to
    date is not rewritten (nothing to refuse), and a file manager's litter does not count."""
    copy = Path(shutil.copytree(built[0].index.path, tmp_path / "g.mlx"))
    takes = tmp_path / "takes"
    takes.mkdir()
    for name in ("bandai_1_bow_normal_001.bvh", "bandai_1_kick_normal_001.bvh"):
        shutil.copy(shared_data / "raw_bvh" / name, takes / f"new_{name}")
    (copy / "NOTES.txt").write_text("my notes")
    (copy / "figs").mkdir()
    (copy / "figs" / "a.png").write_bytes(b"png")
    before = {p.name: p.stat().st_mtime_ns for p in copy.iterdir()}
    with pytest.raises(IndexMismatchError, match=r"g.mlx holds NOTES.txt, figs/, which an "
                                                 r"index does not: .* move them out first"):
        build_index(model, [takes], copy, progress=False)
    assert {p.name: p.stat().st_mtime_ns for p in copy.iterdir()} == before
    assert (copy / "NOTES.txt").read_text() == "my notes"
    rep = build_index(model, built[1][:1], copy, progress=False)  # up to date: not rewritten
    assert rep.added == 0 and (copy / "NOTES.txt").is_file()
    shutil.rmtree(copy / "figs")
    (copy / "NOTES.txt").unlink()
    (copy / ".DS_Store").write_bytes(b"\0")
    assert build_index(model, [takes], copy, progress=False).added == 2


def test_a_new_index_ranks_with_its_checkpoints_fusion_weight(model, stats, checkpoint,
                                                               bandai_val, tmp_path):
    """The weight chosen on validation (the checkpoint's val_metrics.json) is recorded for
    every caller that names the checkpoint (the explorer's galleries as ``motionlex index``);
    a given weight wins; without either the index keeps its own weight."""
    import json

    ckpt = tmp_path / "ckpt"
    shutil.copytree(checkpoint, ckpt)
    (ckpt / "val_metrics.json").write_text(json.dumps({"fusion_weight": 0.7}))
    a = build_index(model, [bandai_val], tmp_path / "a.mlx", patch_stats=stats,
                    progress=False, checkpoint=ckpt).index
    assert a.fusion_weight == pytest.approx(0.7)
    b = build_index(model, [bandai_val], tmp_path / "b.mlx", patch_stats=stats,
                    progress=False, checkpoint=ckpt, fusion_weight=0.2).index
    assert b.fusion_weight == pytest.approx(0.2)
    c = build_index(model, [bandai_val], tmp_path / "c.mlx", patch_stats=stats,
                    progress=False, checkpoint=checkpoint).index  # no val_metrics.json
    assert c.fusion_weight == pytest.approx(0.5)


def test_build_needs_stats_and_data(model, stats, tmp_path, shared_data):
    with pytest.raises(ValueError, match="patch statistics are needed"):
        build_index(model, [shared_data / "raw_bvh"], tmp_path / "g.mlx", progress=False)
    with pytest.raises(FileNotFoundError, match="dataset folder not found: .*none"):
        build_index(model, [tmp_path / "none"], tmp_path / "g.mlx", progress=False,
                    patch_stats=stats)
    assert not (tmp_path / "g.mlx").exists()


def test_the_build_names_motions_read_not_upright(shared_data, model, stats, tmp_path,
                                                 make_subset):
    """A Z-up export indexed without a word in the window (the warning went to the
    terminal only): the build report names the motions read lying down."""
    src = shared_data / "bandai"
    ids = (src / "val.txt").read_text().split()[:3]
    data = make_subset(src, tmp_path / "d", ids, {"all": ids})
    path = data / "new_joints" / f"{ids[1]}.npy"
    y_up = np.load(path)
    np.save(path, np.stack([y_up[..., 0], -y_up[..., 2], y_up[..., 1]], axis=-1))  # Z up
    report = build_index(model, [data], tmp_path / "g.mlx", progress=False, patch_stats=stats)
    assert report.not_upright == [ids[1]] and report.added == 3  # kept, but named


def test_build_progress_callback_and_cancel(shared_data, model, stats, tmp_path):
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
    assert not cancelled.exists()
    assert [f for f in _files(tmp_path) if "c.mlx" in f] == [".c.mlx.work"]  # work kept


def test_build_steps_generator_and_close_writes_nothing(shared_data, model, stats, tmp_path):
    out = tmp_path / "g.mlx"
    steps = build_steps(model, [shared_data / "humanml3d_samples"], out, patch_stats=stats,
                        batch_size=3)
    assert next(steps) == (0, 7) and next(steps) == (3, 7)
    steps.close()  # the worker's cancel: no index written, the first batch's work kept
    assert _files(tmp_path) == [".g.mlx.work"]
    seen = []
    steps = build_steps(model, [shared_data / "humanml3d_samples"], out, patch_stats=stats,
                        batch_size=3)
    while True:
        try:
            seen.append(next(steps))
        except StopIteration as stop:
            report = stop.value
            break
    assert seen == [(3, 7), (6, 7), (7, 7)]  # continues after the kept batch
    assert report.added == 7 and report.resumed == 3
    assert len(GalleryIndex.load(out, model)) == 7 and _files(tmp_path) == ["g.mlx"]


def test_concurrent_adds_to_one_index_keep_both(shared_data, model, stats, tmp_path, caplog):
    """Two builds adding to one index at once: the second waits, no motion is lost."""
    out = tmp_path / "g.mlx"
    build_index(model, [shared_data / "humanml3d_samples"], out, patch_stats=stats,
                progress=False)
    started, errors = threading.Barrier(2), []

    def add(folder, delay: float) -> None:
        started.wait()
        time.sleep(delay)
        try:
            build_index(model, [shared_data / "humanml3d_samples", folder], out,
                        progress=False, batch_size=2)
        except Exception as e:  # reported below
            errors.append(e)

    bv = tmp_path / "bvh"
    bv.mkdir()
    for f in sorted((shared_data / "raw_bvh").glob("*.bvh"))[:3]:
        shutil.copy(f, bv / f.name)
    threads = [threading.Thread(target=add, args=(shared_data / "raw_bvh", 0.0)),
               threading.Thread(target=add, args=(bv, 0.05))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    idx = GalleryIndex.load(out, model)
    assert len(idx) == 7 + 10 + 3 and "waiting for another" in caplog.text
    with directory_lock(out):
        with pytest.raises(DirectoryBusyError, match="g.mlx is being written"):
            build_index(model, [bv], out, progress=False, lock_timeout=0.3)
        steps = build_steps(model, [bv], out)  # the explorer's form: cancel while waiting
        assert next(steps) == (0, 0) and next(steps) == (0, 0)
        steps.close()
    rep = build_index(model, [bv], out, progress=False, lock_timeout=0)  # free again
    assert rep.added == 0 and len(rep.index) == 20


def test_interrupt_between_the_two_renames_keeps_the_new_index(shared_data, model, stats,
                                                                 tmp_path, monkeypatch):
    """Issue 15 item 3: Ctrl-C after the old index was moved aside used to delete the new
    one and leave the old one hidden as ``.g.mlx.old-*``."""
    from motionlex.core import atomic

    out = tmp_path / "g.mlx"
    build_index(model, [shared_data / "humanml3d_samples"], out, patch_stats=stats,
                progress=False)
    real, calls = atomic.os.replace, []

    def replace(src, dst):
        if Path(dst).parent != tmp_path:  # the build's work files: not the swap
            return real(src, dst)
        calls.append(dst)
        if len(calls) == 3:  # new -> g.mlx, after g.mlx -> .g.mlx.old-*
            raise KeyboardInterrupt
        return real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        build_index(model, [shared_data / "humanml3d_samples", shared_data / "raw_bvh"], out,
                    progress=False)
    assert len(calls) == 4 and len(GalleryIndex.load(out, model)) == 17
    assert _files(tmp_path) == ["g.mlx"]


def test_index_left_hidden_by_a_killed_build_is_restored(built, model, tmp_path):
    """A build killed between moving the old index aside and moving the new one in."""
    out = shutil.copytree(built[0].index.path, tmp_path / "g.mlx")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    out.rename(tmp_path / f".g.mlx.old-{dead}-1a2b3c4d")  # the old index, hidden
    (tmp_path / f".g.mlx.tmp-{dead}-x1y2").mkdir()  # an unfinished new one
    assert len(GalleryIndex.load(out, model)) == len(built[0].index)
    assert _files(tmp_path) == ["g.mlx"]


def test_an_index_keeps_its_json_files_compact_and_its_manifest_reads_back(built, model,
                                                                            stats):
    """The index's JSON files, written by the one JSON writer (code review 36 F6), keep the
    index's form: one line each, in UTF-8; the one manifest reader gives what was written."""
    import json

    from motionlex.core.retrieval.index_format import read_manifest

    rep, _ = built
    root = rep.index.path
    for name in ("manifest.json", "skeletons.json", "patch_stats.json", "vocabulary.json"):
        text = (root / name).read_text(encoding="utf-8")
        assert text.endswith("\n") and text.count("\n") == 1, name
        assert text == json.dumps(json.loads(text), ensure_ascii=False) + "\n", name
    assert json.loads((root / "vocabulary.json").read_text()) == list(model.vocabulary)
    assert PatchStats.load(root / "patch_stats.json") == stats
    assert read_manifest(root) == GalleryIndex.load(root, model).manifest
