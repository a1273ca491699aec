"""``python -m helpers.model_files [--litert] FILE...``: rewrite .keras files so that every
supported Keras reads them, or write their LiteRT twins (:mod:`helpers.models.files`)."""
from __future__ import annotations

import argparse
from pathlib import Path

from helpers.cli import run_cli
from helpers.errors import UserError
from helpers.models.files import LITERT_SUFFIX, load_model, make_portable, save_litert


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m helpers.model_files",
                                description="Rewrite .keras files so that every supported Keras (3.8 and newer) reads "
                                            "them: arguments at their defaults are left out of the config; the "
                                            "weights are not touched.")
    p.add_argument("files", nargs="+", help=".keras files to rewrite in place")
    p.add_argument("--litert", action="store_true",
                   help=f"instead: export each file for the LiteRT runtime, to the same name with {LITERT_SUFFIX}")
    args = p.parse_args(argv)
    for name in args.files:
        if not Path(name).is_file():
            raise UserError(f"{name} does not exist")
        model = load_model(name)  # refuse what does not load here before writing anything
        if args.litert:
            print(f"{save_litert(model, Path(name).with_suffix(LITERT_SUFFIX))}: written")
        else:
            print(f"{make_portable(name)}: rewritten")


if __name__ == "__main__":
    run_cli(main)
