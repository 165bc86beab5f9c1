"""Building a gallery index on real data: contents, atomicity, incremental add, progress and
cancel (the generator and its drained form), the explorer's cache rules."""

from __future__ import annotations

import json
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
from motionlex.core.motion.bvh import LOADER_VERSION as BVH_LOADER_VERSION
from motionlex.core.motion.files import load_motion_file
from motionlex.core.patches import PatchStats
from motionlex.core.retrieval.build import BuildCancelled, build_index, build_steps
from motionlex.core.retrieval.embed import clip_windows
from motionlex.core.retrieval.gallery_paths import cached_index_path, gallery_index_path
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


def test_cache_rules(tmp_path, built):
    data = tmp_path / "my data"
    data.mkdir()
    path = cached_index_path(tmp_path / "cache", data, "ab" * 32)
    assert path.parent == tmp_path / "cache" and path.name.startswith("my data-")
    assert path.name.endswith("-abababab.mlx")
    assert path == cached_index_path(tmp_path / "cache", data / ".." / "my data", "ab" * 32)
    assert path != cached_index_path(tmp_path / "cache", data, "cd" * 32)
    assert gallery_index_path(data, tmp_path / "cache", "ab" * 32) == (path, True)
    idx = built[0].index.path
    assert gallery_index_path(idx, tmp_path / "cache", "ab" * 32) == (idx, False)


def _data_files(index_dir) -> dict[str, str]:
    man = json.loads((index_dir / "manifest.json").read_text())
    return {name: info["sha256"] for name, info in man["files"].items()}


def test_interrupted_build_continues_and_equals_an_uninterrupted_one(
        shared_data, model, stats, tmp_path, monkeypatch, caplog):
    """Issue 15 defect 9: Ctrl-C threw all encoded batches away. Interrupt after N batches
    (a KeyboardInterrupt raised by the progress callback), rerun, compare with a build that
    was never interrupted."""
    import motionlex.core.retrieval.build as build_mod

    data = [shared_data / "humanml3d_samples", shared_data / "raw_bvh"]
    whole = tmp_path / "whole" / "g.mlx"
    build_index(model, data, whole, patch_stats=stats, batch_size=3, progress=False)
    for n_batches in (1, 4):
        out = tmp_path / f"cut{n_batches}" / "g.mlx"

        def interrupt(done, total, n=n_batches):
            if done >= 3 * n:
                raise KeyboardInterrupt
            return True

        with pytest.raises(KeyboardInterrupt):
            build_index(model, data, out, patch_stats=stats, batch_size=3, progress=False,
                        callback=interrupt)
        work = out.parent / ".g.mlx.work"
        assert not out.exists() and len(list(work.glob("chunk-*.npz"))) == n_batches
        encoded: list[int] = []

        def counting(m, motions, *a, _real=build_mod.encode_batch, _seen=encoded, **k):
            _seen.append(len(motions))
            return _real(m, motions, *a, **k)

        caplog.clear()
        with monkeypatch.context() as patched, caplog.at_level("INFO"):
            patched.setattr(build_mod, "encode_batch", counting)
            rep = build_index(model, data, out, patch_stats=stats, batch_size=3,
                              progress=False)
        # continuing is what was asked for: said, not warned about (the explorer's stderr)
        said = [r for r in caplog.records if "continuing an interrupted build" in r.message]
        assert [r.levelname for r in said] == ["INFO"]
        assert rep.resumed == 3 * n_batches and sum(encoded) == 17 - 3 * n_batches
        assert rep.added == 17 and not work.exists()
        assert _data_files(out) == _data_files(whole)  # byte-identical data files


def test_build_work_of_another_build_is_discarded(shared_data, model, stats, tmp_path):
    data = [shared_data / "humanml3d_samples"]
    out = tmp_path / "g.mlx"
    with pytest.raises(BuildCancelled):
        build_index(model, data, out, patch_stats=stats, batch_size=2, progress=False,
                    callback=lambda d, t: d < 4)
    # another batch size: the kept batches would not match, so they are not used
    rep = build_index(model, data, out, patch_stats=stats, batch_size=3, progress=False)
    assert rep.resumed == 0 and rep.added == 7 and _files(tmp_path) == ["g.mlx"]


def test_damaged_build_work_is_encoded_again(shared_data, model, stats, tmp_path, caplog):
    data = [shared_data / "humanml3d_samples"]
    whole = tmp_path / "whole" / "g.mlx"
    build_index(model, data, whole, patch_stats=stats, batch_size=2, progress=False)
    out = tmp_path / "g.mlx"
    with pytest.raises(BuildCancelled):
        build_index(model, data, out, patch_stats=stats, batch_size=2, progress=False,
                    callback=lambda d, t: d < 6)
    chunks = sorted((tmp_path / ".g.mlx.work").glob("chunk-*.npz"))
    assert len(chunks) == 3
    chunks[1].write_bytes(chunks[1].read_bytes()[:100])  # truncated by a crash
    rep = build_index(model, data, out, patch_stats=stats, batch_size=2, progress=False)
    assert rep.resumed == 2 and "ignoring unusable build work" in caplog.text
    assert _data_files(out) == _data_files(whole)


