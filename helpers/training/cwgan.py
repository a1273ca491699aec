"""The conditional WGAN-GP pipeline: autoencoder -> PCA expression codes -> cWGAN-GP, resumable.

Used by ``Generative_model/conditional_WGAN.py`` and notebook 05."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from helpers.arguments import number
from helpers.cli import add_init_arguments, command_line, gan_training_parser
from helpers.errors import UserError
from helpers.expressions import NUM_EXPRESSIONS


def load_codes(path: str | Path) -> np.ndarray:
    """(7, k) codes from an ``expression_codes.npz`` or a generator ``config.json``."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"codes file {path} does not exist")
    if path.suffix == ".json":
        return np.asarray(json.loads(path.read_text())["codes"], np.float32)
    with np.load(path) as z:
        return z["codes"].astype(np.float32)


def check_resumable(ckpt_dir: Path, saved: dict, args) -> None:
    """Refuse to resume a run whose critic was built differently (``saved``: the run's release
    config), so its saved weights would not fit, or a guided run without its guide."""
    trained = saved.get("train_args", {})
    features = trained.get("d_features", "gap")  # a config that does not name it averaged the maps
    if features != args.d_features or trained.get("d_width", args.d_width) != args.d_width:
        raise UserError(f"{ckpt_dir} was trained with --d-features {features} --d-width {trained.get('d_width')}: "
                        "pass the same to resume it, or choose another --ckpt-dir")
    if "guide" in saved and not args.guide:
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


def load_init(args, code_dim: int | None):
    """The release ``--init`` names, checked against the options of this run."""
    from helpers.training.gan_pipeline import check_init_epochs
    from helpers.inference.generators import load_generator

    parent = load_generator(args.init)
    if parent.config.get("kind") != "cwgan":
        raise UserError(f"--init {args.init} is a {parent.config.get('kind')} release, not a cwgan one")
    released = {"noise-dim": parent.config.get("noise_dim"),
                "g-width": parent.config.get("train_args", {}).get("g_width", 128)}
    if released != {"noise-dim": args.noise_dim, "g-width": args.g_width}:
        raise UserError(f"--init {args.init} is a cwgan release with "
                        + " ".join(f"--{k} {v}" for k, v in released.items()) + "; pass the same options")
    if code_dim is not None and code_dim != len(parent.config["codes"][0]):
        raise UserError(f"--init {args.init} was trained with {len(parent.config['codes'][0])}-d codes, --codes has "
                        f"{code_dim}: leave --codes out to use the release's")
    check_init_epochs(parent, args.epochs)
    return parent


def parse_args(argv=None, description: str | None = None):
    """The training script's arguments (the script passes its docstring as the description)."""
    p = gan_training_parser(description, epochs=40, batch_size=64, ckpt_dir="runs/cwgan")
    p.add_argument("--codes", help="expression codes (.npz or a generator config.json) instead of training the autoencoder")
    number(p, "--k", kind=int, low=1, high=256, default=16, help="PCA dimensions of the expression codes")
    number(p, "--ae-epochs", kind=int, low=0, default=10)
    number(p, "--noise-dim", kind=int, low=1, high=4_096, default=100)
    number(p, "--g-width", kind=int, low=1, high=4_096, default=128)
    number(p, "--d-width", kind=int, low=1, high=1_024, default=32)
    p.add_argument("--d-features", choices=("flatten", "gap"), default="flatten",
                   help="critic features: the flattened 6x6 maps, or their global average (the first release)")
    number(p, "--n-critic", kind=int, low=1, high=100, default=5)
    number(p, "--gp-weight", kind=float, low=0, default=10.0)
    number(p, "--ac-weight", kind=float, low=0, high=1_000, default=1.0,
                   help="weight of the critic's auxiliary expression classifier on real faces (0: projection only)")
    number(p, "--g-ac-weight", kind=float, low=0, high=1_000, default=1.0,
                   help="weight of that classifier's cross-entropy on the generator's fakes")
    number(p, "--lr", kind=float, low=0, high=1, low_open=True, default=1e-4)
    p.add_argument("--guide", metavar="KERAS", default=None,
                   help="a frozen recognizer (not the judge) whose cross-entropy on the fakes the generator "
                        "also minimises, e.g. checkpoints/deep_emotion_fer2013.keras")
    number(p, "--guide-weight", kind=float, low=0, high=1_000, default=1.0, help="weight of the --guide cross-entropy")
    add_init_arguments(p, "continue a released cWGAN (its generator, and its critic where saved) with new optimizers; "
                          "epochs count on from its epoch",
                       1.0, "with --init of a release without discriminator.weights.h5: epochs of critic-only steps first")
    args = p.parse_args(argv)
    args.command = command_line("Generative_model/conditional_WGAN.py", argv)
    return args


