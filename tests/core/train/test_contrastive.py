"""The pair objectives: false-negative mask, side negatives (captions and mirrored motions),
order negatives (reordered motions), diagnostics and the word term."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from motionlex.core.model.model import MotionTextModel
from motionlex.core.train.contrastive import column_accuracy, negative_motion_logits
from motionlex.core.train.objective import ObjectiveConfig
from motionlex.core.train.objectives import create_objective
from motionlex.core.train.pair_losses import motion_pair_loss, side_pair_loss


def _side_batch(make_batch) -> dict:
    batch = make_batch()
    g = torch.Generator().manual_seed(1)
    batch["negative_texts"] = batch["negative_texts"] + ["the person waves with the left hand"]
    batch["negative_owner"] = torch.tensor([0, 3])
    batch["negative_side"] = torch.tensor([False, True])
    batch["negative_motion_patches"] = torch.randn(1, 3, 224, 80, generator=g)
    batch["negative_motion_row_mask"] = batch["row_mask"][3:4].clone()
    batch["negative_motion_owner"] = torch.tensor([3])
    batch["negative_motion_kind"] = torch.tensor([0])
    return batch


def _order_batch(make_batch) -> dict:
    """Caption 2 gets a reordered motion (kind 1): its own motion's rows shifted."""
    batch = make_batch()
    batch["negative_motion_patches"] = batch["patches"][2:3].roll(48, dims=2).clone()
    batch["negative_motion_row_mask"] = batch["row_mask"][2:3].clone()
    batch["negative_motion_owner"] = torch.tensor([2])
    batch["negative_motion_kind"] = torch.tensor([1])
    return batch


def test_identical_captions_are_not_negatives(tiny: MotionTextModel, make_batch) -> None:
    batch = make_batch()
    batch["texts"] = [batch["texts"][0], batch["texts"][0] + ".", *batch["texts"][2:]]
    masked = create_objective("dense", tiny)
    plain = create_objective("dense", tiny, false_negative_mask=False)
    with torch.no_grad():
        a, b = masked(tiny, batch), plain(tiny, batch)
    assert float(a["dense_m2t"]) < float(b["dense_m2t"])
    assert float(a["dense_t2m"]) < float(b["dense_t2m"])
    # the lexical terms of LexCMLP are masked too (only the dense ones were checked)
    lex_masked = create_objective("lexcmlp", tiny)
    lex_plain = create_objective("lexcmlp", tiny, false_negative_mask=False)
    with torch.no_grad():
        la, lb = lex_masked(tiny, batch, step=0), lex_plain(tiny, batch, step=0)
    assert float(la["lexical_m2t"]) < float(lb["lexical_m2t"])
    assert float(la["lexical_t2m"]) < float(lb["lexical_t2m"])
    # without duplicates the mask changes nothing
    with torch.no_grad():
        c, d = masked(tiny, make_batch()), plain(tiny, make_batch())
    torch.testing.assert_close(c["loss"], d["loss"])


def test_side_negatives_in_both_directions_and_diagnostics(tiny, make_batch) -> None:
    objective = create_objective("lexcmlp", tiny)
    side = _side_batch(make_batch)
    with torch.no_grad():
        a = objective(tiny, side, step=0)
        b = objective(tiny, make_batch(), step=0)
    assert float(a["dense_t2m"]) > float(b["dense_t2m"])  # mirrored motion joins t2m
    assert float(a["lexical_t2m"]) > float(b["lexical_t2m"])
    assert float(a["dense_m2t"]) > float(b["dense_m2t"])  # side caption joins m2t
    # one CAR column (caption 0's), one side column and one mirrored motion (caption 3's):
    # each accuracy is whether the true pair scores above that negative
    with torch.no_grad():
        m = tiny.forward_motion(side["patches"], side["row_mask"], lexical=False).dense.float()
        t = tiny.forward_text(side["texts"] + side["negative_texts"], lexical=False).dense.float()
        mirrored = tiny.forward_motion(side["negative_motion_patches"],
                                       side["negative_motion_row_mask"], lexical=False).dense
    n = len(side["texts"])
    assert float(a["car_accuracy"]) == float(m[0] @ t[0] > m[0] @ t[n])
    assert float(a["side_accuracy"]) == float(m[3] @ t[3] > m[3] @ t[n + 1])
    assert float(a["side_motion_accuracy"]) == float(m[3] @ t[3] > mirrored[0].float() @ t[3])
    assert "side_accuracy" not in b
    dense = create_objective("dense", tiny)
    with torch.no_grad():
        c = dense(tiny, side)
    torch.testing.assert_close(c["loss"], a["dense"])


