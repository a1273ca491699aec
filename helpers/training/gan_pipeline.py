"""The one path every GAN trainer takes: Training faces -> a seeded tf.data pipeline -> the
networks, compiled -> resume (or continue a release) -> ``fit`` with the shared callbacks -> a
release after every epoch. A trainer (:mod:`.cwgan`, :mod:`.dcgan`, :mod:`.ccyclegan`) states only
what differs: its networks and losses, its sample grid and what its release records.

A run folder ``CKPT/`` holds the release (``generator.keras`` + ``config.json``, and the
discriminator's weights for ``--init``) and ``CKPT/training/``: ``ckpt-NNNN/`` (the last
``--keep`` epochs, for ``--resume``), ``history.json``, ``tensorboard/`` and ``samples/``."""
from __future__ import annotations

import json
import math
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from helpers.errors import UserError
from helpers.files import atomic_path, write_json

DISCRIMINATOR = "discriminator.weights.h5"


def begin_run(args) -> int:
    """Check ``--ckpt-dir`` before any work (:func:`check_ckpt_dir`), seed Python, NumPy,
    TensorFlow and Keras, and return the seed for the run's data stream: ``--seed`` plus the
    epochs of the newest checkpoint when resuming. Every process starts its generators afresh, so
    with the bare seed a resumed run would replay the batches and the noise of its first epochs
    instead of drawing new ones."""
    import keras

    found = check_ckpt_dir(args)
    stream_seed = args.seed + (json.loads((found[-1] / "state.json").read_text())["epoch"] if found else 0)
    keras.utils.set_random_seed(stream_seed)
    return stream_seed


def check_ckpt_dir(args) -> list[Path]:
    """The checkpoints that ``--resume`` continues in ``--ckpt-dir`` (none: the run starts
    afresh), after checking that the folder can be written and that the run replaces nothing:
    a fresh start refuses a folder that holds checkpoints or a release it did not start."""
    from helpers.files import check_output_folder, remove_leftovers
    from helpers.training.callbacks import checkpoint_folders

    ckpt_dir = check_output_folder(args.ckpt_dir, "--ckpt-dir")
    found = checkpoint_folders(ckpt_dir / "training")
    if found and not args.resume:
        raise UserError(f"{ckpt_dir / 'training'} already holds checkpoints: pass --resume to continue, "
                        "or choose another --ckpt-dir")
    if not found:
        refuse_a_release_it_did_not_start(ckpt_dir, getattr(args, "init", None))
    else:  # a run killed while writing left its temporary files: this run owns them
        for folder in (ckpt_dir, ckpt_dir / "training"):
            remove_leftovers(folder)
    return found if args.resume else []


def training_faces(args, expressions=None) -> tuple[np.ndarray, np.ndarray]:
    """The Training faces and labels of ``--data`` (only ``expressions`` if given), the first
    ``--subset`` of them for a smoke run; refused when fewer than one batch remain."""
    from helpers.data import load_dataset

    x, y = load_dataset(args.data)["Training"]
    if expressions is not None:
        keep = np.isin(y, expressions)
        x, y = x[keep], y[keep]
    if args.subset:
        x, y = x[: args.subset], y[: args.subset]
    if len(x) < args.batch_size:
        raise UserError(f"only {len(x)} training images; lower --batch-size below {args.batch_size}")
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


def save_discriminator(directory: Path, discriminator) -> None:
    """The discriminator's (or critic's) weights next to a release's generator (atomically
    replaced), so that ``--init`` can continue the release with the one it was trained against."""
    with atomic_path(Path(directory) / DISCRIMINATOR) as tmp:
        discriminator.save_weights(tmp)


def check_init_epochs(parent, epochs: int) -> None:
    """Epochs count on from a released generator's epoch, so ``--epochs`` (the epoch to stop at)
    must be larger."""
    if epochs <= int(parent.config.get("epoch", 0)):
        raise UserError(f"--init {parent.path} is epoch {parent.config.get('epoch')}; epochs count on from it, "
                        f"so --epochs must be larger (it is the epoch to stop at)")


