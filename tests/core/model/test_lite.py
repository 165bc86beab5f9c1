"""The lite loader (both towers in plain torch) matches the full model (issue 13, fast CLI)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from motionlex.core.model.bert_lite import bert_config_problems, bert_forward
from motionlex.core.model.factory import create_model, load_checkpoint
from motionlex.core.model.folder import write_checksums
from motionlex.core.model.lite import LiteUnsupported, state_order
from motionlex.core.model.lite_load import load_lite, load_lite_for
from motionlex.core.model.model import MotionTextModel
from motionlex.core.retrieval.fingerprints import model_fingerprint

TEXTS = [
    "a person waves",
    "Someone JUMPS twice, then sits down: café, naïve, 你好!",
    "walk " * 90,  # longer than max_text_length: truncated
    "x",
]


def _state_names(model: MotionTextModel) -> list[str]:
    """State-dict names of the model, each tied tensor once (as ``model_fingerprint``)."""
    seen, names = set(), []
    for k, t in model.state_dict().items():
        ident = (t.data_ptr(), tuple(t.shape), t.dtype)
        if ident not in seen:
            seen.add(ident)
            names.append(k)
    return names


def _assert_same(full: MotionTextModel, light, texts=TEXTS) -> None:
    with torch.no_grad():
        a = full.forward_text(texts)
    b = light.forward_text(texts)
    tok = full.text.tokenize(texts)
    got = light.tokenize(texts)
    assert all(torch.equal(tok[k], got[k]) for k in tok)
    torch.testing.assert_close(b.dense, a.dense, atol=1e-5, rtol=0)
    torch.testing.assert_close(b.lexical, a.lexical, atol=1e-5, rtol=0)
    assert torch.equal(b.token_mask, a.token_mask)
    assert torch.equal(light._excluded, full.lexical_excluded())
    assert light.vocabulary == full.vocabulary
    torch.testing.assert_close(light.encode_text(texts[:1]), full.encode_text(texts[:1]),
                               atol=1e-5, rtol=0)
    assert light.fingerprint() == model_fingerprint(full) == model_fingerprint(light)
    assert torch.equal(light.lexical_excluded(), full.lexical_excluded())
    assert sum(p.numel() for p in light.parameters()) == sum(
        p.numel() for p in full.parameters())  # the explorer's "parameters" figure
    _assert_same_motion(full, light)


def _assert_same_motion(full: MotionTextModel, light) -> None:
    """Motion dense and lexical vectors of padded patch images equal the full model's."""
    g = torch.Generator().manual_seed(1)
    rows = full.motion.grid[0]
    patches = torch.randn(3, 3, *full.config.image_size, generator=g)
    row_mask = torch.ones(3, rows, dtype=torch.bool)
    row_mask[1, 5:] = False  # a short clip: padded rows never reach a real token
    row_mask[2, 1:] = False
    patches[~row_mask.repeat_interleave(full.config.patch_size, 1)[:, None, :, None]
            .expand_as(patches)] = 1e3  # the padding's content must not matter
    with torch.no_grad():
        a = full.forward_motion(patches, row_mask)
    b = light.forward_motion(patches.numpy(), row_mask.numpy())
    torch.testing.assert_close(b.dense, a.dense, atol=1e-5, rtol=0)
    torch.testing.assert_close(b.lexical, a.lexical, atol=1e-5, rtol=0)
    assert torch.equal(b.token_mask, a.token_mask)
    keep = a.token_mask
    torch.testing.assert_close(b.tokens[keep], a.tokens[keep], atol=1e-4, rtol=0)
    assert light.forward_motion(patches[:1], row_mask[:1], lexical=False).lexical is None
    with pytest.raises(ValueError, match="row_mask must be bool"):
        light.forward_motion(patches, row_mask[:, :3])
    with pytest.raises(ValueError, match="patches must be"):
        light.forward_motion(patches[0], row_mask)


