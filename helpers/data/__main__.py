"""``python -m helpers.data [PATH] [--timing]``: load a dataset and print its splits."""
from __future__ import annotations

import argparse
import time

from helpers.cli import run_cli
from helpers.data import load_dataset
from helpers.data.audit import describe_splits


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m helpers.data", description="Load a dataset and print its splits.")
    parser.add_argument("path", nargs="?", help="data file or folder (default: $FER2013_PATH or Data/fer2013.csv[.gz])")
    parser.add_argument("--timing", action="store_true", help="time a parse without cache, then a cached reload")
    parser.add_argument("--lenient", action="store_true", help="skip malformed rows instead of stopping")
    args = parser.parse_args(argv)
    if args.timing:
        t0 = time.perf_counter()
        load_dataset(args.path, strict=not args.lenient, cache=False)
        parse = time.perf_counter() - t0
        load_dataset(args.path, strict=not args.lenient)
    t0 = time.perf_counter()
    splits = load_dataset(args.path, strict=not args.lenient)
    reload = time.perf_counter() - t0
    print(describe_splits(splits))
    if args.timing:
        print(f"parse (no cache): {parse:.2f} s; cached reload: {reload:.3f} s")


if __name__ == "__main__":
    run_cli(main)
