"""The one message for an index used with another model, by where the model came from."""

from __future__ import annotations

from motionlex.core.retrieval.index_format import model_mismatch

WANT, GOT = "a" * 64, "b" * 64


def test_an_index_that_records_no_checkpoint_says_so(tmp_path):
    """An index built from Python without checkpoint= said its checkpoint "(not recorded) no
    longer exists", both at once."""
    msg = str(model_mismatch(tmp_path / "g.mlx", WANT, GOT, None))
    assert "no longer exists" not in msg and "not recorded" not in msg
    assert "it records no checkpoint (build_index(..., checkpoint=DIR) records it)" in msg
    assert f"{'a' * 16}... but the loaded model is {'b' * 16}..." in msg


def test_a_recorded_checkpoint_is_named_whether_or_not_it_is_there(tmp_path):
    gone = str(tmp_path / "gone")
    assert f"its checkpoint ({gone}) no longer exists" in str(
        model_mismatch(tmp_path / "g.mlx", WANT, GOT, gone))
    there = tmp_path / "model"
    there.mkdir()
    assert f"use the checkpoint it was built with ({there})" in str(
        model_mismatch(tmp_path / "g.mlx", WANT, GOT, str(there)))
