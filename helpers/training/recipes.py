"""The recorded recipe of a shipped model, replayed: its training stages, oldest first, read from
what the release recorded, and each stage's command rerun with new folders.

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
from importlib import import_module
from pathlib import Path

from helpers.data import REPO_ROOT
from helpers.errors import UserError

#: the options a replay sets itself, and so removes from a recorded command
OUTPUT_OPTIONS = ("--epochs", "--ckpt-dir", "--run-dir", "--run_dir", "--init")
FLAGS_DROPPED = ("--resume",)
#: each recorded program -> the module whose ``parse_args`` reads its arguments: the recognizer
#: commands themselves (replayed through their ``main``), the GAN scripts' library trainers
TRAINERS = {"helpers.train_recognizer": "helpers.train_recognizer", "helpers.deep_emotion": "helpers.deep_emotion",
            "Generative_model/conditional_WGAN.py": "helpers.training.cwgan",
            "Generative_model/ccyclegan.py": "helpers.training.ccyclegan",
            "Generative_model/dcgan.py": "helpers.training.dcgan", "Generative_model/sngan.py": "helpers.training.sngan"}


@dataclass
class Stage:
    """One recorded training run: the program (a key of :data:`TRAINERS`), its arguments as
    recorded, the epochs to train, and, for a GAN that continued a release, whether its
    discriminator started afresh (the release records it as ``init.discriminator``)."""
    program: str
    argv: list[str]
    epochs: int
    fresh_discriminator: bool = False

    @property
    def folder_option(self) -> str:
        """The option that names the run's folder in this program's command line."""
        return {"helpers.deep_emotion": "--run_dir", "helpers.train_recognizer": "--run-dir"}.get(self.program, "--ckpt-dir")

    def replay_argv(self, out_dir: str | Path, init: str | Path | None = None, epochs: int | None = None,
                    replace: dict[str, str] | None = None, extra: list[str] | None = None) -> list[str]:
        """The recorded arguments with this replay's output folder, ``--init``, ``--epochs`` and
        ``--resume`` (so that a replay killed part-way continues), other options' values swapped by
        ``replace``, and ``extra`` appended."""
        argv, kept, i = self.argv, [], 0
        replace = replace or {}
        while i < len(argv):
            option = argv[i]
            if option in OUTPUT_OPTIONS:
                i += 2
                continue
            if option in FLAGS_DROPPED:
                i += 1
                continue
            kept.append(option)
            if option in replace:
                kept.append(str(replace[option]))
                i += 2
                continue
            i += 1
        kept += ["--epochs", str(self.epochs if epochs is None else epochs), self.folder_option, str(out_dir), "--resume"]
        kept += ["--init", str(init)] if init is not None else []
        kept += ["--fresh-discriminator"] if init is not None and self.fresh_discriminator else []
        return kept + list(extra or [])


def parse_command(command: str) -> tuple[str, list[str]]:
    """``"python -m helpers.train_recognizer --epochs 25 ..."`` -> ``("helpers.train_recognizer", [...])``."""
    words = shlex.split(command)
    if words and Path(words[0]).name.startswith("python"):
        words = words[1:]
    program, argv = (words[1], words[2:]) if words[:1] == ["-m"] else (words[0], words[1:])
    if program not in TRAINERS:
        raise UserError(f"recorded command {command!r} runs {program}, which is not one of the project's trainers "
                        f"({', '.join(TRAINERS)})")
    return program, argv


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
            chain.append(Stage(*parse_command(config["command"]), epochs=int(config["epoch"]),
                               fresh_discriminator=bool(parent) and parent.get("discriminator") == "fresh"))
            config = parent
        return chain[::-1]
    record = json.loads(path.with_suffix(".json").read_text())
    return [Stage(*parse_command(stage["command"]), epochs=int(stage["epochs"])) for stage in record["stages"]]


def run_stage(stage: Stage, argv: list[str]) -> Path:
    """Train one stage in this process with ``argv`` (from :meth:`Stage.replay_argv`), as its
    recorded program would; returns its release: a GAN folder, or a recognizer run's best epoch."""
    module = import_module(TRAINERS[stage.program])
    if stage.program.startswith("Generative_model/"):
        return Path(module.train(module.parse_args(argv)))
    module.main(argv)
    return Path(argv[argv.index(stage.folder_option) + 1]) / "best.keras"


def check_stage(stage: Stage, argv: list[str]) -> None:
    """Parse ``argv`` with the stage's own command line, as :func:`run_stage` would, without
    training: a recorded option that today's trainer no longer takes fails here."""
    import_module(TRAINERS[stage.program]).parse_args(argv)
