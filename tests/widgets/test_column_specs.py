"""column_specs: the lists' columns, dict rows turned into columns, columns checked; the
errors name the row or the column."""

from __future__ import annotations

import numpy as np
import pytest

from motionlex.widgets.column_specs import (
    GALLERY_COLUMNS,
    RESULT_COLUMNS,
    check_column_values,
    records_to_columns,
)


def test_the_lists_columns_format_their_values():
    by_key = {c.key: c for c in RESULT_COLUMNS}
    assert by_key["score"].fmt(0.83456) == "0.835" and by_key["score"].numeric
    assert by_key["id"].short and not by_key["caption"].numeric
    duration = next(c for c in GALLERY_COLUMNS if c.key == "duration")
    assert duration.fmt(2.24) == "2.2" and not duration.required
    # to the nearest tenth, a tie up: Bandai's 13-frame dash at 20 fps (0.65 s, float32
    # 0.64999998) read "0.6" (GUI audit w38 #8)
    assert duration.fmt(np.float32(13) / np.float32(20)) == "0.7"
    assert duration.fmt(2.25) == "2.3" and duration.fmt(4.649) == "4.6"
    assert duration.fmt(0) == "0.0" and duration.fmt(1234.56) == "1234.6"
    assert duration.fmt(float("nan")) == "nan"


def test_records_become_columns_with_missing_optional_values():
    recs = [{"id": "M1", "caption": "walks", "duration": 2.0, "extra": 1},
            {"id": "M2", "caption": "runs"}]
    cols, kept = records_to_columns(recs, GALLERY_COLUMNS, ("id", "caption"))
    assert cols == {"id": ["M1", "M2"], "caption": ["walks", "runs"], "duration": [2.0, None]}
    assert kept == recs and kept[0] is not recs[0]  # copies


@pytest.mark.parametrize(
    ("records", "match"),
    [
        ([{"id": "M1", "caption": "x"}, ("M2", "y")], "row 1: expected a dict, got tuple"),
        ([{"caption": "no id"}], r"row 0: missing key\(s\) \['id'\]"),
        ([{"id": "M1", "caption": "x", "duration": "long"}], "row 0: bad 'duration' value"),
    ],
)
def test_bad_records_name_the_row(records, match):
    with pytest.raises(ValueError, match=match):
        records_to_columns(records, GALLERY_COLUMNS, ("caption",))


def test_column_values_give_the_row_count_or_name_the_column():
    good = {"id": ["a", "b"], "caption": ["x", "y"], "duration": np.array([1.0, 2.0])}
    assert check_column_values(good, GALLERY_COLUMNS) == 2
    assert check_column_values({"id": range(3), "caption": ["x"] * 3}, GALLERY_COLUMNS) == 3
    with pytest.raises(ValueError, match=r"missing column\(s\) \['caption'\]"):
        check_column_values({"id": ["a"]}, GALLERY_COLUMNS)
    with pytest.raises(ValueError, match="column 'duration': expected numbers"):
        check_column_values({**good, "duration": ["1", "long"]}, GALLERY_COLUMNS)
    with pytest.raises(ValueError, match="column 'caption' has 1 values"):
        check_column_values({**good, "caption": ["x"]}, GALLERY_COLUMNS)
