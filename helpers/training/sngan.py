"""The projection cGAN's trainer (:class:`helpers.gans.sngan.ProjectionSNGAN`): class-balanced
batches, the networks of :mod:`helpers.models.sngan_nets`, two-time-scale Adam, and the shared
GAN pipeline (:mod:`helpers.training.gan_pipeline`). Used by ``Generative_model/sngan.py``."""
from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

from helpers.errors import UserError
from helpers.expressions import NUM_EXPRESSIONS
from helpers.gans.augment import POLICIES
from helpers.options import config_class, default, group, option
from helpers.training.distribute import chief_writes
from helpers.training.gan_pipeline import GANTrainingConfig, WarmStart


def class_sampling_weights(labels: np.ndarray, power: float) -> np.ndarray:
    """How often each expression is drawn: proportional to count**(1 - power), so 0 keeps the
    data's frequencies and 1 draws every expression equally often. Absent expressions get 0."""
    counts = np.bincount(labels, minlength=NUM_EXPRESSIONS).astype(np.float64)
    weights = np.where(counts > 0, counts ** (1.0 - power), 0.0)
    return weights / weights.sum()


def balanced_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, power: float):
    """An endless stream of ``(uint8 faces, labels)`` batches whose expressions are drawn with
    :func:`class_sampling_weights`; each expression's faces are reshuffled on every pass."""
    import tensorflow as tf

    weights = class_sampling_weights(y, power)
    present = [e for e in range(NUM_EXPRESSIONS) if weights[e] > 0]
    streams = [tf.data.Dataset.from_tensor_slices((x[y == e], y[y == e])).shuffle(int((y == e).sum()), seed=seed + e)
               .repeat() for e in present]
    mixed = tf.data.Dataset.sample_from_datasets(streams, weights=[float(weights[e]) for e in present], seed=seed)
    return mixed.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


@config_class
class SNGANWarmStart(WarmStart):
    init: str | None = default(None, "continue a released projection cGAN (a folder such as checkpoints/sngan_fer2013, "
                                     "trained with the same --noise-dim, --g-width, --d-width and --attention): its "
                                     "generator and the discriminator saved with it (with --ac-weight and a release "
                                     "without one, a new expression head, warmed up like a fresh discriminator), with "
                                     "new optimizers; epochs count on from the release's")


@config_class
class SNGANConfig(GANTrainingConfig):
    """The projection cGAN's trainer: its networks' sizes, learning rates, weight average,
    augmentation, class balance and expression head, and ``--init``."""

    COMMAND: ClassVar[str] = "Generative_model/sngan.py"
    epochs: int = default(60)
    ckpt_dir: str = default("runs/sngan")
    noise_dim: int = option(128, low=1, high=4_096)
    g_width: int = option(32, "generator channels at 48x48 (4x at 6x6 and 12x12)", low=1, high=1_024)
    d_width: int = option(32, "discriminator channels at 48x48 (8x at 6x6)", low=1, high=1_024)
    attention: bool = option(False, "self-attention at 24x24 in both networks (SAGAN): the face's parts can agree "
                                    "across it")
    blocks: int = option(0, "residual blocks at 6x6 and 12x12 in the generator and at 12x12 and 6x6 in the "
                            "discriminator, where a face's layout is decided; with --init, a release with fewer "
                            "continues with the new blocks starting as the identity", low=0, high=16, metavar="N")
    g_lr: float = option(1e-4, "generator Adam learning rate", low=0, high=1, low_open=True)
    d_lr: float = option(4e-4, "discriminator Adam learning rate (two time-scale updates)", low=0, high=1,
                         low_open=True)
    ema_decay: float = option(0.999, "decay of the sampling generator's weight average", low=0, high=1,
                              high_open=True)
    augment: str = option("none", f"DiffAugment transforms, a comma list of {', '.join(POLICIES)}, or none (the "
                                  "default: on FER2013's 28,709 faces all three slowed learning, docs/training.md)")
    class_balance: float = option(0.5, "draw each expression with probability proportional to count**(1 - POWER): "
                                       "0 keeps FER2013's frequencies, 1 draws all seven equally often",
                                  low=0, high=1, metavar="POWER")
    ac_weight: float = option(0.0, "weight of an auxiliary expression classifier on the discriminator's features "
                                   "(AC-GAN): trained on real faces, it also rewards fakes it reads as intended (0: "
                                   "none, the projection only)", low=0, high=1_000)
    ac_label_smoothing: float = option(0.0, "with --ac-weight: label smoothing of the expression head's targets on "
                                            "real faces (the fakes' targets stay one-hot)", low=0, high=1,
                                       high_open=True, metavar="EPSILON")
    r1: float = option(0.0, "weight γ of the R1 penalty γ/2·E‖∇D(x)‖² on real faces x (Mescheder et al. 2018); 0: "
                            "none", low=0, high=1_000, metavar="GAMMA")
    warm_start: SNGANWarmStart = group(SNGANWarmStart)


