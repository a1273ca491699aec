r"""Train the conditional WGAN-GP on FER2013 Training (autoencoder + PCA codes first).

    python Generative_model/conditional_WGAN.py --epochs 40 --ckpt-dir runs/cwgan --bf16
    python Generative_model/conditional_WGAN.py --epochs 60 --ckpt-dir runs/cwgan --bf16 --resume   # after a kill, or for more epochs
    python Generative_model/conditional_WGAN.py --init checkpoints/cwgan_fer2013 --epochs 40 --ckpt-dir runs/cwgan2 \
        --guide checkpoints/deep_emotion_fer2013.keras --bf16      # continue a release, guided by a frozen recognizer

The checkpoint folder receives: generator.keras + config.json (the release, refreshed every
epoch; Expression_generator.py reads it) + discriminator.weights.h5 (the critic, for --init),
representation/ (autoencoder and codes),
training/ckpt-NNNN/ (the last --keep epochs, for --resume), training/history.json,
training/tensorboard/ and training/samples/epoch_NNNN.png (fixed-seed grids, one row per expression).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a clone without installing

from helpers.cli import run_cli, training_command  # noqa: E402
from helpers.training.cwgan import CWGANConfig, train  # noqa: E402

main = training_command(CWGANConfig, train, __doc__, "python Generative_model/Expression_generator.py {release} Fear 16 out/")


if __name__ == "__main__":
    run_cli(main)
