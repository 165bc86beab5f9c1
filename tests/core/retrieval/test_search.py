"""Search over a real gallery index: modes, word evidence, inverted index, queries, CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from motionlex.core.cli import build_parser
from motionlex.core.model.factory import create_model
from motionlex.core.model.model import MotionTextModel
from motionlex.core.motion.files import load_motion_file
from motionlex.core.retrieval.fusion import fuse
from motionlex.core.retrieval.index import GalleryIndex, IndexMismatchError
from motionlex.core.retrieval.metrics import top_k
from motionlex.core.retrieval.search import QueryEmbedding, Searcher
from motionlex.core.retrieval.sparse import brute_force_scores

QUERIES = ["a person walks forward", "someone waves the right hand angrily",
           "a man kicks, then bows", "jumping jacks"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, save_tiny):
    d = save_tiny(tmp_path_factory.mktemp("ckpt") / "model", seed=1)
    (d / "val_metrics.json").write_text(json.dumps({"fusion_weight": 0.3}))
    return d


@pytest.fixture(scope="module")
def model(checkpoint):
    return MotionTextModel.from_pretrained(checkpoint, device="cpu")


@pytest.fixture(scope="module")
def gallery(shared_data, checkpoint, model, tmp_path_factory):
    """humanml3d_samples + raw_bvh + 16 Bandai val clips, built by the CLI."""
    src = shared_data / "bandai"
    root = tmp_path_factory.mktemp("bv") / "bandai_val"
    (root / "new_joints").mkdir(parents=True)
    (root / "texts").mkdir()
    ids = [ln.strip() for ln in (src / "val.txt").read_text().splitlines() if ln.strip()][::4]
    for i in ids[:16]:
        shutil.copy(src / "new_joints" / f"{i}.npy", root / "new_joints")
        shutil.copy(src / "texts" / f"{i}.txt", root / "texts")
    out = tmp_path_factory.mktemp("idx") / "gallery.mlx"
    rc = run_cli(["index", "--checkpoint", str(checkpoint), "--data",
                  str(shared_data / "humanml3d_samples"), "--data", str(shared_data / "raw_bvh"),
                  "--data", str(root), "--out", str(out), "-q"])
    assert rc == 0
    return GalleryIndex.load(out, model)


@pytest.fixture(scope="module")
def searcher(gallery, model):
    return Searcher(gallery, model)


def run_cli(argv: list[str]) -> int:
    """``motionlex`` as ``cli.main`` runs a subcommand (errors raised, not printed)."""
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


def test_fusion_weight_from_checkpoint(searcher, gallery):
    assert gallery.fusion_weight == searcher.fusion_weight == 0.3
    assert len(searcher) == len(gallery) == 7 + 10 + 16


@pytest.mark.parametrize("mode", ["dense", "lexical", "fused"])
def test_search_modes_sorted_and_exact(searcher, gallery, mode):
    dense = np.asarray(gallery.dense, np.float32)
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    for text in QUERIES:
        q = searcher.embed_text(text)
        assert q.kind == "text" and np.isclose(np.linalg.norm(q.dense), 1.0, atol=1e-5)
        assert 0 < len(q.word_ids) <= 64 and (np.diff(q.word_ids) > 0).all()
        hits = searcher.search(q, k=10, mode=mode)
        if mode == "lexical":
            assert hits[0].words  # the best lexical hit shares words with the query
        assert len(hits) == 10 and len({h.index for h in hits}) == 10
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True)
        d = dense @ q.dense
        lex = brute_force_scores(gallery.lexical, q.word_ids, q.word_weights)
        ref = {"dense": d, "lexical": lex, "fused": fuse(d[None], lex[None], 0.3)[0]}[mode]
        assert np.allclose(scores, np.sort(ref)[::-1][:10], atol=1e-5)
        for h in hits:
            assert h.id == gallery.ids[h.index] and h.source == gallery.sources[h.index]
            assert h.caption == (gallery.captions[h.index] or [""])[0]
            assert np.isclose(h.dense_score, d[h.index], atol=1e-5)
            assert np.isclose(h.lexical_score, lex[h.index], rtol=1e-4, atol=1e-7)
            assert len(h.words) <= 5 and (len(h.words) > 0) == (h.lexical_score > 0)
            contrib = [v for _, v in h.words]
            assert contrib == sorted(contrib, reverse=True)
            assert sum(contrib) <= h.lexical_score * (1 + 1e-5)
            for word, v in h.words:  # each contribution = query weight x motion weight
                wid = gallery.vocabulary.index(word)
                qw = q.word_weights[list(q.word_ids).index(wid)]
                assert np.isclose(v, qw * gallery.lexical[h.index, wid], rtol=1e-5)


@pytest.fixture(scope="module")
def default_gallery(shared_data, make_subset, tmp_path_factory):
    """The shipped model and an index it built of 16 Bandai val clips and the 10 raw_bvh
    takes (real lexical vectors: 125-400 words a text, so 64 query words prune)."""
    from motionlex.core.model.factory import load_checkpoint
    from motionlex.core.retrieval.build import build_index
    from motionlex.resources import default_model_dir

    model, stats = load_checkpoint(default_model_dir(), "cpu")
    src = shared_data / "bandai"
    ids = [i for i in (src / "val.txt").read_text().split() if i][::4][:16]
    tmp = tmp_path_factory.mktemp("default-gallery")
    data = [make_subset(src, tmp / "bandai_val", ids), shared_data / "raw_bvh"]
    build_index(model, data, tmp / "g.mlx", patch_stats=stats, progress=False,
                checkpoint=default_model_dir())
    return GalleryIndex.load(tmp / "g.mlx", model), model


def test_lexical_score_is_the_cosine_of_the_pruned_vectors_and_rankings_keep(default_gallery):
    """The pruned query is renormalised: a hit's lexical score is the cosine of the query's
    64 kept words and the motion's stored row, computed here by hand (it was that times the
    kept words' share of the full norm: 25-35 % lower). The old query ranks the same in
    lexical and fused mode (a per-query scale; fused divides by the per-query max)."""
    from motionlex.core.retrieval.embed import encode_texts

    gallery, model = default_gallery
    assert gallery.lexical_similarity == "cosine"
    s, n = Searcher(gallery, model), len(gallery)
    queries = QUERIES + [c for c in gallery.first_captions if c][:8]
    shares = []
    for text in queries:
        q = s.embed_text(text)
        full = encode_texts(model, [text]).lexical[0].astype(np.float64)
        kept = full[q.word_ids]
        assert (full > 0).sum() > 64 == len(q.word_ids) and kept.min() >= np.sort(full)[-64]
        want = gallery.lexical @ np.bincount(q.word_ids, kept / np.linalg.norm(kept),
                                             minlength=full.size)
        hits = s.search(q, k=n, mode="lexical")
        np.testing.assert_allclose([h.lexical_score for h in hits],
                                   want[[h.index for h in hits]], rtol=1e-5, atol=1e-7)
        assert sum(h.lexical_score > 0.05 for h in hits) > n // 2  # real overlaps, not zeros
        old = QueryEmbedding(q.dense, q.word_ids, (kept / np.linalg.norm(full)).astype(
            np.float32), "text", text)  # the full vector's norm, as before
        for mode in ("lexical", "fused"):
            new_hits, old_hits = s.search(q, k=n, mode=mode), s.search(old, k=n, mode=mode)
            assert [h.index for h in new_hits] == [h.index for h in old_hits]
            if mode == "fused":
                np.testing.assert_allclose([h.score for h in new_hits],
                                           [h.score for h in old_hits], atol=1e-6)
            else:
                np.testing.assert_allclose([o.lexical_score / h.lexical_score for h, o in
                                            zip(new_hits, old_hits)],
                                           np.linalg.norm(kept) / np.linalg.norm(full),
                                           rtol=1e-5)
        shares.append(np.linalg.norm(kept) / np.linalg.norm(full))
    assert 0.6 < min(shares) and max(shares) < 0.99  # the old scores' shortfall
    item = s.item_query(0)  # a stored row (128 words) pruned to 64: renormalised too
    assert len(item.word_ids) == 64 and np.linalg.norm(item.word_weights) == pytest.approx(1.0)


def test_fusion_weight_extremes_match_single_modes(searcher):
    q = searcher.embed_text(QUERIES[1])
    dense = [h.index for h in searcher.search(q, 8, "dense")]
    assert [h.index for h in searcher.search(q, 8, "fused", fusion_weight=1.0)] == dense
    lex = [h.index for h in searcher.search(q, 8, "lexical")]
    assert [h.index for h in searcher.search(q, 8, "fused", fusion_weight=0.0)] == lex


def test_inverted_index_equals_brute_force_real(searcher, gallery):
    for text in QUERIES:
        for words in (8, None):
            s = Searcher(gallery, searcher.model, query_words=words, verify_model=False)
            q = s.embed_text(text)
            inv, bf = s.lexical_scores(q, "inverted"), s.lexical_scores(q, "brute")
            assert np.allclose(inv, bf, rtol=1e-5, atol=1e-9)
            a = s.search(q, 10, "lexical", lexical_method="inverted")
            b = s.search(q, 10, "lexical", lexical_method="brute")
            assert [h.index for h in a] == [h.index for h in b]


def test_query_by_item_ranks_itself_first(searcher, gallery):
    for i in range(len(gallery)):
        q = searcher.item_query(i)
        assert q.kind == "item" and q.item == i
        hits = searcher.search(q, 3, "dense")
        assert hits[0].index == i and np.isclose(hits[0].score, 1.0, atol=1e-5)
        assert i not in [h.index for h in searcher.search(q, 3, "dense", exclude=[i])]
    lonely = searcher.item_query(5)
    assert searcher.search(lonely, 1, "lexical")[0].index == 5  # unit vector x itself


def test_fused_more_like_this_normalises_over_the_rows_it_can_return(searcher, gallery):
    """An item query's own row (excluded) scores itself highest lexically; the fused score's
    lexical normalisation is taken over the other rows, as for any query."""
    dense = np.asarray(gallery.dense, np.float32)
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    for i in (0, 9, 20):
        q = searcher.item_query(i)
        hits = searcher.search(q, 6, "fused", exclude=[i])
        lex = brute_force_scores(gallery.lexical, q.word_ids, q.word_weights)
        assert lex[i] >= lex.max() * (1 - 1e-6)  # the item tops the lexical scale itself
        rest = np.delete(np.arange(len(gallery)), i)
        fused = fuse((dense @ q.dense)[rest][None], lex[rest][None], 0.3)[0]
        assert [h.index for h in hits] == [int(rest[j]) for j in top_k(fused, 6)]
        assert np.allclose([h.score for h in hits], np.sort(fused)[::-1][:6], atol=1e-5)


def test_bare_kit21_joints_are_read_at_kit_mls_frame_rate(searcher, shared_data):
    """Joints named as KIT-ML's ``kit21`` without a frame rate are read at its 12.5 fps (the
    clip keeps its duration), not the 20 fps of HumanML3D arrays."""
    j = np.load(shared_data / "humanml3d_samples" / "new_joints" / "012314.npy")[:, :21]
    bare = searcher.embed_motion(j, "kit21").dense
    np.testing.assert_array_equal(bare, searcher.embed_motion(j, "kit21", fps=12.5).dense)
    assert np.abs(bare - searcher.embed_motion(j, "kit21", fps=20).dense).max() > 1e-3


def test_embed_motion_and_encode_motions_agree_on_a_loaded_array(searcher, gallery,
                                                                  shared_data):
    """The two public motion encoders give one embedding of the same array: np.load of a
    Bandai file (not canonical: floor at +4 cm, root off the origin) and a kit21 array (read
    at 12.5 fps by both). The pair path used arrays as they were (cos 0.73 on the default
    model)."""
    from motionlex.core.retrieval.embed import encode_motions

    raw = np.load(shared_data / "bandai" / "new_joints" / "bn2_wave-right-hand_normal_001.npy")
    kit = np.load(shared_data / "humanml3d_samples" / "new_joints" / "012314.npy")[:, :21]
    for joints, sk in ((raw, "smpl22"), (kit, "kit21")):
        pair = encode_motions(searcher.model, [(joints, sk)], gallery.patch_stats,
                              long_clips=gallery.settings.long_clips)
        np.testing.assert_allclose(pair.dense[0], searcher.embed_motion(joints, sk).dense,
                                   atol=1e-6)


@pytest.mark.parametrize("mode", ["dense", "lexical", "fused"])
def test_more_like_this_never_returns_the_item_itself_in_any_mode(searcher, mode):
    """"Similar motions" (an item's own embedding as the query, its row excluded): every mode
    leaves the item out and still returns k hits, the item's nearest others first."""
    for i in (0, 9, 20):
        q = searcher.item_query(i)
        hits = searcher.search(q, 5, mode, exclude=[i])
        assert i not in [h.index for h in hits] and len(hits) == 5
        every = searcher.search(q, 6, mode)  # without the exclusion the item leads
        assert every[0].index == i or every[0].score == pytest.approx(every[1].score)
        if mode != "fused":  # (fused scales lexical over the rows it can return)
            assert [h.index for h in hits] == [h.index for h in every if h.index != i][:5]


def test_query_by_motion_file(searcher, gallery, shared_data):
    for name in ("humanml3d_samples/new_joints/012314.npy", "raw_bvh/bandai_1_bow_normal_001.bvh"):
        m = load_motion_file(shared_data / name)
        q = searcher.embed_motion(m.joints, m.skeleton, m.fps)
        assert q.kind == "motion"
        top = searcher.search(q, 1, "dense")[0]
        assert top.source == str((shared_data / name).resolve())
        assert top.score > 0.999
        # the loader's Motion as it is, native frame rate and pose included
        raw = load_motion_file(shared_data / name, canonical=False)
        again = searcher.embed_motion(raw)
        assert float(again.dense @ q.dense) > 0.999
        # its own fps is what counts: another one given beside it was ignored without a word
        with pytest.raises(ValueError, match=r"a Motion brings its own skeleton and frame rate"):
            searcher.embed_motion(raw, fps=30)
        # bare joints of a built-in skeleton by name, at 20 fps by default (the clip is at 20
        # fps: the same embedding as fps=20 given, another than at 40 fps)
        sk = m.skeleton.name if m.skeleton.name in ("smpl22", "kit21") else m.skeleton
        by_name = searcher.embed_motion(m.joints, sk)
        assert float(by_name.dense @ q.dense) > 0.999
        np.testing.assert_array_equal(by_name.dense,
                                      searcher.embed_motion(m.joints, sk, fps=20).dense)
        at_40 = searcher.embed_motion(m.joints, sk, fps=40).dense  # resampled: another vector
        assert np.abs(at_40 - by_name.dense).max() > 1e-3


def test_search_in_chunks_matches_search(searcher):
    q = searcher.embed_text(QUERIES[0])
    for mode in ("dense", "fused"):
        steps = list(searcher.search_in_chunks(q, 10, mode, chunk_size=5))
        n = len(searcher)
        assert [s.done for s in steps] == list(range(5, n, 5)) + [n]
        assert all(s.hits is None for s in steps[:-1]) and steps[-1].total == n
        whole = searcher.search(q, 10, mode)  # same hits; BLAS blocking may differ by 1 ulp
        assert [(h.index, h.words) for h in steps[-1].hits] == [(h.index, h.words) for h in whole]
        assert np.allclose([h.score for h in steps[-1].hits], [h.score for h in whole],
                           atol=1e-6)
    # a consumer may stop between chunks: nothing is left running
    gen = searcher.search_in_chunks(q, 10, "dense", chunk_size=5)
    assert next(gen).done == 5
    gen.close()


def test_faiss_backend_matches_torch(gallery, searcher):
    pytest.importorskip("faiss")
    fs = Searcher(gallery, searcher.model, dense_backend="faiss", verify_model=False)
    assert fs.uses_faiss and not searcher.uses_faiss
    for text in QUERIES:
        q = searcher.embed_text(text)
        a, b = searcher.search(q, 10, "dense"), fs.search(q, 10, "dense", exclude=[0])
        ref = [h for h in a if h.index != 0][:9]
        assert [h.index for h in b[:9]] == [h.index for h in ref]
        assert np.allclose([h.score for h in b[:9]], [h.score for h in ref], atol=1e-5)
        assert [h.words for h in b[:9]] == [h.words for h in ref]


def test_searcher_errors(gallery, searcher, tmp_path):
    bare = Searcher(gallery)  # gallery-item queries need no model
    assert bare.search(bare.item_query(2), 1, "dense")[0].index == 2
    # by id too, as the CLI's --item takes it (it was a TypeError comparing int and str)
    by_id = bare.item_query(gallery.ids[2])
    assert by_id.item == 2 and np.array_equal(by_id.dense, bare.item_query(2).dense)
    with pytest.raises(KeyError):
        bare.item_query("no/such_item")
    with pytest.raises(ValueError, match="needs the model"):
        bare.embed_text("a person walks")
    with pytest.raises(ValueError, match="needs the model"):
        bare.embed_motion(np.zeros((10, 22, 3)), gallery.skeletons[0])
    with pytest.raises(ValueError, match="the query is empty"):
        searcher.embed_text("  ")
    with pytest.raises(TypeError, match="^the query must be a string, got int$"):
        searcher.embed_text(3)  # a wrong type: TypeError, as everywhere (was a ValueError)
    with pytest.raises(ValueError, match="22"):  # MotionFileError: joints vs skeleton
        searcher.embed_motion(np.zeros((10, 5, 3)), gallery.skeletons[0])
    with pytest.raises(TypeError, match="needs the joints' skeleton"):
        searcher.embed_motion(np.zeros((10, 22, 3)))
    q = searcher.item_query(0)
    with pytest.raises(TypeError, match=r"QueryEmbedding .*embed_text\('a person walks'\)"):
        searcher.search("a person walks")
    with pytest.raises(ValueError, match="mode"):
        searcher.search(q, 5, "hybrid")
    with pytest.raises(ValueError, match="k must be"):
        searcher.search(q, 0)
    with pytest.raises(ValueError, match=r"words must be >= 0, got -1"):  # it was taken
        searcher.search(q, 3, words=-1)
    for bad in (2.5, True):
        with pytest.raises(TypeError, match=r"words must be an int >= 0 \(evidence words"):
            searcher.search(q, 3, words=bad)
    with pytest.raises(ValueError, match=r"fusion weight must be in \[0, 1\]"):
        searcher.search(q, 5, "fused", fusion_weight=1.5)
    with pytest.raises(ValueError, match="method"):
        searcher.lexical_scores(q, "magic")
    with pytest.raises(ValueError, match="dense dims"):
        searcher.dense_scores(QueryEmbedding(np.ones(3, np.float32), q.word_ids,
                                             q.word_weights))
    with pytest.raises(IndexError):
        searcher.item_query(len(gallery))
    with pytest.raises(ValueError, match="query_words"):
        Searcher(gallery, query_words=0)
    with pytest.raises(ValueError, match="dense_backend"):
        Searcher(gallery, dense_backend="annoy")
    with pytest.raises(FileNotFoundError, match="motion file not found"):
        load_motion_file(tmp_path / "none.bvh")
    (tmp_path / "x.csv").write_text("1,2,3")
    with pytest.raises(ValueError, match="expected a .npy joint file or a .bvh"):
        load_motion_file(tmp_path / "x.csv")
    torch.manual_seed(7)
    with pytest.raises(IndexMismatchError):
        Searcher(gallery, create_model("tiny", device="cpu"))


def test_cli_search_json_and_text(gallery, shared_data, capsys):
    idx = str(gallery.path)
    capsys.readouterr()
    assert run_cli(["search", "a person waves", "--index", idx, "-k", "4", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]  # one document (json.load reads it)
    assert len(hits) == 4 and [h["rank"] for h in hits] == [1, 2, 3, 4]
    for h in hits:
        assert {"id", "score", "dense", "lexical", "caption", "file", "words"} <= set(h)
        assert h["id"] == gallery.ids[h["index"]]
        assert all(set(w) == {"word", "contribution"} for w in h["words"])
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    # --item: the motions like item 3, itself left out (as the explorer's Similar motions)
    assert run_cli(["search", "--item", gallery.ids[3], "--index", idx, "--mode", "dense",
                    "-k", "2", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["item"] == gallery.ids[3] and doc["query"] is None and doc["unknown_words"] == []
    got = doc["hits"]
    searcher = Searcher(gallery)  # an item query needs no model
    alone = searcher.search(searcher.item_query(3), k=3, mode="dense")
    assert [h["id"] for h in got] == [h.id for h in alone if h.id != gallery.ids[3]][:2]
    motion = shared_data / "humanml3d_samples" / "new_joints" / "000000.npy"
    assert run_cli(["search", "--motion", str(motion), "--index", idx, "--mode", "dense",
                    "-k", "1"]) == 0
    head, first = capsys.readouterr().out.splitlines()[:2]
    assert head.split() == ["#", "dense", "id", "caption", "[shared", "words]"]
    assert "humanml3d_samples/000000" in first and first.lstrip().startswith("1 ")
    with pytest.raises(ValueError, match="exactly one"):
        run_cli(["search", "walk", "--item", gallery.ids[0], "--index", idx])


def test_a_gallery_changed_on_disk_after_opening_is_refused_not_read(gallery, model, tmp_path):
    """A file cut short under its memory map killed the process (SIGBUS) at the next read;
    one rebuilt in place read as corrupted ("rebuild the index: remove ..."). Each read now
    checks the mapped files first and says to open the gallery again."""
    import shutil

    from motionlex.core.retrieval.index import GalleryIndex, GalleryIndexError

    reads = {"joints.npy": lambda idx, s, q: idx.joints(0),
             "dense.npy": lambda idx, s, q: s.search(q, k=3, mode="dense"),
             "inverted_data.npy": lambda idx, s, q: s.search(q, k=3, mode="lexical")}
    for name, read in reads.items():
        copy = Path(shutil.copytree(gallery.path, tmp_path / name / "g.mlx"))
        index = GalleryIndex.load(copy, model, verify=True)
        s = Searcher(index, model)
        q = s.embed_text("a person walks forward")
        assert len(read(index, s, q))  # reads fine as opened
        path = copy / name
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])  # cut short in place (same inode)
        with pytest.raises(GalleryIndexError, match=rf"{name} changed on disk since the "
                                                    r"gallery was opened .* open the gallery "
                                                    r"again"):
            read(index, s, q)
        path.write_bytes(data)  # back as it was, but its modification time moved on
        with pytest.raises(GalleryIndexError, match="changed on disk"):
            read(index, s, q)
        fresh = GalleryIndex.load(copy, model, verify=True)  # opened again: reads fine
        assert len(read(fresh, Searcher(fresh, model), q))


def test_reprs_show_shapes_not_arrays(searcher, gallery):
    from motionlex.core.retrieval.embed import Embeddings

    n = len(gallery)
    assert repr(gallery) == (f"GalleryIndex({str(gallery.path)!r}, {n} motions, dense "
                             f"{tuple(gallery.dense.shape)}, {len(gallery.vocabulary)} words, "
                             f"checkpoint {gallery.checkpoint!r})")
    assert repr(searcher).startswith(f"Searcher({gallery!r}, MotionTextModel, fusion_weight=")
    q = searcher.embed_text("a person waves")
    assert repr(q).startswith("QueryEmbedding(kind='text', text='a person waves', dense=(")
    emb = Embeddings(np.zeros((3, 8), np.float32), np.zeros((3, 5), np.float32))
    assert repr(emb) == "Embeddings(dense=(3, 8) float32, lexical=(3, 5) float32)"
    assert all(len(repr(x)) < 400 for x in (gallery, searcher, q, emb))


def test_version_is_the_installed_distributions():
    from importlib.metadata import version

    import motionlex.core

    assert motionlex.core.__version__ == version("motionlex")
