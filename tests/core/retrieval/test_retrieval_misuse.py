"""Misuse of the retrieval API from Python (audit 25y): NaN joints reaching the encoder,
fusion weights, batch sizes and ``long_clips`` modes out of range, wrong types where an index,
a model, statistics, ``k``, an item or excluded rows are expected, and evaluation settings.
The model is the ``tiny`` fixture; motions, statistics and the gallery are real
(humanml3d_samples in ../shared/data). Valid calls give what they gave."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from motionlex.core.patches import (
    PatchStats,
)
from motionlex.core.retrieval.build import build_index
from motionlex.core.retrieval.embed import encode_motions, encode_texts
from motionlex.core.retrieval.evaluate import EvalConfig, evaluate
from motionlex.core.retrieval.index import GalleryIndex
from motionlex.core.retrieval.search import Searcher


@pytest.fixture(scope="module")
def samples(shared_data) -> Path:
    return shared_data / "humanml3d_samples"


@pytest.fixture(scope="module")
def motions(samples_motions):
    return samples_motions


@pytest.fixture(scope="module")
def stats(samples_stats) -> PatchStats:
    return samples_stats


@pytest.fixture(scope="module")
def gallery(tiny, samples, stats, tmp_path_factory) -> GalleryIndex:
    out = tmp_path_factory.mktemp("idx") / "g.mlx"
    return build_index(tiny, [samples], out, patch_stats=stats, progress=False).index


@pytest.fixture(scope="module")
def searcher(gallery, tiny) -> Searcher:
    return Searcher(gallery, tiny)


def test_nan_joints_never_reach_an_embedding(tiny, motions, stats):
    """A NaN pair gave an all-NaN dense vector (256/256) and 1014 NaN lexical weights."""
    m = motions[2]
    joints = m.joints.copy()
    joints[4, 10, 1] = np.nan
    good = (m.joints, m.skeleton)
    with pytest.raises(ValueError, match=r"^motions\[1\]: NaN or inf joints in 1 frame\(s\), "
                                         r"first at frame 4, joint 10 \(l_foot\)"):
        encode_motions(tiny, [good, (joints, m.skeleton)], stats)
    emb = encode_motions(tiny, [good], stats)
    assert np.isfinite(emb.dense).all() and np.isfinite(emb.lexical).all()


def test_encode_motions_checks_long_clips_and_batch_size(tiny, motions, stats):
    """long_clips="frist" ran in "windows" mode; batch_size 0 / -1 failed in range() or with
    an IndexError."""
    pairs = [(m.joints, m.skeleton) for m in motions[:3]]
    for typo in ("frist", "window", None):
        with pytest.raises(ValueError, match=r"long_clips must be one of \('windows', 'first'\), "
                                             rf"got {typo!r}"):
            encode_motions(tiny, pairs, stats, long_clips=typo)
    for bad in (0, -1):
        with pytest.raises(ValueError, match=rf"batch_size must be >= 1, got {bad}"):
            encode_motions(tiny, pairs, stats, batch_size=bad)
    for bad, kind in ((2.5, "float"), (True, "bool"), ("8", "str")):
        with pytest.raises(TypeError, match=rf"batch_size must be an int >= 1, got {kind}"):
            encode_motions(tiny, pairs, stats, batch_size=bad)
    with pytest.raises(TypeError, match="must be a MotionTextModel or LiteModel .*got NoneType"):
        encode_motions(None, pairs, stats)
    one = encode_motions(tiny, pairs, stats, batch_size=1, long_clips="first")
    np.testing.assert_allclose(one.dense, encode_motions(tiny, pairs, stats).dense, atol=1e-5)


def test_encode_texts_none_model_and_batch_size(tiny):
    """encode_texts(model, None) said "object of type 'NoneType' has no len()" (now a
    TypeError, as every wrong type); batch_size 0 failed in range()."""
    for bad, kind in ((None, "NoneType"), ((t for t in ["a"]), "generator")):
        with pytest.raises(TypeError, match=rf"texts must be a non-empty list of strings; got "
                                            rf"{kind}"):
            encode_texts(tiny, bad)
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        encode_texts(tiny, ["a person walks"], batch_size=0)
    with pytest.raises(TypeError, match="batch_size must be an int >= 1, got float 2.5"):
        encode_texts(tiny, ["a person walks"], batch_size=2.5)
    with pytest.raises(TypeError, match="must be a MotionTextModel or LiteModel .*got NoneType"):
        encode_texts(None, ["a person walks"])
    with pytest.raises(TypeError, match="must be a MotionTextModel or LiteModel .*got list"):
        encode_texts(["a person walks"], tiny)  # swapped
    texts = ["a person walks", "someone jumps", "a person walks"]
    np.testing.assert_allclose(encode_texts(tiny, texts, batch_size=1).dense,
                               encode_texts(tiny, texts).dense, atol=1e-5)


@pytest.mark.parametrize(("texts", "bad"), [([""], 0), (["a person walks", "   "], 1),
                                          (["?!"], 0)])
def test_encode_texts_refuses_texts_without_words(tiny, texts, bad):
    """``encode_texts(model, [""])`` returned an embedding (its special tokens alone); the
    command line, ``embed_text`` and ``Searcher`` refuse such a text: the same message,
    after the text's position."""
    from motionlex.core.text.spelling import require_words

    with pytest.raises(ValueError) as err:
        encode_texts(tiny, texts)
    with pytest.raises(ValueError) as cli:
        require_words(texts[bad], "text")
    assert str(err.value) == f"texts[{bad}]: {cli.value}"
    assert "describe a motion in English, e.g. 'a person walks forward'" in str(err.value)


