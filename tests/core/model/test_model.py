"""MotionTextModel: config, registry, outputs, padding, tying, phases, save/load (core/model.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from motionlex.core.model.encoders import MINILM_PACKAGE_ID, resolve_text_source
from motionlex.core.model.model import (
    CONFIG_VERSION,
    MotionTextConfig,
    MotionTextModel,
    create_model,
    list_models,
    model_config,
)
from motionlex.core.train.objectives import PHASES

CAPTIONS = [
    "a person walks forward then turns around",
    "someone jumps up twice",
    "a man sits down on a chair",
    "the person waves with the right hand",
]
LENGTHS = [14, 9, 5, 2]


def _batch(seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    row_mask = torch.zeros(4, 14, dtype=torch.bool)
    for i, n in enumerate(LENGTHS):
        row_mask[i, :n] = True
    return {
        "patches": torch.randn(4, 3, 224, 80, generator=g),
        "row_mask": row_mask,
        "texts": list(CAPTIONS),
        "negative_texts": ["then turns around a person walks forward"],
        "negative_owner": torch.tensor([0]),
    }


@pytest.fixture(scope="module")
def tiny() -> MotionTextModel:
    torch.manual_seed(0)
    return create_model("tiny", device="cpu").eval()


@pytest.fixture(scope="module")
def tiny_text_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small 'pretrained' BERT on the MiniLM vocabulary, saved like a hub checkpoint."""
    from transformers import AutoTokenizer, BertConfig, BertForMaskedLM

    d = tmp_path_factory.mktemp("tinybert")
    torch.manual_seed(1)
    cfg = BertConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64
    )
    BertForMaskedLM(cfg).save_pretrained(d)
    AutoTokenizer.from_pretrained(resolve_text_source(MINILM_PACKAGE_ID)).save_pretrained(d)
    return d


def _outputs(model: MotionTextModel, batch: dict) -> list[torch.Tensor]:
    with torch.no_grad():
        m = model.forward_motion(batch["patches"], batch["row_mask"])
        t = model.forward_text(batch["texts"])
    return [m.dense, m.lexical, t.dense, t.lexical]


def _changed_base(source: Path, model: MotionTextModel, out: Path) -> Path:
    """A copy of the 'pretrained' text model at ``source`` whose layer 0 differs slightly."""
    from transformers import BertForMaskedLM

    base = BertForMaskedLM.from_pretrained(source)
    with torch.no_grad():
        base.bert.encoder.layer[0].output.dense.weight.add_(0.01)
    base.save_pretrained(out)
    model.tokenizer.save_pretrained(out)
    return out


# -- config and registry --------------------------------------------------------------------------


def test_config_round_trip_through_json() -> None:
    cfg = model_config("tiny")
    again = MotionTextConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg
    assert cfg.version == CONFIG_VERSION
    assert cfg.image_size == (224, 80)
    a, b = MotionTextConfig(), MotionTextConfig()
    assert a.text_random_init is not b.text_random_init  # default_factory, not shared


def test_config_from_dict_rejects_other_version() -> None:
    data = model_config("tiny").to_dict()
    data["version"] = CONFIG_VERSION - 1
    with pytest.raises(ValueError, match=f"config version {CONFIG_VERSION - 1}"):
        MotionTextConfig.from_dict(data)


def test_config_from_dict_rejects_unknown_keys() -> None:
    data = model_config("tiny").to_dict()
    data["temperature"] = 0.07
    with pytest.raises(ValueError, match=r"unknown config keys \['temperature'\]"):
        MotionTextConfig.from_dict(data)


def test_config_rejects_invalid_values() -> None:
    with pytest.raises(ValueError, match="text_pooling must be 'mean' or 'cls'"):
        MotionTextConfig(text_pooling="max")
    with pytest.raises(ValueError, match="multiple of patch_size"):
        MotionTextConfig(max_frames=200)


def test_registry_names_and_overrides() -> None:
    assert {"tiny", "cpu-small", "paper-base"} <= set(list_models())
    assert model_config("tiny", embed_dim=None).embed_dim == 32  # None overrides are dropped
    assert model_config("tiny", embed_dim=64).embed_dim == 64
    small = model_config("cpu-small")
    assert (small.motion_layers, small.motion_hidden_size, small.text_model) == (
        4,
        256,
        MINILM_PACKAGE_ID,
    )
    base = model_config("paper-base")
    assert base.motion_pretrained == "google/vit-base-patch16-224-in21k"
    assert base.text_model == "distilbert-base-uncased" and base.text_pooling == "cls"


