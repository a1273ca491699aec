"""Generator checkpoints: one format for every generator the project trains.

A checkpoint is a directory holding ``generator.keras`` and ``config.json``::

    {"kind": "cwgan" | "dcgan", "image_size": 48, "noise_dim": 100,
     "conditioning": "code" | "label" | "none", "output": "tanh" | "sigmoid",
     "expressions": [ids the model can produce, FER2013 order],
     "codes": [[...], ...]   # (7, k) expression representations, for "code" conditioning
     ...}

``load_generator`` also accepts the path of the ``.keras`` file itself (the config beside it)."""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from helpers.errors import UserError
from helpers.expressions import expression_name
from helpers.files import sha256_of, write_json

CONFIG = "config.json"
MODEL = "generator.keras"
MODEL_DIGEST = "model_sha256"  # in config.json: the generator.keras it was written with
SWITCH_WAIT_S = 10.0  # how long a reader waits for a release that is being written to settle
MIN_TRUNCATION = 0.1  # a redraw keeps 8% of the values at ±0.1; below, sampling would crawl


def save_generator(directory: str | Path, generator, config: dict, litert: bool = True) -> Path:
    """Write ``generator.keras`` (readable by every supported Keras), its LiteRT twin
    ``generator.tflite`` and ``config.json``, each atomically. With ``litert=False`` (a release
    refreshed every epoch) an older ``generator.tflite`` is removed instead, so the two files never
    disagree; :func:`save_litert_release` writes it when a training run completes.

    The release switches as one unit: ``config.json`` is written last and records the SHA-256 of
    the ``generator.keras`` it belongs to (``model_sha256``), which :func:`load_checkpoint` checks,
    so a reader sees the previous release or the new one, never one's weights with the other's
    config."""
    from helpers.models.files import save_model

    directory = Path(directory)
    save_model(generator, directory / MODEL, litert=litert)
    write_json(directory / CONFIG, {**config, MODEL_DIGEST: sha256_of(directory / MODEL)}, indent=1)
    return directory


def release_epoch(ckpt_dir: str | Path, generator, config: dict, epoch: int, snapshot_every: int = 0) -> list[Path]:
    """After an epoch: refresh the release in ``ckpt_dir`` (float32, standard Keras layers; its
    LiteRT twin follows when the run completes) and, every ``snapshot_every`` epochs, keep a
    loadable copy in ``ckpt_dir/training/generators/epoch_NNNN/``. Returns the folders written."""
    from helpers.models.release import float32_copy

    clean, config = float32_copy(generator), {**config, "epoch": epoch}
    written = [save_generator(ckpt_dir, clean, config, litert=False)]
    if snapshot_every and epoch % snapshot_every == 0:
        written.append(save_generator(Path(ckpt_dir) / "training" / "generators" / f"epoch_{epoch:04d}", clean, config,
                                      litert=False))
    return written


def save_litert_release(ckpt_dir: str | Path) -> Path:
    """The LiteRT twin of the release in ``ckpt_dir``, exported from its ``generator.keras``."""
    from helpers.models.files import LITERT_SUFFIX, load_model, save_litert

    model_file = Path(ckpt_dir) / MODEL
    return save_litert(load_model(model_file), model_file.with_suffix(LITERT_SUFFIX))


class GeneratorCheckpoint:
    """A loaded generator with its config; ``generate(expression_id, n, seed)`` -> uint8 images."""

    def __init__(self, model, config: dict, path: Path):
        self.model, self.config, self.path = model, config, path
        self.expressions = list(config["expressions"])
        self.noise_dim = int(config["noise_dim"])

    def check_expression(self, expression: int) -> None:
        if expression not in self.expressions:
            names = ", ".join(expression_name(e, display=True) for e in self.expressions)
            raise UserError(f"{self.path} was trained for {names} only; it cannot generate "
                            f"{expression_name(expression, display=True)}")

    def truncation(self, truncation: float | None = None) -> float:
        """The truncation a sample uses: ``truncation`` if given, else the release's default
        (``"truncation"`` in its config.json, set with ``python -m helpers.generation``), else
        none (``inf``)."""
        t = self.config.get("truncation") if truncation is None else truncation
        t = math.inf if t is None else float(t)
        if not t >= MIN_TRUNCATION:
            raise UserError(f"--truncation must be at least {MIN_TRUNCATION:g} (inf: no truncation), got {t:g}")
        return t

    def noise(self, n: int, seed: int | None = None, truncation: float | None = None) -> np.ndarray:
        """Standard normal noise; values beyond ±:meth:`truncation` are redrawn (the truncation
        trick: less variety, clearer faces)."""
        rng = np.random.default_rng(seed)
        z = rng.standard_normal((n, self.noise_dim))
        truncation = self.truncation(truncation)
        if math.isfinite(truncation):
            while (out := np.abs(z) > truncation).any():
                z[out] = rng.standard_normal(out.sum())
        return z.astype(np.float32)

    def generate(self, expression: int, n: int, seed: int | None = None, truncation: float | None = None,
                 noise: np.ndarray | None = None, batch_size: int = 256) -> np.ndarray:
        """``n`` uint8 faces (n, H, W, 1) of ``expression`` (or one per row of ``noise``), made
        ``batch_size`` at a time so that any ``n`` fits in memory."""
        from helpers.data.pixels import to_uint8

        self.check_expression(expression)
        z = self.noise(n, seed, truncation) if noise is None else np.asarray(noise, np.float32)
        conditioning = self.config.get("conditioning", "code")
        if conditioning == "code":
            code = np.asarray(self.config["codes"], np.float32)[expression][None]
        faces = []
        for start in range(0, len(z), batch_size):
            batch = z[start:start + batch_size]
            if conditioning == "code":
                out = self.model([batch, np.repeat(code, len(batch), axis=0)], training=False)
            elif conditioning == "label":
                out = self.model([batch, np.full((len(batch), 1), expression, np.int32)], training=False)
            else:
                out = self.model(batch, training=False)
            faces.append(to_uint8(out, self.config.get("output", "tanh")))
        size = int(self.config.get("image_size", 48))
        return np.concatenate(faces) if faces else np.zeros((0, size, size, 1), np.uint8)


