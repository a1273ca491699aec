"""Train the conditional WGAN-GP on FER2013 Training (autoencoder + PCA codes first).

    python Generative_model/conditional_WGAN.py --epochs 40 --ckpt-dir runs/cwgan --bf16
    python Generative_model/conditional_WGAN.py --epochs 60 --ckpt-dir runs/cwgan --bf16 --resume   # after a kill, or for more epochs

The checkpoint folder receives: generator.keras + config.json (the release, refreshed every
epoch; Expression_generator.py reads it), representation/ (autoencoder and codes),
training/ckpt-NNNN/ (the last --keep epochs, for --resume), training/history.csv,
training/tensorboard/ and training/samples/epoch_NNNN.png (fixed-seed grids, one row per expression).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a clone without installing

from helpers.cli import gan_training_parser, run_cli  # noqa: E402


def parse_args(argv=None):
    p = gan_training_parser(__doc__, epochs=40, batch_size=64, ckpt_dir="runs/cwgan")
    p.add_argument("--codes", help="expression codes (.npz or a generator config.json) instead of training the autoencoder")
    p.add_argument("--k", type=int, default=12, help="PCA dimensions of the expression codes")
    p.add_argument("--ae-epochs", type=int, default=10)
    p.add_argument("--noise-dim", type=int, default=100)
    p.add_argument("--g-width", type=int, default=256)
    p.add_argument("--d-width", type=int, default=64)
    p.add_argument("--n-critic", type=int, default=5)
    p.add_argument("--gp-weight", type=float, default=10.0)
    p.add_argument("--lr", type=float, default=1e-4)
    return p.parse_args(argv)


def main(argv=None):
    from helpers.train_cwgan import train

    release = train(parse_args(argv))
    print(f"generator checkpoint: {release}  (try: python Generative_model/Expression_generator.py {release} Fear 16 out/)")


if __name__ == "__main__":
    run_cli(main)
