import json
from pathlib import Path

import numpy as np
import pytest

from motionlex.core.data.bvh_folders import action_prompt
from motionlex.core.retrieval.describe import (
    BANK_FILE,
    bank_captions,
    best_captions,
    describe_embedding,
    describe_motion,
    load_caption_bank,
    read_bank_file,
    train_split_captions,
)
from motionlex.core.retrieval.embed import encode_texts

CAPTIONS = ["a person waves the left hand", "a person walks forward", "someone jumps twice",
            "a person sits down"]


def test_bank_sources_in_order(tmp_path):
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    fallback = tmp_path / "bank.txt"
    fallback.write_text("# comment\na person bows\n\na person bows\nsomeone kicks\n")
    assert read_bank_file(fallback) == ["a person bows", "someone kicks"]
    caps, src = bank_captions(ckpt, fallback)
    assert caps == ["a person bows", "someone kicks"] and "fallback" in src
    assert bank_captions(ckpt, ["x", "x", " "])[0] == ["x"]
    with pytest.raises(FileNotFoundError, match="no caption bank"):
        bank_captions(ckpt)
    (ckpt / "train_config.json").write_text(json.dumps({"data": [str(tmp_path / "nodata")]}))
    with pytest.raises(FileNotFoundError, match="no caption bank"):
        bank_captions(ckpt)
    (ckpt / BANK_FILE).write_text("a person claps\n")
    assert bank_captions(ckpt, fallback) == (["a person claps"],
                                             f"training captions in {ckpt / BANK_FILE}")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    with pytest.raises(ValueError, match="no captions"):
        read_bank_file(empty)


def test_bank_from_training_data(shared_data, tmp_path):
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / "train_config.json").write_text(json.dumps({"data": [str(shared_data / "cmu_kitml")]}))
    caps, src = bank_captions(ckpt)
    assert len(caps) == len(set(caps)) > 5 and "cmu_kitml" in src


def test_bank_holds_a_bvh_folders_training_captions(shared_data, tmp_path):
    """A model trained on a BVH folder (captions from index.json): they were left out of
    its bank, with a debug line only."""
    import shutil

    bvh = tmp_path / "bvh"
    bvh.mkdir()
    index = json.loads((shared_data / "raw_bvh" / "index.json").read_text())
    takes = sorted(k for k in index if k.startswith("bandai"))[:4]
    for name in takes:
        shutil.copy(shared_data / "raw_bvh" / name, bvh / name)
    (bvh / "index.json").write_text(json.dumps({k: index[k] for k in takes}))
    (bvh / "train.txt").write_text("\n".join(Path(k).stem for k in takes[:3]) + "\n")
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / "train_config.json").write_text(json.dumps(
        {"data": [str(shared_data / "cmu_kitml"), str(bvh),
                  str(shared_data / "humanml3d_samples")]}))
    caps, src = bank_captions(ckpt)
    assert str(bvh) in src and "cmu_kitml" in src
    assert "humanml3d_samples" not in src  # its train split has no caption: no source
    expected = {action_prompt(index[k]["action"], inflect=True) for k in takes[:3]}
    assert expected <= set(caps)  # the train split's takes, by their index.json labels
    # one folder's train split (renamed from training_captions, which in core/train reads
    # a run's pairs: code review 36 F7)
    assert expected <= set(train_split_captions(bvh)) <= set(caps)


