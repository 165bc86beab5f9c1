"""core/retrieval/build_rows.py: the rows a batch of motions becomes (encode_batch) and the
rows of the index a build writes (merge_rows), on the motions of the index built by the shared
``built`` fixture (whole builds are in test_build.py)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from motionlex.core.retrieval.build_rows import encode_batch, merge_rows
from motionlex.core.retrieval.build_work import NewItems
from motionlex.core.retrieval.index import IndexSettings
from motionlex.core.retrieval.index_checks import ITEM_COLUMNS
from motionlex.core.retrieval.sparse import sparsify_lexical


def test_a_batch_keeps_its_top_words_as_sparsify_lexical_does(built, model, stats):
    """The top words chosen on the device are the ones the full lexical vectors give; the
    dense rows do not depend on how many words are kept."""
    idx = built[0].index
    motions = [(idx.joints(i), idx.skeleton_of(i)) for i in (0, 8, len(idx) - 1)]
    dense, lex = encode_batch(model, motions, stats, IndexSettings(lexical_top_k=7),
                              batch_size=2)
    full_dense, full = encode_batch(model, motions, stats, IndexSettings(lexical_top_k=None),
                                    batch_size=2)
    assert dense.shape == (3, model.config.embed_dim) and dense.dtype == np.float32
    assert lex.shape == full.shape == (3, len(model.vocabulary)) and sp.isspmatrix_csr(lex)
    assert np.allclose(np.linalg.norm(dense, axis=1), 1, atol=1e-5)
    assert np.allclose(dense, full_dense, atol=1e-6)
    assert np.diff(lex.indptr).max() <= 7 < np.diff(full.indptr).max()
    want = sparsify_lexical(full.toarray(), 7, str(model.config.lexical_similarity))
    assert np.allclose(lex.toarray(), want.toarray(), atol=1e-6)


def _one_new(idx, like: int) -> NewItems:
    """One encoded motion, made from row ``like`` of ``idx`` under a new id."""
    new = NewItems()
    new.add("new/motion", ["a new caption"], "/data/new.npy", "ab" * 32, "new", {"k": 1},
            20.0, idx.joints(like), idx.skeleton_of(like), set(idx.ids))
    new.dense.append(np.full((1, idx.dense.shape[1]), 0.5, np.float32))
    new.lexical.append(sp.csr_matrix(np.eye(1, len(idx.vocabulary), 3, dtype=np.float32)))
    return new


def test_merged_rows_are_the_kept_rows_then_the_new_ones(built):
    idx = built[0].index
    last = int(np.flatnonzero(idx.skeleton_ids != idx.skeleton_ids[0])[-1])  # a BVH skeleton
    keep = [0, 1]  # two rows of one skeleton: the others' skeletons are dropped
    assert idx.skeleton_ids[0] == idx.skeleton_ids[1] and len(idx.skeletons) > 2
    rows = merge_rows(idx, keep, _one_new(idx, last), "float16")
    assert np.array_equal(rows.dense[:2], np.asarray(idx.dense[keep], np.float32))
    assert np.array_equal(rows.dense[2], np.full(idx.dense.shape[1], 0.5, np.float32))
    assert (rows.lexical[:2] != idx.lexical[keep]).nnz == 0 and rows.lexical[2, 3] == 1
    assert list(rows.items) == list(ITEM_COLUMNS)
    assert rows.items["ids"] == [idx.ids[0], idx.ids[1], "new/motion"]
    assert rows.items["meta"][2] == {"k": 1} and rows.items["datasets"][2] == "new"
    for pos, k in enumerate(keep):  # the stored rows, as stored
        a, b = idx.joint_offsets[k], idx.joint_offsets[k + 1]
        assert np.array_equal(rows.joints[pos], idx._joints[a:b])
    assert rows.joints[2].dtype == np.float16 and rows.joints[2].shape == idx.joints(last).shape
    assert rows.num_frames.tolist() == [idx.num_frames[0], idx.num_frames[1],
                                        idx.num_frames[last]]
    assert rows.fps.tolist() == [idx.fps[0], idx.fps[1], 20.0]
    assert rows.skeletons == [idx.skeleton_of(0), idx.skeleton_of(last)]
    assert rows.skeleton_ids.tolist() == [0, 0, 1]


def test_a_new_motion_shares_an_equal_skeleton_and_a_new_index_holds_only_new_rows(built):
    idx = built[0].index
    rows = merge_rows(idx, [0], _one_new(idx, 1), "float32")
    assert rows.skeletons == [idx.skeleton_of(0)] and rows.skeleton_ids.tolist() == [0, 0]
    assert rows.joints[1].dtype == np.float32
    alone = merge_rows(None, [], _one_new(idx, 1), "float16")
    assert alone.items["ids"] == ["new/motion"] and alone.dense.shape == (1, idx.dense.shape[1])
    assert alone.lexical.shape == (1, len(idx.vocabulary))
    assert alone.skeletons == [idx.skeleton_of(1)] and alone.skeleton_ids.tolist() == [0]
