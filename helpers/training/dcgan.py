"""DCGAN training pipeline (per-expression or label-conditioned), resumable.

Used by ``Generative_model/dcgan.py`` and notebook 07."""
from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

from helpers.errors import UserError
from helpers.expressions import EXPRESSIONS, parse_expression
from helpers.models.dcgan_nets import VARIANTS
from helpers.options import config_class, default, group, option
from helpers.training.distribute import chief_writes
from helpers.training.gan_pipeline import GANTrainingConfig, WarmStart

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


@config_class
class DCGANWarmStart(WarmStart):
    init: str | None = default(None, "continue a released DCGAN (trained with the same --variant, --noise-dim and "
                                     "--expressions): its generator and the discriminator saved with it, with new "
                                     "optimizers; epochs count on from the release's")


@config_class
class DCGANConfig(GANTrainingConfig):
    """The DCGAN's trainer: which expressions (one: an unconditional GAN of that expression;
    several: label-conditioned), the network variant, the noise and the expression head."""

    COMMAND: ClassVar[str] = "Generative_model/dcgan.py"
    ckpt_dir: str = default("runs/dcgan")
    expressions: str = option("all", '"all", "five", or a comma list such as "surprise"')
    variant: str = option("dcgan", "; ".join(f"{k}: {v.description}" for k, v in VARIANTS.items()),
                          choices=list(VARIANTS))
    noise_dim: int = option(100, low=1, high=4_096)
    ac_weight: float = option(1.0, "label-conditioned runs: weight of the discriminator's auxiliary expression "
                                   "classifier (AC-GAN) for both networks; 0: projection only", low=0, high=1_000)
    warm_start: DCGANWarmStart = group(DCGANWarmStart)


def build_gan(config: DCGANConfig):
    """The DCGAN ``--variant`` of ``config`` (label-conditioned when it trains on more than one
    expression), compiled and built; call it inside the strategy's scope. The trainer and the
    benchmark build it here."""
    from helpers.gans.dcgan import DCGAN
    from helpers.models.dcgan_nets import dcgan_discriminator, dcgan_generator, dcgan_optimizer

    conditional = len(parse_expression_set(config.expressions)) > 1
    num_classes = len(EXPRESSIONS) if conditional else 0
    ac_weight = config.ac_weight if conditional else 0.0
    gan = DCGAN(dcgan_generator(config.variant, config.noise_dim, num_classes),
                dcgan_discriminator(config.variant, num_classes, auxiliary_classifier=ac_weight > 0),
                config.noise_dim, conditional=conditional, output=VARIANTS[config.variant].output, ac_weight=ac_weight)
    gan.compile(d_optimizer=dcgan_optimizer(config.variant), g_optimizer=dcgan_optimizer(config.variant),
                jit_compile=config.scale.jit_compile)
    gan((np.zeros((1, config.noise_dim), np.float32), np.zeros(1, np.int32)))
    return gan


def load_init(config: DCGANConfig):
    """The release ``--init`` names, of the same networks and expressions as this run's."""
    from helpers.training.gan_release import load_release_to_continue

    return load_release_to_continue(config, "dcgan", {"variant": "dcgan", "noise_dim": 100, "expressions": "all"})


@chief_writes("ckpt_dir")
def train(config: DCGANConfig) -> Path:
    """Train the DCGAN of ``config``; the release (generator.keras + config.json) in
    ``--ckpt-dir`` is refreshed after every epoch."""
    from helpers.training.distribute import make_strategy
    from helpers.training.gan_pipeline import (GANRun, begin_run, fit_gan, gan_dataset, provenance, sample_grid_fn,
                                               training_faces)
    from helpers.training.gan_release import continue_release
    from helpers.training.precision import training_precision

    strategy = make_strategy(config.scale)
    expressions = parse_expression_set(config.expressions)
    conditional = len(expressions) > 1
    seed = begin_run(config)
    x, y = training_faces(config, expressions)
    parent = load_init(config) if config.warm_start.init else None
    output = VARIANTS[config.variant].output
    with training_precision(config.scale.precision) as precision:
        with strategy.scope():
            gan = build_gan(config)
        release_config = {"kind": "dcgan", "variant": config.variant, "image_size": 48, "noise_dim": config.noise_dim,
                          "conditioning": "label" if conditional else "none", "output": output,
                          "expressions": expressions, **provenance(config, precision)}
        dataset = gan_dataset(x, y, config.batch_size, seed)
        warm_start = continue_release(parent, config, gan, dataset, release_config) if parent is not None else None
        rows = expressions if conditional else expressions * 4
        run = GANRun(gan, release_config, sample_grid_fn(gan, rows, config.noise_dim, output), warm_start=warm_start)
        return fit_gan(run, dataset, config)
