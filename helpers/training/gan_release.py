"""A GAN's release, written in one place. After every epoch: the generator that samples
(``generator.keras`` + ``config.json``, switched as one unit; :func:`save_generator`) with the
discriminator's weights beside it, and every N-th epoch a snapshot; when a run completes, the
LiteRT twin. And ``--init``: a run that continues a release, from the discriminator saved with
it or from a fresh one warmed up alone (:func:`continue_release`).

Reading a release is :mod:`helpers.inference.generators` (and :mod:`helpers.inference.translation`)."""
from __future__ import annotations

import json
import math
import time
import warnings
from pathlib import Path

from helpers.errors import UserError
from helpers.files import atomic_path, keep_copy, sha256_of, write_json
from helpers.inference.generators import CONFIG, MODEL, MODEL_DIGEST, PREVIOUS, weights_described

DISCRIMINATOR = "discriminator.weights.h5"


def save_generator(directory: str | Path, generator, config: dict, litert: bool = True) -> Path:
    """Write ``generator.keras`` (readable by every supported Keras), its LiteRT twin
    ``generator.tflite`` and ``config.json``, each atomically. With ``litert=False`` (a release
    refreshed every epoch) an older ``generator.tflite`` is removed instead, so the two files never
    disagree; :func:`save_litert_release` writes it when a training run completes.

    The release switches as one unit: ``config.json`` is written last and records the SHA-256 of
    the ``generator.keras`` it belongs to (``model_sha256``), which :func:`load_checkpoint` checks.
    Until the new config is in place, the weights the old one describes stay beside it (a hidden
    hard link, :data:`PREVIOUS`), so a reader, even after a kill between the two writes, finds the
    previous release or the new one whole, never one's weights with the other's config."""
    from helpers.models.files import save_model

    directory = Path(directory)
    try:
        current = json.loads((directory / CONFIG).read_text())
    except (OSError, ValueError):
        current = None
    if current is None or weights_described(directory / MODEL, current) != directory / PREVIOUS:
        keep_copy(directory / MODEL, directory / PREVIOUS)  # after a kill between two writes, PREVIOUS is already the one
    save_model(generator, directory / MODEL, litert=litert)
    write_json(directory / CONFIG, {**config, MODEL_DIGEST: sha256_of(directory / MODEL)}, indent=1)
    return directory


def release_epoch(ckpt_dir: str | Path, generator, config: dict, epoch: int, snapshot_every: int = 0) -> list[Path]:
    """After an epoch: refresh the release in ``ckpt_dir`` (float32, standard Keras layers; its
    LiteRT twin follows when the run completes) and, every ``snapshot_every`` epochs, keep a
    loadable copy in ``ckpt_dir/training/generators/epoch_NNNN/``. Returns the folders written."""
    from helpers.models.release import float32_copy

    clean, config = float32_copy(generator), {**config, "epoch": epoch}
    written = [save_generator(ckpt_dir, clean, config, litert=False)]
    if snapshot_every and epoch % snapshot_every == 0:
        written.append(save_generator(Path(ckpt_dir) / "training" / "generators" / f"epoch_{epoch:04d}", clean, config,
                                      litert=False))
    return written


def save_litert_release(ckpt_dir: str | Path) -> Path | None:
    """The LiteRT twin of the release in ``ckpt_dir``, exported from its ``generator.keras``; none
    with a Keras too old to export one (before 3.13), whose release then runs on Keras alone."""
    from helpers.models.files import LITERT_SUFFIX, litert_export_supported, load_model, save_litert

    if not litert_export_supported():
        return None
    model_file = Path(ckpt_dir) / MODEL
    return save_litert(load_model(model_file), model_file.with_suffix(LITERT_SUFFIX))


def save_discriminator(directory: Path, discriminator) -> None:
    """The discriminator's (or critic's) weights next to a release's generator (atomically
    replaced), so that ``--init`` can continue the release with the one it was trained against."""
    with atomic_path(Path(directory) / DISCRIMINATOR) as tmp:
        discriminator.save_weights(tmp)


def release_callback(ckpt_dir: Path, gan, release_config: dict, snapshot_every: int):
    """After each epoch: the release of ``gan`` in ``ckpt_dir`` (and every ``snapshot_every``-th
    snapshot, see :func:`release_epoch`), with the discriminator beside it."""
    import keras

    def release(epoch, logs=None):
        for folder in release_epoch(ckpt_dir, gan.release_generator, release_config, epoch + 1, snapshot_every):
            save_discriminator(folder, gan.discriminator)

    return keras.callbacks.LambdaCallback(on_epoch_end=release)


def load_release_to_continue(config, kind: str, network_options: dict):
    """The release that ``config``'s ``--init`` names (a translator for the ``ccyclegan`` kind,
    else a generator), checked before any work: of ``kind``, built with this run's values of
    ``network_options`` (``{option: its value for a release that does not record it}``), and at
    an epoch before ``--epochs``, since epochs count on from the release's."""
    from helpers.inference.generators import load_generator
    from helpers.inference.translation import load_translator
    from helpers.options import record

    init = config.warm_start.init
    parent = (load_translator if kind == "ccyclegan" else load_generator)(init)
    if parent.config.get("kind") != kind:
        raise UserError(f"--init {init} is a {parent.config.get('kind')} release, not a {kind} one")
    trained, wanted = parent.config.get("train_args", {}), record(config)
    released = {name: trained.get(name, default) for name, default in network_options.items()}
    if released != {name: wanted[name] for name in network_options}:
        flags = [f"--{name.replace('_', '-')}" + ("" if value is True else f" {value}")
                 for name, value in released.items() if value is not False]
        raise UserError(f"--init {init} was trained with {' '.join(flags)}; pass the same options")
    if config.epochs <= int(parent.config.get("epoch", 0)):
        raise UserError(f"--init {init} is epoch {parent.config.get('epoch')}; epochs count on from it, "
                        f"so --epochs must be larger (it is the epoch to stop at)")
    return parent


