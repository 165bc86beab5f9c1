import numpy as np
import pytest

from motionlex.core.retrieval.order_ranking import (
    _ranking_metrics,
    order_margins,
    order_scores,
)


def _unit(a):
    a = np.asarray(a, np.float32)
    return a / np.linalg.norm(a, axis=-1, keepdims=True)


def test_margin_is_true_order_minus_best_other_order():
    orders = _unit([[1, 0, 0], [0, 1, 0], [0, 0, 1]])  # true order first
    motions = _unit([[1, 0.5, 0], [0, 1, 0.2], [1, 1, 1]])
    sims = motions @ orders.T
    np.testing.assert_allclose(order_margins(orders, motions),
                               sims[:, 0] - sims[:, 1:].max(axis=1), atol=1e-6)
    assert order_margins(orders[:1], motions).tolist() == [0.0, 0.0, 0.0]  # one event


def test_order_scores_add_the_weighted_margin():
    np.testing.assert_allclose(order_scores([0.5, 0.2], [0.1, -0.1], 2.0), [0.7, 0.0])
    np.testing.assert_allclose(order_scores([0.5, 0.2], [0.1, -0.1], 0.0), [0.5, 0.2])


@pytest.mark.parametrize("bad, match", [
    (lambda: order_margins(np.zeros((0, 3)), np.zeros((2, 3))), r"got \(0, 3\) and \(2, 3\)"),
    (lambda: order_margins(np.zeros((2, 3)), np.zeros((2, 4))), "orders have 3 dims, motions 4"),
    (lambda: order_scores([1.0], [1.0, 2.0]), r"\(1,\) and margins \(2,\) differ in shape"),
    (lambda: order_scores([1.0], [1.0], -1.0), "alpha must be >= 0, got -1.0"),
])
def test_bad_inputs_raise(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()


def test_ranking_metrics_on_a_hand_built_matrix():
    # 2 captions, gallery = [true0, true1, neg0, neg1]
    s = np.array([[0.9, 0.1, 0.5, 0.2],    # true clip first, beats its reordered clip
                  [0.3, 0.4, 0.1, 0.6]])   # its reordered clip (col 3) wins
    m = _ranking_metrics(s)
    assert m["pair"] == 50.0 and m["R@1"] == 50.0 and m["mean_rank"] == 1.5
    # a tie with the reordered clip is no win: the expected rank of the tied pair (was 1)
    tied = _ranking_metrics(np.array([[0.9, 0.1, 0.9, 0.2], [0.3, 0.4, 0.1, 0.4]]))
    assert tied["pair"] == 0.0 and tied["R@1"] == 0.0 and tied["mean_rank"] == 1.5


def test_report_on_synthetic_pairs(model, stats):
    from motionlex.core.data.demo.gallery import chronology_pairs
    from motionlex.core.retrieval.embed import encode_motions, encode_texts
    from motionlex.core.retrieval.event_orders import query_orders
    from motionlex.core.retrieval.order_ranking import order_ranking_report

    pairs = chronology_pairs(seed=3, n=3)
    r = order_ranking_report(model, stats, pairs, alphas=(0.0, 1.0))
    assert r["n"] == 3.0
    # plain ranks each caption over the true-order clips, then the reordered ones
    clips = ([(c.motion.motion.joints, c.motion.motion.skeleton) for c in pairs]
             + [(c.motion_negative.motion.joints, c.motion_negative.motion.skeleton)
                for c in pairs])
    motions = encode_motions(model, clips, stats, long_clips="first").dense
    plain = encode_texts(model, [c.caption for c in pairs]).dense @ motions.T
    expected = _ranking_metrics(plain)
    for k, v in expected.items():
        assert r[f"plain/{k}"] == pytest.approx(v) and r[f"order@0/{k}"] == r[f"plain/{k}"]
    # order@1 adds each caption's true-order margin over its other orders; events averages
    # the caption's events' similarities (the caption's own order plays no part)
    margins, events = [], []
    for c in pairs:
        q = query_orders(model, c.caption)
        assert len(q.events) >= 2 and q.orders[0] == tuple(range(len(q.events)))
        margins.append(order_margins(q.dense, motions))
        events.append(encode_texts(model, list(q.events)).dense @ motions.T)
    for k, v in _ranking_metrics(plain + np.stack(margins)).items():
        assert r[f"order@1/{k}"] == pytest.approx(v, abs=1e-4)
    for k, v in _ranking_metrics(np.stack([e.mean(axis=0) for e in events])).items():
        assert r[f"events/{k}"] == pytest.approx(v, abs=1e-4)
    with pytest.raises(ValueError, match="no chronology pairs"):
        order_ranking_report(model, stats, [])
