"""core/json_io.py: the one JSON writer (atomic; NumPy scalars as numbers) and the rounding
of the floats it writes (core/value_checks.rounded, core/retrieval/report.write_report_json).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from motionlex.core import atomic
from motionlex.core.json_io import write_json
from motionlex.core.retrieval.report import write_report_json
from motionlex.core.value_checks import rounded


def test_write_json_writes_one_of_two_forms_atomically(tmp_path, monkeypatch):
    """The one JSON writer (code review 36 F6: a model folder's, a report's and an index's
    writers were three, one of them not atomic): indented (and, asked, key-sorted) with
    non-ASCII escaped and a Path written as text, or compact on one line in UTF-8."""
    import json

    value = {"b": 1.5, "a": [1, "wälk"], "p": Path("x") / "y"}
    path = write_json(tmp_path / "sub" / "v.json", value, sort_keys=True)
    assert path == tmp_path / "sub" / "v.json"
    p_text = json.dumps(str(value["p"]))
    assert path.read_text() == ('{\n  "a": [\n    1,\n    "w\\u00e4lk"\n  ],\n  "b": 1.5,\n'
                                f'  "p": {p_text}\n}}\n')
    write_json(path, value, indent=1)
    assert path.read_text() == json.dumps(value, indent=1, default=str) + "\n"
    write_json(path, value["a"], compact=True)
    assert path.read_bytes() == '[1, "wälk"]\n'.encode()
    with pytest.raises(TypeError, match="PosixPath|WindowsPath"):  # the index takes no str()
        write_json(path, value, compact=True)

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(OSError, match="v.json: no space left"):
        write_json(path, {"new": 1})
    assert path.read_bytes() == '[1, "wälk"]\n'.encode()  # nothing half-written, no leftovers
    assert [p.name for p in path.parent.iterdir()] == ["v.json"]


def test_numpy_scalars_are_written_as_numbers(tmp_path):
    """Code review 37 A8: ``default=str`` wrote ``np.float32`` and ``np.int64`` as the texts
    "0.12345679" and "3", which readers of metrics then skipped."""
    value = {"a": np.float32(0.123456789), "c": np.int64(3), "b": np.bool_(True),
             "v": np.arange(2)}
    read = json.loads(write_json(tmp_path / "m.json", rounded(value)).read_text())
    assert read == {"a": 0.123457, "c": 3, "b": True, "v": [0, 1]}
    assert isinstance(read["a"], float) and isinstance(read["c"], int)
    compact = json.loads(write_json(tmp_path / "i.json", {"n": np.int32(7)}, compact=True)
                         .read_text())
    assert compact == {"n": 7}
    with pytest.raises(TypeError, match="ndarray"):  # an index's files stay strict
        write_json(tmp_path / "i.json", {"v": np.arange(2)}, compact=True)


def test_rounding_and_non_finite_values_at_any_depth(tmp_path):
    """Code review 37 A9: the report writer nulled only a dict's top-level NaN, so nested ones
    were written as NaN / Infinity, which is not JSON; ``rounded`` gave -0.0."""
    value = {"a": math.nan, "info": {"b": math.inf, "c": np.float64(-4e-7)},
             "l": [math.nan, 1.23456789, (2, np.float32(0.5))]}
    assert rounded(value)["info"]["b"] == math.inf  # kept unless asked
    assert rounded(-4e-7) == 0.0 and math.copysign(1.0, rounded(-4e-7)) == 1.0
    text = write_report_json(tmp_path / "r.json", value).read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {"a": None, "info": {"b": None, "c": 0.0},
                                "l": [None, 1.234568, [2, 0.5]]}
