"""Train the projection cGAN (spectral norm, hinge loss, DiffAugment, EMA generator) on FER2013.

    python Generative_model/sngan.py --epochs 60 --ckpt-dir runs/sngan --time-limit 150
    python Generative_model/sngan.py --epochs 60 --ckpt-dir runs/sngan --resume        # after a stop, or for more epochs

Batches draw the expressions with --class-balance (0.5: in proportion to the square root of their
counts, so Disgust is drawn about 3x as often as its share). The checkpoint folder gets the
release (the averaged generator's generator.keras + config.json, refreshed every epoch; the
discriminator's weights beside it) and training/ (the last --keep checkpoints, history.json,
tensorboard/, samples/epoch_NNNN.png: one row per expression from fixed noise).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a clone without installing

from helpers.cli import run_cli, training_command  # noqa: E402
from helpers.training.sngan import SNGANConfig, train  # noqa: E402

main = training_command(SNGANConfig, train, __doc__, "python Generative_model/Expression_generator.py {release} Fear 16 out/")


if __name__ == "__main__":
    run_cli(main)
