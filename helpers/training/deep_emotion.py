"""Deep-Emotion (Minaee et al. 2019) with the options its public implementations use
(``--learning_rate``, ``--hparams``, ...): a front end over the recognizer trainer
(:mod:`helpers.training.recognizer`), which trains it as any other recognizer."""
from __future__ import annotations

import json
from typing import ClassVar

from helpers.data import DATA_HELP
from helpers.options import config_class, group, option
from helpers.training.distribute import ScaleOut
from helpers.training.gan_pipeline import TIME_LIMIT_HELP
from helpers.training.recognizer import RecognizerConfig

DEFAULT_HPARAMS = {"epochs": 30, "learning_rate": 0.02, "batch_size": 128}
#: the recognizer trainer's options as this front end spells them, for its messages (a refused --resume)
FLAGS = {"lr": "--learning_rate", "batch_size": "--batch_size", "class_balance": "--class_balance",
         "run_dir": "--run_dir", "model_args": "--width/--fc_width/--no_batch_norm/--dropout"}


@config_class
class DeepEmotionConfig:
    """Deep-Emotion's options. Without ``hparams`` the epochs, learning rate and batch size are
    :data:`DEFAULT_HPARAMS`. The default size is wider than the paper's (64 channels with batch
    norm, not 10 without): the topology is the paper's, and ``width``, ``fc_width`` and
    ``no_batch_norm`` give the paper's own size back."""

    COMMAND: ClassVar[str] = "-m helpers.deep_emotion --train"
    data: str | None = option(None, DATA_HELP)
    hparams: bool = option(False, "use --epochs/--learning_rate/--batch_size instead of the defaults")
    epochs: int = option(DEFAULT_HPARAMS["epochs"], low=1, high=100_000)
    learning_rate: float = option(DEFAULT_HPARAMS["learning_rate"], low=0, high=10, low_open=True)
    batch_size: int = option(DEFAULT_HPARAMS["batch_size"], low=1, high=65_536)
    width: int = option(64, "conv channels (paper: 10)", low=1, high=1_024)
    fc_width: int = option(256, "dense units (paper: 50)", low=1, high=4_096)
    no_batch_norm: bool = option(False, "no batch norm (as in the paper)")
    dropout: float = option(0.5, "dropout on the extractor's last maps (paper: 0.5); has no weights, so --init may "
                                 "change it", low=0, high=1, high_open=True)
    init: str | None = option(None, "start from a trained Deep-Emotion's weights (e.g. "
                                    "checkpoints/deep_emotion_fer2013.keras) with a new schedule: a second training "
                                    "stage", metavar="KERAS")
    class_balance: float = option(0.0, "weight each expression's loss by count^-POWER (0: unweighted; 0.5: inverse "
                                       "square root)", low=0, high=1, metavar="POWER")
    run_dir: str = option("runs/deep_emotion")
    resume: bool = option(False, "continue --run_dir after a kill or --time_limit, with the same options",
                          recorded=False)
    time_limit: float | None = option(None, TIME_LIMIT_HELP, kind=float, low=0, metavar="MINUTES", recorded=False)
    scale: ScaleOut = group(ScaleOut)
    subset: int = option(0, "first N training images only (smoke runs)", low=0)

    def recognizer_config(self) -> RecognizerConfig:
        """The recognizer trainer's config that these options stand for."""
        hp = ({"epochs": self.epochs, "learning_rate": self.learning_rate, "batch_size": self.batch_size}
              if self.hparams else DEFAULT_HPARAMS)
        arch = {"width": self.width, "fc_width": self.fc_width, "batch_norm": not self.no_batch_norm,
                "dropout": self.dropout}
        return RecognizerConfig(model="deep_emotion", model_args=json.dumps(arch), data=self.data, epochs=hp["epochs"],
                                lr=hp["learning_rate"], batch_size=hp["batch_size"], run_dir=self.run_dir,
                                init=self.init, class_balance=self.class_balance, resume=self.resume,
                                time_limit=self.time_limit, scale=self.scale, subset=self.subset, flags=FLAGS)
