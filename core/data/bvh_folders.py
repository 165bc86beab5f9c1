"""The BVH files of a folder and its subfolders, and the motion id of each.

CMU's BVH releases keep one folder per subject, so a folder of BVH files is read with its
subfolders: a motion's id is its path below the folder without the suffix (``"01/01_01"``;
a file directly in the folder keeps its stem). Hidden files and folders (a name starting
with ".") are left out and links to folders are not followed. ``.bvh`` is matched in any
letter case; of two files of one id (``kick.bvh``, ``kick.BVH``) the ``.bvh`` one is read.
"""

from __future__ import annotations

import os
import string
from collections.abc import Iterator
from pathlib import Path

from motionlex.core.text.spelling import WORD_PATTERN


def _walk(root: Path, prune: tuple[str, ...] = ()) -> Iterator[Path]:
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [d for d in subfolders if not d.startswith(".")
                         and not (Path(folder) == root and d in prune)]
        for n in names:
            if n.lower().endswith(".bvh") and not n.startswith("."):
                yield Path(folder) / n


def bvh_id(root: str | Path, path: str | Path) -> str:
    """The motion id of a BVH file below ``root`` (module doc)."""
    return Path(path).relative_to(root).with_suffix("").as_posix()


def bvh_files(root: str | Path, prune: tuple[str, ...] = ()) -> list[Path]:
    """Every BVH file of ``root`` and its subfolders (module doc), sorted by id, then name;
    subfolders of ``root`` named in ``prune`` are not walked."""
    root = Path(root)
    return sorted((p for p in _walk(root, prune) if p.is_file()),
                  key=lambda p: (bvh_id(root, p), p.name))


def has_bvh(root: str | Path) -> bool:
    """Whether :func:`bvh_files` would find one (stops at the first, not a whole walk)."""
    return next(_walk(Path(root)), None) is not None


def bvh_motion_files(root: str | Path) -> tuple[dict[str, Path], list[tuple[str, str]]]:
    """One BVH file per motion id, in id order (module doc).

    Returns:
        ``({id: file}, [(id, reason), ...])``: the files read (a broken link among them: it
        is skipped, named as one, when its split reads it), and the other files of an id
        already taken (``kick.BVH`` beside ``kick.bvh``) with the reason they are not.
    """
    root = Path(root)
    files: dict[str, Path] = {}
    passed: list[tuple[str, str]] = []
    found = (p for p in _walk(root)  # files, and broken links (named when read)
             if p.is_file() or (p.is_symlink() and not p.exists()))
    for p in sorted(found, key=lambda p: (bvh_id(root, p), p.name)):
        mid = bvh_id(root, p)
        if mid in files:
            keep, other = (p, files[mid]) if p.suffix == ".bvh" else (files[mid], p)
            passed.append((mid, f"{other.name}: {keep.name} in the same folder has this id"))
            files[mid] = keep
        else:
            files[mid] = p
    return files, passed


DEFAULT_PROMPT = "a person {action}"
"""Template that turns an action label into a caption (:func:`action_prompt`)."""


def check_prompt(template: str) -> str:
    """A class prompt template: text with one ``{action}`` field and no other field
    (``"a person {action}"``; a literal brace is written ``{{`` / ``}}``).

    Raises:
        ValueError: a template Python cannot format, or one without ``{action}`` or with
            another field.
    """
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(template)
                  if name is not None}
    except ValueError as e:
        raise ValueError(f"{template!r} is not a template: {e} (a literal brace is written "
                         f"{{{{ or }}}})") from e
    if fields != {"action"}:
        other = sorted(fields - {"action"})
        raise ValueError(f"{template!r} must hold {{action}}" + (
            f" and no other field (found {', '.join('{' + f + '}' for f in other)})"
            if other else ""))
    return template


def action_prompt(action: str, template: str = DEFAULT_PROMPT, *, inflect: bool = False) -> str:
    """Class prompt of an action label: ``"raise-up-both-hands"`` -> ``"a person raise up
    both hands"`` (Yu et al., CVPR 2024, Sec. 5.2 prompt "A person {action}": the label as it
    is, which action classification keeps).

    With ``inflect`` (a BVH file's caption, :func:`bvh_index_caption`), when a subject
    precedes ``{action}`` ("a person", "someone") and the label starts with a verb in its
    base form (a verb lemma of spaCy's English dictionary: "bow", "walk", "dash"; not "bye"),
    that verb takes the third person: "a person raises up both hands", "a person bows", as
    datasets write captions. (As class prompts these cost the shipped model 3 of 70 Bandai
    val motions at dense top-1, 91.4 -> 87.1 %, so classification keeps the paper's form.)
    """
    words = str(action).replace("-", " ").replace("_", " ").split()
    subject = template.split("{action}", 1)[0].strip()
    if inflect and words and subject and subject[-1].isalpha():
        from motionlex.core.text.words import is_base_verb, third_person  # spaCy: lazily

        if is_base_verb(words[0]):
            words[0] = third_person(words[0])
    return template.format(action=" ".join(words))


def bvh_index_caption(entry: dict, prompt: str = DEFAULT_PROMPT, where: str = "index.json"
                      ) -> str:
    """A BVH index entry's caption: ``caption``, else ``kitml_caption``, else its ``action``
    label through ``prompt``, its verb inflected (:func:`action_prompt`: "bow" -> "a person
    bows"); ``""`` when it has none of them.

    Args:
        entry: the file's entry of the folder's ``index.json``.
        prompt: the action-label template.
        where: the index file and entry, for messages (``".../index.json (kick.bvh)"``).

    Raises:
        ValueError: a ``caption``, ``kitml_caption`` or ``action`` that is not text (a list,
            a number: one caption per entry, as a string), naming ``where``.

    A caption without a word (``"...!!!"``) counts as none, as an empty one: the next key
    is read.
    """
    for key in ("caption", "kitml_caption", "action"):
        value = entry.get(key)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{where}: {key} must be text, got {type(value).__name__} "
                             f"{value!r:.60}")
    text = next((v.strip() for v in (entry.get("caption"), entry.get("kitml_caption"))
                 if v and WORD_PATTERN.search(v)), "")  # "...!!!" is no caption
    if not text and WORD_PATTERN.search(entry.get("action") or ""):
        text = action_prompt(entry["action"], prompt, inflect=True)
    return text