def test_side_pair_weight_adds_its_term_to_both_objectives(tiny, make_batch) -> None:
    side = _side_batch(make_batch)
    cfg = ObjectiveConfig(side_pair_weight=2.0)
    with torch.no_grad():
        plain = create_objective("lexcmlp", tiny)(tiny, side, step=0)
        paired = create_objective("lexcmlp", tiny, cfg)(tiny, side, step=0)
        dense = create_objective("dense", tiny, cfg)(tiny, side)
    assert float(paired["dense_side_pair"]) > 0 and float(paired["lexical_side_pair"]) > 0
    assert "dense_side_pair" not in plain
    expected = plain["loss"] + 2.0 * (paired["dense_side_pair"]
                                      + cfg.lexical_loss_weight * paired["lexical_side_pair"])
    torch.testing.assert_close(paired["loss"], expected)
    torch.testing.assert_close(dense["loss"],
                               paired["dense"] + 2.0 * paired["dense_side_pair"])
    with torch.no_grad():  # a batch without side pairs adds nothing
        a = create_objective("lexcmlp", tiny, cfg)(tiny, make_batch(), step=0)
        b = create_objective("lexcmlp", tiny)(tiny, make_batch(), step=0)
    torch.testing.assert_close(a["loss"], b["loss"])


def test_negative_motion_logits_and_column_accuracy_hand_values() -> None:
    text = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    motions = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.0, -1.0]])
    # caption 2: a mirrored (slot 0) and a reordered motion (slot 1); caption 0: reordered
    out = negative_motion_logits(text, motions, torch.tensor([2, 2, 0]), torch.tensor([0, 1, 1]),
                                 lambda a, b: a @ b.t(), torch.tensor(10.0))
    assert out.shape == (3, 2)
    assert math.isinf(float(out[0, 0])) and math.isinf(float(out[1, 0]))
    assert math.isinf(float(out[1, 1]))
    torch.testing.assert_close(out[2], torch.tensor([8.0, 6.0]))
    torch.testing.assert_close(out[0, 1], torch.tensor(0.0))
    sim = torch.tensor([[0.9, 0.1, 0.5, 0.95], [0.2, 0.8, 0.1, 0.0]])
    owner, side = torch.tensor([0, 0]), torch.tensor([False, True])
    assert float(column_accuracy(sim, owner, ~side)) == 1.0
    assert float(column_accuracy(sim, owner, side)) == 0.0
    with pytest.raises(ValueError, match="1 / 1 entries for 2 negative columns"):
        column_accuracy(sim, owner[:1], side[:1])  # a short mask would score wrong columns


def test_word_term(tiny: MotionTextModel, make_batch) -> None:
    cfg = dataclasses.replace(ObjectiveConfig(), lexical_word_weight=0.5)
    objective = create_objective("lexcmlp", tiny, cfg)
    out = objective(tiny, make_batch(), step=0)
    assert math.isfinite(float(out["lexical_word"])) and float(out["lexical_word"]) > 0
    out["loss"].backward()
    grads = [p.grad for p in tiny.motion_lexical.parameters() if p.grad is not None]
    assert grads and any(float(g.abs().sum()) > 0 for g in grads)
    tiny.zero_grad()
    # under DDP the (B, V) max logits are gathered for this term alone
    assert objective.gathered_fields() == ("dense", "lexical", "max_logits")
    assert create_objective("lexcmlp", tiny).gathered_fields() == ("dense", "lexical")
    assert create_objective("dense", tiny).gathered_fields() == ("dense", "lexical")


def test_motion_pair_loss_hand_values() -> None:
    logits = torch.tensor([[2.0, 0.0, 5.0], [0.0, 1.0, 0.0]])  # 2 captions, 1 extra column
    extra = torch.tensor([[0.0], [float("-inf")]])  # only caption 0 has a negative motion
    expected = torch.nn.functional.softplus(torch.tensor(0.0 - 2.0))
    torch.testing.assert_close(motion_pair_loss(logits, extra), expected)
    none = torch.full((2, 1), float("-inf"))
    assert float(motion_pair_loss(logits, none)) == 0.0


