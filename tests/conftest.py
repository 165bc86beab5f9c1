"""Shared fixtures: the real data in ../shared/data (skips with a reason when absent)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _collector_unfrozen():
    """The explorer's worker freezes live objects out of the garbage collector after a load
    (``app.driver.freeze_loaded_objects``); a test process opens hundreds of windows, so
    each test gives them back to the collector (cycles of closed windows are freed)."""
    yield
    import gc

    gc.unfreeze()


def _data_root() -> Path:
    env = os.environ.get("MOTIONLEX_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Root of the real motion-language data (../shared/data); skips when absent."""
    root = _data_root()
    if not (root / "README.md").is_file():
        pytest.skip(f"real data not found at {root} (set MOTIONLEX_DATA or place ../shared/data)")
    return root


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


def _subset(src: Path, dst: Path, ids: list[str],
            splits: dict[str, list[str]] | None = None) -> Path:
    """Copy ``ids`` of a HumanML3D-layout dataset ``src`` into ``dst`` (split ``all``, plus a
    split file per entry of ``splits``, e.g. ``{"train": [...], "val": [...]}``)."""
    (dst / "new_joints").mkdir(parents=True)
    (dst / "texts").mkdir()
    for i in ids:
        shutil.copy(src / "new_joints" / f"{i}.npy", dst / "new_joints")
        shutil.copy(src / "texts" / f"{i}.txt", dst / "texts")
    for name, members in {"all": ids, **(splits or {})}.items():
        (dst / f"{name}.txt").write_text("\n".join(members) + "\n")
    meta = json.loads((src / "meta.json").read_text())
    (dst / "meta.json").write_text(json.dumps({i: meta[i] for i in ids}))
    return dst


@pytest.fixture(scope="session")
def make_subset() -> Callable[..., Path]:
    """``make_subset(src, dst, ids, splits=None)``: a small real dataset folder made of
    ``ids`` of ``src``."""
    return _subset


@pytest.fixture
def gl_platform(qapp) -> str:
    """The Qt platform name; skips where pyqtgraph's OpenGL views cannot render."""
    from PySide6.QtGui import QGuiApplication

    name = QGuiApplication.platformName()
    if name in ("offscreen", "minimal"):
        pytest.skip(f"Qt platform {name!r} does not render pyqtgraph OpenGL views (use xcb/Xvfb)")
    return name


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Where screenshots go (``$MOTIONLEX_SCREENSHOTS`` or the temp dir)."""
    return Path(os.environ.get("MOTIONLEX_SCREENSHOTS", tempfile.gettempdir()))


def _save_tiny(folder: Path, seed: int = 0, stats: object = None) -> Path:
    import torch

    from motionlex.core.model.factory import create_model
    from motionlex.core.patches import PatchStats

    torch.manual_seed(seed)
    stats = PatchStats.identity() if stats is None else stats
    create_model("tiny", device="cpu").save_pretrained(
        folder, extra_json={"patch_stats.json": stats.to_dict()})
    return Path(folder)


@pytest.fixture(scope="session")
def save_tiny() -> Callable[..., Path]:
    """``save_tiny(folder, seed=0, stats=None)``: a model folder of the ``tiny`` model with
    random weights (``torch.manual_seed(seed)``: another seed, another fingerprint) and
    ``stats`` (identity patch statistics by default); returns ``folder``."""
    return _save_tiny