def test_bank_is_cached_and_describes_a_caption_embedding(model, tmp_path):
    bank = load_caption_bank(model, CAPTIONS, "test", root=tmp_path)
    assert bank.dense.shape == (4, model.config.embed_dim) and bank.lexical.shape[0] == 4
    folder = next(tmp_path.iterdir())
    assert (folder / "dense.npy").is_file() and (folder / "captions.json").is_file()
    again = load_caption_bank(model, CAPTIONS, "test", root=tmp_path)  # from the cache
    np.testing.assert_array_equal(again.dense, bank.dense)
    # a text embedding as the "motion": its own caption must come first (dense only)
    emb = encode_texts(model, ["someone jumps twice"])
    row = bank.lexical[2]
    res = describe_embedding(bank, emb.dense[0], row.indices, row.data, k=2, weight=1.0)
    assert [d.caption for d in res.descriptions][0] == "someone jumps twice"
    assert len(res.descriptions) == 2 and res.bank_size == 4 and res.weight == 1.0
    top = res.descriptions[0]
    assert top.score == pytest.approx(top.dense, abs=1e-5) and top.words
    assert best_captions(bank, emb.dense, row)[0][0] == "someone jumps twice"
    with pytest.raises(ValueError, match="k must be"):
        describe_embedding(bank, emb.dense[0], row.indices, row.data, k=0)
    with pytest.raises(ValueError, match="dense embedding"):
        describe_embedding(bank, emb.dense[0][:3], row.indices, row.data)
    with pytest.raises(ValueError, match="empty"):
        load_caption_bank(model, [], "none", root=tmp_path)


def test_describe_an_uncaptioned_bvh(model, stats, shared_data, tmp_path):
    from motionlex.core.motion.files import load_motion_file

    m = load_motion_file(shared_data / "raw_bvh" / "bandai_1_kick_normal_001.bvh")
    bank = load_caption_bank(model, CAPTIONS, "test", root=tmp_path)
    res = describe_motion(model, stats, m.joints, m.skeleton, bank=bank, k=3, weight=0.5)
    assert len(res.descriptions) == 3 and res.motion_words
    scores = [d.score for d in res.descriptions]
    assert scores == sorted(scores, reverse=True)
    # each description's dense part is the cosine of its caption with the motion's embedding
    from motionlex.core.retrieval.embed import encode_motions

    cos = bank.dense @ encode_motions(model, [(m.joints, m.skeleton)], stats).dense[0]
    for d in res.descriptions:
        assert d.dense == pytest.approx(float(cos[bank.captions.index(d.caption)]), abs=1e-5)
    # dense only: the whole bank in cosine order
    dense_only = describe_motion(model, stats, m.joints, m.skeleton, bank=bank, k=len(bank),
                                 weight=1.0)
    assert [d.caption for d in dense_only.descriptions] == [
        bank.captions[i] for i in np.argsort(-cos, kind="stable")]


def test_describe_embedding_fuses_each_motions_lexical_scores_over_the_bank():
    """A bank of 30 captions with random embeddings: the captions returned are the best by
    ``w * dense + (1 - w) * lexical / (the motion's best lexical score over the bank)``,
    computed here, with their three scores; ties keep bank order."""
    import scipy.sparse as sp

    from motionlex.core.retrieval.describe import CaptionBank

    rng = np.random.default_rng(4)
    b, d, v = 30, 16, 50
    dense = rng.normal(size=(b, d)).astype(np.float32)
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    lex = sp.random(b, v, density=0.2, format="csr", random_state=1, dtype=np.float32)
    bank = CaptionBank([f"caption {i}" for i in range(b)], "test", dense, lex, "dot",
                       [f"w{i}" for i in range(v)])
    q = rng.normal(size=d).astype(np.float32)
    q /= np.linalg.norm(q)
    ids = np.array([1, 4, 9, 20, 33], np.int64)
    weights = rng.uniform(0.2, 1.0, 5).astype(np.float32)
    out = describe_embedding(bank, q, ids, weights, k=6, weight=0.3)
    ds = dense @ q
    ls = np.asarray(lex[:, ids] @ weights).ravel()
    fused = 0.3 * ds + 0.7 * ls / ls.max()
    best = np.lexsort((np.arange(b), -fused))[:6]
    assert [o.caption for o in out.descriptions] == [f"caption {i}" for i in best]
    np.testing.assert_allclose([o.score for o in out.descriptions], fused[best], rtol=1e-5)
    np.testing.assert_allclose([o.lexical for o in out.descriptions], ls[best], rtol=1e-5)
    np.testing.assert_allclose([o.dense for o in out.descriptions], ds[best], rtol=1e-5)


