"""``motionlex search`` by text or motion loads the lite towers (no transformers) and ranks
exactly as the full model does (issue 13, fast CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from motionlex.core.cli import main

QUERIES = ["a person waves", "someone walks forward then turns around"]


@pytest.fixture(scope="module")
def small_index(shared_data: Path, make_subset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of 16 real bandai motions built with the default checkpoint."""
    from motionlex.resources import default_model_dir

    src = shared_data / "bandai"
    ids = [i for i in (src / "val.txt").read_text().split() if i][:16]
    tmp = tmp_path_factory.mktemp("cli-search")
    data = make_subset(src, tmp / "ds", ids)
    idx = tmp / "g.mlx"
    assert main(["index", "--checkpoint", str(default_model_dir()), "--data", str(data),
                 "--out", str(idx), "-q"]) == 0
    return idx


def _cli_hits(capsys, idx: Path, query: str, mode: str) -> list[dict]:
    capsys.readouterr()
    assert main(["search", query, "--index", str(idx), "-k", "10", "--mode", mode,
                 "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)  # one document: json.load reads it
    assert doc["query"] == query and doc["file"] is None and doc["item"] is None
    assert doc["mode"] == mode and (doc["fusion_weight"] is None) == (mode != "fused")
    return [{**h, "mode": doc["mode"], "fusion_weight": doc["fusion_weight"]}
            for h in doc["hits"]]


def _full_hits(idx: Path, query: str, mode: str) -> list:
    from motionlex.core.model.factory import load_checkpoint
    from motionlex.core.retrieval.index import GalleryIndex
    from motionlex.core.retrieval.search import Searcher

    index = GalleryIndex.load(idx)
    model, _ = load_checkpoint(index.checkpoint, "cpu")
    searcher = Searcher(GalleryIndex.load(idx, model), model)
    return searcher.search(searcher.embed_text(query), k=10, mode=mode)


def _assert_same(got: list[dict], want: list, mode: str = "fused") -> None:
    assert [h["id"] for h in got] == [h.id for h in want]
    # every line says what its score is (a user read a fused 0.68 as a good match)
    assert {h["mode"] for h in got} == {mode}
    assert all((h["fusion_weight"] is not None) == (mode == "fused") for h in got)
    if mode == "fused":
        assert all(0 <= h["fusion_weight"] <= 1 for h in got)
    for g, w in zip(got, want):
        assert g["score"] == pytest.approx(w.score, abs=1e-5)
        assert g["dense"] == pytest.approx(w.dense_score, abs=1e-5)
        assert g["lexical"] == pytest.approx(w.lexical_score, abs=1e-5)
        assert [x["word"] for x in g["words"]] == [x[0] for x in w.words]


@pytest.mark.parametrize("mode", ["fused", "dense", "lexical"])
def test_text_search_uses_the_text_tower_and_matches_the_full_model(
        small_index: Path, capsys, monkeypatch, mode: str) -> None:
    import motionlex.core.model.factory as factory

    want = {q: _full_hits(small_index, q, mode) for q in QUERIES}

    def no_full_model(*args, **kwargs):
        raise AssertionError("a text query loaded the full model")

    monkeypatch.setattr(factory, "load_checkpoint", no_full_model)
    for q in QUERIES:
        got = _cli_hits(capsys, small_index, q, mode)
        assert len(got) == 10
        _assert_same(got, want[q], mode)


def test_motion_search_uses_the_lite_towers_and_matches_the_full_model(
        small_index: Path, shared_data: Path, capsys, monkeypatch) -> None:
    import motionlex.core.model.factory as factory
    from motionlex.core.model.factory import load_checkpoint
    from motionlex.core.motion.files import load_motion_file
    from motionlex.core.retrieval.index import GalleryIndex
    from motionlex.core.retrieval.search import Searcher

    bvh = sorted((shared_data / "raw_bvh").glob("*.bvh"))[0]  # native skeleton, 30+ fps
    npy = sorted((shared_data / "bandai" / "new_joints").glob("*.npy"))[-1]
    index = GalleryIndex.load(small_index)
    model, _ = load_checkpoint(index.checkpoint, "cpu")
    searcher = Searcher(GalleryIndex.load(small_index, model), model)
    want = {f: searcher.search(searcher.embed_motion(load_motion_file(f)), k=10, mode="fused")
            for f in (bvh, npy)}

    def no_full_model(*args, **kwargs):
        raise AssertionError("a motion query loaded the full model")

    monkeypatch.setattr(factory, "load_checkpoint", no_full_model)
    for f in (bvh, npy):
        capsys.readouterr()
        assert main(["search", "--motion", str(f), "--index", str(small_index), "-k", "10",
                     "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["file"] == str(f) and doc["query"] is None
        got = [{**h, "mode": doc["mode"], "fusion_weight": doc["fusion_weight"]}
               for h in doc["hits"]]
        assert len(got) == 10
        _assert_same(got, want[f])


def test_unsupported_checkpoint_falls_back_to_the_full_model(
        small_index: Path, capsys, monkeypatch) -> None:
    import motionlex.core.model.lite_load as lite

    def unsupported(*args, **kwargs):
        raise lite.LiteUnsupported("not covered")

    monkeypatch.setattr(lite, "load_lite", unsupported)
    _assert_same(_cli_hits(capsys, small_index, QUERIES[0], "fused"),
                 _full_hits(small_index, QUERIES[0], "fused"))


def test_another_checkpoint_is_still_refused(small_index: Path, tiny_checkpoint: Path,
                                             capsys) -> None:
    assert main(["search", QUERIES[0], "--index", str(small_index), "--checkpoint",
                 str(tiny_checkpoint)]) == 2
    assert "was built with model" in capsys.readouterr().err


@pytest.fixture
def tiny_checkpoint(tmp_path: Path, save_tiny) -> Path:
    return save_tiny(tmp_path / "tiny")


@pytest.mark.parametrize("query", ["jump.npy", "takes/N20_statik.npy", "my takes/kick 01.BVH"])
def test_a_missing_relative_motion_path_is_not_searched_as_words(small_index: Path, capsys,
                                                                 tmp_path, monkeypatch,
                                                                 query: str) -> None:
    """Probes Q10/Q10b: a mistyped relative path was searched as words ("did you mean
    'np'?", hits, exit 0); an absolute one said "motion file not found" (Q10c). Both say
    that now, in one line, before any model loads."""
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["search", query, "--index", str(small_index), "-k", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"motionlex search: error: motion file not found: {query}"
    assert main(["search", str(tmp_path / query), "--index", str(small_index), "-k", "1"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"motionlex search: error: motion file not found: {tmp_path / query}")


def test_words_ending_like_a_file_are_still_words(tmp_path, monkeypatch) -> None:
    from motionlex.core.motion.query_paths import names_motion_file

    monkeypatch.chdir(tmp_path)
    for text in ("a person jumps.", "a person walks to the file.bvh", "walk", "npy"):
        assert names_motion_file(text) is None, text
    assert names_motion_file("'kick.bvh'") == Path("kick.bvh")


ESCAPED = "a person \x1b[2J\x1b[31mRAISES\x1b[0m both hands\u202e"


def test_escape_codes_of_a_caption_do_not_reach_the_terminal(shared_data: Path, make_subset,
                                                             tmp_path: Path, capsys) -> None:
    """Probe: ``search`` printed a caption's ``ESC[2J ESC[31m`` raw, so a dataset could clear
    the screen or recolour and hide text. The table shows the caption as a reader sees it
    (:func:`~motionlex.core.text.events.visible_text`, as query notes are); ``--json`` keeps
    it, escaped by JSON."""
    src = shared_data / "bandai"
    ids = [i for i in (src / "val.txt").read_text().split() if i][:3]
    data = make_subset(src, tmp_path / "ds", ids)
    for i in ids:
        (data / "texts" / f"{i}.txt").write_text(f"{ESCAPED}#x#0.0#0.0\n", encoding="utf-8")
    idx = tmp_path / "g.mlx"
    assert main(["index", "--data", str(data), "--out", str(idx), "-q"]) == 0
    capsys.readouterr()
    assert main(["search", "raises both hands", "--index", str(idx), "-k", "3",
                 "--words", "0"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out
    assert out.count("a person [2J [31mRAISES [0m both hands\n") == 3
    assert main(["search", "raises both hands", "--index", str(idx), "-k", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["hits"][0]["caption"] == ESCAPED


def test_k_over_the_gallery_size_is_noted(small_index: Path, capsys) -> None:
    """CLI audit N6: ``-k 1000`` of a 16-motion gallery printed 16 rows without a word."""
    capsys.readouterr()
    assert main(["search", QUERIES[0], "--index", str(small_index), "-k", "1000"]) == 0
    out, err = capsys.readouterr()
    assert len(out.strip().splitlines()) == 1 + 16
    assert err.strip().splitlines()[-1] == "note: the gallery holds 16 motions: 16 hits, not 1,000"
    assert main(["search", QUERIES[0], "--index", str(small_index), "-k", "16"]) == 0
    assert "gallery holds" not in capsys.readouterr().err


def test_a_folder_that_is_no_index_says_how_to_build_one(small_index: Path, tmp_path: Path,
                                                          capsys) -> None:
    """CLI audit D5: an evaluate --out folder was "not a gallery index (no manifest.json; an
    interrupted build leaves none)": an interrupted build is named only when its work is
    there."""
    runs = tmp_path / "eval"
    runs.mkdir()
    (runs / "metrics.json").write_text("{}")
    capsys.readouterr()
    assert main(["search", QUERIES[0], "--index", str(runs)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"motionlex search: error: {runs}: not a gallery index (no manifest.json; "
                   "build one with 'motionlex index --data DIR --out gallery.mlx')")
    empty = tmp_path / "new.mlx"  # an interrupted first build: an empty folder, its work beside
    empty.mkdir()
    (tmp_path / ".new.mlx.work").mkdir()
    assert main(["search", QUERIES[0], "--index", str(empty)]) == 2
    assert capsys.readouterr().err.strip().endswith(
        f"an interrupted build left {tmp_path / '.new.mlx.work'}: run the same 'motionlex "
        "index' command again to finish it)")


def test_a_long_query_is_noted_once_and_the_searcher_warns_from_python(small_index: Path,
                                                                        capsys, caplog):
    """The CLI's note says a query is cut; the core's warning (Searcher.embed_text, for
    Python callers, which got none) stays out of the CLI, which would say it twice."""
    from motionlex.core.retrieval.index import GalleryIndex
    from motionlex.core.retrieval.search import Searcher

    long_query = "a person walks forward and then turns around slowly " * 8  # 9 WordPieces
    capsys.readouterr()
    with caplog.at_level("WARNING", logger="motionlex"):
        assert main(["search", long_query, "--index", str(small_index), "-k", "2"]) == 0
        assert main(["words", long_query, "-k", "2"]) == 0
    err = capsys.readouterr().err
    assert err.count(f"note: the query is {8 * 9 + 2} tokens long") == 2
    assert not [r for r in caplog.records if "tokens long" in r.getMessage()]
    from motionlex.core.model.lite_load import load_lite

    searcher = Searcher(GalleryIndex.load(small_index), load_lite(GalleryIndex.load(
        small_index).checkpoint))
    with caplog.at_level("WARNING", logger="motionlex"):
        searcher.embed_text(long_query)
    assert [r.getMessage() for r in caplog.records] == [
        f"texts[0] is {8 * 9 + 2} tokens long; the model reads its first 64 "
        f"(max_text_length), so the rest of it is left out of its embedding"]
