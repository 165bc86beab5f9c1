"""A training step takes no decision on device-resident values (no host-device sync).

On a GPU every ``.item()``, ``bool(t)``, ``torch.nonzero`` or boolean-mask index on a device
tensor makes the host wait until the device has finished all queued work, so the host can no
longer queue kernels ahead of it (issue 13: the paper-base step is about half launch-bound).
This machine has no GPU, so the test tracks which tensors would live on the device (the
model's parameters and buffers, the batch's device keys, the tokenised captions, and every
tensor computed from them) with a dispatch mode, and fails on each sync-type operation that
reads one of them, naming the line in motionlex that asked.
"""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten
from torch.utils.weak import WeakIdKeyDictionary

import motionlex.core
from motionlex.core.data.collate import CPU_KEYS
from motionlex.core.model.factory import create_model
from motionlex.core.model.text_encoder import TextEncoder
from motionlex.core.train.module import build_optimizer
from motionlex.core.train.objective import ObjectiveConfig
from motionlex.core.train.objectives import create_objective
from motionlex.core.train.train_config import TrainConfig

CORE = str(Path(motionlex.core.__file__).parent)
TORCH = str(Path(torch.__file__).parent)
# operations whose result the host must read (CUDA synchronises for each of them)
SYNC_OPS = {"_local_scalar_dense", "nonzero", "masked_select", "is_nonzero", "equal",
            "_unique", "_unique2", "unique_dim", "unique_consecutive", "repeat_interleave",
            "bincount"}
# device-to-host copies: on a CPU they never reach the dispatcher, so the test wraps them
HOST_COPIES = ("cpu", "tolist", "numpy")


class DeviceTaint(TorchDispatchMode):
    """Records sync-type operations on tensors that derive from the ``device`` set."""

    def __init__(self, device_tensors):
        super().__init__()
        self.device = WeakIdKeyDictionary()
        for t in device_tensors:
            self.device[t] = True
        self.syncs: list[str] = []

    def mark(self, tensors) -> None:
        for t in tensors:
            self.device[t] = True

    def record(self, name: str) -> None:
        stack = [f for f in traceback.extract_stack()[:-2] if f.filename != __file__
                 and not f.filename.startswith(TORCH)]
        ours = [f for f in stack if f.filename.startswith(CORE)]
        where = f"{ours[-1].filename}:{ours[-1].lineno}" if ours else "?"
        inner = f"{stack[-1].filename}:{stack[-1].lineno}" if stack else "?"
        self.syncs.append(f"{name} at {where} (in {inner})")

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        inputs = [t for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)]
        on_device = [t for t in inputs if t in self.device]
        name = func.__name__.split(".")[0]
        bool_index = name in ("index", "index_put", "index_put_") and any(
            isinstance(i, torch.Tensor) and i.dtype == torch.bool and i in self.device
            for i in (args[1] if len(args) > 1 and isinstance(args[1], (list, tuple)) else ()))
        if on_device and (name in SYNC_OPS or bool_index):
            self.record(name)
        out = func(*args, **kwargs)
        if on_device:
            self.mark(t for t in tree_flatten(out)[0] if isinstance(t, torch.Tensor))
        return out


def _batch(seed: int = 0) -> dict:
    """4 motions (14, 9, 5, 2 real rows), captions, a CAR negative, a side negative and its
    mirrored motion, a reordered motion of caption 0, laid out as ``collate_pairs`` does."""
    g = torch.Generator().manual_seed(seed)
    real = torch.tensor([14, 9, 5, 2])
    return {
        "patches": torch.randn(4, 3, 224, 80, generator=g),
        "row_mask": torch.arange(14).unsqueeze(0) < real.unsqueeze(1),
        "texts": ["a person walks forward then turns around", "someone jumps up twice",
                  "a man sits down on a chair", "the person waves with the right hand"],
        "text_groups": torch.arange(4),
        "negative_texts": ["a person turns around then walks forward",
                           "the person waves with the left hand"],
        "negative_owner": torch.tensor([0, 3]),
        "negative_side": torch.tensor([False, True]),
        "negative_motion_patches": torch.randn(2, 3, 224, 80, generator=g),
        "negative_motion_row_mask": (torch.arange(14) < torch.tensor([[2], [14]])),
        "negative_motion_owner": torch.tensor([3, 0]),
        "negative_motion_kind": torch.tensor([0, 1]),
    }


@pytest.mark.parametrize("phase", ["lexcmlp", "dense"])
def test_a_training_step_reads_nothing_back_from_the_device(phase, monkeypatch) -> None:
    torch.manual_seed(0)
    model = create_model("tiny", device="cpu", lexical_vocabulary="corpus")
    model.set_lexical_vocabulary(range(1996, 3000))
    model.train()
    cfg = ObjectiveConfig(side_pair_weight=1.0, order_pair_weight=1.0, car_pair_weight=1.0,
                          lexical_word_weight=0.5,
                          near_duplicate_threshold=0.95)
    objective = create_objective(phase, model, cfg)
    opt = build_optimizer(model, objective, TrainConfig())
    batch = _batch()

    def step() -> None:
        out = objective(model, batch, step=3)
        opt.zero_grad(set_to_none=True)
        out["loss"].backward()
        opt.step()

    step()  # first step: lazy set-up (word index, optimiser state) may read what it likes
    device = [*model.parameters(), *model.buffers(), *objective.parameters(),
              *(v for k, v in batch.items() if torch.is_tensor(v) and k not in CPU_KEYS)]
    mode = DeviceTaint(device)
    tokenize = TextEncoder.tokenize

    def tokenize_on_device(self, texts, device=None):  # the token ids live on the device
        out = tokenize(self, texts, device)
        mode.mark(out.values())
        return out

    monkeypatch.setattr(TextEncoder, "tokenize", tokenize_on_device)
    for name in HOST_COPIES:
        original = getattr(torch.Tensor, name)

        def copy(self, *args, _original=original, _name=name, **kwargs):
            if self in mode.device:
                mode.record(f"Tensor.{_name}")
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, copy)
    with mode:
        step()
    assert not mode.syncs, "host-device syncs in a training step:\n" + "\n".join(mode.syncs)
