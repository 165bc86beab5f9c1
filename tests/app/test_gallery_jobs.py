"""The worker's gallery job (motionlex.app.gallery_jobs) on a real tiny model: folders built
into the cache, galleries whose checkpoint is gone. The job generators run without a thread;
the ``load`` slot that drives them is tested in test_worker.py."""

from __future__ import annotations

import pytest

from motionlex.app.worker import RankWorker
from motionlex.core.retrieval.fingerprints import model_fingerprint
from motionlex.core.retrieval.gallery_paths import cached_index_path
from motionlex.core.steps import run_steps_with_bar


def _run(job):
    """Drive a job generator to the end (core's drain, no bar); return (steps, value)."""
    steps: list[tuple[int, int]] = []
    value = run_steps_with_bar(job, desc="", unit="", disable=True,
                               on_step=lambda *step: steps.append(step))
    return steps, value


def test_dataset_folder_built_into_cache(qapp, tmp_path, tiny_checkpoint, bvh_folder):
    w = RankWorker(cache_dir=tmp_path / "cache", device="cpu")
    _run(w.load_checkpoint_steps(tiny_checkpoint))
    steps, info = _run(w.load_steps(bvh_folder))
    assert info.built and info.size == 2 and info.searchable
    expect = cached_index_path(tmp_path / "cache", bvh_folder, model_fingerprint(w.model))
    assert info.path == str(expect) and (expect / "manifest.json").is_file()
    # counted steps are the build's motions (the window says "Indexing: 2 of 2 motions");
    # the job's other stages are busy steps, (0, 0), not "1/2 motions"
    assert (2, 2) in steps and all(t in (0, 2) for _, t in steps) and steps[-1] == (0, 0)
    assert sorted(info.ids) == sorted(f"bvh_clips/{p.stem}" for p in bvh_folder.glob("*.bvh"))
    # opened again, up to date: nothing is encoded, so no counted step ("Indexing: 2 of 2
    # motions" on the page once said otherwise)
    steps, info = _run(w.load_steps(bvh_folder))
    assert not info.built and info.size == 2 and all(t == 0 for _, t in steps), steps


def test_a_gallery_whose_checkpoint_is_gone_says_so(qapp, tmp_path, save_tiny, bvh_folder,
                                                    tiny_checkpoint):
    """The message said "open that checkpoint first" of a folder that no longer exists."""
    import shutil

    from motionlex.core.model.factory import load_checkpoint
    from motionlex.core.retrieval.build import build_index

    own = save_tiny(tmp_path / "own", seed=3)
    model, stats = load_checkpoint(own, "cpu")
    index = build_index(model, [bvh_folder], tmp_path / "g.mlx", patch_stats=stats,
                        checkpoint=own, progress=False).index
    shutil.rmtree(own)
    w = RankWorker(cache_dir=tmp_path / "cache", device="cpu")
    _run(w.load_checkpoint_steps(tiny_checkpoint))  # another model
    with pytest.raises(ValueError, match=rf"its checkpoint \({own}\) no longer exists, so "
                                         r"re-encode its motions with this model: motionlex "
                                         rf"index --out {index.path} --rebuild --checkpoint "
                                         rf"{tiny_checkpoint}$"):
        _run(w.load_steps(index.path))
