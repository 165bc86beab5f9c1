"""Per-phase objectives: losses from model features, batch checks, decoders
(core/train/objectives.py)."""

from __future__ import annotations

import math

import pytest
import torch

from motionlex.core.model.factory import create_model
from motionlex.core.model.model import MotionTextModel
from motionlex.core.train.losses import uniformity_loss
from motionlex.core.train.objective import ObjectiveConfig
from motionlex.core.train.objectives import (
    OBJECTIVES,
    PHASES,
    bottleneck_weights,
    check_batch,
    create_objective,
)


def test_phase_list_is_defined_once_in_run_order() -> None:
    assert PHASES == ("mlmhead", "lexmlm", "cmmm", "lexmmm", "lexcmlp", "dense")
    assert tuple(OBJECTIVES) == PHASES
    assert all(OBJECTIVES[p].phase == p for p in PHASES)


@pytest.mark.parametrize("phase", PHASES)
def test_phase_loss_goes_down(phase: str, make_batch) -> None:
    torch.manual_seed(0)
    model = create_model("tiny", device="cpu").eval()  # eval: no dropout noise
    objective = create_objective(phase, model, ObjectiveConfig(decoder_layers=1)).eval()
    params = list(model.parameters()) + list(objective.parameters())
    opt = torch.optim.Adam(params, lr=3e-3)
    batch = make_batch()

    def loss() -> dict[str, torch.Tensor]:  # same masks every step
        return objective(model, batch, generator=torch.Generator().manual_seed(123))

    first = loss()
    assert first["loss"].requires_grad
    assert all(not v.requires_grad for k, v in first.items() if k != "loss")
    for _ in range(5):
        opt.zero_grad()
        loss()["loss"].backward()
        opt.step()
    with torch.no_grad():
        last = float(loss()["loss"])
    assert last < 0.95 * first["loss"].item()


def test_decoders_belong_to_their_objective_not_to_the_model(tiny: MotionTextModel) -> None:
    assert not any(k.startswith("phase_heads.") for k in tiny.state_dict())
    sizes = {p: sum(t.numel() for t in create_objective(p, tiny).parameters()) for p in PHASES}
    assert sizes["lexmlm"] > 0 and sizes["cmmm"] > 0 and sizes["lexmmm"] > 0
    assert sizes["mlmhead"] == sizes["lexcmlp"] == sizes["dense"] == 0


def test_lexcmlp_negatives_raise_m2t_only(tiny: MotionTextModel, make_batch) -> None:
    objective = create_objective("lexcmlp", tiny)
    batch = make_batch()
    plain = {k: v for k, v in batch.items() if not k.startswith("negative")}
    with torch.no_grad():
        a = objective(tiny, batch, step=0)
        b = objective(tiny, plain, step=0)
        full = objective(tiny, plain)
    assert float(a["dense_m2t"]) > float(b["dense_m2t"])
    assert float(a["lexical_m2t"]) > float(b["lexical_m2t"])
    torch.testing.assert_close(a["dense_t2m"], b["dense_t2m"], atol=1e-5, rtol=0)
    assert "car_accuracy" in a and "car_accuracy" not in b
    assert float(a["flops_weight"]) == 0.0  # quadratic warm-up starts at 0
    assert float(full["flops_weight"]) == pytest.approx(ObjectiveConfig().flops_max_weight)


def test_dense_phase_is_the_dense_term_of_lexcmlp(tiny: MotionTextModel, make_batch) -> None:
    batch = make_batch()
    plain = {k: v for k, v in batch.items() if not k.startswith("negative")}
    with torch.no_grad():
        dense = create_objective("dense", tiny)(tiny, plain)
        lex = create_objective("lexcmlp", tiny)(tiny, plain)
        dense_car = create_objective("dense", tiny)(tiny, batch)
        lex_car = create_objective("lexcmlp", tiny)(tiny, batch)
    assert set(dense) == {"loss", "dense_m2t", "dense_t2m"}
    torch.testing.assert_close(dense["loss"], lex["dense"])
    # the dense rung of the ablation ladder takes CAR negatives when the batch has them
    assert "car_accuracy" in dense_car
    torch.testing.assert_close(dense_car["loss"], lex_car["dense"])


def test_bf16_autocast_loss(tiny: MotionTextModel, make_batch) -> None:
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        loss = create_objective("lexcmlp", tiny)(tiny, make_batch())["loss"]
    assert math.isfinite(float(loss))


