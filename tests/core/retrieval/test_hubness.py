"""CSLS over caption hubness in describing (core/retrieval/hubness.py)."""

import json
import logging

import numpy as np
import pytest
import scipy.sparse as sp

from motionlex.core.retrieval.describe import (
    BANK_FILE,
    CaptionBank,
    best_captions,
    describe_embedding,
    read_bank_file,
)
from motionlex.core.retrieval.fusion import fuse
from motionlex.core.retrieval.hubness import (
    HUBNESS_FILE,
    WEIGHT_GRID,
    bank_hubness,
    read_hubness,
    with_hubness,
    write_hubness,
)

CAPTIONS = ["a person waves goodbye with both hands", "a person kicks", "a person sits down"]


def unit(*rows):
    a = np.asarray(rows, np.float32)
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def hub_case():
    """A bank whose first caption is near most query-bank motions (a hub) and a kick motion
    slightly nearer to it than to "a person kicks"."""
    dense = unit([1, 0, 0], [0.6, 0.8, 0], [0, 0, 1])
    lexical = sp.csr_matrix(np.array([[1, 0], [0, 1], [0, 0]], np.float32))
    bank = CaptionBank(list(CAPTIONS), "test", dense, lexical, "cosine", ["wave", "kick"])
    rng = np.random.default_rng(0)
    waves = unit(*(np.array([1, 0, 0]) + 0.1 * rng.normal(size=(20, 3))))
    kick = unit([0.9, 0.44, 0])
    lex = sp.csr_matrix(np.tile([[0.7, 0.7]], (21, 1)).astype(np.float32))
    return bank, np.concatenate([waves, kick]), lex, kick[0]


def test_hubness_is_the_mean_of_each_captions_k_best_fused_scores():
    bank, motions, lex, _ = hub_case()
    hub = bank_hubness(bank.dense, bank.lexical, motions, lex, query_bank="test", k=5)
    assert hub.values.shape == (len(WEIGHT_GRID), 3) and hub.values.dtype == np.float32
    lex_scores = np.asarray((lex @ bank.lexical.T).todense())
    for i, w in enumerate(WEIGHT_GRID):
        fused = fuse(motions @ bank.dense.T, lex_scores, w, axis=1)
        np.testing.assert_allclose(hub.values[i], np.sort(fused, 0)[-5:].mean(0), rtol=1e-5)
    np.testing.assert_allclose(hub.at(0.3), hub.values[3], rtol=1e-6)  # a grid weight
    np.testing.assert_allclose(hub.at(0.35), (hub.values[3] + hub.values[4]) / 2, rtol=1e-5)
    with pytest.raises(ValueError, match="outside the hubness grid"):
        hub.at(1.5)
    with pytest.raises(ValueError, match="at least k query motions"):
        bank_hubness(bank.dense, bank.lexical, motions[:3], lex[:3], query_bank="t", k=5)
    with pytest.raises(ValueError, match="increasing"):
        bank_hubness(bank.dense, bank.lexical, motions, lex, query_bank="t", weights=[0.5, 0.2])


def test_csls_ranks_the_rare_caption_above_the_hub_and_keeps_the_fused_scores():
    bank, motions, lex, kick = hub_case()
    ids, weights = np.array([0, 1]), np.array([0.7, 0.7], np.float32)
    plain = describe_embedding(bank, kick, ids, weights, k=2, weight=1.0, distinct=None)
    assert plain.ranked_by == "fused"
    assert [d.caption for d in plain.descriptions] == CAPTIONS[:2]  # the hub first
    hub = bank_hubness(bank.dense, bank.lexical, motions, lex, query_bank="test", k=5)
    csls = describe_embedding(_with(bank, hub), kick, ids, weights, k=2, weight=1.0,
                              distinct=None)
    assert csls.ranked_by == "csls"
    assert [d.caption for d in csls.descriptions] == [CAPTIONS[1], CAPTIONS[0]]
    by_caption = {d.caption: d.score for d in plain.descriptions}
    assert all(d.score == pytest.approx(by_caption[d.caption]) for d in csls.descriptions)
    best = best_captions(_with(bank, hub), kick[None], sp.csr_matrix(np.array([[0.7, 0.7]],
                                                                               np.float32)), 1.0)
    assert best[0][0] == CAPTIONS[1]


def _with(bank, hub):
    from dataclasses import replace

    return replace(bank, hubness=hub)


def test_hubness_file_is_tied_to_its_captions_and_weights(tmp_path, caplog):
    bank, motions, lex, _ = hub_case()
    hub = bank_hubness(bank.dense, bank.lexical, motions, lex, query_bank="21 test motions")
    (tmp_path / "checksums.json").write_text(json.dumps({"sha256": {"model.safetensors": "ab"}}))
    write_hubness(tmp_path, CAPTIONS, hub)
    back = read_hubness(tmp_path, CAPTIONS)
    np.testing.assert_allclose(back.values, hub.values, atol=1e-5)
    assert back.k == hub.k and back.query_bank == "21 test motions"
    assert with_hubness(bank, tmp_path).hubness is not None
    assert read_hubness(tmp_path, CAPTIONS[::-1]) is None  # another bank
    assert with_hubness(bank, tmp_path / "elsewhere") is bank  # no file: the bank as it is
    (tmp_path / "checksums.json").write_text(json.dumps({"sha256": {"model.safetensors": "cd"}}))
    assert read_hubness(tmp_path, CAPTIONS) is None  # fine-tuned weights: not theirs
    (tmp_path / HUBNESS_FILE).write_text("{not json")
    with caplog.at_level(logging.WARNING):
        assert read_hubness(tmp_path, CAPTIONS) is None
    assert HUBNESS_FILE in caplog.text and "ranks by fused scores" in caplog.text
    with pytest.raises(ValueError, match="hubness of 3 captions for 2"):
        write_hubness(tmp_path, CAPTIONS[:2], hub)


def test_the_shipped_model_carries_the_hubness_of_its_own_bank_and_weights():
    """A retrained or re-exported default model must get its hubness file written again
    (benchmarks/describe_actions.py --write-hubness): a stale one would silently not be used."""
    from motionlex.resources import default_model_dir

    folder = default_model_dir()
    captions = read_bank_file(folder / BANK_FILE)
    hub = read_hubness(folder, captions)
    assert hub is not None, f"{folder / HUBNESS_FILE} missing or not for this bank and weights"
    assert hub.values.shape == (len(WEIGHT_GRID), len(captions)) and hub.k == 10
    assert np.isfinite(hub.values).all() and "bandai" in hub.query_bank
    assert hub.values.std(axis=1).min() > 0.01  # captions differ in hubness
