"""core/retrieval/index_checks.py: type checks of an index's JSON files and size checks of its
arrays, called directly on a real index's manifest, columns, vocabulary and opened arrays (the
reader's error wrapping, one problem at a time, is in test_index.py and, for the arrays,
test_index_large.py)."""

from __future__ import annotations

import copy
import json
import shutil

import pytest
import torch

from motionlex.core.retrieval.index import GalleryIndex
from motionlex.core.retrieval.index_checks import (
    ITEM_COLUMNS,
    items_problems,
    manifest_problems,
    shape_problems,
    string_list_problem,
)
from motionlex.core.retrieval.index_format import DATA_FILES_BY_VERSION

V2_FILES = DATA_FILES_BY_VERSION[2]


@pytest.fixture(scope="module")
def real_index(shared_data, tmp_path_factory):
    """A real version-2 index of two real Bandai BVH takes, built by the tiny model."""
    from motionlex.core.model.factory import create_model
    from motionlex.core.patches import PatchStats
    from motionlex.core.retrieval.build import build_index

    data = tmp_path_factory.mktemp("checks_data") / "takes"
    data.mkdir()
    for name in ("bandai_1_bow_normal_001.bvh", "bandai_1_dash_normal_001.bvh"):
        shutil.copy(shared_data / "raw_bvh" / name, data / name)
    torch.manual_seed(0)
    model = create_model("tiny", device="cpu").eval()
    out = tmp_path_factory.mktemp("checks_index") / "g.mlx"
    build_index(model, [data], out, patch_stats=PatchStats.identity(), progress=False)
    return out


@pytest.fixture
def manifest(real_index) -> dict:
    return json.loads((real_index / "manifest.json").read_text())


@pytest.fixture
def columns(real_index) -> dict:
    """The item columns of the real index in version 1's ``items.json`` form, read from its
    ``items.jsonl`` rows with the standard library."""
    head = json.loads((real_index / "items_head.json").read_text())
    rows = [json.loads(line) for line in
            (real_index / "items.jsonl").read_text(encoding="utf-8").splitlines()]
    return {"ids": head["ids"], "captions": [r["captions"] for r in rows],
            "sources": [r["source"] for r in rows], "source_sha256": [r["sha256"] for r in rows],
            "datasets": [r["dataset"] for r in rows], "meta": [r["meta"] for r in rows]}


def test_a_real_index_has_no_problems(real_index, manifest, columns):
    assert manifest_problems(manifest, V2_FILES) == []
    assert len(columns["ids"]) == manifest["count"] == 2
    assert items_problems(columns) == []
    vocab = json.loads((real_index / "vocabulary.json").read_text())
    assert string_list_problem(vocab, "vocabulary.json") is None


def test_files_missing_for_the_version_are_listed(manifest):
    """Checked against version 1's file list, a version 2 manifest lacks exactly the two
    files only version 1 has."""
    only_v1 = sorted(set(DATA_FILES_BY_VERSION[1]) - set(V2_FILES))
    assert only_v1 == ["inverted.npz", "items.json"]
    assert manifest_problems(manifest, DATA_FILES_BY_VERSION[1]) == [
        f"manifest lists no entry for {only_v1}"]
    del manifest["files"]["dense.npy"], manifest["files"]["joints.npy"]
    assert manifest_problems(manifest, V2_FILES) == [
        "manifest lists no entry for ['dense.npy', 'joints.npy']"]


def test_an_extra_listed_file_is_allowed(manifest):
    manifest["files"]["ann.npz"] = {"bytes": 10, "sha256": "ab" * 32}
    assert manifest_problems(manifest, V2_FILES) == []


@pytest.mark.parametrize("name", ["", ".hidden", "sub/dense.npy", "..\\x", "a\\b"])
def test_file_names_must_be_plain(manifest, name):
    manifest["files"][name] = {"bytes": 1, "sha256": "x"}
    assert manifest_problems(manifest, V2_FILES) == [
        f"files lists {name!r}, which is not a plain file name"]


def _edit(path: str, value):
    """An edit of the manifest setting ``path`` ("a/b") to ``value`` (``...``: delete)."""
    def edit(m: dict) -> dict:
        *outer, last = path.split("/")
        d = m
        for k in outer:
            d = d[k]
        if value is ...:
            del d[last]
        else:
            d[last] = value
        return m
    return edit


@pytest.mark.parametrize(("edit", "expected"), [
    (_edit("count", True), "'count' must be an integer >= 0, got bool True"),
    (_edit("count", -1), "'count' must be an integer >= 0, got int -1"),
    (_edit("count", 2.0), "'count' must be an integer >= 0, got float 2.0"),
    (_edit("count", ...), "'count' must be an integer >= 0, got NoneType None"),
    (_edit("files/dense.npy", {"bytes": True, "sha256": "x"}),
     "files['dense.npy'] must be {'bytes': int >= 0, 'sha256': str}, got dict"),
    (_edit("files/dense.npy", {"bytes": 5}),
     "files['dense.npy'] must be {'bytes': int >= 0, 'sha256': str}, got dict"),
    (_edit("model/lexical_similarity", ...), "model.lexical_similarity must be a string, got "
     "NoneType None"),
    (_edit("model/checkpoint", 3), "model.checkpoint must be a string or null, got int 3"),
    (_edit("fusion_weight", True), "'fusion_weight' must be a number, got bool True"),
    (_edit("settings/lexical_top_k", 12.5),
     "settings.lexical_top_k must be an integer >= 1 or null, got float 12.5"),
    (_edit("settings/lexical_top_k", 0),
     "settings.lexical_top_k must be an integer >= 1 or null, got int 0"),
    (_edit("files/dense.npy", {"bytes": -1, "sha256": "x"}),
     "files['dense.npy'] must be {'bytes': int >= 0, 'sha256': str}, got dict"),
    (_edit("settings/joints_dtype", 16), "settings.joints_dtype must be a string, got int 16"),
    (_edit("settings/long_clips", None), "settings.long_clips must be a string, got NoneType"),
])
def test_one_bad_field_is_one_problem(manifest, edit, expected):
    problems = manifest_problems(edit(manifest), V2_FILES)
    assert len(problems) == 1 and problems[0].startswith(expected), problems