def test_check_batch_rejects_unknown_phase(make_batch) -> None:
    with pytest.raises(ValueError, match="known phases: mlmhead, lexmlm, cmmm, lexmmm, lexcmlp"):
        check_batch("pretrain", make_batch())
    with pytest.raises(ValueError, match="known phases: .*dense"):
        create_objective("pretrain", create_model("tiny", device="cpu"))


def test_check_batch_rejects_missing_keys(tiny: MotionTextModel) -> None:
    with pytest.raises(ValueError, match=r"lacks \['texts'\]"):
        create_objective("lexcmlp", tiny)(
            tiny, {"patches": torch.zeros(1), "row_mask": torch.zeros(1)}
        )


def test_check_batch_rejects_caption_count(make_batch) -> None:
    batch = make_batch()
    batch["texts"] = batch["texts"][:3]
    with pytest.raises(ValueError, match="texts has 3 captions but patches have 4"):
        check_batch("lexcmlp", batch)


def test_check_batch_rejects_missing_negative_owner(make_batch) -> None:
    batch = make_batch()
    del batch["negative_owner"]
    with pytest.raises(ValueError, match=r"negative_owner must be \(1,\)"):
        check_batch("lexcmlp", batch)


def test_lexical_align_term_pulls_motion_words_to_the_caption_only(
    tiny: MotionTextModel, make_batch
) -> None:
    """lexcmlp with lexical_align_weight adds 1 - cos(w_motion, sg(w_text)): the loss grows by
    exactly that term, and the term sends no gradient into the text side (the
    shared word embeddings apart)."""
    model = create_model("tiny", device="cpu")
    model.load_state_dict(tiny.state_dict())
    model.eval()  # no dropout: the two losses see the same forward pass
    batch = make_batch(2)
    base = create_objective("lexcmlp", model)(model, batch)
    out = create_objective("lexcmlp", model, ObjectiveConfig(lexical_align_weight=1.0))(
        model, batch
    )
    assert "lexical_align" not in base and 0.0 <= float(out["lexical_align"]) <= 2.0
    gap = float((out["loss"] - base["loss"]).detach())
    assert gap == pytest.approx(float(out["lexical_align"]), abs=1e-5)
    model.zero_grad()
    (out["loss"] - base["loss"]).backward()
    # the motion head's decoder is the (shared) word-embedding matrix; nothing else of text
    shared = model.text.word_embeddings
    text_grads = [
        p.grad for p in model.text.parameters() if p.grad is not None and p is not shared
    ]
    assert text_grads and max(float(g.abs().max()) for g in text_grads) < 1e-6
    assert float(model.motion_lexical.dense.weight.grad.abs().max()) > 0


def test_lexmmm_uniformity_term_is_added_and_spreads_the_dense_space(make_batch) -> None:
    """With ``lexmmm_uniformity_weight`` LexMMM's loss is reconstruction + weight *
    uniformity of the motions' dense embeddings, and a few steps of it leave the dense
    embeddings more spread out than reconstruction alone does (the collapse it guards)."""
    batch = make_batch()
    spreads = {}
    for weight in (0.0, 1.0):
        torch.manual_seed(0)
        model = create_model("tiny", device="cpu").eval()
        cfg = ObjectiveConfig(decoder_layers=1, lexmmm_uniformity_weight=weight)
        objective = create_objective("lexmmm", model, cfg).eval()
        out = objective(model, batch, generator=torch.Generator().manual_seed(1))
        if weight:
            assert out["loss"].item() == pytest.approx(
                float(out["reconstruction"]) + weight * float(out["uniformity"]), rel=1e-5)
        else:
            assert "uniformity" not in out
        opt = torch.optim.Adam(list(model.parameters()) + list(objective.parameters()), lr=3e-3)
        for _ in range(8):
            opt.zero_grad()
            objective(model, batch, generator=torch.Generator().manual_seed(1))["loss"].backward()
            opt.step()
        with torch.no_grad():
            p, m = model.prepare_motion(batch["patches"], batch["row_mask"])
            spreads[weight] = float(uniformity_loss(model.forward_motion(p, m).dense))
    assert spreads[1.0] < spreads[0.0]


