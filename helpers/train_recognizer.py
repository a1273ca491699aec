r"""Train a recognizer on FER2013 Training, select on PublicTest, with checkpoints and resume.

    python -m helpers.train_recognizer --model fer_vgg --epochs 30 --run-dir runs/fer_vgg --bf16
    python -m helpers.train_recognizer ... --resume          # continue after a kill or --time-limit
    python -m helpers.train_recognizer --init checkpoints/recognizer_fer2013.keras --epochs 32 --lr 0.015 \
        --warmup-epochs 0.5 --class-balance 0.5 --run-dir runs/fer_vgg_stage2 --bf16   # a second stage
    python -m helpers.train_recognizer --init checkpoints/recognizer_fer2013.keras --epochs 16 --lr 0.005 \
        --warmup-epochs 0.3 --class-balance 0.5 --augment light --run-dir runs/fer_vgg_stage4 --bf16  # a last, lighter cycle
    python -m helpers.train_recognizer --export runs/fer_vgg/best.keras --out checkpoints/recognizer_fer2013.keras --overwrite
    python -m helpers.train_recognizer --recalibrate-bn checkpoints/recognizer_fer2013.keras \
        --out checkpoints/recognizer_fer2013.keras --overwrite   # batch-norm statistics of clean faces
    python -m helpers.train_recognizer --ensemble checkpoints/recognizer_fer2013.keras runs/b.keras --out runs/ensemble.keras

Every epoch writes ``last.keras`` + ``last.json`` (for resume: optimizer state and the number of
completed epochs), ``best.keras`` (best PublicTest accuracy) and a row of ``history.csv`` (with
the cumulative wall time). ``--resume`` continues with the options and on the faces the run was
started with (the learning-rate schedule is part of the saved optimizer); training on with new
ones is a new run from ``best.keras`` with ``--init``. A resumed run draws new shuffles,
augmentations and dropout masks (seeded with ``--seed`` plus the completed epochs) rather than
replaying its first epoch's, so it is not bit-identical to an uninterrupted run. A run started
with ``--init`` keeps a copy of that model's provenance (``init_provenance.json``) so the exported
model's history covers every stage.

``--recalibrate-bn`` re-estimates a trained model's batch-norm statistics on the un-augmented
Training split with dropout off (:mod:`helpers.training.precise_bn`), prints PublicTest accuracy before
and after, and records both beside ``--out``.

``--ensemble`` joins released recognizers into one (:func:`helpers.models.recognizer_ensemble`:
their features concatenated, their logits averaged), stored with float16 weight matrices
(:func:`helpers.models.release.save_float16`) so that two FER-native VGGs fit in 10 MB; it prints
the PublicTest accuracy of each member and of the ensemble and records them, with every
member's provenance, beside ``--out``.
"""
from __future__ import annotations

import argparse
import sys

from helpers.arguments import SEED, number
from helpers.cli import BF16_HELP, TIME_LIMIT_HELP, OneLineParser, add_data_argument, command_line, run_cli
from helpers.training.distribute import add_scale_out_arguments
from helpers.training.recognizer import AUGMENTATIONS, ensemble, recalibrate, train


