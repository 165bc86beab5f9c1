"""DDP on two CPU processes (gloo), launched as torchrun would: per-rank shares of the batches,
the gathered contrastive loss equal to one process's loss on the global batch, gradients
equal to the single-process ones, validation and export once (core/train/gather.py,
phase_data.py, training.py)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from types import SimpleNamespace

import lightning as L
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from safetensors.torch import load_file, load_model, save_file, save_model

from motionlex.core.model.factory import create_model
from motionlex.core.model.outputs import MotionOutput, TextOutput
from motionlex.core.train import validate_export
from motionlex.core.train.contrastive import FEATURE_FIELDS, gather_pair_features
from motionlex.core.train.gather import (
    distributed_world,
    gather_blocks,
    gather_objects,
    gather_output,
    gather_rows,
)
from motionlex.core.train.objectives import create_objective
from motionlex.core.train.phase_data import TextBatches
from motionlex.core.train.train_config import load_train_config
from motionlex.core.train.training import TrainingRun

WORLD = 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_torchrun(rank: int, port: int) -> None:
    """The environment torchrun gives each process (Lightning detects it and launches none);
    one intra-op thread, as DataLoader workers use, so no OpenMP pool crosses the fork."""
    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      LOCAL_RANK=str(rank), WORLD_SIZE=str(WORLD), LOCAL_WORLD_SIZE=str(WORLD),
                      GROUP_RANK="0", TORCHELASTIC_RUN_ID="test-ddp",
                      TOKENIZERS_PARALLELISM="false")


def _spawn(fn, *args) -> None:
    """Run ``fn(rank, port, *args)`` in two forked processes (no re-import: seconds, where
    spawned ones import torch and Lightning again)."""
    mp.start_processes(fn, args=(_free_port(), *args), nprocs=WORLD, start_method="fork")


# -- the gather alone: values and gradients ------------------------------------------------


def test_one_process_gathers_nothing() -> None:
    """Without a process group every gather returns its input itself (no copy, no op)."""
    x = torch.randn(3, 2)
    out = SimpleNamespace(dense=x)
    assert distributed_world() == (0, 1)
    assert gather_blocks(x, [[3]]) is x and gather_rows(x) is x
    assert gather_objects({"a": 1}) == [{"a": 1}] and gather_output(out, [[3]]) is out


def _gather_rank(rank: int, port: int, out: str) -> None:
    _as_torchrun(rank, port)
    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    torch.manual_seed(0)
    weight = torch.randn(3, 4, requires_grad=True)  # a shared "parameter"
    inputs = torch.randn(5, 3)
    rows = [2, 3]  # uneven shares
    mine = inputs[sum(rows[:rank]):sum(rows[:rank + 1])] @ weight
    extra = torch.arange(rank + 1.0).unsqueeze(1).expand(-1, 4) * weight[0]  # 1 / 2 rows
    both = torch.cat([mine, extra])
    glob = gather_blocks(both, [rows, [1, 2]])
    loss = (glob.pow(2).sum(1) * torch.arange(1.0, 9.0)).sum()
    loss.backward()
    grad = weight.grad.clone()
    dist.all_reduce(grad)
    grad /= WORLD  # what DDP does with parameter gradients
    sizes = gather_rows(torch.zeros(rank + 1, 2)).shape[0]
    save_file({"glob": glob.detach(), "loss": loss.detach(), "grad": grad,
               "sizes": torch.tensor(sizes)}, Path(out) / f"{rank}.safetensors")
    dist.destroy_process_group()


def test_gather_matches_one_process_values_and_gradients(tmp_path) -> None:
    _spawn(_gather_rank, str(tmp_path))
    torch.manual_seed(0)
    weight = torch.randn(3, 4, requires_grad=True)
    inputs = torch.randn(5, 3)
    extra = torch.cat([torch.arange(r + 1.0).unsqueeze(1).expand(-1, 4) * weight[0]
                       for r in range(WORLD)])
    glob = torch.cat([inputs @ weight, extra])
    loss = (glob.pow(2).sum(1) * torch.arange(1.0, 9.0)).sum()
    loss.backward()
    for rank in range(WORLD):
        got = load_file(tmp_path / f"{rank}.safetensors")
        torch.testing.assert_close(got["glob"], glob.detach())
        torch.testing.assert_close(got["loss"], loss.detach())
        torch.testing.assert_close(got["grad"], weight.grad)
        assert int(got["sizes"]) == 1 + 2


def _local_features(rank: int) -> dict:
    """Rank ``rank``'s pair features: 2 motions, 2 true captions + 1 negative, and a
    negative motion on rank 1 only; fields of 4 dense and 5 vocabulary columns."""
    g = torch.Generator().manual_seed(rank)

    def output(cls, rows):
        return cls(dense=torch.randn(rows, 4, generator=g),
                   lexical=torch.rand(rows, 5, generator=g),
                   max_logits=torch.randn(rows, 5, generator=g), tokens=torch.zeros(rows, 3, 2),
                   token_mask=torch.ones(rows, 3, dtype=torch.bool))

    k = rank  # negative motions
    return {"m": output(MotionOutput, 2), "t": output(TextOutput, 3), "n": 2,
            "neg_motions": output(MotionOutput, 1) if k else None,
            "owner": torch.tensor([0]), "side": torch.tensor([False]),
            "motion_owner": torch.tensor([1] * k), "motion_kind": torch.tensor([0] * k),
            "texts": [f"caption {rank}-{i}" for i in range(2)], "negatives": [f"neg {rank}"]}


def _pair_features_rank(rank: int, port: int, out: str) -> None:
    _as_torchrun(rank, port)
    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    for name, fields in (("all", FEATURE_FIELDS), ("no-max", ("dense", "lexical"))):
        f = gather_pair_features(_local_features(rank), fields)
        got = {f"{part}.{k}": getattr(f[part], k) for part in ("m", "t", "neg_motions")
               for k in FEATURE_FIELDS if getattr(f[part], k) is not None}
        save_file({k: v.contiguous() for k, v in got.items()},
                  Path(out) / f"{name}-{rank}.safetensors")
    dist.destroy_process_group()


def test_pair_features_gather_only_the_fields_the_objective_reads(tmp_path) -> None:
    """The (B, V) max logits travel only when asked (LexCMLP's word term), never those of
    negative motions; what travels is the global batch, rank 0's rows first."""
    _spawn(_pair_features_rank, str(tmp_path))
    local = [_local_features(r) for r in range(WORLD)]

    def joined(part, k, take=slice(None)):
        return torch.cat([getattr(f[part], k)[take] for f in local if f[part] is not None])

    for rank in range(WORLD):
        full = load_file(tmp_path / f"all-{rank}.safetensors")
        assert sorted(full) == ["m.dense", "m.lexical", "m.max_logits", "neg_motions.dense",
                                "neg_motions.lexical", "t.dense", "t.lexical", "t.max_logits"]
        torch.testing.assert_close(full["m.max_logits"], joined("m", "max_logits"))
        torch.testing.assert_close(full["t.max_logits"], torch.cat([
            joined("t", "max_logits", slice(0, 2)), joined("t", "max_logits", slice(2, 3))]))
        torch.testing.assert_close(full["neg_motions.lexical"], joined("neg_motions", "lexical"))
        lean = load_file(tmp_path / f"no-max-{rank}.safetensors")
        assert sorted(lean) == [k for k in sorted(full) if not k.endswith("max_logits")]
        for k, v in lean.items():
            torch.testing.assert_close(v, full[k])


# -- ranks launched by Lightning itself (fork): shares and random streams -----------------


def test_forked_ranks_take_their_own_share_and_random_stream(batch_recorder, tmp_path) -> None:
    """``ddp_fork`` with a DataLoader worker: each rank trains on its own share of the
    global batches from the first step (its loader is built after the launch, from batches
    given the rank in ``setup``) and draws its own masks (``seed + rank``), rank 0 those of
    one process on the same seed."""
    captions = [f"caption number {i}" for i in range(16)]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # no OpenMP pool across the fork
    try:
        trainer = L.Trainer(accelerator="cpu", devices=WORLD, strategy="ddp_fork",
                            max_steps=2, max_epochs=-1, logger=False,
                            enable_progress_bar=False, enable_model_summary=False,
                            enable_checkpointing=False, use_distributed_sampler=False)
        # built as training.py builds them: the rank before the launch is 0
        batches = TextBatches(captions, 2, 0, rank=trainer.global_rank,
                              world_size=trainer.world_size)
        module = batch_recorder(batches, num_workers=1, out=tmp_path)
        L.seed_everything(0, verbose=False)
        trainer.fit(module)
        alone = batch_recorder(TextBatches(captions, 2 * WORLD, 0), num_workers=1)
        L.seed_everything(0, verbose=False)
        L.Trainer(accelerator="cpu", devices=1, max_steps=2, max_epochs=-1, logger=False,
                  enable_progress_bar=False, enable_model_summary=False,
                  enable_checkpointing=False, use_distributed_sampler=False).fit(alone)
    finally:
        torch.set_num_threads(threads)
    for step in range(2):
        ranks = [json.loads((tmp_path / f"step{step}-rank{r}.json").read_text())
                 for r in range(WORLD)]
        assert ranks[0]["texts"] + ranks[1]["texts"] == alone.seen[step]["texts"]
        assert ranks[0]["mask"] != ranks[1]["mask"]
        assert ranks[0]["mask"] == alone.seen[step]["mask"]


# -- a whole training run ---------------------------------------------------------------


@pytest.fixture(scope="module")
def ddp_data(shared_data, tmp_path_factory, make_subset) -> Path:
    """40 real Bandai train clips and 8 val clips."""
    src = shared_data / "bandai"
    train = [ln.strip() for ln in (src / "train.txt").read_text().splitlines()][::71][:40]
    val = [ln.strip() for ln in (src / "val.txt").read_text().splitlines()][::8][:8]
    root = tmp_path_factory.mktemp("ddp") / "bandai_ddp"
    return make_subset(src, root, train + val, {"train": train, "val": val})


OVERRIDES = [
    "phases.0.max_steps=1", "phases.0.batch_size=6", "phases.1.max_steps=1",
    "phases.1.batch_size=6", "phases.2.max_steps=1", "phases.2.batch_size=6",
    "phases.3.max_steps=2", "phases.3.batch_size=6", "phases.3.val_every=1",
    "side_negatives=true", "order_negatives=true", "compose_p=0.5",
    "objective.side_pair_weight=0.5", "objective.order_pair_weight=0.5",
    "objective.lexical_align_weight=0.5",
    "objective.lexical_word_weight=0.5", "objective.near_duplicate_threshold=0.95",
    "accelerator=cpu", "devices=2", "strategy=ddp", "num_workers=0",
]


class Record(L.Callback):
    """Saves each step's batch and, for the pair phase, the gathered loss (eval mode: no
    dropout) computed on it before the step, and rank 0's weights at the first pair step."""

    def __init__(self, out: Path):
        self.out = out

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        name, rank = pl_module.phase.name, trainer.global_rank
        # the captions' tokens are a view of its strings (phase_data): the global batch is
        # rebuilt from the strings
        record = {"batch": {k: v for k, v in batch.items() if k != "text_tokens"}}
        if name == "lexcmlp":
            model = pl_module.model.eval()
            with torch.no_grad():
                record["loss"] = pl_module.objective(model, batch, step=trainer.global_step)
            model.train()
            if rank == 0 and trainer.global_step == 0:
                save_model(model, str(self.out / "weights.safetensors"))
        _save_record(record, self.out / f"{name}-{trainer.global_step}-{rank}")


def _save_record(record: dict, stem: Path) -> None:
    """Tensors to ``STEM.safetensors``, everything else (captions, ids) to ``STEM.json``."""
    tensors, other = {}, {}
    for part, values in record.items():
        for k, v in values.items():
            if torch.is_tensor(v):
                tensors[f"{part}.{k}"] = v.detach().contiguous()
            else:
                other[f"{part}.{k}"] = v
    save_file(tensors, f"{stem}.safetensors")
    Path(f"{stem}.json").write_text(json.dumps(other))


def _load_record(stem: Path) -> dict:
    """The record :func:`_save_record` wrote: ``{part: {key: value}}``."""
    flat = {**load_file(f"{stem}.safetensors"), **json.loads(Path(f"{stem}.json").read_text())}
    out: dict = {}
    for name, v in flat.items():
        part, k = name.split(".", 1)
        out.setdefault(part, {})[k] = v
    return out


def _train_rank(rank: int, port: int, data: str, out: str, repo: str) -> None:
    _as_torchrun(rank, port)
    cfg = load_train_config(Path(repo) / "configs" / "tiny.yaml", OVERRIDES)

    def recorded(*args, **kwargs):
        kwargs["callbacks"] = [*kwargs.get("callbacks", []), Record(Path(out))]
        return real_trainer(*args, **kwargs)

    def validation_metrics(model, examples, stats):  # seconds saved; who validates?
        (Path(out) / f"validated-by-{rank}-{len(list(Path(out).glob('validated-*')))}").touch()
        return {"val/rsum": 1.0}

    real_trainer, real_validation = L.Trainer, validate_export.validation_metrics
    L.Trainer, validate_export.validation_metrics = recorded, validation_metrics
    try:
        TrainingRun(cfg, [data], Path(out) / "run", progress=False).fit()
    finally:
        L.Trainer, validate_export.validation_metrics = real_trainer, real_validation


def _global_batch(parts: list[dict]) -> dict:
    """The batch one process would see: the ranks' batches end to end, owners shifted."""
    out: dict = {}
    offset = 0
    for p in parts:
        for k, v in p.items():
            if k in ("negative_owner", "negative_motion_owner"):
                v = v + offset
            if torch.is_tensor(v):
                out[k] = torch.cat([out[k], v]) if k in out else v
            elif isinstance(v, list):
                out[k] = out.get(k, []) + v
        offset += len(p["texts"])
    return out


@pytest.mark.slow
def test_ddp_ranks_see_their_own_share_and_the_global_loss(ddp_data, repo_root, tmp_path,
                                                            terminal_report) -> None:
    _spawn(_train_rank, str(ddp_data), str(tmp_path), str(repo_root))
    load = lambda name: _load_record(tmp_path / name)  # noqa: E731
    # (a) every step, the ranks' shares are disjoint (text, motion and pair phases)
    for phase, step, key in (("lexmlm", 0, "texts"), ("cmmm", 0, "lengths"),
                             ("lexcmlp", 0, "motion_ids"), ("lexcmlp", 1, "motion_ids")):
        parts = [load(f"{phase}-{step}-{r}")["batch"] for r in range(WORLD)]
        if key == "lengths":  # motions only: compare the patch images
            assert not torch.equal(parts[0]["patches"], parts[1]["patches"]), phase
            continue
        a, b = (set(p[key]) for p in parts)
        assert len(a) == len(parts[0][key]) == 6 and not a & b, (phase, a, b)
    # (b) each rank's gathered loss is one process's loss on the concatenated global batch
    cfg = load_train_config(repo_root / "configs" / "tiny.yaml", OVERRIDES)
    torch.manual_seed(0)
    model = create_model(cfg.model, device="cpu", **cfg.model_overrides)
    load_model(model, str(tmp_path / "weights.safetensors"))  # the corpus vocabulary too
    model.eval()
    objective = create_objective("lexcmlp", model, cfg.objective, false_negative_mask=True)
    records = [load(f"lexcmlp-0-{r}") for r in range(WORLD)]
    batch = _global_batch([r["batch"] for r in records])
    kinds = set(batch["negative_motion_kind"].tolist())
    assert kinds == {0, 1} and len(batch["negative_texts"])  # every column kind
    with torch.no_grad():
        single = objective(model, batch, step=0)
    for r in records:
        for key in ("loss", "dense", "lexical", "flops", "lexical_align", "lexical_word",
                    "car_accuracy", "side_accuracy", "side_motion_accuracy",
                    "order_motion_accuracy", "dense_side_pair", "lexical_order_pair"):
            torch.testing.assert_close(r["loss"][key], single[key], rtol=1e-5, atol=1e-6,
                                       msg=key)
    # validation ran on rank 0 alone (mid-phase and at the end), which exported the model
    assert sorted(p.name for p in tmp_path.glob("validated-*")) == [
        "validated-by-0-0", "validated-by-0-1"]
    run = tmp_path / "run"
    assert (run / "model" / "config.json").is_file()
    val = json.loads((run / "val_metrics.json").read_text())  # the model's copy
    assert val["val/rsum"] == 1.0
    assert val == json.loads((run / "model" / "val_metrics.json").read_text())
    terminal_report.append(
        f"DDP (2 CPU ranks, gloo): gathered loss {float(records[0]['loss']['loss']):.6f} vs "
        f"one process on the global batch of {len(batch['texts'])} "
        f"{float(single['loss']):.6f}")


@pytest.mark.slow
def test_the_command_under_lightnings_own_launcher_trains(ddp_data, tmp_path) -> None:
    """README's ``motionlex train ... devices=N strategy=ddp``: Lightning starts the second
    process by running the command again, after the first wrote OUT's run record; that
    process refused "holds an interrupted run" on every new --out (exit 2, the run killed)."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items()
           if k not in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "SLURM_PROCID", "JSM_NAMESPACE_RANK",
                        "MASTER_ADDR", "MASTER_PORT", "TORCHELASTIC_RUN_ID")}
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "motionlex.core", "train", "--config", "tiny", "--data",
         str(ddp_data), "--out", str(out), "--max-steps", "1", "-q", "accelerator=cpu",
         "devices=2", "strategy=ddp", "num_workers=0",
         "phases=[{name: lexcmlp, max_steps: 1, batch_size: 6, val_every: 1}]"],
        env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "holds an interrupted run" not in done.stderr
    assert f"model written to {out / 'model'}" in done.stdout
    assert (out / "model" / "config.json").is_file()