def test_lexmmm_without_trunk_gradient_trains_the_lexical_head_only(make_batch) -> None:
    """``lexmmm_trunk_gradient=False``: the same loss value, but only the motion lexical head
    (and the decoder) get gradients; the trunk and the dense projection get none, so the
    dense embeddings are unchanged by a LexMMM step."""
    batch = make_batch()
    losses = {}
    for through in (True, False):
        torch.manual_seed(0)
        model = create_model("tiny", device="cpu").eval()
        cfg = ObjectiveConfig(decoder_layers=1, lexmmm_trunk_gradient=through)
        objective = create_objective("lexmmm", model, cfg).eval()
        out = objective(model, batch, generator=torch.Generator().manual_seed(1))
        out["loss"].backward()
        losses[through] = out["loss"].item()
        trunk = [p.grad for p in model.motion.parameters()]
        proj = [p.grad for p in model.motion_proj.parameters()]
        head = [p.grad for p in model.motion_lexical.parameters() if p.requires_grad]
        assert any(g is not None and g.abs().sum() > 0 for g in head)
        assert all(p.grad is not None for p in objective.decoder.parameters())
        if through:
            assert any(g is not None and g.abs().sum() > 0 for g in trunk)
        else:
            assert all(g is None for g in trunk + proj)
    assert losses[False] == pytest.approx(losses[True], rel=1e-5)


def test_lexmmm_uniformity_needs_the_trunk_gradient() -> None:
    with pytest.raises(ValueError, match="lexmmm_trunk_gradient"):
        ObjectiveConfig(lexmmm_uniformity_weight=1.0, lexmmm_trunk_gradient=False)


def test_bottleneck_weights_softmax_sharpens_with_scale_lexical_does_not() -> None:
    logits = torch.tensor([[3.0, 1.0, -2.0, torch.finfo(torch.float32).min]])
    for kind in ("softmax", "lexical"):
        w = bottleneck_weights(logits, kind)
        assert w.sum().item() == pytest.approx(1.0) and (w >= 0).all()
        assert w[0, 3] == 0  # an excluded word carries nothing
    lex = torch.log1p(torch.tensor([3.0, 1.0]))
    assert torch.allclose(bottleneck_weights(logits, "lexical")[0, :2], lex / lex.sum())
    assert bottleneck_weights(logits, "lexical")[0, 2] == 0  # relu: a negative logit is out
    soft = [bottleneck_weights(logits * c, "softmax")[0, 0].item() for c in (1, 10)]
    lexical = [bottleneck_weights(logits * c, "lexical")[0, 0].item() for c in (1, 10)]
    assert soft[1] > soft[0] > 0.8  # growing logits sharpen the softmax bottleneck ...
    assert lexical[1] < lexical[0] < 0.7  # ... and flatten the lexical one
    assert bottleneck_weights(torch.full((1, 3), -1.0), "lexical").sum() == 0
    with pytest.raises(ValueError, match="unknown bottleneck"):
        bottleneck_weights(logits, "mean")
    with pytest.raises(ValueError, match="lexmmm_bottleneck"):
        ObjectiveConfig(lexmmm_bottleneck="mean")


def test_lexmmm_lexical_bottleneck_loss_goes_down(make_batch) -> None:
    torch.manual_seed(0)
    model = create_model("tiny", device="cpu").eval()
    cfg = ObjectiveConfig(decoder_layers=1, lexmmm_bottleneck="lexical")
    objective = create_objective("lexmmm", model, cfg).eval()
    opt = torch.optim.Adam(list(model.parameters()) + list(objective.parameters()), lr=3e-3)
    batch = make_batch()
    first = objective(model, batch, generator=torch.Generator().manual_seed(1))["loss"].item()
    for _ in range(5):
        opt.zero_grad()
        objective(model, batch, generator=torch.Generator().manual_seed(1))["loss"].backward()
        opt.step()
    last = objective(model, batch, generator=torch.Generator().manual_seed(1))["loss"].item()
    assert last < 0.95 * first


def test_lexmlm_decoder_reads_its_own_more_masked_caption(tiny: MotionTextModel, make_batch,
                                                          monkeypatch) -> None:
    """LexMAE's two masks (Shen et al., Sec. 3): the encoder reads the caption masked at
    ``lexmlm_encoder_mask_prob`` (30 %), the decoder a second copy masked at
    ``lexmlm_decoder_mask_prob`` (50 %), so it must take the missing words from the lexical
    bottleneck; each MLM loss is scored on its own copy's masked tokens."""
    import motionlex.core.train.objectives as objectives

    masks, embedded, scored = [], [], []
    real_mask, real_loss = objectives.mask_caption, objectives.masked_lm_loss

    def mask_caption(model, ids, eligible, probability, generator):
        masks.append((probability, *real_mask(model, ids, eligible, probability, generator)))
        return masks[-1][1:]

    monkeypatch.setattr(objectives, "mask_caption", mask_caption)
    monkeypatch.setattr(objectives, "masked_lm_loss",
                        lambda logits, labels: scored.append(labels) or real_loss(logits, labels))
    real_embed = tiny.text.embed_tokens
    monkeypatch.setattr(tiny.text, "embed_tokens", lambda ids: embedded.append(ids)
                        or real_embed(ids))
    cfg = ObjectiveConfig(decoder_layers=1)
    with torch.no_grad():
        create_objective("lexmlm", tiny, cfg)(tiny, make_batch(),
                                              generator=torch.Generator().manual_seed(0))
    (enc_p, enc_ids, enc_labels), (dec_p, dec_ids, dec_labels) = masks
    assert (enc_p, dec_p) == (cfg.lexmlm_encoder_mask_prob, cfg.lexmlm_decoder_mask_prob)
    assert any(torch.equal(e, dec_ids) for e in embedded)  # the decoder's input
    assert not torch.equal(enc_ids, dec_ids)
    assert torch.equal(scored[0], enc_labels) and torch.equal(scored[1], dec_labels)


