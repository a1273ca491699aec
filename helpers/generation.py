"""``python -m helpers.generation CKPT --truncation T``: set a generator release's default truncation
(:mod:`helpers.inference.generators`)."""
from __future__ import annotations

import argparse

from helpers.cli import run_cli
from helpers.inference.generators import set_default_truncation


def main(argv=None):
    """``python -m helpers.generation CKPT --truncation T``: set a release's default truncation."""
    p = argparse.ArgumentParser(prog="python -m helpers.generation",
                                description="Set the truncation a generator release samples with by default.")
    p.add_argument("checkpoint", help="a generator checkpoint folder (generator.keras + config.json)")
    p.add_argument("--truncation", type=float, required=True,
                   help="redraw noise values beyond ±T when Expression_generator.py and the evaluation sample "
                        "without their own --truncation (inf: no truncation)")
    args = p.parse_args(argv)
    print(f"{set_default_truncation(args.checkpoint, args.truncation)}: default truncation {args.truncation}")


if __name__ == "__main__":
    run_cli(main)
