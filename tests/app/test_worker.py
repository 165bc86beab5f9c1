"""RankWorker on a real tiny model and a real index: jobs, cancelling, superseding, errors.

The job generators run without a thread (STYLE: "the worker generator runs without a
thread"); the worker on its QThread is tested in test_client.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from motionlex.app import jobs
from motionlex.app.messages import (
    GalleryInfo,
    ModelInfo,
    MotionData,
    MotionRequest,
    OrdersRequest,
    OrdersResult,
    RankRequest,
    RankResult,
)
from motionlex.app.worker import RankWorker
from motionlex.core.retrieval.index import GalleryIndex


class Recorder:
    """Collects every signal of a worker."""

    def __init__(self, worker: RankWorker) -> None:
        self.events: list[tuple] = []
        for name in ("ranked", "failed", "checkpointLoaded", "galleryLoaded", "motionReady",
                     "ordersReady", "message"):
            getattr(worker, name).connect(lambda *a, n=name: self.events.append((n, *a)))
        worker.progress.connect(lambda d, t: self.events.append(("progress", d, t)))
        worker.jobStarted.connect(lambda k, d: self.events.append(("started", k, d)))
        worker.jobFinished.connect(lambda k, o: self.events.append(("finished", k, o)))

    def of(self, name: str) -> list[tuple]:
        return [e for e in self.events if e[0] == name]


def _run(gen):
    """Drive a job generator to the end; return (steps, value)."""
    steps = []
    while True:
        try:
            steps.append(next(gen))
        except StopIteration as stop:
            return steps, stop.value


@pytest.fixture
def worker(qapp, tmp_path, tiny_checkpoint, gallery_index) -> RankWorker:
    w = RankWorker(cache_dir=tmp_path / "cache", device="cpu")
    _run(w.load_checkpoint_steps(tiny_checkpoint))
    _run(w.load_steps(gallery_index))
    return w


def test_load_checkpoint_and_gallery_infos(qapp, tmp_path, tiny_checkpoint, gallery_index):
    w = RankWorker(cache_dir=tmp_path / "cache")  # device: automatic
    rec = Recorder(w)
    w.load_checkpoint(str(tiny_checkpoint))
    info = rec.of("checkpointLoaded")[0][1]
    assert isinstance(info, ModelInfo) and info.name == "tiny" and info.embed_dim == 32
    want = "cuda" if torch.cuda.is_available() else "cpu"  # CUDA used when present
    assert w.model.device.type == want and info.device.startswith(want)
    assert info.device_name.startswith("GPU" if want == "cuda" else "CPU")
    # both towers in plain torch (no transformers import), counted as the full model
    from motionlex.core.model.lite import LiteModel
    from motionlex.core.model.model import MotionTextModel

    full = MotionTextModel.from_pretrained(tiny_checkpoint, device="cpu")
    assert isinstance(w.model, LiteModel)
    assert info.parameters == sum(p.numel() for p in full.parameters())
    assert info.vocab_size == len(full.vocabulary)
    w.load(str(gallery_index))
    g = rec.of("galleryLoaded")[0][1]
    index = GalleryIndex.load(gallery_index, verify=False)
    assert isinstance(g, GalleryInfo) and g.searchable and not g.built
    assert g.size == len(index) == 26 and g.ids == index.ids
    assert g.captions[0] == index.captions[0][0]
    np.testing.assert_allclose(g.durations, index.num_frames / index.fps, rtol=1e-6)
    assert rec.of("failed") == []
    assert [e[1:] for e in rec.of("finished")] == [("checkpoint", "done"), ("gallery", "done")]


def test_rank_steps_real_ranking(worker, tiny_checkpoint, caplog):
    req = RankRequest(1, "a person waves the right hand", k=10, chunk_size=8)
    steps, result = _run(worker.rank_steps(req))
    n = len(worker.index)
    # a step after embedding, then one per chunk of 8 rows before the last
    assert steps == [(0, n), (8, n), (16, n), (24, n)]
    assert isinstance(result, RankResult) and result.request_id == 1 and result.total == n
    scores = [h["score"] for h in result.hits]
    assert len(scores) == 10 and scores == sorted(scores, reverse=True)
    assert [h["rank"] for h in result.hits] == list(range(1, 11))
    # the same ranking as the core searcher (independent recomputation)
    from motionlex.core.retrieval.search import Searcher

    s = Searcher(worker.index, worker.model)
    expect = s.search(s.embed_text("a person waves the right hand"), k=10)
    assert [h["row"] for h in result.hits] == [h.index for h in expect]
    np.testing.assert_allclose(scores, [h.score for h in expect], rtol=1e-5)
    # only plain values cross to the GUI, never tensors
    for h in result.hits:
        assert all(not isinstance(v, torch.Tensor) for v in h.values())
    words = [w for w, _ in result.query_words]
    assert 0 < len(words) <= jobs.QUERY_WORDS_SHOWN and len(set(words)) == len(words)
    weights = [v for _, v in result.query_words]
    assert weights == sorted(weights, reverse=True) and weights[-1] > 0
    # 6 WordPieces and [CLS], [SEP]: within what the model reads
    assert (result.query_tokens, result.max_tokens, result.cut) == (
        8, worker.model.config.max_text_length, False)
    long = " ".join(["a person walks forward and then turns left"] * 10)  # 80 words
    with caplog.at_level("WARNING", logger="motionlex"):
        _, cut = _run(worker.rank_steps(RankRequest(2, long, k=3)))
    assert cut.query_tokens == 10 * 8 + 2 and cut.cut
    # the status bar says it (status_texts); the core's log warning would say it twice
    assert not [r for r in caplog.records if "tokens long" in r.getMessage()]


def test_cancel_takes_effect_at_next_chunk(worker):
    rec = Recorder(worker)
    worker.progress.connect(lambda done, total: worker.cancel() if done >= 8 else None)
    worker.rank(RankRequest(1, "a person walks", chunk_size=8))
    assert rec.of("ranked") == []
    assert rec.of("finished")[-1][1:] == ("rank", "cancelled")
    assert [e[1] for e in rec.of("progress")] == [0, 8]  # stopped right after that chunk
    # the worker stays usable
    worker.rank(RankRequest(2, "a person walks"))
    assert rec.of("ranked")[0][1].request_id == 2


def test_a_cancelled_checkpoint_load_keeps_the_old_model(worker, tmp_path, save_tiny):
    other = save_tiny(tmp_path / "other", seed=1)
    old_model, old_hash = worker._model, worker._model_hash
    n_steps = len(_run(worker.load_checkpoint_steps(other, attach=False))[0])
    worker._model, worker._model_hash = old_model, old_hash  # as before that load
    worker._attach_searcher()
    for stop_at in range(1, n_steps + 1):  # cancelled after each step (generator closed)
        gen = worker.load_checkpoint_steps(other)
        for _ in range(stop_at):
            next(gen)
        gen.close()
        assert worker._model is old_model and worker._model_hash == old_hash
        assert worker._searcher.model is old_model  # model and searcher agree
    _, info = _run(worker.load_checkpoint_steps(other))
    assert worker._model_hash != old_hash and info.checkpoint == str(other.resolve())
    assert worker._searcher.model is None  # the gallery was built with the old one


def test_outdated_requests_dropped(worker):
    rec = Recorder(worker)
    worker.supersede("rank", 5)
    worker.rank(RankRequest(3, "a person walks"))  # older than the newest: dropped unseen
    assert rec.events == []
    # a newer request arriving while one runs: the running one stops at its next chunk
    worker.progress.connect(lambda d, t: worker.supersede("rank", 7) if d == 8 else None)
    worker.rank(RankRequest(5, "a person walks", chunk_size=8))
    assert rec.of("ranked") == [] and rec.of("finished")[-1][2] == "cancelled"
    worker.rank(RankRequest(7, "a person walks"))
    assert [e[1].request_id for e in rec.of("ranked")] == [7]
    with pytest.raises(ValueError, match="kind must be one of"):
        worker.supersede("nope", 1)


def test_item_query_excludes_itself(worker):
    _, result = _run(worker.rank_steps(RankRequest(1, "", k=5, item=3)))
    rows = [h["row"] for h in result.hits]
    assert 3 not in rows and len(rows) == 5 and result.text == ""
    assert result.item == 3  # a mode change asks the same row again (GUI audit 36 #1)


def test_motion_steps_views_data(worker):
    _, m = _run(worker.motion_steps(MotionRequest(1, 2)))
    index = worker.index
    assert isinstance(m, MotionData) and m.row == 2 and m.id == index.ids[2]
    np.testing.assert_array_equal(m.joints, index.joints(2))
    t, j, _ = m.joints.shape
    sk = index.skeleton_of(2)
    np.testing.assert_array_equal(m.bones, sk.bones())
    assert m.part_of_joint.shape == (j,) and m.patches.shape == (3, t, 80)
    assert m.patches.dtype == np.float32 and np.isfinite(m.patches).all()
    assert m.caption == index.captions[2][0] and not m.has_bvh
    row = index.lexical.getrow(2)
    heaviest = index.vocabulary[int(row.indices[np.argmax(row.data)])]
    assert m.words[0][0] == heaviest
    # the BVH items know their source file
    bvh_row = next(i for i, s in enumerate(index.sources) if s.endswith(".bvh"))
    _, mb = _run(worker.motion_steps(MotionRequest(2, bvh_row)))
    assert mb.has_bvh and mb.source.endswith(".bvh")


def test_orders_steps_scores_every_order(worker):
    caption = "a person walks forward, then sits down"
    _, r = _run(worker.orders_steps(OrdersRequest(1, 0, caption)))
    assert isinstance(r, OrdersResult) and r.caption == caption and len(r.events) == 2
    assert len(r.orders) == 2 and [o[2] for o in r.orders] == [True, False]
    # similarities are the dense cosines of the joined captions with the motion
    with torch.inference_mode():
        t = worker.model.encode_text([o[0] for o in r.orders]).float().numpy()
    m = np.asarray(worker.index.dense[0], np.float32)
    np.testing.assert_allclose([o[1] for o in r.orders], t @ (m / np.linalg.norm(m)),
                               atol=2e-3)
    # the motion's own caption by default; an empty caption gives no orders
    _, own = _run(worker.orders_steps(OrdersRequest(2, 0)))
    assert own.caption == worker.index.captions[0][0]
    bvh_row = next(i for i, c in enumerate(worker.index.captions) if not c)
    _, none = _run(worker.orders_steps(OrdersRequest(3, bvh_row)))
    assert none.orders == [] and none.caption == ""


def test_a_long_query_s_orders_log_no_warning(worker, caplog):
    """GUI audit B #5: the query's orders logged "24 of 24 texts are longer than the 64
    tokens the model reads" on the terminal, for a query whose length the status bar
    already gives: a given caption's orders are cut without a warning."""
    events = ["a person walks forward slowly while carrying a heavy box in both hands and "
              "looking around nervously at the people in the crowded room",
              "stops", "turns to the left", "bends down to put the box on the floor",
              "stands up again", "stretches the back", "waves the right hand to a friend"]
    caption = ", then ".join(events)
    assert worker.model.count_tokens(caption) > worker.model.config.max_text_length
    with caplog.at_level("WARNING", logger="motionlex"):
        _, r = _run(worker.orders_steps(OrdersRequest(4, 0, caption)))
    assert len(r.orders) >= 2
    assert not [rec for rec in caplog.records if rec.levelname == "WARNING"], caplog.text


