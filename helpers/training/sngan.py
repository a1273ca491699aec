"""The projection cGAN's trainer (:class:`helpers.gans.sngan.ProjectionSNGAN`): class-balanced
batches, the networks of :mod:`helpers.models.sngan_nets`, two-time-scale Adam, and the shared
GAN pipeline (:mod:`helpers.training.gan_pipeline`). Used by ``Generative_model/sngan.py``."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from helpers.arguments import number
from helpers.cli import add_init_arguments, command_line, gan_training_parser
from helpers.errors import UserError
from helpers.expressions import NUM_EXPRESSIONS


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


def parse_args(argv=None, description: str | None = None):
    """The training script's arguments (the script passes its docstring as the description)."""
    from helpers.gans.augment import POLICIES

    p = gan_training_parser(description, epochs=60, batch_size=64, ckpt_dir="runs/sngan")
    number(p, "--noise-dim", kind=int, low=1, high=4_096, default=128)
    number(p, "--g-width", kind=int, low=1, high=1_024, default=32, help="generator channels at 48x48 (4x at 6x6 and 12x12)")
    number(p, "--d-width", kind=int, low=1, high=1_024, default=32, help="discriminator channels at 48x48 (8x at 6x6)")
    p.add_argument("--attention", action="store_true",
                   help="self-attention at 24x24 in both networks (SAGAN): the face's parts can agree across it")
    number(p, "--g-lr", kind=float, low=0, high=1, low_open=True, default=1e-4, help="generator Adam learning rate")
    number(p, "--d-lr", kind=float, low=0, high=1, low_open=True, default=4e-4, help="discriminator Adam learning rate (two time-scale updates)")
    number(p, "--ema-decay", kind=float, low=0, high=1, high_open=True, default=0.999, help="decay of the sampling generator's weight average")
    p.add_argument("--augment", default="none",
                   help=f"DiffAugment transforms, a comma list of {', '.join(POLICIES)}, or none (the default: "
                        "on FER2013's 28,709 faces all three slowed learning, docs/training.md)")
    number(p, "--class-balance", kind=float, low=0, high=1, default=0.5, metavar="POWER",
                   help="draw each expression with probability proportional to count**(1 - POWER): "
                        "0 keeps FER2013's frequencies, 1 draws all seven equally often")
    number(p, "--ac-weight", kind=float, low=0, high=1_000, default=0.0,
                   help="weight of an auxiliary expression classifier on the discriminator's features (AC-GAN): "
                        "trained on real faces, it also rewards fakes it reads as intended (0: none, the projection only)")
    number(p, "--ac-label-smoothing", kind=float, low=0, high=1, high_open=True, default=0.0, metavar="EPSILON",
                   help="with --ac-weight: label smoothing of the expression head's targets on real faces "
                        "(the fakes' targets stay one-hot)")
    add_init_arguments(p, "continue a released projection cGAN (a folder such as checkpoints/sngan_fer2013, trained "
                          "with the same --noise-dim, --g-width, --d-width and --attention): its generator and the discriminator "
                          "saved with it (with --ac-weight and a release without one, a new expression head, "
                          "warmed up like a fresh discriminator), with new optimizers; epochs count on from the release's",
                       1.0, "with --init of a release without discriminator.weights.h5: epochs of discriminator-only "
                            "updates before the generator trains")
    args = p.parse_args(argv)
    args.command = command_line("Generative_model/sngan.py", argv)
    return args


def augment_policy(text: str) -> tuple[str, ...]:
    from helpers.gans.augment import POLICIES

    names = () if text.strip().lower() == "none" else tuple(n.strip() for n in text.split(",") if n.strip())
    if unknown := sorted(set(names) - set(POLICIES)):
        raise UserError(f"--augment: unknown transform {', '.join(unknown)}; choose from {', '.join(POLICIES)} or none")
    return names


NETWORK_OPTIONS = {"noise_dim": 128, "g_width": 32, "d_width": 32, "attention": False}  # with their defaults