def test_a_folder_and_its_subfolder_index_each_file_once(shared_data, model, stats, tmp_path):
    """--data A --data A/sub (BVH folders are read with their subfolders): one row per file;
    a file deleted from the subfolder leaves the index on the next build of A."""
    a = tmp_path / "A"
    (a / "sub").mkdir(parents=True)
    shutil.copy(shared_data / "raw_bvh" / "cmu_07_03_daz.bvh", a / "walk.bvh")
    shutil.copy(shared_data / "raw_bvh" / "cmu_08_01_daz.bvh", a / "sub" / "stroll.bvh")
    out = tmp_path / "g.mlx"
    rep = build_index(model, [a, a / "sub"], out, patch_stats=stats, progress=False)
    assert list(rep.index.ids) == ["A/sub/stroll", "A/walk"]
    stroll = (a / "sub" / "stroll.bvh").resolve()
    assert ("stroll", f"its file {stroll} is read already as sub/stroll (a folder given "
                      f"twice, or one inside another)") in rep.skipped
    (a / "sub" / "stroll.bvh").unlink()
    rep = build_index(model, [a], out, progress=False)
    assert list(rep.index.ids) == ["A/walk"] and rep.removed == ["A/sub/stroll"]


def test_a_bvh_folder_without_the_split_file_is_indexed_whole(shared_data, model, stats,
                                                              tmp_path, caplog):
    """--split val over a dataset and a BVH folder without val.txt: the dataset's val split
    and every BVH file (as evaluate reads it); it failed with 'no split files'. A joints
    dataset without the split file still fails, naming it."""
    bvh = tmp_path / "takes"
    bvh.mkdir()
    shutil.copy(shared_data / "raw_bvh" / "cmu_07_03_daz.bvh", bvh / "walk.bvh")
    ds = tmp_path / "ds"
    shutil.copytree(shared_data / "humanml3d_samples", ds)
    val = sorted(p.stem for p in (ds / "new_joints").glob("*.npy"))[:2]
    (ds / "val.txt").write_text("\n".join(val) + "\n")
    with caplog.at_level("WARNING"):
        rep = build_index(model, [ds, bvh], tmp_path / "g.mlx", patch_stats=stats,
                          split="val", progress=False)
    assert sorted(rep.index.ids) == sorted([f"ds/{v}" for v in val] + ["takes/walk"])
    assert "takes has no val.txt: every BVH file in it is indexed" in caplog.text
    (ds / "val.txt").unlink()
    with pytest.raises(FileNotFoundError, match="val.txt"):
        build_index(model, [ds], tmp_path / "g2.mlx", patch_stats=stats, split="val",
                    progress=False)
    # beside other folders: how to add it whole (one --split is every folder's)
    with pytest.raises(FileNotFoundError, match=rf"val.txt .*; to index {ds} whole beside the "
                                                rf"other folders' val split, .* --data {ds} "
                                                rf"--split all"):
        build_index(model, [bvh, ds], tmp_path / "g2.mlx", patch_stats=stats, split="val",
                    progress=False)
    with pytest.raises(FileNotFoundError) as missing:  # a mistyped folder: no split advice
        build_index(model, [bvh, tmp_path / "typo"], tmp_path / "g2.mlx", patch_stats=stats,
                    split="val", progress=False)
    assert "not found" in str(missing.value) and "--split all" not in str(missing.value)


def test_bvh_rows_of_an_older_bvh_loader_are_encoded_again(shared_data, model, stats,
                                                           tmp_path):
    """An index records the BVH loader version; one written before (no version: the Daz
    files were read with their T-pose and blend frames) re-encodes its BVH rows on the next
    build of their folder, and keeps the old version while BVH rows of a folder not rebuilt
    may still carry it (the version is the index's, not a row's: a later build re-encodes
    every BVH row it reaches once more)."""
    a, b = tmp_path / "A", tmp_path / "B"
    a.mkdir()
    b.mkdir()
    shutil.copy(shared_data / "raw_bvh" / "cmu_07_03_daz.bvh", a / "walk.bvh")
    shutil.copy(shared_data / "raw_bvh" / "bandai_1_dash_normal_001.bvh", b / "dash.bvh")
    out = tmp_path / "g.mlx"
    rep = build_index(model, [a, b], out, patch_stats=stats, progress=False)
    current = {"bvh": BVH_LOADER_VERSION}
    assert rep.index.manifest["loaders"] == current
    walk = load_motion_file(a / "walk.bvh")  # the default drops the 4 inserted frames
    assert rep.index.num_frames[rep.index.position("A/walk")] == walk.num_frames

    def forget_loader():  # as an index written before the version was recorded
        manifest = json.loads((out / "manifest.json").read_text())
        del manifest["loaders"]
        (out / "manifest.json").write_text(json.dumps(manifest))

    forget_loader()
    rep = build_index(model, [a], out, progress=False)
    assert rep.replaced == ["A/walk"] and rep.kept == 1  # B/dash: not this build's folder
    assert "loaders" not in rep.index.manifest
    rep = build_index(model, [a, b], out, progress=False)
    assert sorted(rep.replaced) == ["A/walk", "B/dash"]
    assert rep.index.manifest["loaders"] == current
    rep = build_index(model, [a, b], out, progress=False)
    assert rep.added == 0 and rep.replaced == [] and rep.kept == 2
