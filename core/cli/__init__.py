"""The ``motionlex`` command line: one module per group of subcommands, the parser and the
error policy in :mod:`motionlex.core.cli.parser`."""

from motionlex.core.cli.parser import build_parser, expected_failure, main

__all__ = ["build_parser", "expected_failure", "main"]
