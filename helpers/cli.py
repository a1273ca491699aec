"""Shared command-line pieces: the one-line error handling and common arguments."""
from __future__ import annotations

import argparse
import sys

from helpers.arguments import SEED, number
from helpers.errors import UserError


BF16_HELP = ("mixed_bfloat16 where the hardware runs it natively (an Ampere-or-newer GPU, or a CPU with AMX/AVX512_BF16: about 2x "
             "faster); float32 elsewhere, where emulated bfloat16 is about 10x slower (helpers.training.precision)")
TIME_LIMIT_HELP = "stop at an epoch's end when another would not end within MINUTES (a session or Colab limit); --resume continues"


def add_data_argument(parser, default=None):
    parser.add_argument("--data", default=default,
                        help="FER2013 CSV (.csv/.csv.gz) or a folder layout; default: $FER2013_PATH or Data/fer2013.csv[.gz]")


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


def gan_training_parser(description: str, *, epochs: int, batch_size: int, ckpt_dir: str,
                        batch_help: str = "images per step") -> OneLineParser:
    """The arguments every GAN training script shares: data, epochs, batch size, checkpoint
    folder, resume, time limit, sampling, checkpoints kept, smoke subset, where and in what
    precision to train (:func:`helpers.training.distribute.add_scale_out_arguments`) and seed."""
    from helpers.training.distribute import add_scale_out_arguments

    p = OneLineParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_argument(p)
    number(p, "--epochs", kind=int, low=1, high=100_000, default=epochs)
    number(p, "--batch-size", kind=int, low=1, high=65_536, default=batch_size, help=batch_help)
    p.add_argument("--ckpt-dir", default=ckpt_dir, help="where checkpoints, logs, samples and the release go")
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --ckpt-dir (after a kill, or for more --epochs)")
    number(p, "--time-limit", kind=float, low=0, metavar="MINUTES", help=TIME_LIMIT_HELP)
    number(p, "--sample-every", kind=int, low=1, default=1, help="write the fixed-seed sample grid every N epochs")
    number(p, "--keep", kind=int, low=1, high=1_000, default=3, help="training checkpoints to keep")
    number(p, "--snapshot-every", kind=int, low=0, default=0, metavar="N",
                   help="also keep the generator of every N-th epoch as a loadable checkpoint in "
                        "<ckpt-dir>/training/generators/epoch_NNNN/ (for metrics over training; 0: off)")
    number(p, "--subset", kind=int, low=0, default=0, help="first N training images only (smoke runs)")
    add_scale_out_arguments(p, BF16_HELP)
    p.add_argument("--seed", type=SEED, default=0, help="0 to 4,294,967,295")
    return p


def add_init_arguments(p: argparse.ArgumentParser, release_help: str, warmup_epochs: float, warmup_help: str) -> None:
    """``--init RELEASE`` (continue a release with new optimizers), ``--fresh-discriminator`` and
    ``--d-warmup-epochs``, which :func:`helpers.training.gan_pipeline.release_warm_start_fn` reads."""
    p.add_argument("--init", metavar="RELEASE", default=None, help=release_help)
    p.add_argument("--fresh-discriminator", action="store_true",
                   help="with --init: start the discriminator afresh, with the warm-up, even where the release saved one")
    number(p, "--d-warmup-epochs", kind=float, low=0, high=1_000, default=warmup_epochs, help=warmup_help)


def training_command(pipeline: str, description: str, try_next: str):
    """The ``main`` of a script in ``Generative_model/`` that trains a GAN: the arguments of
    ``pipeline`` (a module with ``parse_args(argv, description)`` and ``train(args)``), then
    training, then where the release is and ``try_next`` (with ``{release}``) to use it."""
    def main(argv=None):
        import importlib

        module = importlib.import_module(pipeline)
        release = module.train(module.parse_args(argv, description))
        print(f"checkpoint: {release}  (try: {try_next.format(release=release)})")

    return main
