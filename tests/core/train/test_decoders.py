"""The phase decoders of LexMLM and LexMMM (core/train/decoders.py)."""

from __future__ import annotations

import torch

from motionlex.core.train.decoders import LexMLMDecoder, LexMMMDecoder, divisor_heads


def test_divisor_heads() -> None:
    assert divisor_heads(256, 4) == 4
    assert divisor_heads(30, 4) == 3
    assert divisor_heads(7, 4) == 1
    assert divisor_heads(2, 8) == 2


def test_lexmlm_decoder_puts_the_bottleneck_first_and_ignores_padding() -> None:
    torch.manual_seed(0)
    dec = LexMLMDecoder(16, layers=1, heads=2).eval()
    emb = torch.randn(2, 6, 16)
    mask = torch.tensor([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], dtype=torch.bool)
    b = torch.randn(2, 16)
    out = dec(b, emb, mask)
    assert out.shape == (2, 6, 16)
    noisy = emb.clone()
    noisy[0, 4:] = 100.0  # padded positions change nothing real
    torch.testing.assert_close(dec(b, noisy, mask)[0, :4], out[0, :4], atol=1e-5, rtol=0)
    other = dec(torch.randn(2, 16), emb, mask)  # position 0 is the bottleneck, not [CLS]
    assert not torch.allclose(other, out)
    seen = []  # what the layers read: the bottleneck, then each token at its own position
    dec.decoder.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    dec(b, emb, mask)
    torch.testing.assert_close(seen[0][:, 0], b)
    torch.testing.assert_close(seen[0][:, 1:], emb[:, 1:])


def test_lexmmm_decoder_rebuilds_every_patch() -> None:
    torch.manual_seed(0)
    dec = LexMMMDecoder(bottleneck_size=16, width=8, num_patches=10, patch_dim=12,
                        layers=1, heads=2).eval()
    valid = torch.ones(2, 10, dtype=torch.bool)
    visible = torch.rand(2, 10) < 0.5
    bottleneck, values = torch.randn(2, 16), torch.randn(2, 10, 12)
    pred = dec(bottleneck, values, visible, valid)
    assert pred.shape == (2, 10, 12) and torch.isfinite(pred).all()
    # the masked patches' true values never reach the decoder (nothing to copy) ...
    changed = torch.where(visible.unsqueeze(-1), values, torch.randn(2, 10, 12) * 100)
    assert torch.equal(dec(bottleneck, changed, visible, valid), pred)
    # ... while the visible ones and the text bottleneck do
    assert not torch.allclose(dec(bottleneck, values + 1, visible, valid), pred)
    assert not torch.allclose(dec(torch.randn(2, 16), values, visible, valid), pred)
