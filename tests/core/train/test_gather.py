"""core/train/gather.py in one process with a process group of world size 1 (the group-less
case and the 2-process gathers are in test_ddp.py): nothing is gathered, inputs come back
as they are, and the autograd gather is the identity with its gradient unchanged."""

from __future__ import annotations

import pytest
import torch
import torch.distributed as dist

from motionlex.core.model.outputs import TextOutput
from motionlex.core.train.gather import (
    _AllGather,
    distributed_world,
    gather_blocks,
    gather_objects,
    gather_output,
    gather_rows,
)


@pytest.fixture
def group_of_one(tmp_path):
    """A gloo process group of this process alone (rank 0 of 1), destroyed after."""
    if not dist.is_available():
        pytest.skip("torch.distributed is not available")
    assert not dist.is_initialized()
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0,
                            world_size=1)
    try:
        yield
    finally:
        dist.destroy_process_group()


def test_world_of_one(group_of_one):
    assert dist.is_initialized() and distributed_world() == (0, 1)


def test_gathers_return_their_inputs(group_of_one):
    """With ``world_size == 1`` every gather returns its input itself; block sizes are not
    checked (there is nothing to gather them with)."""
    x = torch.randn(5, 3, requires_grad=True)
    assert gather_rows(x) is x
    assert gather_blocks(x, [[3], [2]]) is x
    assert gather_blocks(x, [[3, 4]]) is x  # sizes of 2 ranks: still x, one process
    obj = {"ids": ["a", "b"], "n": 2}
    got = gather_objects(obj)
    assert got == [obj] and got[0] is obj


def test_a_model_output_comes_back_as_it_is(group_of_one):
    """A text output (dense, lexical, no max logits): returned itself, whatever the fields."""
    out = TextOutput(dense=torch.nn.functional.normalize(torch.randn(4, 8), dim=-1),
                     lexical=torch.rand(4, 30), max_logits=None,
                     tokens=torch.randn(4, 6, 8), token_mask=torch.ones(4, 6, dtype=torch.bool))
    assert gather_output(out, [[4]]) is out
    assert gather_output(out, [[3], [1]], fields=("dense", "lexical", "tokens")) is out


def test_autograd_gather_of_one_rank_is_the_identity_with_its_gradient(group_of_one):
    """The gather's backward sums the gradient over ranks and keeps this rank's rows: with one
    rank, ``world_size * dL/dx == dL/dx``, the single-process gradient."""
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    y = _AllGather.apply(x)
    assert y.shape == x.shape and torch.equal(y.detach(), x.detach())
    assert y.data_ptr() != x.data_ptr()  # gathered into a new tensor
    weights = torch.arange(12, dtype=torch.float64).reshape(4, 3)
    (y * weights).sum().backward()
    assert torch.equal(x.grad, weights)


def test_autograd_gather_accepts_a_non_contiguous_input(group_of_one):
    base = torch.randn(3, 4, requires_grad=True)
    x = base.t()  # (4, 3), not contiguous
    y = _AllGather.apply(x)
    assert torch.equal(y.detach(), x.detach())
    y.pow(2).sum().backward()
    torch.testing.assert_close(base.grad, 2 * base.detach())

