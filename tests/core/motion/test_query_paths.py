"""core/motion/query_paths.py: what a typed or pasted query text names. ``query_path_text``
and the edges of the path checks (the main cases are in test_files.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from motionlex.core.motion.query_paths import (
    SUFFIXES,
    looks_like_path,
    motion_file_query,
    names_motion_file,
    query_path_text,
)

BVH = "bandai_1_bow_normal_001.bvh"


@pytest.fixture
def takes(shared_data, tmp_path) -> Path:
    """A folder with a real BVH take (its name with a space and a percent sign) and a real
    joint array."""
    d = tmp_path / "my takes"
    d.mkdir()
    shutil.copy(shared_data / "raw_bvh" / BVH, d / "bow 100%.bvh")
    shutil.copy(shared_data / "humanml3d_samples" / "new_joints" / "000000.npy",
                d / "000000.npy")
    return d


@pytest.mark.parametrize(("text", "expected"), [
    ("  /data/k.bvh  ", "/data/k.bvh"),
    ('"/data/a b.bvh"', "/data/a b.bvh"),
    ("'/data/a b.bvh'", "/data/a b.bvh"),
    ('"  /data/k.bvh "', "/data/k.bvh"),  # spaces inside the quotes too
    ("\"/data/k.bvh'", "\"/data/k.bvh'"),  # quotes that do not match stay
    ('"', '"'),
    ('""', ""),
    ("~/takes/k.bvh", "~/takes/k.bvh"),  # ~ is left for expanduser
    ("file:///data/my%20take.bvh", "/data/my take.bvh"),  # URL-decoded
    ("file://localhost/data/k.bvh", "/data/k.bvh"),
    ("file:/data/k.bvh", "/data/k.bvh"),
    ('"file:///data/k.bvh"', "/data/k.bvh"),
    ("a person walks", "a person walks"),
])
def test_query_path_text(text, expected):
    assert query_path_text(text) == expected


def test_a_file_url_of_another_host_is_a_network_path():
    """``file://server/share/x.bvh`` (UNC, as Windows file managers paste it) keeps its
    host: a path starting with two slashes, not a local /share/x.bvh."""
    got = query_path_text("file://server/share/x.bvh")
    assert got.replace("\\", "/") == "//server/share/x.bvh"


@pytest.mark.parametrize("text", [".\\takes\\k", "..\\k", "'k.bvh'", "file:k", "\\k",
                                  "   /data/k", "z:\\k", "~"])
def test_more_prefixes_read_as_paths(text):
    assert looks_like_path(text)


@pytest.mark.parametrize("text", ["   ", "C:", "C:k.bvh", "k.bvh", "takes/k.bvh",
                                  "1/2 of a turn", "file", "-./k"])
def test_more_texts_read_as_words(text):
    assert not looks_like_path(text)


def test_a_real_take_named_in_every_form(takes, monkeypatch):
    take = takes / "bow 100%.bvh"
    for text in (str(take), f'  "{take}" ', take.as_uri()):
        assert motion_file_query(text) == take, text
        assert names_motion_file(text) == take, text
    assert "%25" in take.as_uri() and "%20" in take.as_uri()  # the URL form was decoded
    monkeypatch.chdir(takes.parent)
    assert motion_file_query("my takes/000000.npy") == Path("my takes/000000.npy")
    assert names_motion_file("my takes/000000.npy") == Path("my takes/000000.npy")


def test_suffixes_are_case_insensitive(takes):
    assert SUFFIXES == (".npy", ".bvh")
    upper = takes / "KICK.BVH"
    shutil.copy(takes / "bow 100%.bvh", upper)
    assert motion_file_query(str(upper)) == upper
    npy = takes / "walk.Npy"
    shutil.copy(takes / "000000.npy", npy)
    assert motion_file_query(str(npy)) == npy


def test_other_files_and_folders_are_not_motion_files(takes):
    notes = takes / "bow.bvh.txt"
    notes.write_text("x")
    folder = takes / "clips.bvh"
    folder.mkdir()
    for path in (notes, folder, takes):
        assert motion_file_query(str(path)) is None, path
    # a folder named like a motion file, typed as a path: the search's load names it
    assert names_motion_file(str(folder)) == folder
    assert names_motion_file(str(notes)) is None


def test_names_motion_file_of_missing_files(tmp_path, monkeypatch):
    """A missing file counts when the text is typed as a path (quoted, a URL, ~, one word, a
    text with a slash), not when words end in a motion suffix."""
    gone = tmp_path / "gone.bvh"
    monkeypatch.chdir(tmp_path)
    assert names_motion_file(f"'{gone}'") == gone
    assert names_motion_file(gone.as_uri()) == gone
    assert names_motion_file("gone.bvh") == Path("gone.bvh")  # one word: a mistyped name
    assert names_motion_file("my takes/kick 01.bvh") == Path("my takes/kick 01.bvh")
    assert names_motion_file("a person walks to the file.bvh") is None
    assert names_motion_file("~/gone.npy") == Path("~/gone.npy").expanduser()
    assert motion_file_query(str(gone)) is None
