"""Model files that every supported Keras reads, and a one-line error when one cannot be read.

A ``.keras`` file holds a JSON config with every constructor argument of every layer, and Keras
refuses an argument it does not know. Each Keras release adds some (``quantization_config`` on
``Dense``, ``input_axes`` on ``GlorotUniform``, ``optional`` on ``InputLayer``), so a file written
by a new Keras does not load in an older one, even when it uses nothing new. The project's releases
therefore record only the arguments whose values differ from their defaults
(:func:`portable_config`): a Keras that predates an argument behaves as that argument's default,
so the oldest supported Keras builds the same network, and newer ones read the file as usual.
The weights (``model.weights.h5``) are stored as Keras writes them and are not changed.

``tests/test_release_outputs.py`` and ``tools/check_stacks.py`` check that every shipped model
gives its recorded outputs on each supported stack."""
from __future__ import annotations

import importlib
import inspect
import json
import logging
import zipfile
from pathlib import Path

import keras

from helpers.errors import UserError
from helpers.files import atomic_path

LITERT_SUFFIX = ".tflite"
OLDEST_KERAS = "3.8"  # the oldest Keras every shipped file is checked on (tools/stacks/oldest.txt)
CONFIG_ENTRY, METADATA_ENTRY, WEIGHTS_ENTRY = "config.json", "metadata.json", "model.weights.h5"


def _constructor_defaults(cls) -> dict:
    """Every keyword default of ``cls.__init__`` and of its base classes' (the nearest one wins)."""
    defaults = {}
    for klass in reversed(cls.__mro__):
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            parameters = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            continue
        defaults.update({p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty})
    return defaults


def _serialized_class(obj: dict):
    """The class a serialized Keras object names, or ``None`` when it cannot be resolved here."""
    registered = obj.get("registered_name")
    if registered and (cls := keras.saving.get_registered_object(registered)) is not None:
        return cls
    try:
        return getattr(importlib.import_module(obj["module"]), obj["class_name"])
    except (ImportError, AttributeError, KeyError, TypeError):
        return None


def _as_json(value):
    return json.loads(json.dumps(value))


def portable_config(config):
    """``config`` (a serialized Keras object, e.g. a model's) with every constructor argument that
    holds its default value left out, at every depth (layers, initializers, dtype policies)."""
    if isinstance(config, list):
        return [portable_config(item) for item in config]
    if not isinstance(config, dict):
        return config
    config = {key: portable_config(value) for key, value in config.items()}
    inner = config.get("config")
    if "class_name" in config and "module" in config and isinstance(inner, dict):
        cls = _serialized_class(config)
        defaults = _constructor_defaults(cls) if isinstance(cls, type) else {}
        config["config"] = {key: value for key, value in inner.items()
                            if key == "name" or key not in defaults or _as_json(defaults[key]) != value}
    return config


def read_entries(path: Path) -> dict[str, bytes]:
    """The files inside a ``.keras`` archive, by name."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_entries(path: Path, entries: dict[str, bytes]) -> None:
    """Write a ``.keras`` archive atomically (a half-written file never replaces a good one)."""
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


def make_portable(path: str | Path) -> Path:
    """Rewrite the config of the ``.keras`` file at ``path`` with :func:`portable_config`; the
    weights and the metadata are copied unchanged."""
    path = Path(path)
    entries = read_entries(path)
    entries[CONFIG_ENTRY] = json.dumps(portable_config(json.loads(entries[CONFIG_ENTRY]))).encode()
    write_entries(path, entries)
    return path


def save_model(model, path: str | Path, litert: bool = True) -> Path:
    """Save ``model`` as a ``.keras`` file that every supported Keras reads (:func:`portable_config`)
    and, with ``litert``, its LiteRT twin beside it (:func:`save_litert`). An older twin is removed
    before the ``.keras`` file changes, so that no reader finds the two disagreeing."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    twin = path.with_suffix(LITERT_SUFFIX)
    twin.unlink(missing_ok=True)
    with atomic_path(path) as tmp:
        model.save(tmp)
        make_portable(tmp)
    if litert and litert_export_supported():
        save_litert(model, twin)
    return path


def litert_export_supported() -> bool:
    """Keras exports LiteRT files from 3.13 on; an older Keras writes the ``.keras`` file alone
    (and the commands then run it on Keras)."""
    return _version(keras.__version__) >= (3, 13)


def save_litert(model, path: str | Path) -> Path:
    """Export ``model`` for the LiteRT runtime (Keras' ``export(format="litert")``), atomically."""
    if not litert_export_supported():
        raise UserError(f"Keras {keras.__version__} cannot export LiteRT files: pip install 'keras>=3.13'")
    path = Path(path)
    # Where logging is at INFO (a Jupyter kernel), the SavedModel step would print
    # "Assets written to: <a temporary folder>".
    tf_logger = logging.getLogger("tensorflow")
    level = tf_logger.level
    tf_logger.setLevel(logging.WARNING)
    try:
        with atomic_path(path) as tmp:
            model.export(str(tmp), format="litert", verbose=False)
    finally:
        tf_logger.setLevel(level)
    return path


def written_by(path: str | Path) -> str | None:
    """The Keras version recorded in a ``.keras`` file's metadata, or ``None`` if it has none."""
    try:
        return json.loads(read_entries(Path(path)).get(METADATA_ENTRY, b"{}")).get("keras_version")
    except (zipfile.BadZipFile, ValueError, OSError):
        return None


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:3] if part.isdigit())


def load_model(path: str | Path):
    """``keras.models.load_model(path, compile=False)`` in safe mode, after registering the
    project's layers. A file that does not load is a one-line :class:`UserError` naming the cause:
    an unsupported Keras, or a file written by a newer Keras than the one installed (both versions
    and the fix), or a file that is not a Keras model."""
    from helpers import models  # noqa: F401  (registers the project's custom layers)

    path = Path(path)
    try:
        return keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # noqa: BLE001  (Keras raises many types for a file it cannot read)
        installed, writer = keras.__version__, written_by(path)
        cause = f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:100]}" if str(exc) else exc.__class__.__name__
        if _version(installed) < _version(OLDEST_KERAS):
            raise UserError(f"{path} needs Keras {OLDEST_KERAS} or newer, and Keras {installed} is installed: "
                            f"pip install 'keras>={OLDEST_KERAS}'") from None
        if writer and _version(writer) > _version(installed):
            raise UserError(f"{path} was written by Keras {writer} and Keras {installed} cannot read it ({cause}): "
                            f"pip install 'keras>={writer}', or re-save it where it loads with "
                            f"python -m helpers.model_files {path}") from None
        raise UserError(f"{path} is not a loadable Keras model ({cause})") from None
