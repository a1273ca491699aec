"""Recognizer training: FER2013 Training, selection on PublicTest, checkpoints and resume. The
command's help describes the files a run writes; what the command does with a trained
recognizer (batch-norm recalibration, ensembles) is :mod:`.recognizer_release`."""
from __future__ import annotations

import json
import os
from dataclasses import field
from pathlib import Path
from typing import ClassVar

import numpy as np

from helpers.data import DATA_HELP
from helpers.errors import UserError
from helpers.expressions import NUM_EXPRESSIONS
from helpers.files import write_json, write_text
from helpers.options import command_for, config_class, group, option, record
from helpers.training.distribute import ScaleOut, chief_writes
from helpers.training.gan_pipeline import TIME_LIMIT_HELP

AUGMENTATIONS = {"full": {}, "light": {"rotation_deg": 0.0, "shift": 0.05, "zoom": 0.0, "erasing": 0.0}}
"""``--augment``: keyword overrides of :func:`helpers.data.pipelines.augmenter`'s defaults."""


@config_class
class RecognizerConfig:
    """A recognizer's training run: the network, the data, the schedule and its regularisers,
    where the run goes, where and in what precision it trains, and its seed."""

    COMMAND: ClassVar[str] = "-m helpers.train_recognizer"
    model: str = option("fer_vgg", "recognizer configuration (helpers.models.RECOGNIZERS)")
    model_args: str = option("{}", "JSON keyword arguments for the builder")
    data: str | None = option(None, DATA_HELP)
    epochs: int = option(30, low=1, high=100_000)
    batch_size: int = option(128, low=1, high=65_536)
    lr: float = option(0.02, "peak SGD learning rate (cosine schedule)", low=0, high=10, low_open=True)
    optimizer: str = option("sgd", choices=("sgd", "adam"))
    weight_decay: float = option(5e-4, low=0, high=1)
    warmup_epochs: float = option(1.0, low=0)
    label_smoothing: float = option(0.1, low=0, high=1, high_open=True)
    class_balance: float = option(0.0, "weight the loss of each expression by count**-POWER (0: none, 0.5: square "
                                       "root, 1: balanced)", low=0, high=1, metavar="POWER")
    init: str | None = option(None, "start from the weights of this trained recognizer (same --model), with a new "
                                    "schedule", metavar="KERAS")
    no_augment: bool = option(False)
    augment: str = option("full", "full: flips, rotations, shifts, zoom and random erasing; light: flips and small "
                                  "shifts only, for a last low-rate cycle that fits the clean faces the model is "
                                  "tested on", choices=tuple(AUGMENTATIONS))
    subset: int = option(0, "use only the first N training images (smoke runs)", low=0)
    run_dir: str = option("runs/recognizer")
    resume: bool = option(False, "continue RUN_DIR from its last completed epoch (after a kill or --time-limit), "
                                 "with the options it was started with", recorded=False)
    time_limit: float | None = option(None, TIME_LIMIT_HELP, kind=float, low=0, metavar="MINUTES", recorded=False)
    scale: ScaleOut = group(ScaleOut)
    seed: int = option(0, low=0, high=2**32 - 1)
    #: option -> the flag a front end (:mod:`helpers.training.deep_emotion`) spells it with, for messages
    flags: dict = field(default_factory=dict, repr=False, compare=False)


def completed_epochs(run_dir: Path) -> tuple[int, float]:
    """The number of epochs a run folder's ``last.keras`` has completed, and their wall time."""
    import pandas as pd

    if (run_dir / "last.json").exists():
        state = json.loads((run_dir / "last.json").read_text())
        return state["epoch"], state["wall_s"]
    history = pd.read_csv(run_dir / "history.csv")  # a run folder without last.json: its history counts
    return len(history), float(history["wall_s"].iloc[-1]) if len(history) else 0.0


def resume_state(run_dir: Path, epoch: int):
    """The model (with optimizer state) after ``epoch`` completed epochs (see
    :func:`completed_epochs`) and the best PublicTest accuracy so far; the history is cut back
    to that epoch so a kill between two writes never duplicates a row."""
    import keras
    import pandas as pd

    import helpers.models  # noqa: F401
    from helpers.training.callbacks import last_model_file

    model = keras.models.load_model(last_model_file(run_dir))
    history = pd.read_csv(run_dir / "history.csv")
    history = history[history["epoch"] < epoch]
    history.to_csv(run_dir / "history.csv", index=False)
    best = float(history["val_accuracy"].max()) if len(history) else None
    return model, best