def test_order_negatives_join_text_to_motion_with_their_pair_term(tiny, make_batch) -> None:
    order = _order_batch(make_batch)
    cfg = ObjectiveConfig(order_pair_weight=2.0)
    with torch.no_grad():
        plain = create_objective("lexcmlp", tiny)(tiny, make_batch(), step=0)
        a = create_objective("lexcmlp", tiny)(tiny, order, step=0)
        paired = create_objective("lexcmlp", tiny, cfg)(tiny, order, step=0)
        dense = create_objective("dense", tiny, cfg)(tiny, order)
    assert float(a["dense_t2m"]) > float(plain["dense_t2m"])  # reordered motion joins t2m
    assert float(a["lexical_t2m"]) > float(plain["lexical_t2m"])
    torch.testing.assert_close(a["dense_m2t"], plain["dense_m2t"])  # no new caption column
    with torch.no_grad():  # caption 2's own motion above its reordered one?
        m2 = tiny.forward_motion(order["patches"][2:3], order["row_mask"][2:3],
                                 lexical=False).dense[0].float()
        r2 = tiny.forward_motion(order["negative_motion_patches"],
                                 order["negative_motion_row_mask"], lexical=False).dense[0].float()
        t2 = tiny.forward_text(order["texts"][2:3], lexical=False).dense[0].float()
    assert float(a["order_motion_accuracy"]) == float(m2 @ t2 > r2 @ t2)
    assert "side_motion_accuracy" not in a and "order_motion_accuracy" not in plain
    assert "dense_order_pair" not in a
    expected = a["loss"] + 2.0 * (paired["dense_order_pair"]
                                  + cfg.lexical_loss_weight * paired["lexical_order_pair"])
    torch.testing.assert_close(paired["loss"], expected)
    torch.testing.assert_close(dense["loss"], a["dense"] + 2.0 * paired["dense_order_pair"])
    # the loss's gradient reaches the reordered motion's patches
    order["negative_motion_patches"].requires_grad_(True)
    create_objective("dense", tiny, cfg)(tiny, order)["loss"].backward()
    assert order["negative_motion_patches"].grad.abs().sum() > 0


