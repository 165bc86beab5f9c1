"""Bad motion files of the second input probe (audit 25a): FIFOs and devices, all-zero
padding frames, absurd BVH values and unclear messages. Each case is a copy of a real file
in ../shared/data, edited (or a real FIFO / a link to ``/dev/zero``)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from motionlex.core.data.datasets import MotionDataset
from motionlex.core.motion.bvh import load_bvh
from motionlex.core.motion.bvh_parse import MAX_ABS_ROTATION_DEG, read_bvh
from motionlex.core.motion.file_checks import MotionFileError, check_zero_frames, read_npy
from motionlex.core.motion.files import load_motion_file, read_joints_file
from motionlex.core.motion.joint_arrays import load_joints_npy, make_motion
from motionlex.core.motion.skeleton import get_skeleton

NPY = "bandai/new_joints/bn2_raise-up-both-hands_active_101.npy"
"""A real SMPL-22 joint file (32 frames, metres)."""
KICK = "raw_bvh/bandai_1_kick_normal_001.bvh"
"""A real Bandai BVH (358 frames, centimetres, position channels on every joint)."""

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"),
                                reason="needs os.mkfifo and /dev/zero (POSIX)")


class Hung(Exception):
    """The call under test did not return in time (it blocked or spun)."""


@contextlib.contextmanager
def returns_within(seconds: float) -> Iterator[None]:
    """Fail (not hang) when the block takes longer than ``seconds``: SIGALRM interrupts a
    blocking ``open()`` of a FIFO and a Python loop reading ``/dev/zero`` alike."""
    def _raise(signum, frame):
        raise Hung(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.perf_counter()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert time.perf_counter() - start < seconds


def _special_files(tmp_path: Path) -> dict[str, Path]:
    """A FIFO named like each motion file, and a link to ``/dev/zero`` named like each."""
    out = {}
    for suffix in (".npy", ".bvh"):
        fifo = tmp_path / f"fifo{suffix}"
        os.mkfifo(fifo)
        link = tmp_path / f"zero{suffix}"
        link.symlink_to("/dev/zero")
        out[f"fifo{suffix}"], out[f"zero{suffix}"] = fifo, link
    return out


READERS: dict[str, Callable[[Path], object]] = {
    "load_motion_file": load_motion_file,
    "read_joints_file": read_joints_file,
    "load_joints_npy": lambda p: load_joints_npy(p, get_skeleton("smpl22")),
    "read_npy": read_npy,
    "read_npy(mmap)": lambda p: read_npy(p, mmap=True),
    "read_bvh": read_bvh,
    "load_bvh": load_bvh,
}


@needs_fifo
@pytest.mark.parametrize("reader", list(READERS))
def test_fifos_and_devices_are_refused_without_being_opened(tmp_path, reader):
    """D35/F16b/F16c: ``open()`` of a FIFO blocked forever (a dataset scan hung) and a link
    to ``/dev/zero`` was "motion file not found"; now one MotionFileError naming the file
    and its kind, at once."""
    files = _special_files(tmp_path)
    suffix = ".bvh" if "bvh" in reader else ".npy"
    for kind, name in (("a FIFO", f"fifo{suffix}"), ("a character device", f"zero{suffix}")):
        with returns_within(1.0), pytest.raises(MotionFileError) as e:
            READERS[reader](files[name])
        assert str(e.value).startswith(f"{files[name]} is not a regular file ({kind}")
    assert "via a link to /dev/zero" in str(e.value)


@needs_fifo
def test_a_fifo_or_device_in_new_joints_is_skipped_by_a_scan_with_its_reason(
        shared_data, tmp_path, make_subset):
    """D35/D34: a FIFO ``new_joints/f.npy`` listed in the split hung ``scan`` and ``index``
    (the skeleton vote opened it); a link to ``/dev/zero`` was "motion file not found".
    Both are now skipped, each with its reason, and the real files load."""
    src = shared_data / "bandai"
    ids = (src / "val.txt").read_text().split()[:3]
    root = make_subset(src, tmp_path / "ds", ids)
    os.mkfifo(root / "new_joints" / "f.npy")
    (root / "new_joints" / "z.npy").symlink_to("/dev/zero")
    with open(root / "all.txt", "a") as f:
        f.write("f\nz\n")
    with returns_within(20.0):
        samples, report = MotionDataset(root, "all").scan()
    assert len(samples) == 3
    reasons = dict(report.skipped)
    assert reasons["f"].startswith(f"{root / 'new_joints' / 'f.npy'} is not a regular file "
                                   "(a FIFO)")
    assert "(a character device, via a link to /dev/zero)" in reasons["z"]


def _real_npy(shared_data: Path) -> np.ndarray:
    return np.load(shared_data / NPY)


@pytest.mark.parametrize("where,message", [
    ("end", r"frames 32-41 of 42 are all zeros \(every joint at 0; padding\?\): cut them off"),
    ("start", r"frames 0-9 of 42 are all zeros"),
    ("both", r"frames 0-9, 42-51 of 52 are all zeros"),
    ("one", r"frame 16 of 33 is all zeros .*cut it off first"),
])
def test_all_zero_frames_are_refused_naming_the_frames(shared_data, tmp_path, where, message):
    """N25: 10 trailing zero frames were accepted (the body collapsing to a point read as a
    squat); N26: leading ones failed with "cannot find a facing direction"."""
    a = _real_npy(shared_data)
    pad = np.zeros((10, 22, 3), np.float32)
    arr = {"end": np.concatenate([a, pad]), "start": np.concatenate([pad, a]),
           "both": np.concatenate([pad, a, pad]),
           "one": np.concatenate([a[:16], pad[:1], a[16:]])}[where]
    path = tmp_path / f"{where}.npy"
    np.save(path, arr)
    for read in (load_motion_file, read_joints_file):
        with pytest.raises(MotionFileError, match=message) as e:
            read(path)
        assert str(e.value).startswith(f"{path}: ")
    with pytest.raises(MotionFileError, match=message):  # any joints made into a motion
        make_motion(arr, 20.0, get_skeleton("smpl22"), source=str(path))
    np.save(path, np.zeros((5, 22, 3), np.float32))
    with pytest.raises(MotionFileError, match="all 5 frames are all zeros"):
        load_motion_file(path)


def test_zero_frames_in_a_dataset_folder_are_skipped_with_the_reason(shared_data, tmp_path,
                                                                     make_subset):
    src = shared_data / "bandai"
    ids = (src / "val.txt").read_text().split()[:2]
    root = make_subset(src, tmp_path / "ds", ids)
    first = root / "new_joints" / f"{ids[0]}.npy"
    a = np.load(first)
    np.save(first, np.concatenate([a, np.zeros((4, 22, 3), a.dtype)]))
    samples, report = MotionDataset(root, "all").scan()
    assert len(samples) == 1
    assert f"frames {len(a)}-{len(a) + 3} of {len(a) + 4} are all zeros" in dict(
        report.skipped)[ids[0]]


def test_no_real_joint_file_has_an_all_zero_frame(shared_data):
    files = sorted(shared_data.glob("*/new_joints/*.npy"))
    assert len(files) > 3000
    for f in files:
        check_zero_frames(np.load(f, mmap_mode="r"), str(f))


def test_non_numeric_npy_says_so_without_a_numpy_warning(shared_data, tmp_path):
    """N02: a complex array printed NumPy's ComplexWarning (with an internal source line)
    before the error; N22: datetime64 said "the body spans 0 file units"."""
    a = _real_npy(shared_data)
    cases = {"complex.npy": a.astype(np.complex64), "dt.npy": a.astype("datetime64[s]"),
             "bool.npy": a > 0}
    for name, arr in cases.items():
        np.save(tmp_path / name, arr)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a ComplexWarning fails the test
            with pytest.raises(MotionFileError) as e:
                load_motion_file(tmp_path / name)
        assert str(e.value).startswith(f"{tmp_path / name}: joint data is not numeric "
                                       f"(dtype {arr.dtype})")


@pytest.mark.parametrize("axes,order", [((1, 2, 0), (2, 0, 1)), ((0, 2, 1), (0, 2, 1))])
def test_transposed_arrays_are_named_with_the_fix(shared_data, tmp_path, axes, order):
    """N16/N17: ``(22, 3, T)`` and ``(T, 3, 22)`` said "no built-in skeleton has 3 joints"."""
    a = _real_npy(shared_data)
    t = a.transpose(axes).copy()
    path = tmp_path / "t.npy"
    np.save(path, t)
    with pytest.raises(MotionFileError) as e:
        load_motion_file(path)
    assert str(e.value).startswith(f"{path}: expected joints (T, J, 3), got {t.shape}")
    assert "the axes look transposed" in str(e.value)
    assert f"np.transpose(a, {order})" in str(e.value)
    np.testing.assert_array_equal(np.transpose(t, order), a)  # the advice is right


@pytest.mark.parametrize("mmap", [False, True])
def test_truncated_npy_data_is_named_as_such(shared_data, tmp_path, mmap):
    """N12: a good header with half the data was "not a plain numeric .npy array (object
    arrays and corrupt headers are refused)"."""
    raw = (shared_data / NPY).read_bytes()
    path = tmp_path / "half.npy"
    path.write_bytes(raw[:len(raw) // 2])
    shape = np.load(shared_data / NPY).shape
    with pytest.raises(MotionFileError, match=rf"half.npy: truncated .npy file: its header says "
                                              rf"\({shape[0]}, 22, 3\) float32"):
        read_npy(path, mmap=mmap)
    with pytest.raises(MotionFileError, match="truncated .npy file"):
        load_motion_file(path)


# ------------------------------------------------------------------------------ BVH

def _edited_bvh(shared_data: Path, tmp_path: Path, edit: Callable[[list[str]], None],
                name: str = "edited.bvh", source: str = KICK) -> Path:
    lines = (shared_data / source).read_text().splitlines()
    edit(lines)
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _first(lines: list[str], start: str) -> int:
    return next(i for i, ln in enumerate(lines) if ln.strip().startswith(start))


def test_an_absurd_offset_is_refused_naming_line_and_joint(shared_data, tmp_path):
    """B16: ``OFFSET 1e38`` gave a warning (height 1e36 m) and garbage joints."""
    def edit(lines):
        k = next(i for i, ln in enumerate(lines) if ln.strip() == "OFFSET 15.7357 0 0")
        lines[k] = lines[k].replace("15.7357", "1e38")

    path = _edited_bvh(shared_data, tmp_path, edit)
    line = _first(path.read_text().splitlines(), "OFFSET 1e38") + 1
    with pytest.raises(MotionFileError, match=rf"edited.bvh, line {line}: OFFSET 1e38 0 0 of "
                                              r"'Spine' is beyond any plausible BVH"):
        load_motion_file(path)


@pytest.mark.parametrize("column,value,message", [
    (3, "1e39", r"Zrotation of 'joint_Root' is 1e\+39 \(frame 0; 358 frame\(s\)"),
    (0, "2e7", r"Xposition of 'joint_Root' is 2e\+07 \(frame 0; 358 frame\(s\)"),
])
def test_absurd_channel_values_are_refused_naming_line_joint_and_channel(
        shared_data, tmp_path, column, value, message):
    """B25: a rotation of 1e39 degrees in every frame was accepted (a warning blamed a Z-up
    export, and describe read the take as another action)."""
    def edit(lines):
        data = _first(lines, "Frame Time") + 1
        lines[data:] = [" ".join(value if k == column else v for k, v in enumerate(ln.split()))
                        for ln in lines[data:]]

    path = _edited_bvh(shared_data, tmp_path, edit)
    data_line = _first(path.read_text().splitlines(), "Frame Time") + 2
    with pytest.raises(MotionFileError, match=rf"edited.bvh, line {data_line}: {message}"):
        load_motion_file(path)


def test_many_turns_of_rotation_are_still_a_motion(shared_data, tmp_path):
    """The limits leave room: 20 turns of a root rotation (7,200 degrees) load."""
    def edit(lines):
        data = _first(lines, "Frame Time") + 1
        for i in range(data, len(lines)):
            v = lines[i].split()
            v[3] = f"{float(v[3]) + 7200:g}"
            lines[i] = " ".join(v)

    assert 7200 < MAX_ABS_ROTATION_DEG
    got = load_motion_file(_edited_bvh(shared_data, tmp_path, edit))
    want = load_motion_file(shared_data / KICK)
    np.testing.assert_allclose(got.joints, want.joints, atol=1e-3)


def _zero_offsets(lines):
    for i, ln in enumerate(lines):
        if ln.strip().startswith("OFFSET"):
            lines[i] = ln[:ln.index("OFFSET")] + "OFFSET 0 0 0"


def test_zero_offsets_say_the_bones_have_zero_length(shared_data, tmp_path):
    """B17: all OFFSETs 0 (a CMU take: rotation channels only below the root) warned
    "inferred height 0.00 m ... pass scale=" and then said the units were millimetres or
    centimetres given as metres."""
    path = _edited_bvh(shared_data, tmp_path, _zero_offsets, source="raw_bvh/cmu_07_03_daz.bvh")
    with pytest.raises(MotionFileError) as e:
        load_motion_file(path)
    assert str(e.value).startswith(f"{path}: every bone below the root has zero length")
    assert str(e.value).count(str(path)) == 1
    assert "OFFSETs 0" in str(e.value) and "millimetres" not in str(e.value)


def test_zero_offsets_with_position_channels_still_read(shared_data, tmp_path):
    """Bandai takes carry position channels on every joint, which replace OFFSET: zero
    OFFSETs there leave the bones as they are (the check measures bones, not OFFSETs)."""
    from motionlex.core.motion.bvh import load_bvh

    path = _edited_bvh(shared_data, tmp_path, _zero_offsets)
    got = load_bvh(path, scale=0.01)
    want = load_bvh(shared_data / KICK, scale=0.01)
    np.testing.assert_allclose(got.joints, want.joints, atol=1e-6)


def test_the_height_warning_names_what_a_command_line_user_can_do(shared_data, tmp_path,
                                                                  caplog):
    """B16: the warning said "pass scale= if the units are wrong", a Python argument that
    the command line does not have."""
    def edit(lines):  # a skeleton twice as tall, in the same centimetres
        for i, ln in enumerate(lines[:_first(lines, "MOTION")]):
            if ln.strip().startswith("OFFSET"):
                head, nums = ln.split("OFFSET")
                lines[i] = head + "OFFSET " + " ".join(f"{2 * float(v):g}" for v in nums.split())
        data = _first(lines, "Frame Time") + 1
        for i in range(data, len(lines)):  # Bandai's position channels repeat the offsets
            v = lines[i].split()
            lines[i] = " ".join(f"{2 * float(x):g}" if k % 6 < 3 else x for k, x in enumerate(v))

    with caplog.at_level(logging.WARNING):
        load_bvh(_edited_bvh(shared_data, tmp_path, edit))
    (warning,) = [r.getMessage() for r in caplog.records if "tall" in r.getMessage()]
    assert "read as centimetres" in warning and "not 1.2-2.1 m" in warning
    assert "rescale the file" in warning and "pass scale=" not in warning


def test_frames_without_a_space_after_the_colon_are_read(shared_data, tmp_path):
    """B26: ``Frames:358`` was "MOTION must be followed by 'Frames: N' ..." (lower-case
    ``frames:`` was read); now read, and a wrong header line is named."""
    def squeeze(lines):
        for start in ("Frames:", "Frame Time:"):
            k = _first(lines, start)
            lines[k] = lines[k].replace(": ", ":").replace(":\t", ":")

    path = _edited_bvh(shared_data, tmp_path, squeeze)
    assert "Frames:358" in path.read_text()
    np.testing.assert_array_equal(read_bvh(path).motion, read_bvh(shared_data / KICK).motion)

    def rename(lines):
        k = _first(lines, "Frames:")
        lines[k] = lines[k].replace("Frames:", "Frame count:")  # shown as one space

    bad = _edited_bvh(shared_data, tmp_path, rename, "bad.bvh")
    k = _first(bad.read_text().splitlines(), "Frame count") + 1
    with pytest.raises(MotionFileError, match=rf"bad.bvh, line {k}: expected 'Frames: N' after "
                                              r"MOTION, got 'Frame count: 358'"):
        read_bvh(bad)
