"""Export writers of the app on real motions: BVH copy or rewrite, GLB node names (the
GIF/MP4 writer: test_recording.py)."""

from __future__ import annotations

import numpy as np
import pytest

from motionlex.app.export import copy_source_bvh, export_motion, read_glb_json
from motionlex.app.messages import MotionData
from motionlex.core.motion.files import load_motion_file
from motionlex.core.steps import run_steps


def test_copy_source_bvh(tmp_path, shared_data):
    from motionlex.core.retrieval.fingerprints import file_sha256

    src = shared_data / "raw_bvh" / "bandai_1_dash_normal_001.bvh"
    out = copy_source_bvh(src, tmp_path / "out" / "dash.bvh", sha256=file_sha256(src))
    assert out.read_bytes() == src.read_bytes()
    with pytest.raises(ValueError, match="not a BVH file"):
        copy_source_bvh(shared_data / "humanml3d_samples" / "new_joints" / "000000.npy",
                        tmp_path / "x.bvh")
    with pytest.raises(FileNotFoundError, match="source BVH not found"):
        copy_source_bvh(tmp_path / "gone.bvh", tmp_path / "x.bvh")
    with pytest.raises(ValueError, match="changed since it was indexed"):
        copy_source_bvh(src, tmp_path / "x.bvh", sha256="0" * 64)
    assert not (tmp_path / "x.bvh").exists()


@pytest.mark.parametrize("file,expected", [
    ("humanml3d_samples/new_joints/000000.npy", ["pelvis", "l_hip", "r_hip", "spine1"]),
    ("raw_bvh/bandai_1_dash_normal_001.bvh", ["Hips", "UpperLeg_L", "LowerLeg_L"]),
])
def test_glb_export_names_nodes_by_the_skeleton(tmp_path, shared_data, file, expected):
    """File > Export > GLB: nodes carry SMPL-22's names (.npy) or the BVH's own joint names."""
    m = load_motion_file(shared_data / file)
    sk = m.skeleton
    shown = MotionData(1, 0, "gallery/" + m.name, "", [], m.source, False, "", m.fps, m.joints,
                       sk.bones(), sk.part_of_joint(), sk, np.zeros((3, 1, 80), np.float32),
                       [], {})
    nodes = [n["name"] for n in read_glb_json(export_motion(shown, tmp_path / "m.glb"))["nodes"]]
    assert nodes[-sk.num_joints:] == list(sk.joint_names)
    assert set(expected) <= set(nodes) and len(set(nodes)) == len(nodes)
    assert not any(n.startswith(("joint_", "bone_")) for n in nodes)


def test_bvh_export_takes_the_true_frame_rate_from_the_index_meta(tmp_path, shared_data):
    """cgspeed CMU headers may state a wrong rate; a folder's ``index.json`` gives the true
    one (``true_fps``, kept in the index's meta): the explorer's BVH copy says that rate."""
    from motionlex.core.retrieval.fingerprints import file_sha256

    src = shared_data / "raw_bvh" / "cmu_07_03_daz.bvh"  # header: 120 fps
    m = load_motion_file(src)
    sk = m.skeleton

    def shown(meta: dict) -> MotionData:
        return MotionData(1, 0, "raw_bvh/" + m.name, "", [], str(src), True, file_sha256(src),
                          m.fps, m.joints, sk.bones(), sk.part_of_joint(), sk,
                          np.zeros((3, 1, 80), np.float32), [], meta)

    def frame_time(path) -> float:
        line = next(ln for ln in path.read_text().splitlines() if ln.startswith("Frame Time"))
        return float(line.split(":")[1])

    plain = export_motion(shown({"action": "walk"}), tmp_path / "plain.bvh", "bvh")
    assert plain.read_bytes() == src.read_bytes()  # no true rate known: a byte copy
    assert abs(frame_time(plain) - 1 / 120) < 1e-7
    fixed = export_motion(shown({"true_fps": 60.0}), tmp_path / "fixed.bvh", "bvh")
    assert abs(frame_time(fixed) - 1 / 60) < 1e-7  # as if index.json said 60 fps
    body = lambda p: p.read_text().split("Frame Time")[1].splitlines()[1:]  # noqa: E731
    assert body(fixed) == body(plain)  # the frames themselves are copied