def test_create_model_rejects_unknown_name() -> None:
    with pytest.raises(ValueError, match="known models: .*cpu-small.*tiny"):
        create_model("huge")


def test_create_model_rejects_unknown_override() -> None:
    with pytest.raises(ValueError, match=r"unknown config fields \['widht'\]"):
        create_model("tiny", widht=3)


# -- outputs --------------------------------------------------------------------------------------


def test_output_shapes_norms_and_non_negativity(tiny: MotionTextModel) -> None:
    batch = _batch()
    dm, lm, dt, lt = _outputs(tiny, batch)
    assert dm.shape == dt.shape == (4, 32)
    assert lm.shape == lt.shape == (4, 30522)
    torch.testing.assert_close(dm.norm(dim=-1), torch.ones(4))
    torch.testing.assert_close(dt.norm(dim=-1), torch.ones(4))
    assert bool((lm >= 0).all()) and bool((lt >= 0).all())
    ids = tiny.tokenizer.convert_tokens_to_ids(["[CLS]", "[SEP]", "[PAD]", "[MASK]", "[unused5]"])
    assert bool((lm[:, ids] == 0).all()) and bool((lt[:, ids] == 0).all())
    with torch.no_grad():
        torch.testing.assert_close(tiny.encode_motion(batch["patches"], batch["row_mask"]), dm)
        torch.testing.assert_close(tiny.encode_text(CAPTIONS), dt)
        torch.testing.assert_close(tiny.lexical_text(CAPTIONS), lt)
        torch.testing.assert_close(tiny.lexical_motion(batch["patches"], batch["row_mask"]), lm)


@pytest.mark.parametrize("lexical_tokens", ["patches", "rows"])
def test_padded_rows_change_nothing(tiny: MotionTextModel, lexical_tokens: str) -> None:
    model = tiny
    if lexical_tokens == "rows":
        torch.manual_seed(0)
        model = create_model("tiny", device="cpu", motion_lexical_tokens="rows").eval()
    batch = _batch()
    other = dict(batch, patches=batch["patches"].clone())
    g = torch.Generator().manual_seed(5)
    for b, n in enumerate(LENGTHS):
        pad = other["patches"][b, :, 16 * n :]
        pad.copy_(10 * torch.randn(pad.shape, generator=g))
    with torch.no_grad():
        a = model.forward_motion(batch["patches"], batch["row_mask"])
        b = model.forward_motion(other["patches"], other["row_mask"])
    torch.testing.assert_close(a.dense, b.dense, atol=1e-6, rtol=0)
    torch.testing.assert_close(a.lexical, b.lexical, atol=1e-5, rtol=0)
    assert bool((a.lexical >= 0).all())


def test_text_padding_changes_nothing(tiny: MotionTextModel) -> None:
    with torch.no_grad():
        alone = tiny.forward_text([CAPTIONS[1]])
        padded = tiny.forward_text([CAPTIONS[1], CAPTIONS[0] + " and again and again"])
    torch.testing.assert_close(alone.dense[0], padded.dense[0], atol=1e-5, rtol=0)
    torch.testing.assert_close(alone.lexical[0], padded.lexical[0], atol=1e-4, rtol=0)


def test_decoder_tied_to_word_embeddings(tiny: MotionTextModel) -> None:
    emb = tiny.text.word_embeddings
    assert tiny.text.mlm.get_output_embeddings().weight.data_ptr() == emb.data_ptr()
    own = [
        n
        for n, p in tiny.motion_lexical.named_parameters()
        if p.dim() == 2 and p.shape[0] == tiny.text.vocab_size
    ]
    assert own == []  # the motion head has no decoder matrix of its own
    batch = _batch()
    tiny.zero_grad()
    tiny.lexical_motion(batch["patches"], batch["row_mask"]).sum().backward()
    assert emb.grad is not None and float(emb.grad.abs().sum()) > 0
    tiny.zero_grad()


