"""DCGAN training pipeline (per-expression or label-conditioned), resumable.

Used by ``Generative_model/dcgan.py`` and notebook 07."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from helpers.arguments import number
from helpers.cli import command_line, gan_training_parser
from helpers.errors import UserError
from helpers.expressions import EXPRESSIONS, parse_expression

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


def parse_args(argv=None, description: str | None = None):
    """The training script's arguments (the script passes its docstring as the description)."""
    from helpers.models.dcgan_nets import VARIANTS

    p = gan_training_parser(description, epochs=50, batch_size=64, ckpt_dir="runs/dcgan")
    p.add_argument("--expressions", default="all", help='"all", "five", or a comma list such as "surprise"')
    p.add_argument("--variant", default="dcgan", choices=list(VARIANTS),
                   help="; ".join(f"{k}: {v.description}" for k, v in VARIANTS.items()))
    number(p, "--noise-dim", kind=int, low=1, high=4_096, default=100)
    number(p, "--ac-weight", kind=float, low=0, high=1_000, default=1.0,
                   help="label-conditioned runs: weight of the discriminator's auxiliary expression classifier "
                        "(AC-GAN) for both networks; 0: projection only")
    args = p.parse_args(argv)
    args.command = command_line("Generative_model/dcgan.py", argv)
    return args


def build_gan(args, conditional: bool):
    """The DCGAN ``--variant`` of ``args``, label-conditioned or not, compiled and built; call it
    inside the strategy's scope. The trainer and the benchmark build it here."""
    from helpers.gans.dcgan import DCGAN
    from helpers.models.dcgan_nets import VARIANTS, dcgan_discriminator, dcgan_generator, dcgan_optimizer

    num_classes = len(EXPRESSIONS) if conditional else 0
    ac_weight = args.ac_weight if conditional else 0.0
    gan = DCGAN(dcgan_generator(args.variant, args.noise_dim, num_classes),
                dcgan_discriminator(args.variant, num_classes, auxiliary_classifier=ac_weight > 0),
                args.noise_dim, conditional=conditional, output=VARIANTS[args.variant].output, ac_weight=ac_weight)
    gan.compile(d_optimizer=dcgan_optimizer(args.variant), g_optimizer=dcgan_optimizer(args.variant),
                jit_compile=args.jit_compile)
    gan((np.zeros((1, args.noise_dim), np.float32), np.zeros(1, np.int32)))
    return gan


def train(args) -> Path:
    """Train from parsed ``dcgan.py`` arguments; the release (generator.keras + config.json) in
    ``--ckpt-dir`` is refreshed after every epoch."""
    from helpers.models.dcgan_nets import VARIANTS
    from helpers.training.gan_pipeline import GANRun, fit_gan, gan_dataset, sample_grid_fn, begin_run, training_faces
    from helpers.training.distribute import make_strategy
    from helpers.training.precision import set_training_precision

    strategy = make_strategy(args.strategy, args.cpu_devices, args.jit_compile)  # first: --cpu-devices precedes TensorFlow's devices
    if args.variant not in VARIANTS:
        raise UserError(f"unknown variant {args.variant!r}; choose one of {', '.join(VARIANTS)}")
    expressions = parse_expression_set(args.expressions)
    conditional = len(expressions) > 1
    seed = begin_run(args)
    x, y = training_faces(args, expressions)
    args.precision = set_training_precision(args.precision)

    variant = VARIANTS[args.variant]
    with strategy.scope():
        gan = build_gan(args, conditional)

    config = {"kind": "dcgan", "variant": args.variant, "image_size": 48, "noise_dim": args.noise_dim,
              "conditioning": "label" if conditional else "none", "output": variant.output,
              "expressions": expressions, "command": getattr(args, "command", None), "train_args": vars(args)}
    rows = expressions if conditional else expressions * 4
    run = GANRun(gan, config, sample_grid_fn(gan, rows, args.noise_dim, variant.output), release_discriminator=False)
    return fit_gan(run, gan_dataset(x, y, args.batch_size, seed), args)
