"""Train a DCGAN (or one of the six architecture variants) on FER2013 faces.

    python Generative_model/dcgan.py --expressions all --epochs 50 --ckpt-dir runs/dcgan_all --bf16        # label-conditioned
    python Generative_model/dcgan.py --expressions surprise --variant variant6 --epochs 50 --ckpt-dir runs/v6
    python Generative_model/dcgan.py ... --resume                                                             # after a kill

--expressions: "all" (7), "five" (neutral, fear, angry, surprise, disgust), or a comma list; more
than one expression trains one label-conditioned model, a single one a per-expression model
(which then refuses other expressions in Expression_generator.py). The checkpoint folder gets the
release (generator.keras + config.json, refreshed every epoch) and training/ (the last --keep
checkpoints, history.json, tensorboard/, samples/epoch_NNNN.png).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a clone without installing

from helpers.cli import run_cli, training_command  # noqa: E402
from helpers.training.dcgan import DCGANConfig, train  # noqa: E402

main = training_command(DCGANConfig, train, __doc__, "python Generative_model/Expression_generator.py {release} Surprise 16 out/")


if __name__ == "__main__":
    run_cli(main)