def test_top_words(tiny: MotionTextModel) -> None:
    w = torch.zeros(2, tiny.text.vocab_size)
    walk, jump = tiny.tokenizer.convert_tokens_to_ids(["walk", "jump"])
    w[0, walk], w[0, jump], w[1, jump] = 2.0, 1.0, 0.5
    assert tiny.top_words(w, k=3) == [[("walk", 2.0), ("jump", 1.0)], [("jump", 0.5)]]
    assert tiny.top_words(w[0], k=1) == [[("walk", 2.0)]]
    with pytest.raises(ValueError, match="V = 30522"):
        tiny.top_words(torch.ones(10))


def test_param_groups_partition_parameters(tiny: MotionTextModel) -> None:
    groups = tiny.param_groups()
    ids = [id(p) for ps in groups.values() for p in ps]
    assert len(ids) == len(set(ids)) == len(list(tiny.parameters()))
    assert any(p is tiny.text.word_embeddings for p in groups["text"])
    assert any(p is tiny.logit_scale for p in groups["heads"])
    # the text MLM head (the text lexical head) has its own group; its decoder is tied
    mlm_bias = tiny.text.mlm_decoder_bias()
    assert any(p is mlm_bias for p in groups["mlm_head"])
    assert not any(p is tiny.text.word_embeddings for p in groups["mlm_head"])
    assert len(groups["motion"]) == len(list(tiny.motion.parameters()))


def test_logit_scale_init_and_clamp() -> None:
    model = create_model("tiny", device="cpu")
    assert model.dense_scale().item() == pytest.approx(1 / 0.07, rel=1e-5)
    with torch.no_grad():
        model.logit_scale.fill_(math.log(1000.0))
    assert model.dense_scale().item() == pytest.approx(100.0)


def test_bf16_autocast_forward_and_loss(tiny: MotionTextModel) -> None:
    batch = _batch()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        m = tiny.forward_motion(batch["patches"], batch["row_mask"])
        t = tiny.forward_text(batch["texts"])
        loss = tiny.phase_loss("lexcmlp", batch)["loss"]
    assert m.lexical.dtype == torch.float32 and t.lexical.dtype == torch.float32
    assert bool(torch.isfinite(m.dense).all()) and bool(torch.isfinite(t.lexical).all())
    assert math.isfinite(float(loss))


# -- phases ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("phase", PHASES)
def test_phase_loss_goes_down(phase: str) -> None:
    torch.manual_seed(0)
    model = create_model("tiny", device="cpu").eval()  # eval: no dropout noise
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    batch = _batch()

    def loss() -> dict[str, torch.Tensor]:  # same masks every step
        return model.phase_loss(phase, batch, generator=torch.Generator().manual_seed(123))

    first = model(phase, batch, generator=torch.Generator().manual_seed(123))  # == phase_loss
    assert first["loss"].requires_grad
    assert all(not v.requires_grad for k, v in first.items() if k != "loss")
    for _ in range(5):
        opt.zero_grad()
        loss()["loss"].backward()
        opt.step()
    with torch.no_grad():
        last = float(loss()["loss"])
    assert last < 0.95 * first["loss"].item()


def test_lexcmlp_negatives_raise_m2t_only(tiny: MotionTextModel) -> None:
    batch = _batch()
    plain = {k: v for k, v in batch.items() if not k.startswith("negative")}
    with torch.no_grad():
        a = tiny.phase_loss("lexcmlp", batch, step=0)
        b = tiny.phase_loss("lexcmlp", plain, step=0)
    assert float(a["dense_m2t"]) > float(b["dense_m2t"])
    assert float(a["lexical_m2t"]) > float(b["lexical_m2t"])
    torch.testing.assert_close(a["dense_t2m"], b["dense_t2m"], atol=1e-5, rtol=0)
    assert "car_accuracy" in a and "car_accuracy" not in b
    assert float(a["flops_weight"]) == 0.0  # quadratic warm-up starts at 0
    assert float(tiny.phase_loss("lexcmlp", plain)["flops_weight"]) == pytest.approx(
        tiny.config.flops_max_weight
    )


