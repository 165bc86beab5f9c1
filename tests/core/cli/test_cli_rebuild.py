"""``motionlex index --rebuild``: an index whose model changed (the shipped model updated, a
checkpoint trained again) is re-encoded from the folders it records, replacing the old one
only once the new one is complete; the refusal before it says so and points to it (CLI
audit D2)."""

from __future__ import annotations

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
