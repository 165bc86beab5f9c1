"""The one did-you-mean matcher for names a user types: commands, options, shipped configs,
config keys and validation figures (query words have :class:`~.spelling.Speller`)."""

from __future__ import annotations

from difflib import get_close_matches

from motionlex.core.text.spelling import edit_distance


def closest_name(name: str, names: list[str]) -> str | None:
    """The one of ``names`` (a command, a shipped config) that ``name`` most likely
    mistypes: the fewest edits away (at most 2, 1 for a name of up to 3 letters: ``tyni``
    and ``tny`` -> ``tiny``, ``serach`` -> ``search``), else difflib's closest
    (``cpu-smal`` -> ``cpu-small``); None when none is near."""
    scored = sorted((edit_distance(name.lower(), n), n) for n in names)
    if scored and scored[0][0] <= (2 if len(name) >= 4 else 1):
        return scored[0][1]
    close = get_close_matches(name, names, n=1, cutoff=0.6)
    return close[0] if close else None