def test_errors_arrive_as_messages(qapp, tmp_path, tiny_checkpoint, bandai_subset,
                                   monkeypatch):
    from motionlex.app import fallback

    monkeypatch.setattr(fallback, "default_model_dir", lambda: tiny_checkpoint)  # "shipped"
    w = RankWorker(cache_dir=tmp_path / "cache", device="cpu")
    rec = Recorder(w)
    w.rank(RankRequest(1, "a person walks"))  # no gallery
    w.load(str(tmp_path / "missing"))
    (tmp_path / "file.txt").write_text("x")
    w.load(str(tmp_path / "file.txt"))
    (tmp_path / "empty").mkdir()
    w.load(str(tmp_path / "empty"))
    w.load(str(bandai_subset))  # a dataset and no model: encoded with the shipped model
    w.load_checkpoint(str(tmp_path / "empty"))  # not a checkpoint, while a model is loaded
    msgs = [e[1] for e in rec.of("failed")]
    assert len(msgs) == 5
    assert "no gallery is open" in msgs[0]
    assert "gallery not found" in msgs[1] and "missing" in msgs[1]
    assert "is a file" in msgs[2]
    assert "not a motion dataset" in msgs[3]
    assert "Loading checkpoint" in msgs[4] and "patch_stats.json" in msgs[4]
    assert [e[2] for e in rec.of("finished")] == ["failed"] * 4 + ["done", "failed"]
    info = rec.of("checkpointLoaded")[0][1]
    assert "with the shipped model" in info.note and w.model_info.checkpoint == info.checkpoint


