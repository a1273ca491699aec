"""The conditional WGAN-GP pipeline: autoencoder -> PCA expression codes -> cWGAN-GP, resumable.

Used by ``Generative_model/conditional_WGAN.py`` and notebook 05."""
from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import numpy as np

from helpers.errors import UserError
from helpers.expressions import NUM_EXPRESSIONS
from helpers.options import config_class, default, group, option
from helpers.training.distribute import chief_writes
from helpers.training.gan_pipeline import GANTrainingConfig, WarmStart


def load_codes(path: str | Path) -> np.ndarray:
    """(7, k) codes from an ``expression_codes.npz`` or a generator ``config.json``."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"codes file {path} does not exist")
    if path.suffix == ".json":
        return np.asarray(json.loads(path.read_text())["codes"], np.float32)
    with np.load(path) as z:
        return z["codes"].astype(np.float32)


def check_resumable(ckpt_dir: Path, saved: dict, config: CWGANConfig) -> None:
    """Refuse to resume a run whose critic was built differently (``saved``: the run's release
    config), so its saved weights would not fit, or a guided run without its guide."""
    trained = saved.get("train_args", {})
    features = trained.get("d_features", "gap")  # a config that does not name it averaged the maps
    if features != config.d_features or trained.get("d_width", config.d_width) != config.d_width:
        raise UserError(f"{ckpt_dir} was trained with --d-features {features} --d-width {trained.get('d_width')}: "
                        "pass the same to resume it, or choose another --ckpt-dir")
    if "guide" in saved and not config.guide:
        guide = saved["guide"]
        raise UserError(f"{ckpt_dir} was trained with --guide {guide['recognizer']} --guide-weight {guide['weight']}: "
                        "pass the same to resume it, or choose another --ckpt-dir")


def load_guide(path: str):
    """The ``--guide`` recognizer and its fingerprint, refused if it is the judge that will score
    the generator."""
    from helpers.inference.judge import refuse_as_guide
    from helpers.inference.recognition import load_recognizer

    guide = load_recognizer(path)
    return guide, refuse_as_guide(guide)


def load_init(config: CWGANConfig, code_dim: int | None):
    """The release ``--init`` names, of the same networks as this run's, with codes of
    ``code_dim`` dimensions (those of ``--codes``, if given)."""
    from helpers.training.gan_release import load_release_to_continue

    parent = load_release_to_continue(config, "cwgan", {"noise_dim": 100, "g_width": 128})
    if code_dim is not None and code_dim != len(parent.config["codes"][0]):
        raise UserError(f"--init {config.warm_start.init} was trained with {len(parent.config['codes'][0])}-d codes, "
                        f"--codes has {code_dim}: leave --codes out to use the release's")
    return parent


@config_class
class CWGANWarmStart(WarmStart):
    init: str | None = default(None, "continue a released cWGAN (its generator, and its critic where saved) with new "
                                     "optimizers; epochs count on from its epoch")
    d_warmup_epochs: float = default(1.0, "with --init of a release without discriminator.weights.h5: epochs of "
                                          "critic-only steps first")


@config_class
class CWGANConfig(GANTrainingConfig):
    """The conditional WGAN-GP's trainer: its expression codes (or the autoencoder that makes
    them), its networks, the critic's schedule and penalties, a frozen guide, and ``--init``."""

    COMMAND: ClassVar[str] = "Generative_model/conditional_WGAN.py"
    epochs: int = default(40)
    ckpt_dir: str = default("runs/cwgan")
    codes: str | None = option(None, "expression codes (.npz or a generator config.json) instead of training the "
                                     "autoencoder")
    k: int = option(16, "PCA dimensions of the expression codes", low=1, high=256)
    ae_epochs: int = option(10, low=0)
    noise_dim: int = option(100, low=1, high=4_096)
    g_width: int = option(128, low=1, high=4_096)
    d_width: int = option(32, low=1, high=1_024)
    d_features: str = option("flatten", "critic features: the flattened 6x6 maps, or their global average (the "
                                        "first release)", choices=("flatten", "gap"))
    n_critic: int = option(5, low=1, high=100)
    gp_weight: float = option(10.0, low=0)
    ac_weight: float = option(1.0, "weight of the critic's auxiliary expression classifier on real faces (0: "
                                   "projection only)", low=0, high=1_000)
    g_ac_weight: float = option(1.0, "weight of that classifier's cross-entropy on the generator's fakes", low=0,
                                high=1_000)
    lr: float = option(1e-4, low=0, high=1, low_open=True)
    guide: str | None = option(None, "a frozen recognizer (not the judge) whose cross-entropy on the fakes the "
                                     "generator also minimises, e.g. checkpoints/deep_emotion_fer2013.keras",
                               metavar="KERAS")
    guide_weight: float = option(1.0, "weight of the --guide cross-entropy", low=0, high=1_000)
    warm_start: CWGANWarmStart = group(CWGANWarmStart)


