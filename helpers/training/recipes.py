"""The recorded recipe of a shipped model, replayed: its training stages, oldest first, read from
what the release recorded, each turned into its trainer's typed config and trained again with
new folders.

A recognizer's provenance file (``<name>.json``) lists its stages under ``"stages"``, each with
its command and its epochs (the length of its learning-rate cycle; the epoch kept is chosen on
PublicTest by the run itself). A GAN release's ``config.json`` holds the command that made it
and, under ``"init"``, the config of the release it continued; each stage is trained to the
epoch its release was taken at. The notebooks' ``TRAIN = True`` paths go through here, so they
rebuild what ships rather than a recipe of their own (``tests/test_notebook_recipes.py``)."""
from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path

from helpers.data import REPO_ROOT
from helpers.errors import UserError
from helpers.options import options, parse_config, record, replace
from helpers.training.ccyclegan import CCycleGANConfig
from helpers.training.cwgan import CWGANConfig
from helpers.training.dcgan import DCGANConfig
from helpers.training.deep_emotion import DeepEmotionConfig
from helpers.training.recognizer import RecognizerConfig
from helpers.training.sngan import SNGANConfig

#: every trainer's config, by the command its runs record
CONFIGS = [RecognizerConfig, DeepEmotionConfig, CWGANConfig, CCycleGANConfig, DCGANConfig, SNGANConfig]


@dataclass
class Stage:
    """One recorded training run: its trainer's config as recorded, the epochs to train, and,
    for a GAN that continued a release, whether its discriminator started afresh (the release
    records it as ``init.discriminator``)."""
    config: object
    epochs: int
    fresh_discriminator: bool = False

    def replay(self, out_dir: str | Path, init: str | Path | None = None, epochs: int | None = None, **changes):
        """The recorded config with this replay's output folder, ``--init``, ``--epochs`` and
        ``--resume`` (so that a replay killed part-way continues), and other options ``changes``
        (by name: ``subset=96``)."""
        offered = {o.name for o in options(type(self.config))}
        folder = "run_dir" if "run_dir" in offered else "ckpt_dir"
        start = {"init": None if init is None else str(init),
                 "fresh_discriminator": init is not None and self.fresh_discriminator}
        return replace(self.config, **{folder: str(out_dir), "epochs": self.epochs if epochs is None else epochs,
                                       "resume": True, **{k: v for k, v in start.items() if k in offered}, **changes})


def read_command(command: str):
    """A recorded command line as its trainer's config: ``"python -m helpers.train_recognizer
    --epochs 25 ..."`` -> ``RecognizerConfig(epochs=25, ...)``; a command of the Deep-Emotion front end
    becomes the recognizer config it stands for."""
    words = shlex.split(command)
    if words and Path(words[0]).name.startswith("python"):
        words = words[1:]
    for config_class in CONFIGS:
        program = shlex.split(config_class.COMMAND)
        if words[: len(program)] == program:
            sep = "_" if config_class is DeepEmotionConfig else "-"
            try:
                config = parse_config(config_class, words[len(program):], sep)
            except ValueError as exc:
                raise UserError(f"recorded command {command!r} no longer parses: {exc}") from None
            config = replace(config, **in_the_repository(record(config)))
            return config.recognizer_config() if config_class is DeepEmotionConfig else config
    raise UserError(f"recorded command {command!r} is not one of the project's trainers "
                    f"({', '.join(c.COMMAND for c in CONFIGS)})")


def in_the_repository(options: dict) -> dict:
    """The options of a recorded command that name a file of the repository by a relative path (the
    commands are recorded as run from its root), anchored there, so that a replay finds them from
    any folder (a notebook runs in ``notebooks/``)."""
    return {name: str(REPO_ROOT / value) for name, value in options.items()
            if isinstance(value, str) and value and not Path(value).is_absolute() and (REPO_ROOT / value).exists()
            and name not in ("ckpt_dir", "run_dir")}


def recorded_stages(checkpoint: str | Path) -> list[Stage]:
    """The stages that made a shipped model, oldest first: from ``<checkpoint>.json`` for a
    single-file recognizer, from ``<checkpoint>/config.json`` (and its ``init`` chain) for a
    generator or translator folder."""
    path = Path(checkpoint)
    path = path if path.exists() else REPO_ROOT / path  # a path relative to here, or to the repository
    if path.is_dir():
        config, chain = json.loads((path / "config.json").read_text()), []
        while config:
            parent = config.get("init") if isinstance(config.get("init"), dict) else None
            chain.append(Stage(read_command(config["command"]), epochs=int(config["epoch"]),
                               fresh_discriminator=bool(parent) and parent.get("discriminator") == "fresh"))
            config = parent
        return chain[::-1]
    record = json.loads(path.with_suffix(".json").read_text())
    return [Stage(read_command(stage["command"]), epochs=int(stage["epochs"])) for stage in record["stages"]]


def run_stage(config) -> Path:
    """Train one stage (a config from :meth:`Stage.replay`) in this process; returns its release:
    a GAN folder, or a recognizer run's best epoch."""
    from helpers.training import ccyclegan, cwgan, dcgan, recognizer, sngan

    trainers = {RecognizerConfig: recognizer.train, CWGANConfig: cwgan.train, CCycleGANConfig: ccyclegan.train,
                DCGANConfig: dcgan.train, SNGANConfig: sngan.train}
    return Path(trainers[type(config)](config))