def test_text_query_needs_model_and_mode_checked(qapp, tmp_path, tiny_checkpoint,
                                                 gallery_index, save_tiny):
    w = RankWorker(cache_dir=tmp_path / "cache", device="cpu")
    _run(w.load_checkpoint_steps(tiny_checkpoint))
    _run(w.load_steps(gallery_index))
    with pytest.raises(ValueError, match="mode must be one of"):
        _run(w.rank_steps(RankRequest(1, "walk", mode="bm25")))
    # another model: the gallery stays browsable but text queries are refused
    other = save_tiny(tmp_path / "other", seed=1)
    rec = Recorder(w)
    w.load_checkpoint(str(other))
    assert "built with another model" in rec.of("message")[0][1]
    with pytest.raises(ValueError, match="text queries need the model"):
        _run(w.rank_steps(RankRequest(2, "walk")))
    _, r = _run(w.rank_steps(RankRequest(3, "", item=0, k=3)))  # item queries still work
    assert len(r.hits) == 3
    # opening the index again switches back to the checkpoint it records
    w.load(str(gallery_index))
    assert rec.of("galleryLoaded")[-1][1].searchable
    assert w.model_info.checkpoint == str(tiny_checkpoint.resolve())


def test_order_aware_ranking_rescores_multi_event_queries(worker):
    from motionlex.core.retrieval.order_ranking import order_margins

    text = "a person raises both hands, then walks forward"
    _, plain = _run(worker.rank_steps(RankRequest(1, text, k=26)))
    worker.set_order_alpha(2.0)
    _, aware = _run(worker.rank_steps(RankRequest(2, text, k=26)))
    plain_score = {h["row"]: h["score"] for h in plain.hits}
    orders = worker._orders_cache[text]  # embedded once, kept for the chronology panel
    assert len(orders.orders) == 2
    rows = np.array([h["row"] for h in aware.hits])
    dense = np.asarray(worker.index.dense[rows], np.float32)
    margins = order_margins(orders.dense, dense / np.linalg.norm(dense, axis=1, keepdims=True))
    np.testing.assert_allclose([h["order_margin"] for h in aware.hits], margins, atol=1e-5)
    np.testing.assert_allclose([h["score"] for h in aware.hits],
                               [plain_score[r] + 2.0 * g for r, g in zip(rows, margins)],
                               atol=1e-5)
    scores = [h["score"] for h in aware.hits]
    assert scores == sorted(scores, reverse=True)
    # the top 3 are re-ranked from a larger pool: a motion below the plain top 3 can rise
    worker.set_order_alpha(50.0)  # the order margin decides
    _, top3 = _run(worker.rank_steps(RankRequest(5, text, k=3)))
    _, whole = _run(worker.rank_steps(RankRequest(6, text, k=26)))
    assert [h["row"] for h in top3.hits] == [h["row"] for h in whole.hits[:3]]
    assert {h["row"] for h in top3.hits} != {h["row"] for h in plain.hits[:3]}
    worker.set_order_alpha(2.0)
    # a one-event query ranks plainly (and is not called order-aware); alpha 0 switches the
    # option off
    _, single = _run(worker.rank_steps(RankRequest(3, "a person waves", k=5)))
    assert all(h["order_margin"] == 0.0 for h in single.hits) and single.order_weight == 0.0
    worker.set_order_alpha(0.0)
    _, off = _run(worker.rank_steps(RankRequest(4, text, k=26)))
    assert [h["row"] for h in off.hits] == [h["row"] for h in plain.hits]
    with pytest.raises(ValueError, match=">= 0"):
        worker.set_order_alpha(-1.0)


