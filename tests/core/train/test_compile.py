"""The training config's ``compile``: the towers compiled while a phase trains
(core/train/compile.py)."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from safetensors.torch import load_file

from motionlex.core.cli import main
from motionlex.core.model.factory import create_model
from motionlex.core.train import module as module_py
from motionlex.core.train.compile import (
    RECOMPILE_LIMIT,
    compile_towers,
    tower_modules,
    uncompile,
)
from motionlex.core.train.train_config import PhaseConfig, load_train_config
from motionlex.core.train.training import TrainingRun


@pytest.fixture(scope="module")
def bandai_20(shared_data, tmp_path_factory, make_subset):
    """20 real Bandai training clips (several actions) and 4 validation clips."""
    src = shared_data / "bandai"
    train = [ln.strip() for ln in (src / "train.txt").read_text().splitlines()][::150][:20]
    val = [ln.strip() for ln in (src / "val.txt").read_text().splitlines()][::20][:4]
    root = tmp_path_factory.mktemp("data") / "bandai_20"
    return make_subset(src, root, train + val, {"train": train, "val": val})


def _fit(cfg, data, out, monkeypatch
         ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], list[str], int]:
    """Train ``cfg`` on ``data``: the starting and the exported weights, which towers were
    called through their compiled ``__call__`` (the module's own ``compile_towers``,
    recorded) and how many graphs dynamo built."""
    calls: list[str] = []

    def recorded(model, backend):
        modules = compile_towers(model, backend)
        for name, m in zip(("motion", "text"), modules):
            def call(*args, _f=m._compiled_call_impl, _name=name, **kwargs):
                calls.append(_name)
                return _f(*args, **kwargs)
            m._compiled_call_impl = call
        return modules

    monkeypatch.setattr(module_py, "compile_towers", recorded)
    run = TrainingRun(cfg, [data], out, progress=False)
    start = {k: v.clone() for k, v in run.model.state_dict().items()}
    torch._dynamo.utils.counters.clear()
    exported = run.fit()
    graphs = torch._dynamo.utils.counters["stats"]["unique_graphs"]
    assert all(m._compiled_call_impl is None for m in tower_modules(run.model))  # eager again
    return start, load_file(exported / "model.safetensors"), calls, graphs


def test_compiled_towers_train_to_the_eager_weights(bandai_20, repo_root, tmp_path,
                                                    monkeypatch):
    """Three LexCMLP steps with the towers compiled (aot_eager: traced by dynamo and
    AOTAutograd as inductor's are, without inductor's minutes of CPU code generation) end
    on the weights of the eager run, under the same parameter names: the compiled towers
    are the ones that trained, and what is exported does not know they were compiled."""
    cfg = load_train_config(repo_root / "configs" / "tiny.yaml", [])
    cfg = dataclasses.replace(cfg, phases=(PhaseConfig("lexcmlp", 3, 8),), mirror_p=0.0)
    start, eager, eager_calls, eager_graphs = _fit(cfg, bandai_20, tmp_path / "eager",
                                                   monkeypatch)
    _, compiled, compiled_calls, graphs = _fit(dataclasses.replace(cfg, compile="aot_eager"),
                                               bandai_20, tmp_path / "compiled", monkeypatch)
    assert eager_calls == [] and eager_graphs == 0
    assert compiled_calls.count("motion") >= 3 and compiled_calls.count("text") >= 3
    assert graphs >= 2  # dynamo traced the towers (no silent fall-back to eager calls)
    assert eager.keys() == compiled.keys()
    moved = [k for k in eager if not torch.equal(eager[k], start[k])]
    assert len(moved) > len(eager) // 2  # the steps trained the model
    for k in eager:
        torch.testing.assert_close(compiled[k], eager[k], rtol=1e-4, atol=1e-5, msg=k)


def test_compile_towers_in_place_and_back():
    model = create_model("tiny", device="cpu")
    keys = list(model.state_dict())
    assert compile_towers(model, None) == [] and compile_towers(model, "None") == []
    modules = compile_towers(model, "eager")
    assert modules == tower_modules(model) and len(modules) == 2
    import torch._dynamo.config as dynamo_config

    limit = getattr(dynamo_config, "recompile_limit", None) or dynamo_config.cache_size_limit
    assert limit >= RECOMPILE_LIMIT  # 8 would end a 4-phase run eager
    assert all(m._compiled_call_impl is not None for m in modules)
    assert list(model.state_dict()) == keys  # in place: no "_orig_mod." in the names
    uncompile(modules)
    assert all(m._compiled_call_impl is None for m in modules)
    with pytest.raises(ValueError, match="'inductr' is not a torch.compile backend.*inductor"):
        compile_towers(model, "inductr")


def test_an_unknown_compile_backend_stops_the_run_before_loading(repo_root, tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(["train", "--config", str(repo_root / "configs" / "tiny.yaml"),
               "--data", str(tmp_path / "not-even-read"), "--out", str(out), "-q",
               "compile=inductr"])
    err = capsys.readouterr().err
    assert rc == 2 and "compile='inductr' is not a torch.compile backend" in err
    assert "inductor" in err and "Traceback" not in err and not out.exists()
