"""CCycleGAN training pipeline (any configuration of the experiment log), resumable.

Used by ``Generative_model/ccyclegan.py`` and notebook 06."""
from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

from helpers.models.ccyclegan_nets import CONFIGS
from helpers.options import config_class, default, group, option
from helpers.training.distribute import chief_writes
from helpers.training.gan_pipeline import GANTrainingConfig, WarmStart


def translation_grid_fn(gan, images: np.ndarray):
    """A ``sample_fn(epoch, path)``: fixed sources (rows) next to their 7 translations."""
    from helpers.expressions import NUM_EXPRESSIONS
    from helpers.data.pixels import to_model_range, to_uint8
    from helpers.data.images import save_png, tile

    def sample(epoch, path):
        x = np.asarray(to_model_range(images))
        columns = [images]
        for e in range(NUM_EXPRESSIONS):
            y = np.asarray(gan((x, np.full(len(x), e, np.int32)), training=False))
            columns.append(to_uint8(y))
        save_png(tile(np.stack(columns, axis=1).reshape(-1, 48, 48, 1), cols=NUM_EXPRESSIONS + 1), path, scale=2)

    return sample


@config_class
class CCycleGANWarmStart(WarmStart):
    init: str | None = default(None, "continue a released translator (a folder such as checkpoints/ccyclegan_fer2013, "
                                     "trained with the same --config, --width and --downsamplings): its generator and "
                                     "the discriminator saved with it, with new optimizers; epochs count on from the "
                                     "release's, so --epochs is the epoch to stop at")
    d_warmup_epochs: float = default(3.0, "with --init of a release without discriminator.weights.h5 (those before "
                                          "it was saved with the generator): epochs of discriminator-only updates "
                                          "before the generator trains, so that the fresh discriminator has learnt "
                                          "something first")


@config_class
class CCycleGANConfig(GANTrainingConfig):
    """The CCycleGAN's trainer: a configuration of the experiment log, the networks' size,
    learning rates, ``--init`` and the loss weights that override the configuration's."""

    COMMAND: ClassVar[str] = "Generative_model/ccyclegan.py"
    epochs: int = default(30)
    batch_size: int = default(32, "real faces per step (x6 translations from T24 on)")
    ckpt_dir: str = default("runs/ccyclegan")
    config: str = option("T26", "; ".join(f"{k}: {c.description}" for k, c in CONFIGS.items()), choices=list(CONFIGS))
    width: int = option(32, "channels of the first convolution of G_enc and D (then 2x, 4x); 64 is 4x the compute",
                        low=1, high=1_024)
    downsamplings: int = option(2, "stride-2 convolutions in G_enc: 2 gives a 12x12 latent, 3 a 6x6 one",
                                choices=(2, 3))
    lr: float | None = option(None, "Adam learning rate of both networks (default: the configuration's)", kind=float,
                              low=0, high=1, low_open=True)
    d_lr: float | None = option(None, "the discriminator's own learning rate (default: --lr); a faster "
                                      "discriminator keeps a generator from exploiting it (two time-scale updates)",
                                kind=float, low=0, high=1, low_open=True)
    warm_start: CCycleGANWarmStart = group(CCycleGANWarmStart)
    cycle_weight: float | None = option(None, "weight of the cycle loss |G(G(x, target), source) - x| (default: the "
                                              "configuration's); larger keeps more of the source face, at some cost "
                                              "in expression", kind=float, low=0, high=1_000)
    identity_weight: float | None = option(None, "weight of the identity loss |G(x, own expression) - x| (default: "
                                                 "the configuration's; T1 uses it, T17 on do not)", kind=float, low=0,
                                           high=1_000)


def load_init(config: CCycleGANConfig):
    """The release ``--init`` names, of the same configuration and networks as this run's."""
    from helpers.training.gan_release import load_release_to_continue

    return load_release_to_continue(config, "ccyclegan", {"config": "T26", "width": 32, "downsamplings": 2})


def learning_rates(config: CCycleGANConfig) -> tuple[float, float]:
    """The generator's and the discriminator's Adam learning rates: ``--lr`` and ``--d-lr``, or
    the configuration's."""
    lr = CONFIGS[config.config].learning_rate if config.lr is None else config.lr
    return lr, lr if config.d_lr is None else config.d_lr


def build_gan(config: CCycleGANConfig):
    """The CCycleGAN of ``config`` (its ``--config`` row of the experiment log, at its size),
    compiled and built; call it inside the strategy's scope. The trainer and the benchmark
    build it here."""
    import keras

    from helpers.gans.ccyclegan import CCycleGAN
    from helpers.models.ccyclegan_nets import ccyclegan_discriminator, ccyclegan_generator

    setup = CONFIGS[config.config]
    lr, d_lr = learning_rates(config)
    gan = CCycleGAN(ccyclegan_generator(setup, config.width, config.downsamplings),
                    ccyclegan_discriminator(setup, config.width), setup,
                    cycle_weight=config.cycle_weight, identity_weight=config.identity_weight)
    gan.compile(d_optimizer=keras.optimizers.Adam(d_lr, beta_1=0.5), g_optimizer=keras.optimizers.Adam(lr, beta_1=0.5),
                jit_compile=config.scale.jit_compile)
    gan((np.zeros((1, 48, 48, 1), np.float32), np.zeros(1, np.int32)))
    return gan


@chief_writes("ckpt_dir")
def train(config: CCycleGANConfig) -> Path:
    """Train the translator of ``config``; the release (generator.keras + config.json) in
    ``--ckpt-dir`` is refreshed after every epoch."""
    from helpers.expressions import NUM_EXPRESSIONS
    from helpers.training.distribute import make_strategy
    from helpers.training.gan_pipeline import GANRun, begin_run, fit_gan, gan_dataset, provenance, training_faces
    from helpers.training.gan_release import continue_release
    from helpers.training.precision import training_precision

    strategy = make_strategy(config.scale)
    seed = begin_run(config)
    x, y = training_faces(config)
    fixed = np.concatenate([x[y == e][:1] for e in range(NUM_EXPRESSIONS) if (y == e).any()])
    lr, d_lr = learning_rates(config)
    with training_precision(config.scale.precision) as precision:
        with strategy.scope():
            gan = build_gan(config)
        dataset = gan_dataset(x, y, config.batch_size, seed)
        release_config = {"kind": "ccyclegan", "image_size": 48, "expressions": list(range(NUM_EXPRESSIONS)),
                          "config": CONFIGS[config.config].to_dict(), "width": config.width,
                          "downsamplings": config.downsamplings,
                          "loss_weights": {"adversarial": gan.w_adv, "classification": gan.w_cls,
                                           "cycle": gan.w_cycle, "identity": gan.w_identity},
                          "learning_rate": lr, "d_learning_rate": d_lr, **provenance(config, precision)}
        warm_start = None
        if config.warm_start.init:
            warm_start = continue_release(load_init(config), config, gan, dataset, release_config)
        run = GANRun(gan, release_config, translation_grid_fn(gan, fixed), warm_start=warm_start)
        return fit_gan(run, dataset, config)
