"""Deep-Emotion (Minaee et al. 2019) from the command line, with the flags its implementations use.

    python -m helpers.deep_emotion --setup --data Data                 # parse and cache the data, print the splits
    python -m helpers.deep_emotion --train --data Data                 # train with the default hyper-parameters
    python -m helpers.deep_emotion --train --data Data --hparams --epochs 5 --learning_rate 0.005 --batch_size 32

Without ``--hparams``, ``--epochs/--learning_rate/--batch_size`` are ignored and the defaults in
:data:`DEFAULT_HPARAMS` are used. The architecture is the paper's (a spatial transformer in
parallel with a 4-conv feature extractor); ``--width``/``--fc_width`` set its size (the paper:
10 and 50), ``--no_batch_norm`` drops the batch norm after each conv and ``--dropout`` sets the
dropout before the dense layers.
"""
from __future__ import annotations

import argparse

from helpers.cli import command_parser, run_cli
from helpers.options import add_options, from_flat
from helpers.training.deep_emotion import DeepEmotionConfig


def parse_args(argv=None):
    p = command_parser(__doc__, prog="python -m helpers.deep_emotion")
    p.add_argument("-s", "--setup", action="store_true", help="set up the dataset (parse once, write the cache)")
    p.add_argument("-t", "--train", action="store_true", help="train the model")
    add_options(p, DeepEmotionConfig, sep="_")
    p.add_argument("-d", dest="data", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if not (args.setup or args.train):
        p.error("nothing to do: pass --setup and/or --train")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.setup:
        from helpers.data import load_dataset
        from helpers.data.audit import describe_splits

        print(describe_splits(load_dataset(args.data)))
    if args.train:
        from helpers.training.recognizer import train

        print("best checkpoint:", train(from_flat(DeepEmotionConfig, vars(args)).recognizer_config()))


if __name__ == "__main__":
    run_cli(main)
