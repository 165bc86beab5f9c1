"""The text files of a HumanML3D / KIT-ML dataset folder: captions, splits, metadata.

``texts/{id}.txt`` (one ``caption#tokens#start#end`` line per caption, seconds; ``0.0#0.0``
the whole clip), ``{split}.txt`` (ids, one per line), ``meta.json`` (id -> metadata), and
text-only caption corpora (a TMR-style ``annotations.json`` or a ``texts/`` folder). Read by
:class:`~motionlex.core.data.datasets.MotionDataset` and by text-side training; no motion
files here.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from motionlex.core.text.spelling import WORD_PATTERN

logger = logging.getLogger(__name__)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def text_lines(text: str) -> list[str]:
    """The lines of a caption, split or caption bank file: split at ``\n``, ``\r\n`` and
    ``\r`` only. ``str.splitlines`` also splits at U+2028, U+2029, ``\x85``, form feed,
    vertical tab and ``\x1c``-``\x1e``, so one caption holding one of them was read as two."""
    return _LINE_BREAK.split(text)


class DatasetError(ValueError):
    """A dataset folder that cannot be used; the message names the path and the problem."""


def read_meta(path: Path) -> dict[str, dict]:
    """A dataset's ``meta.json``: an object of id -> object of metadata.

    Raises:
        DatasetError: invalid JSON or another shape (names the file and the problem).
    """
    try:
        meta = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as e:
        raise DatasetError(f"{path}: not valid JSON ({e})") from e
    if not isinstance(meta, dict):
        raise DatasetError(f"{path}: must be a JSON object of id -> metadata object, "
                           f"got {type(meta).__name__}")
    bad = [k for k, v in meta.items() if not isinstance(v, dict)]
    if bad:
        raise DatasetError(f"{path}: metadata of {len(bad)} ids is not a JSON object "
                           f"(first: {bad[0]!r})")
    return meta


class MissingIdsError(DatasetError):
    """A split file names ids without motion files (all of them listed in ``missing``).

    The message is the same for the command line and for Python; the Python way to skip
    them (``MotionDataset(..., skip_missing=True)``) is a note on the exception (PEP 678,
    shown with a Python traceback, not in ``str(e)``, which the CLI prints).
    """

    def __init__(self, split_file: Path, missing: Sequence[str]):
        self.split_file = split_file
        self.missing = list(missing)
        shown = ", ".join(self.missing[:20]) + (" ..." if len(self.missing) > 20 else "")
        # "new_joints/x.npy" for "x": a file path where an id (a file stem) is meant
        stems = [m for m in self.missing if Path(m).stem and (
            "/" in m or "\\" in m or m.lower().endswith((".npy", ".bvh", ".txt")))]
        if stems and len(stems) == len(self.missing):
            hint = (f"a split file lists ids, the motion files' names without folder or "
                    f"extension: write {Path(stems[0]).stem}, not {stems[0]}")
        else:
            folder, split = ((split_file.parent, split_file.stem) if split_file.suffix == ".txt"
                             else (split_file, "all"))
            scan = f"motionlex scan {folder}" + ("" if split == "all" else f" --split {split}")
            hint = (f"remove them from the split file ('{scan}' lists them with every other "
                    "file it skips)")
        super().__init__(
            f"{split_file}: {len(self.missing)} id(s) have no motion file: {shown}; {hint}")
        if hasattr(self, "add_note"):  # Python 3.11+: for Python users, not the CLI's line
            self.add_note("from Python, MotionDataset(..., skip_missing=True) skips them")


@dataclass(frozen=True)
class Caption:
    """One caption line of a HumanML3D ``texts/{id}.txt`` file.

    Attributes:
        text: the caption.
        tokens: the ``word/POS`` token string ("" when absent).
        start: span start in seconds (0.0 with ``end == 0.0``: the whole clip).
        end: span end in seconds.
    """

    text: str
    tokens: str = ""
    start: float = 0.0
    end: float = 0.0

    @property
    def whole_clip(self) -> bool:
        """True when the caption describes the whole motion."""
        return self.start == 0.0 and self.end == 0.0


class WordlessCaptionError(DatasetError):
    """A caption line that is empty or holds no word (``"...!!!"``): left out of its file,
    the file's other captions kept (:func:`read_captions`)."""