def augment_policy(text: str) -> tuple[str, ...]:
    """The DiffAugment transforms ``--augment`` names."""
    names = () if text.strip().lower() == "none" else tuple(n.strip() for n in text.split(",") if n.strip())
    if unknown := sorted(set(names) - set(POLICIES)):
        raise UserError(f"--augment: unknown transform {', '.join(unknown)}; choose from {', '.join(POLICIES)} or none")
    return names


NETWORK_OPTIONS = {"noise_dim": 128, "g_width": 32, "d_width": 32, "attention": False}  # with their defaults


def load_init(config: SNGANConfig):
    """The release ``--init`` names, of the same networks as this run's or with fewer ``--blocks``."""
    from helpers.training.gan_release import load_release_to_continue

    parent = load_release_to_continue(config, "projection_cgan", NETWORK_OPTIONS)
    if (blocks := released_blocks(parent)) > config.blocks:
        raise UserError(f"--init {config.warm_start.init} was trained with --blocks {blocks}; pass --blocks {blocks} "
                        "or more")
    return parent


def released_blocks(parent) -> int:
    """The ``--blocks`` of a release (0 for one that does not record it)."""
    return int(parent.config.get("train_args", {}).get("blocks", 0))


def discriminator(config: SNGANConfig, blocks: int, head: bool):
    """The discriminator of ``config``'s widths and attention, with ``blocks`` and, with ``head``,
    an expression head."""
    from helpers.models.sngan_nets import sngan_discriminator

    return sngan_discriminator(config.d_width, num_classes=NUM_EXPRESSIONS if head else 0, attention=config.attention,
                               blocks=blocks)


def build_gan(config: SNGANConfig):
    """The projection cGAN of ``config``, compiled and built; call it inside the strategy's
    scope. The trainer and the benchmark build it here."""
    import keras

    from helpers.gans.sngan import ProjectionSNGAN
    from helpers.models.sngan_nets import sngan_generator

    generator = sngan_generator(config.noise_dim, config.g_width, attention=config.attention, blocks=config.blocks)
    gan = ProjectionSNGAN(generator, discriminator(config, config.blocks, head=bool(config.ac_weight)),
                          noise_dim=config.noise_dim, ema_decay=config.ema_decay, augment=augment_policy(config.augment),
                          ac_weight=config.ac_weight, ac_label_smoothing=config.ac_label_smoothing,
                          r1_weight=config.r1)
    gan.compile(d_optimizer=keras.optimizers.Adam(config.d_lr, beta_1=0.0, beta_2=0.999),
                g_optimizer=keras.optimizers.Adam(config.g_lr, beta_1=0.0, beta_2=0.999),
                jit_compile=config.scale.jit_compile)
    gan((np.zeros((1, config.noise_dim), np.float32), np.zeros(1, np.int32)))
    return gan


@chief_writes("ckpt_dir")
def train(config: SNGANConfig) -> Path:
    """Train the projection cGAN of ``config``; the release (the averaged generator's
    generator.keras + config.json) in ``--ckpt-dir`` is refreshed after every epoch."""
    from helpers.training.distribute import make_strategy
    from helpers.training.gan_pipeline import GANRun, begin_run, fit_gan, provenance, sample_grid_fn, training_faces
    from helpers.training.gan_release import continue_release
    from helpers.training.precision import training_precision

    strategy = make_strategy(config.scale)
    augment_policy(config.augment)  # refused before any work
    seed = begin_run(config)
    x, y = training_faces(config)
    parent = load_init(config) if config.warm_start.init else None
    with training_precision(config.scale.precision) as precision:
        with strategy.scope():
            gan = build_gan(config)
        release_config = {"kind": "projection_cgan", "image_size": 48, "noise_dim": config.noise_dim, "conditioning": "label",
                          "output": "tanh", "expressions": sorted(int(e) for e in np.unique(y)),
                          "sampling_weights": class_sampling_weights(y, config.class_balance).round(4).tolist(),
                          **provenance(config, precision)}
        dataset = balanced_dataset(x, y, config.batch_size, seed, config.class_balance)
        steps = len(x) // config.batch_size
        warm_start = None
        if parent is not None:  # the warm-up's epochs are of the endless balanced stream, cut to an epoch
            new_head = bool(config.ac_weight) and not parent.config.get("train_args", {}).get("ac_weight")
            released = (discriminator(config, released_blocks(parent), head=bool(config.ac_weight) and not new_head)
                        if released_blocks(parent) < config.blocks else None)
            warm_start = continue_release(parent, config, gan, dataset.take(steps), release_config, new_head=new_head,
                                          released_discriminator=released)
        run = GANRun(gan, release_config, sample_grid_fn(gan, range(NUM_EXPRESSIONS), config.noise_dim),
                     steps_per_epoch=steps, warm_start=warm_start)
        return fit_gan(run, dataset, config)
