"""``python -m helpers.generation CKPT --truncation T``: set a generator release's default truncation
(:mod:`helpers.inference.generators`)."""
from __future__ import annotations


from helpers.arguments import number
from helpers.cli import OneLineParser, run_cli
from helpers.inference.generators import MIN_TRUNCATION, set_default_truncation


def main(argv=None):
    """``python -m helpers.generation CKPT --truncation T``: set a release's default truncation."""
    p = OneLineParser(prog="python -m helpers.generation",
                      description="Set the truncation a generator release samples with by default.")
    p.add_argument("checkpoint", help="a generator checkpoint folder (generator.keras + config.json)")
    number(p, "--truncation", kind=float, low=MIN_TRUNCATION, infinity=True, required=True,
           help="redraw noise values beyond ±T when Expression_generator.py and the evaluation sample "
                "without their own --truncation (inf: no truncation)")
    args = p.parse_args(argv)
    print(f"{set_default_truncation(args.checkpoint, args.truncation)}: default truncation {args.truncation}")


if __name__ == "__main__":
    run_cli(main)
