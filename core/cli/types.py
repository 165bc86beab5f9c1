"""argparse value types shared by the subcommands: a bad number is refused while parsing,
naming the option, before any model loads (no torch import here)."""

from __future__ import annotations

import argparse
import math
from typing import Any, NoReturn

DEVICE_HELP = "torch device: cpu, cuda, cuda:1 (default: CUDA when present)"
"""The help of every ``--device`` option (one wording everywhere)."""


def positive_int(text: str) -> int:
    """An int >= 1 (a batch size, a frame count, ``--max-steps``).

    Raises:
        argparse.ArgumentTypeError: not an int, or < 1.
    """
    return _int_at_least(text, 1)


def non_negative_int(text: str) -> int:
    """An int >= 0 (0 meaning none or all, as the option's help says).

    Raises:
        argparse.ArgumentTypeError: not an int, or < 0.
    """
    return _int_at_least(text, 0)


def positive_float(text: str) -> float:
    """A finite float > 0 (a frame rate).

    Raises:
        argparse.ArgumentTypeError: not a number, not finite, or <= 0.
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def unit_float(text: str) -> float:
    """A float in [0, 1] (a fusion weight, a similarity threshold).

    Raises:
        argparse.ArgumentTypeError: not a number, or outside [0, 1].
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:  # NaN fails too
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {text}")
    return value


def frames_or_auto(text: str) -> int | str:
    """``"auto"`` or an int >= 0 (``patches --skip-frames``: leading frames to drop).

    Raises:
        argparse.ArgumentTypeError: neither "auto" nor an int >= 0.
    """
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return _int_at_least(text, 0)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"must be 'auto' or an integer >= 0, got {text!r}") \
            from None