def test_bvh_export_note_says_when_a_bvh_source_is_not_copied(tmp_path, shared_data,
                                                              monkeypatch):
    from motionlex.app.export import bvh_export_note
    from motionlex.core.retrieval.fingerprints import file_sha256

    src = tmp_path / "take.bvh"
    src.write_bytes((shared_data / "raw_bvh" / "bandai_1_bow_normal_001.bvh").read_bytes())
    m = load_motion_file(src)
    sk = m.skeleton

    def shown(source, sha) -> MotionData:
        return MotionData(1, 0, "t/take", "", [], str(source), True, sha, m.fps, m.joints,
                          sk.bones(), sk.part_of_joint(), sk, np.zeros((3, 1, 80), np.float32),
                          [], {})

    sha = file_sha256(src)
    assert bvh_export_note(shown(src, sha)) == ""  # copied as it is
    # the export job (export thread) finds the note itself, hashing the source once
    from motionlex.app.export import export_steps
    from motionlex.core.motion import export as core_export

    hashed = []
    real = core_export.file_sha256
    monkeypatch.setattr(core_export, "file_sha256", lambda p: hashed.append(p) or real(p))

    path, note = run_steps(export_steps(shown(src, sha), tmp_path / "copy.bvh", "bvh"))
    assert note == "" and path.read_bytes() == src.read_bytes() and len(hashed) == 1
    edited = tmp_path / "edited.bvh"
    edited.write_bytes(src.read_bytes() + b"\n")
    path, note = run_steps(export_steps(shown(edited, sha), tmp_path / "joints.bvh", "bvh"))
    assert "changed since it was indexed" in note
    assert (tmp_path / "joints.bvh").read_bytes() != edited.read_bytes()  # written from joints
    back = load_motion_file(tmp_path / "joints.bvh")  # ...the shown joints, read back
    assert back.skeleton.joint_names == sk.joint_names and back.fps == pytest.approx(m.fps)
    np.testing.assert_allclose(back.joints, m.joints, atol=1e-3)
    assert bvh_export_note(shown(tmp_path / "m.npy", "")) == ""  # a joint file: as expected
    assert bvh_export_note(None) == ""
    src.write_bytes(src.read_bytes() + b"\n")  # edited after indexing
    note = bvh_export_note(shown(src, sha))
    assert note.startswith("written from joint positions, not copied: ")
    assert "changed since it was indexed" in note
    src.unlink()
    assert "is gone" in bvh_export_note(shown(src, sha))


def test_each_export_names_the_suffixes_it_writes(tmp_path, shared_data):
    """Audit 35 #5: a GLB export to ``wave.txt`` wrote a GLB named .txt; only the video
    export refused another suffix. One rule, from the save dialogs' file types."""
    from motionlex.app.export import (
        EXPORT_DIALOGS,
        check_export_suffix,
        export_steps,
        export_suffixes,
    )

    assert {k: export_suffixes(k) for k in EXPORT_DIALOGS} == {
        "glb": (".glb",), "poses": (".glb",), "bvh": (".bvh",), "video": (".gif", ".mp4"),
        "png": (".png",)}
    assert check_export_suffix(tmp_path / "a.GLB", "glb") == tmp_path / "a.GLB"
    with pytest.raises(ValueError, match=r"a\.txt: GLB export writes \.glb, not \.txt$"):
        check_export_suffix(tmp_path / "a.txt", "glb")
    with pytest.raises(ValueError, match=r"BVH export writes \.bvh, not \(no extension\)"):
        check_export_suffix(tmp_path / "a", "bvh")
    with pytest.raises(ValueError, match=r"writes \.png, not \.jpg"):
        check_export_suffix("shot.jpg", "png")
    m = load_motion_file(shared_data / "humanml3d_samples" / "new_joints" / "000000.npy")
    sk = m.skeleton
    shown = MotionData(1, 0, "gallery/" + m.name, "", [], m.source, False, "", m.fps, m.joints,
                       sk.bones(), sk.part_of_joint(), sk, np.zeros((3, 1, 80), np.float32),
                       [], {})
    with pytest.raises(ValueError, match="pose-sequence export writes .glb, not .bvh"):
        export_steps(shown, tmp_path / "p.bvh", "poses")  # at once, before it is queued
    with pytest.raises(ValueError, match="GLB export writes .glb, not .txt"):
        export_motion(shown, tmp_path / "wave.txt", "glb")
    assert list(tmp_path.iterdir()) == []
    assert run_steps(export_steps(shown, tmp_path / "p.glb", "poses"))[0].is_file()
