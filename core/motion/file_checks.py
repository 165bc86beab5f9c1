"""Motion files before they become motions: what may be opened (never a FIFO or device),
the one ``.npy`` reader (never unpickling, truncation named), and the checks of raw joint
arrays (numeric, finite, no all-zero padding frames, a frame rate in range, upright along
+Y), each failure a :class:`MotionFileError` naming the file.

Below :mod:`.motion` (which builds and validates a :class:`~.motion.Motion` with these) and
:mod:`.files` (THE loader).
"""

from __future__ import annotations

import logging
import math
import os
import tokenize
from pathlib import Path

import numpy as np

from motionlex.core.checksums import not_regular_file_message, special_file_kind
from motionlex.core.motion.skeleton import Skeleton, side_check, skeleton_for_joint_count

logger = logging.getLogger(__name__)


class MotionFileError(ValueError):
    """A motion file that cannot be used; the message names the file and the problem."""


def require_motion_file(path: Path) -> None:
    """Check that a motion path is a regular file before anything opens it.

    A FIFO, device or socket (also behind a link: ``x.npy -> /dev/zero``) is never opened:
    reading a FIFO blocks until a writer comes, and ``/dev/zero`` never ends.

    Raises:
        MotionFileError: ``path`` is a FIFO, device or socket (names it and its kind).
        FileNotFoundError: no such file, a broken link, or a folder
            (:func:`not_a_motion_file`).
    """
    kind = special_file_kind(path)
    if kind is not None:
        raise MotionFileError(not_regular_file_message(path, kind))
    if not path.is_file():
        raise FileNotFoundError(not_a_motion_file(path))


def check_numeric(dtype: np.dtype, source: str) -> None:
    """Refuse joint data that is not real numbers (bool, complex, datetime, text, records).

    Checked before any conversion, so that NumPy warns of nothing (a complex array cast to
    float gave a ``ComplexWarning`` with a source path before the error).

    Raises:
        MotionFileError: naming ``source`` and the dtype.
    """
    if dtype.kind not in "fiu":
        raise MotionFileError(f"{source}: joint data is not numeric (dtype {dtype}); "
                              "expected float or integer coordinates")


MAX_RANGES_NAMED = 4
"""Frame ranges named in a message (:func:`check_zero_frames`); more are counted."""


def frame_ranges(frames: np.ndarray) -> list[tuple[int, int]]:
    """``[(first, last), ...]`` of the runs of consecutive indices in sorted ``frames``."""
    if not len(frames):
        return []
    breaks = np.nonzero(np.diff(frames) > 1)[0]
    starts = np.concatenate([[frames[0]], frames[breaks + 1]])
    ends = np.concatenate([frames[breaks], [frames[-1]]])
    return [(int(a), int(b)) for a, b in zip(starts, ends)]


def check_zero_frames(joints: np.ndarray, source: str) -> None:
    """Refuse frames in which every joint is exactly at ``(0, 0, 0)``.

    No pose puts every joint at one point: such frames are padding (arrays of clips cut to
    one length and filled with zeros) or a dropped capture. At the end they were read as
    the body collapsing to a point (a squat), at the start as no facing direction.

    Args:
        joints: ``(T, J, 3)`` numeric positions (may be memory-mapped; read in blocks).
        source: the file, for the message.

    Raises:
        MotionFileError: naming ``source``, the frame range(s) (0-based) and the count.
    """
    total = int(joints.shape[0])
    block = 4096
    zero = np.concatenate([
        ~np.asarray(joints[i:i + block]).reshape(min(block, total - i), -1).any(axis=1)
        for i in range(0, total, block)]) if total else np.zeros(0, bool)
    if not zero.any():
        return
    if zero.all():
        raise MotionFileError(f"{source}: all {total} frames are all zeros (every joint at "
                              "0): no motion data")
    runs = frame_ranges(np.nonzero(zero)[0])
    named = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs[:MAX_RANGES_NAMED])
    if len(runs) > MAX_RANGES_NAMED:
        named += f" and {len(runs) - MAX_RANGES_NAMED} more run(s)"
    count = int(zero.sum())
    what = f"frame {named} of {total} is" if count == 1 else f"frames {named} of {total} are"
    raise MotionFileError(f"{source}: {what} all zeros (every joint at 0; padding?): cut "
                          f"{'it' if count == 1 else 'them'} off first")