def test_a_caption_bank_line_without_words_is_no_caption(tmp_path):
    from motionlex.core.retrieval.describe import read_bank_file

    bank = tmp_path / "bank.txt"
    bank.write_text("...!!!\na person walks\n?\n", encoding="utf-8")
    assert read_bank_file(bank) == ["a person walks"]


def test_build_index_checks_its_arguments_before_any_work(tiny, samples, stats, tmp_path):
    """fusion_weight=2.0 was recorded, and Searcher then refused the index; patch_stats as
    a Path failed with AttributeError; [] said "no usable motion in  (split 'all')"."""
    out = tmp_path / "g.mlx"
    cases = [
        (dict(fusion_weight=2.0), ValueError, r"fusion weight must be in \[0, 1\], got 2\.0"),
        (dict(fusion_weight=float("nan")), ValueError, r"fusion weight must be in \[0, 1\]"),
        (dict(fusion_weight=[0.5]), TypeError, r"fusion weight must be a number in \[0, 1\], "
                                               r"got list"),
        (dict(batch_size=0), ValueError, "batch_size must be >= 1, got 0"),
        (dict(batch_size=2.5), TypeError, "batch_size must be an int >= 1, got float"),
        (dict(patch_stats=Path("patch_stats.json")), TypeError,
         r"patch_stats must be a PatchStats or None \(PatchStats\.load\(path\) reads one\), "
         r"got PosixPath"),
    ]
    for kwargs, err, match in cases:
        args = {"patch_stats": stats, **kwargs}
        with pytest.raises(err, match=match):
            build_index(tiny, [samples], out, progress=False, **args)
    with pytest.raises(ValueError, match=r"^no data folders given"):
        build_index(tiny, [], out, patch_stats=stats, progress=False)
    with pytest.raises(TypeError, match="must be a MotionTextModel or LiteModel .*got NoneType"):
        build_index(None, [samples], out, patch_stats=stats, progress=False)
    assert not out.exists()
    rep = build_index(tiny, samples, out, patch_stats=stats, progress=False, fusion_weight=0.25)
    assert rep.added == 7 and rep.index.fusion_weight == 0.25
    assert Searcher(rep.index, tiny).fusion_weight == 0.25


def test_searcher_needs_a_loaded_index(gallery, tiny):
    """Searcher(path, model) failed with "'str' object has no attribute 'check_model'"."""
    for bad, kind in ((str(gallery.path), "str"), (gallery.path, "PosixPath"),
                      (tiny, "MotionTextModel")):
        with pytest.raises(TypeError, match=rf"index must be a GalleryIndex: pass "
                                            rf"GalleryIndex\.load\(path\) .*got {kind}"):
            Searcher(bad, tiny)
    with pytest.raises(TypeError, match="must be a MotionTextModel or LiteModel .*got str"):
        GalleryIndex.load(gallery.path, "x")


