"""What ``motionlex index`` prints when a build ends: one line of counts, then a line per
part that needs one (re-read, restored, removed and skipped motions)."""

from __future__ import annotations

from typing import Any

from motionlex.core.retrieval.build_work import row_key
from motionlex.core.wording import count

SHOWN = 20
"""Skipped motions listed one per line (the rest counted)."""


def index_summary(out: Any, rep: Any) -> list[str]:
    """The lines that say what a build did: ``"g.mlx: 20 motions, 0.8 MiB (1 encoded, 18
    kept, 1 removed), 12.3 motions/s"`` and below it the parts of those counts, one line
    each, so no parenthesis nests in another. A motion whose row was removed because its
    file is gone counts once, as removed (the split file that still lists it made it a
    skipped one too: "1 removed, 1 skipped" of one deleted motion).

    Args:
        out: the index folder, as given.
        rep: the :class:`~motionlex.core.retrieval.build.BuildReport`.
    """
    idx = rep.index
    gone = {row_key(i) for i in rep.removed}  # (dataset, id): folders may share ids
    datasets = list(getattr(rep, "skipped_datasets", []))
    datasets += [None] * (len(rep.skipped) - len(datasets))  # unreadable files: no match
    skipped = [(n, why) for (n, why), d in zip(rep.skipped, datasets) if (d, n) not in gone]
    encoded = rep.added - rep.resumed  # the rate counts only this run's encoding
    parts = [f"all {rep.added:,} encoded again" if rep.rebuilt else f"{rep.added:,} encoded"]
    if not rep.rebuilt:
        parts.append(f"{rep.kept:,} kept")
    removed = len(rep.removed) + len(rep.unreadable)
    parts += [f"{removed:,} removed"] if removed else []
    parts += [f"{len(skipped):,} skipped"] if skipped else []
    rate = ", up to date" if not (rep.added or removed) else ""
    if encoded and rep.seconds > 0:
        rate = f", {encoded / rep.seconds:,.1f} motions/s"
    lines = [f"{out}{' rebuilt' if rep.rebuilt else ''}: {count(len(idx), 'motion')}, "
             f"{idx.size_bytes() / 2**20:,.1f} MiB ({', '.join(parts)}){rate}"]
    # motions = encoded + kept; what "encoded" holds is said below (replaced rows are
    # re-encoded ones: "1 encoded, 18 kept, 1 replaced" did not add up)
    if rep.replaced:
        lines.append(f"  {len(rep.replaced):,} of the encoded re-read: changed file or "
                     "caption, or a newer BVH reader")
    if rep.resumed:
        lines.append(f"  {rep.resumed:,} of the encoded restored from the interrupted build, "
                     f"{encoded:,} encoded in this run")
    if rep.removed:
        shown = ", ".join(rep.removed[:5]) + (" ..." if len(rep.removed) > 5 else "")
        lines.append(f"  removed {count(len(rep.removed), 'motion')} whose file is gone or "
                     f"unreadable: {shown}")
    if rep.unreadable:
        lines.append(f"  removed {count(len(rep.unreadable), 'motion')} whose file changed "
                     "and no longer reads (the reason is below)")
    lines += [f"  skipped {name}: {why}" for name, why in skipped[:SHOWN]]
    if len(skipped) > SHOWN:
        lines.append(f"  ... and {len(skipped) - SHOWN:,} more skipped")
    return lines
