"""Rows for the explorer's lists (motionlex.app.list_records)."""

from __future__ import annotations

import numpy as np

from motionlex.app.list_records import gallery_records, result_records
from motionlex.app.messages import GalleryInfo, RankResult


def _result() -> RankResult:
    """A ranking of one uncaptioned hit, ``M1``."""
    hits = [{"rank": 1, "score": 0.9, "caption": "", "id": "M1", "row": 1}]
    return RankResult(1, "walk", "fused", hits, [("walk", 1.0)], total=3, seconds=0.01)


def test_records_for_the_lists():
    rows = gallery_records(GalleryInfo(
        path="/g.mlx", source="/g", size=3, ids=["M0", "M1", "M2"],
        captions=["walks", "", "jumps"], durations=np.array([1.0, 2.5, 3.0], np.float32),
        searchable=True, skipped=[("bad.bvh", "no root")]))
    assert rows[1] == {"id": "M1", "caption": "[no caption]", "duration": 2.5, "row": 1}
    assert result_records(_result())[0]["caption"] == "[no caption] M1"
    deep = _result()
    deep.hits[0]["id"] = "raw_bvh/bandai/bandai_1_kick_normal_001"  # folders take the room
    assert result_records(deep)[0]["caption"] == "[no caption] bandai_1_kick_normal_001"
