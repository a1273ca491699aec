"""Train a recognizer on FER2013 Training, select on PublicTest, with checkpoints and resume.

    python -m helpers.train_recognizer --model fer_vgg --epochs 30 --run-dir runs/fer_vgg --bf16
    python -m helpers.train_recognizer ... --resume          # continue after a kill
    python -m helpers.train_recognizer --export runs/fer_vgg/best.keras --out checkpoints/recognizer_fer2013.keras

Every epoch writes ``last.keras`` (for resume, with optimizer state and the epoch), ``best.keras``
(best PublicTest accuracy) and appends to ``history.csv`` (with the wall time).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .cli import UserError, add_data_argument, run_cli


class EpochClock:
    """A Keras callback that adds the cumulative training wall time (s) to the logs."""

    def __init__(self, start: float = 0.0):
        import keras

        outer = self

        class _Clock(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                outer._t0 = time.time()

            def on_epoch_end(self, epoch, logs=None):
                outer.total += time.time() - outer._t0
                if logs is not None:
                    logs["wall_s"] = round(outer.total, 1)

        self.total = start
        self.callback = _Clock()


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m helpers.train_recognizer", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="fer_vgg", help="recognizer configuration (helpers.models.RECOGNIZERS)")
    p.add_argument("--model-args", default="{}", help="JSON keyword arguments for the builder")
    add_data_argument(p)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.02, help="peak SGD learning rate (cosine schedule)")
    p.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd")
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--warmup-epochs", type=float, default=1.0)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--subset", type=int, default=0, help="use only the first N training images (smoke runs)")
    p.add_argument("--run-dir", default="runs/recognizer")
    p.add_argument("--resume", action="store_true", help="continue from RUN_DIR/backup after a kill")
    p.add_argument("--bf16", action="store_true", help="mixed_bfloat16 (about 2x faster on AMX/AVX-512 CPUs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--export", metavar="KERAS", help="instead of training: re-save KERAS in float32 to --out")
    p.add_argument("--out", default="checkpoints/recognizer_fer2013.keras")
    return p.parse_args(argv)


def train(args) -> Path:
    import keras
    import numpy as np

    from .data import load_dataset
    from .models import build_recognizer
    from .tfdata import augmenter, make_dataset

    run_dir = Path(args.run_dir)
    if run_dir.exists() and (run_dir / "history.csv").exists() and not args.resume:
        raise UserError(f"{run_dir} already holds a run: pass --resume to continue it or choose another --run-dir")
    run_dir.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(args.seed)
    if args.bf16:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")

    splits = load_dataset(args.data)
    x_train, y_train = splits["Training"]
    x_val, y_val = splits["PublicTest"]
    if args.subset:
        x_train, y_train = x_train[: args.subset], y_train[: args.subset]
        x_val, y_val = x_val[: max(64, args.subset // 4)], y_val[: max(64, args.subset // 4)]
    augment = None if args.no_augment else augmenter(seed=args.seed)
    one_hot = np.eye(7, dtype="float32")
    train_ds = make_dataset(x_train, one_hot[y_train], batch_size=args.batch_size, shuffle=True,
                            augment=augment, seed=args.seed)
    val_ds = make_dataset(x_val, one_hot[y_val], batch_size=256)

    model = build_recognizer(args.model, **json.loads(args.model_args))
    steps = int(np.ceil(len(x_train) / args.batch_size))
    warmup = int(args.warmup_epochs * steps)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=max(1, args.epochs * steps - warmup), warmup_target=args.lr, warmup_steps=warmup)
    if args.optimizer == "sgd":
        opt = keras.optimizers.SGD(schedule, momentum=0.9, nesterov=True, weight_decay=args.weight_decay)
    else:
        opt = keras.optimizers.AdamW(schedule, weight_decay=args.weight_decay)
    model.compile(optimizer=opt, loss=keras.losses.CategoricalCrossentropy(label_smoothing=args.label_smoothing),
                  metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")])

    (run_dir / "config.json").write_text(json.dumps({"command": "python -m helpers.train_recognizer " + " ".join(sys.argv[1:]), **vars(args)}, indent=2))
    prior = 0.0
    if (run_dir / "history.csv").exists():
        import pandas as pd

        hist = pd.read_csv(run_dir / "history.csv")
        prior = float(hist["wall_s"].iloc[-1]) if len(hist) else 0.0
    clock = EpochClock(prior)
    callbacks = [
        keras.callbacks.BackupAndRestore(str(run_dir / "backup")),
        clock.callback,
        keras.callbacks.ModelCheckpoint(str(run_dir / "best.keras"), monitor="val_accuracy", mode="max",
                                        save_best_only=True),
        keras.callbacks.ModelCheckpoint(str(run_dir / "last.keras")),
        keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=True),
        keras.callbacks.TerminateOnNaN(),
    ]
    model.fit(train_ds, validation_data=val_ds, epochs=args.epochs, callbacks=callbacks, verbose=2)
    return run_dir / "best.keras"


def export(src: str, out: str) -> Path:
    """Re-save a (possibly mixed-precision) checkpoint as a float32 model without optimizer state."""
    import keras

    import helpers  # noqa: F401  (registers custom layers)

    if not Path(src).exists():
        raise UserError(f"{src} does not exist")
    trained = keras.models.load_model(src, compile=False, safe_mode=False)
    config = trained.get_config()
    keras.mixed_precision.set_global_policy("float32")
    for layer in config["layers"]:
        if isinstance(layer.get("config", {}).get("dtype"), dict):
            layer["config"]["dtype"] = "float32"
    clean = keras.Model.from_config(config)
    clean.set_weights(trained.get_weights())
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    clean.save(out)
    return Path(out)


def main(argv=None):
    args = parse_args(argv)
    if args.export:
        print("exported", export(args.export, args.out))
    else:
        print("best checkpoint:", train(args))


if __name__ == "__main__":
    run_cli(main)
