"""``motionlex export`` on real motion files: GLB, pose GLB and BVH, many files at once."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from motionlex.core.cli import main
from motionlex.core.cli.export import motion_files, output_names
from motionlex.core.motion.files import load_motion_file
from motionlex.core.motion.glb import read_glb_accessor, read_glb_json


def test_folders_export_as_animated_glb(shared_data: Path, tmp_path: Path, capsys) -> None:
    raw, hml = shared_data / "raw_bvh", shared_data / "humanml3d_samples"
    files = motion_files([str(raw), str(hml)])  # a BVH folder and a dataset's new_joints/
    assert {f.suffix for f in files} == {".bvh", ".npy"}
    assert all(f.parent.name == "new_joints" for f in files if f.suffix == ".npy")
    out = tmp_path / "glb"
    assert main(["export", str(raw), str(hml), "--out", str(out), "-q"]) == 0
    assert f"wrote {len(files)} animated GLB files" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == sorted(f.stem + ".glb" for f in files)
    # one SMPL-22 clip: nodes named by its joints, one key per canonical frame
    src = next(f for f in files if f.stem == "000000")
    motion = load_motion_file(src)
    gltf = read_glb_json(out / "000000.glb")
    names = {n.get("name") for n in gltf["nodes"]}
    assert {"pelvis", "l_knee", "head", "l_hip-l_knee"} <= names
    times = read_glb_accessor(out / "000000.glb", gltf["animations"][0]["samplers"][0]["input"])
    assert len(times) == motion.num_frames
    assert np.isclose(times[-1], (motion.num_frames - 1) / motion.fps, atol=1e-4)


def test_one_joint_file_to_bvh_loads_back(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "humanml3d_samples" / "new_joints" / "012314.npy"
    out = tmp_path / "walk.bvh"
    assert main(["export", str(src), "--to", "bvh", "--out", str(out)]) == 0
    back, ref = load_motion_file(out), load_motion_file(src)
    order = [back.skeleton.joint_names.index(n) for n in ref.skeleton.joint_names]  # BVH order
    assert back.joints[:, order].shape == ref.joints.shape
    assert np.abs(back.joints[:, order] - ref.joints).max() < 1e-3  # metres, on the floor


def test_bvh_copy_takes_the_given_true_frame_rate(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "raw_bvh" / "cmu_07_03_daz.bvh"  # header: 120 fps
    assert main(["export", str(src), "--to", "bvh", "--out", str(tmp_path / "a.bvh")]) == 0
    assert (tmp_path / "a.bvh").read_bytes() == src.read_bytes()  # a byte copy
    assert main(["export", str(src), "--to", "bvh", "--fps", "60",
                 "--out", str(tmp_path / "b.bvh")]) == 0
    lines = (tmp_path / "b.bvh").read_bytes().splitlines()
    assert lines.count(b"Frame Time:\t0.016666667") == 1
    assert [x for x in lines if b"Frame Time" not in x] == [
        x for x in src.read_bytes().splitlines() if b"Frame Time" not in x]  # nothing else
    fast, slow = load_motion_file(tmp_path / "a.bvh"), load_motion_file(tmp_path / "b.bvh")
    assert slow.num_frames / slow.fps == pytest.approx(2 * fast.num_frames / fast.fps, rel=0.02)


def test_a_bad_file_is_reported_and_the_others_written(shared_data: Path, tmp_path: Path,
                                                        capsys) -> None:
    bad = tmp_path / "in" / "broken.npy"
    bad.parent.mkdir()
    bad.write_text("not a motion")
    good = tmp_path / "in" / "wave.bvh"
    shutil.copy(shared_data / "raw_bvh" / "bandai_2_wave-right-hand_normal_001.bvh", good)
    out = tmp_path / "out"
    assert main(["export", str(bad.parent), "--to", "poses", "--out", str(out), "-q"]) == 2
    captured = capsys.readouterr()
    assert "broken.npy" in captured.err and "1 of 2 failed" in captured.out
    assert [p.name for p in out.iterdir()] == ["wave.glb"]
    assert not list(out.glob(".*"))  # no temporary file left behind
    good.unlink()
    (bad.parent / "broken2.npy").write_text("not one either")
    assert main(["export", str(bad.parent), "--out", str(tmp_path / "none"), "-q"]) == 2
    assert "wrote nothing: 2 files failed (above)" in capsys.readouterr().out
    assert not (tmp_path / "none").exists()  # every file failed: no empty folder left


def test_clear_errors_and_nothing_written(shared_data: Path, tmp_path: Path, capsys) -> None:
    raw = shared_data / "raw_bvh"
    assert main(["export", str(raw), "--out", str(tmp_path / "all.glb")]) == 2
    assert "need an output folder" in capsys.readouterr().err
    assert not (tmp_path / "all.glb").exists()
    one = raw / "cmu_05_16_iclone.bvh"
    assert main(["export", str(one), "--to", "bvh", "--out", str(tmp_path / "x.glb")]) == 2
    assert "--to bvh writes .bvh files" in capsys.readouterr().err
    # a video or image name: a folder of that name was created, holding a .glb
    assert main(["export", str(one), "--out", str(tmp_path / "x.gif")]) == 2
    assert "File > Export" in capsys.readouterr().err and not (tmp_path / "x.gif").exists()
    # another file name for one motion: a folder of that name was created, holding a .bvh
    assert main(["export", str(one), "--to", "bvh", "--out", str(tmp_path / "x.txt")]) == 2
    assert "give a .bvh name (or " in capsys.readouterr().err
    assert not (tmp_path / "x.txt").exists()
    # ... and an existing file of another kind: named as such ("give a folder for 1 motions
    # (or one input and a .glb file)" read as if one input were missing), left as it was
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    assert main(["export", str(one), "--out", str(notes)]) == 2
    assert (f"{notes} is an existing file, not a .glb file: --to glb writes a .glb file, or "
            "into a folder; give a .glb name or a folder") in capsys.readouterr().err
    assert notes.read_text() == "mine"
    assert main(["export", str(one), str(raw / "cmu_07_03_daz.bvh"), "--out", str(notes)]) == 2
    assert f"{notes} is a file; 2 motions need an output folder" in capsys.readouterr().err
    assert main(["export", str(one), "--to", "bvh", "--out", f"{tmp_path / '2024.12'}/"]) == 0
    assert [p.name for p in (tmp_path / "2024.12").iterdir()] == ["cmu_05_16_iclone.bvh"]
    assert main(["export", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    fifo = tmp_path / "pipe.npy"
    os.mkfifo(fifo)  # never opened: reading it would wait for a writer forever
    assert main(["export", str(fifo), "--out", str(tmp_path / "o")]) == 2
    assert f"{fifo} is not a regular file (a FIFO)" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["export", str(empty), "--out", str(tmp_path / "o")]) == 2
    assert "no .bvh or .npy motion files" in capsys.readouterr().err
    own = tmp_path / "own.bvh"
    own.write_bytes(one.read_bytes())
    assert main(["export", str(own), "--to", "bvh", "--fps", "60", "--out", str(own)]) == 2
    assert "would replace its own input" in capsys.readouterr().err
    assert own.read_bytes() == one.read_bytes()
    # the inputs' own folder as --out: the .bvh written there would be the input itself
    for inputs in ([str(own)], [str(tmp_path)]):
        assert main(["export", *inputs, "--to", "bvh", "--fps", "60", "--out",
                     str(tmp_path)]) == 2
        assert f"{own}: the output would replace its own input" in capsys.readouterr().err
        assert own.read_bytes() == one.read_bytes()


def test_an_unwritable_output_folder_is_named(shared_data: Path, tmp_path: Path, capsys,
                                              monkeypatch) -> None:
    """A read-only or forbidden --out folder: "cannot write OUT: ... (in PARENT)", not the
    OS's bare errno text."""
    import errno

    out = tmp_path / "ro" / "exp"

    def refuse(self, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    assert main(["export", str(shared_data / "raw_bvh"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"cannot write {out}: Read-only file system (in {out.parent})" in err
    assert "[Errno" not in err


def test_same_named_files_of_two_datasets_are_both_written(shared_data: Path, tmp_path: Path,
                                                          capsys) -> None:
    src = shared_data / "bandai" / "new_joints"
    for d, take in (("a", "bn1_bow_active_001"), ("b", "bn1_bow_angry_001")):
        (tmp_path / d / "new_joints").mkdir(parents=True)
        (tmp_path / d / "new_joints" / "m.npy").write_bytes((src / f"{take}.npy").read_bytes())
    a, b = tmp_path / "a" / "new_joints" / "m.npy", tmp_path / "b" / "new_joints" / "m.npy"
    out = tmp_path / "out"
    assert main(["export", str(a), str(b), str(a), "--to", "poses", "--out", str(out),
                 "-q"]) == 0  # the same file twice is exported once
    assert sorted(p.name for p in out.iterdir()) == ["a_new_joints_m.glb", "b_new_joints_m.glb"]
    assert "wrote 2 pose-sequence GLB files" in capsys.readouterr().out


@pytest.mark.parametrize(("paths", "names"), [
    (["a/x.npy", "b/y.bvh"], ["x.glb", "y.glb"]),
    (["a/x.npy", "b/x.bvh", "c/z.npy"], ["a_x.glb", "b_x.glb", "z.glb"]),
    # two datasets' new_joints/ folders: the folder above tells them apart
    (["a/new_joints/m.npy", "b/new_joints/m.npy", "c/x.npy"],
     ["a_new_joints_m.glb", "b_new_joints_m.glb", "x.glb"]),
    (["a/m.npy", "a/m.bvh", "b/m.npy"], ["m_npy.glb", "m_bvh.glb", "m.glb"]),
    # "_" joins [a, clip] and [a_clip] alike, at any depth: the later one is numbered (its
    # output overwrote a/clip's, while the count said 3 files were written)
    (["a/clip.npy", "b/clip.npy", "a_clip.npy"], ["a_clip.glb", "b_clip.glb", "a_clip~2.glb"]),
    (["a_clip.npy", "a/clip.npy", "b/clip.npy"], ["a_clip.glb", "a_clip~2.glb", "b_clip.glb"]),
    (["a/clip.npy", "a_clip.npy", "b/clip.npy", "x/a_clip~2.npy"],
     ["a_clip.glb", "a_clip~3.glb", "b_clip.glb", "a_clip~2.glb"]),
    # two suffixes of one stem that the folder cannot tell apart (a case-sensitive disk)
    (["a/m.NPY", "a/m.npy"], ["m_npy.glb", "m_npy~2.glb"]),
])
def test_output_names_never_collide(paths: list[str], names: list[str]) -> None:
    assert output_names([Path(p) for p in paths], ".glb") == names


def test_inputs_whose_joined_names_agree_are_all_written(shared_data: Path, tmp_path: Path,
                                                         capsys, monkeypatch) -> None:
    """``a/clip.npy b/clip.npy a_clip.npy``: "wrote 3" but 2 files, a/clip's output lost."""
    src = shared_data / "bandai" / "new_joints"
    takes = ("bn1_bow_active_001", "bn1_bow_angry_001", "bn1_bow_happy_001")
    inputs = [tmp_path / "a" / "clip.npy", tmp_path / "b" / "clip.npy", tmp_path / "a_clip.npy"]
    for take, f in zip(takes, inputs):
        f.parent.mkdir(exist_ok=True)
        f.write_bytes((src / f"{take}.npy").read_bytes())
    monkeypatch.chdir(tmp_path)
    assert main(["export", "a/clip.npy", "b/clip.npy", "a_clip.npy", "--to", "poses",
                 "--out", "out", "-q"]) == 0
    assert "wrote 3 pose-sequence GLB files" in capsys.readouterr().out
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["a_clip.glb", "a_clip~2.glb", "b_clip.glb"]
    assert len({(tmp_path / "out" / n).read_bytes() for n in written}) == 3