def test_describe_jobs_use_the_caption_bank(worker, tmp_path):
    from motionlex.app.analysis_messages import DescribeRequest, DescribeResult

    bvh_row = next(i for i, c in enumerate(worker.index.captions) if not c)
    steps, res = _run(worker.describe_steps(DescribeRequest(1, bvh_row, k=4)))
    assert isinstance(res, DescribeResult) and res.row == bvh_row and len(res.captions) == 4
    # the tiny checkpoint has no bank of its own: the default model's training captions
    assert res.bank_size > 800 and "caption_bank.txt" in res.bank_source
    # the default model's caption hubness belongs to its weights: not used for this model
    assert res.ranked_by == "fused"
    assert steps[-1] == (1, 2) and any(t > 800 for _, t in steps)  # the bank was encoded
    assert list((tmp_path / "cache" / "caption-banks").iterdir())  # and cached
    scores = [c["score"] for c in res.captions]
    assert scores == sorted(scores, reverse=True)
    steps, again = _run(worker.describe_steps(DescribeRequest(2, bvh_row, k=4)))
    assert steps == [(1, 2)] and again.captions == res.captions  # bank kept in memory
    _, gal = _run(worker.describe_gallery_steps())
    uncaptioned = [i for i, c in enumerate(worker.index.captions) if not c]
    assert sorted(gal.rows) == uncaptioned and gal.gallery == str(worker.index.path)
    assert gal.rows[bvh_row][0] == res.captions[0]["caption"]
    # the whole-gallery job has a kind of its own: its end does not end a motion's describe
    rec = Recorder(worker)
    worker.describe_gallery()
    assert [e[1] for e in rec.of("started")] == ["describe_gallery"]
    assert rec.of("finished")[-1][1:] == ("describe_gallery", "done")


