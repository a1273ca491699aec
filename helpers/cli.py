"""What the commands share: the one-line error handling, parsers built from typed configs, the
main of a GAN training script. Only commands import it (``tests/test_layout.py``), and every
command imports it before TensorFlow: a command shows TensorFlow's C++ errors but not its info and
warning lines, unless the user set ``TF_CPP_MIN_LOG_LEVEL``. The library sets no such thing."""
from __future__ import annotations

import argparse
import os
import sys

from helpers.errors import UserError
from helpers.options import add_options, from_flat

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def run_cli(main, argv=None) -> None:
    """Run ``main(argv)``; a :class:`~helpers.errors.UserError` becomes one line on stderr and exit 2."""
    try:
        main(argv)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)


def command_line(script: str, argv=None) -> str:
    """The shell command that reproduces a run of ``script`` (a path, or ``-m package.module``)
    with ``argv`` (default: ``sys.argv[1:]``)."""
    import shlex

    return shlex.join(["python", *script.split(), *(sys.argv[1:] if argv is None else argv)])


def view_size(text: str) -> int:
    """``--size`` of the image-writing scripts: a whole multiple of the 48-pixel faces, which are
    enlarged by repeating pixels (nearest neighbour), so no other size can be written exactly."""
    try:
        size = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--size must be a whole number of pixels, got {text!r}") from None
    if size < 48 or size % 48:
        raise argparse.ArgumentTypeError(f"--size must be a multiple of 48 (48, 96, 144, ...), got {size}")
    return size


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line (``error: ...``, exit 2); ``--help``
    still prints the full usage."""

    def error(self, message):
        self.exit(2, f"error: {message} (see --help)\n")


def command_parser(description: str, prog: str | None = None, allow_abbrev: bool = True) -> OneLineParser:
    """A command's one-line-error parser, its ``description`` (the command's docstring) shown as written."""
    return OneLineParser(prog=prog, description=description, formatter_class=argparse.RawDescriptionHelpFormatter,
                         allow_abbrev=allow_abbrev)


def config_parser(config_class, description: str, prog: str | None = None, sep: str = "-",
                  allow_abbrev: bool = True) -> OneLineParser:
    """A command's parser (:func:`command_parser`) with an option for each field of
    ``config_class`` (:func:`helpers.options.add_options`; ``sep`` joins the words of a flag)."""
    p = command_parser(description, prog, allow_abbrev)
    add_options(p, config_class, sep)
    return p


def training_command(config_class, train, description: str, try_next: str):
    """The ``main`` of a script in ``Generative_model/`` that trains a GAN: its options parsed
    into a ``config_class``, ``train(config)``, then where the release is and ``try_next`` (with
    ``{release}``) to use it."""
    def main(argv=None):
        config = from_flat(config_class, vars(config_parser(config_class, description).parse_args(argv)))
        release = train(config)
        print(f"checkpoint: {release}  (try: {try_next.format(release=release)})")

    return main