def parse_caption_line(line: str, source: str = "<text>", lineno: int = 0) -> Caption:
    """Parse one ``caption#tokens#start#end`` line.

    Lines with only a caption (no ``#``) are accepted as whole-clip captions. NaN spans
    (as written by HumanML3D for some lines) mean the whole clip.

    Raises:
        WordlessCaptionError: an empty caption or one without a word (punctuation or digits
            alone: a query of it is refused too,
            :func:`~motionlex.core.text.spelling.require_words`).
        DatasetError: wrong field count, non-numeric, infinite or negative span, or
            ``end < start``. Each names ``source`` and ``lineno``.
    """
    where = f"{source}:{lineno}" if lineno else source
    parts = line.rstrip("\n").split("#")
    if len(parts) == 1:
        parts = [parts[0], "", "0.0", "0.0"]
    if len(parts) != 4:
        raise DatasetError(
            f"{where}: expected 'caption#tokens#start#end' (4 fields), got {len(parts)} fields"
        )
    text = parts[0].strip()
    if not text:
        raise WordlessCaptionError(f"{where}: empty caption")
    if not WORD_PATTERN.search(text):  # "...!!!": no word to learn or to search by
        raise WordlessCaptionError(f"{where}: caption {text[:40]!r} has no words (a caption "
                                   "describes the motion in English, e.g. 'a person walks "
                                   "forward')")
    try:
        start, end = float(parts[2] or 0.0), float(parts[3] or 0.0)
    except ValueError as e:
        raise DatasetError(f"{where}: start/end are not numbers: {parts[2]!r}, {parts[3]!r}") from e
    # a NaN bound is open, as HumanML3D's loader reads it (NaN -> 0.0): from the clip's start,
    # or to its end ("2.0#nan" is 2 s to the end, not the whole clip)
    start, end = (0.0 if math.isnan(t) else t for t in (start, end))
    if math.isinf(start) or math.isinf(end):
        raise DatasetError(f"{where}: span start={start} end={end} is not finite (seconds; "
                           "0.0#0.0 means the whole clip)")
    if start < 0 or end < 0 or (end > 0 and end <= start):
        raise DatasetError(f"{where}: invalid span start={start} end={end} (seconds)")
    return Caption(text, parts[1].strip(), start, end)


def not_a_caption_file(path: Path) -> str | None:
    """Why ``path``, where a caption file belongs, is none: a folder, a broken link or
    another kind of entry (a FIFO, a device); ``None`` for a file or nothing there."""
    if path.is_symlink() and not path.exists():
        return f"{path} is a broken link (to {os.readlink(path)}), not a caption file"
    if path.is_dir():
        return (f"{path} is a folder, not a caption file (one 'caption#tokens#start#end' "
                "line per caption)")
    if path.exists() and not path.is_file():
        return f"{path} is not a regular file, so no caption file"
    return None


