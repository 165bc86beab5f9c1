"""Random masks for masked modelling: BERT token masking and patch masking.

Pure functions; randomness comes only through an explicit ``torch.Generator``.
"""

from __future__ import annotations

import torch

from motionlex.core.train.losses import IGNORE_INDEX


def mask_tokens(
    input_ids: torch.Tensor,
    eligible: torch.Tensor,
    probability: float,
    *,
    mask_token_id: int,
    vocab_size: int,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT masking: choose tokens with a probability, then 80 % [MASK], 10 % random, 10 % kept.

    Every row with at least one eligible token gets at least one masked token.

    Args:
        input_ids: ``(B, L)`` int64 token ids.
        eligible: ``(B, L)`` bool, tokens that may be masked (real, non-special).
        probability: masking probability in ``(0, 1]``.
        mask_token_id: id of [MASK].
        vocab_size: ``V`` (random replacements are drawn from ``[0, V)``).
        generator: random generator (on the tensors' device), or None for the global one.

    Returns:
        ``(masked_ids, labels)``, both ``(B, L)`` int64; ``labels`` holds the original id at
        masked positions and ``-100`` elsewhere.

    Raises:
        ValueError: a probability outside ``(0, 1]`` or mismatched shapes.

    Source:
        Devlin et al., BERT (NAACL 2019), Sec. 3.1 "Task #1: Masked LM".
    """
    if not 0.0 < probability <= 1.0:
        raise ValueError(f"masking probability must be in (0, 1]; got {probability}")
    if eligible.shape != input_ids.shape or eligible.dtype != torch.bool:
        raise ValueError(
            f"eligible must be bool {tuple(input_ids.shape)}; got {eligible.dtype} "
            f"{tuple(eligible.shape)}"
        )
    dev = input_ids.device
    u = torch.rand(input_ids.shape, generator=generator, device=dev)
    chosen = (u < probability) & eligible
    # rows without any chosen token: force the eligible token with the lowest draw
    need = eligible.any(dim=1) & ~chosen.any(dim=1)
    if bool(need.any()):
        first = u.masked_fill(~eligible, 2.0).argmin(dim=1)
        force = torch.zeros_like(chosen)
        force[torch.arange(len(first), device=dev), first] = True
        chosen = chosen | (force & need.unsqueeze(1))
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, IGNORE_INDEX))
    r = torch.rand(input_ids.shape, generator=generator, device=dev)
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator, device=dev)
    masked = torch.where(chosen & (r < 0.8), torch.full_like(input_ids, mask_token_id), input_ids)
    masked = torch.where(chosen & (r >= 0.8) & (r < 0.9), random_ids, masked)
    return masked, labels


def random_patch_mask(
    valid: torch.Tensor, ratio: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Choose ``max(1, round(ratio * n_valid))`` of each row's real patches at random.

    Args:
        valid: ``(B, P)`` bool, True for real (unpadded) patches.
        ratio: share of real patches to mask, in ``(0, 1]``.
        generator: random generator (on ``valid.device``), or None for the global one.

    Returns:
        ``(B, P)`` bool, True for masked patches; padded patches are never masked, and a row
        without real patches masks nothing.

    Raises:
        ValueError: a ratio outside ``(0, 1]`` or a non-bool mask.

    Source: the patch masking of CMMM (each view's masked patches; ``cmmm_mask_ratio``) and
    of the LexMMM decoder input (``lexmmm_decoder_mask_ratio``), Lyu et al., ICLR 2025,
    "Methods" ii-iii and Fig. 2 (the poster text gives no section numbers or ratios); uniform
    sampling without replacement as in He et al., MAE (CVPR 2022), Sec. 3 "Masking".
    """
    if not 0.0 < ratio <= 1.0:
        raise ValueError(f"mask ratio must be in (0, 1]; got {ratio}")
    if valid.dim() != 2 or valid.dtype != torch.bool:
        raise ValueError(f"valid must be bool (B, P); got {valid.dtype} {tuple(valid.shape)}")
    n_valid = valid.sum(dim=1)
    k = torch.clamp(torch.round(n_valid.float() * ratio).long(), min=1)
    k = torch.minimum(k, n_valid)
    noise = torch.rand(valid.shape, generator=generator, device=valid.device)
    noise = noise.masked_fill(~valid, 2.0)
    ranks = noise.argsort(dim=1).argsort(dim=1)
    return ranks < k.unsqueeze(1)
