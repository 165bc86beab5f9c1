"""The one motion-file loader: .npy (dataset and loose) and .bvh files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from motionlex.core.motion.bvh import load_bvh
from motionlex.core.motion.file_checks import MotionFileError
from motionlex.core.motion.files import KIT_FPS, load_motion_file, read_joints_file
from motionlex.core.motion.motion import CANONICAL_FPS, to_canonical
from motionlex.core.motion.skeleton import get_skeleton


def _walk(num_frames: int = 30, scale: float = 1.0, joints: int = 22) -> np.ndarray:
    """A standing SMPL/KIT-sized body translating along +Z, in metres times ``scale``."""
    rng = np.random.default_rng(0)
    base = rng.uniform(-0.3, 0.3, (joints, 3)).astype(np.float32)
    base[:, 1] = np.linspace(0.0, 1.7, joints)
    t = np.arange(num_frames, dtype=np.float32)[:, None, None] * 0.02
    return (base[None] + t * np.array([0, 0, 1], np.float32)) * np.float32(scale)


def test_loose_npy_is_20fps_metres_and_canonical(tmp_path):
    path = tmp_path / "clip.npy"
    np.save(path, _walk())
    m = load_motion_file(path)
    assert m.fps == CANONICAL_FPS and m.skeleton.name == "smpl22" and m.name == "clip"
    assert m.joints.shape == (30, 22, 3) and m.joints.dtype == np.float32
    assert abs(float(m.joints[..., 1].min())) < 1e-5  # floor at 0
    raw = load_motion_file(path, canonical=False)
    np.testing.assert_allclose(raw.joints, _walk(), atol=1e-6)


def test_dataset_npy_detects_kit_fps_and_millimetres(tmp_path):
    folder = tmp_path / "kit" / "new_joints"
    folder.mkdir(parents=True)
    np.save(folder / "00001.npy", _walk(joints=21, scale=1000.0))
    m = read_joints_file(folder / "00001.npy")
    assert m.fps == KIT_FPS and m.skeleton.name == "kit21"
    np.testing.assert_allclose(m.joints, _walk(joints=21), atol=1e-4)
    assert load_motion_file(folder / "00001.npy").fps == CANONICAL_FPS  # resampled
    # the same file outside a new_joints/ folder is read at the same rate: 185 frames
    # became 116 or 185 by where the file lay
    loose = tmp_path / "kit_clip.npy"
    loose.write_bytes((folder / "00001.npy").read_bytes())
    a = load_motion_file(folder / "00001.npy")
    b = load_motion_file(loose)
    assert b.joints.shape == a.joints.shape and b.duration == a.duration
    np.testing.assert_allclose(b.joints, a.joints, atol=1e-6)
    given = read_joints_file(folder / "00001.npy", skeleton=get_skeleton("kit21"), fps=25.0,
                             scale=0.001, name="x")
    assert given.fps == 25.0 and given.name == "x"


def test_real_files_match_their_readers(shared_data):
    npy = shared_data / "humanml3d_samples" / "new_joints" / "012314.npy"
    m = load_motion_file(npy)
    assert m.skeleton.name == "smpl22" and m.fps == CANONICAL_FPS
    bvh = shared_data / "raw_bvh" / "bandai_1_bow_normal_001.bvh"
    got = load_motion_file(bvh, skip_frames="auto", name="bow")
    want = to_canonical(load_bvh(bvh, skip_frames="auto", name="bow"))
    np.testing.assert_array_equal(got.joints, want.joints)
    assert got.name == "bow" and got.fps == CANONICAL_FPS
    # the 263-d feature vectors beside the joints are named as such
    vecs = shared_data / "humanml3d_samples" / "new_joint_vecs" / "012314.npy"
    with pytest.raises(MotionFileError, match=r"263-d feature vectors .*new_joints/ instead"):
        load_motion_file(vecs)


def test_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="motion file not found"):
        load_motion_file(tmp_path / "none.bvh")
    with pytest.raises(FileNotFoundError, match="motion file not found"):
        read_joints_file(tmp_path / "none.npy")
    (tmp_path / "x.csv").write_text("1,2,3")
    with pytest.raises(ValueError, match="expected a .npy joint file or a .bvh"):
        load_motion_file(tmp_path / "x.csv")
    np.save(tmp_path / "flat.npy", np.zeros((5, 66), np.float32))
    with pytest.raises(MotionFileError, match=r"flat.npy: expected joints \(T, J, 3\)"):
        load_motion_file(tmp_path / "flat.npy")
    np.save(tmp_path / "odd.npy", np.zeros((5, 7, 3), np.float32))
    with pytest.raises(MotionFileError, match="odd.npy"):
        load_motion_file(tmp_path / "odd.npy")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object))
    with pytest.raises(MotionFileError, match="not a plain numeric"):
        load_motion_file(tmp_path / "obj.npy")
    (tmp_path / "cut.npy").write_bytes(b"\x93NUMPY")
    with pytest.raises(MotionFileError, match="cut.npy"):
        load_motion_file(tmp_path / "cut.npy")


def test_a_path_that_is_no_path_is_named(shared_data):
    """load_motion_file(3) raised pathlib's bare "expected str, bytes or os.PathLike object,
    not int" six frames deep; a loaded array or Motion passed by mistake is named too."""
    m = load_motion_file(shared_data / "raw_bvh" / "bandai_1_bow_normal_001.bvh")
    for wrong, kind in ((3, "int 3"), (m.joints, "ndarray"), (m, "Motion"), (None, "NoneType")):
        with pytest.raises(TypeError, match=rf"^load_motion_file: path must be a file path "
                           rf"\(str or os.PathLike\), got {kind}"):
            load_motion_file(wrong)
    assert load_motion_file(str(m.source)).num_frames == m.num_frames  # a str still loads