def expression_codes(config: CWGANConfig, x, y, saved: dict, parent) -> np.ndarray:
    """The run's (7, k) codes: ``--codes``, the continued release's, the resumed run's, or new ones
    from an autoencoder trained on ``x``."""
    from helpers.training.representations import train_autoencoder_codes

    codes_file = Path(config.ckpt_dir) / "representation" / "expression_codes.npz"
    if config.codes:
        return load_codes(config.codes)
    if parent is not None:
        return np.asarray(parent.config["codes"], np.float32)
    if "codes" in saved:
        return np.asarray(saved["codes"], np.float32)
    if config.resume and codes_file.exists():  # killed after the autoencoder, before the first epoch
        return load_codes(codes_file)
    return train_autoencoder_codes(x, y, k=config.k, epochs=config.ae_epochs, out_dir=codes_file.parent, seed=config.seed)[0]


def build_gan(config: CWGANConfig, codes: np.ndarray):
    """The cWGAN-GP of ``config`` for the (7, k) expression ``codes``, compiled and built, and the
    fingerprint of its ``--guide`` (None without one); call it inside the strategy's scope. The
    trainer and the benchmark build it here."""
    import keras

    from helpers.gans.cwgan import ConditionalWGAN
    from helpers.models import cwgan_critic, cwgan_generator

    critic = cwgan_critic(codes.shape[1], width=config.d_width, num_classes=NUM_EXPRESSIONS if config.ac_weight else 0,
                          features=config.d_features)
    guide, fingerprint = load_guide(config.guide) if config.guide else (None, None)
    gan = ConditionalWGAN(cwgan_generator(config.noise_dim, codes.shape[1], width=config.g_width), critic, codes,
                          noise_dim=config.noise_dim, n_critic=config.n_critic, gp_weight=config.gp_weight,
                          ac_weight=config.ac_weight, g_ac_weight=config.g_ac_weight, guide=guide,
                          guide_weight=config.guide_weight)
    gan.compile(d_optimizer=keras.optimizers.Adam(config.lr, beta_1=0.5, beta_2=0.9),
                g_optimizer=keras.optimizers.Adam(config.lr, beta_1=0.5, beta_2=0.9), jit_compile=config.scale.jit_compile)
    gan((np.zeros((1, config.noise_dim), np.float32), np.zeros(1, np.int32)))  # build
    return gan, fingerprint


@chief_writes("ckpt_dir")
def train(config: CWGANConfig) -> Path:
    """Run the whole pipeline of ``config``; returns the release folder (``generator.keras`` +
    ``config.json``), refreshed after every epoch."""
    from helpers.training.distribute import make_strategy
    from helpers.training.gan_pipeline import (GANRun, begin_run, fit_gan, gan_dataset, provenance, sample_grid_fn,
                                               training_faces)
    from helpers.training.gan_release import continue_release
    from helpers.training.precision import training_precision

    strategy = make_strategy(config.scale)
    ckpt_dir = Path(config.ckpt_dir)
    # A resumed run keeps the codes its release config holds.
    saved_file = ckpt_dir / "config.json"
    saved = json.loads(saved_file.read_text()) if config.resume and saved_file.exists() else {}
    if saved:
        check_resumable(ckpt_dir, saved, config)
    seed = begin_run(config)
    x, y = training_faces(config)
    init = config.warm_start.init
    parent = load_init(config, load_codes(config.codes).shape[1] if config.codes else None) if init else None
    codes = expression_codes(config, x, y, saved, parent)
    with training_precision(config.scale.precision) as precision:
        with strategy.scope():
            gan, guide_fingerprint = build_gan(config, codes)
        dataset = gan_dataset(x, y, config.batch_size, seed)
        release_config = {"kind": "cwgan", "image_size": 48, "noise_dim": config.noise_dim, "conditioning": "code",
                          "expressions": list(range(NUM_EXPRESSIONS)), "codes": codes.tolist(),
                          "representation": "PCA(k, whiten) of conv-autoencoder codes; class means, unit norm",
                          **provenance(config, precision)}
        if guide_fingerprint is not None:
            release_config["guide"] = {"recognizer": config.guide, "fingerprint": guide_fingerprint,
                                       "weight": config.guide_weight}
        warm_start = None
        if parent is not None:
            warm_start = continue_release(parent, config, gan, dataset, release_config,
                                          ("epoch", "command", "guide", "init"))
        run = GANRun(gan, release_config, sample_grid_fn(gan, range(NUM_EXPRESSIONS), config.noise_dim),
                     discriminator_name="critic", warm_start=warm_start)
        return fit_gan(run, dataset, config)