def test_lexmmm_decoder_sees_the_visible_patches_and_is_scored_on_the_hidden(
        tiny: MotionTextModel, make_batch, monkeypatch) -> None:
    """LexMMM (masked motion modelling through the bottleneck): the decoder is given the
    real patches that are not hidden (75 % of them are), and the reconstruction loss counts
    the hidden ones only, never padding."""
    import motionlex.core.train.objectives as objectives

    seen: dict = {}
    real_mask, real_loss = objectives.random_patch_mask, objectives.masked_patch_loss

    def random_patch_mask(valid, ratio, generator):
        seen["valid"], seen["ratio"] = valid, ratio
        seen["hidden"] = real_mask(valid, ratio, generator)
        return seen["hidden"]

    monkeypatch.setattr(objectives, "random_patch_mask", random_patch_mask)
    monkeypatch.setattr(objectives, "masked_patch_loss", lambda pred, target, mask: seen.update(
        scored=mask) or real_loss(pred, target, mask))
    cfg = ObjectiveConfig(decoder_layers=1)
    objective = create_objective("lexmmm", tiny, cfg)
    objective.decoder.register_forward_pre_hook(
        lambda module, args: seen.update(visible=args[2], decoder_valid=args[3]))
    with torch.no_grad():
        objective(tiny, make_batch(), generator=torch.Generator().manual_seed(0))
    valid, hidden = seen["valid"], seen["hidden"]
    assert seen["ratio"] == cfg.lexmmm_decoder_mask_ratio and bool((~valid).any())
    assert torch.equal(seen["visible"], valid & ~hidden)
    assert torch.equal(seen["decoder_valid"], valid)
    assert torch.equal(seen["scored"], hidden) and not bool((hidden & ~valid).any())


def test_cmmm_averages_both_views_reconstructions_and_contrasts_them_at_its_temperature(
        tiny: MotionTextModel, make_batch, monkeypatch) -> None:
    """CMMM: two views with different random masks; ``reconstruction`` is the mean of their
    masked-patch losses, ``contrastive`` the InfoNCE of view 1 against view 2 at
    ``cmmm_temperature`` (logits divided by it), and the total weighs it by
    ``cmmm_contrastive_weight``."""
    import motionlex.core.train.objectives as objectives
    from motionlex.core.train.losses import contrastive_loss

    views, losses = [], []
    real_forward, real_loss = tiny.forward_motion, objectives.masked_patch_loss

    def forward_motion(*args, **kwargs):
        out = real_forward(*args, **kwargs)
        views.append((kwargs["bool_masked_pos"], out.dense))
        return out

    monkeypatch.setattr(tiny, "forward_motion", forward_motion)
    monkeypatch.setattr(objectives, "masked_patch_loss", lambda pred, target, mask: losses.append(
        real_loss(pred, target, mask)) or losses[-1])
    cfg = ObjectiveConfig(decoder_layers=1, cmmm_temperature=0.2, cmmm_contrastive_weight=0.3)
    with torch.no_grad():
        out = create_objective("cmmm", tiny, cfg)(tiny, make_batch(),
                                                  generator=torch.Generator().manual_seed(0))
    (mask1, d1), (mask2, d2) = views
    assert not torch.equal(mask1, mask2) and len(losses) == 2
    torch.testing.assert_close(out["reconstruction"], (losses[0] + losses[1]) / 2)
    con = contrastive_loss((d1.float() @ d2.float().t()) / 0.2).loss
    torch.testing.assert_close(out["contrastive"], con)
    torch.testing.assert_close(out["loss"], out["reconstruction"] + 0.3 * con)