def test_near_duplicate_captions_go_after_distinct_ones():
    """Five style variants of one caption filled a description (a Bandai bow described as
    "guides someone with an arm gesture sadly / wearily / ..." five times, GUI audit 36 #9):
    variants within the cosine threshold of a caption listed before go last."""
    import scipy.sparse as sp

    from motionlex.core.retrieval.describe import DISTINCT_COSINE, CaptionBank

    a, b = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    variant = np.array([0.99, 0.0, np.sqrt(1 - 0.99**2)])  # cosine 0.99 with a
    dense = np.stack([a, variant, b, np.array([0.0, 0.0, 1.0])]).astype(np.float32)
    bank = CaptionBank(["guides sadly", "guides wearily", "bows", "sits"], "test", dense,
                       sp.csr_matrix((4, 2), dtype=np.float32), "cosine", ["x", "y"])
    motion = np.array([0.9, 0.35, -0.2], np.float32)
    motion /= np.linalg.norm(motion)  # nearest: a, then its variant, then b, then the last
    none = np.zeros(0, np.int64), np.zeros(0, np.float32)
    plain = describe_embedding(bank, motion, *none, k=3, weight=1.0, distinct=None)
    assert [d.caption for d in plain.descriptions] == ["guides sadly", "guides wearily", "bows"]
    kept = describe_embedding(bank, motion, *none, k=3, weight=1.0)
    assert DISTINCT_COSINE < 0.99
    assert [d.caption for d in kept.descriptions] == ["guides sadly", "bows", "sits"]
    four = describe_embedding(bank, motion, *none, k=4, weight=1.0)  # no other left: in
    assert [d.caption for d in four.descriptions] == [d.caption for d in plain.descriptions] + [
        "sits"]  # listed best first
    scores = [d.score for d in kept.descriptions]
    assert scores == sorted(scores, reverse=True)
    for bad in (-1.5, 1.01):  # not a cosine: everything, or nothing, a near-duplicate
        with pytest.raises(ValueError, match=r"distinct must be a cosine in \[-1, 1\]"):
            describe_embedding(bank, motion, *none, k=3, distinct=bad)


def test_describe_motion_takes_a_motion_and_names_its_own_parameters(model, stats, shared_data,
                                                                     tmp_path):
    """A Motion describes as its joints and skeleton do; wrong calls name describe_motion's
    parameters (``describe_motion(model, stats, motion, None, bank)`` said "motions[0]:
    skeleton must be a Skeleton ..., got NoneType"). The bank is required and keyword-only:
    its default None raised TypeError, a positional bank went into ``skeleton``."""
    from motionlex.core.motion.file_checks import MotionFileError
    from motionlex.core.motion.files import load_motion_file

    m = load_motion_file(shared_data / "bandai" / "new_joints"
                         / "bn2_wave-right-hand_normal_001.npy")
    bank = load_caption_bank(model, CAPTIONS, "test", root=tmp_path)
    ref = describe_motion(model, stats, m.joints, "smpl22", bank=bank, k=4, weight=0.5)
    for got in (describe_motion(model, stats, m, None, bank=bank, k=4, weight=0.5),
                describe_motion(model, stats, m, bank=bank, k=4, weight=0.5)):
        assert [d.caption for d in got.descriptions] == [d.caption for d in ref.descriptions]
        np.testing.assert_allclose([d.score for d in got.descriptions],
                                   [d.score for d in ref.descriptions], atol=1e-5)
    with pytest.raises(TypeError, match="describe_motion takes joints .* with their skeleton"):
        describe_motion(model, stats, m.joints, None, bank=bank)
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'bank'"):
        describe_motion(model, stats, m)
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'bank'"):
        describe_motion(model, stats, m, bank)  # the bank as skeleton
    with pytest.raises(TypeError, match=r"bank must be a CaptionBank \(load_caption_bank\), "
                       "got NoneType"):
        describe_motion(model, stats, m, bank=None)
    with pytest.raises(ValueError, match="a Motion brings its own skeleton"):
        describe_motion(model, stats, m, "smpl22", bank=bank)
    with pytest.raises(MotionFileError, match="^describe_motion joints: .*the array has 21; "
                       ".*'kit21'"):
        describe_motion(model, stats, m.joints[:, :21], "smpl22", bank=bank)
