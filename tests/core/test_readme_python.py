"""The README's Python example runs as written (on a gallery index built here)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np

from motionlex.core.model.factory import load_checkpoint
from motionlex.core.retrieval.fusion import checkpoint_fusion_weight
from motionlex.core.retrieval.index import GalleryIndex
from motionlex.core.retrieval.search import Searcher
from motionlex.resources import default_model_dir


def test_readme_python_example_runs(repo_root: Path, shared_data: Path, tmp_path: Path,
                                    monkeypatch) -> None:
    text = (repo_root / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python\n", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
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
    # the saved copy loads and searches as the shipped model does: same fusion weight (fused
    # scores used 0.5 without it), same hits and scores; stored as small as the shipped one
    saved = tmp_path / "runs" / "my_model"
    assert checkpoint_fusion_weight(saved) == checkpoint_fusion_weight(default_model_dir())
    model, _ = load_checkpoint(saved)
    index = GalleryIndex.load(tmp_path / "runs" / "bvh.mlx")
    searcher = Searcher(index, model, fusion_weight=checkpoint_fusion_weight(saved))
    again = [f"{h.id} {round(h.score, 3)} {h.caption}"
             for h in searcher.search(searcher.embed_text("a person walks"), k=3)]
    assert again == lines[5:8]
    size = sum(f.stat().st_size for f in saved.rglob("*") if f.is_file())
    assert size < 1.2 * sum(f.stat().st_size for f in default_model_dir().rglob("*")
                            if f.is_file())


def test_readme_data_path_example_runs(repo_root: Path, shared_data: Path, tmp_path: Path,
                                       monkeypatch) -> None:
    """The README's second Python block ("the rest of the data path") runs as written,
    after the first one's names (m, model, stats), and prints what its comments say."""
    from motionlex.core.motion.files import load_motion_file

    text = (repo_root / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python\n", 1)[1].split("\n## ", 1)[0]
    code = re.findall(r"```python\n(.*?)```", section, re.S)[1]
    monkeypatch.chdir(tmp_path)  # its relative output: runs/eval-readme
    code = code.replace("../shared/data/", f"{shared_data}/")
    model, stats = load_checkpoint(default_model_dir())
    m = load_motion_file(shared_data / "raw_bvh" / "bandai_2_wave-right-hand_normal_001.bvh")
    from motionlex.core.retrieval.embed import encode_motions

    scope = {"model": model, "stats": stats, "m": m, "encode_motions": encode_motions,
             "default_model_dir": default_model_dir}  # the first block's names
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 - the documented example
    lines = out.getvalue().splitlines()
    assert scope["image"].shape == (3, m.num_frames, 80)
    assert "('wave'" in lines[0] or "('waves'" in lines[0]  # the wave's heaviest words
    assert scope["events"] == ["a person jumps twice", "a person sits down"]
    assert scope["wrong"] == ["a person sits down, then a person jumps twice"]
    assert lines[1] == str(scope["events"]) and lines[2] == str(scope["wrong"])  # as printed
    assert lines[3] == "a person waves the left hand"
    r1, car = (float(v) for v in lines[4].split())
    said = re.search(r'result\.metrics\["CAR"\]\)\s+#\s*([\d.]+)\s+([\d.]+)', code)
    assert said, "the README's evaluate example names its figures in a comment"
    assert abs(r1 - float(said[1])) < 0.1 and abs(car - float(said[2])) < 0.1  # as it says
    assert (tmp_path / "runs" / "eval-readme" / "metrics.json").is_file()