def read_npy(path: Path, mmap: bool = False) -> np.ndarray:
    """The raw array of a ``.npy`` file, never unpickling (THE ``.npy`` reader of motions).

    Raises:
        MotionFileError: the file is not a NumPy ``.npy`` array (a text or pickle file with
            that suffix, an object array), is truncated (its data shorter than its header
            says), or is a FIFO, device or socket (never opened); the message names the file.
    """
    kind = special_file_kind(path)
    if kind is not None:  # open() of a FIFO blocks; /dev/zero never ends
        raise MotionFileError(not_regular_file_message(path, kind))
    try:
        with open(path, "rb") as f:
            magic = f.read(6)
    except OSError as e:
        raise MotionFileError(f"{path}: cannot read the file ({e})") from e
    if magic != b"\x93NUMPY":
        raise MotionFileError(f"{path}: not a NumPy .npy array file (no .npy header; a text, "
                              "pickle or other file with a .npy name?)")
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (ValueError, SyntaxError, tokenize.TokenError) as e:  # object arrays or a bad header
        short = _npy_data_shortfall(path)
        if short is not None:  # a good header, cut data: NumPy says "cannot reshape" / "mmap"
            shape, dtype, have, want = short
            raise MotionFileError(
                f"{path}: truncated .npy file: its header says {shape} {dtype} ({want:,} bytes "
                f"of data), the file holds {have:,} bytes of data") from e
        raise MotionFileError(f"{path}: not a plain numeric .npy array (object arrays and "
                              "corrupt headers are refused)") from e
    except (EOFError, OSError) as e:
        raise MotionFileError(f"{path}: truncated or unreadable .npy file ({e})") from e


def _npy_data_shortfall(path: Path) -> tuple[tuple, np.dtype, int, int] | None:
    """``(shape, dtype, bytes of data, bytes the header asks for)`` of a ``.npy`` file whose
    header is readable and whose data is shorter than the header says; else None."""
    from numpy.lib import format as npy_format

    try:
        with open(path, "rb") as f:
            version = npy_format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = npy_format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, _, dtype = npy_format.read_array_header_2_0(f)
            else:
                return None
            have = os.fstat(f.fileno()).st_size - f.tell()
    except (OSError, ValueError, SyntaxError, tokenize.TokenError):
        return None
    if dtype.hasobject:
        return None
    want = math.prod(shape) * dtype.itemsize
    return (tuple(shape), dtype, have, want) if have < want else None


def not_a_motion_file(path: Path) -> str:
    """The message for a motion path that is not a file: missing, a broken link, a folder, or
    a FIFO, device or socket (:func:`require_motion_file`)."""
    kind = special_file_kind(path)
    if kind is not None:
        return not_regular_file_message(path, kind)
    if path.is_symlink() and not path.exists():
        return f"motion file not found: {path} is a broken link (to {os.readlink(path)})"
    if path.is_dir():
        data = path.parent if path.name == "new_joints" else path  # the dataset folder
        return (f"{path} is a folder, not a motion file (.npy or .bvh); a folder of motions "
                f"is a gallery: 'motionlex index --data {data} --out GALLERY.mlx'")
    return f"motion file not found: {path}"


FPS_RANGE = (1.0, 1000.0)
"""Frame rates a motion file may have (beyond: a wrong header), and the highest rate
:func:`resample` makes (a million frames per second would be gigabytes of joints)."""


def check_fps_type(fps: object, what: str = "fps") -> None:
    """Refuse a frame rate that is not a real number (``True``, ``"20"``, ``None``).

    Raises:
        TypeError: naming ``what``, the expected type and the value given.
    """
    if isinstance(fps, bool | np.bool_) or not isinstance(
            fps, int | float | np.integer | np.floating):
        raise TypeError(f"{what} must be a number (frames per second), got "
                        f"{type(fps).__name__} {fps!r:.40}")