def _int_at_least(text: str, low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
    return value


def prompt_template(text: str) -> str:
    """An ``--prompt`` class template (:func:`~motionlex.core.data.bvh_folders.check_prompt`).

    Raises:
        argparse.ArgumentTypeError: a template Python cannot format, or one without
            ``{action}`` or with another field.
    """
    from motionlex.core.data.bvh_folders import check_prompt

    try:
        return check_prompt(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from e


def train_device(text: str) -> list[str]:
    """``train --device``: ``cpu``, ``cuda`` / ``gpu`` or ``cuda:N`` as the training-config
    overrides they stand for (``accelerator=cpu``; ``accelerator=gpu``, ``devices=[N]``).

    Raises:
        argparse.ArgumentTypeError: another value.
    """
    name, _, number = text.strip().lower().partition(":")
    if name == "cpu" and not number:
        return ["accelerator=cpu"]
    if name in ("cuda", "gpu") and (not number or number.isdigit()):
        return ["accelerator=gpu"] + ([f"devices=[{int(number)}]"] if number else [])
    raise argparse.ArgumentTypeError(f"must be cpu, cuda or cuda:N, got {text!r} (other "
                                     "Lightning settings: the accelerator= and devices= "
                                     "overrides)")


def examples(*commands: str) -> str:
    """A subcommand's ``epilog``: "Examples:" and each command on its own indented line
    (:class:`HelpFormatter` keeps indented lines as written)."""
    return "Examples:\n" + "\n".join(f"  {c}" for c in commands)


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help layout, except that a description's or epilog's indented lines (the
    commands of :func:`examples`) are kept as written; the rest is wrapped as usual."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out: list[str] = []
        prose: list[str] = []
        for line in [*text.splitlines(), ""]:
            if line.strip() and not line.startswith(" "):
                prose.append(line)
                continue
            if prose:
                out.append(super()._fill_text(" ".join(prose), width, indent))
                prose = []
            if line.strip():
                out.append(indent + line)
        return "\n".join(out)


class UsageError(ValueError):
    """A command given the wrong mix of arguments (``words`` with neither a text nor
    ``--motion``): reported as argparse reports a missing argument, with the command's
    usage (exit 2)."""


class StoreOnce(argparse._StoreAction):
    """The ``store`` action of motionlex's parsers: an option given twice is an error (it
    used to keep the last value silently, e.g. ``evaluate --data A --data B`` evaluated B).
    Options meant to repeat use ``action="append"``."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        if option_string is not None:
            given = namespace.__dict__.setdefault("_options_given", {})
            if self.dest in given:
                parser.error(f"{option_string} given twice ({given[self.dest]!r} and "
                             f"{values!r}); this command takes one")
            given[self.dest] = values
        super().__call__(parser, namespace, values, option_string)


class Parser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose plain options refuse to be given twice
    (:class:`StoreOnce`); its subcommand parsers are of this class too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        self.register("action", None, StoreOnce)
        self.register("action", "store", StoreOnce)
        self.commands: dict[str, argparse.ArgumentParser] = {}  # set by the top parser
        self._bad_value = False  # the error being reported is a bad option value

    def error(self, message: str) -> NoReturn:
        """Exit 2 with ``message``. A bad value of a known option (``argument --to:
        invalid choice: 'fbx' ...``, ``argument --fusion-weight: must be in [0, 1] ...``,
        ``argument -k: not an integer: 'x'``) is one line, as every other expected
        failure; a mistyped command or option, a missing value, a missing or extra argument
        also show the command's usage, which is what helps there."""
        if self._bad_value:
            self.exit(2, f"{self.prog}: error: {message}\n")
        super().error(message)

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        """As argparse's; each parse starts without a bad value noted."""
        self._bad_value = False
        return super().parse_known_args(args, namespace)

    def _get_value(self, action: argparse.Action, arg_string: str) -> Any:
        try:  # the option's type= refused the value (argparse's own hook)
            return super()._get_value(action, arg_string)
        except argparse.ArgumentError:
            self._bad_value = True
            raise

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        """As argparse's, with a hint: the closest command to a mistyped one (``motionlex
        serach`` says "did you mean search?"), or the option's ``choice_hints`` entry for a
        value it refuses (``export --to gif``: where GIFs come from)."""
        try:  # a value outside the option's choices; a mistyped command keeps the usage
            super()._check_value(action, value)
        except argparse.ArgumentError as e:
            command = isinstance(action, argparse._SubParsersAction)
            self._bad_value = not command
            if command and isinstance(value, str):
                from motionlex.core.text.did_you_mean import closest_name  # only when wrong

                close = closest_name(value, list(action.choices))
                hint = f"did you mean {close}?" if close else ""
            else:
                hint = getattr(action, "choice_hints", {}).get(str(value).lower(), "")
            if hint:
                raise argparse.ArgumentError(action, f"{e.message}; {hint}") from None
            raise

    def parse_args(self, args: Any = None, namespace: Any = None) -> argparse.Namespace:
        """As argparse's, but an unknown option after a subcommand is refused by that
        subcommand's parser (its usage, not the top-level one's) with the closest of its
        options: ``motionlex search ... --mdoe dense`` says "did you mean --mode?"."""
        ns, extra = self.parse_known_args(args, namespace)
        if extra:
            command = self.commands.get(getattr(ns, "command", None) or "")
            owner = command if command is not None else self
            known = [o for a in owner._actions for o in a.option_strings
                     if o not in ("-h", "--help")]
            takes_overrides = any(a.dest == "overrides" for a in owner._actions)
            hints = []
            for x in extra:
                if not x.startswith("-"):
                    continue
                if takes_overrides and x.startswith("--") and "=" in x and not any(
                        x.startswith(o + "=") for o in known):  # "--lr=1e-4" for "lr=1e-4"
                    hints.append(f"{x[2:]} (settings are written without dashes)")
                    continue
                from motionlex.core.text.did_you_mean import closest_name  # only when wrong

                close = closest_name(x.split("=", 1)[0], known)
                hints += [close] if close else []
            hint = f"; did you mean {', '.join(hints)}?" if hints else ""
            owner.error(f"unrecognized arguments: {' '.join(extra)}{hint}"
                        + _quote_hint(owner, ns, extra))
        return ns


TEXT_ARGUMENTS = {"query": "query", "text": "text", "caption": "caption"}
"""The positional arguments that take a sentence (``search``'s query, ``words``' text,
``events``' caption), by dest, with the word that names them."""


def _quote_hint(parser: argparse.ArgumentParser, ns: argparse.Namespace,
                extra: list[str]) -> str:
    """" (quote a query of several words: "a person waves")" when ``extra`` holds plain
    words and the command takes a sentence given unquoted (``motionlex search a person
    waves``: argparse took "a" as the query and refuses "person waves"); else ''."""
    dest = next((a.dest for a in parser._actions
                 if not a.option_strings and a.dest in TEXT_ARGUMENTS), None)
    given = getattr(ns, dest, None) if dest else None
    words = [x for x, before in zip(extra, ["", *extra])  # not a mistyped option's value
             if not x.startswith("-") and not (before.startswith("-") and "=" not in before)]
    if not isinstance(given, str) or not words or not all(
            x.strip(",.;:!?'\"").replace("'", "").replace("-", "").isalpha() for x in words):
        return ""
    return (f' (quote a {TEXT_ARGUMENTS[dest]} of several words: '
            f'"{" ".join([given, *words])}")')
