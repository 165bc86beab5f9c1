"""The shipped training configs (``configs/*.yaml``), found by name: ``train --config tiny``
and ``train("tiny", ...)`` work from any folder, in a source checkout (``configs/`` beside
``core/``) and in an installed wheel (package data ``motionlex/configs/``; pyproject's
``motionlex.configs``)."""

from __future__ import annotations

from pathlib import Path

from motionlex.core.text.did_you_mean import closest_name

CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"
"""Where the shipped configs are: ``REPO/configs`` (``core/train/`` is two folders below) or,
installed, ``site-packages/motionlex/configs``."""


def shipped_configs() -> dict[str, Path]:
    """The shipped training configs by name (``"tiny"`` -> ``.../configs/tiny.yaml``), sorted;
    ``{}`` when none are installed."""
    return {p.stem: p for p in sorted(CONFIG_DIR.glob("*.yaml"))}


def resolve_config(text: str) -> str:
    """``--config`` as given when that file exists, else the shipped config it names:
    ``tiny``, ``tiny.yaml`` or ``configs/tiny.yaml`` (the README's form, from any folder).

    Raises:
        FileNotFoundError: no such file and no shipped config of that name; the message
            lists the shipped ones, and the closest name (``tyni``: did you mean tiny?).
    """
    path = Path(text)
    if path.exists():
        return text
    shipped = shipped_configs()
    name = path.name[:-5] if path.name.endswith(".yaml") else path.name
    if path.parent in (Path("."), Path("configs")) and name in shipped:
        return str(shipped[name])
    names = ", ".join(shipped) or "none installed"
    close = closest_name(name, list(shipped))
    raise FileNotFoundError(f"training config not found: {text} (not a file, nor the name of "
                            f"a shipped config: {names})"
                            + (f"; did you mean {close}?" if close else ""))