def init_discriminator(parent, fresh: bool) -> str:
    """How a run that continues ``parent`` starts its discriminator, as its release records it
    (``config["init"]["discriminator"]``, which :mod:`helpers.training.recipes` replays): from
    the release's saved weights, or fresh with a warm-up (``--fresh-discriminator``, or a release
    that kept none)."""
    from helpers.inference.generators import checkpoint_folder

    return "from release" if not fresh and (checkpoint_folder(parent.path) / DISCRIMINATOR).exists() else "fresh"


def release_warm_start_fn(parent, gan, dataset, history_path: Path, warmup_epochs: float, fresh: bool = False,
                          new_head: bool = False):
    """A run's ``warm_start`` for ``--init``: copy the release's generator and the discriminator
    it was trained against (or, for a release without one or with ``fresh``, warm up a fresh
    discriminator alone with ``gan.warm_up_discriminator``), carry over the release's history,
    and return the release's epoch and wall time (plus the warm-up's). With ``new_head`` the
    run's discriminator has an expression head the release's lacks: every other weight is
    copied, and the head is warmed up as a fresh discriminator would be."""
    import tensorflow as tf
    from tqdm.auto import tqdm

    from helpers.inference.generators import checkpoint_folder

    def warm_start() -> tuple[int, float]:
        t0 = time.time()
        gan.generator.set_weights(parent.model.get_weights())
        epoch, wall = int(parent.config.get("epoch", 0)), 0.0
        folder = checkpoint_folder(parent.path)
        if (folder / "training" / "history.json").exists():
            rows = [r for r in json.loads((folder / "training" / "history.json").read_text()) if r["epoch"] <= epoch]
            write_json(history_path, rows, indent=0)
            wall = float(rows[-1].get("wall_s", 0.0)) if rows else 0.0
        if init_discriminator(parent, fresh) == "from release":
            try:
                with warnings.catch_warnings():  # with new_head, Keras warns of the head it could not load
                    warnings.simplefilter("ignore")
                    gan.discriminator.load_weights(folder / DISCRIMINATOR, skip_mismatch=new_head)
            except ValueError as exc:
                raise UserError(f"{folder / DISCRIMINATOR} does not fit this run's discriminator ({str(exc)[:100]}): "
                                "pass the options the release was trained with") from None
            if not new_head:
                print(f"generator and discriminator from {parent.path} (epoch {epoch})", flush=True)
                return epoch, wall
        steps = math.ceil(warmup_epochs * int(dataset.cardinality()))
        step = tf.function(gan.warm_up_discriminator)
        bar = tqdm(dataset.repeat().take(steps), total=steps, desc="discriminator warm-up", mininterval=10)
        losses = {}
        for i, (images, labels) in enumerate(bar):
            losses = step(images, labels)
            if i % 50 == 0:
                bar.set_postfix({k: f"{float(v):.3f}" for k, v in losses.items()})
        start = "a new expression head on its discriminator" if new_head else "a fresh discriminator"
        print(f"generator from {parent.path} (epoch {epoch}), {start}; {steps} discriminator-only "
              "steps, last " + " ".join(f"{k} {float(v):.4f}" for k, v in losses.items()), flush=True)
        return epoch, wall + time.time() - t0

    return warm_start


def continue_release(parent, args, gan, dataset, config: dict, recorded=("epoch", "command", "init"),
                     new_head: bool = False):
    """``--init``: record in ``config["init"]`` which release the run continues (with the
    release's ``recorded`` config entries, and how its discriminator starts), and return the
    run's ``warm_start`` (:func:`release_warm_start_fn`; ``new_head``: the run's discriminator
    adds an expression head to the release's)."""
    start = init_discriminator(parent, args.fresh_discriminator)
    new_head = new_head and start == "from release"
    config["init"] = {"release": args.init, **{k: parent.config.get(k) for k in recorded},
                      "discriminator": start + (", with a new expression head" if new_head else "")}
    return release_warm_start_fn(parent, gan, dataset, Path(args.ckpt_dir) / "training" / "history.json",
                                 args.d_warmup_epochs, args.fresh_discriminator, new_head)


