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
import json

from helpers.arguments import number
from helpers.cli import BF16_HELP, TIME_LIMIT_HELP, add_data_argument, run_cli
from helpers.training.distribute import add_scale_out_arguments

DEFAULT_HPARAMS = {"epochs": 30, "learning_rate": 0.02, "batch_size": 128}
# Our recipe's size: the paper's 10-channel extractor under-fits FER2013 (public
# re-implementations stop at 47-52%); 64 channels with batch norm keep the same topology.
DEFAULT_ARCH = {"width": 64, "fc_width": 256, "batch_norm": True, "dropout": 0.5}
# helpers.training.recognizer's options as this CLI spells them, for its messages (a refused --resume)
FLAGS = {"lr": "--learning_rate", "batch_size": "--batch_size", "class_balance": "--class_balance",
         "run_dir": "--run_dir", "model_args": "--width/--fc_width/--no_batch_norm/--dropout"}


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m helpers.deep_emotion", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-s", "--setup", action="store_true", help="set up the dataset (parse once, write the cache)")
    add_data_argument(p)
    p.add_argument("-d", dest="data", help=argparse.SUPPRESS)
    p.add_argument("-t", "--train", action="store_true", help="train the model")
    p.add_argument("--hparams", action="store_true", help="use --epochs/--learning_rate/--batch_size instead of the defaults")
    number(p, "--epochs", kind=int, low=1, high=100_000, default=DEFAULT_HPARAMS["epochs"])
    number(p, "--learning_rate", kind=float, low=0, high=10, low_open=True, default=DEFAULT_HPARAMS["learning_rate"])
    number(p, "--batch_size", kind=int, low=1, high=65_536, default=DEFAULT_HPARAMS["batch_size"])
    number(p, "--width", kind=int, low=1, high=1_024, default=DEFAULT_ARCH["width"], help="conv channels (paper: 10)")
    number(p, "--fc_width", kind=int, low=1, high=4_096, default=DEFAULT_ARCH["fc_width"], help="dense units (paper: 50)")
    p.add_argument("--no_batch_norm", action="store_true", help="no batch norm (as in the paper)")
    number(p, "--dropout", kind=float, low=0, high=1, high_open=True, default=DEFAULT_ARCH["dropout"],
                   help="dropout on the extractor's last maps (paper: 0.5); has no weights, so --init may change it")
    p.add_argument("--init", metavar="KERAS", default=None,
                   help="start from a trained Deep-Emotion's weights (e.g. checkpoints/deep_emotion_fer2013.keras) "
                        "with a new schedule: a second training stage")
    number(p, "--class_balance", kind=float, low=0, high=1, default=0.0, metavar="POWER",
                   help="weight each expression's loss by count^-POWER (0: unweighted; 0.5: inverse square root)")
    p.add_argument("--run_dir", default="runs/deep_emotion")
    p.add_argument("--resume", action="store_true", help="continue --run_dir after a kill or --time_limit, with the same options")
    number(p, "--time_limit", kind=float, low=0, metavar="MINUTES", help=TIME_LIMIT_HELP)
    add_scale_out_arguments(p, BF16_HELP, sep="_")
    number(p, "--subset", kind=int, low=0, default=0, help="first N training images only (smoke runs)")
    args = p.parse_args(argv)
    if not (args.setup or args.train):
        p.error("nothing to do: pass --setup and/or --train")
    return args


def recognizer_arguments(args):
    """The :mod:`helpers.train_recognizer` arguments this front end's ``args`` stand for."""
    from helpers.train_recognizer import parse_args as recognizer_args

    hp = {"epochs": args.epochs, "learning_rate": args.learning_rate, "batch_size": args.batch_size} \
        if args.hparams else DEFAULT_HPARAMS
    arch = {"width": args.width, "fc_width": args.fc_width, "batch_norm": not args.no_batch_norm,
            "dropout": args.dropout}
    forwarded = ["--model", "deep_emotion", "--model-args", json.dumps(arch), "--epochs", str(hp["epochs"]),
                 "--lr", str(hp["learning_rate"]), "--batch-size", str(hp["batch_size"]), "--run-dir", args.run_dir]
    forwarded += ["--data", args.data] if args.data else []
    forwarded += ["--init", args.init] if args.init else []
    forwarded += ["--class-balance", str(args.class_balance)] if args.class_balance else []
    forwarded += ["--resume"] * args.resume + ["--jit-compile"] * args.jit_compile
    forwarded += ["--strategy", args.strategy] if args.strategy != "one" else []
    forwarded += ["--cpu-devices", str(args.cpu_devices)] if args.cpu_devices else []
    forwarded += ["--precision", args.precision] if args.precision != "float32" else []
    forwarded += ["--subset", str(args.subset)] if args.subset else []
    forwarded += ["--time-limit", str(args.time_limit)] if args.time_limit is not None else []
    recognizer = recognizer_args(forwarded)
    recognizer.flags = FLAGS
    return recognizer


def main(argv=None):
    args = parse_args(argv)
    if args.setup:
        from helpers.data.__main__ import main as describe

        describe([args.data] if args.data else [])
    if args.train:
        from helpers.training.recognizer import train

        print("best checkpoint:", train(recognizer_arguments(args)))


if __name__ == "__main__":
    run_cli(main)