def check_finite_joints(joints: np.ndarray, skeleton: Skeleton, src: str) -> None:
    """Refuse NaN or inf joints (a NaN spreads to a whole clip in :func:`to_canonical`'s
    floor and to every dense dimension of an embedding).

    Args:
        joints: ``(T, J, 3)`` numeric array (NumPy, memory-mapped or CPU torch).
        skeleton: their skeleton (the bad joint is named).
        src: prefix of the message (file, name, or ``motions[i]``).

    Raises:
        TypeError: a non-numeric array (dtype object, str ...).
        ValueError: NaN or inf, naming how many frames hold one and the first frame and joint.
    """
    arr = np.asarray(joints)
    if arr.dtype.kind in "iub":  # integers and booleans hold no NaN
        return
    if arr.dtype.kind not in "fc":
        raise TypeError(f"{src}: joints must be numeric (float metres), got dtype {arr.dtype}")
    finite = np.isfinite(arr).all(axis=2)
    if not finite.all():
        frame, joint = (int(k) for k in np.argwhere(~finite)[0])
        frames = int((~finite.all(axis=1)).sum())
        raise ValueError(f"{src}: NaN or inf joints in {frames} frame(s), first at frame "
                         f"{frame}, joint {joint} ({skeleton.joint_names[joint]}); every "
                         f"coordinate must be a finite number of metres")


def transposed_hint(shape: tuple[int, ...]) -> str:
    """For a 3-d array whose last axis is not 3: how its axes look transposed, or "".

    ``(22, 3, T)`` and ``(T, 3, 22)`` (joints and coordinates swapped, or frames last) are
    named with the ``np.transpose`` axes that make them ``(T, J, 3)``, when one other axis
    has 3 entries and one of the rest is a built-in skeleton's joint count.
    """
    xyz = [k for k in (0, 1) if shape[k] == 3]
    if len(xyz) != 1:
        return ""
    rest = [k for k in range(3) if k != xyz[0]]
    known = [k for k in rest if _is_joint_count(shape[k])]
    if len(known) != 1:
        return (f"; the coordinates (3) are on axis {xyz[0]}: the axes look transposed "
                "(reorder them to frames, joints, xyz)")
    joints = known[0]
    frames = next(k for k in rest if k != joints)
    order = (frames, joints, xyz[0])
    return (f"; the axes look transposed ({shape[joints]} joints on axis {joints}, xyz on axis "
            f"{xyz[0]}): reorder them, e.g. np.transpose(a, {order})")


def _is_joint_count(n: int) -> bool:
    try:
        skeleton_for_joint_count(n)
    except ValueError:
        return False
    return True


def is_y_up(joints: np.ndarray, skeleton: Skeleton) -> bool:
    """Whether the median pelvis->head vector of a clip points along +Y (the body is
    upright in motionlex's up axis over most of the clip).

    Args:
        joints: ``(T, J, 3)`` positions (any unit).
        skeleton: their skeleton (the torso chain runs pelvis -> head).
    """
    return _points_up(_median_spine(joints, skeleton))


