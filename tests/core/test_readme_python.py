"""The README's Python example runs as written (on a gallery index built here)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np

from motionlex.core.cli import main


def test_readme_python_example_runs(repo_root: Path, shared_data: Path, tmp_path: Path,
                                    monkeypatch) -> None:
    text = (repo_root / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python\n", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert main(["index", "--data", str(shared_data / "raw_bvh"), "--split", "all",
                 "--out", str(tmp_path / "gallery.mlx"), "-q"]) == 0
    monkeypatch.chdir(tmp_path)  # the example's relative paths: the index, the saved model
    code = code.replace("../shared/data/", f"{shared_data}/")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - the documented example
    lines = out.getvalue().splitlines()
    cosines = np.array([float(v) for v in re.findall(r"-?\d+\.\d+", lines[0] + lines[1])])
    assert cosines.shape == (2,) and cosines[0] > cosines[1]  # the wave caption first
    assert re.fullmatch(r"\(1, \d+\)", lines[2])
    lexical = np.array([float(v) for v in re.findall(r"-?\d+\.\d+", lines[3] + lines[4])])
    assert lexical.shape == (2,) and lexical[0] > lexical[1]  # by words too: the wave first
    assert len(lines) == 8 and "walk" in lines[5].lower()
    assert (tmp_path / "my_model" / "patch_stats.json").is_file()