def test_gallery_describing_gives_way_to_requests(worker, qapp, gallery_index, tmp_path):
    """The uncaptioned gallery's describe job (the caption bank's first encoding takes
    seconds) parks when a request arrives and resumes where it stopped after it; another
    gallery opened meanwhile drops it."""
    rec = Recorder(worker)
    got = []
    worker.galleryDescribed.connect(got.append)
    asked = []

    def request_midway(done: int, total: int) -> None:
        if total > 800 and 0 < done < total and not asked:  # encoding the caption bank
            asked.append(done)
            worker.supersede("rank", 1)  # as the GUI thread does before queuing a query

    worker.progress.connect(request_midway)
    worker.describe_gallery()
    assert asked and not got and not rec.of("finished")  # parked, not finished
    _, ranked = _run(worker.rank_steps(RankRequest(1, "a person walks", k=3)))  # runs first
    assert len(ranked.hits) == 3
    before = len(rec.of("progress"))
    qapp.processEvents()  # the queued resume
    resumed = [e[1] for e in rec.of("progress")[before:]]
    assert resumed[0] > asked[0]  # went on from the step it had reached, not from 0
    assert len(got) == 1 and rec.of("finished")[-1][1:] == ("describe_gallery", "done")
    uncaptioned = [i for i, c in enumerate(worker.index.captions) if not c]
    assert sorted(got[0].rows) == uncaptioned
    # parked, then another gallery opens: the job ends cancelled, nothing is emitted
    worker._bank, worker.cache_dir, asked[:] = None, tmp_path / "other-cache", []
    worker.describe_gallery()
    assert asked
    _run(worker.load_steps(gallery_index))
    qapp.processEvents()
    assert len(got) == 1 and rec.of("finished")[-1][1:] == ("describe_gallery", "cancelled")


def test_a_gallery_load_with_another_asked_behind_it_is_given_up(worker, gallery_index):
    """Open A (a slow build), then B: A's load stops at its next step instead of finishing
    a build for a gallery nobody waits for; B's opens."""
    rec = Recorder(worker)
    worker.supersede("gallery", 2)  # the GUI asked for a second gallery behind this one
    worker.load(str(gallery_index))
    assert rec.of("galleryLoaded") == [] and rec.of("finished")[-1][1:] == ("gallery",
                                                                           "cancelled")
    worker.load(str(gallery_index))  # the second one asked for
    assert len(rec.of("galleryLoaded")) == 1 and rec.of("finished")[-1][1:] == ("gallery",
                                                                                "done")


def test_orders_requests_without_a_result_are_named(worker):
    """The chronology panel's busy mark ends only when the newest request will not answer:
    the worker names every orders request that ended without a result."""
    unanswered = []
    worker.requestUnanswered.connect(lambda k, i: unanswered.append((k, i)))
    worker.supersede("orders", 3)
    worker.score_orders(OrdersRequest(2, 0, None))  # overtaken before it started
    assert unanswered == [("orders", 2)]
    worker.score_orders(OrdersRequest(3, 10_000, None))  # fails: no such row
    assert unanswered == [("orders", 2), ("orders", 3)]