def _median_spine(joints: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """``(3,)`` float64 median over frames of the pelvis -> head vector (torso chain)."""
    torso = skeleton.chains[0]
    return np.median(np.asarray(joints[:, torso[-1]] - joints[:, torso[0]], np.float64), axis=0)


UPRIGHT_MAX_TILT_DEG = 60.0
"""A clip is upright when its median pelvis->head vector is within this angle of +Y: a
Z-up export (90 degrees) or a figure lying most of the time is not; a walk bent over in
sadness (45 degrees, Bandai's ``bn1_walk-left_sad_001``) is. The angle does not change when
the body turns about Y (the old test, +Y the largest component, did: a 45-degree lean read
upright as read and not once the clip faced +Z)."""


def _points_up(spine: np.ndarray) -> bool:
    norm = float(np.linalg.norm(spine))
    return bool(norm > 0 and spine[1] >= np.cos(np.radians(UPRIGHT_MAX_TILT_DEG)) * norm)


def warn_unless_y_up(joints: np.ndarray, skeleton: Skeleton, source: str) -> bool:
    """Log a warning when a file's body is not upright along +Y over most of the clip
    (motionlex's up axis, as HumanML3D's and BVH's): a Z-up export gives wrong patches and
    results. A Y-up clip of a figure lying most of the time warns too, so this is a warning
    for single files (``load_motion_file``, ``load_bvh``), not a refusal.

    Args:
        joints: ``(T, J, 3)`` positions as read (any unit).
        skeleton: their skeleton (the torso chain runs pelvis -> head).
        source: the file, for the message.

    Returns:
        True when the median pelvis->head vector points along +Y.
    """
    spine = _median_spine(joints, skeleton)
    upright = _points_up(spine)
    if not upright:
        logger.warning("%s: pelvis->head is %s, not along +Y; motionlex expects Y up "
                       "(a Z-up export must be rotated first)", source,
                       np.round(spine, 2).tolist())
    return upright


SIDES_SWAPPED_BELOW = 0.2
"""A BVH file whose :func:`~.skeleton.side_check` (toes' direction against the facing its
hips give) is under this reads as named from the viewer's side; 10 real BVH files give
0.925-1.0, the same files with ``_L``/``_R`` exchanged 0-0.075. Over 3,120 real clips the
vote fell under it in 4 Bandai dashes and runs (toes pointing down mid-stride), each
travelling forward, so a clip that travels forward (:data:`FORWARD_TRAVEL`) is not named."""

FORWARD_TRAVEL = (1.0, 0.7)
"""``(metres, vote)``: a clip whose hips travel this far, this much of it along the facing
its hip names give (the vote of :func:`_travel_vote`), moves forward as named: its sides
stand, whatever its toes say."""


def _travel_vote(joints: np.ndarray, skeleton: Skeleton) -> tuple[float, float]:
    """``(metres travelled, vote)`` of a clip's hips midpoint on the ground plane; the vote,
    in [0, 1], is the share of the path along the facing the named hips give (1 forward, 0
    backward, 0.5 undecided), as :func:`~.skeleton.side_check` weighs its votes."""
    c = skeleton.chains
    left, right = joints[:, c[3][1]].astype(np.float64), joints[:, c[4][1]].astype(np.float64)
    across = left - right
    across[:, 1] = 0.0
    facing = np.cross(across, np.array([0.0, 1.0, 0.0]))
    facing /= np.linalg.norm(facing, axis=1, keepdims=True) + 1e-12
    step = np.diff((left + right) / 2.0, axis=0)
    step[:, 1] = 0.0
    votes = np.einsum("tc,tc->t", step, facing[1:])
    total = float(np.abs(votes).sum())
    return (float(np.linalg.norm(step, axis=1).sum()),
            0.5 if total < 1e-12 else 0.5 * (1.0 + float(votes.sum()) / total))


def warn_if_sides_swapped(joints: np.ndarray, skeleton: Skeleton, source: str) -> bool:
    """Log a warning when a file's left and right joint names look swapped: its toes point
    backwards of the facing its hips give (:func:`~.skeleton.side_check` under
    :data:`SIDES_SWAPPED_BELOW`) and it does not travel forward (:data:`FORWARD_TRAVEL`). A
    BVH named from the viewer's side loads mirrored: "waves the right hand" reads as the
    left. For single BVH files (each names its own joints), a warning, not a refusal.

    Args:
        joints: ``(T, J, 3)`` positions, metres, Y up.
        skeleton: their skeleton (its chains label left and right).
        source: the file, for the message.

    Returns:
        True when the sides look swapped (warned).
    """
    vote = side_check(joints, skeleton)
    if vote >= SIDES_SWAPPED_BELOW:
        return False
    metres, forward = _travel_vote(joints, skeleton)
    if metres >= FORWARD_TRAVEL[0] and forward >= FORWARD_TRAVEL[1]:
        return False
    logger.warning("%s: its left and right joint names look swapped (the toes point backwards "
                   "of the facing its hips give: side check %.2f, 1 = as named); it loads "
                   "mirrored, so 'left' and 'right' in its results are exchanged: rename its "
                   "left and right joints if it was named from the viewer's side", source, vote)
    return True