def test_phase_loss_rejects_unknown_phase(tiny: MotionTextModel) -> None:
    with pytest.raises(ValueError, match="known phases: mlmhead, lexmlm, cmmm, lexmmm, lexcmlp"):
        tiny.phase_loss("pretrain", _batch())


def test_phase_loss_rejects_missing_keys(tiny: MotionTextModel) -> None:
    with pytest.raises(ValueError, match=r"lacks \['texts'\]"):
        tiny.phase_loss("lexcmlp", {"patches": torch.zeros(1), "row_mask": torch.zeros(1)})


def test_phase_loss_rejects_caption_count(tiny: MotionTextModel) -> None:
    batch = dict(_batch(), texts=CAPTIONS[:3])
    with pytest.raises(ValueError, match="texts has 3 captions but patches have 4"):
        tiny.phase_loss("lexcmlp", batch)


def test_phase_loss_rejects_missing_negative_owner(tiny: MotionTextModel) -> None:
    batch = _batch()
    del batch["negative_owner"]
    with pytest.raises(ValueError, match=r"negative_owner must be \(1,\)"):
        tiny.phase_loss("lexcmlp", batch)


def test_forward_motion_rejects_wrong_shapes(tiny: MotionTextModel) -> None:
    with pytest.raises(ValueError, match=r"row_mask must be bool \(2, 14\)"):
        tiny.forward_motion(torch.zeros(2, 3, 224, 80), torch.ones(2, 13, dtype=torch.bool))


# -- save / load ----------------------------------------------------------------------------------


def test_save_load_round_trip_is_bit_identical(tiny: MotionTextModel, tmp_path: Path) -> None:
    target = tmp_path / "ckpt"
    stats = {"mean": [0.0, 1.0], "std": [1.0, 2.0]}
    tiny.save_pretrained(target, extra_json={"patch_stats.json": stats})
    names = {p.name for p in target.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer", "patch_stats.json"} <= names
    assert json.loads((target / "patch_stats.json").read_text()) == stats
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]  # no temporary leftovers
    loaded = MotionTextModel.from_pretrained(target, device="cpu")
    batch = _batch()
    for x, y in zip(_outputs(tiny, batch), _outputs(loaded, batch)):
        assert torch.equal(x, y)
    assert loaded.text.mlm.get_output_embeddings().weight.data_ptr() == (
        loaded.text.word_embeddings.data_ptr()
    )
    tiny.save_pretrained(target)  # overwriting replaces the directory
    assert not (target / "patch_stats.json").exists()


def test_save_failure_leaves_no_partial_directory(
    tiny: MotionTextModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import safetensors.torch

    target = tmp_path / "ckpt"
    tiny.save_pretrained(target, extra_json={"marker.json": 1})

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(safetensors.torch, "save_file", broken)
    with pytest.raises(OSError, match="disk full"):
        tiny.save_pretrained(target)
    with pytest.raises(OSError, match="disk full"):
        tiny.save_pretrained(tmp_path / "fresh")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]
    assert json.loads((target / "marker.json").read_text()) == 1  # old checkpoint intact


def test_save_rejects_bad_extra_json(tiny: MotionTextModel, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="plain"):
        tiny.save_pretrained(tmp_path / "a", extra_json={"../x.json": {}})
    with pytest.raises(ValueError, match="plain"):
        tiny.save_pretrained(tmp_path / "a", extra_json={"config.json": {}})
    with pytest.raises(ValueError, match="not JSON-serialisable"):
        tiny.save_pretrained(tmp_path / "a", extra_json={"x.json": {1, 2}})
    assert not (tmp_path / "a").exists()


