"""Large-gallery machinery on small synthetic indexes: the stored IVF dense index against
exact search, and memory-mapped playback joints checked block by block as they are read."""

from __future__ import annotations

import json
import logging
import shutil

import numpy as np
import pytest
import scipy.sparse as sp

from motionlex.core.motion.skeleton import SMPL22
from motionlex.core.retrieval import dense_backend, index_format, index_writer
from motionlex.core.retrieval.ann import ANN_FILE
from motionlex.core.retrieval.index import GalleryIndex, GalleryIndexError, IndexSettings
from motionlex.core.retrieval.index_writer import write_index
from motionlex.core.retrieval.metrics import top_k
from motionlex.core.retrieval.search import QueryEmbedding, Searcher

D, V = 32, 200


def _clustered(n: int, rng: np.random.Generator, seeds: np.ndarray) -> np.ndarray:
    x = seeds[rng.integers(0, len(seeds), n)] + 0.5 * rng.normal(size=(n, D)) / np.sqrt(D)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _write(path, stats, n=3000, joints=None, jdtype="float16", **kw):
    rng = np.random.default_rng(0)
    seeds = rng.normal(size=(60, D))
    lex = sp.random(n, V, density=0.05, format="csr", random_state=rng, dtype=np.float32)
    lex.data += 0.01
    if joints is None:
        joints = [np.zeros((2, 22, 3), np.float32)] * n
    items = {"ids": [f"syn/{i}" for i in range(n)], "captions": [[f"m {i}"] for i in range(n)],
             "sources": [f"/s/{i}.npy" for i in range(n)], "source_sha256": [""] * n,
             "datasets": ["syn"] * n, "meta": [{}] * n}
    write_index(path, dense=_clustered(n, rng, seeds), lexical=lex, items=items,
                joints=joints, num_frames=np.array([len(j) for j in joints]),
                fps=np.full(n, 20.0), skeleton_ids=np.zeros(n), skeletons=[SMPL22],
                patch_stats=stats, vocabulary=[f"w{i}" for i in range(V)],
                model_info={"sha256": "0" * 64, "name": "syn", "embed_dim": D,
                            "lexical_similarity": "dot", "checkpoint": None},
                settings=IndexSettings(joints_dtype=jdtype), **kw)
    return path, seeds


def _queries(seeds, count=20):
    rng = np.random.default_rng(1)
    out = []
    for q in _clustered(count, rng, seeds):
        ids = np.sort(rng.choice(V, 8, replace=False))
        out.append(QueryEmbedding(q, ids, rng.random(8).astype(np.float32)))
    return out


def test_ivf_top10_against_exact(tmp_path, stats):
    pytest.importorskip("faiss", reason="faiss-cpu not installed (the optional 'faiss' extra)")
    path, seeds = _write(tmp_path / "g.mlx", stats, ann=True, ann_nlist=32, ann_nprobe=4)
    idx = GalleryIndex.load(path)
    assert idx.ann == {"kind": "ivf-flat", "metric": "inner_product", "nlist": 32, "nprobe": 4}
    assert ANN_FILE in idx.manifest["files"]
    ivf = Searcher(idx, None, verify_model=False)
    exact = Searcher(idx, None, verify_model=False, dense_backend="torch")
    assert ivf.dense_kind == "ivf" and exact.dense_kind == "torch"
    recall = {"dense": [], "fused": []}
    for q in _queries(seeds):
        for mode in recall:
            got = ivf.search(q, 10, mode, words=0)
            want = exact.search(q, 10, mode, words=0)
            recall[mode].append(len({h.index for h in got} & {h.index for h in want}) / 10)
            ref = exact.dense_scores(q)  # every returned score is the exact one
            assert np.allclose([h.dense_score for h in got], ref[[h.index for h in got]],
                               atol=1e-5)
        hits = ivf.search(q, 10, "dense", exclude=[want[0].index], words=0)
        assert want[0].index not in {h.index for h in hits} and len(hits) == 10
    assert np.mean(recall["dense"]) >= 0.95 and np.mean(recall["fused"]) >= 0.95, recall
    full = Searcher(idx, None, verify_model=False, nprobe=32)  # every list: exact
    for q in _queries(seeds, 5):
        assert [h.index for h in full.search(q, 10, "dense")] == list(
            top_k(exact.dense_scores(q), 10))


