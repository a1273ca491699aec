"""Train the conditional CycleGAN (expression translation) on FER2013 Training.

    python Generative_model/ccyclegan.py --config T26 --epochs 30 --ckpt-dir runs/ccyclegan_t26 --bf16
    python Generative_model/ccyclegan.py --config T1 --epochs 5 --ckpt-dir runs/ablation_t1       # an earlier row of the log
    python Generative_model/ccyclegan.py ... --resume                                             # after a kill

Configurations (rows of the experiment log, one code path): T1, T17, T20, T21, T22, T24, T26
(the default). The checkpoint folder gets the translator release (generator.keras + config.json,
refreshed every epoch) and training/ (the last --keep checkpoints, history.json, tensorboard/,
samples/epoch_NNNN.png: fixed sources next to their 7 translations).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a clone without installing

from helpers.cli import run_cli, training_command  # noqa: E402
from helpers.training.ccyclegan import CCycleGANConfig, train  # noqa: E402

main = training_command(CCycleGANConfig, train, __doc__, "python Generative_model/Expression_translator.py {release} faces/ Surprise out/")


if __name__ == "__main__":
    run_cli(main)