def test_bert_forward_matches_transformers_with_padding() -> None:
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=64)
    bert = BertModel(cfg, add_pooling_layer=False).eval()
    ids = torch.randint(1, 99, (3, 7))
    mask = torch.ones(3, 7, dtype=torch.long)
    mask[1, 4:] = 0
    mask[2, 2:] = 0
    with torch.no_grad():
        want = bert(input_ids=ids, attention_mask=mask).last_hidden_state
        weights = {f"bert.{k}": v for k, v in bert.state_dict().items()}
        got = bert_forward(weights, cfg.to_dict(), ids, mask)
    keep = mask.bool()
    torch.testing.assert_close(got[keep], want[keep], atol=1e-5, rtol=0)
    assert bert_config_problems(cfg.to_dict()) == []
    assert bert_config_problems({"model_type": "distilbert", "hidden_act": "relu"}) == [
        "model_type 'distilbert'", "hidden_act 'relu'"]


def test_vit_forward_matches_transformers_with_padding() -> None:
    from transformers import ViTConfig, ViTModel

    from motionlex.core.model.motion_encoder import additive_attention_mask
    from motionlex.core.model.vit_lite import vit_config_problems, vit_forward, vit_keys

    torch.manual_seed(0)
    cfg = ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                    intermediate_size=64, image_size=(64, 80), patch_size=16)
    vit = ViTModel(cfg, add_pooling_layer=False, use_mask_token=True).eval()
    pixels = torch.randn(2, 3, 64, 80)
    mask = torch.ones(2, 1 + 20, dtype=torch.bool)
    mask[1, 11:] = False  # the last two patch rows of the second image are padding
    attn = additive_attention_mask(mask)
    with torch.no_grad():
        want = vit(pixel_values=pixels, attention_mask=attn).last_hidden_state
        weights = {f"m.{k}": v for k, v in vit.state_dict().items()}
        got = vit_forward(weights, cfg.to_dict(), pixels, attn, prefix="m.")
    torch.testing.assert_close(got[mask], want[mask], atol=1e-5, rtol=0)
    assert list(weights) == vit_keys(2, "m.")
    assert vit_config_problems(cfg.to_dict()) == []
    assert vit_config_problems({"model_type": "deit", "hidden_act": "relu", "qkv_bias": False,
                                "hidden_size": 30, "num_attention_heads": 4}) == [
        "model_type 'deit'", "hidden_act 'relu'", "q/k/v without biases",
        "hidden_size 30 / num_attention_heads 4"]
    with pytest.raises(ValueError, match="the position table has 20"):
        vit_forward(weights, cfg.to_dict(), torch.randn(1, 3, 80, 80), attn[:1], prefix="m.")


@pytest.mark.parametrize("overrides", [
    {},
    {"text_pooling": "cls", "lexical_vocabulary": "corpus", "motion_lexical_tokens": "rows"},
])
def test_tiny_checkpoint_matches_full_model(tmp_path: Path, overrides: dict) -> None:
    torch.manual_seed(0)
    model = create_model("tiny", device="cpu", **overrides).eval()
    if overrides.get("lexical_vocabulary") == "corpus":
        model.set_lexical_vocabulary(range(1000, 3000))
    model.save_pretrained(tmp_path / "m")
    full = MotionTextModel.from_pretrained(tmp_path / "m", device="cpu")
    light = load_lite(tmp_path / "m", device="cpu")
    assert state_order(full.config, 2, 2) == _state_names(full)
    _assert_same(full, light)