def test_save_rejects_file_target(tiny: MotionTextModel, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(FileExistsError, match="not a directory"):
        tiny.save_pretrained(tmp_path / "f")


def test_save_without_random_text_encoder_is_refused(tiny: MotionTextModel, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs a pretrained text model"):
        tiny.save_pretrained(tmp_path / "a", include_text_encoder=False)


def test_load_rejects_older_config_version(tiny: MotionTextModel, tmp_path: Path) -> None:
    tiny.save_pretrained(tmp_path / "c")
    cfg = json.loads((tmp_path / "c" / "config.json").read_text())
    cfg["version"] = 0
    (tmp_path / "c" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="config.json: config version 0"):
        MotionTextModel.from_pretrained(tmp_path / "c", device="cpu")


def _rewrite_weights(path: Path, edit) -> None:
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
    tensors = load_file(str(path))
    edit(tensors)
    save_file(tensors, str(path), metadata=meta)


def test_load_lists_missing_and_unexpected_tensors(tiny: MotionTextModel, tmp_path: Path) -> None:
    tiny.save_pretrained(tmp_path / "c")
    weights = tmp_path / "c" / "model.safetensors"

    def edit(t: dict) -> None:
        del t["motion_proj.weight"]
        t["extra.weight"] = torch.zeros(2)

    _rewrite_weights(weights, edit)
    with pytest.raises(ValueError) as err:
        MotionTextModel.from_pretrained(tmp_path / "c", device="cpu")
    assert "missing 1 ['motion_proj.weight']" in str(err.value)
    assert "unexpected 1 ['extra.weight']" in str(err.value)


def test_load_lists_shape_mismatch(tiny: MotionTextModel, tmp_path: Path) -> None:
    tiny.save_pretrained(tmp_path / "c")

    def edit(t: dict) -> None:
        t["motion_proj.weight"] = torch.zeros(3, 3)

    _rewrite_weights(tmp_path / "c" / "model.safetensors", edit)
    with pytest.raises(ValueError, match=r"motion_proj.weight: file \(3, 3\) vs model \(32, 32\)"):
        MotionTextModel.from_pretrained(tmp_path / "c", device="cpu")


def test_load_rejects_missing_files(tiny: MotionTextModel, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        MotionTextModel.from_pretrained(tmp_path / "nothing", device="cpu")
    tiny.save_pretrained(tmp_path / "c")
    (tmp_path / "c" / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="model.safetensors not found"):
        MotionTextModel.from_pretrained(tmp_path / "c", device="cpu")


def test_save_without_text_encoder_and_phase_heads(tiny_text_source: Path, tmp_path: Path) -> None:
    from safetensors import safe_open

    torch.manual_seed(0)
    model = create_model(
        "tiny", device="cpu", text_pretrained=True, text_model=str(tiny_text_source)
    ).eval()
    full, small = tmp_path / "full", tmp_path / "small"
    model.save_pretrained(full)
    model.save_pretrained(small, include_text_encoder=False, include_phase_heads=False)
    with safe_open(str(small / "model.safetensors"), framework="pt") as f:
        keys = list(f.keys())
    assert not any(k.startswith("text.mlm.bert.") or k.startswith("phase_heads.") for k in keys)
    assert "text.mlm.cls.predictions.transform.dense.weight" in keys  # trained MLM head is kept
    assert (small / "model.safetensors").stat().st_size < (
        full / "model.safetensors"
    ).stat().st_size
    loaded = MotionTextModel.from_pretrained(small, device="cpu")
    batch = _batch()
    for x, y in zip(_outputs(model, batch), _outputs(loaded, batch)):
        assert torch.equal(x, y)


def test_load_without_text_encoder_detects_changed_base(
    tiny_text_source: Path, tmp_path: Path
) -> None:

    torch.manual_seed(0)
    model = create_model(
        "tiny", device="cpu", text_pretrained=True, text_model=str(tiny_text_source)
    )
    model.save_pretrained(tmp_path / "small", include_text_encoder=False)
    other = _changed_base(tiny_text_source, model, tmp_path / "other_base")
    with pytest.raises(ValueError, match="differ from the ones"):
        MotionTextModel.from_pretrained(tmp_path / "small", device="cpu", text_source=str(other))


def test_create_model_loads_checkpoint_after_building(
    tiny: MotionTextModel, tmp_path: Path
) -> None:
    tiny.save_pretrained(tmp_path / "c")
    again = create_model("tiny", device="cpu", checkpoint_path=tmp_path / "c").eval()
    batch = _batch()
    for x, y in zip(_outputs(tiny, batch), _outputs(again, batch)):
        assert torch.equal(x, y)
    with pytest.raises(ValueError, match="shape mismatches 2 .*motion_proj.weight"):
        create_model("tiny", device="cpu", embed_dim=64, checkpoint_path=tmp_path / "c")


def test_create_model_checkpoint_without_weights(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="model.safetensors not found"):
        create_model("tiny", device="cpu", checkpoint_path=tmp_path)


# -- partial text fine-tuning and the caption vocabulary ---------------------------------------


def test_partial_text_checkpoint_stores_only_trainable_layers(
    tiny_text_source: Path, tmp_path: Path
) -> None:
    from safetensors import safe_open

    torch.manual_seed(0)
    model = create_model(
        "tiny", device="cpu", text_pretrained=True, text_model=str(tiny_text_source),
        text_trainable_layers=1,
    )
    layers = model.text.transformer_layers()
    assert all(p.requires_grad for p in layers[-1].parameters())
    assert not any(p.requires_grad for p in layers[0].parameters())
    assert not model.text.word_embeddings.requires_grad  # tied to the MLM decoder
    with torch.no_grad():  # what fine-tuning would do: only the top layer moves
        for p in layers[-1].parameters():
            p.add_(0.01)
    model.eval()
    model.save_pretrained(tmp_path / "partial", include_text_encoder="trainable")
    with safe_open(str(tmp_path / "partial" / "model.safetensors"), framework="pt") as f:
        keys, meta = set(f.keys()), f.metadata()
    top = f"text.mlm.bert.encoder.layer.{len(layers) - 1}."
    text_keys = {k for k in keys if k.startswith("text.mlm.bert.")}
    assert meta["text_encoder_included"] == "partial"
    assert text_keys and all(k.startswith(top) for k in text_keys)
    loaded = MotionTextModel.from_pretrained(tmp_path / "partial", device="cpu")
    batch = _batch()
    for x, y in zip(_outputs(model, batch), _outputs(loaded, batch)):
        assert torch.equal(x, y)
    # a base whose frozen layers differ is refused
    other = _changed_base(tiny_text_source, model, tmp_path / "other_base")
    with pytest.raises(ValueError, match="differ from the ones"):
        MotionTextModel.from_pretrained(tmp_path / "partial", device="cpu", text_source=str(other))


def test_partial_text_options_are_checked(tiny: MotionTextModel, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="trainable_layers must be in"):
        tiny.text.freeze_lower_layers(99)
    with pytest.raises(ValueError, match="text_trainable_layers must be -1"):
        model_config("tiny", text_trainable_layers=-2)
    with pytest.raises(ValueError, match="include_text_encoder must be"):
        tiny.save_pretrained(tmp_path / "x", include_text_encoder="some")
    with pytest.raises(ValueError, match="lexical_vocabulary must be one of"):
        model_config("tiny", lexical_vocabulary="words")
    with pytest.raises(ValueError, match="needs lexical_vocabulary='corpus'"):
        tiny.set_lexical_vocabulary([5, 6])


def test_corpus_vocabulary_keeps_motion_words(shared_data: Path) -> None:
    from motionlex.core.data.datasets import read_caption_corpus
    from motionlex.core.model.encoders import TextEncoder
    from motionlex.core.model.lexical import FUNCTION_WORDS, corpus_vocabulary

    tok = TextEncoder.from_pretrained(MINILM_PACKAGE_ID).tokenizer
    captions = read_caption_corpus(shared_data / "kitml_text", "train")
    ids = corpus_vocabulary(captions, tok)
    words = set(tok.convert_ids_to_tokens(ids))
    assert {"walks", "jumps", "left", "right", "forward", "backwards", "squat", "up"} <= words
    assert not words & FUNCTION_WORDS
    assert not any(w.startswith("##") or len(w) < 2 or not w.isascii() for w in words)
    assert 300 < len(ids) < 5000  # a caption vocabulary, far below the 30,522 WordPieces
    # a first piece of a longer word is no word: "cartwheel" -> "cart", "##wheel"
    assert tok.tokenize("cartwheel")[1].startswith("##") and "cart" not in words
    with pytest.raises(ValueError, match="at least one caption"):
        corpus_vocabulary([], tok)
    with pytest.raises(ValueError, match="no vocabulary word occurs"):
        corpus_vocabulary(["the the a"], tok)
    with pytest.raises(ValueError, match="min_count must be"):
        corpus_vocabulary(captions, tok, min_count=0)


def test_corpus_lexical_vectors_stay_in_vocabulary(
    tiny_text_source: Path, tmp_path: Path
) -> None:
    torch.manual_seed(0)
    model = create_model(
        "tiny", device="cpu", text_pretrained=True, text_model=str(tiny_text_source),
        lexical_vocabulary="corpus",
    ).eval()
    allowed = sorted({i for ids in model.tokenizer(list(CAPTIONS), add_special_tokens=False)[
        "input_ids"] for i in ids})
    model.set_lexical_vocabulary(allowed)
    batch = _batch()
    _, m_lex, _, t_lex = _outputs(model, batch)
    outside = torch.ones(m_lex.shape[1], dtype=torch.bool)
    outside[allowed] = False
    assert m_lex[:, outside].abs().sum() == 0 and t_lex[:, outside].abs().sum() == 0
    assert (t_lex[:, allowed] > 0).any() and (m_lex[:, allowed] > 0).any()
    model.save_pretrained(tmp_path / "c")
    again = MotionTextModel.from_pretrained(tmp_path / "c", device="cpu")
    assert torch.equal(again.lexical_allowed, model.lexical_allowed)
    for x, y in zip(_outputs(model, batch), _outputs(again, batch)):
        assert torch.equal(x, y)
    with pytest.raises(ValueError, match="need at least one vocabulary id"):
        model.set_lexical_vocabulary([10**7])


def test_corpus_vocabulary_logits_match_the_full_vocabulary_path(shared_data: Path) -> None:
    """Lexical logits computed for the corpus words only give the very same vectors as the
    full 30k-word product masked afterwards (motion and text, with padding)."""
    from motionlex.core.data.datasets import read_caption_corpus
    from motionlex.core.model.lexical import corpus_vocabulary

    torch.manual_seed(3)
    model = create_model("tiny", device="cpu", lexical_vocabulary="corpus").eval()
    captions = read_caption_corpus(shared_data / "kitml_text", "train")[:2000]
    model.set_lexical_vocabulary(corpus_vocabulary(captions, model.tokenizer))
    cols = model.lexical_columns()
    assert cols is not None and 200 < len(cols) < 5000
    batch = _batch(1)
    with torch.no_grad():
        restricted = _outputs(model, batch)
        t_full = model.forward_text(batch["texts"], return_token_logits=True)
        model.lexical_columns = lambda: None  # force the full-vocabulary product
        full = _outputs(model, batch)
    for x, y in zip(restricted, full):
        assert torch.equal(x, y)
    assert torch.equal(restricted[3], t_full.lexical)
    outside = torch.ones(model.text.vocab_size, dtype=torch.bool)
    outside[cols] = False
    assert (restricted[1][:, outside] == 0).all() and (restricted[1] > 0).any()
    assert create_model("tiny", device="cpu").lexical_columns() is None


def test_lexical_align_term_pulls_motion_words_to_the_caption_only(tiny: MotionTextModel) -> None:
    """lexcmlp with lexical_align_weight adds 1 - cos(w_motion, sg(w_text)): the loss grows by
    exactly that term, and the term sends no gradient into the text side (the
    shared word embeddings apart)."""
    import dataclasses

    model = create_model("tiny", device="cpu")
    model.load_state_dict(tiny.state_dict())
    model.eval()  # no dropout: the two losses see the same forward pass
    batch = _batch(2)
    base = model.phase_loss("lexcmlp", batch)
    model.config = dataclasses.replace(model.config, lexical_align_weight=1.0)
    out = model.phase_loss("lexcmlp", batch)
    assert "lexical_align" not in base and 0.0 <= float(out["lexical_align"]) <= 2.0
    assert float(out["loss"] - base["loss"]) == pytest.approx(float(out["lexical_align"]), abs=1e-5)
    model.zero_grad()
    (out["loss"] - base["loss"]).backward()
    # the motion head's decoder is the (shared) word-embedding matrix; nothing else of text
    shared = model.text.word_embeddings
    text_grads = [
        p.grad for p in model.text.parameters() if p.grad is not None and p is not shared
    ]
    assert text_grads and max(float(g.abs().max()) for g in text_grads) < 1e-6
    assert float(model.motion_lexical.dense.weight.grad.abs().max()) > 0
    with pytest.raises(ValueError, match="lexical_align_weight must be >= 0"):
        model_config("tiny", lexical_align_weight=-1.0)
