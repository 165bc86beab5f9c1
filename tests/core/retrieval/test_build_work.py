"""What an index build has to do with rows of files that are gone (core/retrieval/build_work.py
plan_build): a renamed or deleted data folder is named with its count, and ``prune`` (``index
--prune``) drops its rows."""

from __future__ import annotations

import logging
import shutil

from motionlex.core.cli import main
from motionlex.core.retrieval.build import build_index
from motionlex.core.retrieval.build_work import vanished_folder
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
            "(prune=True) to drop them") in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="motionlex.core.retrieval.build"):
        rep = build_index(model, [b], out, progress=False)  # said each time, not only once
    assert rep.vanished == {str(a): 7} and str(a) in caplog.text and rep.added == 0
    # index --prune drops them: each motion once, the new folder's rows kept
    capsys.readouterr()
    assert main(["index", "--data", str(b), "--out", str(out), "--prune", "-q"]) == 0
    printed = capsys.readouterr().out
    assert f"{out}: 7 motions (0 encoded, 7 kept, 7 removed (file gone or unreadable)" in printed
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