def test_a_caption_with_both_kinds_keeps_each_in_its_slot(tiny, make_batch) -> None:
    """Caption 3 names a side and is composed: its mirrored motion feeds only the side pair
    term and the side diagnostic, its reordered motion only the order ones (hand-built from
    the dense features)."""
    batch = _side_batch(make_batch)
    g = torch.Generator().manual_seed(5)
    mirrored = batch["negative_motion_patches"]
    reordered = torch.randn(1, 3, 224, 80, generator=g)
    batch["negative_motion_patches"] = torch.cat([mirrored, reordered])
    batch["negative_motion_row_mask"] = batch["row_mask"][[3, 3]].clone()
    batch["negative_motion_owner"] = torch.tensor([3, 3])
    batch["negative_motion_kind"] = torch.tensor([0, 1])
    cfg = ObjectiveConfig(side_pair_weight=1.0, order_pair_weight=1.0)
    objective = create_objective("dense", tiny, cfg)
    with torch.no_grad():
        out = objective(tiny, batch)
        m = tiny.forward_motion(batch["patches"], batch["row_mask"], lexical=False).dense
        t = tiny.forward_text(batch["texts"] + batch["negative_texts"], lexical=False).dense
        neg = tiny.forward_motion(batch["negative_motion_patches"],
                                  batch["negative_motion_row_mask"], lexical=False).dense
        scale = tiny.dense_scale()
    n = len(batch["texts"])
    logits = scale * (m.float() @ t.float().t())
    slot = torch.full((n, 1), float("-inf"))
    side_slot, order_slot = slot.clone(), slot.clone()
    side_slot[3, 0] = scale * (t[3].float() @ neg[0].float())
    order_slot[3, 0] = scale * (t[3].float() @ neg[1].float())
    side = side_pair_loss(logits, batch["negative_owner"], batch["negative_side"], side_slot)
    order = motion_pair_loss(logits, order_slot)
    torch.testing.assert_close(out["dense_side_pair"], side, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(out["dense_order_pair"], order, rtol=1e-4, atol=1e-5)
    assert float(out["dense_order_pair"]) > 0
    sim = logits / scale
    expected = float(sim[3, 3] > order_slot[3, 0] / scale)
    assert float(out["order_motion_accuracy"]) == expected
    assert float(out["side_motion_accuracy"]) == float(sim[3, 3] > side_slot[3, 0] / scale)


def test_car_pair_term_is_the_pair_loss_of_the_car_columns(tiny, make_batch) -> None:
    """The CAR pair term scores each caption against its shuffled-event captions only (not the
    side columns) and adds to both objectives' losses with its weight."""
    batch = _side_batch(make_batch)  # column 0: CAR (owner 0), column 1: side (owner 3)
    cfg = ObjectiveConfig(car_pair_weight=2.0)
    with torch.no_grad():
        plain = create_objective("dense", tiny)(tiny, batch)
        paired = create_objective("dense", tiny, cfg)(tiny, batch)
        lex = create_objective("lexcmlp", tiny, cfg)(tiny, batch, step=0)
        m = tiny.forward_motion(batch["patches"], batch["row_mask"], lexical=False).dense
        t = tiny.forward_text(batch["texts"] + batch["negative_texts"], lexical=False).dense
        logits = tiny.dense_scale() * (m.float() @ t.float().t())
    expected = torch.nn.functional.softplus(logits[0, 4] - logits[0, 0])  # CAR column only
    torch.testing.assert_close(paired["dense_car_pair"], expected, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(paired["loss"], plain["loss"] + 2.0 * paired["dense_car_pair"])
    assert float(lex["lexical_car_pair"]) > 0 and "dense_side_pair" not in paired


def test_lexcmlp_loss_is_dense_plus_weighted_lexical_and_flops_of_normalised_vectors(
        tiny, make_batch) -> None:
    """The LexCMLP total with a lexical weight that is not 1 and FLOPS at full weight:
    ``dense + w * lexical + fw * flops``, where FLOPS is taken on the L2-normalised lexical
    vectors that the cosine lexical similarity compares (Sec. 3.2 of LexLIP; SPLADE's
    regulariser on the vectors the score uses)."""
    import torch.nn.functional as F

    from motionlex.core.train.losses import flops_loss

    assert tiny.config.lexical_similarity == "cosine"
    batch = make_batch()
    cfg = ObjectiveConfig(lexical_loss_weight=0.25, flops_max_weight=0.5)
    with torch.no_grad():
        out = create_objective("lexcmlp", tiny, cfg)(tiny, batch, step=None)
        m = tiny.forward_motion(batch["patches"], batch["row_mask"], lexical=True).lexical
        t = tiny.forward_text(batch["texts"], lexical=True).lexical
    flops = flops_loss(F.normalize(m.float(), dim=-1)) + flops_loss(F.normalize(t.float(), dim=-1))
    torch.testing.assert_close(out["flops"], flops)
    assert float(out["flops_weight"]) == 0.5
    torch.testing.assert_close(out["loss"], out["dense"] + 0.25 * out["lexical"] + 0.5 * flops)
    assert not torch.allclose(flops, flops_loss(m) + flops_loss(t))  # normalising matters


def test_near_duplicate_threshold_masks_similar_captions_in_both_terms(tiny, make_batch) -> None:
    """TMR's filtering wired into the objective: at threshold -1 every other caption of the
    batch counts as a duplicate, so a caption's only candidate is its own motion (the
    text-to-motion losses, which have no extra columns here, are 0); at 1 nothing is masked
    beyond identical captions."""
    batch = make_batch()
    with torch.no_grad():
        plain = create_objective("lexcmlp", tiny)(tiny, batch, step=0)
        everything = create_objective("lexcmlp", tiny, ObjectiveConfig(
            near_duplicate_threshold=-1.0))(tiny, batch, step=0)
        nothing = create_objective("lexcmlp", tiny, ObjectiveConfig(
            near_duplicate_threshold=1.0))(tiny, batch, step=0)
    assert float(plain["dense_t2m"]) > 0.1 and float(plain["lexical_t2m"]) > 0.1
    assert float(everything["dense_t2m"]) == pytest.approx(0.0, abs=1e-6)
    assert float(everything["lexical_t2m"]) == pytest.approx(0.0, abs=1e-6)
    assert float(everything["dense_m2t"]) < float(plain["dense_m2t"])
    torch.testing.assert_close(nothing["loss"], plain["loss"])


def test_lexcmlp_with_dot_lexical_similarity_regularises_the_raw_vectors(make_batch) -> None:
    """``lexical_similarity: dot`` (SPLADE's own score): FLOPS acts on the un-normalised
    vectors that the dot product compares, and the lexical InfoNCE is finite and trains
    (a gradient reaches its temperature)."""
    from motionlex.core.model.factory import create_model
    from motionlex.core.train.losses import flops_loss

    torch.manual_seed(0)
    model = create_model("tiny", device="cpu", lexical_similarity="dot").eval()
    batch = make_batch()
    objective = create_objective("lexcmlp", model, ObjectiveConfig(flops_max_weight=0.5))
    out = objective(model, batch, step=None)
    with torch.no_grad():
        m = model.forward_motion(batch["patches"], batch["row_mask"], lexical=True).lexical
        t = model.forward_text(batch["texts"], lexical=True).lexical
    torch.testing.assert_close(out["flops"].detach(), flops_loss(m) + flops_loss(t))
    assert math.isfinite(float(out["lexical"]))
    out["loss"].backward()
    assert float(model.lexical_logit_scale.grad.abs()) > 0  # only the lexical term uses it