@pytest.mark.parametrize("frame_time,fps,message", [
    ("1000", None, r"frame rate 0\.001 fps \(Frame Time: 1000 s\) is outside \[1, 1000\] fps"),
    ("100000", None, r"frame rate 1e-05 fps \(Frame Time: 100000 s\) is outside"),
    ("0.0001", None, r"frame rate 10000 fps \(Frame Time: 0\.0001 s\) is outside"),
    ("0.008333", 5000.0, r"frame rate 5000 fps is outside \[1, 1000\] fps"),
    ("0", None, r"slow.bvh, line \d+: Frame Time: 0 is not a positive number of seconds"),
    ("-0.03", None, r"Frame Time: -0.03 is not a positive number of seconds"),
])
def test_bvh_frame_rates_out_of_range_are_refused(shared_data, tmp_path, frame_time, fps,
                                                  message):
    """Issue 15 item 5: ``Frame Time 1000`` used to be resampled to millions of frames."""
    text = (shared_data / "raw_bvh" / "bandai_1_bow_normal_001.bvh").read_text()
    lines = text.splitlines()
    k = next(i for i, ln in enumerate(lines) if ln.lower().startswith("frame time"))
    lines[k] = f"Frame Time: {frame_time}"
    path = tmp_path / "slow.bvh"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(MotionFileError, match=message) as e:
        load_motion_file(path, fps=fps)
    assert str(path) in str(e.value)


def test_a_bad_frame_count_is_named_with_its_line(shared_data, tmp_path):
    text = (shared_data / "raw_bvh" / "bandai_1_bow_normal_001.bvh").read_text()
    lines = text.splitlines()
    k = next(i for i, ln in enumerate(lines) if ln.lower().startswith("frames:"))
    for bad in ("0", "2.5"):
        lines[k] = f"Frames: {bad}"
        (tmp_path / "f.bvh").write_text("\n".join(lines) + "\n")
        with pytest.raises(MotionFileError, match=rf"f.bvh, line {k + 1}: Frames: {bad} is not "
                                                  r"a whole number of frames >= 1"):
            load_motion_file(tmp_path / "f.bvh")


