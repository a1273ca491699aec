"""CCycleGAN training pipeline (any configuration of the experiment log), resumable.

Used by ``Generative_model/ccyclegan.py`` and notebook 06."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .cli import UserError


def translation_grid_fn(gan, images: np.ndarray):
    """A ``sample_fn(epoch, path)``: fixed sources (rows) next to their 7 translations."""
    from .expressions import NUM_EXPRESSIONS
    from .gans import to_model_range, to_uint8
    from .plots import save_png, tile

    def sample(epoch, path):
        x = np.asarray(to_model_range(images))
        columns = [images]
        for e in range(NUM_EXPRESSIONS):
            y = np.asarray(gan((x, np.full(len(x), e, np.int32)), training=False))
            columns.append(to_uint8(y))
        save_png(tile(np.stack(columns, axis=1).reshape(-1, 48, 48, 1), cols=NUM_EXPRESSIONS + 1), path, scale=2)

    return sample


def train(args) -> Path:
    """Train from parsed ``ccyclegan.py`` arguments; the translator release (generator.keras +
    config.json) in ``--ckpt-dir`` is refreshed after every epoch."""
    import keras
    import tensorflow as tf

    from .data import load_dataset
    from .gan_training import ResumableRun, train_epochs
    from .gans.ccyclegan import CCycleGAN
    from .generation import release_epoch
    from .models.ccyclegan_nets import CONFIGS, ccyclegan_discriminator, ccyclegan_generator

    if args.config not in CONFIGS:
        raise UserError(f"unknown configuration {args.config!r}; choose one of {', '.join(CONFIGS)}")
    config = CONFIGS[args.config]
    keras.utils.set_random_seed(args.seed)
    x, y = load_dataset(args.data)["Training"]
    if args.subset:
        x, y = x[: args.subset], y[: args.subset]
    fixed = np.concatenate([x[y == e][:1] for e in range(7) if (y == e).any()])
    if args.bf16:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    generator, discriminator = ccyclegan_generator(config), ccyclegan_discriminator(config)
    gan = CCycleGAN(generator, discriminator, config)
    d_opt = keras.optimizers.Adam(config.learning_rate, beta_1=0.5)
    g_opt = keras.optimizers.Adam(config.learning_rate, beta_1=0.5)
    gan.compile(d_optimizer=d_opt, g_optimizer=g_opt)
    gan((np.zeros((1, 48, 48, 1), np.float32), np.zeros(1, np.int32)))

    dataset = (tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=args.seed)
               .batch(args.batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE))
    run = ResumableRun(Path(args.ckpt_dir) / "training", {"generator": generator, "discriminator": discriminator},
                       {"generator": g_opt, "discriminator": d_opt}, keep=args.keep)
    release_config = {"kind": "ccyclegan", "image_size": 48, "expressions": list(range(7)),
                      "config": config.to_dict(), "train_args": vars(args)}

    def release(epoch):
        release_epoch(args.ckpt_dir, generator, release_config, epoch, args.snapshot_every)

    train_epochs(gan, dataset, epochs=args.epochs, run=run, resume=args.resume, on_epoch_end=release,
                 sample_fn=translation_grid_fn(gan, fixed), sample_every=args.sample_every)
    return Path(args.ckpt_dir)