def test_ivf_file_is_checked_and_optional(tmp_path, stats, monkeypatch, caplog):
    pytest.importorskip("faiss", reason="faiss-cpu not installed (the optional 'faiss' extra)")
    path, _ = _write(tmp_path / "g.mlx", stats, n=500, ann=True, ann_nlist=8)
    copy = shutil.copytree(path, tmp_path / "bad.mlx")
    raw = bytearray((copy / ANN_FILE).read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (copy / ANN_FILE).write_bytes(bytes(raw))
    with pytest.raises(GalleryIndexError, match=f"{ANN_FILE}: checksum"):
        GalleryIndex.load(copy)
    man = json.loads((path / "manifest.json").read_text())
    del man["files"][ANN_FILE]
    (copy / "manifest.json").write_text(json.dumps(man))
    with pytest.raises(GalleryIndexError, match=f"no entry for .*{ANN_FILE}"):
        GalleryIndex.load(copy)
    monkeypatch.setattr(dense_backend, "faiss_available", lambda: False)
    s = Searcher(GalleryIndex.load(path), None, verify_model=False)
    assert s.dense_kind == "torch"  # no faiss at search time: exact


def test_ivf_built_from_threshold(tmp_path, stats, monkeypatch, caplog):
    monkeypatch.setattr(index_writer, "ANN_MIN_ITEMS", 400)
    small, _ = _write(tmp_path / "small.mlx", stats, n=300)
    assert GalleryIndex.load(small).ann is None
    monkeypatch.setattr(index_writer, "faiss_available", lambda: False)
    with caplog.at_level(logging.WARNING):
        big, _ = _write(tmp_path / "big.mlx", stats, n=500)
    assert GalleryIndex.load(big).ann is None and "faiss is not installed" in caplog.text
    if dense_backend.faiss_available():
        monkeypatch.setattr(index_writer, "faiss_available", lambda: True)
        big, _ = _write(tmp_path / "big2.mlx", stats, n=500)
        assert GalleryIndex.load(big).ann["nlist"] == 16  # sqrt(500) ~ 22 -> 16


@pytest.mark.parametrize("jdtype", ["float32", "float16"])
def test_joints_memory_mapped_and_checked_on_fetch(tmp_path, stats, monkeypatch, jdtype):
    monkeypatch.setattr(index_writer, "BLOCK_BYTES", 4096)  # many blocks in a small file
    rng = np.random.default_rng(3)
    joints = [rng.normal(0, 0.5, (int(t), 22, 3)).astype(np.float32)
              for t in rng.integers(1, 40, 200)]
    path, _ = _write(tmp_path / "g.mlx", stats, n=200, joints=joints, jdtype=jdtype)
    hashed = []
    real = index_format.file_sha256
    monkeypatch.setattr(index_format, "file_sha256", lambda p: hashed.append(p.name) or real(p))
    idx = GalleryIndex.load(path)
    assert "dense.npy" in hashed and "items_head.json" in hashed
    for name in ("joints.npy", "inverted_indices.npy", "inverted_data.npy", "lexical.npz"):
        assert name not in hashed  # memory-mapped, checked block by block or on first use
    blocks = idx._joint_blocks
    assert blocks.verified_blocks == 0 and len(blocks.digests) > 10
    for i in (0, 57, 199):  # what was written comes back (float16: the rounded values)
        want = joints[i].astype(jdtype).astype(np.float32)
        assert np.array_equal(idx.joints(i), want)
    assert 0 < blocks.verified_blocks < len(blocks.digests)
    f = path / "joints.npy"
    raw = bytearray(f.read_bytes())
    raw[-10] ^= 0xFF  # the last motion's block
    f.write_bytes(bytes(raw))
    idx = GalleryIndex.load(path)
    assert np.array_equal(idx.joints(0), joints[0].astype(jdtype).astype(np.float32))
    with pytest.raises(GalleryIndexError, match=r"checksum of block \d+ "):
        idx.joints(199)
    with pytest.raises(GalleryIndexError, match="checksum of block"):
        _ = idx._joints  # the incremental build's copy verifies every block
    man = json.loads((path / "manifest.json").read_text())  # an index from before blocks
    for key in ("block_bytes", "block_sha256"):
        del man["files"]["joints.npy"][key]
    (path / "manifest.json").write_text(json.dumps(man))
    with pytest.raises(GalleryIndexError, match="joints.npy: checksum .* does not match"):
        GalleryIndex.load(path)  # verified whole at open, as before
    assert np.array_equal(GalleryIndex.load(path, verify=False).joints(0),
                          joints[0].astype(jdtype).astype(np.float32))


def test_float32_posting_accumulation_ranks_as_float64():
    """Large galleries accumulate lexical scores in float32: same top-10, scores to 1e-6."""
    from motionlex.core.retrieval.sparse import inverted_scores

    rng = np.random.default_rng(4)
    m = sp.random(20000, 300, density=0.1, format="csc", random_state=rng, dtype=np.float32)
    m.sort_indices()
    for _ in range(5):
        ids = np.sort(rng.choice(300, 40, replace=False))
        w = rng.random(40).astype(np.float32)
        a = inverted_scores(m, ids, w)
        b = inverted_scores(m, ids, w, float32=True)
        assert b.dtype == np.float64 and np.allclose(a, b, rtol=1e-6, atol=1e-6)
        assert list(top_k(a, 10)) == list(top_k(b, 10))


def test_ivf_fused_more_like_this_scales_lexical_over_the_rows_it_can_return(tmp_path, stats):
    """The IVF path's fused search with the lexically best row excluded (an item's own row
    in "more like this"): the lexical scale is the best of the other rows, as on the exact
    path, so with every list probed both return the same hits and scores."""
    pytest.importorskip("faiss", reason="faiss-cpu not installed (the optional 'faiss' extra)")
    path, seeds = _write(tmp_path / "g.mlx", stats, n=1000, ann=True, ann_nlist=16)
    idx = GalleryIndex.load(path)
    ivf = Searcher(idx, None, verify_model=False, nprobe=16)  # every list probed
    exact = Searcher(idx, None, verify_model=False, dense_backend="torch")
    assert ivf.dense_kind == "ivf"
    for q in _queries(seeds, 5):
        best = int(np.argmax(exact.lexical_scores(q)))
        got = ivf.search(q, 10, "fused", 0.3, exclude=[best], words=0)
        want = exact.search(q, 10, "fused", 0.3, exclude=[best], words=0)
        assert [h.index for h in got] == [h.index for h in want]
        assert np.allclose([h.score for h in got], [h.score for h in want], atol=1e-5)


def _restamp(path, name):
    """Record ``name``'s new size and checksum in the manifest (a consistent-looking edit)."""
    from motionlex.core.retrieval.fingerprints import file_sha256

    man = json.loads((path / "manifest.json").read_text())
    man["files"][name].update(bytes=(path / name).stat().st_size,
                              sha256=file_sha256(path / name))
    (path / "manifest.json").write_text(json.dumps(man))


def _edit_npz(path, **changes):
    z = dict(np.load(path / "items.npz"))
    for key, fn in changes.items():
        z[key] = fn(z[key])
    np.savez(path / "items.npz", **z)
    _restamp(path, "items.npz")


def _edit_head(path, key, fn):
    head = json.loads((path / "items_head.json").read_text())
    head[key] = fn(head[key])
    (path / "items_head.json").write_text(json.dumps(head))
    _restamp(path, "items_head.json")


def _edit_dense(path):
    np.save(path / "dense.npy", np.load(path / "dense.npy")[:-1])
    _restamp(path, "dense.npy")


def _edit_vocabulary(path):
    (path / "vocabulary.json").write_text(json.dumps(
        json.loads((path / "vocabulary.json").read_text())[:-1]))
    _restamp(path, "vocabulary.json")


@pytest.mark.parametrize("edit, problem", [
    (_edit_dense, r"dense\.npy is \(19, 32\), expected \(20, D\)"),
    (_edit_vocabulary, "vocabulary.json has 199 words but the inverted index has 200 posting "
                       "lists"),
    (lambda p: _edit_npz(p, fps=lambda a: a[:-1]), "fps has 19 entries, expected 20"),
    (lambda p: _edit_npz(p, skeleton=lambda a: a + 3), "skeleton ids out of range"),
    (lambda p: _edit_npz(p, joint_offsets=lambda a: a[:-1]),
     r"joint_offsets \(20\) do not match 20 items"),
    (lambda p: _edit_head(p, "ids", lambda ids: ids[:1] * 2 + ids[2:]), "ids are not unique"),
    (lambda p: _edit_npz(p, num_frames=lambda a: a[:-1]),
     "num_frames has 19 entries, expected 20"),
], ids=["dense", "vocabulary", "fps", "skeleton", "joint-offsets", "duplicate-ids", "num-frames"])
def test_arrays_that_disagree_with_each_other_are_refused(tmp_path, stats, edit, problem):
    """Files whose checksums are in order (a tool rewrote them and the manifest) but whose
    arrays disagree with the item count: the index is refused, naming the problem, rather
    than serving results for the wrong rows."""
    path, _ = _write(tmp_path / "g.mlx", stats, n=20)
    GalleryIndex.load(path)  # consistent as written
    edit(path)
    with pytest.raises(GalleryIndexError, match=f"g.mlx: inconsistent index: .*{problem}"):
        GalleryIndex.load(path)


@pytest.mark.parametrize("name", ["joints.npy", "inverted_indices.npy"])
def test_files_of_an_index_without_block_checksums_are_hashed_whole_at_open(tmp_path, stats,
                                                                            name):
    """An index written before block checksums lists its memory-mapped files with one
    SHA-256 each: a flipped byte (same size) is caught when the index opens, as for every
    other file, rather than served."""
    path, _ = _write(tmp_path / "g.mlx", stats, n=20)
    man = json.loads((path / "manifest.json").read_text())
    for key in ("block_sha256", "block_bytes"):
        del man["files"][name][key]
    (path / "manifest.json").write_text(json.dumps(man))
    GalleryIndex.load(path)  # intact: opens
    raw = bytearray((path / name).read_bytes())
    raw[len(raw) - 9] ^= 0xFF  # in the data, not the header
    (path / name).write_bytes(bytes(raw))
    with pytest.raises(GalleryIndexError, match=f"{name}: checksum"):
        GalleryIndex.load(path)


def test_posting_list_offsets_that_go_down_are_refused(tmp_path, stats):
    """Offsets into the posting lists must not go down: one past the others (the first and
    last kept, the checksums re-stamped) would hand words other words' motions."""
    path, _ = _write(tmp_path / "g.mlx", stats, n=20)
    name = "inverted_indptr.npy"
    indptr = np.load(path / name)
    assert indptr[2] < indptr[-1]
    indptr[1] = indptr[-1]  # the second word's list would start after the last one's end
    np.save(path / name, indptr)
    _restamp(path, name)
    with pytest.raises(GalleryIndexError, match="posting-list offsets do not fit"):
        GalleryIndex.load(path)