def test_partial_checkpoint_reads_the_base_layers(tiny_text_source: Path, tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = create_model("tiny", device="cpu", text_pretrained=True,
                         text_model=str(tiny_text_source), text_trainable_layers=1).eval()
    model.save_pretrained(tmp_path / "small", include_text_encoder=False)  # base unchanged
    with torch.no_grad():  # what fine-tuning does: the top layer moves
        for p in model.text.transformer_layers()[-1].parameters():
            p.add_(0.01)
    model.save_pretrained(tmp_path / "partial", include_text_encoder="trainable")
    for name in ("partial", "small"):
        full = MotionTextModel.from_pretrained(tmp_path / name, device="cpu")
        _assert_same(full, load_lite(tmp_path / name, device="cpu"))


def test_a_changed_base_text_model_is_refused_as_the_full_loader_does(
        tiny_text_source: Path, tmp_path: Path) -> None:
    """A checkpoint without its text backbone reads it from ``config.text_model``; when that
    folder changed since the save, both loaders refuse with one message (was: the lite loader
    gave other vectors, silently)."""
    from safetensors.torch import load_file, save_file

    base = tmp_path / "base"
    shutil.copytree(tiny_text_source, base)
    model = create_model("tiny", device="cpu", text_pretrained=True, text_model=str(base))
    model.save_pretrained(tmp_path / "m", include_text_encoder=False)
    load_lite(tmp_path / "m", "cpu")  # unchanged: loads
    weights = load_file(base / "model.safetensors")
    key = next(k for k in weights if k.endswith("encoder.layer.0.output.dense.weight"))
    weights[key] = weights[key] + 1e-3
    save_file(weights, base / "model.safetensors", metadata={"format": "pt"})
    for load in (load_lite, lambda m, d: MotionTextModel.from_pretrained(m, device=d)):
        with pytest.raises(ValueError, match=r"base text weights from .*base.* differ from the "
                                             r"ones .*m was saved with \(sha256 "):
            load(tmp_path / "m", "cpu")


def test_default_checkpoint_matches_full_model() -> None:
    from motionlex.resources import default_model_dir as default_dir

    default_model_dir = default_dir()
    full, _ = load_checkpoint(default_model_dir, "cpu")
    light = load_lite(default_model_dir, "cpu")
    assert light.config.text_pooling == "mean" and light.config.lexical_vocabulary == "corpus"
    _assert_same(full, light)
    # the pieces a text spells (which words are a query's own), as the full model's
    # tokenizer cuts them, long texts not truncated
    for text in ("somersaulting", "A Person WAVES, then 2 jumps", "walks " * 100):
        assert light.word_pieces(text) == full.word_pieces(text)
    assert len(light.word_pieces("walks " * 100)) == 100
    assert load_lite_for(model_fingerprint(full), default_model_dir, "cpu") is not None
    assert load_lite_for("0" * 64, default_model_dir, "cpu") is None  # another model


def test_unsupported_checkpoints_fall_back(tmp_path: Path, tiny: MotionTextModel) -> None:
    tiny.save_pretrained(tmp_path / "m")
    fp = model_fingerprint(tiny)
    assert load_lite_for(fp, tmp_path / "m", "cpu") is not None
    bad = tmp_path / "distil"
    shutil.copytree(tmp_path / "m", bad)
    cfg = json.loads((bad / "text_encoder_config.json").read_text())
    (bad / "text_encoder_config.json").write_text(json.dumps({**cfg, "model_type": "distilbert"}))
    with pytest.raises(LiteUnsupported, match="model_type 'distilbert'"):
        load_lite(bad, "cpu")
    assert load_lite_for(fp, bad, "cpu") is None
    notok = tmp_path / "notok"
    shutil.copytree(tmp_path / "m", notok)
    (notok / "tokenizer" / "tokenizer.json").unlink()
    with pytest.raises(LiteUnsupported, match="no tokenizer.json"):
        load_lite(notok, "cpu")


def test_missing_files_and_bad_texts_raise(tmp_path: Path, tiny: MotionTextModel) -> None:
    with pytest.raises(FileNotFoundError, match="is not a motionlex model folder"):
        load_lite(tmp_path / "none", "cpu")
    tiny.save_pretrained(tmp_path / "m")
    light = load_lite(tmp_path / "m", "cpu")
    with pytest.raises(ValueError, match="non-empty list"):
        light.forward_text([])
    with pytest.raises(TypeError, match=r"texts\[1\] is int"):
        light.tokenize(["a", 3])
    (tmp_path / "m" / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(ValueError, match="cannot read model weights"):
        load_lite(tmp_path / "m", "cpu")


def test_a_verified_fingerprint_is_cached_per_unchanged_files(
        tmp_path: Path, tiny: MotionTextModel, monkeypatch) -> None:
    import os

    from motionlex.core.model.lite import LiteModel

    monkeypatch.setenv("MOTIONLEX_CACHE", str(tmp_path / "cache"))
    tiny.save_pretrained(tmp_path / "m")
    fp = model_fingerprint(tiny)
    assert load_lite_for("0" * 64, tmp_path / "m", "cpu") is None  # nothing cached
    assert not (tmp_path / "cache").exists()
    assert load_lite_for(fp, tmp_path / "m", "cpu") is not None  # verified: cached
    calls = []
    real = LiteModel.fingerprint
    monkeypatch.setattr(LiteModel, "fingerprint", lambda self: calls.append(1) or real(self))
    cached = load_lite_for(fp, tmp_path / "m", "cpu")
    assert calls == []  # answered from the cache
    _assert_same(tiny, cached)  # and it is this folder's model
    torch.manual_seed(1)
    other = create_model("tiny", device="cpu").eval()  # another model in another folder
    other.save_pretrained(tmp_path / "other")
    assert load_lite_for(fp, tmp_path / "other", "cpu") is None  # not tiny's answer
    calls.clear()
    light = load_lite_for(model_fingerprint(other), tmp_path / "other", "cpu")
    assert calls == [1]  # verified, not taken from tiny's entry
    _assert_same(other, light)
    calls.clear()
    assert load_lite_for(fp, tmp_path / "m", "cpu") is not None
    assert calls == []  # each folder keeps its own entry
    assert load_lite_for("0" * 64, tmp_path / "m", "cpu") is None  # another hash: computed
    assert calls == [1]
    w = tmp_path / "m" / "model.safetensors"
    st = w.stat()
    os.utime(w, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # a changed file misses
    assert load_lite_for(fp, tmp_path / "m", "cpu") is not None
    assert calls == [1, 1]


def test_weights_the_text_path_cannot_use_are_refused_by_name(tmp_path: Path,
                                                              tiny: MotionTextModel) -> None:
    """A weights file with a tensor the text path does not know, or without one it needs
    (outside the base text backbone), or whose left-out backbone is nowhere to be found: each
    is refused with the tensor or file named, so the caller loads the full model instead of a
    text tower that silently differs."""
    from safetensors.torch import load_file, save_file

    tiny.save_pretrained(tmp_path / "m")
    weights = load_file(tmp_path / "m" / "model.safetensors")

    def variant(name: str, tensors: dict, config: dict | None = None) -> Path:
        folder = tmp_path / name
        shutil.copytree(tmp_path / "m", folder)
        dropped = any(k.startswith("text.mlm.bert.") for k in weights) and not any(
            k.startswith("text.mlm.bert.") for k in tensors)  # as such a save says
        save_file(tensors, folder / "model.safetensors",
                  metadata={"text_encoder_included": "false"} if dropped else None)
        if config is not None:
            (folder / "config.json").write_text(json.dumps(config))
        return folder

    extra = variant("extra", {**weights, "text.surprise": torch.zeros(2)})
    with pytest.raises(LiteUnsupported, match=r"unexpected tensors \['text.surprise'\]"):
        load_lite(extra, "cpu", verify=False)
    head = next(k for k in weights if not k.startswith("text.mlm.bert."))
    lacks = variant("lacks", {k: v for k, v in weights.items() if k != head})
    with pytest.raises(LiteUnsupported, match=f"lacks \\['{head}'\\]"):
        load_lite(lacks, "cpu", verify=False)
    backbone = [k for k in weights if k.startswith("text.mlm.bert.")]
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    no_base = variant("no_base", {k: v for k, v in weights.items() if k not in backbone},
                      {**cfg, "text_model": str(tmp_path / "gone")})
    with pytest.raises(LiteUnsupported, match="base text weights .*gone.* not found"):
        load_lite(no_base, "cpu", verify=False)
    other = tmp_path / "other_base"  # a folder whose weights are not a BERT backbone
    other.mkdir()
    save_file({"classifier.weight": torch.zeros(2, 2)}, other / "model.safetensors")
    wrong_base = variant("wrong_base", {k: v for k, v in weights.items() if k not in backbone},
                         {**cfg, "text_model": str(other)})
    with pytest.raises(LiteUnsupported, match="other_base/model.safetensors lacks "):
        load_lite(wrong_base, "cpu", verify=False)


@pytest.mark.parametrize(("key", "value", "said"), [
    ("motion_layers", 9, "motion_layers 9 vs num_hidden_layers 2"),
    ("motion_hidden_size", 768, "motion_hidden_size 768 vs hidden_size 32"),
    ("max_frames", 112, "image_size [112, 80] vs image_size [224, 80]"),
])
def test_a_config_that_does_not_describe_its_motion_encoder_is_refused(
        tmp_path: Path, key: str, value: int, said: str) -> None:
    """Probe: a config.json saying 9 layers / 768 wide loaded a 2-layer, 32-wide ViT (built
    from motion_encoder_config.json), silently; both loaders now name the two files."""
    create_model("tiny", device="cpu").save_pretrained(tmp_path / "m")
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    assert cfg["motion_layers"] == 2 and cfg["motion_hidden_size"] == 32  # what tiny is
    (tmp_path / "m" / "config.json").write_text(json.dumps({**cfg, key: value}))
    write_checksums(tmp_path / "m")  # as if saved so (else its checksum refuses it first)
    for load in (load_lite, lambda m, d: MotionTextModel.from_pretrained(m, device=d)):
        with pytest.raises(ValueError, match=r"config.json does not describe the motion "
                           r"encoder in .*motion_encoder_config.json: " + re.escape(said)):
            load(tmp_path / "m", "cpu")


@pytest.mark.parametrize(("key", "value"), [("layer_norm_eps", "x"), ("num_channels", "3"),
                                          ("num_attention_heads", 2.0)])
def test_a_bad_value_in_a_backbone_config_names_the_file(tmp_path: Path, key: str,
                                                         value: object) -> None:
    """Audit A R1: ``layer_norm_eps: "x"`` in motion_encoder_config.json gave ``could not
    convert string to float: 'x'`` (no file) on the query path; the full loader named the
    file. Both name it now; a bad value in text_encoder_config.json (a file the full loader
    reads only for an included text backbone) sends the query path to the full loader."""
    from motionlex.core.model.lite_load import load_for_queries
    from motionlex.core.patches import PatchStats

    create_model("tiny", device="cpu").save_pretrained(
        tmp_path / "m", extra_json={"patch_stats.json": PatchStats.identity()})
    names = ["motion_encoder_config.json", "text_encoder_config.json"]
    for name in names[:1] if key == "num_channels" else names:  # (a ViT key)
        folder = tmp_path / name.split("_")[0]
        shutil.copytree(tmp_path / "m", folder)
        cfg = json.loads((folder / name).read_text())
        (folder / name).write_text(json.dumps({**cfg, key: value}))
        said = rf"cannot read backbone config {re.escape(str(folder / name))}: .*{key}"
        if name.startswith("motion"):
            with pytest.raises(ValueError, match=said + " expected (int|float), got "):
                load_lite(folder, "cpu")
        else:
            with pytest.raises(LiteUnsupported, match=f"{key} expected"):
                load_lite(folder, "cpu")
        with pytest.raises(ValueError, match=said):
            load_for_queries(folder, "cpu")


def test_what_the_full_loader_refuses_or_converts_takes_the_full_path(tmp_path: Path) -> None:
    """Review: the lite path loaded NaN weights and an edited embed_dim that the full loader
    refuses, kept a half-precision save in half (other vectors, motion queries crashed), and
    called a timm checkpoint "not a model folder" (it has no motion_encoder_config.json), so
    the explorer swapped in the shipped model. Each now goes to the full loader, which loads
    it or names the problem."""
    from safetensors.torch import load_file, save_file

    from motionlex.core.model.lite_load import load_for_queries
    from motionlex.core.patches import PatchStats

    torch.manual_seed(0)
    stats = {"patch_stats.json": PatchStats.identity()}
    model = create_model("tiny", device="cpu").eval()
    model.save_pretrained(tmp_path / "m", extra_json=stats)
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    weights = load_file(tmp_path / "m" / "model.safetensors")

    def variant(name: str, tensors: dict | None = None, config: dict | None = None) -> Path:
        folder = tmp_path / name
        shutil.copytree(tmp_path / "m", folder)
        if tensors is not None:
            save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
            (folder / "checksums.json").unlink()
        if config is not None:
            (folder / "config.json").write_text(json.dumps(config))
        return folder

    nan = variant("nan", {**weights, "text_proj.weight": weights["text_proj.weight"] * np.nan})
    with pytest.raises(LiteUnsupported, match="text_proj.weight has NaN or inf values"):
        load_lite(nan, "cpu")
    with pytest.raises(ValueError, match="weights with NaN or inf values: 1 .*text_proj"):
        load_for_queries(nan, "cpu")  # the full loader's own message
    wide = variant("wide", config={**cfg, "embed_dim": 64})
    with pytest.raises(LiteUnsupported, match=r"motion_proj.weight is \(32, 32\), the config "
                                              r"asks \(64, 32\)"):
        load_lite(wide, "cpu")
    half = variant("half", {k: v.half() if v.is_floating_point() else v
                            for k, v in weights.items()})
    light = load_lite(half, "cpu")
    full = MotionTextModel.from_pretrained(half, device="cpu")
    assert light.text_proj.dtype == torch.float32
    _assert_same(full, light, TEXTS[:2])  # text and motion vectors, the fingerprint
    timm = variant("timm", config={**cfg, "motion_backend": "timm",
                                   "motion_timm_name": "vit_tiny_patch16_224"})
    (timm / "motion_encoder_config.json").unlink()  # as save_pretrained writes a timm model
    with pytest.raises(LiteUnsupported, match="motion backend 'timm'"):
        load_lite(timm, "cpu")
    left = variant("left")
    tok_cfg = json.loads((left / "tokenizer" / "tokenizer_config.json").read_text())
    (left / "tokenizer" / "tokenizer_config.json").write_text(
        json.dumps({**tok_cfg, "padding_side": "left"}))
    with pytest.raises(LiteUnsupported, match="padding_side"):
        load_lite(left, "cpu")
    cased = variant("cased")  # tokenizer.json lower-cases, its config says not to
    (cased / "tokenizer" / "tokenizer_config.json").write_text(
        json.dumps({**tok_cfg, "do_lower_case": False}))
    with pytest.raises(LiteUnsupported, match=r"\{'do_lower_case': False\} differ from "
                                              r"tokenizer.json's normalizer"):
        load_lite(cased, "cpu")
    full = MotionTextModel.from_pretrained(cased, device="cpu")  # which honours the config
    assert full.word_pieces("Waves") != load_lite(tmp_path / "m", "cpu").word_pieces("Waves")


def _old_vit_name(name: str, prefix: str = "motion.backbone.") -> str:
    """The transformers < 5.9 ViTModel spelling of a tensor name (its conversion_mapping's
    "ViTModel" renamings, inverted), written independently of the loaders' mapping."""
    m = re.fullmatch(re.escape(prefix) + r"layers\.(\d+)\.(.*)", name)
    if not m:
        return name
    rest = m.group(2)
    for new, old in (("attention.q_proj.", "attention.attention.query."),
                     ("attention.k_proj.", "attention.attention.key."),
                     ("attention.v_proj.", "attention.attention.value."),
                     ("attention.o_proj.", "attention.output.dense."),
                     ("mlp.fc1.", "intermediate.dense."), ("mlp.fc2.", "output.dense.")):
        rest = rest.replace(new, old)
    return f"{prefix}encoder.layer.{m.group(1)}.{rest}"


def test_a_checkpoint_saved_with_transformers_before_5_9_vit_names_loads(
        tmp_path: Path, tiny: MotionTextModel) -> None:
    """transformers 5.9 renamed ViTModel's tensors (encoder.layer.N.attention.attention.query
    -> layers.N.attention.q_proj): a checkpoint saved before must load in both loaders, with
    the same outputs and fingerprint as under the new names (its index stays usable)."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    from motionlex.core.model.folder import write_checksums

    tiny.save_pretrained(tmp_path / "new")
    shutil.copytree(tmp_path / "new", tmp_path / "old")
    weights = tmp_path / "old" / "model.safetensors"
    with safe_open(str(weights), framework="pt") as f:
        meta = f.metadata()
        tensors = {_old_vit_name(k): f.get_tensor(k) for k in f.keys()}
    renamed = [k for k in tensors if k.startswith("motion.backbone.encoder.layer.")]
    assert len(renamed) == 32 and not any(k.startswith("motion.backbone.layers.") for k in tensors)
    save_file(tensors, str(weights), metadata=meta)
    write_checksums(tmp_path / "old")
    full = MotionTextModel.from_pretrained(tmp_path / "old", device="cpu")
    ref = MotionTextModel.from_pretrained(tmp_path / "new", device="cpu")
    light = load_lite(tmp_path / "old", device="cpu")
    _assert_same(full, light)
    assert model_fingerprint(full) == model_fingerprint(ref)