def parse_args(argv=None):
    p = OneLineParser(prog="python -m helpers.train_recognizer", description=__doc__, allow_abbrev=False,
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="fer_vgg", help="recognizer configuration (helpers.models.RECOGNIZERS)")
    p.add_argument("--model-args", default="{}", help="JSON keyword arguments for the builder")
    add_data_argument(p)
    number(p, "--epochs", kind=int, low=1, high=100_000, default=30)
    number(p, "--batch-size", kind=int, low=1, high=65_536, default=128)
    number(p, "--lr", kind=float, low=0, high=10, low_open=True, default=0.02, help="peak SGD learning rate (cosine schedule)")
    p.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd")
    number(p, "--weight-decay", kind=float, low=0, high=1, default=5e-4)
    number(p, "--warmup-epochs", kind=float, low=0, default=1.0)
    number(p, "--label-smoothing", kind=float, low=0, high=1, high_open=True, default=0.1)
    number(p, "--class-balance", kind=float, low=0, high=1, default=0.0, metavar="POWER",
                   help="weight the loss of each expression by count**-POWER (0: none, 0.5: square root, 1: balanced)")
    p.add_argument("--init", metavar="KERAS",
                   help="start from the weights of this trained recognizer (same --model), with a new schedule")
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--augment", choices=tuple(AUGMENTATIONS), default="full",
                   help="full: flips, rotations, shifts, zoom and random erasing; light: flips and small shifts "
                        "only, for a last low-rate cycle that fits the clean faces the model is tested on")
    number(p, "--subset", kind=int, low=0, default=0, help="use only the first N training images (smoke runs)")
    p.add_argument("--run-dir", default="runs/recognizer")
    p.add_argument("--resume", action="store_true",
                   help="continue RUN_DIR from its last completed epoch (after a kill or --time-limit), with the options it was started with")
    number(p, "--time-limit", kind=float, low=0, metavar="MINUTES", help=TIME_LIMIT_HELP)
    add_scale_out_arguments(p, BF16_HELP)
    p.add_argument("--seed", type=SEED, default=0, help="0 to 4,294,967,295")
    mode = p.add_mutually_exclusive_group()  # training is the default; each of these replaces it
    number(mode, "--benchmark", kind=int, low=0, metavar="STEPS", default=0,
                      help="instead of training: time STEPS training steps of the recipe on random faces, after 2 "
                           "untimed ones, and print images/s (python -m helpers.benchmark: every trainer)")
    mode.add_argument("--export", metavar="KERAS", help="instead of training: re-save KERAS in float32 to --out")
    mode.add_argument("--recalibrate-bn", metavar="KERAS",
                      help="instead of training: re-estimate KERAS's batch-norm statistics on clean Training faces "
                           "and save to --out (see helpers.training.precise_bn)")
    mode.add_argument("--ensemble", metavar="KERAS", nargs="+",
                      help="instead of training: one recognizer from these (features concatenated, logits averaged), "
                           "saved with float16 weights to --out")
    p.add_argument("--out", default="checkpoints/recognizer_fer2013.keras",
                   help="where --export, --recalibrate-bn and --ensemble save (a new file)")
    p.add_argument("--overwrite", action="store_true", help="let --out replace a file that exists")
    args = p.parse_args(argv)
    # the command that reproduces this run, also when train() is called from a notebook; without
    # --resume, which changes nothing on an empty run folder (the run's config.json lists its resumes)
    argv = sys.argv[1:] if argv is None else argv
    args.command = command_line("-m helpers.train_recognizer", [a for a in argv if a != "--resume"])
    args.flags = {}  # option -> the flag a front end (helpers.deep_emotion) spells it with, for messages
    return args


def main(argv=None):
    from helpers.files import check_output_file, check_output_folder
    from helpers.models.release import export_model

    args = parse_args(argv)
    if args.export or args.recalibrate_bn or args.ensemble:
        check_output_file(args.out, args.overwrite, "--out")
    elif not args.benchmark:
        check_output_folder(args.run_dir, "--run-dir")
    if args.benchmark:
        from helpers.training.benchmark import measure

        row = measure(args.model, args, warmup=2, steps=args.benchmark)
        print(f"{row.trainer} {row.precision} batch {row.batch_size}: {row.images_per_s:.0f} images/s")
    elif args.recalibrate_bn:
        print("recalibrated", recalibrate(args))
    elif args.ensemble:
        print("ensemble", ensemble(args))
    elif args.export:
        print("exported", export_model(args.export, args.out))
    else:
        print("best checkpoint:", train(args))


if __name__ == "__main__":
    run_cli(main)
