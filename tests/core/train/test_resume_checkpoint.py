"""The phase checkpoints ``--resume`` reads, opened before training: a damaged one is one
``ValueError`` naming the file, the problem and what to do (the real Lightning checkpoint cut
short is in ``tests/core/cli/test_cli_train.py``)."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from motionlex.core.train.resume_checkpoint import (
    check_resume_checkpoints,
    checkpoint_path,
    read_resume_checkpoint,
)


class _Payload:
    def __init__(self, flag):
        self.flag = flag

    def __reduce__(self):
        return (os.system, (f"touch {self.flag}",))


def test_damaged_checkpoints_are_value_errors_naming_file_problem_and_remedy(tmp_path):
    ckpt = tmp_path / "checkpoints" / "2-lexcmlp-last.ckpt"
    ckpt.parent.mkdir()
    torch.save({"state_dict": {"w": torch.ones(2)}, "global_step": 5, "loops": {}}, ckpt)
    assert read_resume_checkpoint(ckpt) == 5
    good = ckpt.read_bytes()
    flag = tmp_path / "PWNED"
    torch.save({"state_dict": {}, "global_step": 1, "x": _Payload(flag)}, tmp_path / "p")
    torch.save({"w": torch.ones(2)}, tmp_path / "plain")
    cases = {
        b"": "an empty file",
        good[:-100]: "not a zip archive: cut short",
        np.random.default_rng(0).bytes(3000): "not a zip archive",
        (tmp_path / "p").read_bytes(): "pickled objects a weights-only load refuses, not run",
        (tmp_path / "plain").read_bytes(): "not a Lightning training checkpoint",
    }
    for data, problem in cases.items():
        ckpt.write_bytes(data)
        with pytest.raises(ValueError) as e:
            read_resume_checkpoint(ckpt)
        msg = str(e.value)
        assert msg.startswith(f"{ckpt}: not a readable training checkpoint ({problem}"), msg
        assert msg.endswith("delete it and --resume trains phase 2-lexcmlp again from its "
                            "step 0 (finished phases are kept), or --overwrite trains the "
                            "whole run again")
        assert "\n" not in msg and "weights_only" not in msg
    assert not flag.exists()


def test_only_unfinished_phases_checkpoints_are_read(tmp_path):
    names = ["lexmlm", "lexcmlp"]
    done = tmp_path / "phases" / "0-lexmlm"
    done.mkdir(parents=True)
    (done / "config.json").write_text("{}")
    stale = checkpoint_path(tmp_path, 0, "lexmlm")  # a finished phase's: never read
    stale.parent.mkdir()
    stale.write_bytes(b"")
    assert check_resume_checkpoints(tmp_path, names) == {}
    torch.save({"state_dict": {}, "global_step": 7}, checkpoint_path(tmp_path, 1, "lexcmlp"))
    assert check_resume_checkpoints(tmp_path, names) == {"1-lexcmlp": 7}
    checkpoint_path(tmp_path, 1, "lexcmlp").write_bytes(b"x" * 10)
    with pytest.raises(ValueError, match=r"1-lexcmlp-last\.ckpt: not a readable"):
        check_resume_checkpoints(tmp_path, names)