def init_discriminator(parent, fresh: bool) -> str:
    """How a run that continues ``parent`` starts its discriminator, as its release records it
    (``config["init"]["discriminator"]``, which :mod:`helpers.training.recipes` replays): from
    the release's saved weights, or fresh with a warm-up (``--fresh-discriminator``, or a release
    that kept none)."""
    from helpers.inference.generators import checkpoint_folder

    return "from release" if not fresh and (checkpoint_folder(parent.path) / DISCRIMINATOR).exists() else "fresh"


def copy_weights_by_name(source, target) -> None:
    """Copy the weights of every layer of ``source`` into ``target``'s layer of the same name;
    ``target``'s other layers keep theirs. A layer that ``target`` lacks, or holds in another
    shape, is a ValueError."""
    for layer in source.layers:
        if layer.weights:
            try:
                target.get_layer(layer.name).set_weights(layer.get_weights())
            except ValueError as exc:
                raise ValueError(f"layer {layer.name}: {str(exc)[:100]}") from None


def release_warm_start_fn(parent, gan, dataset, history_path: Path, warmup_epochs: float, fresh: bool = False,
                          new_head: bool = False, released_discriminator=None):
    """A run's ``warm_start`` for ``--init``: copy the release's generator and the discriminator
    it was trained against (or, for a release without one or with ``fresh``, warm up a fresh
    discriminator alone with ``gan.warm_up_discriminator``), carry over the release's history,
    and return the release's epoch and wall time (plus the warm-up's). With ``new_head`` the
    run's discriminator has an expression head the release's lacks: every other weight is
    copied, and the head is warmed up as a fresh discriminator would be. With
    ``released_discriminator`` (a discriminator built as the release's) the run's networks have
    layers the release's lack, which start as they were built: the release's weights are
    copied into both networks by layer name."""
    from tqdm.auto import tqdm

    from helpers.inference.generators import checkpoint_folder
    from helpers.training.worker_loop import batches_and_step

    def warm_start() -> tuple[int, float]:
        t0 = time.time()
        if released_discriminator is None:
            gan.generator.set_weights(parent.model.get_weights())
        else:
            copy_weights_by_name(parent.model, gan.generator)
        epoch, wall = int(parent.config.get("epoch", 0)), 0.0
        folder = checkpoint_folder(parent.path)
        if (folder / "training" / "history.json").exists():
            rows = [r for r in json.loads((folder / "training" / "history.json").read_text()) if r["epoch"] <= epoch]
            write_json(history_path, rows, indent=0)
            wall = float(rows[-1].get("wall_s", 0.0)) if rows else 0.0
        if init_discriminator(parent, fresh) == "from release":
            try:
                if released_discriminator is not None:
                    released_discriminator.load_weights(folder / DISCRIMINATOR)
                    copy_weights_by_name(released_discriminator, gan.discriminator)
                else:
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
        batches, step = batches_and_step(gan, dataset.repeat().take(steps), gan.warm_up_discriminator)
        bar = tqdm(batches, total=steps, desc="discriminator warm-up", mininterval=10)
        losses = {}
        for i, batch in enumerate(bar):
            losses = step(batch)
            if i % 50 == 0:
                bar.set_postfix({k: f"{float(v):.3f}" for k, v in losses.items()})
        start = "a new expression head on its discriminator" if new_head else "a fresh discriminator"
        print(f"generator from {parent.path} (epoch {epoch}), {start}; {steps} discriminator-only "
              "steps, last " + " ".join(f"{k} {float(v):.4f}" for k, v in losses.items()), flush=True)
        return epoch, wall + time.time() - t0

    return warm_start


def continue_release(parent, config, gan, dataset, release_config: dict,
                     recorded=("epoch", "command", "init"), new_head: bool = False, released_discriminator=None):
    """``--init``: record in ``release_config["init"]`` which release the run continues (with the
    release's ``recorded`` config entries, and how its discriminator starts), and return the
    run's ``warm_start`` (:func:`release_warm_start_fn`; ``new_head``: the run's discriminator
    adds an expression head to the release's; ``released_discriminator``: the run's networks
    add layers to the release's)."""
    warm = config.warm_start
    start = init_discriminator(parent, warm.fresh_discriminator)
    new_head = new_head and start == "from release"
    added = [what for what, new in (("a new expression head", new_head),
                                    ("new layers", released_discriminator is not None and start == "from release")) if new]
    release_config["init"] = {"release": warm.init, **{k: parent.config.get(k) for k in recorded},
                              "discriminator": start + (f", with {' and '.join(added)}" if added else "")}
    return release_warm_start_fn(parent, gan, dataset, Path(config.ckpt_dir) / "training" / "history.json",
                                 warm.d_warmup_epochs, warm.fresh_discriminator, new_head, released_discriminator)
