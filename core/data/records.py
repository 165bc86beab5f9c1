"""What a dataset scan yields: records of motions on disk, loaded samples, and the report of
what was kept and skipped (:class:`~motionlex.core.data.datasets.MotionDataset` makes them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from motionlex.core.data.text_files import Caption
from motionlex.core.motion.motion import Motion
from motionlex.core.wording import count

__all__ = ["MotionRecord", "Sample", "ScanReport"]


@dataclass(frozen=True)
class MotionRecord:
    """One motion of a dataset, not yet loaded.

    Attributes:
        id: dataset id (file stem).
        path: the motion file (``.npy`` or ``.bvh``).
        captions: its captions (empty when the dataset has none for it).
        meta: metadata from ``meta.json`` (labels such as ``action``, ``style``).
    """

    id: str
    path: Path
    captions: tuple[Caption, ...] = ()
    meta: dict = field(default_factory=dict)


@dataclass
class ScanReport:
    """What a dataset scan kept and skipped.

    Attributes:
        root: the dataset folder.
        split: split name.
        kept: number of usable motions.
        skipped: ``(id or file, reason)`` for every file left out.
        spans: ``(id, reason)`` for every caption of a kept motion whose span cannot be
            cropped from it (training and evaluation leave that caption out).
        not_upright: ids of kept motions whose body is not upright along +Y over most of
            the clip (a Z-up export, or a figure lying most of the time): kept, but named.
        wordless: ``(id, reason)`` for every caption line left out for having no word
            (empty, ``"...!!!"``); the motion keeps its other captions.
    """

    root: Path
    split: str
    kept: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    spans: list[tuple[str, str]] = field(default_factory=list)
    not_upright: list[str] = field(default_factory=list)
    wordless: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        """One paragraph for logs and the CLI."""
        head = f"{self.root} [{self.split}]: {count(self.kept, 'usable motion')}"
        lines = [f"{head}, {len(self.skipped)} skipped:" if self.skipped else head]
        lines += _named(self.skipped, 50)
        if self.spans:
            lines.append(f"{count(len(self.spans), 'caption')} of usable motions left out (a span "
                         f"outside its clip):")
            lines += _named(self.spans, 20)
        if self.wordless:
            lines.append(f"{count(len(self.wordless), 'caption')} left out (no words; the "
                         f"motions keep their other captions):")
            lines += _named(self.wordless, 20)
        if self.not_upright:
            lines.append(f"{count(len(self.not_upright), 'usable motion')} kept but not upright "
                         f"along +Y over most of the clip (a Z-up export must be rotated "
                         f"first; a figure lying most of the time is fine): "
                         f"{', '.join(self.not_upright[:20])}"
                         + (f" ... and {len(self.not_upright) - 20} more"
                            if len(self.not_upright) > 20 else ""))
        return "\n".join(lines)


def _named(items: list[tuple[str, str]], limit: int) -> list[str]:
    """``"  name: why"`` lines of a report, the first ``limit`` of them, then a count."""
    lines = [f"  {name}: {why}" for name, why in items[:limit]]
    if len(items) > limit:
        lines.append(f"  ... and {len(items) - limit} more")
    return lines


@dataclass
class Sample:
    """A loaded motion and its captions.

    Attributes:
        motion: canonical :class:`Motion` (whole clip).
        captions: all its captions.
        record: the record it came from.
    """

    motion: Motion
    captions: tuple[Caption, ...]
    record: MotionRecord
