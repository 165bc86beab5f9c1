"""The gallery index format: manifest checksums, refusal of damaged or foreign indexes,
settings, accessors (index built by the shared ``built`` fixture; the checks of mapped files
as they are read are in test_mapped_checks.py)."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from motionlex.core.model.factory import create_model
from motionlex.core.retrieval.fingerprints import file_sha256, model_fingerprint
from motionlex.core.retrieval.index import (
    GalleryIndex,
    GalleryIndexError,
    IndexMismatchError,
    IndexSettings,
)


def test_manifest_checksums_and_sizes(built, model):
    idx = built[0].index
    man = json.loads((idx.path / "manifest.json").read_text())
    assert man["count"] == len(idx) and man["model"]["sha256"] == model_fingerprint(model)
    assert man["model"]["lexical_similarity"] == "cosine"
    assert man["settings"] == IndexSettings().to_dict()
    assert set(man["files"]) == {p.name for p in idx.path.iterdir()} - {"manifest.json"}
    for name, info in man["files"].items():
        assert info["bytes"] == (idx.path / name).stat().st_size
        assert info["sha256"] == file_sha256(idx.path / name)
    assert man["sizes"]["total_bytes"] == idx.size_bytes() == sum(
        f["bytes"] for f in man["files"].values())


@pytest.mark.parametrize("name", ["dense.npy", "inverted_indptr.npy", "items_head.json",
                                  "items.jsonl", "items.npz"])
def test_refuses_flipped_byte(built, tmp_path, name):
    copy = shutil.copytree(built[0].index.path, tmp_path / "g.mlx")
    f = copy / name
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0xFF
    f.write_bytes(bytes(data))
    with pytest.raises(GalleryIndexError, match=f"{name}: checksum .* does not match"):
        GalleryIndex.load(copy)
    try:  # sizes agree, so without checksums the damage shows (if at all) as a clear error
        GalleryIndex.load(copy, verify=False)
    except GalleryIndexError as e:
        assert str(copy) in str(e)


def test_refuses_truncated_missing_and_foreign(built, tmp_path):
    copy = shutil.copytree(built[0].index.path, tmp_path / "g.mlx")
    with open(copy / "dense.npy", "ab") as f:
        f.write(b"\0")
    with pytest.raises(GalleryIndexError, match=r"dense.npy: size \d+ bytes, manifest says"
                       r".*rebuild the index: remove .*g.mlx and run 'motionlex index"):
        GalleryIndex.load(copy, verify=False)
    (copy / "joints.npy").unlink()
    (copy / "dense.npy").unlink()
    with pytest.raises(GalleryIndexError, match="dense.npy listed in the manifest is missing"):
        GalleryIndex.load(copy)
    man = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(json.dumps({**man, "version": 99}))
    with pytest.raises(GalleryIndexError, match="index version 99"):
        GalleryIndex.load(copy)
    (copy / "manifest.json").unlink()
    with pytest.raises(GalleryIndexError, match="not a gallery index"):
        GalleryIndex.load(copy)
    with pytest.raises(FileNotFoundError, match="gallery index not found"):
        GalleryIndex.load(tmp_path / "nowhere.mlx")


def test_refuses_other_model(built, model):
    torch.manual_seed(123)
    other = create_model("tiny", device="cpu")
    want, got = model_fingerprint(model), model_fingerprint(other)
    with pytest.raises(IndexMismatchError) as e:
        GalleryIndex.load(built[0].index.path, other)
    assert want[:16] in str(e.value) and got[:16] in str(e.value)
    assert "or use the checkpoint it was built with" in str(e.value)  # it still exists


def test_refuses_other_model_whose_checkpoint_is_gone(built, tmp_path):
    import shutil

    copy = tmp_path / "copy.mlx"
    shutil.copytree(built[0].index.path, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["model"]["checkpoint"] = str(tmp_path / "deleted_model")
    (copy / "manifest.json").write_text(json.dumps(manifest))
    torch.manual_seed(123)
    with pytest.raises(IndexMismatchError, match=r"no longer exists, so re-encode its motions "
                       rf"with this model: motionlex index --out {copy} --rebuild$"):
        GalleryIndex.load(copy, create_model("tiny", device="cpu"), verify=False)


def test_settings_validate():
    with pytest.raises(ValueError, match="lexical_top_k"):
        IndexSettings(lexical_top_k=0)
    with pytest.raises(ValueError, match="long_clips"):
        IndexSettings(long_clips="all")
    with pytest.raises(ValueError, match="joints_dtype"):
        IndexSettings(joints_dtype="int8")
    assert IndexSettings.from_dict(IndexSettings(7, "first").to_dict()) == IndexSettings(7, "first")


def test_accessor_errors(built):
    idx = built[0].index
    with pytest.raises(KeyError, match="no motion with id 'nope'"):
        idx.position("nope")
    # the id below its folder: the full ids are named
    with pytest.raises(KeyError, match="ids start with their folder's name: raw_bvh/cmu_07_03"):
        idx.position("cmu_07_03_daz")
    with pytest.raises(KeyError, match="did you mean raw_bvh/cmu_07_03_daz"):  # a typo
        idx.position("raw_bvh/cmu_07_03_dza")
    with pytest.raises(IndexError, match="out of range"):
        idx.joints(len(idx))
    with pytest.raises(IndexError, match="out of range"):
        idx.item(len(idx))


def test_unit_dense_rows_are_the_searchers_vectors(built):
    idx = built[0].index
    stored = np.asarray(idx.dense[:], np.float32)
    off = np.abs(np.linalg.norm(stored, axis=1) - 1).max()
    assert idx.dense.dtype == np.float16 and off > 1e-5  # float16 rounding moves norms
    rows = [3, 0, len(idx) - 1]
    unit = idx.unit_dense(rows)
    assert unit.dtype == np.float32 and unit.shape == (3, stored.shape[1])
    assert np.allclose(np.linalg.norm(unit, axis=1), 1, atol=1e-6)
    assert np.array_equal(unit, idx.dense_float32()[rows])  # one rule for every reader
    assert np.array_equal(idx.unit_dense(3), unit[0])
    # a negative row was row N - 1, a row past the end numpy's bare message: both refused
    for bad in (-1, len(idx), [0, -1], [len(idx) + 5]):
        with pytest.raises(IndexError, match=rf"^row -?\d+ out of range for {len(idx)} motions$"):
            idx.unit_dense(bad)


def _edit_json(index_dir, name, edit) -> None:
    """Rewrite an index JSON file and, for a data file, its manifest entry (so the damage
    reaches the type checks instead of the checksum check)."""
    path = index_dir / name
    value = json.loads(path.read_text())
    value = edit(value)
    path.write_text(json.dumps(value))
    if name != "manifest.json":
        man = json.loads((index_dir / "manifest.json").read_text())
        man["files"][name] = {"bytes": path.stat().st_size, "sha256": file_sha256(path)}
        (index_dir / "manifest.json").write_text(json.dumps(man))


def _set(key, value):
    def edit(d):
        d[key] = value
        return d
    return edit


@pytest.mark.parametrize("name,edit,expected", [
    ("manifest.json", lambda d: [d], "not a motionlex-gallery manifest"),
    ("manifest.json", _set("files", ["dense.npy"]), "'files' must be an object"),
    ("manifest.json", lambda d: {**d, "files": {**d["files"], "dense.npy": 5}},
     "files['dense.npy'] must be {'bytes': int >= 0, 'sha256': str}"),
    ("manifest.json", lambda d: {**d, "files": {**d["files"], "dense.npy": {
        "bytes": "12", "sha256": "x"}}}, "files['dense.npy'] must be"),
    ("manifest.json", lambda d: {**d, "files": {**d["files"], "../x": {
        "bytes": 1, "sha256": "x"}}}, "not a plain file name"),
    ("manifest.json", _set("count", "27"), "'count' must be an integer"),
    ("manifest.json", _set("model", "tiny"), "'model' must be an object"),
    ("manifest.json", lambda d: {**d, "model": {**d["model"], "sha256": 7}},
     "model.sha256 must be a string"),
    ("manifest.json", _set("patch_stats_sha256", None), "'patch_stats_sha256' must be a string"),
    ("manifest.json", _set("fusion_weight", "half"), "'fusion_weight' must be a number"),
    ("manifest.json", _set("settings", [1]), "'settings' must be an object"),
    ("manifest.json", _set("settings", {"lexical_top_k": "all"}),
     "settings.lexical_top_k must be an integer"),
    ("manifest.json", _set("settings", {"long_clips": "most"}), "long_clips must be one of"),
    ("items_head.json", lambda d: list(d.values()), "expected an object with 'ids'"),
    ("items_head.json", _set("ids", "abc"), "'ids' must be a list of strings"),
    ("items_head.json", lambda d: {**d, "ids": [["a"]] + d["ids"][1:]},
     "'ids' must be a list of strings"),
    ("items_head.json", lambda d: {**d, "captions": d["captions"][1:]}, "ids but"),
    ("vocabulary.json", lambda d: {"words": d}, "vocabulary.json must be a list of strings"),
    ("vocabulary.json", lambda d: [1] + d[1:], "vocabulary.json[0] must be a string"),
    ("skeletons.json", lambda d: {"s": d}, "skeletons.json is a dict"),
    ("skeletons.json", lambda d: [[1, 2]], "malformed index"),
    ("skeletons.json", lambda d: [{**d[0], "parents": "x"}], "malformed index"),
])
def test_malformed_index_json_is_a_gallery_index_error(built, tmp_path, name, edit, expected):
    """Issue 15 defect 7: a list for a JSON object or an entry of the wrong type ended in
    TypeError/AttributeError tracebacks."""
    copy = shutil.copytree(built[0].index.path, tmp_path / "g.mlx")
    _edit_json(copy, name, edit)
    with pytest.raises(GalleryIndexError, match=re.escape(expected)) as err:
        GalleryIndex.load(copy)
    assert str(copy) in str(err.value)


def _rewrite(index_dir, name, raw: bytes) -> None:
    """Replace a data file and its manifest entry (so the damage passes the checksums)."""
    (index_dir / name).write_bytes(raw)
    man = json.loads((index_dir / "manifest.json").read_text())
    man["files"][name] = {"bytes": len(raw), "sha256": file_sha256(index_dir / name)}
    (index_dir / "manifest.json").write_text(json.dumps(man))


def test_item_rows_are_decoded_on_access_and_checked(built, tmp_path):
    """Version 2 reads items.jsonl rows when they are used: a bad row is an error naming the
    file and the row, and the other rows stay readable."""
    copy = shutil.copytree(built[0].index.path, tmp_path / "g.mlx")
    ref = GalleryIndex.load(built[0].index.path)
    lines = (copy / "items.jsonl").read_bytes().split(b"\n")
    row = json.loads(lines[2])
    row["meta"] = []  # as long as the {} it replaces: the offsets still fit
    new = json.dumps(row).encode()
    lines[2] = new + b" " * (len(lines[2]) - len(new))
    _rewrite(copy, "items.jsonl", b"\n".join(lines))
    idx = GalleryIndex.load(copy)
    assert [idx.item(i) for i in (0, 1, 3)] == [ref.item(i) for i in (0, 1, 3)]
    assert idx.sources[:2] == list(ref.sources)[:2]
    with pytest.raises(GalleryIndexError, match=r"items.jsonl: row 2: 'meta' must be object"):
        idx.item(2)
    _rewrite(copy, "items.jsonl", b"\n".join(lines[:-2]) + b"\n")  # a row short
    with pytest.raises(GalleryIndexError, match="items.jsonl: row offsets do not fit"):
        GalleryIndex.load(copy)


def test_version_1_index_still_opens(built, tmp_path):
    """An index written before version 2 (inverted.npz, items.json) opens with the same
    contents."""
    ref = GalleryIndex.load(built[0].index.path)
    copy = shutil.copytree(built[0].index.path, tmp_path / "v1.mlx")
    cols = {"ids": list(ref.ids), "captions": list(ref.captions), "sources": list(ref.sources),
            "source_sha256": list(ref.source_sha256), "datasets": list(ref.datasets),
            "meta": list(ref.meta)}
    (copy / "items.json").write_text(json.dumps(cols))
    sp.save_npz(copy / "inverted.npz", sp.csc_matrix(ref.inverted), compressed=False)
    man = json.loads((copy / "manifest.json").read_text())
    for name in ("items_head.json", "items.jsonl", "inverted_indptr.npy",
                 "inverted_indices.npy", "inverted_data.npy"):
        (copy / name).unlink()
        del man["files"][name]
    for name in ("items.json", "inverted.npz"):
        man["files"][name] = {"bytes": (copy / name).stat().st_size,
                              "sha256": file_sha256(copy / name)}
    man["version"] = 1
    (copy / "manifest.json").write_text(json.dumps(man))
    old = GalleryIndex.load(copy)
    assert old.version == 1 and len(old) == len(ref)
    assert [old.item(i) for i in range(len(ref))] == [ref.item(i) for i in range(len(ref))]
    assert old.first_captions == list(ref.first_captions)
    assert (old.inverted != ref.inverted).nnz == 0
    assert old.position(ref.ids[-1]) == len(ref) - 1
