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

from helpers.arguments import number
from helpers.cli import config_parser, run_cli
from helpers.options import from_flat
from helpers.training.recognizer import RecognizerConfig, train
from helpers.training.recognizer_release import ensemble, recalibrate


def parse_args(argv=None):
    p = config_parser(RecognizerConfig, __doc__, prog="python -m helpers.train_recognizer", allow_abbrev=False)
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
    return p.parse_args(argv)


def main(argv=None):
    from helpers.files import check_output_file

    args = parse_args(argv)
    config = from_flat(RecognizerConfig, vars(args))
    if args.export or args.recalibrate_bn or args.ensemble:
        check_output_file(args.out, args.overwrite, "--out")
    if args.benchmark:
        from helpers.training.throughput import measure

        row = measure("recognizer", config, warmup=2, steps=args.benchmark)
        print(f"{config.model} {row.precision} batch {row.batch_size}: {row.images_per_s:.0f} images/s")
    elif args.recalibrate_bn:
        print("recalibrated", recalibrate(args.recalibrate_bn, args.out, config.data, config.subset, config.batch_size,
                                          config.seed))
    elif args.ensemble:
        print("ensemble", ensemble(args.ensemble, args.out, config.data))
    elif args.export:
        from helpers.models.release import export_model

        print("exported", export_model(args.export, args.out))
    else:
        print("best checkpoint:", train(config))


if __name__ == "__main__":
    run_cli(main)
