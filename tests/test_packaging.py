"""The wheel (``pip install .``, not only ``pip install -e .``) holds every package, the shipped
model and the two commands: ``motionlex.core.cli`` was once missing from pyproject's
``packages``, so a non-editable install had a ``motionlex`` command that could not import."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """A wheel built from a copy of the source tree (no build files land in the checkout)."""
    src = tmp_path_factory.mktemp("src") / "motionlex"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(
        ".git", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis", "tests",
        "benchmarks", "docs", ".venv*"))
    out = tmp_path_factory.mktemp("wheel")
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                          "--no-build-isolation", str(src), "-w", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    (whl,) = out.glob("motionlex-*.whl")
    return zipfile.ZipFile(whl)


def test_every_package_of_the_tree_is_in_the_wheel(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for top in ("core", "app", "widgets"):
        for init in (REPO / top).rglob("__init__.py"):
            folder = init.parent.relative_to(REPO)
            modules = sorted(p.name for p in init.parent.glob("*.py"))
            packaged = sorted(n.rsplit("/", 1)[1] for n in names
                              if n.rsplit("/", 1)[0] == f"motionlex/{folder.as_posix()}"
                              and n.endswith(".py"))
            assert packaged == modules, f"{folder}: wheel holds {packaged}, tree {modules}"


def test_the_wheel_ships_the_default_model_and_both_commands(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    model = REPO / "resources" / "default_model"
    for f in model.rglob("*"):
        if f.is_file():
            assert f"motionlex/resources/{f.relative_to(REPO / 'resources').as_posix()}" in names
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    text = wheel.read(entry_points).decode()
    assert "motionlex = motionlex.core.cli:main" in text
    assert "motionlex-explorer = motionlex.app.main:main" in text


def test_the_wheel_ships_the_training_configs_where_train_finds_them(
        wheel: zipfile.ZipFile) -> None:
    """``train --config tiny`` from any folder: ``core/train/configs.py`` looks two folders up,
    ``motionlex/configs/`` in the wheel (``configs/`` was not package data)."""
    from motionlex.core.train import configs

    names = set(wheel.namelist())
    assert configs.CONFIG_DIR == REPO / "configs"  # a source checkout: REPO/configs
    shipped = sorted(p.name for p in (REPO / "configs").glob("*.yaml"))
    assert shipped and all(f"motionlex/configs/{n}" in names for n in shipped)
    assert "motionlex/core/train/configs.py" in names