def load_init(args):
    """The release ``--init`` names, checked against the options of this run."""
    from helpers.inference.generators import load_generator
    from helpers.training.gan_pipeline import check_init_epochs

    parent = load_generator(args.init)
    if parent.config.get("kind") != "sngan":
        raise UserError(f"--init {args.init} is a {parent.config.get('kind')} release, not an sngan one")
    released = {name: parent.config.get("train_args", {}).get(name, default) for name, default in NETWORK_OPTIONS.items()}
    if released != {name: getattr(args, name) for name in NETWORK_OPTIONS}:
        options = [f"--{k.replace('_', '-')}" + ("" if isinstance(v, bool) else f" {v}")
                   for k, v in released.items() if not (isinstance(v, bool) and not v)]
        raise UserError(f"--init {args.init} was trained with {' '.join(options)}; pass the same options")
    check_init_epochs(parent, args.epochs)
    return parent


def build_gan(args, policy: tuple[str, ...]):
    """The projection cGAN of ``args`` with DiffAugment ``policy``, compiled and built; call it
    inside the strategy's scope. The trainer and the benchmark build it here."""
    import keras

    from helpers.gans.sngan import ProjectionSNGAN
    from helpers.models.sngan_nets import sngan_discriminator, sngan_generator

    discriminator = sngan_discriminator(args.d_width, num_classes=NUM_EXPRESSIONS if args.ac_weight else 0,
                                        attention=args.attention)
    gan = ProjectionSNGAN(sngan_generator(args.noise_dim, args.g_width, attention=args.attention), discriminator,
                          noise_dim=args.noise_dim, ema_decay=args.ema_decay, augment=policy, ac_weight=args.ac_weight,
                          ac_label_smoothing=args.ac_label_smoothing)
    gan.compile(d_optimizer=keras.optimizers.Adam(args.d_lr, beta_1=0.0, beta_2=0.999),
                g_optimizer=keras.optimizers.Adam(args.g_lr, beta_1=0.0, beta_2=0.999), jit_compile=args.jit_compile)
    gan((np.zeros((1, args.noise_dim), np.float32), np.zeros(1, np.int32)))
    return gan


def train(args) -> Path:
    """Train from parsed ``sngan.py`` arguments; the release (the averaged generator's
    generator.keras + config.json) in ``--ckpt-dir`` is refreshed after every epoch."""
    from helpers.training.gan_pipeline import (GANRun, continue_release, fit_gan, sample_grid_fn, begin_run,
                                               training_faces)
    from helpers.training.distribute import make_strategy
    from helpers.training.precision import set_training_precision

    strategy = make_strategy(args.strategy, args.cpu_devices, args.jit_compile)  # first: --cpu-devices precedes TensorFlow's devices
    policy = augment_policy(args.augment)
    seed = begin_run(args)
    x, y = training_faces(args)
    parent = load_init(args) if args.init else None
    args.precision = set_training_precision(args.precision)
    with strategy.scope():
        gan = build_gan(args, policy)

    config = {"kind": "sngan", "image_size": 48, "noise_dim": args.noise_dim, "conditioning": "label",
              "output": "tanh", "expressions": sorted(int(e) for e in np.unique(y)),
              "sampling_weights": class_sampling_weights(y, args.class_balance).round(4).tolist(),
              "command": getattr(args, "command", None), "train_args": vars(args)}
    dataset = balanced_dataset(x, y, args.batch_size, seed, args.class_balance)
    steps = len(x) // args.batch_size
    warm_start = None
    if parent is not None:  # the warm-up's epochs are of the endless balanced stream, cut to an epoch
        new_head = bool(args.ac_weight) and not parent.config.get("train_args", {}).get("ac_weight")
        warm_start = continue_release(parent, args, gan, dataset.take(steps), config, new_head=new_head)
    run = GANRun(gan, config, sample_grid_fn(gan, range(NUM_EXPRESSIONS), args.noise_dim),
                 steps_per_epoch=steps, warm_start=warm_start)
    return fit_gan(run, dataset, args)
