"""``python -m helpers.release_check [--write] [NAME...]``: do the shipped models give, on this
stack, the outputs they gave when they were released? (:mod:`helpers.evaluation.references`)"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from helpers.cli import run_cli
from helpers.evaluation.references import REFERENCE, SHIPPED, check, write

DESCRIPTION = "Do the shipped models give, on this stack, the outputs they gave when they were released?"


def main(argv=None) -> int:
    import keras
    import tensorflow as tf

    p = argparse.ArgumentParser(prog="python -m helpers.release_check", description=DESCRIPTION)
    p.add_argument("--write", action="store_true", help=f"record the outputs on this stack in {REFERENCE.name} (after a release; with NAMEs, only theirs)")
    p.add_argument("--backend", choices=("keras", "litert"), default="keras",
                   help="check the .keras files, or their LiteRT twins, against the recorded outputs")
    p.add_argument("names", nargs="*", metavar="NAME", help=f"only these models (default: all): {', '.join(SHIPPED)}")
    args = p.parse_args(argv)
    if unknown := sorted(set(args.names) - set(SHIPPED)):
        p.error(f"not a shipped model: {', '.join(unknown)} (choose from {', '.join(SHIPPED)})")
    if args.write:
        print(f"wrote {write(names=args.names or None)}")
        return 0
    print(f"Keras {keras.__version__}, TensorFlow {tf.__version__}, NumPy {np.__version__}")
    results = check(names=args.names or None, backend=args.backend)
    for r in results:
        print(f"{'ok  ' if r.ok else 'FAIL'} {r.name:22s} {r.kind:10s} {r.detail}  [{r.load_and_run_s:.1f} s]")
    failed = [r.name for r in results if not r.ok]
    print(f"{len(results) - len(failed)} of {len(results)} shipped models ({args.backend}) give their recorded outputs"
          + (f"; different: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    run_cli(lambda argv: sys.exit(main(argv)))
