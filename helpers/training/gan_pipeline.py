"""The one path every GAN trainer takes: Training faces -> a seeded tf.data pipeline -> the
networks, compiled -> resume (or continue a release) -> ``fit`` with the shared callbacks -> a
release after every epoch. A trainer (:mod:`.sngan`, :mod:`.cwgan`, :mod:`.dcgan`, :mod:`.ccyclegan`)
states only what differs: its config's options, its networks and losses, its sample grid and what
its release records.

A run folder ``CKPT/`` holds the release (``generator.keras`` + ``config.json``, and the
discriminator's weights for ``--init``) and ``CKPT/training/``: ``ckpt-NNNN/`` (the last
``--keep`` epochs, for ``--resume``), ``history.json``, ``tensorboard/`` and ``samples/``."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, ClassVar

import numpy as np

from helpers.data import DATA_HELP
from helpers.errors import UserError
from helpers.options import command_for, config_class, group, option, record
from helpers.training.distribute import ScaleOut
from helpers.training.gan_release import release_callback, save_litert_release

TIME_LIMIT_HELP = ("stop at an epoch's end when another would not end within MINUTES (a session or Colab limit); "
                   "--resume continues")


@config_class
class GANTrainingConfig:
    """What every GAN trainer takes: its data, how long and where it trains, what it keeps, where
    and in what precision it runs, and its seed. Each trainer's config adds its networks' and
    losses' options, its own ``warm_start`` group (``--init``, worded for its release) and its own
    defaults for ``epochs``, ``batch_size`` and ``ckpt_dir``."""

    COMMAND: ClassVar[str]
    data: str | None = option(None, DATA_HELP)
    epochs: int = option(50, low=1, high=100_000)
    batch_size: int = option(64, "images per step", low=1, high=65_536)
    ckpt_dir: str = option("runs/gan", "where checkpoints, logs, samples and the release go")
    resume: bool = option(False, "continue from the newest checkpoint in --ckpt-dir (after a kill, or for more --epochs)",
                          recorded=False)
    time_limit: float | None = option(None, TIME_LIMIT_HELP, kind=float, low=0, metavar="MINUTES", recorded=False)
    sample_every: int = option(1, "write the fixed-seed sample grid every N epochs", low=1)
    keep: int = option(3, "training checkpoints to keep", low=1, high=1_000)
    snapshot_every: int = option(0, "also keep the generator of every N-th epoch as a loadable checkpoint in "
                                    "<ckpt-dir>/training/generators/epoch_NNNN/ (for metrics over training; 0: off)",
                                 low=0, metavar="N")
    subset: int = option(0, "first N training images only (smoke runs)", low=0)
    scale: ScaleOut = group(ScaleOut)
    seed: int = option(0, low=0, high=2**32 - 1)


@config_class
class WarmStart:
    """``--init``: continue a release with new optimizers, from the discriminator saved with it or
    from a fresh one warmed up alone first. A trainer that offers it documents it in its own words."""

    init: str | None = option(None, "continue a release", metavar="RELEASE")
    fresh_discriminator: bool = option(False, "with --init: start the discriminator afresh, with the warm-up, even "
                                              "where the release saved one")
    d_warmup_epochs: float = option(1.0, "with --init of a release without discriminator.weights.h5: epochs of "
                                         "discriminator-only updates before the generator trains", low=0, high=1_000)

def provenance(config: GANTrainingConfig, precision: str) -> dict:
    """What a release records of the run that made it: the command that reproduces it and every
    option, with the precision it trained in (``auto`` resolved)."""
    return {"command": command_for(config), "train_args": {**record(config), "precision": precision}}


def begin_run(config: GANTrainingConfig) -> int:
    """Check ``--ckpt-dir`` before any work (:func:`check_ckpt_dir`), seed Python, NumPy,
    TensorFlow and Keras, and return the seed for the run's data stream: ``--seed`` plus the
    epochs of the newest checkpoint when resuming. Every process starts its generators afresh, so
    with the bare seed a resumed run would replay the batches and the noise of its first epochs
    instead of drawing new ones."""
    import keras

    found = check_ckpt_dir(config)
    stream_seed = config.seed + (json.loads((found[-1] / "state.json").read_text())["epoch"] if found else 0)
    keras.utils.set_random_seed(stream_seed)
    return stream_seed


def check_ckpt_dir(config: GANTrainingConfig) -> list[Path]:
    """The checkpoints that ``--resume`` continues in ``--ckpt-dir`` (none: the run starts
    afresh), after checking that the folder can be written and that the run replaces nothing:
    a fresh start refuses a folder that holds checkpoints or a release it did not start."""
    from helpers.files import check_output_folder, remove_leftovers
    from helpers.training.callbacks import checkpoint_folders

    ckpt_dir = check_output_folder(config.ckpt_dir, "--ckpt-dir")
    found = checkpoint_folders(ckpt_dir / "training")
    if found and not config.resume:
        raise UserError(f"{ckpt_dir / 'training'} already holds checkpoints: pass --resume to continue, "
                        "or choose another --ckpt-dir")
    if not found:
        refuse_a_release_it_did_not_start(ckpt_dir, config.warm_start.init)
    else:  # a run killed while writing left its temporary files: this run owns them
        for folder in (ckpt_dir, ckpt_dir / "training"):
            remove_leftovers(folder)
    return found if config.resume else []


def training_faces(config: GANTrainingConfig, expressions=None) -> tuple[np.ndarray, np.ndarray]:
    """The Training faces and labels of ``--data`` (only ``expressions`` if given), the first
    ``--subset`` of them for a smoke run; refused when fewer than one batch remain."""
    from helpers.data import load_dataset

    x, y = load_dataset(config.data)["Training"]
    if expressions is not None:
        keep = np.isin(y, expressions)
        x, y = x[keep], y[keep]
    if config.subset:
        x, y = x[: config.subset], y[: config.subset]
    if len(x) < config.batch_size:
        raise UserError(f"only {len(x)} training images; lower --batch-size below {config.batch_size}")
    return x, y


def gan_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int):
    """``(uint8 faces, labels)`` batches, reshuffled every epoch from ``seed``; whole batches only."""
    import tensorflow as tf

    return (tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed)
            .batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE))


def sample_grid_fn(gan, rows, noise_dim: int, output: str = "tanh", per_row: int = 8, seed: int = 1234):
    """A ``sample(epoch, path)`` writing ``per_row`` faces for each expression of ``rows`` from
    the same fixed noise every epoch, so that grids of successive epochs compare."""
    from helpers.data.images import save_png, tile
    from helpers.data.pixels import to_uint8

    noise = np.random.default_rng(seed).standard_normal((len(rows) * per_row, noise_dim)).astype(np.float32)
    labels = np.repeat(np.asarray(rows, np.int32), per_row)

    def sample(epoch, path):
        save_png(tile(to_uint8(gan((noise, labels), training=False), output), cols=per_row), path, scale=2)

    return sample


@dataclass
class GANRun:
    """What a trainer hands to :func:`fit_gan`.

    ``gan``: a compiled :class:`helpers.gans.adversarial.AdversarialModel`, built;
    ``release_config``: what the release's ``config.json`` records (the epoch is added);
    ``sample(epoch, path)``: the fixed-seed grid; ``discriminator_name``: the discriminator's
    name in checkpoints; ``warm_start()``: for a run that continues a release, returns its
    epoch and wall time after loading it; ``steps_per_epoch``: for an endless (resampled) dataset."""

    gan: object
    release_config: dict
    sample: Callable
    discriminator_name: str = "discriminator"
    warm_start: Callable | None = None
    steps_per_epoch: int | None = None


def refuse_a_release_it_did_not_start(ckpt_dir: Path, init: str | None) -> None:
    """A run that starts afresh in ``ckpt_dir`` (no checkpoint of its own to resume) would replace
    a release there, such as a shipped model: refused, unless ``--init`` names that release as
    the one it continues."""
    from helpers.inference.generators import CONFIG, MODEL

    held = [name for name in (MODEL, CONFIG) if (ckpt_dir / name).exists()]
    if held and not (init and Path(init).resolve() == ckpt_dir.resolve()):
        raise UserError(f"{ckpt_dir} holds a release ({held[0]}) that this run did not start, and it would be replaced: "
                        f"choose another --ckpt-dir (to continue it: --init {ckpt_dir} --ckpt-dir NEW_FOLDER)")


def fit_gan(run: GANRun, dataset, config: GANTrainingConfig) -> Path:
    """Train ``run.gan`` on ``dataset`` up to ``--epochs`` with Keras ``fit``: resumed from the
    newest checkpoint with ``--resume`` (keeping the ``init`` lineage its release config records),
    or warm-started from a release; after every epoch the NaN guard, a checkpoint, a history
    row, TensorBoard scalars, the sample grid (every ``--sample-every`` epochs) and the release;
    stopped early by ``--time-limit`` (on several machines, through
    :func:`helpers.training.worker_loop.fit`). A run that reaches ``--epochs`` also exports the release's
    LiteRT twin (an export takes seconds, so not every epoch; until then the release has none).
    Returns the release folder ``--ckpt-dir``."""
    from helpers.training.callbacks import EpochHistory, GANCheckpoints, SampleGrid, epoch_callbacks
    from helpers.training.worker_loop import fit

    gan, ckpt_dir = run.gan, Path(config.ckpt_dir)
    run_dir = ckpt_dir / "training"
    checkpoints = GANCheckpoints(run_dir, gan.checkpointed(run.discriminator_name),
                                 {"generator": gan.g_optimizer, run.discriminator_name: gan.d_optimizer}, keep=config.keep)
    start, wall = 0, 0.0
    if config.resume:
        state = checkpoints.restore()
        if state is not None:
            start, wall = state["epoch"], state["wall_s"]
            print(f"resumed {run_dir} at epoch {start}")
        saved = ckpt_dir / "config.json"
        if "init" not in run.release_config and saved.exists():  # resumed without repeating --init: the lineage stays
            lineage = json.loads(saved.read_text()).get("init")
            if lineage is not None:
                run.release_config["init"] = lineage
    if start == 0 and run.warm_start is not None:
        start, wall = run.warm_start()
    # the history row and the grid first, the checkpoint next: a kill between them repeats the
    # epoch (its row replaced), where the other order would lose the epoch's row
    saving = [EpochHistory(run_dir / "history.json"), SampleGrid(run.sample, run_dir / "samples", config.sample_every),
              checkpoints, release_callback(ckpt_dir, gan, run.release_config, config.snapshot_every)]
    callbacks = epoch_callbacks(run_dir, wall=wall, time_limit=config.time_limit, kept=checkpoints.describe_last,
                                saving=saving)
    history = fit(gan, dataset, epochs=config.epochs, initial_epoch=start, steps_per_epoch=run.steps_per_epoch,
                  callbacks=callbacks, verbose=2, shuffle=False)
    if history.epoch and history.epoch[-1] + 1 == config.epochs:
        save_litert_release(ckpt_dir)
    return ckpt_dir
