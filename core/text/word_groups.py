"""Word forms of one word in a lexical vocabulary: "raised", "raises", "raising" -> "raise".

A lexical vector weighs each vocabulary word on its own, and the word term of training
(:mod:`motionlex.core.train.word_targets`) spreads a caption word over all its forms, so a
motion's heaviest words are often three forms of one word ("raised, raises, raising,
handed, hands, hand"). :func:`word_groups` finds the regular inflections of a vocabulary
(``-s``, ``-es``, ``-ies``, ``-ed``, ``-d``, ``-ied``, ``-ing``, with a dropped ``e`` or a
doubled consonant), so that the explorer's lexical panel can show one row per word with
the summed weight of its forms (:func:`group_weights`): the weight the vector puts on the
word in all its forms, as the word term of training puts it there.

Rules, kept conservative (a wrong group misleads more than a missing one):
- only regular suffixes, no lemmatiser: "left" is never "leave", "ground" never "grind";
- a base needs 3+ letters; "-s" is not stripped after ``s``, ``u`` or ``i`` ("across",
  "bus", "this"); words in :data:`NOT_INFLECTED` keep their own row ("news", "always");
- side words ("left", "right", "clockwise", ...) keep their own rows (the product's
  side accuracy rests on them; :mod:`.sides`);
- a form joins the base that is itself a vocabulary word; when the base is not one
  ("raise" missing, "raised" and "raising" present), forms that share the same base join
  under it (a base of 4+ letters: "fled" and "fling" share no "fle"); when a dictionary of
  known words is given and does not know that base either ("annoye" or "annoy"?), the
  group is named by its shortest form ("annoyed"), never by a non-word;
- a word is no form of a shorter one by the letters alone: "need", "speed", "seed",
  "shed" (each with forms of its own) are not nee-d, spee-d, see-d, she-d; "being" is no
  bee-ing.

NumPy-free, spaCy-free: the widgets may call it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from motionlex.core.text.sides import is_side_word

MIN_BASE_LENGTH = 3
"""Letters a base keeps after its suffix is taken off."""

NOT_INFLECTED = frozenset(
    """news always sometimes perhaps series species lens means thanks various previous
    nothing something anything everything morning evening ceiling during""".split())
"""Words that end like an inflection but are not one of a shorter vocabulary word."""

IRREGULAR_BASES = {"goes": "go", "going": "go", "does": "do", "doing": "do"}
"""Forms whose base is shorter than :data:`MIN_BASE_LENGTH`."""

_VOWELS = frozenset("aeiou")


def base_candidates(word: str) -> list[str]:
    """The bases ``word`` may be a regular inflection of, most likely first.

    ``base_candidates("raising") == ["raise", "rais"]``;
    ``base_candidates("stepped") == ["steppe", "stepp", "step"]``; ``[]`` for a word in
    :data:`NOT_INFLECTED`, a side word or a word without such a suffix.

    Args:
        word: a lower-case vocabulary word.
    """
    w = word.lower()
    if (len(w) <= MIN_BASE_LENGTH or not w.isalpha() or w in NOT_INFLECTED
            or is_side_word(w)):
        return []
    if w in IRREGULAR_BASES:
        return [IRREGULAR_BASES[w]]
    out: list[str] = []
    if w.endswith("ies"):
        out.append(w[:-3] + "y")
    elif w.endswith(("sses", "xes", "zes", "ches", "shes")):  # cross-es, box-es, touch-es
        out.append(w[:-2])
    elif w.endswith("oes"):  # shoe-s; go-es is irregular (too short a base)
        out += [w[:-1], w[:-2]]
    elif w.endswith("s") and w[-2] not in "sui":  # raise-s, hand-s; not across, bus, this
        out.append(w[:-1])
    if w.endswith("ied"):
        out.append(w[:-3] + "y")
    elif w.endswith("eed"):  # agree-d, free-d; "need", "speed", "seed" are words of their own,
        out.append(w[:-1])  # which word_groups keeps (their own forms, the base's forms)
    elif w.endswith("ed"):
        out += [w[:-1], w[:-2]] + _undoubled(w[:-2])
    if len(w) == 5 and w.endswith("ying") and w[0] not in _VOWELS:
        out.append(w[0] + "ie")  # die -> dying, lie -> lying, tie -> tying (not dye, lye)
    elif w.endswith("ing"):
        stem = w[:-3]  # raise -> raising; but be-ing is no bee-ing, see-ing no seee-ing,
        # th-ing no the-ing, br-ing no bre-ing (a 2-letter stem takes an "e" back only
        # after a vowel: us-ing, ag-ing, ic-ing)
        e_base = [stem + "e"] if not stem.endswith("e") and (
            len(stem) >= MIN_BASE_LENGTH or stem[:1] in _VOWELS) else []
        out += e_base + [stem] + _undoubled(stem)
    return [b for b in out if len(b) >= MIN_BASE_LENGTH and not is_side_word(b)
            and any(c in _VOWELS or c == "y" for c in b)]


def _undoubled(stem: str) -> list[str]:
    """``stepp`` -> ``[step]``: a doubled final consonant of ``-ed`` / ``-ing``."""
    if len(stem) >= 2 and stem[-1] == stem[-2] and stem[-1] not in _VOWELS | {"s", "l"}:
        return [stem[:-1]]
    return []


def word_groups(words: Iterable[str], known: Iterable[str] = ()) -> dict[str, str]:
    """The group of each word of a vocabulary that is a form of another: word -> base.

    Args:
        words: the vocabulary's whole words (any case; ``##`` pieces and non-alphabetic
            entries are ignored).
        known: more English words (e.g. a tokenizer's whole words), which pick the base of
            forms whose base is none of ``words``: "crossing" and "crosses" share
            "cross", not "crosse"; "lowered" and "lowering" "lower".

    Returns:
        ``{form: base}`` for every word that joins a group of 2 or more words, the base
        included when it is a word of ``words`` (``{"raised": "raise", "raises": "raise",
        "raise": "raise"}``; ``word_groups(["raised", "raising"])`` has only the two
        forms, under ``"raise"``); words of no group are absent. A base that is no
        vocabulary word itself names the group of the forms that share it when it is a
        ``known`` word or no ``known`` words are given; otherwise the group's shortest form
        names it.

    Example: ``word_groups(["hand", "hands", "handed", "left", "leaves"])`` is
    ``{"hand": "hand", "hands": "hand", "handed": "hand"}``.
    """
    vocab = {w.lower() for w in words if w.isalpha()}
    known_words = {w.lower() for w in known}
    known_given = bool(known_words)
    english = vocab | known_words
    base: dict[str, str] = {}
    pending: dict[str, list[str]] = {}  # forms whose bases are not vocabulary words
    for w in sorted(vocab):
        cands = [b for b in base_candidates(w) if _may_be_form(w, b, english)]
        in_vocab = next((b for b in cands if b in vocab and b != w), None)
        if in_vocab is not None:
            base[w] = in_vocab
        elif cands:
            pending[w] = cands
    # forms sharing a base that is no vocabulary word: the first candidate two forms share
    counts: dict[str, int] = {}
    for cands in pending.values():
        for b in set(cands):
            counts[b] = counts.get(b, 0) + 1
    guessed: dict[str, list[str]] = {}  # a shared base no known word: its forms
    for w, cands in pending.items():
        shared = next((b for b in cands if counts[b] >= 2 and b in english),
                      next((b for b in cands if counts[b] >= 2 and len(b) > MIN_BASE_LENGTH),
                           None))  # fl-ed and fl-ing share no 3-letter "fle"
        if shared is not None:
            base[w] = shared
            if shared not in english:
                guessed.setdefault(shared, []).append(w)
    if known_given:  # a dictionary was given and does not know the guessed base
        # ("annoye" or "annoy"?): the group is named by its shortest form, a real word
        for forms in guessed.values():
            name = min(forms, key=lambda f: (len(f), f))
            for f in forms:
                base[f] = name
    roots = {w: _root(w, base) for w in base}
    members: dict[str, int] = {}
    for r in roots.values():
        members[r] = members.get(r, 0) + 1
    out = {w: r for w, r in roots.items() if members[r] + (r in vocab and r not in roots) >= 2}
    out.update({r: r for r in set(out.values()) if r in vocab})
    return out


def _may_be_form(word: str, base: str, english: set[str]) -> bool:
    """Whether ``word`` may be a form of ``base`` given the words known: not a ``-d`` word
    with regular forms of its own ("shed" has "sheds": no form of "she"; "need" "needs"),
    and not a ``-d`` after ``ee`` unless ``base`` has 4+ letters and forms of its own
    ("agreed": "agrees"; "seed" is no see-d, "need" no nee-d)."""
    if not word.endswith("d"):  # "standing" stays a form of stand beside "standings"
        return True
    if any(f in english for f in (word + "s", word + "ing")):
        return False  # a "-d" word with forms of its own is a base ("sheds", "needing")
    if word.endswith("eed") and base == word[:-1]:  # agree-d, free-d; see-d and nee-d no
        return len(base) >= 4 and any(f in english for f in (base + "s", base + "ing"))
    return True


def _root(word: str, base: Mapping[str, str]) -> str:
    seen = {word}
    while word in base and base[word] not in seen:
        word = base[word]
        seen.add(word)
    return word


def group_weights(words: Sequence[tuple[str, float]],
                  groups: Mapping[str, str]) -> list[tuple[str, float, tuple[str, ...]]]:
    """Words summed by group, heaviest first: ``(group, summed weight, its forms)``.

    Args:
        words: ``(word, weight)`` pairs (a lexical vector's non-zero words).
        groups: :func:`word_groups` of the vocabulary; a word absent from it is its own
            group.

    Returns:
        One ``(base, weight, forms)`` per group, forms heaviest first; a group of one word
        is ``(word, weight, (word,))``. Ties keep the words' order.
    """
    total: dict[str, float] = {}
    forms: dict[str, list[tuple[float, str]]] = {}
    for w, v in words:
        g = groups.get(w.lower(), w)
        total[g] = total.get(g, 0.0) + float(v)
        forms.setdefault(g, []).append((float(v), w))
    order = sorted(total, key=lambda g: -total[g])  # stable: first seen first among ties
    return [(g, total[g], tuple(w for _, w in sorted(forms[g], key=lambda p: -p[0])))
            for g in order]
