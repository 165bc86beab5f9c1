"""``index``, ``search``, ``evaluate`` and ``words`` default to the shipped model when
``--checkpoint`` is omitted; ``search`` keeps preferring the checkpoint the index records."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

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
    assert "the index's own checkpoint when --out exists" in with_help["checkpoint"]


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
    # --json: one document, the unknown words in it too (they were on stderr only)
    assert main(["search", "a persn wavs", "--index", str(idx), "-k", "1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"word": "persn", "suggestion": "person"} in doc["unknown_words"]
    assert len(doc["hits"]) == 1
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
    assert f"its checkpoint {own} is gone; trying the shipped model" in out.err


def _own_model(folder: Path) -> Path:
    """A user's own model folder: the tiny architecture, not the shipped weights (another
    fingerprint), with the shipped patch statistics."""
    import torch

    from motionlex.core.model.factory import create_model
    from motionlex.core.patches import PatchStats

    torch.manual_seed(0)
    model = create_model("tiny", device="cpu")
    stats = PatchStats.load(default_model_dir() / "patch_stats.json")
    model.save_pretrained(folder, extra_json={"patch_stats.json": stats.to_dict()})
    return folder


def test_index_again_uses_the_checkpoint_the_index_records(shared_data, make_subset, tmp_path,
                                                           capsys):
    """Item 1: ``index`` on an existing index without ``--checkpoint`` takes the checkpoint
    recorded in it (one note), as ``search`` does; a mismatch names where the model came
    from, never "the given model" when none was given."""
    data = make_subset(shared_data / "bandai", tmp_path / "ds", IDS[:1])
    more = make_subset(shared_data / "bandai", tmp_path / "more", IDS[1:])
    own = _own_model(tmp_path / "own")
    idx = tmp_path / "g.mlx"
    assert main(["index", "--checkpoint", str(own), "--data", str(data), "--out", str(idx),
                 "-q"]) == 0
    capsys.readouterr()
    assert main(["index", "--data", str(data), "--data", str(more), "--out", str(idx)]) == 0
    out = capsys.readouterr()
    # never "--checkpoint to choose another": another model is refused (below)
    assert (f"note: {idx} exists: adding to it with the model it was built with, {own} (an "
            "index holds one model's encodings: to index with another model, give a new --out)"
            ) in out.err
    assert out.err.count("note:") == 1
    assert "2 motions, " in out.out and "(1 encoded, 1 kept)" in out.out
    assert main(["index", "--data", str(data), "--out", str(idx), "-q"]) == 0
    assert capsys.readouterr().err == ""  # -q: no note (CLI audit N8)
    assert GalleryIndex.load(idx, verify=False).checkpoint == str(own)
    # encoding options of a new index, given to an existing one: said, not silently ignored
    assert main(["index", "--data", str(data), "--out", str(idx), "-q", "--lexical-top-k",
                 "5", "--long-clips", "windows"]) == 0
    err = capsys.readouterr().err
    assert (f"note: {idx} exists and keeps the settings it was built with (lexical_top_k=128, "
            "long_clips=windows, joints_dtype=float16): --lexical-top-k 5 applies to a new "
            "index") in err
    assert GalleryIndex.load(idx, verify=False).settings.lexical_top_k == 128

    assert main(["index", "--checkpoint", str(default_model_dir()), "--data", str(data),
                 "--out", str(idx), "-q"]) == 2
    err = capsys.readouterr().err
    assert f"but the model in --checkpoint {default_model_dir()} is " in err
    assert f"leave out --checkpoint to add to it with its own model ({own})" in err
    assert "re-encode its motions with this model (--rebuild)" in err
    assert "or index with this model into a new --out folder" in err
    assert "note:" not in err  # refused before any note on statistics (--stats is no way out)
    copy = tmp_path / "copy"  # a copy of the index's own model is that model: accepted
    shutil.copytree(own, copy)
    assert main(["index", "--checkpoint", str(copy), "--data", str(data), "--out", str(idx),
                 "-q"]) == 0
    capsys.readouterr()

    shutil.rmtree(own)  # the recorded checkpoint is gone: the shipped model, which differs
    for argv in (["index", "--data", str(data), "--out", str(idx), "-q"],
                 ["search", "a person walks", "--index", str(idx)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert f"note: {idx}: its checkpoint {own} is gone; trying the shipped model" in err
        assert f"but the shipped model ({default_model_dir()}) is " in err
        assert "give the model that built it with --checkpoint" in err
        assert "the given model" not in err


def test_a_query_longer_than_the_text_encoder_reads_is_noted(capsys):
    """``search`` loads the lite model, where the note used to be skipped silently;
    the full model (a checkpoint outside the lite path) counts the same tokens."""
    from motionlex.core.cli.query_notes import warn_long_text
    from motionlex.core.model.lite_load import load_lite
    from motionlex.core.model.model import MotionTextModel

    long_query = "a person walks forward and then turns around slowly " * 12  # 9 WordPieces
    for model in (load_lite(default_model_dir()),
                  MotionTextModel.from_pretrained(default_model_dir(), device="cpu")):
        warn_long_text(long_query, model)
        assert capsys.readouterr().err.startswith(
            f"note: the query is {12 * 9 + 2} tokens long; the model reads its first 64")
        warn_long_text("a person waves", model)
        assert capsys.readouterr().err == ""
