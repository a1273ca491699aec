"""DCGAN training pipeline (per-expression or label-conditioned), resumable.

Used by ``Generative_model/dcgan.py`` and notebook 07."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .cli import command_line, gan_training_parser
from .errors import UserError
from .expressions import EXPRESSIONS, parse_expression

FIVE_EMOTIONS = ("Neutral", "Fear", "Angry", "Surprise", "Disgust")


def parse_expression_set(text: str) -> list[int]:
    """"all" -> the 7 ids; "five" -> neutral, fear, angry, surprise, disgust; else a comma list."""
    key = text.strip().lower()
    if key == "all":
        return list(range(len(EXPRESSIONS)))
    if key == "five":
        return sorted(parse_expression(n) for n in FIVE_EMOTIONS)
    ids = sorted({parse_expression(part) for part in text.split(",") if part.strip()})
    if not ids:
        raise UserError("--expressions is empty")
    return ids


def sample_grid_fn(gan, expressions: list[int], noise_dim: int, output: str, per_row: int = 8, seed: int = 1234):
    """A ``sample_fn(epoch, path)`` writing fixed-seed samples: one row per expression (or 4 rows)."""
    from .gans import to_uint8
    from .plots import save_png, tile

    rows = expressions if len(expressions) > 1 else expressions * 4
    noise = np.random.default_rng(seed).standard_normal((len(rows) * per_row, noise_dim)).astype(np.float32)
    labels = np.repeat(np.asarray(rows, np.int32), per_row)

    def sample(epoch, path):
        save_png(tile(to_uint8(gan((noise, labels), training=False), output), cols=per_row), path, scale=2)

    return sample


def parse_args(argv=None, description: str | None = None):
    """The training script's arguments (the script passes its docstring as the description)."""
    from .models.dcgan_nets import VARIANTS

    p = gan_training_parser(description, epochs=50, batch_size=64, ckpt_dir="runs/dcgan")
    p.add_argument("--expressions", default="all", help='"all", "five", or a comma list such as "surprise"')
    p.add_argument("--variant", default="dcgan", choices=list(VARIANTS),
                   help="; ".join(f"{k}: {v.description}" for k, v in VARIANTS.items()))
    p.add_argument("--noise-dim", type=int, default=100)
    p.add_argument("--ac-weight", type=float, default=1.0,
                   help="label-conditioned runs: weight of the discriminator's auxiliary expression classifier "
                        "(AC-GAN) for both networks; 0: projection only")
    args = p.parse_args(argv)
    args.command = command_line("Generative_model/dcgan.py", argv)
    return args


def train(args) -> Path:
    """Train from parsed ``dcgan.py`` arguments; the release (generator.keras + config.json) in
    ``--ckpt-dir`` is refreshed after every epoch."""
    import tensorflow as tf

    from .data import load_dataset
    from .gan_training import ResumableRun, seed_run, train_epochs
    from .gans.dcgan import DCGAN
    from .generation import release_epoch
    from .models.dcgan_nets import VARIANTS, dcgan_discriminator, dcgan_generator, dcgan_optimizer
    from .precision import set_training_precision

    if args.variant not in VARIANTS:
        raise UserError(f"unknown variant {args.variant!r}; choose one of {', '.join(VARIANTS)}")
    expressions = parse_expression_set(args.expressions)
    conditional = len(expressions) > 1
    seed = seed_run(args.seed, Path(args.ckpt_dir) / "training", args.resume)  # a resumed run draws new batches and noise
    x, y = load_dataset(args.data)["Training"]
    keep = np.isin(y, expressions)
    x, y = x[keep], y[keep]
    if args.subset:
        x, y = x[: args.subset], y[: args.subset]
    if len(x) < args.batch_size:
        raise UserError(f"only {len(x)} training images for {args.expressions}; lower --batch-size")
    args.precision = set_training_precision(args.bf16)

    variant = VARIANTS[args.variant]
    num_classes = len(EXPRESSIONS) if conditional else 0
    generator = dcgan_generator(args.variant, args.noise_dim, num_classes)
    ac_weight = args.ac_weight if conditional else 0.0
    discriminator = dcgan_discriminator(args.variant, num_classes, auxiliary_classifier=ac_weight > 0)
    gan = DCGAN(generator, discriminator, args.noise_dim, conditional=conditional, output=variant.output,
                ac_weight=ac_weight)
    d_opt, g_opt = dcgan_optimizer(args.variant), dcgan_optimizer(args.variant)
    gan.compile(d_optimizer=d_opt, g_optimizer=g_opt)
    gan((np.zeros((1, args.noise_dim), np.float32), np.zeros(1, np.int32)))

    dataset = (tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed)
               .batch(args.batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE))
    run = ResumableRun(Path(args.ckpt_dir) / "training", {"generator": generator, "discriminator": discriminator},
                       {"generator": g_opt, "discriminator": d_opt}, keep=args.keep)
    config = {"kind": "dcgan", "variant": args.variant, "image_size": 48, "noise_dim": args.noise_dim,
              "conditioning": "label" if conditional else "none", "output": variant.output,
              "expressions": expressions, "command": getattr(args, "command", None), "train_args": vars(args)}

    def release(epoch):
        release_epoch(args.ckpt_dir, generator, config, epoch, args.snapshot_every)

    train_epochs(gan, dataset, epochs=args.epochs, run=run, resume=args.resume, on_epoch_end=release,
                 sample_fn=sample_grid_fn(gan, expressions, args.noise_dim, variant.output),
                 sample_every=args.sample_every, time_limit=args.time_limit)
    return Path(args.ckpt_dir)
