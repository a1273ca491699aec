"""Shared command-line pieces: the one-line error handling and common arguments."""
from __future__ import annotations

import argparse
import sys


class UserError(Exception):
    """An error the user can fix; CLIs print its message on one line and exit with status 2."""


def add_data_argument(parser, default=None):
    parser.add_argument("--data", default=default,
                        help="FER2013 CSV (.csv/.csv.gz) or a folder layout; default: $FER2013_PATH or Data/fer2013.csv[.gz]")


def run_cli(main, argv=None) -> None:
    """Run ``main(argv)``; user errors (and data errors) become one line on stderr and exit 2."""
    from .data import DataError, DataNotFoundError
    from .expressions import UnknownExpressionError

    try:
        main(argv)
    except (UserError, DataError, DataNotFoundError, UnknownExpressionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line (``error: ...``, exit 2); ``--help``
    still prints the full usage."""

    def error(self, message):
        self.exit(2, f"error: {message} (see --help)\n")
