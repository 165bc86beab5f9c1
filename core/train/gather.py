"""Features gathered across DDP ranks with gradients, so a contrastive loss sees the global batch.

Each rank encodes its own share of the global batch; the contrastive objectives gather the
features of every rank (in rank order) and compute the loss of the whole global batch, the
same value on every rank. The gather's backward sums, for each rank's own rows, the
gradients that every rank's (identical) loss sends them (as
``torch.distributed.nn.functional.all_gather``, deprecated in torch 2.13): rank ``r`` receives
``world_size * dL/dx_r``, and DDP's averaging of parameter gradients over ranks then yields
exactly ``dL/dtheta`` of the single-process loss on the global batch. Every rank must call
the same gathers in the same order, and its loss must use them the same way (decisions on
global sizes only), or the backward collectives do not meet. Ranks may hold different
numbers of rows (CAR and side negatives, mirrored and reordered motions): blocks are padded
to the largest rank's size for the collective and the padding is cut away after.

With one process (no process group, or ``world_size == 1``) every function here returns its
input unchanged, so single-process training does not gather at all.

Source: open_clip ``gather_features`` (``mlfoundations/open_clip/src/open_clip/loss.py``,
``gather_with_grad=True``, ``local_loss=False``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, TypeVar

import torch
import torch.distributed as dist

T = TypeVar("T")


class _AllGather(torch.autograd.Function):
    """``(R, ...)`` on every rank -> ``(world_size * R, ...)`` in rank order; backward: the
    sum over ranks of the gradient, this rank's rows (``all_reduce``: gloo and NCCL)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        parts = [torch.empty_like(x) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, x.contiguous())
        ctx.rows = x.shape[0]
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # noqa: D102
        grad = grad.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(grad)
        start = dist.get_rank() * ctx.rows
        return grad[start:start + ctx.rows]


def distributed_world() -> tuple[int, int]:
    """``(rank, world_size)`` of the default process group; ``(0, 1)`` when there is none."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def gather_objects(obj: T) -> list[T]:
    """Every rank's ``obj`` (picklable, no gradient), in rank order; ``[obj]`` alone."""
    _, world = distributed_world()
    if world == 1:
        return [obj]
    out: list[Any] = [None] * world
    dist.all_gather_object(out, obj)
    return out


def gather_blocks(x: torch.Tensor, blocks: Sequence[Sequence[int]]) -> torch.Tensor:
    """Rows of every rank in the global layout, gradients flowing back to each rank's rows.

    ``x`` holds consecutive local blocks along dim 0 (for captions: the true captions, then
    the negative ones); ``blocks[j][r]`` is the size of block ``j`` on rank ``r``. The
    result holds block 0 of rank 0, block 0 of rank 1, ..., then block 1 of rank 0, ...: the
    layout one process would have built from the concatenated global batch.

    Args:
        x: ``(sum_j blocks[j][rank], ...)`` local rows.
        blocks: per block, the row count of every rank (the same on every rank).

    Returns:
        ``(sum_j sum_r blocks[j][r], ...)``; ``x`` itself with one process.

    Raises:
        ValueError: ``x``'s rows differ from this rank's block sizes, or a block lists
            another number of ranks than the process group has.
    """
    rank, world = distributed_world()
    if world == 1:
        return x
    if any(len(b) != world for b in blocks):
        raise ValueError(f"every block needs {world} sizes (one per rank); got {blocks}")
    local = [int(b[rank]) for b in blocks]
    if x.shape[0] != sum(local):
        raise ValueError(f"rank {rank} has {x.shape[0]} rows but its blocks sum to "
                         f"{sum(local)} ({local})")
    widths = [max(int(s) for s in b) for b in blocks]
    if sum(widths) == 0:
        return x
    parts, start = [], 0
    for n, w in zip(local, widths):
        parts.append(x[start:start + n])
        if w > n:
            parts.append(x.new_zeros((w - n, *x.shape[1:])))
        start += n
    gathered = _AllGather.apply(torch.cat(parts)).split(sum(widths))
    out, offset = [], 0
    for b, w in zip(blocks, widths):
        out += [g[offset:offset + int(n)] for g, n in zip(gathered, b)]
        offset += w
    return torch.cat(out)


def gather_rows(x: torch.Tensor) -> torch.Tensor:
    """:func:`gather_blocks` of one block whose sizes are exchanged first (one extra
    collective); ``x`` itself with one process."""
    _, world = distributed_world()
    if world == 1:
        return x
    return gather_blocks(x, [gather_objects(int(x.shape[0]))])


def gather_output(out: T, blocks: Sequence[Sequence[int]],
                  fields: Sequence[str] = ("dense", "lexical", "max_logits")) -> T:
    """A model output (``MotionOutput`` / ``TextOutput``) whose ``fields`` are gathered with
    :func:`gather_blocks` (``None`` fields stay ``None``; other fields, such as the token
    states, stay local). ``out`` itself with one process."""
    if distributed_world()[1] == 1:
        return out
    return dataclasses.replace(out, **{  # type: ignore[type-var]
        f: gather_blocks(getattr(out, f), blocks) for f in fields
        if getattr(out, f) is not None
    })