def training_dataset(x: np.ndarray, y: np.ndarray, config: RecognizerConfig, first_epoch: int = 0):
    """The shuffled, augmented, one-hot training batches of a run that starts at epoch
    ``first_epoch``, after seeding Python, NumPy, TensorFlow and Keras (so also the dropout of
    a model built next) with ``config.seed + first_epoch``, as are the shuffle and augmentation.
    Every process starts its generators afresh: with the bare seed a resumed run would replay
    the order, augmentations and dropout of its first epoch instead of drawing new ones."""
    import keras

    from helpers.data.pipelines import augmenter, make_dataset

    seed = config.seed + first_epoch
    keras.utils.set_random_seed(seed)
    augment = None if config.no_augment else augmenter(seed=seed, **AUGMENTATIONS[config.augment])
    return make_dataset(x, np.eye(NUM_EXPRESSIONS, dtype="float32")[y], batch_size=config.batch_size, shuffle=True,
                        augment=augment, seed=seed)


def class_weights(labels: np.ndarray, power: float, num_classes: int = NUM_EXPRESSIONS) -> dict[int, float] | None:
    """Loss weights per class proportional to ``count ** -power``, scaled so that the mean weight
    over the training images is 1 (the loss keeps its scale). ``power`` 0 is no weighting (None),
    0.5 a square-root balance, 1 full balance. FER2013's Disgust is 1.5% of Training: with 0.5
    a Disgust face weighs 4.1 times a Happy one."""
    if power == 0:
        return None
    counts = np.bincount(labels, minlength=num_classes).astype("float64")
    if (counts == 0).any():
        raise UserError(f"class balance needs every expression in the training data; counts are {counts.astype(int).tolist()}")
    raw = counts ** -power
    raw *= counts.sum() / (counts * raw).sum()
    return {c: float(w) for c, w in enumerate(raw)}


def initialise_from(model, path: Path, run_dir: Path) -> None:
    """Copy the weights of a trained recognizer (same architecture) into ``model`` and keep its
    provenance file beside the run."""
    from helpers.inference.recognition import load_recognizer

    source = load_recognizer(path)
    try:
        model.set_weights(source.get_weights())
    except ValueError:
        raise UserError(f"{path} is not a {model.name} with these --model-args: "
                        "pass the --model and --model-args it was trained with") from None
    provenance = path.with_suffix(".json")
    if provenance.exists():
        write_text(run_dir / "init_provenance.json", provenance.read_text())


def flag(config: RecognizerConfig, name: str) -> str:
    """The command-line flag the user typed for option ``name`` (``lr`` -> ``--lr``, or the front end's own)."""
    return config.flags.get(name, "--" + name.replace("_", "-"))


# the options that fix a run's model, data and schedule: a resume must repeat them
RUN_OPTIONS = ("model", "model_args", "epochs", "batch_size", "lr", "optimizer", "weight_decay", "warmup_epochs",
               "label_smoothing", "class_balance", "init", "no_augment", "augment", "subset", "seed")


def check_resume_options(run_dir: Path, config: RecognizerConfig) -> dict:
    """Refuse to resume a run with other options than it was started with: the saved optimizer
    carries the old schedule (more --epochs would train at a learning rate of 0), and the history
    would mix two recipes. Returns the run's ``config.json`` (empty if it has none)."""
    path = run_dir / "config.json"
    if not path.exists():
        return {}
    saved, values = json.loads(path.read_text()), record(config)

    def same(key: str) -> bool:
        old, new = saved[key], values[key]
        if key == "model_args":
            return json.loads(old) == json.loads(new)
        if key == "init" and old and new:
            return os.path.normpath(old) == os.path.normpath(new)
        return old == new

    changed = [k for k in RUN_OPTIONS if k in saved and not same(k)]
    if changed:
        def listed(options):
            return ", ".join(f"{flag(config, k)} {options[k]}" for k in changed)
        raise UserError(f"{run_dir} was started with {listed(saved)}, not {listed(values)}: --resume continues "
                        f"a run with its own options (its command: {saved['command']}); to train on with new ones, "
                        f"start a new {flag(config, 'run_dir')} with --init {run_dir / 'best.keras'}")
    return saved


def check_resume_data(run_dir: Path, saved: dict, config: RecognizerConfig, fingerprint: str) -> None:
    """Refuse to resume a run on other faces than it was trained on (their ``fingerprint``
    against ``saved``, its ``config.json``; runs started before the fingerprint was recorded pass)."""
    if saved.get("data_fingerprint", fingerprint) != fingerprint:
        started_on = saved["data"] or "the default FER2013 (Data/fer2013.csv[.gz] or $FER2013_PATH)"
        raise UserError(f"{run_dir} was trained on other data than --data {config.data or '(default)'} gives "
                        f"(fingerprint {saved['data_fingerprint']}, not {fingerprint}): resume it on "
                        f"the data it was started with, {started_on}")


