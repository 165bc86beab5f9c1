"""``motionlex index --rebuild``: an index whose model changed (the shipped model updated, a
checkpoint trained again) is re-encoded from the folders it records, replacing the old one
only once the new one is complete; the refusal before it says so and points to it (CLI
audit D2)."""

from __future__ import annotations

import json
import shutil

import pytest

import motionlex.core.retrieval.build as build
import motionlex.resources as resources
from motionlex.core.cli import main
from motionlex.core.retrieval.fingerprints import model_fingerprint
from motionlex.core.retrieval.index import GalleryIndex


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def _fingerprint(folder) -> str:
    from motionlex.core.model.lite_load import load_for_queries

    return model_fingerprint(load_for_queries(str(folder), "cpu")[0])


@pytest.fixture
def bandai_three(shared_data, make_subset, tmp_path):
    src = shared_data / "bandai"
    ids = [i for i in (src / "val.txt").read_text().split() if i][:3]
    return make_subset(src, tmp_path / "bv", ids)


def test_an_updated_shipped_model_is_said_and_rebuild_re_encodes(bandai_three, save_tiny,
                                                                  tmp_path, monkeypatch,
                                                                  capsys):
    shipped = save_tiny(tmp_path / "shipped", seed=0)  # stands in for resources/default_model
    monkeypatch.setattr(resources, "DEFAULT_MODEL_DIR", shipped)
    idx = tmp_path / "g.mlx"
    assert main(["index", "--data", str(bandai_three), "--out", str(idx), "-q"]) == 0
    before = GalleryIndex.load(idx)
    ids, old_hash = list(before.ids), before.model_hash
    del before
    shutil.rmtree(shipped)  # a new motionlex (or a git pull) updates the shipped model
    save_tiny(shipped, seed=1)
    capsys.readouterr()
    rebuild = f"motionlex index --out {idx} --rebuild"
    assert main(["search", "a person walks", "--index", str(idx)]) == 2
    err = _one_error_line(capsys)
    assert f"{idx} was built with an earlier shipped model ({old_hash[:16]}...)" in err
    assert f"the shipped model ({shipped}) has been updated since" in err
    assert err.endswith(rebuild) and "trained again" not in err
    # index again as before: refused with the same advice, and no "adding to it" note first
    assert main(["index", "--data", str(bandai_three), "--out", str(idx)]) == 2
    err = capsys.readouterr().err
    assert "note:" not in err and err.strip().endswith(rebuild)

    real = build.encode_batch

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "encode_batch", interrupted)  # a rebuild stopped half-way
    assert main(["index", "--out", str(idx), "--rebuild", "-q"]) == 130
    capsys.readouterr()
    assert GalleryIndex.load(idx).model_hash == old_hash  # the old index, as it was
    monkeypatch.setattr(build, "encode_batch", real)
    assert main(["index", "--out", str(idx), "--rebuild", "-q"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{idx} rebuilt: 3 motions, ") and "(all 3 encoded again)" in out
    after = GalleryIndex.load(idx)
    assert after.model_hash == _fingerprint(shipped) != old_hash and list(after.ids) == ids
    assert after.checkpoint == str(shipped.resolve())
    del after
    assert main(["search", "a person walks", "--index", str(idx), "-k", "2"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 1 + 2


def test_rebuild_of_a_checkpoint_trained_again_keeps_the_split_and_drops_gone_files(
        shared_data, bandai_three, save_tiny, tmp_path, capsys):
    bvh = tmp_path / "raw_bvh"
    shutil.copytree(shared_data / "raw_bvh", bvh)
    own = save_tiny(tmp_path / "own", seed=0)
    idx = tmp_path / "g.mlx"
    (bandai_three / "val.txt").write_text((bandai_three / "all.txt").read_text().split()[0])
    assert main(["index", "--checkpoint", str(own), "--data", str(bandai_three), "--data",
                 str(bvh), "--split", "val", "--out", str(idx), "-q"]) == 0
    n = len(GalleryIndex.load(idx))  # 1 of bandai's val + every BVH file (no val.txt there)
    shutil.rmtree(own)
    save_tiny(own, seed=1)  # 'motionlex train --overwrite' into the same folder
    gone = sorted(bvh.glob("*.bvh"))[0]
    gone.unlink()
    capsys.readouterr()
    assert main(["search", "a person walks", "--index", str(idx)]) == 2
    err = _one_error_line(capsys)
    assert "trained again since?" in err and err.endswith(f"motionlex index --out {idx} --rebuild")
    assert main(["index", "--out", str(idx), "--rebuild", "-q", "--lexical-top-k", "8"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"{idx} rebuilt: {n - 1} motions, " in lines[0] and "1 removed" in lines[0], lines
    assert lines[1] == f"  removed 1 motion whose file is gone or unreadable: raw_bvh/{gone.stem}"
    after = GalleryIndex.load(idx)
    assert after.model_hash == _fingerprint(own) and after.settings.lexical_top_k == 8
    assert sum(d == "bv" for d in after.datasets) == 1  # bandai's val split, not its all


def test_rebuild_usage(tmp_path, capsys):
    idx = tmp_path / "none.mlx"
    assert main(["index", "--out", str(idx), "--rebuild"]) == 2
    err = _one_error_line(capsys)
    assert f"--rebuild: {idx} is not a gallery index" in err
    assert f"build one with: motionlex index --data DIR --out {idx}" in err
    assert main(["index", "--out", str(idx), "--rebuild", "--data", str(tmp_path)]) == 2
    assert "give no --data" in capsys.readouterr().err
    assert main(["index", "--out", str(idx)]) == 2
    assert "required: --data (or --rebuild" in capsys.readouterr().err


def _rows(idx) -> tuple[list[str], list[list[str]]]:
    index = GalleryIndex.load(idx)
    return list(index.ids), [list(c) for c in index.captions]


@pytest.fixture
def tiny(save_tiny, tmp_path):
    return save_tiny(tmp_path / "tiny", seed=0)


def test_rebuild_reads_the_recorded_folder_whose_files_are_links(bandai_three, tiny, tmp_path,
                                                                 capsys):
    # a HumanML3D-layout folder whose new_joints/ is a link to another disk: the rows' files
    # resolve outside it, yet a rebuild reads them with its captions and ids (review 2: 1)
    disk = tmp_path / "disk"
    disk.mkdir()
    shutil.move(bandai_three / "new_joints", disk / "new_joints")
    (bandai_three / "new_joints").symlink_to(disk / "new_joints", target_is_directory=True)
    idx = tmp_path / "g.mlx"
    assert main(["index", "--checkpoint", str(tiny), "--data", str(bandai_three), "--out",
                 str(idx), "-q"]) == 0
    ids, captions = _rows(idx)
    assert all(i.startswith("bv/") for i in ids) and all(captions)
    record = json.loads((idx / "manifest.json").read_text())["data_folders"]
    assert record == [{"folder": str(bandai_three.resolve()), "split": "all"}]
    capsys.readouterr()
    assert main(["index", "--out", str(idx), "--rebuild", "-q"]) == 0
    assert "(all 3 encoded again)" in capsys.readouterr().out
    assert _rows(idx) == (ids, captions)
    # an index of an earlier motionlex (no folders recorded): guessing would read disk/ as
    # the dataset, without captions, so the rebuild is refused and the index kept
    manifest = json.loads((idx / "manifest.json").read_text())
    del manifest["data_folders"]
    (idx / "manifest.json").write_text(json.dumps(manifest))
    assert main(["index", "--out", str(idx), "--rebuild", "-q"]) == 2
    err = _one_error_line(capsys)
    assert f"{idx} records no data folders" in err and "--data" in err
    assert _rows(idx) == (ids, captions)


def test_rebuild_refuses_a_missing_folder_unless_pruned_and_refuses_split(
        shared_data, bandai_three, tiny, tmp_path, capsys, caplog):
    bvh = tmp_path / "raw_bvh"
    shutil.copytree(shared_data / "raw_bvh", bvh)
    idx = tmp_path / "g.mlx"
    assert main(["index", "--checkpoint", str(tiny), "--data", str(bandai_three), "--data",
                 str(bvh), "--out", str(idx), "-q"]) == 0
    ids, _ = _rows(idx)
    n_bvh = sum(i.startswith("raw_bvh/") for i in ids)
    capsys.readouterr()
    assert main(["index", "--out", str(idx), "--rebuild", "--split", "val", "-q"]) == 2
    assert "give no --split" in capsys.readouterr().err  # not read as 'all' silently
    bvh.rename(tmp_path / "moved")  # unmounted for a while: its rows are not dropped
    assert main(["index", "--out", str(idx), "--rebuild", "-q"]) == 2
    err = _one_error_line(capsys)
    assert err.startswith(f"motionlex index: error: {bvh.resolve()}: a data folder") and \
        "--prune" in err
    assert _rows(idx)[0] == ids
    assert main(["index", "--out", str(idx), "--rebuild", "--prune", "-q"]) == 0
    assert f"{bvh.resolve()} no longer exists: the rebuild drops its motions" in caplog.text
    assert f"(all 3 encoded again, {n_bvh} removed)" in capsys.readouterr().out
    assert _rows(idx)[0] == ids[:3]
    record = json.loads((idx / "manifest.json").read_text())["data_folders"]
    assert [d["folder"] for d in record] == [str(bandai_three.resolve())]


def test_skips_are_matched_by_dataset_and_id(shared_data, make_subset, tiny, tmp_path,
                                             capsys):
    src = shared_data / "bandai"
    ids = [i for i in (src / "val.txt").read_text().split() if i][:3]
    a = make_subset(src, tmp_path / "a", ids[:2])
    b = make_subset(src, tmp_path / "b", ids[2:])
    idx = tmp_path / "g.mlx"
    assert main(["index", "--checkpoint", str(tiny), "--data", str(a), "--data", str(b),
                 "--out", str(idx), "-q"]) == 0
    # b's split file lists a motion of a that b has no file for: a skip of b, not of the
    # index's a/ids[0], so a rebuild (which reads only the index's files) says nothing of
    # it (review 2: 6)
    with (b / "all.txt").open("a") as f:
        f.write(f"{ids[0]}\n")
    capsys.readouterr()
    assert main(["index", "--out", str(idx), "--rebuild", "-q"]) == 0
    out = capsys.readouterr().out
    assert "(all 3 encoded again)" in out and "skipped" not in out, out
    # a's file deleted: its row removed (its own all.txt skip said once, as removed), while
    # b's skip of the same id is b's own and is listed (review 2: 10)
    (a / "new_joints" / f"{ids[0]}.npy").unlink()
    assert main(["index", "--data", str(a), "--data", str(b), "--out", str(idx), "-q"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "1 removed, 1 skipped" in lines[0], lines
    assert lines[-1] == f"  skipped {ids[0]}: listed in all.txt, no motion file"