def expression_codes(args, x, y, saved: dict, parent) -> np.ndarray:
    """The run's (7, k) codes: ``--codes``, the continued release's, the resumed run's, or new ones
    from an autoencoder trained on ``x``."""
    from helpers.training.representations import train_autoencoder_codes

    codes_file = Path(args.ckpt_dir) / "representation" / "expression_codes.npz"
    if args.codes:
        return load_codes(args.codes)
    if parent is not None:
        return np.asarray(parent.config["codes"], np.float32)
    if "codes" in saved:
        return np.asarray(saved["codes"], np.float32)
    if args.resume and codes_file.exists():  # killed after the autoencoder, before the first epoch
        return load_codes(codes_file)
    return train_autoencoder_codes(x, y, k=args.k, epochs=args.ae_epochs, out_dir=codes_file.parent, seed=args.seed)[0]


def build_gan(args, codes: np.ndarray):
    """The cWGAN-GP of ``args`` for the (7, k) expression ``codes``, compiled and built, and the
    fingerprint of its ``--guide`` (None without one); call it inside the strategy's scope. The
    trainer and the benchmark build it here."""
    import keras

    from helpers.gans.cwgan import ConditionalWGAN
    from helpers.models import cwgan_critic, cwgan_generator

    critic = cwgan_critic(codes.shape[1], width=args.d_width, num_classes=NUM_EXPRESSIONS if args.ac_weight else 0,
                          features=args.d_features)
    guide, fingerprint = load_guide(args.guide) if args.guide else (None, None)
    gan = ConditionalWGAN(cwgan_generator(args.noise_dim, codes.shape[1], width=args.g_width), critic, codes,
                          noise_dim=args.noise_dim, n_critic=args.n_critic, gp_weight=args.gp_weight,
                          ac_weight=args.ac_weight, g_ac_weight=args.g_ac_weight, guide=guide,
                          guide_weight=args.guide_weight)
    gan.compile(d_optimizer=keras.optimizers.Adam(args.lr, beta_1=0.5, beta_2=0.9),
                g_optimizer=keras.optimizers.Adam(args.lr, beta_1=0.5, beta_2=0.9), jit_compile=args.jit_compile)
    gan((np.zeros((1, args.noise_dim), np.float32), np.zeros(1, np.int32)))  # build
    return gan, fingerprint


def train(args) -> Path:
    """Run the whole pipeline from parsed ``conditional_WGAN.py`` arguments; returns the
    release folder (``generator.keras`` + ``config.json``), refreshed after every epoch."""
    from helpers.training.gan_pipeline import (GANRun, continue_release, fit_gan, gan_dataset, sample_grid_fn, begin_run,
                                               training_faces)
    from helpers.training.distribute import make_strategy
    from helpers.training.precision import set_training_precision

    strategy = make_strategy(args.strategy, args.cpu_devices, args.jit_compile)  # first: --cpu-devices precedes TensorFlow's devices
    ckpt_dir = Path(args.ckpt_dir)
    # A resumed run keeps the codes its release config holds.
    saved_file = ckpt_dir / "config.json"
    saved = json.loads(saved_file.read_text()) if args.resume and saved_file.exists() else {}
    if saved:
        check_resumable(ckpt_dir, saved, args)
    seed = begin_run(args)
    x, y = training_faces(args)
    parent = load_init(args, load_codes(args.codes).shape[1] if args.codes else None) if args.init else None
    codes = expression_codes(args, x, y, saved, parent)
    args.precision = set_training_precision(args.precision)

    with strategy.scope():
        gan, guide_fingerprint = build_gan(args, codes)

    dataset = gan_dataset(x, y, args.batch_size, seed)
    config = {"kind": "cwgan", "image_size": 48, "noise_dim": args.noise_dim, "conditioning": "code",
              "expressions": list(range(NUM_EXPRESSIONS)), "codes": codes.tolist(),
              "representation": "PCA(k, whiten) of conv-autoencoder codes; class means, unit norm",
              "command": getattr(args, "command", None), "train_args": vars(args)}
    if guide_fingerprint is not None:
        config["guide"] = {"recognizer": args.guide, "fingerprint": guide_fingerprint, "weight": args.guide_weight}
    warm_start = None
    if parent is not None:
        warm_start = continue_release(parent, args, gan, dataset, config, ("epoch", "command", "guide", "init"))
    run = GANRun(gan, config, sample_grid_fn(gan, range(NUM_EXPRESSIONS), args.noise_dim), discriminator_name="critic",
                 warm_start=warm_start)
    return fit_gan(run, dataset, args)