def test_npy_frame_rates_and_durations_out_of_range_are_refused(tmp_path):
    path = tmp_path / "clip.npy"
    np.save(path, _walk())
    with pytest.raises(MotionFileError, match=r"clip.npy: frame rate 0\.5 fps is outside"):
        load_motion_file(path, fps=0.5)
    with pytest.raises(MotionFileError, match="frame rate 2000 fps is outside"):
        read_joints_file(path, fps=2000.0)
    long = tmp_path / "new_joints" / "long.npy"
    long.parent.mkdir()
    np.save(long, np.repeat(_walk(2), 36_002, axis=0)[:72_002])
    with pytest.raises(MotionFileError, match=r"long.npy: 72002 frames at 20 fps \(the default "
                                              r"for smpl22\) last 3600 s; at most 3600 s"):
        load_motion_file(long)
    assert load_motion_file(path, fps=1.0).num_frames == 29 * 20 + 1  # 1 fps is allowed


def test_bvh_joint_limit(shared_data, monkeypatch):
    from motionlex.core.motion import bvh_parse

    path = shared_data / "raw_bvh" / "bandai_1_bow_normal_001.bvh"
    monkeypatch.setattr(bvh_parse, "MAX_BVH_JOINTS", 20)
    with pytest.raises(MotionFileError, match=rf"{path.name}: \d+ joints in the hierarchy; "
                                              "motionlex reads trees of at most 20 joints"):
        load_motion_file(path)


def test_dataset_units_detected_and_verified(tmp_path):
    """Issue 15 item 6: a centimetre file inside a dataset folder used to become a 17 cm
    person (read as millimetres); now it is refused as a loose file is."""
    folder = tmp_path / "ds" / "new_joints"
    folder.mkdir(parents=True)
    for name, scale in (("m", 1.0), ("mm", 1000.0), ("cm", 100.0)):
        np.save(folder / f"{name}.npy", _walk(scale=scale))
    for name in ("m", "mm"):
        np.testing.assert_allclose(read_joints_file(folder / f"{name}.npy").joints, _walk(),
                                   rtol=1e-5, atol=1e-5)
    message = (r"cm.npy: the body spans 1\d\d\.?\d* file units, neither metres nor "
               r"millimetres of a person .*centimetres \(x 0\.01\)\?")
    with pytest.raises(MotionFileError, match=message):
        load_motion_file(folder / "cm.npy")
    assert read_joints_file(folder / "cm.npy", scale=0.01).joints.max() < 2.0
    # inches read as centimetres would be a child: both are named (the probe's inch file
    # was told "centimetres?"), and a person far from the origin is no unit problem
    np.save(folder / "inch.npy", _walk(scale=1 / 0.0254))
    with pytest.raises(MotionFileError, match=r"centimetres \(x 0\.01\) or inches "
                                              r"\(x 0\.0254\)\?"):
        load_motion_file(folder / "inch.npy")
    np.save(tmp_path / "far.npy", _walk() + np.float32([5000.0, 0.0, 0.0]))
    with pytest.raises(MotionFileError, match=r"coordinates reach 50\d\d\.\d m from the origin "
                                              r"while the body spans 1\.\d\d m: a world offset"):
        load_motion_file(tmp_path / "far.npy")
    # a loose file: the same rule (millimetres were refused with advice for Python users)
    for name in ("m", "mm", "cm"):
        (tmp_path / f"{name}.npy").write_bytes((folder / f"{name}.npy").read_bytes())
    for name in ("m", "mm"):
        np.testing.assert_allclose(load_motion_file(tmp_path / f"{name}.npy",
                                                    canonical=False).joints, _walk(),
                                   rtol=1e-5, atol=1e-5)
    with pytest.raises(MotionFileError, match=message):
        load_motion_file(tmp_path / "cm.npy")


def test_motion_file_query_names_an_existing_motion_file(tmp_path, monkeypatch):
    """What the explorer's query box ranks by a motion instead of text: an existing BVH or
    .npy path, also quoted, with ~, or as a file:// URL; never a text or another file."""
    from motionlex.core.motion.query_paths import motion_file_query

    take = tmp_path / "my take.bvh"
    take.write_text("HIERARCHY\n")  # only the name and existence are checked here
    (tmp_path / "notes.txt").write_text("x")
    for text in (str(take), f'"{take}"', f"'{take}'  ", take.as_uri(),
                 "file://localhost" + take.as_uri()[len("file://"):]):
        assert motion_file_query(text) == take, text
    monkeypatch.setenv("HOME", str(tmp_path))
    assert motion_file_query("~/my take.bvh") == take
    for text in ("a person kicks", str(tmp_path / "gone.bvh"), str(tmp_path / "notes.txt"),
                 str(tmp_path), "", '"', "x" * 5000 + ".bvh", "~nosuchuser_x/k.bvh"):
        assert motion_file_query(text) is None, text[:40]  # never an error as one types


