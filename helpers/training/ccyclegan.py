"""CCycleGAN training pipeline (any configuration of the experiment log), resumable.

Used by ``Generative_model/ccyclegan.py`` and notebook 06."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from helpers.arguments import number
from helpers.cli import add_init_arguments, command_line, gan_training_parser
from helpers.errors import UserError


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


def parse_args(argv=None, description: str | None = None):
    """The training script's arguments (the script passes its docstring as the description)."""
    from helpers.models.ccyclegan_nets import CONFIGS

    p = gan_training_parser(description, epochs=30, batch_size=32, ckpt_dir="runs/ccyclegan",
                            batch_help="real faces per step (x6 translations from T24 on)")
    p.add_argument("--config", default="T26", choices=list(CONFIGS),
                   help="; ".join(f"{k}: {c.description}" for k, c in CONFIGS.items()))
    number(p, "--width", kind=int, low=1, high=1_024, default=32,
                   help="channels of the first convolution of G_enc and D (then 2x, 4x); 64 is 4x the compute")
    p.add_argument("--downsamplings", type=int, default=2, choices=(2, 3),
                   help="stride-2 convolutions in G_enc: 2 gives a 12x12 latent, 3 a 6x6 one")
    number(p, "--lr", kind=float, low=0, high=1, low_open=True, default=None,
                   help="Adam learning rate of both networks (default: the configuration's)")
    number(p, "--d-lr", kind=float, low=0, high=1, low_open=True, default=None,
                   help="the discriminator's own learning rate (default: --lr); a faster discriminator keeps a "
                        "generator from exploiting it (two time-scale updates)")
    add_init_arguments(p, "continue a released translator (a folder such as checkpoints/ccyclegan_fer2013, "
                          "trained with the same --config, --width and --downsamplings): its generator and the "
                          "discriminator saved with it, with new optimizers; epochs count on from the release's, "
                          "so --epochs is the epoch to stop at",
                       3.0, "with --init of a release without discriminator.weights.h5 (those before it was "
                            "saved with the generator): epochs of discriminator-only updates before the generator "
                            "trains, so that the fresh discriminator has learnt something first")
    number(p, "--cycle-weight", kind=float, low=0, high=1_000, default=None,
                   help="weight of the cycle loss |G(G(x, target), source) - x| (default: the configuration's); "
                        "larger keeps more of the source face, at some cost in expression")
    number(p, "--identity-weight", kind=float, low=0, high=1_000, default=None,
                   help="weight of the identity loss |G(x, own expression) - x| (default: the configuration's; "
                        "T1 uses it, T17 on do not)")
    args = p.parse_args(argv)
    args.command = command_line("Generative_model/ccyclegan.py", argv)
    return args


def load_init(args):
    """The release ``--init`` names, checked against the options of this run."""
    from helpers.training.gan_pipeline import check_init_epochs
    from helpers.inference.translation import load_translator

    parent = load_translator(args.init)
    built = {"config": args.config, "width": args.width, "downsamplings": args.downsamplings}
    released = {"config": parent.config.get("config", {}).get("name"), "width": parent.config.get("width"),
                "downsamplings": parent.config.get("downsamplings")}
    if released != built:
        raise UserError(f"--init {args.init} was trained with " + " ".join(f"--{k} {v}" for k, v in released.items())
                        + "; pass the same options")
    check_init_epochs(parent, args.epochs)
    return parent


def learning_rates(args, config) -> tuple[float, float]:
    """The generator's and the discriminator's Adam learning rates: ``--lr`` and ``--d-lr``, or
    the configuration's."""
    lr = config.learning_rate if args.lr is None else args.lr
    return lr, lr if args.d_lr is None else args.d_lr


def build_gan(args, config):
    """The CCycleGAN of configuration ``config`` at ``args``' size, compiled and built; call it
    inside the strategy's scope. The trainer and the benchmark build it here."""
    import keras

    from helpers.gans.ccyclegan import CCycleGAN
    from helpers.models.ccyclegan_nets import ccyclegan_discriminator, ccyclegan_generator

    lr, d_lr = learning_rates(args, config)
    gan = CCycleGAN(ccyclegan_generator(config, args.width, args.downsamplings),
                    ccyclegan_discriminator(config, args.width), config)
    gan.compile(d_optimizer=keras.optimizers.Adam(d_lr, beta_1=0.5), g_optimizer=keras.optimizers.Adam(lr, beta_1=0.5),
                cycle_weight=args.cycle_weight, identity_weight=args.identity_weight, jit_compile=args.jit_compile)
    gan((np.zeros((1, 48, 48, 1), np.float32), np.zeros(1, np.int32)))
    return gan


def train(args) -> Path:
    """Train from parsed ``ccyclegan.py`` arguments; the translator release (generator.keras +
    config.json) in ``--ckpt-dir`` is refreshed after every epoch."""
    from helpers.expressions import NUM_EXPRESSIONS
    from helpers.models.ccyclegan_nets import CONFIGS
    from helpers.training.gan_pipeline import GANRun, continue_release, fit_gan, gan_dataset, begin_run, training_faces
    from helpers.training.distribute import make_strategy
    from helpers.training.precision import set_training_precision

    strategy = make_strategy(args.strategy, args.cpu_devices, args.jit_compile)  # first: --cpu-devices precedes TensorFlow's devices
    if args.config not in CONFIGS:
        raise UserError(f"unknown configuration {args.config!r}; choose one of {', '.join(CONFIGS)}")
    config = CONFIGS[args.config]
    seed = begin_run(args)
    x, y = training_faces(args)
    fixed = np.concatenate([x[y == e][:1] for e in range(NUM_EXPRESSIONS) if (y == e).any()])
    args.precision = set_training_precision(args.precision)
    lr, d_lr = learning_rates(args, config)
    with strategy.scope():
        gan = build_gan(args, config)

    dataset = gan_dataset(x, y, args.batch_size, seed)
    release_config = {"kind": "ccyclegan", "image_size": 48, "expressions": list(range(NUM_EXPRESSIONS)),
                      "config": config.to_dict(), "width": args.width, "downsamplings": args.downsamplings,
                      "loss_weights": {"adversarial": gan.w_adv, "classification": gan.w_cls, "cycle": gan.w_cycle,
                                       "identity": gan.w_identity},
                      "learning_rate": lr, "d_learning_rate": d_lr, "command": getattr(args, "command", None),
                      "train_args": vars(args)}
    warm_start = None
    if args.init:
        warm_start = continue_release(load_init(args), args, gan, dataset, release_config)
    return fit_gan(GANRun(gan, release_config, translation_grid_fn(gan, fixed), warm_start=warm_start), dataset, args)
