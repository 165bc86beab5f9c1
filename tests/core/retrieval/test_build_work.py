"""core/retrieval/build_work.py, through real builds: what an index build has to do
(plan_build: rows of files that are gone, where a renamed or deleted data folder is named with
its count and ``prune`` (``index --prune``) drops its rows; a file two folders reach; a BVH
folder without the split file; rows of an older BVH or joint-file loader), and the encoded batches
kept while the build is unfinished (a rerun continues an interrupted build)."""

from __future__ import annotations

import json
import logging
import shutil

import numpy as np
import pytest

from motionlex.core.cli import main
from motionlex.core.motion.files import load_motion_file
from motionlex.core.retrieval.build import BuildCancelled, build_index
from motionlex.core.retrieval.build_work import LOADER_VERSIONS, vanished_folder
from motionlex.core.retrieval.index import GalleryIndex


def test_a_renamed_data_folder_is_named_and_pruned(shared_data, model, stats, checkpoint,
                                                   tmp_path, caplog, capsys):
    """Probe: index mvA, ``mv mvA mvB``, index mvB: "16 motions (8 encoded, 8 kept)", every hit
    twice, nothing said, and no way to drop mvA's rows but a rebuild."""
    data = tmp_path / "data"
    a, b = data / "mvA", data / "mvB"
    shutil.copytree(shared_data / "humanml3d_samples", a)
    out = tmp_path / "g.mlx"
    build_index(model, [a], out, patch_stats=stats, progress=False, checkpoint=checkpoint)
    a.rename(b)
    with caplog.at_level(logging.WARNING, logger="motionlex.core.retrieval.build"):
        rep = build_index(model, [b], out, progress=False)
    assert rep.vanished == {str(a): 7} and len(rep.index) == 14 and rep.removed == []
    assert (f"{out} keeps 7 motions of {a}, which no longer exists: index again with --prune "
            "to drop them") in caplog.text  # no Python argument in a CLI line (audit D4)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="motionlex.core.retrieval.build"):
        rep = build_index(model, [b], out, progress=False)  # said each time, not only once
    assert rep.vanished == {str(a): 7} and str(a) in caplog.text and rep.added == 0
    # index --prune drops them: each motion once, the new folder's rows kept
    capsys.readouterr()
    assert main(["index", "--data", str(b), "--out", str(out), "--prune", "-q"]) == 0
    printed = capsys.readouterr().out
    assert f"{out}: 7 motions, " in printed and "(0 encoded, 7 kept, 7 removed)" in printed
    assert "  removed 7 motions whose file is gone or unreadable: " in printed
    idx = GalleryIndex.load(out, model)
    assert len(idx) == 7 and all(s.startswith(str(b)) for s in idx.sources)
    # a file deleted alone from a folder this build is not given: that folder is named
    shutil.copytree(shared_data / "humanml3d_samples", data / "other")
    build_index(model, [data / "other"], out, progress=False)
    gone = sorted((data / "other" / "new_joints").glob("*.npy"))[0]
    gone.unlink()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="motionlex.core.retrieval.build"):
        rep = build_index(model, [b], out, progress=False)
    folder = data / "other" / "new_joints"
    assert rep.vanished == {str(folder): 1}
    assert f"keeps 1 motion whose files are gone from {folder}: index again" in caplog.text
    rep = build_index(model, [b], out, progress=False, prune=True)
    assert rep.vanished == {} and len(rep.removed) == 1 and len(rep.index) == 13


def test_the_vanished_folder_is_the_outermost_missing_one(tmp_path):
    (tmp_path / "kept").mkdir()
    assert vanished_folder(str(tmp_path / "gone" / "new_joints" / "a.npy")) == str(
        tmp_path / "gone")
    assert vanished_folder(str(tmp_path / "kept" / "a.npy")) == str(tmp_path / "kept")


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
    left = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock"))
    assert rep.resumed == 0 and rep.added == 7 and left == ["g.mlx"]  # no work folder


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
    current = dict(LOADER_VERSIONS)
    assert rep.index.manifest["loaders"] == current == {"bvh": 4, "npy": 2}
    walk = load_motion_file(a / "walk.bvh")  # the default drops the 4 inserted frames
    assert rep.index.num_frames[rep.index.position("A/walk")] == walk.num_frames

    def forget_loader():  # as an index written before the version was recorded
        manifest = json.loads((out / "manifest.json").read_text())
        del manifest["loaders"]
        (out / "manifest.json").write_text(json.dumps(manifest))

    forget_loader()
    rep = build_index(model, [a], out, progress=False)
    assert rep.replaced == ["A/walk"] and rep.kept == 1  # B/dash: not this build's folder
    assert rep.index.manifest["loaders"] == {"npy": LOADER_VERSIONS["npy"]}  # no bvh: stale
    rep = build_index(model, [a, b], out, progress=False)
    assert sorted(rep.replaced) == ["A/walk", "B/dash"]
    assert rep.index.manifest["loaders"] == current
    rep = build_index(model, [a, b], out, progress=False)
    assert rep.added == 0 and rep.replaced == [] and rep.kept == 2


def test_joint_file_rows_of_an_older_joints_loader_are_encoded_again(shared_data, model,
                                                                     stats, tmp_path,
                                                                     make_subset):
    """The .npy loader's version is recorded beside the BVH loader's: an index whose npy
    rows were read before a pasted frame 0 was dropped (version 1) re-encodes them, BVH rows
    untouched, and the Daz conversion's row loses that frame."""
    data = make_subset(shared_data / "cmu_kitml", tmp_path / "cmu", ["02702", "02628"])
    bvh = tmp_path / "B"
    bvh.mkdir()
    shutil.copy(shared_data / "raw_bvh" / "bandai_1_dash_normal_001.bvh", bvh / "dash.bvh")
    out = tmp_path / "g.mlx"
    rep = build_index(model, [data, bvh], out, patch_stats=stats, progress=False)
    stored = np.load(data / "new_joints" / "02702.npy")
    assert rep.index.num_frames[rep.index.position("cmu/02702")] == len(stored) - 1
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["loaders"]["npy"] = 1
    (out / "manifest.json").write_text(json.dumps(manifest))
    rep = build_index(model, [bvh], out, progress=False)  # npy rows kept: version 1 kept
    assert rep.replaced == [] and rep.index.manifest["loaders"]["npy"] == 1
    rep = build_index(model, [data, bvh], out, progress=False)
    assert sorted(rep.replaced) == ["cmu/02628", "cmu/02702"]
    assert rep.index.manifest["loaders"] == LOADER_VERSIONS
