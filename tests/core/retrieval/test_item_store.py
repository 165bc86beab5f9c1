"""core/retrieval/item_store.py: a gallery index's per-motion columns, written as
``items_head.json`` + ``items.jsonl`` and read back row by row (real Bandai ids, captions,
files and labels)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from motionlex.core.retrieval.index_checks import ITEM_COLUMNS
from motionlex.core.retrieval.item_store import (
    ITEMS_HEAD,
    ITEMS_ROWS,
    ItemColumn,
    ItemRows,
    read_items_head,
    read_items_json,
    write_items,
)


class StoreError(ValueError):
    """The error class the readers are given (the index passes GalleryIndexError)."""


@pytest.fixture(scope="module")
def items(shared_data) -> dict[str, list]:
    """The columns of 4 real Bandai val clips and a real BVH take without captions, whose
    meta holds non-ASCII text (offsets are bytes, not characters)."""
    root = shared_data / "bandai"
    ids = [ln.strip() for ln in (root / "val.txt").read_text().splitlines() if ln.strip()][:4]
    meta = json.loads((root / "meta.json").read_text())
    cols: dict[str, list] = {c: [] for c in ITEM_COLUMNS}
    for i in ids:
        lines = (root / "texts" / f"{i}.txt").read_text().splitlines()
        npy = root / "new_joints" / f"{i}.npy"
        cols["ids"].append(f"bandai/{i}")
        cols["captions"].append([ln.split("#")[0] for ln in lines if ln.strip()])
        cols["sources"].append(str(npy))
        cols["source_sha256"].append(hashlib.sha256(npy.read_bytes()).hexdigest())
        cols["datasets"].append("bandai")
        cols["meta"].append(meta[i])
    bvh = shared_data / "raw_bvh" / "bandai_1_bow_normal_001.bvh"
    cols["ids"].append("takes/bandai_1_bow_normal_001")
    cols["captions"].append([])
    cols["sources"].append(str(bvh))
    cols["source_sha256"].append(hashlib.sha256(bvh.read_bytes()).hexdigest())
    cols["datasets"].append("takes")
    cols["meta"].append({"note": "révérence — 礼", "frames": 138})
    return cols


@pytest.fixture
def written(items, tmp_path) -> tuple[Path, np.ndarray]:
    return tmp_path, write_items(tmp_path, items)


def test_files_hold_the_head_and_one_json_line_per_motion(items, written):
    folder, offsets = written
    head = json.loads((folder / ITEMS_HEAD).read_text(encoding="utf-8"))
    assert head == {"ids": items["ids"],
                    "captions": [c[0] if c else "" for c in items["captions"]]}
    assert head["captions"][-1] == "" and head["captions"][0] == items["captions"][0][0]
    raw = (folder / ITEMS_ROWS).read_bytes()
    lines = raw.split(b"\n")
    assert lines[-1] == b"" and len(lines) == len(items["ids"]) + 1
    rows = [json.loads(line) for line in lines[:-1]]
    for i, row in enumerate(rows):
        assert row == {"captions": items["captions"][i], "source": items["sources"][i],
                       "sha256": items["source_sha256"][i], "dataset": items["datasets"][i],
                       "meta": items["meta"][i]}
    assert "révérence — 礼".encode() in raw  # UTF-8 as it is, not \u escapes


def test_offsets_are_the_byte_starts_of_the_lines(items, written):
    folder, offsets = written
    raw = (folder / ITEMS_ROWS).read_bytes()
    starts = [0] + [k + 1 for k, b in enumerate(raw) if b == ord("\n")]
    assert offsets.dtype == np.int64 and offsets.shape == (len(items["ids"]) + 1,)
    assert offsets.tolist() == starts and offsets[-1] == len(raw)
    # the non-ASCII row is longer in bytes than in characters: byte offsets, not str ones
    last = raw[offsets[-2]:offsets[-1]]
    assert len(last) > len(last.decode("utf-8"))


def test_rows_and_columns_read_back_as_written(items, written):
    folder, offsets = written
    rows = ItemRows(folder / ITEMS_ROWS, offsets, StoreError)
    n = len(items["ids"])
    assert len(rows) == n
    for col, key in (("captions", "captions"), ("sources", "source"),
                     ("source_sha256", "sha256"), ("datasets", "dataset"), ("meta", "meta")):
        column = ItemColumn(rows, col)
        assert len(column) == n
        assert list(column) == items[col]
        assert [column[i] for i in range(n)] == items[col]
        assert column[-1] == items[col][-1] and column[np.int64(2)] == items[col][2]
        assert column[1:4] == items[col][1:4] and column[::-2] == items[col][::-2]
        assert column[10:] == []
        assert rows.row(3)[key] == items[col][3]
    sources = ItemColumn(rows, "sources")
    assert items["sources"][2] in sources and sources.index(items["sources"][2]) == 2
    ids, first = read_items_head(folder / ITEMS_HEAD, StoreError)
    assert ids == items["ids"] and first[-1] == ""


def test_rows_out_of_range_raise_index_error(items, written):
    folder, offsets = written
    rows = ItemRows(folder / ITEMS_ROWS, offsets, StoreError)
    n = len(items["ids"])
    assert rows.row(-n) == rows.row(0)
    for i in (n, -n - 1, 100):
        with pytest.raises(IndexError, match=f"item {i} out of range for {n} motions"):
            rows.row(i)
    with pytest.raises(IndexError):
        ItemColumn(rows, "meta")[n]


def test_no_motions(tmp_path):
    offsets = write_items(tmp_path, {c: [] for c in ITEM_COLUMNS})
    assert offsets.tolist() == [0]
    assert (tmp_path / ITEMS_ROWS).read_bytes() == b""
    assert read_items_head(tmp_path / ITEMS_HEAD, StoreError) == ([], [])
    rows = ItemRows(tmp_path / ITEMS_ROWS, offsets, StoreError)
    assert len(rows) == 0 and list(ItemColumn(rows, "captions")) == []
    with pytest.raises(IndexError):
        rows.row(0)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda c: c.pop("meta"), "column 'meta' must be a list"),
    (lambda c: c.__setitem__("datasets", c["datasets"][:-1]),
     "column 'datasets' has 4 entries, expected 5"),
    (lambda c: c.__setitem__("ids", c["ids"] + ["extra"]),
     "column 'captions' has 5 entries, expected 6"),
    (lambda c: c["captions"].__setitem__(1, "a person bows"), "captions[1] must be list of str"),
    (lambda c: c["meta"].__setitem__(0, None), "meta[0] must be object"),
])
def test_bad_columns_are_refused(items, tmp_path, edit, message):
    cols = {k: list(v) for k, v in items.items()}
    edit(cols)
    with pytest.raises(ValueError, match=r"^cannot write items: .*" + message.replace(
            "[", r"\[").replace("]", r"\]")):
        write_items(tmp_path, cols)


def test_columns_may_be_any_sequence(items, tmp_path):
    """Tuples (and other sequences) are taken as lists; columns not of ITEM_COLUMNS are not
    written."""
    cols = {k: tuple(v) for k, v in items.items()}
    cols["extra"] = list(range(5))
    offsets = write_items(tmp_path, cols)
    rows = ItemRows(tmp_path / ITEMS_ROWS, offsets, StoreError)
    assert set(rows.row(0)) == {"captions", "source", "sha256", "dataset", "meta"}
    assert list(ItemColumn(rows, "datasets")) == items["datasets"]


@pytest.mark.parametrize("edit", [
    lambda o: o[:-1],                         # a row short of the file's end
    lambda o: np.concatenate([[1], o[1:]]),   # not starting at 0
    lambda o: np.concatenate([o[:2], o[1:]]),  # an empty row (offsets not increasing)
    lambda o: o[::-1],                        # descending
    lambda o: o.reshape(1, -1),               # not 1-D
    lambda o: o[:0],                          # no offsets at all
])
def test_offsets_that_do_not_fit_the_file_are_refused(written, edit):
    folder, offsets = written
    size = (folder / ITEMS_ROWS).stat().st_size
    with pytest.raises(StoreError, match=f"row offsets do not fit its {size} bytes"):
        ItemRows(folder / ITEMS_ROWS, edit(offsets), StoreError)


def _rewrite_row(folder: Path, offsets: np.ndarray, i: int, new: bytes) -> None:
    """Replace row ``i`` by ``new`` padded with spaces to its length (the offsets still fit)."""
    raw = bytearray((folder / ITEMS_ROWS).read_bytes())
    a, b = int(offsets[i]), int(offsets[i + 1])
    assert len(new) < b - a
    raw[a:b] = new + b" " * (b - a - 1 - len(new)) + b"\n"
    (folder / ITEMS_ROWS).write_bytes(bytes(raw))


@pytest.mark.parametrize(("new", "message"), [
    (b'{"captions": [', "row 2 is not valid JSON"),
    (b"\xff\xfe", "row 2 is not valid JSON"),
    (b"[1, 2]", "row 2: expected an object, got list"),
    (b'{"captions": [], "source": "s", "sha256": "x", "dataset": "d"}',
     "row 2: 'meta' must be object, got NoneType"),
    (b'{"captions": [1], "source": "s", "sha256": "x", "dataset": "d", "meta": {}}',
     "row 2: 'captions' must be list of str, got list"),
    (b'{"captions": [], "source": 3, "sha256": "x", "dataset": "d", "meta": {}}',
     "row 2: 'source' must be str, got int"),
])
def test_a_bad_row_is_an_error_naming_file_and_row(items, written, new, message):
    folder, offsets = written
    _rewrite_row(folder, offsets, 2, new)
    rows = ItemRows(folder / ITEMS_ROWS, offsets, StoreError)
    with pytest.raises(StoreError, match=message) as err:
        rows.row(2)
    assert str(folder / ITEMS_ROWS) in str(err.value)
    assert rows.row(1)["source"] == items["sources"][1]  # the other rows stay readable
    assert rows.row(3)["source"] == items["sources"][3]


def test_version_1_items_json(items, tmp_path):
    path = tmp_path / "items.json"
    path.write_text(json.dumps({**items, "extra": [1, 2, 3, 4, 5]}), encoding="utf-8")
    got = read_items_json(path, StoreError)
    assert got == items and set(got) == set(ITEM_COLUMNS)
    assert all(isinstance(v, list) for v in got.values())


@pytest.mark.parametrize(("raw", "message"), [
    (b"{", "unreadable JSON"),
    (b"\xff\xfe{}", "unreadable JSON"),
    (b"[]", "malformed items: items.json is a list"),
    (b'{"ids": ["a"], "captions": [["x"]]}', "malformed items: column 'sources' must be a list"),
])
def test_version_1_items_json_errors_name_the_file(tmp_path, raw, message):
    path = tmp_path / "items.json"
    path.write_bytes(raw)
    with pytest.raises(StoreError, match=message) as err:
        read_items_json(path, StoreError)
    assert str(err.value).startswith(f"{path}: ")
    with pytest.raises(StoreError, match="unreadable JSON"):
        read_items_json(tmp_path / "missing.json", StoreError)


@pytest.mark.parametrize(("head", "message"), [
    (b"{", "unreadable JSON"),
    (b'["a"]', "expected an object with 'ids' and 'captions'"),
    (b'{"ids": ["a"]}', "'captions' must be a list of strings"),
    (b'{"ids": ["a", 2], "captions": ["x", "y"]}', "'ids' must be a list of strings"),
    (b'{"ids": "ab", "captions": ["x", "y"]}', "'ids' must be a list of strings"),
    (b'{"ids": ["a", "b"], "captions": ["x"]}', "2 ids but 1 captions"),
])
def test_items_head_errors_name_the_file(tmp_path, head, message):
    path = tmp_path / ITEMS_HEAD
    path.write_bytes(head)
    with pytest.raises(StoreError, match=message) as err:
        read_items_head(path, StoreError)
    assert str(err.value).startswith(f"{path}: ")


def test_a_row_is_the_callers_own_to_change(items, written):
    """Rows read column by column come from a one-row cache; it handed out its own dict, so
    a caller that changed a row changed it for every later reader (code review 36 F12)."""
    folder, offsets = written
    rows = ItemRows(folder / ITEMS_ROWS, offsets, StoreError)
    captions, meta = ItemColumn(rows, "captions"), ItemColumn(rows, "meta")
    first = rows.row(0)
    first["captions"].append("changed")
    first["meta"]["added"] = 1
    first.clear()
    again = rows.row(0)  # the cached row
    assert again is not first and again["captions"] == items["captions"][0]
    assert captions[0] == items["captions"][0] and meta[0] == items["meta"][0]
    meta[0]["added"] = 1  # a column's value too
    assert meta[0] == items["meta"][0] and rows.row(1)["meta"] == items["meta"][1]


def test_a_row_of_an_unmapped_file_is_an_error_naming_it(written):
    """No ``assert`` stands for the check (it vanishes under ``python -O``, leaving a
    TypeError): a row asked of a file with no bytes mapped is the reader's error."""
    folder, offsets = written
    rows = ItemRows(folder / ITEMS_ROWS, offsets, StoreError)
    rows._map = None  # what only an empty file has
    with pytest.raises(StoreError, match=rf"{ITEMS_ROWS}: row 1 asked of an empty file"):
        rows.row(1)
