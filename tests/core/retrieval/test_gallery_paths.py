"""core/retrieval/gallery_paths.py: which index a gallery folder opens, and where a dataset
folder's index is cached (the basic rules with a real index, then edge cases)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from motionlex.core.retrieval.gallery_paths import cached_index_path, gallery_index_path

MODEL = "0123456789abcdef" * 4  # a 64-hex fingerprint


def _path_key(folder: Path) -> str:
    return hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:8]


def test_cache_rules(tmp_path, built):
    data = tmp_path / "my data"
    data.mkdir()
    path = cached_index_path(tmp_path / "cache", data, "ab" * 32)
    assert path.parent == tmp_path / "cache" and path.name.startswith("my data-")
    assert path.name.endswith("-abababab.mlx")
    assert path == cached_index_path(tmp_path / "cache", data / ".." / "my data", "ab" * 32)
    assert path != cached_index_path(tmp_path / "cache", data, "cd" * 32)
    assert gallery_index_path(data, tmp_path / "cache", "ab" * 32) == (path, True)
    idx = built[0].index.path
    assert gallery_index_path(idx, tmp_path / "cache", "ab" * 32) == (idx, False)


def test_cached_name_is_folder_name_path_hash_and_model_prefix(shared_data, tmp_path):
    """``<name>-<8 hex of the resolved path>-<8 hex of the model>.mlx`` in the cache folder,
    for a real dataset folder."""
    data = shared_data / "humanml3d_samples"
    got = cached_index_path(tmp_path / "cache", data, MODEL)
    assert got == tmp_path / "cache" / f"humanml3d_samples-{_path_key(data)}-01234567.mlx"
    assert not got.exists() and not (tmp_path / "cache").exists()  # a name: nothing made


def test_a_relative_path_and_a_symlink_name_their_target(tmp_path, monkeypatch):
    """The key hashes the resolved path: a relative path and a symbolic link to the folder
    share its cached index (the link's own name still names the file)."""
    data = tmp_path / "takes"
    data.mkdir()
    link = tmp_path / "link"
    link.symlink_to(data, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    full = cached_index_path(tmp_path, data, MODEL)
    assert cached_index_path(tmp_path, Path("takes"), MODEL) == full
    via_link = cached_index_path(tmp_path, link, MODEL)
    assert via_link.name == f"link-{_path_key(data)}-01234567.mlx"


def test_two_folders_of_one_name_get_two_indexes(tmp_path):
    a, b = tmp_path / "a" / "bvh", tmp_path / "b" / "bvh"
    pa, pb = (cached_index_path(tmp_path, d, MODEL) for d in (a, b))
    assert pa != pb and pa.name.startswith("bvh-") and pb.name.startswith("bvh-")


def test_only_the_first_8_model_characters_name_it():
    cache, data = Path("/c"), Path("/data/x")
    assert cached_index_path(cache, data, "abcdef01" + "0" * 56) == \
        cached_index_path(cache, data, "abcdef01" + "f" * 56)
    assert cached_index_path(cache, data, "abc").name.endswith("-abc.mlx")  # short: as it is


def test_a_root_folder_without_a_name_is_called_gallery():
    got = cached_index_path(Path("/cache"), Path("/"), MODEL)
    key = hashlib.sha256(os.sep.encode()).hexdigest()[:8]
    assert got == Path("/cache") / f"gallery-{key}-01234567.mlx"


def test_an_index_opens_as_it_is_and_anything_else_is_a_dataset(tmp_path):
    cache = tmp_path / "cache"
    idx = tmp_path / "g.mlx"
    idx.mkdir()
    (idx / "manifest.json").write_text("{}")  # its content is the reader's to check
    assert gallery_index_path(idx, cache, MODEL) == (idx, False)
    # not an index: a folder whose manifest.json is a folder, a missing folder, a file
    odd = tmp_path / "odd"
    (odd / "manifest.json").mkdir(parents=True)
    missing = tmp_path / "gone"
    a_file = tmp_path / "clip.bvh"
    a_file.write_text("HIERARCHY\n")
    for root in (odd, missing, a_file):
        assert gallery_index_path(root, cache, MODEL) == (
            cached_index_path(cache, root, MODEL), True), root
    assert not missing.exists()


def test_real_dataset_folder_is_built_into_the_cache(shared_data, tmp_path):
    data = shared_data / "raw_bvh"
    path, build = gallery_index_path(data, tmp_path, MODEL)
    assert build and path.parent == tmp_path and path.name.startswith("raw_bvh-")
