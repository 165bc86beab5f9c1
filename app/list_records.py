"""The rows the explorer's lists show, from the worker's messages: the gallery browser's rows
(kept as the gallery's columns) and the results list's hits with a stand-in for a missing
caption. No Qt (the rows are plain data for :mod:`motionlex.widgets.record_model`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from motionlex.app.messages import GalleryInfo, RankResult
from motionlex.widgets.record_columns import ColumnRows


def gallery_records(info: GalleryInfo) -> ColumnRows:
    """Rows for the gallery browser: ``id``, ``caption`` (``"[no caption]"`` when empty),
    ``duration`` (s), ``row``, kept as the gallery's columns (``rows[i]`` is a dict).

    Raises:
        ValueError: when the gallery's columns differ in length (names the column).
    """
    captions = info.captions
    if not all(captions):  # copy only when some caption is empty
        captions = [c or "[no caption]" for c in captions]
    return ColumnRows({"id": info.ids, "caption": captions,
                       "duration": np.asarray(info.durations), "row": range(len(info.ids))})


def result_records(result: RankResult) -> list[dict[str, Any]]:
    """Rows for the results list: the hits, a missing caption shown as ``[no caption] NAME``
    (the id's file name without its folders: the id column may be hidden at narrow widths,
    and the folders take the room)."""
    return [{**h, "caption": h["caption"] or f"[no caption] {str(h['id']).rsplit('/', 1)[-1]}"}
            for h in result.hits]
