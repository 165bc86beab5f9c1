"""The one message for an index used with another model, by where the model came from."""

from __future__ import annotations

from motionlex.core.retrieval.index_format import model_mismatch

WANT, GOT = "a" * 64, "b" * 64


def test_an_index_that_records_no_checkpoint_says_so(tmp_path):
    """An index built from Python without checkpoint= said its checkpoint "(not recorded) no
    longer exists", both at once."""
    msg = str(model_mismatch(tmp_path / "g.mlx", WANT, GOT, None))
    assert "no longer exists" not in msg and "not recorded" not in msg
    assert "it records no checkpoint (build_index(..., checkpoint=DIR) records it)" in msg
    assert f"{'a' * 16}... but the loaded model is {'b' * 16}..." in msg


def test_a_recorded_checkpoint_is_named_whether_or_not_it_is_there(tmp_path):
    gone = str(tmp_path / "gone")
    assert f"its checkpoint ({gone}) no longer exists" in str(
        model_mismatch(tmp_path / "g.mlx", WANT, GOT, gone))
    there = tmp_path / "model"
    there.mkdir()
    assert f"use the checkpoint it was built with ({there})" in str(
        model_mismatch(tmp_path / "g.mlx", WANT, GOT, str(there)))


def test_a_file_managers_litter_is_not_a_users_file(tmp_path):
    """An index folder shown in Finder or Explorer gets ``.DS_Store``, ``._*`` AppleDouble
    and ``Thumbs.db`` files: an update may replace the folder with them; a user's own notes
    and folders are named (they would be lost)."""
    from motionlex.core.retrieval.index_format import foreign_entries

    for name in (".DS_Store", "._dense.npy", "Thumbs.db", "dense.npy", "manifest.json"):
        (tmp_path / name).write_text("x")
    assert foreign_entries(tmp_path) == []
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "figures").mkdir()
    assert foreign_entries(tmp_path) == ["figures/", "notes.txt"]


def test_settings_of_a_manifest_written_before_a_setting_existed_are_the_old_defaults():
    """A manifest without ``settings`` keys reads as the settings such indexes were built
    with (128 words per motion, windows, float16 joints), not as "keep every word"."""
    from motionlex.core.retrieval.index_format import IndexSettings

    old = IndexSettings.from_dict({})
    assert old == IndexSettings() and old.lexical_top_k == 128
    assert IndexSettings.from_dict({"lexical_top_k": None}).lexical_top_k is None


def test_read_manifest_gives_the_object_or_none(tmp_path):
    """One reader of an index's manifest as it is (code review 36 F6: the build and the CLI
    each had one); anything but a readable JSON object is None."""
    from motionlex.core.retrieval.index_format import MANIFEST, read_manifest

    assert read_manifest(tmp_path) is None and read_manifest(tmp_path / "gone") is None
    for bad in (b"{oops", b"[1, 2]", b'"text"', b"\xff\xfe{}"):
        (tmp_path / MANIFEST).write_bytes(bad)
        assert read_manifest(tmp_path) is None, bad
    (tmp_path / MANIFEST).write_text('{"format": "x", "caption": "wälk"}\n', encoding="utf-8")
    assert read_manifest(str(tmp_path)) == {"format": "x", "caption": "wälk"}
    (tmp_path / MANIFEST).unlink()
    (tmp_path / MANIFEST).mkdir()  # a folder of that name: unreadable
    assert read_manifest(tmp_path) is None