def read_captions(path: str | Path, dropped: list[str] | None = None) -> list[Caption]:
    """Read all caption lines of a ``texts/{id}.txt`` file (blank lines ignored).

    Args:
        path: the caption file.
        dropped: collects why a line was left out: an empty caption or one without a word
            (:class:`WordlessCaptionError`; the file's other captions are kept). Without it
            such lines are logged at info level.

    Raises:
        FileNotFoundError: no such file.
        DatasetError: a folder or another non-file there (:func:`not_a_caption_file`), a
            malformed line (first one found, with its line number) or not UTF-8.
    """
    path = Path(path)
    if not path.is_file():
        problem = not_a_caption_file(path)
        if problem:
            raise DatasetError(problem)
        raise FileNotFoundError(f"caption file not found: {path}")
    try:
        lines = text_lines(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as e:
        raise DatasetError(f"{path}: not UTF-8 text ({e})") from e
    out = []
    for i, ln in enumerate(lines):
        if not ln.strip():
            continue
        try:
            out.append(parse_caption_line(ln, str(path), i + 1))
        except WordlessCaptionError as e:
            if dropped is None:
                logger.info("caption left out: %s", e)
            else:
                dropped.append(str(e))
    return out


def read_split(path: str | Path) -> list[str]:
    """Ids of a split file, one per line, blank lines and duplicates dropped (order kept).

    Raises:
        FileNotFoundError: no such split file.
        DatasetError: not UTF-8 text (a leading byte-order mark is dropped).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"split file not found: {path}")
    seen: dict[str, None] = {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise DatasetError(f"{path}: not UTF-8 text ({e})") from e
    for ln in text_lines(text):
        if ln.strip():
            seen.setdefault(ln.strip(), None)
    return list(seen)


def warn_shared_split_ids(root: str | os.PathLike, a: str = "train",
                          b: str = "val") -> list[str]:
    """Ids that a folder's ``{a}.txt`` and ``{b}.txt`` both list (in ``{b}.txt``'s order),
    with a warning naming the folder and their count; ``[]`` (and no warning) when none is
    shared or either file is missing or unreadable. A model chosen on a val split that
    shares ids with its train split is chosen on motions it trained on (``train.txt`` equal
    to ``val.txt`` passed silently)."""
    try:
        first = set(read_split(Path(root) / f"{a}.txt"))
        later = read_split(Path(root) / f"{b}.txt")
    except (FileNotFoundError, DatasetError):
        return []
    shared = [i for i in later if i in first]
    if shared:
        logger.warning("%s: %s.txt and %s.txt share %d of its %d %s ids (e.g. %s): the model "
                       "is chosen on motions it trains on, so validation figures are "
                       "optimistic; give %s.txt ids of its own", root, a, b, len(shared),
                       len(later), b, ", ".join(shared[:3]), b)
    return shared


def read_caption_corpus(path: str | Path, split: str | None = None) -> list[str]:
    """All caption strings of a text-only corpus (for text-side training such as LexMLM).

    Accepts a TMR-style ``annotations.json`` (id -> {annotations: [{text, ...}]}) or its
    folder (optionally filtered by ``{split}.txt``), or a HumanML3D-layout folder
    (``texts/*.txt``, filtered the same way). With ``split``, only that split's captions:
    an empty ``{split}.txt`` gives none.

    Raises:
        FileNotFoundError: nothing readable at ``path``, or ``{split}.txt`` missing.
        DatasetError: malformed annotations JSON.
    """
    path = Path(path)
    ann = path if path.suffix == ".json" else path / "annotations.json"
    if ann.is_file():
        try:
            data = json.loads(ann.read_text(encoding="utf-8-sig"))
            keep = set(read_split(ann.parent / f"{split}.txt")) if split else None
            return [
                a["text"].strip()
                for k, v in data.items()
                if keep is None or k in keep
                for a in v["annotations"]
                if WORD_PATTERN.search(a.get("text", ""))  # as empty, a text without words
            ]
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as e:
            raise DatasetError(f"{ann}: not TMR-style annotations ({e})") from e
    texts = path / "texts"
    if texts.is_dir():
        ids = read_split(path / f"{split}.txt") if split else None
        # an empty split file keeps nothing (as annotations.json does): falling back to
        # every file would put val and test captions into a training corpus
        files = [texts / f"{i}.txt" for i in ids] if ids is not None else sorted(
            texts.glob("*.txt"))
        return [c.text for f in files if f.is_file() for c in read_captions(f)]
    raise FileNotFoundError(f"no captions found at {path} (annotations.json or texts/)")