@pytest.mark.parametrize("edit", [
    _edit("fusion_weight", ...), _edit("fusion_weight", 1), _edit("settings", ...),
    _edit("settings/lexical_top_k", None), _edit("settings/lexical_top_k", ...),
    _edit("settings/long_clips", ...), _edit("model/checkpoint", None),
    _edit("model/checkpoint", "/models/tiny"), _edit("count", 0),
])
def test_optional_and_boundary_values_are_accepted(manifest, edit):
    assert manifest_problems(edit(manifest), V2_FILES) == []


def test_every_problem_is_reported_at_once(manifest):
    m = copy.deepcopy(manifest)
    m["count"] = "2"
    m["model"] = ["tiny"]
    m["patch_stats_sha256"] = None
    m["settings"] = "default"
    problems = manifest_problems(m, V2_FILES)
    assert len(problems) == 4
    assert [p.split(" ")[0] for p in problems] == [
        "'count'", "'model'", "'patch_stats_sha256'", "'settings'"]


def test_not_an_object_is_one_problem():
    assert manifest_problems([{"count": 1}], V2_FILES) == [
        "the manifest is a list, not a JSON object"]
    assert manifest_problems(None, V2_FILES) == ["the manifest is a NoneType, not a JSON object"]
    assert items_problems("ids") == ["items.json is a str, not a JSON object of columns"]


def test_long_values_are_cut_in_messages(manifest):
    manifest["count"] = "x" * 100
    (problem,) = manifest_problems(manifest, V2_FILES)
    shown = repr("x" * 100)[:30]
    assert problem == f"'count' must be an integer >= 0, got str {shown}..."


def test_items_every_column_is_checked(columns):
    assert set(ITEM_COLUMNS) == set(columns)
    for col in ITEM_COLUMNS:
        broken = {**columns}
        del broken[col]
        assert items_problems(broken) == [f"column {col!r} must be a list, got NoneType None"]


@pytest.mark.parametrize(("col", "bad", "kind"), [
    ("ids", 7, "str"), ("sources", None, "str"), ("source_sha256", b"ab", "str"),
    ("datasets", ["takes"], "str"), ("meta", [], "object"), ("meta", "{}", "object"),
    ("captions", "a person bows", "list of str"), ("captions", ["a person bows", 3],
                                                    "list of str"),
])
def test_items_name_the_column_and_the_first_bad_entry(columns, col, bad, kind):
    columns[col] = [columns[col][0], bad, bad]  # entries 1 and 2 bad: the first is named
    (problem,) = items_problems(columns)
    assert problem.startswith(f"{col}[1] must be {kind}, got {type(bad).__name__}")


def test_items_empty_columns_and_empty_captions_are_fine(columns):
    assert items_problems({c: [] for c in ITEM_COLUMNS}) == []
    columns["captions"] = [[] for _ in columns["ids"]]  # motions without captions
    assert items_problems(columns) == []


def test_items_problems_of_several_columns_are_all_listed(columns):
    columns["ids"] = "abc"
    columns["meta"] = [None, {}]
    assert items_problems(columns) == ["column 'ids' must be a list, got str 'abc'",
                                       "meta[0] must be object, got NoneType None"]


def test_string_list_problem(real_index):
    vocab = json.loads((real_index / "vocabulary.json").read_text())
    assert string_list_problem([], "words") is None
    assert string_list_problem({"a": 1}, "vocabulary.json") == (
        "vocabulary.json must be a list of strings, got dict {'a': 1}")
    assert string_list_problem(tuple(vocab[:3]), "v").startswith(
        "v must be a list of strings, got tuple")
    bad = vocab[:5] + [None] + vocab[5:7] + [3]
    assert string_list_problem(bad, "vocabulary.json") == (
        "vocabulary.json[5] must be a string, got NoneType None")


def test_shape_problems_of_a_real_index_and_of_its_count_changed(real_index):
    """Every array and column agrees with ``count`` as built; with another count each
    disagreeing one is a line, and joints not in rows of 3 are named with their dtype."""
    idx = GalleryIndex.load(real_index)
    joints = idx._joint_rows
    assert shape_problems(idx, joints) == []
    idx.manifest = {**idx.manifest, "count": 3}
    problems = shape_problems(idx, joints)
    assert problems[:2] == [f"dense.npy is {idx.dense.shape}, expected (3, D)",
                            f"inverted.npz is {idx.inverted.shape}, expected "
                            f"(3, {len(idx.vocabulary)})"]
    assert [p for p in problems if p.endswith(" entries, expected 3")] == [
        f"{col} has 2 entries, expected 3" for col in (*ITEM_COLUMNS, "fps", "num_frames",
                                                       "skeleton")]
    assert problems[-1] == f"joint_offsets (3) do not match 3 items and joints.npy {joints.shape}"
    idx.manifest = {**idx.manifest, "count": 2}
    flat = joints.reshape(-1)
    assert shape_problems(idx, flat) == [
        f"joint_offsets (3) do not match 2 items and joints.npy {flat.shape}",
        f"joints.npy is {flat.shape} float16, expected (R, 3) float16"]
