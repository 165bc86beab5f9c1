"""The side swap of words: left <-> right, clockwise <-> counterclockwise, leftward <->
rightward, the text half of mirroring (:func:`motionlex.core.motion.motion.mirror_motion` is
the motion half); side-swapped captions are the hard negatives of side accuracy."""

from __future__ import annotations

import re

_SIDE_SWAPS: dict[str, str] = {
    "left": "right",
    "right": "left",
    "leftward": "rightward",
    "rightward": "leftward",
    "leftwards": "rightwards",
    "rightwards": "leftwards",
    "clockwise": "counterclockwise",
    "counterclockwise": "clockwise",
    "anticlockwise": "clockwise",
    "counter-clockwise": "clockwise",
    "anti-clockwise": "clockwise",
    "counter clockwise": "clockwise",  # KIT-ML writes it apart too (7 captions)
    "anti clockwise": "clockwise",
}
"""Words that name a side or a turning sense, and the word of the mirrored motion."""

_SIDE_WORD = re.compile(
    r"(?<![\w-])(" + "|".join(sorted(map(re.escape, _SIDE_SWAPS), key=len, reverse=True))
    .replace(r"\ ", r"\s+") + r")(?!\w)",
    re.IGNORECASE,
)

_NOT_A_SIDE = re.compile(
    r"(?<=\ball\s)right\b|\bright(?=\s+(?:away|now|here|there|angles?)\b)", re.IGNORECASE)
""""right" that names no side: "all right", "right away / now / here / there", "a right
angle". ("right before / after / then" stays a side: in KIT-ML it is nearly always "to the
right, then ..." or "stumbles to his right before ...".)"""


def is_side_word(word: str) -> bool:
    """Whether ``word`` (any case) names a side or a turning sense ("left", "clockwise",
    "leftwards"): a word with its own lexical row and its own training target."""
    return word.lower() in _SIDE_SWAPS


def _side_words(caption: str) -> list[re.Match]:
    """The side words of a caption, as regex matches (left to right)."""
    skip = {m.start() for m in _NOT_A_SIDE.finditer(caption)}
    return [m for m in _SIDE_WORD.finditer(caption) if m.start() not in skip]


def _same_case(word: str, like: str) -> str:
    if like.isupper():
        return word.upper()
    if like[:1].isupper():
        return word.capitalize()
    return word


def mirror_caption(caption: str) -> str:
    """The caption of the mirrored motion: swap every side word, keeping its case.

    left <-> right, leftward(s) <-> rightward(s), clockwise <-> counterclockwise
    (anticlockwise, counter(-| )clockwise and anti(-| )clockwise become clockwise); a
    "right" that names no side ("all right", "right away", "a right angle") is kept. The
    text half of
    mirroring (:func:`motionlex.core.motion.motion.mirror_motion` is the motion half); a
    caption without side words comes back unchanged.

    Args:
        caption: English text.

    Returns:
        The side-swapped caption.

    Raises:
        TypeError: ``caption`` is not a str.

    >>> mirror_caption("turns Left, then walks clockwise")
    'turns Right, then walks counterclockwise'
    """
    if not isinstance(caption, str):
        raise TypeError(f"caption must be a str, not {type(caption).__name__}")
    out, end = [], 0
    for m in _side_words(caption):
        word = " ".join(m.group(0).lower().split())
        out += [caption[end:m.start()], _same_case(_SIDE_SWAPS[word], m.group(0))]
        end = m.end()
    return "".join(out) + caption[end:]


_BOTH_JOIN = re.compile(r"\s*(?:,\s*)?(?:and|or|&|/|,)\s*(?:(?:the|his|her|their|its)\s+)?",
                        re.IGNORECASE)
_NOUN_JOIN = re.compile(r"\s+([a-z]+)" + _BOTH_JOIN.pattern, re.IGNORECASE)


def _canonical_side(match: re.Match) -> str:
    word = " ".join(match.group(0).lower().split())
    return _SIDE_SWAPS[_SIDE_SWAPS[word]]  # "anticlockwise" -> "counterclockwise"


def _both_sides(caption: str, a: re.Match, b: re.Match) -> bool:
    """``a`` and ``b`` are opposite sides joined into one symmetric phrase: "left and
    right", "to the right or left", "his left and right hand", "left arm and right arm"."""
    if _SIDE_SWAPS[_canonical_side(a)] != _canonical_side(b):
        return False
    between = caption[a.end():b.start()]
    if _BOTH_JOIN.fullmatch(between):
        return True
    noun = _NOUN_JOIN.fullmatch(between)  # the same noun after both: "left arm and right arm"
    return bool(noun and re.match(r"\s+" + noun.group(1) + r"\b", caption[b.end():],
                                  re.IGNORECASE))


def names_side(caption: str) -> bool:
    """Whether a caption names a side or a turning sense, so that the mirrored motion has
    another caption (a side-swapped caption is then a true negative of its motion).

    Side words inside a symmetric phrase ("waves left and right", "holding his left and
    right arm", "clockwise and counterclockwise") name no side: the phrase fits the
    mirrored motion too. A caption naming a side elsewhere still does ("waves left and
    right with his left hand"); "from left to right" names a direction, which the mirror
    reverses.
    """
    words = _side_words(caption)
    both = set()
    for i in range(len(words) - 1):
        if _both_sides(caption, words[i], words[i + 1]):
            both.update((i, i + 1))
    return len(both) < len(words)
