"""Captions of demo motions, written from the parameters they were generated from.

Every caption is true to its motion, with several paraphrases chosen by the seed;
``mirror_caption`` maps the caption of a left-side action to that of its right-side mirror.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from motionlex.core.data.demo.synthesis import check_params
from motionlex.core.text.orders import compose_captions

logger = logging.getLogger(__name__)


SUBJECTS = ("a person", "a person", "someone", "the person")
"""Caption subjects (drawn uniformly; "a person" twice as often)."""
_TIMES = {1: "once", 2: "twice", 3: "three times", 4: "four times", 5: "five times"}
_NUM = {1: "a", 2: "two", 3: "three", 4: "four", 5: "five"}


def _plural(n: int, word: str) -> str:
    return f"{_NUM[n]} {word}" + ("" if n == 1 else ("es" if word.endswith("ch") else "s"))


def _predicates(label: str, p: Mapping[str, Any]) -> list[str]:
    """Caption predicates (without subject) that are true of ``synthesize(label, p)``."""
    speed = p.get("speed", "normal")
    pre = {"slow": "slowly ", "fast": "quickly "}.get(speed, "")
    post = {"slow": " slowly", "fast": " quickly"}.get(speed, "")
    side = p.get("side", "")
    n = int(p.get("count", 1))
    times = _TIMES[n]
    if label == "walk":
        if p["direction"] == "forward":
            out = [f"{pre}walks forward", f"walks straight ahead{post}",
                   f"{pre}takes a few steps forward", f"is walking forward{post}"]
        elif p["direction"] == "backward":
            out = [f"{pre}walks backward", f"walks backwards{post}",
                   f"{pre}takes a few steps back", f"steps backward{post}"]
        else:
            out = [f"{pre}walks in a circle", f"walks around in a circle{post}",
                   f"{pre}walks in a circle to the {side}", f"{pre}walks around in a full circle"]
    elif label == "run":
        out = {"slow": ["jogs forward", "is jogging forward", "jogs ahead slowly",
                        "jogs forward at an easy pace"],
               "normal": ["runs forward", "is running forward", "runs ahead",
                          "runs straight forward"],
               "fast": ["runs forward quickly", "sprints forward", "runs fast",
                        "quickly runs ahead"]}[speed]
    elif label == "jump":
        hi = " high" if p["height"] == "high" else ""
        adj = {"high": "big ", "low": "small ", "normal": ""}[p["height"]]
        once = "" if n == 1 else f" {times}"
        if p["direction"] == "up":
            out = [f"jumps{hi}{once}", f"jumps up{hi} {times}", f"jumps in place{once}",
                   f"does {_NUM[n]} {adj}jump" + ("s" if n > 1 else "")]
            if p["height"] == "low":
                out[:2] = [f"jumps up a little{once}", f"does {_NUM[n]} little hop"
                           + ("s" if n > 1 else "") + " in place"]
        else:
            out = [f"jumps forward{once}", f"jumps forward {times}", f"leaps forward{once}",
                   f"does {_NUM[n]} {adj}jump" + ("s" if n > 1 else "") + " forward"]
            if p["height"] == "high":
                out[0] = f"jumps high and far forward{once}"
    elif label == "wave":
        out = [f"waves the {side} hand {times}", f"waves with the {side} hand{post}",
               f"{pre}waves their {side} hand", f"waves hello with the {side} hand {times}"]
    elif label == "squat":
        deep = p["depth"] == "deep"
        if n == 1:
            out = [f"{pre}squats down" + (" deeply" if deep else ""),
                   f"does a {'deep ' if deep else ''}squat{post}",
                   f"{pre}bends the knees into a {'deep ' if deep else ''}squat",
                   f"squats {'low ' if deep else ''}once{post}"]
        else:
            out = [f"squats {'deeply ' if deep else ''}{times}",
                   f"{pre}does {_NUM[n]} {'deep ' if deep else ''}squats",
                   f"squats down {times}{post}",
                   f"{pre}squats {'low ' if deep else ''}{times}"]
    elif label == "kick":
        out = [f"kicks with the {side} leg" + ("" if n == 1 else f" {times}"),
               f"{pre}kicks forward with their {side} foot" + ("" if n == 1 else f" {times}"),
               f"does {_plural(n, 'kick')} with the {side} leg",
               f"kicks {times} with the {side} leg{post}"]
    elif label == "punch":
        out = [f"punches with the {side} hand" + ("" if n == 1 else f" {times}"),
               f"{pre}throws {_plural(n, 'punch')} with the {side} arm",
               f"punches forward with their {side} fist {times}",
               f"{pre}punches {times} with the {side} hand"]
    elif label == "turn":
        if p["angle"] == 90:
            out = [f"{pre}turns {side}", f"turns to the {side}{post}",
                   f"turns ninety degrees to the {side}",
                   f"{pre}makes a quarter turn to the {side}"]
        else:
            out = [f"{pre}turns around", f"turns around to the {side}{post}",
                   f"turns 180 degrees to the {side}", f"{pre}makes a half turn to the {side}"]
    elif label == "sit-down":
        out = [f"{pre}sits down", f"sits down on a chair{post}", f"{pre}takes a seat",
               f"{pre}sits down on a seat"]
    elif label == "stand-up":
        out = [f"{pre}stands up", f"gets up from a chair{post}",
               f"{pre}rises from a seated position", f"stands up from sitting{post}"]
    elif label == "bow":
        if p["depth"] == "slight":
            out = [f"{pre}bows slightly", f"{pre}gives a slight bow",
                   f"{pre}bends forward a little in a bow", f"makes a small bow{post}"]
        else:
            out = [f"bows deeply{post}", f"{pre}gives a deep bow",
                   f"{pre}bends far forward in a deep bow", f"{pre}bows down low"]
    elif label == "clap":
        out = [f"claps {times}", f"claps their hands {times}", f"{pre}claps their hands",
               f"{pre}claps {times} in front of the chest"]
    elif label == "raise-arms":
        if side == "both":
            out = [f"raises both arms{post}", f"{pre}raises both hands above the head",
                   f"lifts both arms up{post}", f"{pre}puts both hands up in the air"]
        else:
            out = [f"raises the {side} arm{post}", f"{pre}raises the {side} hand above the head",
                   f"lifts the {side} arm up{post}", f"{pre}puts the {side} hand up in the air"]
    else:  # pragma: no cover - guarded by _choices
        raise KeyError(label)
    seen: dict[str, None] = {}
    for s in out:
        seen.setdefault(" ".join(s.split()), None)
    return list(seen)


def caption_variants(label: str, params: Mapping[str, Any] | None = None,
                     subject: str = "a person", **overrides: Any) -> list[str]:
    """Every caption template of an action, filled from its parameters.

    Args:
        label: an action of :data:`ACTIONS`.
        params: parameters (see :func:`check_params`).
        subject: the caption's subject, e.g. ``"a person"``.
        **overrides: parameters by keyword.

    Returns:
        At least 3 distinct captions, e.g. ``"a person waves the left hand three times"``;
        variant ``i`` of a left-side action is ``mirror_caption`` of variant ``i`` of the
        right-side one.

    Raises:
        KeyError, ValueError: as :func:`check_params`.
    """
    p = check_params(label, params, **overrides)
    return [f"{subject} {pred}" for pred in _predicates(label, p)]


def draw_captions(labels: Sequence[str], params: Sequence[Mapping[str, Any]],
                   rng: np.random.Generator, k: int = 3, subjects: Sequence[str] = SUBJECTS
                   ) -> tuple[str, ...]:
    """``k`` different captions; composed ones joined in event order with ", then "."""
    preds = [_predicates(lab, p) for lab, p in zip(labels, params)]
    out: list[str] = []
    used: set[tuple[int, ...]] = set()
    for _ in range(20 * k):
        choice = tuple(int(rng.integers(len(ps))) for ps in preds)
        if choice in used and len(used) < math.prod(len(ps) for ps in preds):
            continue  # paraphrase the events differently before repeating a wording
        used.add(choice)
        subject = subjects[int(rng.integers(len(subjects)))]
        events = [f"{subject} {ps[c]}" for ps, c in zip(preds, choice)]
        cap = events[0] if len(events) == 1 else compose_captions(events)[0]
        if cap not in out:
            out.append(cap)
        if len(out) == k:
            break
    return tuple(out)


def caption_tokens(caption: str) -> str:
    """The ``word/POS`` token column of a HumanML3D caption line for ``caption``: lower-cased
    words (letters, digits, apostrophes) each tagged ``/X`` (the demo has no tagger).

    >>> caption_tokens("A person waves, then sits.")
    'a/X person/X waves/X then/X sits/X'
    """
    words = "".join(ch if ch.isalnum() or ch in " '" else " " for ch in caption.lower()).split()
    return " ".join(f"{w}/X" for w in words)
