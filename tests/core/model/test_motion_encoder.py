"""The motion encoder: ViT over motion patches, padding, masking, backends
(core/model/motion_encoder.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from motionlex.core.model.motion_encoder import MotionEncoder
from motionlex.core.model.vit import build_vit_config, patchify

IMAGE = (224, 80)


def _row_mask(lengths: list[int]) -> torch.Tensor:
    mask = torch.zeros(len(lengths), 14, dtype=torch.bool)
    for i, n in enumerate(lengths):
        mask[i, :n] = True
    return mask


@pytest.fixture(scope="module")
def tiny_vit() -> MotionEncoder:
    torch.manual_seed(0)
    cfg = build_vit_config(
        hidden_size=32,
        num_layers=2,
        num_heads=2,
        intermediate_size=64,
        image_size=IMAGE,
        patch_size=16,
    )
    return MotionEncoder.from_vit_config(cfg).eval()


def test_patchify_order_matches_vit_patch_embedding(tiny_vit: MotionEncoder) -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, *IMAGE, generator=g)
    p = patchify(x, 16)
    assert p.shape == (2, 70, 768)
    r, c = 3, 4  # frame block 3, body part 4 (right leg) is token 3 * 5 + 4
    torch.testing.assert_close(p[1, r * 5 + c], x[1, :, 48:64, 64:80].reshape(-1))
    conv = tiny_vit.backbone.embeddings.patch_embeddings.projection
    with torch.no_grad():
        tokens = conv(x).flatten(2).transpose(1, 2)
        linear = p @ conv.weight.reshape(32, -1).t() + conv.bias
    torch.testing.assert_close(tokens, linear, atol=1e-4, rtol=1e-4)


def test_motion_encoder_shapes(tiny_vit: MotionEncoder) -> None:
    out = tiny_vit(torch.randn(3, 3, *IMAGE), _row_mask([14, 6, 1]))
    assert out.tokens.shape == (3, 71, 32)
    assert out.token_mask.shape == (3, 71)
    assert out.token_mask.sum(1).tolist() == [71, 31, 6]


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_padded_rows_leave_real_tokens_unchanged(tiny_vit: MotionEncoder, attention: str) -> None:
    # eager attention adds the mask to the scores: a bool mask would add 0/1 there and let
    # padding through (output_attentions=True, or a user's config, selects it)
    tiny_vit.backbone.config._attn_implementation = attention
    try:
        _check_padding_is_ignored(tiny_vit)
    finally:
        tiny_vit.backbone.config._attn_implementation = "sdpa"


def _check_padding_is_ignored(tiny_vit: MotionEncoder) -> None:
    g = torch.Generator().manual_seed(1)
    lengths = [14, 6, 1]
    rm = _row_mask(lengths)
    x = torch.randn(3, 3, *IMAGE, generator=g)
    x2 = x.clone()
    for b, n in enumerate(lengths):
        x2[b, :, 16 * n :] = 10 * torch.randn(x2[b, :, 16 * n :].shape, generator=g)
    with torch.no_grad():
        a, b = tiny_vit(x, rm), tiny_vit(x2, rm)
        torch.testing.assert_close(
            a.tokens[a.token_mask], b.tokens[b.token_mask], atol=1e-6, rtol=0
        )
        # without the padding mask the new content does reach the real tokens
        full = torch.ones_like(rm)
        na, nb = tiny_vit(x, full), tiny_vit(x2, full)
    assert float((na.tokens[1, 0] - nb.tokens[1, 0]).abs().max()) > 1e-3


def test_bool_masked_pos_hides_patch_content(tiny_vit: MotionEncoder) -> None:
    g = torch.Generator().manual_seed(2)
    x = torch.randn(1, 3, *IMAGE, generator=g)
    rm = _row_mask([14])
    masked = torch.zeros(1, 70, dtype=torch.bool)
    masked[0, 7] = True  # frame block 1, body part 2
    x2 = x.clone()
    x2[0, :, 16:32, 32:48] += 5.0
    with torch.no_grad():
        a = tiny_vit(x, rm, masked).tokens
        b = tiny_vit(x2, rm, masked).tokens
        c = tiny_vit(x, rm).tokens
    torch.testing.assert_close(a, b, atol=1e-6, rtol=0)
    assert float((a - c).abs().max()) > 1e-3


def test_motion_encoder_rejects_wrong_patch_shape(tiny_vit: MotionEncoder) -> None:
    with pytest.raises(ValueError, match=r"patches must be \(2, 3, 224, 80\)"):
        tiny_vit(torch.zeros(2, 3, 200, 80), _row_mask([14, 14]))
    # one motion without its batch axis: not "(3, 3, 224, 80)" read off the channel axis
    with pytest.raises(ValueError, match=r"\(B, 3, 224, 80\) with a batch axis; got "
                                         r"\(3, 224, 80\) \(one motion: patches\[None\]"):
        tiny_vit(torch.zeros(3, 224, 80), _row_mask([14])[0])


def test_motion_encoder_rejects_non_bool_row_mask(tiny_vit: MotionEncoder) -> None:
    with pytest.raises(ValueError, match="row_mask must be bool"):
        tiny_vit(torch.zeros(2, 3, *IMAGE), _row_mask([14, 14]).long())


def test_motion_encoder_rejects_wrong_masked_pos(tiny_vit: MotionEncoder) -> None:
    with pytest.raises(ValueError, match="bool_masked_pos"):
        tiny_vit(torch.zeros(1, 3, *IMAGE), _row_mask([14]), torch.zeros(1, 71, dtype=torch.bool))


def test_motion_encoder_rejects_unknown_backend(tiny_vit: MotionEncoder) -> None:
    with pytest.raises(ValueError, match="'vit' or 'timm'"):
        MotionEncoder(
            tiny_vit.backbone, backend="jax", image_size=IMAGE, patch_size=16, hidden_size=32
        )


def test_pretrained_vit_loads_with_resized_position_table(tmp_path: Path) -> None:
    """An image ViT (14 x 14 grid, with pooler, like ViT-B/16 in21k) saved and re-loaded."""
    from transformers import ViTConfig, ViTModel

    torch.manual_seed(0)
    vit = ViTModel(
        ViTConfig(
            image_size=224,
            patch_size=16,
            hidden_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=64,
        )
    )
    rows = torch.randn(14, 32)
    with torch.no_grad():
        vit.embeddings.position_embeddings[0, 1:] = rows.repeat_interleave(14, dim=0)
    vit.save_pretrained(tmp_path)

    enc = MotionEncoder.from_pretrained_vit(str(tmp_path), image_size=IMAGE)
    emb = enc.backbone.embeddings
    assert emb.position_embeddings.shape == (1, 71, 32)
    torch.testing.assert_close(
        emb.position_embeddings[0, 0], vit.embeddings.position_embeddings[0, 0]
    )
    torch.testing.assert_close(
        emb.position_embeddings[0, 1:].reshape(14, 5, 32), rows[:, None].expand(14, 5, 32)
    )
    # every other tensor is the checkpoint's own (pooler dropped, mask token new)
    ours, theirs = enc.backbone.state_dict(), vit.state_dict()
    skip = {"embeddings.position_embeddings", "embeddings.mask_token"}
    assert set(ours) - skip == {k for k in theirs if not k.startswith("pooler.")} - skip
    for k in set(ours) - skip:
        assert torch.equal(ours[k], theirs[k]), k
    assert not emb.mask_token.detach().any()
    out = enc(torch.randn(2, 3, *IMAGE), _row_mask([14, 3]))
    assert out.tokens.shape == (2, 71, 32)


def test_pretrained_vit_rejects_other_patch_size(tmp_path: Path) -> None:
    from transformers import ViTConfig, ViTModel

    ViTModel(
        ViTConfig(
            image_size=224,
            patch_size=32,
            hidden_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=64,
        )
    ).save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="patch_size=32"):
        MotionEncoder.from_pretrained_vit(str(tmp_path), image_size=IMAGE)


def test_pretrained_vit_missing_source(tmp_path: Path) -> None:
    with pytest.raises(OSError, match="cannot load pretrained ViT"):
        MotionEncoder.from_pretrained_vit(str(tmp_path / "nothing"), image_size=IMAGE)


def _payload_bin(path: Path, flag: Path) -> None:
    """A ``pytorch_model.bin`` whose unpickling would run ``touch flag``."""
    import os

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {flag}",))

    torch.save({"w": Payload()}, path)


def test_pretrained_vit_reads_safetensors_only(tmp_path: Path) -> None:
    """A ViT folder of ``pytorch_model.bin`` only is refused in one line, never unpickled,
    with the command that converts it (which then loads); beside ``model.safetensors`` a
    ``.bin`` is never read (audit A D2: it was loaded through pickle)."""
    from transformers import ViTConfig, ViTModel

    vit = ViTModel(ViTConfig(image_size=224, patch_size=16, hidden_size=32,
                             num_hidden_layers=1, num_attention_heads=2, intermediate_size=64))
    both, bin_only, flag = tmp_path / "both", tmp_path / "bin_only", tmp_path / "PWNED"
    vit.save_pretrained(both)
    _payload_bin(both / "pytorch_model.bin", flag)
    MotionEncoder.from_pretrained_vit(str(both), image_size=IMAGE)
    vit.config.save_pretrained(bin_only)
    _payload_bin(bin_only / "pytorch_model.bin", flag)
    with pytest.raises(OSError) as e:
        MotionEncoder.from_pretrained_vit(str(bin_only), image_size=IMAGE)
    assert str(e.value).startswith(
        f"cannot load pretrained ViT {str(bin_only)!r}: {bin_only} holds pytorch_model.bin "
        "(PyTorch pickle) but no model.safetensors; motionlex reads backbone weights from "
        "safetensors only"), e.value
    assert "\n" not in str(e.value) and not flag.exists()
    torch.save(vit.state_dict(), bin_only / "pytorch_model.bin")  # a trusted one: converted
    exec(str(e.value).split('python -c "')[1].rstrip('"'))  # as the message says
    MotionEncoder.from_pretrained_vit(str(bin_only), image_size=IMAGE)


def test_timm_local_weights_must_be_safetensors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"w\.pth: motionlex reads a local weight file in "
                                         r"safetensors only"):
        MotionEncoder.from_timm("vit_tiny_patch16_224", image_size=IMAGE,
                                pretrained=str(tmp_path / "w.pth"))


def test_timm_backend_missing_gives_clear_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "timm", None)  # makes `import timm` fail
    with pytest.raises(ImportError, match=r"motionlex\[timm\]"):
        MotionEncoder.from_timm("vit_tiny_patch16_224", image_size=IMAGE)


def test_timm_backend_padding_mask() -> None:
    pytest.importorskip("timm")
    torch.manual_seed(0)
    enc = MotionEncoder.from_timm("vit_tiny_patch16_224", image_size=IMAGE).eval()
    rm = _row_mask([14, 4])
    x = torch.randn(2, 3, *IMAGE)
    x2 = x.clone()
    x2[1, :, 64:] = 7.0
    with torch.no_grad():
        a, b = enc(x, rm), enc(x2, rm)
    assert a.tokens.shape[:2] == (2, 71)
    torch.testing.assert_close(a.tokens[a.token_mask], b.tokens[b.token_mask], atol=1e-5, rtol=0)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_padding_mask_takes_the_patches_dtype(dtype: torch.dtype) -> None:
    """A float32 mask added to half scores made them float32 before timm's non-fused
    ``attn @ v`` (a dtype error); the mask now has the patches' dtype, its minimum where a
    token is padding, and a half model's eager attention still ignores padded rows."""
    from motionlex.core.model.motion_encoder import additive_attention_mask

    mask = additive_attention_mask(torch.tensor([[True, False]]), dtype)
    assert mask.dtype == dtype and mask.shape == (1, 1, 1, 2)
    assert mask.flatten().tolist() == [0.0, torch.finfo(dtype).min]
    torch.manual_seed(0)
    cfg = build_vit_config(hidden_size=32, num_layers=2, num_heads=2, intermediate_size=64,
                           image_size=IMAGE, patch_size=16)
    enc = MotionEncoder.from_vit_config(cfg).eval().to(dtype)
    enc.backbone.config._attn_implementation = "eager"
    rm = _row_mask([4, 14])
    x = torch.randn(2, 3, *IMAGE).to(dtype)
    x2 = x.clone()
    x2[0, :, 64:] = 5.0
    with torch.no_grad():
        a, b = enc(x, rm), enc(x2, rm)
    assert a.tokens.dtype == dtype
    torch.testing.assert_close(a.tokens[a.token_mask], b.tokens[b.token_mask])