def test_a_search_command_reads_paths_and_words_as_the_query_box_does(tmp_path,
                                                                      monkeypatch):
    """``motionlex search QUERY``: an existing motion file (relative too) or a text typed
    as a path with a motion suffix is a motion query; quoted words, "~ a person waves"
    and paths of other files are words."""
    from motionlex.core.motion.query_paths import names_motion_file

    (tmp_path / "takes").mkdir()
    take = tmp_path / "takes" / "kick.bvh"
    take.write_text("HIERARCHY\n")
    monkeypatch.chdir(tmp_path)
    assert names_motion_file("takes/kick.bvh") == Path("takes/kick.bvh")
    assert names_motion_file(str(take)) == take
    assert names_motion_file("./no/such.bvh") == Path("no/such.bvh")  # then "not found"
    assert names_motion_file("~nosuchuser_x/k.bvh") == Path("~nosuchuser_x/k.bvh")
    for words in ('"a person walks"', "'wave' then walk", "~ a person waves", "/tmp/notes.txt",
                  "a person waves"):
        assert names_motion_file(words) is None, words


def test_looks_like_path_tells_a_typed_path_from_words():
    from motionlex.core.motion.query_paths import looks_like_path

    for text in ("/home/me/ta", "~/takes/k", '"/tmp/a b', "./k", "../k", "C:\\takes\\k",
                 "D:/k", "file:///tmp/k", "\\\\server\\share"):
        assert looks_like_path(text), text
    for text in ("a person waves at someone/something", "walks", ".5 steps", ""):
        assert not looks_like_path(text), text


def test_a_bvh_file_takes_the_true_fps_of_the_index_beside_it(shared_data, tmp_path, caplog):
    """Every command reads a BVH file through load_motion_file, so the ``true_fps`` of an
    ``index.json`` beside it replaces a wrong header rate there too (as a dataset read does),
    unless a rate is given; another tool's ``index.json`` leaves the header's rate."""
    import json
    import logging
    import shutil

    src = shared_data / "raw_bvh" / "cmu_07_03_daz.bvh"
    f = tmp_path / "walk.bvh"
    shutil.copy(src, f)
    header = load_motion_file(f)  # resampled to 20 fps: the frame count tells the rate
    (tmp_path / "index.json").write_text(json.dumps({"walk.bvh": {"true_fps": 60}}))
    m = load_motion_file(f)
    assert m.fps == header.fps == 20.0
    assert m.num_frames == pytest.approx(2 * header.num_frames, abs=2)  # twice as long
    # an export copies the BVH source with the same rate in its header
    from motionlex.core.motion.export import export_motion

    out = export_motion(m, tmp_path / "out" / "walk.bvh", "bvh")
    assert "Frame Time:\t0.016666667" in out.read_text()
    given = load_motion_file(f, fps=120)  # a given rate wins
    # a file in a subfolder (a CMU subject): the folder's index names it by its path below
    sub = tmp_path / "cmu" / "07"
    sub.mkdir(parents=True)
    shutil.copy(src, sub / "07_03.bvh")
    (tmp_path / "cmu" / "index.json").write_text(json.dumps({"07/07_03.bvh": {"true_fps": 60}}))
    assert load_motion_file(sub / "07_03.bvh").num_frames == m.num_frames
    assert given.num_frames == header.num_frames
    (tmp_path / "index.json").write_text(json.dumps({"walk.bvh": {"true_fps": "sixty"}}))
    with pytest.raises(ValueError, match=r"index.json: true_fps of walk.bvh must be a positive"):
        load_motion_file(f)
    (tmp_path / "index.json").write_text(json.dumps(["not", "ours"]))
    with caplog.at_level(logging.WARNING):
        assert load_motion_file(f).num_frames == header.num_frames
    assert "index.json: not read for walk.bvh's frame rate" in caplog.text
