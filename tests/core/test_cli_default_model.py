"""``index``, ``search``, ``evaluate`` and ``words`` default to the shipped model when
``--checkpoint`` is omitted; ``search`` keeps preferring the checkpoint the index records."""

from __future__ import annotations

import shutil

from motionlex.core.cli import main
from motionlex.core.cli.parser import build_parser
from motionlex.core.retrieval.index import GalleryIndex
from motionlex.resources import default_model_dir

IDS = ["bn2_wave-right-hand_normal_001", "bn2_walk_normal_001"]


def test_checkpoint_is_optional_everywhere():
    p = build_parser()
    for argv in (["index", "--data", "d", "--out", "o"], ["search", "walks", "--index", "i"],
                 ["evaluate", "--data", "d", "--out", "o"], ["words", "walks"]):
        assert p.parse_args(argv).checkpoint is None, argv
    with_help = {a.dest: a.help for a in p._subparsers._group_actions[0].choices["index"]._actions}
    assert "shipped model" in with_help["checkpoint"]


def test_index_and_search_without_checkpoint(shared_data, make_subset, tmp_path, capsys):
    data = make_subset(shared_data / "bandai", tmp_path / "ds", IDS)
    own = tmp_path / "own_copy"
    shutil.copytree(default_model_dir(), own)
    idx = tmp_path / "g.mlx"
    assert main(["index", "--data", str(data), "--out", str(idx), "-q"]) == 0
    assert GalleryIndex.load(idx, verify=False).checkpoint == str(default_model_dir())
    capsys.readouterr()
    assert main(["search", "a person walks", "--index", str(idx), "-k", "2"]) == 0
    out = capsys.readouterr()
    assert len(out.out.strip().splitlines()) == 1 + 2 and "note:" not in out.err  # header
    # typos: ranked as typed, with the closest known words on stderr (as the explorer does)
    assert main(["search", "a persn wavs the lefft hnad", "--index", str(idx), "-k", "1"]) == 0
    out = capsys.readouterr()
    assert len(out.out.strip().splitlines()) == 1 + 1
    assert "persn (did you mean 'person'?)" in out.err
    assert "try: 'a person waves the left hand'" in out.err
    assert "no word of the query is known" not in out.err  # "the" is
    assert main(["search", "a xyzzy qwrtp", "--index", str(idx), "-k", "1"]) == 0
    assert "(no word of the query is known, so these results mean little)" in \
        capsys.readouterr().err
    # an index recording a checkpoint that is gone: the shipped model, with a note
    idx2 = tmp_path / "g2.mlx"
    assert main(["index", "--checkpoint", str(own), "--data", str(data), "--out", str(idx2),
                 "-q"]) == 0
    shutil.rmtree(own)
    capsys.readouterr()
    assert main(["search", "a person walks", "--index", str(idx2), "-k", "2"]) == 0
    out = capsys.readouterr()
    assert len(out.out.strip().splitlines()) == 1 + 2
    assert f"its checkpoint {own} is gone; using the shipped model" in out.err