@dataclass
class GANRun:
    """What a trainer hands to :func:`fit_gan`.

    ``gan``: a compiled :class:`helpers.gans.adversarial.AdversarialModel`, built;
    ``release_config``: what the release's ``config.json`` records (the epoch is added);
    ``sample(epoch, path)``: the fixed-seed grid; ``discriminator_name``: the discriminator's
    name in checkpoints; ``release_discriminator``: whether a release keeps its weights (for
    ``--init``); ``warm_start()``: for a run that continues a release, returns its epoch and
    wall time after loading it; ``steps_per_epoch``: for an endless (resampled) dataset."""

    gan: object
    release_config: dict
    sample: Callable
    discriminator_name: str = "discriminator"
    release_discriminator: bool = True
    warm_start: Callable | None = None
    steps_per_epoch: int | None = None


def release_callback(ckpt_dir: Path, run: GANRun, snapshot_every: int):
    """After each epoch: the release in ``ckpt_dir`` (and every ``snapshot_every``-th snapshot,
    see :func:`helpers.inference.generators.release_epoch`), with the discriminator beside it."""
    import keras

    from helpers.inference.generators import release_epoch

    def release(epoch, logs=None):
        for folder in release_epoch(ckpt_dir, run.gan.release_generator, run.release_config, epoch + 1, snapshot_every):
            if run.release_discriminator:
                save_discriminator(folder, run.gan.discriminator)

    return keras.callbacks.LambdaCallback(on_epoch_end=release)


def refuse_a_release_it_did_not_start(ckpt_dir: Path, init: str | None) -> None:
    """A run that starts afresh in ``ckpt_dir`` (no checkpoint of its own to resume) would replace
    a release there, such as a shipped model: refused, unless ``--init`` names that release as
    the one it continues."""
    from helpers.inference.generators import CONFIG, MODEL

    held = [name for name in (MODEL, CONFIG) if (ckpt_dir / name).exists()]
    if held and not (init and Path(init).resolve() == ckpt_dir.resolve()):
        raise UserError(f"{ckpt_dir} holds a release ({held[0]}) that this run did not start, and it would be replaced: "
                        f"choose another --ckpt-dir (to continue it: --init {ckpt_dir} --ckpt-dir NEW_FOLDER)")


def fit_gan(run: GANRun, dataset, args) -> Path:
    """Train ``run.gan`` on ``dataset`` up to ``--epochs`` with Keras ``fit``: resumed from the
    newest checkpoint with ``--resume`` (keeping the ``init`` lineage its release config records),
    or warm-started from a release; after every epoch the NaN guard, a checkpoint, a history
    row, TensorBoard scalars, the sample grid (every ``--sample-every`` epochs) and the release;
    stopped early by ``--time-limit``. A run that reaches ``--epochs`` also exports the release's
    LiteRT twin (an export takes seconds, so not every epoch; until then the release has none).
    Returns the release folder ``--ckpt-dir``."""
    from helpers.training.callbacks import EpochHistory, GANCheckpoints, SampleGrid, epoch_callbacks

    gan, ckpt_dir = run.gan, Path(args.ckpt_dir)
    run_dir = ckpt_dir / "training"
    checkpoints = GANCheckpoints(run_dir, gan.checkpointed(run.discriminator_name),
                                 {"generator": gan.g_optimizer, run.discriminator_name: gan.d_optimizer}, keep=args.keep)
    start, wall = 0, 0.0
    if args.resume:
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
    saving = [EpochHistory(run_dir / "history.json"), SampleGrid(run.sample, run_dir / "samples", args.sample_every),
              checkpoints, release_callback(ckpt_dir, run, args.snapshot_every)]
    callbacks = epoch_callbacks(run_dir, wall=wall, time_limit=args.time_limit, kept=checkpoints.describe_last,
                                saving=saving)
    history = gan.fit(dataset, epochs=args.epochs, initial_epoch=start, steps_per_epoch=run.steps_per_epoch,
                      callbacks=callbacks, verbose=2, shuffle=False)
    if history.epoch and history.epoch[-1] + 1 == args.epochs:
        from helpers.inference.generators import save_litert_release

        save_litert_release(ckpt_dir)
    return ckpt_dir
