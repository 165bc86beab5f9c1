"""widgets/record_columns.py: rows kept as columns (``ColumnRows``) and the column helpers of
the record table (checks, sort keys, search texts, widest rows), on the columns of real
Bandai clips. No Qt."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from motionlex.widgets.record_columns import (
    ColumnRows,
    check_columns,
    likely_widest,
    matching_rows,
    numbers,
    plain,
    search_texts,
    shared_path_prefix,
    sort_keys,
    sorted_rows,
)


@pytest.fixture(scope="module")
def bandai(shared_data) -> dict:
    """Columns of the 70 real Bandai val clips: id, first caption, duration (float32 array),
    frames (int64 array), action."""
    root = shared_data / "bandai"
    ids = [ln.strip() for ln in (root / "val.txt").read_text().splitlines() if ln.strip()]
    meta = json.loads((root / "meta.json").read_text())
    caps = [(root / "texts" / f"{i}.txt").read_text().split("#")[0] for i in ids]
    return {"id": [f"bandai/{i}" for i in ids], "caption": caps,
            "duration": np.array([meta[i]["frames"] / meta[i]["fps"] for i in ids], np.float32),
            "frames": np.array([meta[i]["frames"] for i in ids], np.int64),
            "action": [meta[i]["action"] for i in ids]}


# -- check_columns, plain, numbers ------------------------------------------------------------


def test_check_columns_gives_the_common_length(bandai):
    assert check_columns(bandai) == 70
    assert check_columns({"a": range(3), "b": (1, 2, 3), "c": np.zeros(3)}) == 3
    assert check_columns({}) == 0
    assert check_columns({"a": []}) == 0


@pytest.mark.parametrize(("col", "message"), [
    ("abc", "column 'x': expected a sequence, got str"),
    (b"abc", "column 'x': expected a sequence, got bytes"),
    ({"a": 1, "b": 2, "c": 3}, "column 'x': expected a sequence, got dict"),
    (3, "column 'x': expected a sequence, got int"),
    (np.zeros((3, 1)), r"column 'x': expected a 1-D array, got shape \(3, 1\)"),
    ([1, 2], "column 'x' has 2 values, column 'id' has 3"),
])
def test_check_columns_names_the_bad_column(col, message):
    with pytest.raises(ValueError, match=message):
        check_columns({"id": ["a", "b", "c"], "x": col})


def test_plain_turns_numpy_scalars_into_python_values():
    for v, expected, kind in ((np.float32(0.5), 0.5, float), (np.int64(7), 7, int),
                              (np.bool_(True), True, bool), (np.str_("walk"), "walk", str)):
        got = plain(v)
        assert got == expected and type(got) is kind
    marker = object()
    assert plain(marker) is marker and plain(None) is None and plain([1]) == [1]


def test_numbers_reads_none_as_nan_and_names_a_bad_column():
    got = numbers("duration", [1, None, 2.5, np.float32(0.25)])
    assert got.dtype == np.float64 and math.isnan(got[1])
    np.testing.assert_array_equal(got[[0, 2, 3]], [1.0, 2.5, 0.25])
    with pytest.raises(ValueError, match="column 'duration': expected numbers"):
        numbers("duration", [1.0, "long"])
    with pytest.raises(ValueError, match="column 'duration': expected numbers"):
        numbers("duration", [1.0, [2.0]])


# -- ColumnRows ------------------------------------------------------------------------------


def test_rows_are_dicts_of_python_values(bandai):
    rows = ColumnRows(bandai)
    assert len(rows) == 70
    r = rows[3]
    assert set(r) == {"id", "caption", "duration", "frames", "action"}
    assert type(r["duration"]) is float and type(r["frames"]) is int
    assert r["frames"] == int(bandai["frames"][3]) and r["id"] == bandai["id"][3]
    assert r["duration"] == pytest.approx(bandai["frames"][3] / 20)
    assert rows[np.int64(3)] is r and rows[3 - 70] is r  # built once and kept


def test_slices_and_negative_rows(bandai):
    rows = ColumnRows(bandai)
    assert [r["id"] for r in rows[2:5]] == bandai["id"][2:5]
    assert [r["id"] for r in rows[::-25]] == bandai["id"][::-25]
    assert rows[70:] == [] and rows[-1]["id"] == bandai["id"][-1]
    for i in (70, -71):
        with pytest.raises(IndexError, match=r"out of range \[0, 70\)"):
            rows[i]
    assert len(ColumnRows({})) == 0 and ColumnRows({})[:] == []


def test_columns_without_edits_are_the_columns_given(bandai):
    rows = ColumnRows(bandai)
    _ = [rows[i] for i in range(0, 70, 3)]  # rows handed out, not changed
    cols = rows.columns()
    assert all(cols[k] is bandai[k] for k in bandai)



def test_a_nan_value_read_but_not_edited_is_no_change(bandai):
    """NaN != NaN once made a row only read look edited: its column was copied to a list."""
    duration = bandai["duration"].copy()
    duration[5] = np.nan  # a clip of unknown duration
    rows = ColumnRows({**bandai, "duration": duration})
    assert math.isnan(rows[5]["duration"])  # read only
    assert rows.columns()["duration"] is duration
    rows[5]["duration"] = 2.0  # a real edit still is one
    assert rows.columns()["duration"][5] == 2.0


def test_edits_and_new_keys_come_back_in_the_columns(bandai):
    rows = ColumnRows(bandai)
    rows[4]["caption"] = "~ described"
    rows[4]["frames"] = int(bandai["frames"][4])  # set to the value it had: no change
    rows[6]["score"] = 0.75  # a key no column has
    cols = rows.columns()
    assert cols["caption"][4] == "~ described" and bandai["caption"][4] != "~ described"
    assert cols["caption"][:4] == bandai["caption"][:4] and isinstance(cols["caption"], list)
    assert cols["frames"] is bandai["frames"]
    assert cols["score"] == [None] * 6 + [0.75] + [None] * 63
    assert cols["id"] is bandai["id"]


def test_bad_columns_are_refused():
    with pytest.raises(ValueError, match="column 'b' has 2 values, column 'a' has 3"):
        ColumnRows({"a": [1, 2, 3], "b": [1, 2]})


# -- sort keys and orders --------------------------------------------------------------------


def test_numeric_sort_keys_put_missing_values_first():
    keys = sort_keys("duration", [2.0, None, float("nan"), -1.0, np.float32(0.5)], True, 5)
    assert keys.tolist() == [2.0, -math.inf, -math.inf, -1.0, 0.5]
    assert sort_keys("duration", None, True, 3).tolist() == [-math.inf] * 3


def test_text_sort_keys_are_lower_case():
    assert sort_keys("id", ["Walk", "bow", "RUN"], False, 3) == ["walk", "bow", "run"]
    assert sort_keys("id", ["Walk", None, 3, 1.5], False, 4) == ["walk", "", "3", "1.5"]
    assert sort_keys("id", None, False, 2) == ["", ""]


def test_sorted_rows_are_stable_both_ways(bandai):
    keys = sort_keys("action", bandai["action"], False, 70)
    order = sorted_rows(keys)
    assert order.dtype == np.intp
    expected = sorted(range(70), key=lambda i: bandai["action"][i].lower())  # stable by hand
    assert order.tolist() == expected
    frames = sort_keys("frames", bandai["frames"], True, 70)
    order = sorted_rows(frames)
    by_hand = sorted(range(70), key=lambda i: int(bandai["frames"][i]))
    assert order.tolist() == by_hand
    # equal keys keep their order ascending, and reverse in the descending order
    ties = sorted_rows(np.array([1.0, 0.0, 1.0, 0.0]))
    assert ties.tolist() == [1, 3, 0, 2] and ties[::-1].tolist() == [2, 0, 3, 1]
    assert sorted_rows(["b", "a", "b", "a"]).tolist() == [1, 3, 0, 2]


# -- search ----------------------------------------------------------------------------------


def test_search_texts_join_the_keys_lower_cased(bandai):
    texts = search_texts(bandai, ("id", "caption"), 70)
    assert texts[0] == f"{bandai['id'][0]} {bandai['caption'][0]}".lower()
    mixed = {"id": ["A", "B"], "n": [3, None]}
    assert search_texts(mixed, ("id", "n", "missing"), 2) == ["a 3", "b "]
    assert search_texts(mixed, ("missing",), 2) == ["", ""]
    assert search_texts(mixed, (), 2) == ["", ""]


def test_matching_rows_need_every_word(bandai):
    texts = search_texts(bandai, ("id", "caption"), 70)
    keep = matching_rows(texts, ["wave", "left"])
    by_hand = [("wave" in t and "left" in t) for t in texts]
    assert keep.tolist() == by_hand and 0 < keep.sum() < 70
    assert keep.sum() == sum(a == "wave-left-hand" for a in bandai["action"])
    assert matching_rows(texts, []).all()
    assert not matching_rows(texts, ["wave", "zzz"]).any()
    assert matching_rows([], ["a"]).tolist() == []


# -- widest rows and shared prefixes ---------------------------------------------------------


def test_likely_widest_texts_are_the_longest(bandai):
    got = likely_widest("caption", bandai["caption"], False, k=8)
    lengths = np.array([len(c) for c in bandai["caption"]])
    assert len(got) == 8 and len(set(got.tolist())) == 8
    assert lengths[got].min() >= np.sort(lengths)[-8]  # no shorter row than the 8th longest
    assert likely_widest("id", ["a", "bb"], False, k=8).tolist() == [0, 1]  # n <= k: all
    assert likely_widest("id", ["a", None, "c"], False) is None
    assert likely_widest("id", None, False) is None


def test_likely_widest_numbers_are_the_extremes(bandai):
    got = likely_widest("frames", bandai["frames"], True, k=6)
    frames = bandai["frames"]
    assert len(got) == 6
    order = np.argsort(frames, kind="stable")
    low, high = set(frames[order[:3]].tolist()), set(frames[order[-3:]].tolist())
    assert set(frames[got[:3]].tolist()) == low and set(frames[got[3:]].tolist()) == high
    assert sorted(likely_widest("n", [5.0, -1.0, 3.0, 100.0], True, k=64).tolist()) == [
        0, 1, 2, 3]  # k/2 capped at n/2: the 2 least and the 2 greatest
    assert likely_widest("n", [7.0], True).tolist() == [0]
    assert likely_widest("n", [], True).tolist() == []


def test_shared_path_prefix_of_real_ids(bandai):
    assert shared_path_prefix(bandai["id"]) == "bandai/"
    assert shared_path_prefix(tuple(bandai["id"]) + ("bandai",)) == ""  # not longer: none
    assert shared_path_prefix(["a\\b\\c", "a\\b\\d"], sep="\\") == "a\\b\\"
    assert shared_path_prefix(["a/x", None]) is None
    assert shared_path_prefix([]) == ""
