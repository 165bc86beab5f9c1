"""A training run's data (core/train/run_data.py) as TrainingRun loads it: data_repeat,
a folder given twice, a folder that adds no training pairs."""

import logging

import numpy as np
import pytest

from motionlex.core.data.pairs import load_pair_examples
from motionlex.core.train.train_config import load_train_config
from motionlex.core.train.training import TrainingRun


def test_data_repeat_oversamples_one_folder_and_keeps_statistics(small_data, shared_data,
                                                                 make_subset, repo_root,
                                                                 tmp_path):
    """``data_repeat`` repeats one folder's training pairs per epoch and leaves the other
    folder's alone; the patch statistics, the caption vocabulary and validation stay those
    of the unrepeated data."""
    src = shared_data / "bandai"
    ids = [ln.strip() for ln in (src / "train.txt").read_text().splitlines()][5::97][:8]
    other = make_subset(src, tmp_path / "other", ids, {"train": ids})
    cfg = load_train_config(repo_root / "configs" / "tiny.yaml", ["compose_p=0"])
    plain = TrainingRun(cfg, [small_data, other], tmp_path / "a", progress=False)
    cfg3 = load_train_config(repo_root / "configs" / "tiny.yaml",
                             ["compose_p=0", "data_repeat={other: 3}"])
    tripled = TrainingRun(cfg3, [small_data, other], tmp_path / "b", progress=False)
    n_small = len(load_pair_examples([small_data], "train", with_events=False, progress=False))
    n_other = len(plain.train_examples) - n_small
    assert n_other > 0 and len(tripled.train_examples) == n_small + 3 * n_other
    ids_of = [e.motion_id for e in tripled.train_examples]
    assert ids_of[:n_small] == [e.motion_id for e in plain.train_examples[:n_small]]
    assert ids_of[n_small:] == 3 * [e.motion_id for e in plain.train_examples[n_small:]]
    assert len(tripled.val_examples) == len(plain.val_examples)
    np.testing.assert_allclose(tripled.stats.mean, plain.stats.mean)
    assert sorted(tripled._training_captions()) == sorted(plain._training_captions())
    wrong = load_train_config(repo_root / "configs" / "tiny.yaml", ["data_repeat={bandai: 2}"])
    with pytest.raises(ValueError, match=r"data_repeat names \['bandai'\].*bandai_small"):
        TrainingRun(wrong, [small_data], tmp_path / "c", progress=False)
    # a link to the folder: keyed by the name the --data path gives (README), or the
    # folder's own (the link's name was refused: only the resolved name counted)
    link = tmp_path / "linked"
    link.symlink_to(other)
    by_link = load_train_config(repo_root / "configs" / "tiny.yaml",
                                ["compose_p=0", "data_repeat={linked: 3}"])
    linked = TrainingRun(by_link, [small_data, link], tmp_path / "d", progress=False)
    assert len(linked.train_examples) == n_small + 3 * n_other


def test_a_folder_given_twice_is_read_once(small_data, repo_root, tmp_path, caplog,
                                           monkeypatch):
    cfg = load_train_config(repo_root / "configs" / "tiny.yaml", ["compose_p=0"])
    monkeypatch.chdir(small_data.parent)  # given relative, recorded absolute
    once = TrainingRun(cfg, [small_data.name], tmp_path / "a", progress=False)
    assert once.data_roots == [str(small_data)]
    monkeypatch.undo()
    with caplog.at_level("WARNING", logger="motionlex"):
        twice = TrainingRun(cfg, [small_data, str(small_data) + "/"], tmp_path / "b",
                            progress=False)
    assert len(twice.train_examples) == len(once.train_examples)
    assert len(twice.val_examples) == len(once.val_examples)
    assert any("given twice is read once" in r.getMessage() for r in caplog.records)


def test_a_folder_without_training_pairs_beside_others_is_named(small_data, shared_data,
                                                                 repo_root, tmp_path, caplog):
    """humanml3d_samples' 5 train motions have no captions: next to a folder with pairs it
    was loaded without a word and took no part in training."""
    cfg = load_train_config(repo_root / "configs" / "tiny.yaml", ["compose_p=0"])
    with caplog.at_level(logging.WARNING, logger="motionlex.core.train.run_data"):
        run = TrainingRun(cfg, [small_data, shared_data / "humanml3d_samples"],
                          tmp_path / "out", progress=False)
    assert run.train_examples
    assert ("humanml3d_samples adds no training pairs, so it takes no part in training "
            "(humanml3d_samples: 5 train motions, 0 with captions") in caplog.text
