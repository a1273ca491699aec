"""Generator checkpoints: one format for every generator the project trains, read here (the
trainers write it: :mod:`helpers.training.gan_release`).

A checkpoint is a directory holding ``generator.keras`` and ``config.json``::

    {"kind": "cwgan" | "dcgan" | "projection_cgan", "image_size": 48, "noise_dim": 100,
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
from helpers.expressions import NUM_EXPRESSIONS, expression_name
from helpers.files import sha256_of, write_json

CONFIG = "config.json"
MODEL = "generator.keras"
MODEL_DIGEST = "model_sha256"  # in config.json: the generator.keras it was written with
PREVIOUS = ".generator.previous.keras"  # the weights config.json describes, kept while new ones replace them
SWITCH_WAIT_S = 10.0  # how long a reader waits for a release that is being written to settle
MIN_TRUNCATION = 0.1  # a redraw keeps 8% of the values at ±0.1; below, sampling would crawl


def weights_described(model_file: Path, config: dict) -> Path | None:
    """The file holding the weights ``config`` was written with: ``model_file``, or, while a
    release is being switched (or after a kill between its two writes), the previous weights kept
    beside it (:data:`PREVIOUS`); ``None`` if neither. A release written before the digest was
    recorded: ``model_file``, unchecked."""
    if not isinstance(config, dict) or MODEL_DIGEST not in config:
        return model_file
    previous = model_file.parent / PREVIOUS
    return next((f for f in (model_file, previous) if f.is_file() and sha256_of(f) == config[MODEL_DIGEST]), None)


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
         "projection_cgan": ("a face generator", "Generative_model/Expression_generator.py"),
         "ccyclegan": ("an expression translator", "Generative_model/Expression_translator.py")}
GENERATOR_KINDS = ("cwgan", "dcgan", "projection_cgan")
# A kind's other names: a release that records one loads as that kind ("sngan", after the
# projection cGAN's trainer, is what its releases recorded before the kind had its own name).
KIND_ALIASES = {"sngan": "projection_cgan"}


def canonical_kind(kind):
    """The name of a release's ``kind`` (one of :data:`KINDS`), whichever name it records."""
    return KIND_ALIASES.get(kind, kind)


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
    deadline = time.monotonic() + SWITCH_WAIT_S
    while True:  # a release being written: load the weights that belong to the config read
        config = read_config(config_file, path, kinds, required, what)
        weights = weights_described(model_file, config)
        if weights is not None:
            model = load_twin(model_file, backend) if weights == model_file else None
            if model is None:
                from helpers.models.files import load_model

                model = load_model(weights)
            settled = read_config(config_file, path, kinds, required, what) == config
            if settled and weights_described(model_file, config) == weights:
                return model, config, path
        if time.monotonic() > deadline:
            raise UserError(f"{model_file} is not the one {config_file} was written with ({MODEL_DIGEST}), and a "
                            f"{SWITCH_WAIT_S:g}-second wait did not settle it: copy both files from one release")
        time.sleep(0.05)


def _whole(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _codes(value) -> bool:
    return (isinstance(value, list) and len(value) == NUM_EXPRESSIONS and all(isinstance(row, list) and row for row in value)
            and len({len(row) for row in value}) == 1 and all(_number(v) for row in value for v in row))


# what each config.json field the loaders read must hold: (its description, its check)
CONFIG_FIELDS = {
    "kind": ("one of " + ", ".join(KINDS), lambda v: isinstance(v, str)),
    "image_size": ("a whole number from 8 to 1,024", lambda v: _whole(v, 8, 1024)),
    "noise_dim": ("a whole number from 1 to 4,096", lambda v: _whole(v, 1, 4096)),
    "conditioning": ("code, label or none", lambda v: isinstance(v, str) and v in ("code", "label", "none")),
    "output": ("tanh or sigmoid", lambda v: isinstance(v, str) and v in ("tanh", "sigmoid")),
    "expressions": ("a list of distinct expression ids from 0 to 6",
                    lambda v: isinstance(v, list) and 0 < len(v) == len({*map(str, v)}) and all(_whole(e, 0, 6) for e in v)),
    "codes": (f"{NUM_EXPRESSIONS} lists of numbers of one length", _codes),
    "truncation": (f"a number of at least {MIN_TRUNCATION:g}", lambda v: _number(v) and v >= MIN_TRUNCATION),
    MODEL_DIGEST: ("a SHA-256 digest in hex", lambda v: isinstance(v, str) and len(v) == 64
                   and all(c in "0123456789abcdef" for c in v)),
    "epoch": ("a whole number", lambda v: _whole(v, 0, 10**9)),
}


def read_config(config_file: Path, path: Path, kinds, required, what: str) -> dict:
    """A checkpoint's config, checked for its kind, its required keys and the type of every field
    a loader reads (:data:`CONFIG_FIELDS`); every problem is a one-line UserError."""
    def invalid(reason: str) -> UserError:
        return UserError(f"{config_file} is not a valid checkpoint config ({reason}): copy config.json from the "
                         "release the model came from")

    try:
        config = json.loads(config_file.read_text())
    except (ValueError, OSError) as exc:
        raise invalid(f"{exc.__class__.__name__}: {exc}") from None
    if not isinstance(config, dict):
        raise invalid(f"a JSON {type(config).__name__}, not an object")
    if not isinstance(config.get("kind"), str):
        raise invalid(f"'kind' is {json.dumps(config.get('kind'))[:40]}, not {CONFIG_FIELDS['kind'][0]}")
    config["kind"] = canonical_kind(config["kind"])
    if config["kind"] not in kinds:
        other, script = KINDS.get(config["kind"], ("not a checkpoint this project writes", None))
        use = f": use it with {script}" if script else ""
        raise UserError(f"{path} is a {config['kind']} checkpoint, {other}, not {what} ({'/'.join(kinds)}){use}")
    missing = [key for key in required if key not in config]
    if missing:
        raise invalid(f"no {', '.join(map(repr, missing))}")
    for key, (description, check) in CONFIG_FIELDS.items():
        if key in config and not check(config[key]):
            raise invalid(f"{key!r} is {json.dumps(config[key])[:40]}, not {description}")
    return config


def check_model_fits(model, inputs: list[tuple], output: tuple, path: Path) -> None:
    """A one-line UserError unless ``model`` (Keras or LiteRT) takes ``inputs`` and gives
    ``output`` (shapes, ``None`` for the batch), as its config.json describes."""
    from helpers.inference.litert import model_shapes

    got_in, got_out = model_shapes(model)
    if got_in != inputs or got_out != output:
        raise UserError(f"{path}: the model takes {got_in} and gives {got_out}, but its config.json describes one that "
                        f"takes {inputs} and gives {output}: copy both files from one release")


def load_generator(path: str | Path, backend: str = "keras") -> GeneratorCheckpoint:
    """Load a generator checkpoint folder (or its ``.keras`` file), on Keras or LiteRT; a model
    that does not take the inputs its config describes is a one-line UserError."""
    model, config, path = load_checkpoint(path, backend=backend)
    size, conditioning = config.get("image_size", 48), config.get("conditioning", "code")
    if conditioning == "code" and "codes" not in config:
        raise UserError(f"{checkpoint_folder(path) / CONFIG} has conditioning 'code' but no 'codes': copy config.json "
                        "from the release the model came from")
    condition = {"code": [(None, len(config.get("codes", [[]])[0]))], "label": [(None, 1)], "none": []}[conditioning]
    check_model_fits(model, [(None, config["noise_dim"]), *condition], (None, size, size, 1), path)
    return GeneratorCheckpoint(model, config, path)


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