def write_run_config(run_dir: Path, config: RecognizerConfig, precision: str, fingerprint: str,
                     resumed_after: int) -> None:
    """The run's ``config.json``: its options and the command that started it, plus
    ``resumed_after_epochs``, the epochs after which it was continued with ``--resume`` (a
    resume of a finished run, which trains nothing, is not one), and ``data_fingerprint``
    (:func:`helpers.data.array_fingerprint` of its Training and PublicTest faces and labels)."""
    path = run_dir / "config.json"
    if resumed_after and path.exists():
        run = json.loads(path.read_text())
        run.pop("resume", None)  # written by versions before the command left --resume out
        if resumed_after < config.epochs:
            run["resumed_after_epochs"] = [*run.get("resumed_after_epochs", []), resumed_after]
    else:
        options = {k: v for k, v in record(config).items() if k != "resume"}
        run = {"command": command_for(config), **options, "precision": precision, "data_fingerprint": fingerprint,
               "resumed_after_epochs": []}
    write_json(path, run, indent=2)


def compiled_recognizer(config: RecognizerConfig, steps_per_epoch: int):
    """The ``--model`` of ``config``, compiled with its recipe: label-smoothed cross-entropy and
    SGD with Nesterov momentum (or AdamW) on a warm-up and cosine schedule over ``--epochs`` of
    ``steps_per_epoch``. Call it inside the strategy's scope; the trainer and the benchmark
    build it here."""
    import keras

    from helpers.models import build_recognizer

    model = build_recognizer(config.model, **json.loads(config.model_args))
    warmup = int(config.warmup_epochs * steps_per_epoch)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=max(1, config.epochs * steps_per_epoch - warmup), warmup_target=config.lr,
        warmup_steps=warmup)
    if config.optimizer == "sgd":
        opt = keras.optimizers.SGD(schedule, momentum=0.9, nesterov=True, weight_decay=config.weight_decay)
    else:
        opt = keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay)
    model.compile(optimizer=opt, loss=keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing),
                  metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")], jit_compile=config.scale.jit_compile)
    return model


@chief_writes("run_dir")
def train(config: RecognizerConfig) -> Path:
    """Train the recognizer of ``config``, choosing the epoch on PublicTest; returns the run's
    ``best.keras``."""
    import keras

    from helpers.data import array_fingerprint, load_dataset
    from helpers.data.pipelines import make_dataset
    from helpers.files import check_output_folder
    from helpers.training.callbacks import SaveLast, epoch_callbacks
    from helpers.training.distribute import make_strategy
    from helpers.training.precision import training_precision
    from helpers.training.worker_loop import fit

    strategy = make_strategy(config.scale)
    run_dir = check_output_folder(config.run_dir, flag(config, "run_dir"))
    if run_dir.exists() and (run_dir / "history.csv").exists() and not config.resume:
        raise UserError(f"{run_dir} already holds a run: pass --resume to continue it or choose another "
                        f"{flag(config, 'run_dir')}")
    resuming = config.resume and (run_dir / "last.keras").exists()
    saved = check_resume_options(run_dir, config) if resuming else {}
    initial_epoch, prior = completed_epochs(run_dir) if resuming else (0, 0.0)
    run_dir.mkdir(parents=True, exist_ok=True)

    splits = load_dataset(config.data)
    x_train, y_train = splits["Training"]
    x_val, y_val = splits["PublicTest"]
    if config.subset:
        x_train, y_train = x_train[: config.subset], y_train[: config.subset]
        x_val, y_val = x_val[: max(64, config.subset // 4)], y_val[: max(64, config.subset // 4)]
    fingerprint = array_fingerprint(x_train, y_train, x_val, y_val)
    if resuming:
        check_resume_data(run_dir, saved, config, fingerprint)
    train_ds = training_dataset(x_train, y_train, config, initial_epoch)  # seeds the model built next too
    val_ds = make_dataset(x_val, np.eye(NUM_EXPRESSIONS, dtype="float32")[y_val], batch_size=256)

    steps = int(np.ceil(len(x_train) / config.batch_size))
    best = None
    with training_precision(config.scale.precision) as precision:
        with strategy.scope():  # the model, its optimizer and metrics are the strategy's (mirrored) variables
            model = compiled_recognizer(config, steps)
            if resuming:
                model, best = resume_state(run_dir, initial_epoch)
                print(f"resuming {run_dir} after epoch {initial_epoch} ({prior:.0f} s of training so far)")
            elif config.init:
                initialise_from(model, Path(config.init), run_dir)
        weights = class_weights(y_train, config.class_balance)
        if weights:
            print("class weights:", {k: round(v, 2) for k, v in weights.items()})
        write_run_config(run_dir, config, precision, fingerprint, initial_epoch)
        saving = [keras.callbacks.ModelCheckpoint(str(run_dir / "best.keras"), monitor="val_accuracy", mode="max",
                                                  save_best_only=True, initial_value_threshold=best),
                  keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=True),
                  SaveLast(run_dir)]
        callbacks = epoch_callbacks(run_dir, wall=prior, time_limit=config.time_limit, saving=saving,
                                    kept=lambda: f"{run_dir / 'last.keras'} (its last good epoch)")
        fit(model, train_ds, validation_data=val_ds, epochs=config.epochs, initial_epoch=initial_epoch,
            callbacks=callbacks, class_weight=weights, verbose=2, shuffle=False)  # train_ds shuffles itself
    return run_dir / "best.keras"
