"""Parsing the text of a BVH (Biovision Hierarchy) file: the joint tree (``HIERARCHY``:
each joint's ``OFFSET`` and ``CHANNELS``) and one line of channel values per frame
(``MOTION``), checked line by line, without interpreting units or body parts (that is
:mod:`.bvh`'s work).

Format: Meredith & Maddock, "Motion Capture File Formats Explained", 2001, Sec. 2.2.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from motionlex.core.motion.file_checks import MotionFileError, require_motion_file

CHANNEL_NAMES: tuple[str, ...] = ("Xposition", "Yposition", "Zposition",
                                   "Xrotation", "Yrotation", "Zrotation")
"""The six BVH channel names (matched case-insensitively)."""

MAX_BVH_JOINTS = 1000
"""Joints a BVH tree may have (the largest rigs here have about 250)."""

MAX_ABS_LENGTH = 1e7
"""Largest ``|OFFSET|`` or position-channel value a BVH may hold, file units: 10 km in
millimetres (the real files here reach 470, in centimetres). Beyond it a value is damage
(``OFFSET 1e38`` was read as a body 1e38 m tall, with only a warning)."""
MAX_ABS_ROTATION_DEG = 1e6
"""Largest ``|rotation|`` a BVH channel may hold, degrees: 2,777 turns (the real files here
reach 402; an unwrapped spinning root gains 360 a turn). Beyond it a value is damage
(``1e39`` degrees in every frame gave a garbage pose, read as another action)."""

_FRAMES = re.compile(r"frames\s*:\s*(.*)$", re.IGNORECASE)
_FRAME_TIME = re.compile(r"frame\s*time\s*:\s*(.*)$", re.IGNORECASE)
"""The two header lines after MOTION; ``Frames:358`` (no space) is read too."""


@dataclass(frozen=True, eq=False)
class BvhFile:
    """The raw content of a BVH file, in the file's own units.

    Attributes:
        path: the file, for error messages.
        joint_names: ``J`` joint names in file order (End Sites excluded).
        parents: ``J`` parent indices, ``-1`` for the root; parents precede children.
        offsets: ``(J, 3)`` float64 ``OFFSET`` of each joint from its parent, file units.
        channels: per joint, its channel names (spelled as in :data:`CHANNEL_NAMES`).
        end_sites: ``(joint index, (x, y, z) offset)`` of every End Site, file units.
        frame_time: seconds per frame, as written in the header.
        motion: ``(T, C)`` float64 channel values, ``C = sum(len(c) for c in channels)``.
    """

    path: str
    joint_names: tuple[str, ...]
    parents: tuple[int, ...]
    offsets: np.ndarray
    channels: tuple[tuple[str, ...], ...]
    end_sites: tuple[tuple[int, tuple[float, float, float]], ...]
    frame_time: float
    motion: np.ndarray

    @property
    def num_frames(self) -> int:
        """Number of frames ``T``."""
        return int(self.motion.shape[0])


def _numbers(tokens: Sequence[str], n: int, where: str) -> list[float]:
    if len(tokens) != n:
        raise MotionFileError(f"{where}: expected {n} number(s), got {len(tokens)}")
    out = []
    for k, t in enumerate(tokens):
        try:
            out.append(float(t))
        except ValueError:
            raise MotionFileError(
                f"{where}: non-numeric value {t!r} (value {k + 1} of {n})") from None
    return out


def _parse_hierarchy(lines: list[str], first: int, src: str) -> tuple[dict, int]:
    """Joint tree from the lines after ``lines[first]`` (HIERARCHY); and the MOTION line."""
    lookup = {c.lower(): c for c in CHANNEL_NAMES}
    tree: dict = {"names": [], "parents": [], "offsets": [], "channels": [], "end_sites": []}
    stack: list[int] = []  # open blocks: joint index, or -1 for an End Site
    pending: int | None = None  # block announced by ROOT/JOINT/End, waiting for "{"
    end_parent, end_offset = -1, None
    for ln in range(first + 1, len(lines)):
        tok = lines[ln].split()
        where = f"{src}, line {ln + 1}"
        if not tok:
            continue
        opens = tok[-1] == "{"
        tok = tok[:-1] if opens and len(tok) > 1 else tok
        key = tok[0].upper()
        if key == "MOTION":
            if stack:
                break
            if missing := [n for n, o in zip(tree["names"], tree["offsets"]) if o is None]:
                raise MotionFileError(f"{where}: joint(s) {missing} have no OFFSET block")
            return tree, ln
        if key in ("ROOT", "JOINT"):
            if (key == "ROOT") != (not stack) or (stack and stack[-1] < 0) or (
                    key == "ROOT" and tree["names"]):
                raise MotionFileError(f"{where}: unexpected {tok[0]} (one ROOT, JOINTs inside)")
            tree["names"].append(" ".join(tok[1:]) or f"joint{len(tree['names'])}")
            tree["parents"].append(stack[-1] if stack else -1)
            tree["offsets"].append(None)
            tree["channels"].append(())
            pending = len(tree["names"]) - 1
        elif key == "END":
            if not stack or stack[-1] < 0:
                raise MotionFileError(f"{where}: End Site outside a joint")
            pending, end_parent, end_offset = -1, stack[-1], None
        elif key == "}":
            if not stack:
                raise MotionFileError(f"{where}: unmatched '}}'")
            top = stack.pop()
            if (tree["offsets"][top] if top >= 0 else end_offset) is None:
                what = repr(tree["names"][top]) if top >= 0 else "End Site"
                raise MotionFileError(f"{where}: {what} has no OFFSET")
            if top < 0:
                tree["end_sites"].append((end_parent, tuple(end_offset)))
        elif key == "OFFSET" and stack:
            values = _numbers(tok[1:], 3, where)
            if not all(abs(v) <= MAX_ABS_LENGTH for v in values):  # NaN fails too
                what = (repr(tree["names"][stack[-1]]) if stack[-1] >= 0
                        else f"the End Site of {tree['names'][end_parent]!r}")
                why = (f"beyond any plausible BVH (|value| over {MAX_ABS_LENGTH:g} file units)"
                       if all(np.isfinite(values)) else "not a finite number")
                raise MotionFileError(
                    f"{where}: OFFSET {' '.join(tok[1:4])} of {what} is {why}: a damaged file?")
            if stack[-1] >= 0:
                tree["offsets"][stack[-1]] = values
            else:
                end_offset = values
        elif key == "CHANNELS" and stack and stack[-1] >= 0:
            count = _numbers(tok[1:2], 1, where)[0]
            unknown = [c for c in tok[2:] if c.lower() not in lookup]
            if unknown:
                raise MotionFileError(f"{where}: unknown channel name(s) {unknown}; "
                                      f"expected some of {list(CHANNEL_NAMES)}")
            if count != len(tok) - 2:
                raise MotionFileError(
                    f"{where}: CHANNELS declares {count:g} channels but lists {len(tok) - 2}")
            chans = tuple(lookup[c.lower()] for c in tok[2:])
            for kind in ("position", "rotation"):
                axes = [c[0] for c in chans if c.endswith(kind)]
                if len(axes) > 3:
                    raise MotionFileError(f"{where}: more than 3 {kind} channels {chans}")
                # ZXZ-style (proper Euler) rotation orders are valid; ZZX is not
                repeated = (len(set(axes)) != len(axes) if kind == "position"
                            else any(a == b for a, b in zip(axes, axes[1:])))
                if repeated:
                    raise MotionFileError(f"{where}: {kind} channels repeat an axis "
                                          f"({' '.join(tok[2:])})")
            tree["channels"][stack[-1]] = chans
        elif key != "{":
            raise MotionFileError(f"{where}: unexpected {tok[0]!r} in the hierarchy")
        if key == "{" or opens:
            if pending is None:
                raise MotionFileError(f"{where}: '{{' without a ROOT, JOINT or End Site")
            stack.append(pending)
            pending = None
    if not tree["names"]:
        raise MotionFileError(f"{src}: the hierarchy has no ROOT joint")
    if stack:
        open_names = [tree["names"][k] if k >= 0 else "End Site" for k in stack]
        raise MotionFileError(
            f"{src}: truncated hierarchy: {len(stack)} block(s) never closed {open_names}")
    raise MotionFileError(f"{src}: MOTION section missing after the hierarchy")


def _check_magnitudes(motion: np.ndarray, names: list[str], channels: list[tuple[str, ...]],
                      line_of: list[int], src: str) -> None:
    """Refuse channel values beyond :data:`MAX_ABS_LENGTH` (positions) or
    :data:`MAX_ABS_ROTATION_DEG` (rotations), naming the first one's line, frame, joint and
    channel."""
    columns = [(names[j], ch) for j, chans in enumerate(channels) for ch in chans]
    if not columns:
        return
    limit = np.array([MAX_ABS_LENGTH if ch.endswith("position") else MAX_ABS_ROTATION_DEG
                      for _, ch in columns])
    over = np.abs(motion) > limit
    if not over.any():
        return
    frame = int(np.argmax(over.any(axis=1)))
    col = int(np.argmax(over[frame]))
    joint, channel = columns[col]
    unit = "file units" if channel.endswith("position") else "degrees"
    raise MotionFileError(
        f"{src}, line {line_of[frame] + 1}: {channel} of {joint!r} is {motion[frame, col]:g} "
        f"(frame {frame}; {int(over.any(axis=1).sum())} frame(s) have such values), beyond any "
        f"plausible BVH (|value| over {limit[col]:g} {unit}): a damaged file?")


def read_bvh(path: str | Path) -> BvhFile:
    """Parse a BVH file without interpreting its units or body parts.

    Args:
        path: the ``.bvh`` file (text; joint names may contain spaces).

    Returns:
        A :class:`BvhFile` in the file's own units.

    Raises:
        FileNotFoundError: the file does not exist, or is a folder.
        MotionFileError: (naming the file and line) not starting with ``HIERARCHY``; a
            truncated or malformed hierarchy (no ROOT, a joint without OFFSET, unknown
            channels, stray tokens), over :data:`MAX_BVH_JOINTS` joints; no ``MOTION``;
            ``Frames:``/``Frame Time:`` missing or invalid; data lines not ``Frames:``, or
            values not the channel count, or not numbers; NaN or inf values (the first bad
            line named); an OFFSET or channel value beyond any plausible BVH
            (:data:`MAX_ABS_LENGTH`, :data:`MAX_ABS_ROTATION_DEG`; the line, joint and
            channel named); a FIFO, device or socket (never opened); a channel list with
            an axis twice in a row (``Zrotation Zrotation``) or a position axis twice.
    """
    path = Path(path)
    require_motion_file(path)  # a FIFO or device is never opened
    src = str(path)
    lines = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None or lines[first].split()[0].upper() != "HIERARCHY":
        raise MotionFileError(f"{src}: not a BVH file (it does not start with HIERARCHY)")
    tree, motion_ln = _parse_hierarchy(lines, first, src)
    if len(tree["names"]) > MAX_BVH_JOINTS:
        raise MotionFileError(f"{src}: {len(tree['names'])} joints in the hierarchy; motionlex "
                              f"reads trees of at most {MAX_BVH_JOINTS} joints")
    rows = [(i, lines[i].split()) for i in range(motion_ln + 1, len(lines)) if lines[i].strip()]
    if len(rows) < 2:
        raise MotionFileError(
            f"{src}: MOTION must be followed by 'Frames: N' and 'Frame Time: dt' lines")
    header = []
    for (i, _), pattern, want in ((rows[0], _FRAMES, "Frames: N"),
                                  (rows[1], _FRAME_TIME, "Frame Time: dt")):
        found = pattern.match(lines[i].strip())
        if found is None:
            raise MotionFileError(f"{src}, line {i + 1}: expected '{want}' after MOTION, got "
                                  f"{' '.join(lines[i].split())[:60]!r}")
        header.append(_numbers(found.group(1).split(), 1, f"{src}, line {i + 1}")[0])
    n_frames, frame_time = header
    if not (np.isfinite(n_frames) and n_frames >= 1 and n_frames == int(n_frames)):
        raise MotionFileError(f"{src}, line {rows[0][0] + 1}: Frames: {n_frames:g} is not a "
                              f"whole number of frames >= 1")
    if not (np.isfinite(frame_time) and frame_time > 0):
        raise MotionFileError(f"{src}, line {rows[1][0] + 1}: Frame Time: {frame_time:g} is "
                              f"not a positive number of seconds (e.g. 0.0333333 for 30 fps)")
    data, n_chan = rows[2:], sum(len(c) for c in tree["channels"])
    if len(data) != int(n_frames):
        # a note or a second take after the frames: name the first line that is no frame
        odd = next(((i, tok) for i, tok in data if len(tok) != n_chan), None)
        where = "" if odd is None else (f"; line {odd[0] + 1} is not a frame of {n_chan} "
                                        f"values: {' '.join(odd[1])[:60]!r}")
        raise MotionFileError(f"{src}: header says Frames: {int(n_frames)} but the file has "
                              f"{len(data)} data lines{where}")
    for i, tok in data:
        if len(tok) != n_chan:
            raise MotionFileError(f"{src}, line {i + 1}: expected {n_chan} values (one per "
                                  f"channel of the hierarchy), got {len(tok)}")
    try:
        motion = np.array([t for _, tok in data for t in tok], dtype=np.float64)
    except ValueError:
        for i, tok in data:
            _numbers(tok, n_chan, f"{src}, line {i + 1}")
        raise
    motion = motion.reshape(int(n_frames), n_chan)
    bad = ~np.isfinite(motion).all(axis=1)
    if bad.any():
        first = int(np.argmax(bad))
        raise MotionFileError(f"{src}, line {data[first][0] + 1}: NaN or inf in the frame data "
                              f"({int(bad.sum())} frame(s), first frame {first})")
    _check_magnitudes(motion, tree["names"], tree["channels"], [i for i, _ in data], src)
    return BvhFile(
        path=src,
        joint_names=tuple(tree["names"]),
        parents=tuple(tree["parents"]),
        offsets=np.asarray(tree["offsets"], dtype=np.float64).reshape(-1, 3),
        channels=tuple(tree["channels"]),
        end_sites=tuple(tree["end_sites"]),
        frame_time=float(frame_time),
        motion=motion,
    )