def checkpoint_folder(path: str | Path) -> Path:
    """The folder of a checkpoint given as its folder or as its ``.keras`` file."""
    path = Path(path)
    return path if path.is_dir() else path.parent


# what each checkpoint kind is, and the script that uses it
KINDS = {"cwgan": ("a face generator", "Generative_model/Expression_generator.py"),
         "dcgan": ("a face generator", "Generative_model/Expression_generator.py"),
         "sngan": ("a face generator", "Generative_model/Expression_generator.py"),
         "ccyclegan": ("an expression translator", "Generative_model/Expression_translator.py")}
GENERATOR_KINDS = ("cwgan", "dcgan", "sngan")


def load_checkpoint(path: str | Path, kinds=GENERATOR_KINDS, required=("noise_dim", "expressions"),
                    example="checkpoints/sngan_fer2013", backend: str = "keras"):
    """``(model, config, path)`` from a checkpoint folder (or its ``.keras`` file) whose config's
    ``kind`` is one of ``kinds``; every problem is a one-line UserError that says what to pass instead.
    ``backend`` (see :func:`helpers.inference.litert.choose_backend`) picks the Keras model or
    the LiteRT file beside it, which is called the same way."""
    from helpers.inference.litert import load_twin

    path = Path(path)
    what = KINDS[kinds[0]][0]
    if not path.exists():
        raise UserError(f"checkpoint {path} does not exist (expected a folder with {MODEL} and {CONFIG}, e.g. {example})")
    model_file = path / MODEL if path.is_dir() else path
    config_file = checkpoint_folder(path) / CONFIG
    if path.is_file() and not config_file.is_file():
        raise UserError(f"{path} is a lone model file: {what} checkpoint is a folder holding {MODEL} and {CONFIG}, "
                        f"e.g. {example} (a recognizer .keras file is evaluated with python -m helpers.evaluate recognizer)")
    if not model_file.is_file() or not config_file.is_file():
        raise UserError(f"checkpoint {path} is incomplete: it needs {MODEL} and {CONFIG}")
    def belong_together(config) -> bool:  # a release written before the digest was recorded: no check
        return MODEL_DIGEST not in config or sha256_of(model_file) == config[MODEL_DIGEST]

    deadline = time.monotonic() + SWITCH_WAIT_S
    while True:  # a release being written: wait until its config and its weights belong together
        config = read_config(config_file, path, kinds, required, what)
        if belong_together(config):
            model = load_twin(model_file, backend)
            if model is None:
                from helpers.models.files import load_model

                model = load_model(model_file)
            if belong_together(config) and read_config(config_file, path, kinds, required, what) == config:
                return model, config, path
        if time.monotonic() > deadline:
            raise UserError(f"{model_file} is not the one {config_file} was written with ({MODEL_DIGEST}), and a "
                            f"{SWITCH_WAIT_S:g}-second wait did not settle it: copy both files from one release")
        time.sleep(0.05)


def read_config(config_file: Path, path: Path, kinds, required, what: str) -> dict:
    """A checkpoint's config, checked for its kind and required keys (one-line UserErrors)."""
    try:
        config = json.loads(config_file.read_text())
        kind = config["kind"]
        if kind not in kinds:
            other, script = KINDS.get(kind, ("not a checkpoint this project writes", None))
            use = f": use it with {script}" if script else ""
            raise UserError(f"{path} is a {kind} checkpoint, {other}, not {what} ({'/'.join(kinds)}){use}")
        missing = [key for key in required if key not in config]
        if missing:
            raise KeyError(", ".join(missing))
    except (ValueError, KeyError) as exc:
        raise UserError(f"{config_file} is not a valid checkpoint config ({exc.__class__.__name__}: {exc})") from None
    return config


def load_generator(path: str | Path, backend: str = "keras") -> GeneratorCheckpoint:
    """Load a generator checkpoint folder (or its ``.keras`` file), on Keras or LiteRT."""
    return GeneratorCheckpoint(*load_checkpoint(path, backend=backend))


def set_default_truncation(path: str | Path, truncation: float) -> Path:
    """Record the truncation a release samples with by default (``inf``: none) in its config.json."""
    gen = load_generator(path)
    gen.truncation(truncation)  # validates
    config_file, config = checkpoint_folder(gen.path) / CONFIG, gen.config
    if math.isinf(truncation):
        config.pop("truncation", None)
    else:
        config["truncation"] = truncation
    write_json(config_file, config, indent=1)
    return config_file