def test_search_k_and_exclude_are_checked(searcher):
    """exclude=[-1] dropped the last row; [99] and ids failed inside NumPy; k=2.7 gave 2
    hits, k=True 1, k="3" a comparison TypeError."""
    q = searcher.embed_text("a person walks forward")
    n = len(searcher)
    for bad in ([-1], [n], [0, 99]):
        with pytest.raises(ValueError, match=rf"exclude rows must be in \[0, {n}\) for {n} "
                                             r"motions, got \["):
            searcher.search(q, 3, exclude=bad)
    with pytest.raises(TypeError, match=r"exclude must hold gallery rows \(ints in \[0, 7\)\), "
                                        r"got str 'humanml3d_samples/000000' \(an id's row is "
                                        r"index\.position\(id\)\)"):
        searcher.search(q, 3, exclude=["humanml3d_samples/000000"])
    for bad in ([1.0], [True], 3):
        with pytest.raises(TypeError, match="exclude must"):
            searcher.search(q, 3, exclude=bad)
    for bad, kind in ((2.7, "float"), (True, "bool"), ("3", "str"), (None, "NoneType")):
        with pytest.raises(TypeError, match=rf"k must be an int >= 1 \(hits wanted\), got "
                                            rf"{kind}"):
            searcher.search(q, bad)
    with pytest.raises(ValueError, match="k must be >= 1, got 0"):
        searcher.search(q, 0)
    hits = searcher.search(q, np.int64(3), exclude=np.array([0, 6]))
    assert len(hits) == 3 and not {h.index for h in hits} & {0, 6}
    assert [h.index for h in searcher.search(q, 3, exclude=(0, 6))] == [h.index for h in hits]


def test_item_query_and_position_name_the_types_they_take(searcher, gallery):
    """item_query(True) made a malformed query, item_query(1.0) failed in torch indexing;
    position(0) failed concatenating str and int."""
    for bad, kind in ((True, "bool"), (1.0, "float"), (None, "NoneType"), (np.bool_(1), "bool")):
        with pytest.raises(TypeError, match=rf"item must be a gallery row \(int\) or an item id "
                                            rf"\(str\), got {kind}"):
            searcher.item_query(bad)
    with pytest.raises(TypeError, match=r"position takes an item id \(str\), got int 0"):
        gallery.position(0)
    by_row, by_id = searcher.item_query(np.int64(1)), searcher.item_query(gallery.ids[1])
    np.testing.assert_array_equal(by_row.dense, by_id.dense)


def test_eval_config_types_and_seed_are_checked_when_made():
    """seed=-1 and batch_size=2.5 failed inside evaluate after seconds of work;
    threshold="0.9" with "'<=' not supported"."""
    with pytest.raises(ValueError, match="seed must be >= 0, got -1"):
        EvalConfig(seed=-1)
    with pytest.raises(TypeError, match=r"^invalid evaluation settings: seed must be an int, got "
                                        r"float 1\.5; batch_size must be an int, got float 2\.5; "
                                        r"threshold must be a number, got str '0\.9'$"):
        EvalConfig(seed=1.5, batch_size=2.5, threshold="0.9")
    for field in ("batch_size", "small_batch_size", "chronology_pairs"):
        with pytest.raises(TypeError, match=rf"{field} must be an int, got NoneType"):
            EvalConfig(**{field: None})
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        EvalConfig(batch_size=0)
    cfg = EvalConfig(seed=np.int64(3), threshold=1, fusion_weight=0.25, batch_size=8)
    assert (cfg.seed, cfg.threshold, cfg.batch_size) == (3, 1, 8)


def test_evaluate_refuses_a_file_as_out_dir_and_a_dict_as_cfg(samples, tmp_path):
    """out_dir = an existing file failed with "[Errno 17] File exists" after 4.3 s of work."""
    report = tmp_path / "afile.txt"
    report.write_text("keep me")
    with pytest.raises(FileExistsError, match=rf"cannot write the evaluation report to "
                                              rf"{report}: it is a file"):
        evaluate(tmp_path / "no_model_here", samples, report)  # refused before the model
    assert report.read_text() == "keep me"
    with pytest.raises(TypeError, match=r"cfg must be an EvalConfig \(EvalConfig\(\*\*settings"
                                        r"\) makes one from a dict\), got dict"):
        evaluate(tmp_path / "no_model_here", samples, tmp_path / "out", {"split": "all"})


def test_evaluate_given_a_model_object_says_to_save_it(tiny, samples, tmp_path):
    """A model from a notebook failed in pathlib: "expected str, bytes or os.PathLike"."""
    with pytest.raises(TypeError, match=r"checkpoint must be a model folder \(a path\), got "
                                        r"MotionTextModel: save a model first, "
                                        r"model.save_pretrained\(DIR"):
        evaluate(tiny, samples, tmp_path / "out")
    assert not (tmp_path / "out").exists()
