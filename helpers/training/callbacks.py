"""The Keras callbacks of the one training loop, ``fit``, that recognizers and GANs share: wall
clock, NaN guard, TensorBoard scalars and time limit for every run (:func:`epoch_callbacks`); the
resumable last model of a recognizer; and a GAN's checkpoints, history, sample grids and releases.

Order matters: :func:`epoch_callbacks` puts the wall clock and the NaN guard before a run's own
checkpoint callbacks (nothing diverged is saved) and the time limit last."""
from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path

import keras
import numpy as np

from helpers.errors import UserError
from helpers.files import atomic_folder, atomic_path, keep_copy, sha256_of, write_json


class TrainingDiverged(UserError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""


class WallClock(keras.callbacks.Callback):
    """Adds ``wall_s``, the cumulative training time in seconds (``start`` carries a resumed
    run's time), to each epoch's logs, so history files show time-to-accuracy."""

    def __init__(self, start: float = 0.0):
        super().__init__()
        self.total = start
        self._t0 = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.time()

    def on_epoch_end(self, epoch, logs=None):
        self.total += time.time() - self._t0
        if logs is not None:
            logs["wall_s"] = round(self.total, 1)


LAST, LAST_STATE, LAST_PREVIOUS = "last.keras", "last.json", ".last.previous.keras"


class SaveLast(keras.callbacks.Callback):
    """After each epoch, what ``--resume`` reads: ``last.keras`` (model and optimizer state) and
    then ``last.json`` (completed epochs, wall time and the SHA-256 of the ``last.keras`` it goes
    with). The previous ``last.keras`` stays beside it (a hidden hard link) until the new state is
    written, so a kill between the two writes resumes from the previous epoch whole
    (:func:`last_model_file`)."""

    def __init__(self, run_dir: str | Path):
        super().__init__()
        self.run_dir = Path(run_dir)

    def on_epoch_end(self, epoch, logs=None):
        last = self.run_dir / LAST
        keep_copy(last, self.run_dir / LAST_PREVIOUS)
        with atomic_path(last) as tmp:
            self.model.save(tmp)
        state = {"epoch": epoch + 1, "wall_s": float((logs or {}).get("wall_s", 0.0)), "sha256": sha256_of(last)}
        write_json(self.run_dir / LAST_STATE, state, indent=None)


def last_model_file(run_dir: str | Path) -> Path:
    """The ``last.keras`` that ``last.json`` was written with: ``last.keras``, or the previous one
    when a kill came between the two writes. A run from before the digest was recorded: ``last.keras``."""
    run_dir = Path(run_dir)
    state = json.loads((run_dir / LAST_STATE).read_text()) if (run_dir / LAST_STATE).exists() else {}
    if "sha256" not in state:
        return run_dir / LAST
    for candidate in (run_dir / LAST, run_dir / LAST_PREVIOUS):
        if candidate.is_file() and sha256_of(candidate) == state["sha256"]:
            return candidate
    raise UserError(f"{run_dir / LAST} is not the one {run_dir / LAST_STATE} was written with, and no earlier one is "
                    "kept: the run folder was changed by hand; start a new --run-dir, with --init from its best.keras")


class NaNGuard(keras.callbacks.Callback):
    """Stop with :class:`TrainingDiverged` at the end of an epoch whose logs hold a NaN or an
    infinity, before anything of that epoch is saved; ``kept()`` names what is kept."""

    def __init__(self, kept):
        super().__init__()
        self.kept = kept

    def on_epoch_end(self, epoch, logs=None):
        bad = [k for k, v in (logs or {}).items() if not math.isfinite(float(v))]
        if bad:
            raise TrainingDiverged(f"epoch {epoch + 1}: {', '.join(bad)} became NaN/inf; stopped. {self.kept()} is "
                                   "kept: lower the learning rate and rerun with --resume")


class TensorBoardScalars(keras.callbacks.Callback):
    """Each epoch's logs as TensorBoard scalars in ``log_dir``, at the epoch's number (from 1).
    Only the logs: Keras' own ``TensorBoard`` callback would also log the learning rate of the
    unused optimizer a GAN's ``compile`` leaves on the model."""

    def __init__(self, log_dir: str | Path):
        super().__init__()
        self.log_dir = str(log_dir)
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        import tensorflow as tf

        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self.log_dir)
        with self._writer.as_default():
            for name, value in (logs or {}).items():
                tf.summary.scalar(name, float(value), step=epoch + 1)
        self._writer.flush()


def another_epoch_fits(started: float, epoch_started: float, minutes: float) -> bool:
    """Whether one more epoch, as long as the one that began at ``epoch_started``, ends within
    ``minutes`` of ``started`` (``time.time()`` values)."""
    now = time.time()
    return now + (now - epoch_started) <= started + 60 * minutes


class TimeLimit(keras.callbacks.Callback):
    """Stop training at the end of an epoch when another epoch as long would not end within
    ``minutes`` of the start of this call to ``fit``: a run ends cleanly before a session does."""

    def __init__(self, minutes: float):
        super().__init__()
        self.minutes = minutes
        self._t0 = self._epoch_t0 = 0.0

    def on_train_begin(self, logs=None):
        self._t0 = time.time()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_t0 = time.time()

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 < self.params["epochs"] and not another_epoch_fits(self._t0, self._epoch_t0, self.minutes):
            self.model.stop_training = True
            print(f"stopping after epoch {epoch + 1}: another would pass the time limit of {self.minutes:g} min; "
                  "continue with --resume")


def epoch_callbacks(run_dir: str | Path, *, wall: float, time_limit: float | None, kept, saving=()) -> list:
    """Every run's callbacks around its own ``saving`` ones: :class:`WallClock` (from ``wall``
    seconds), :class:`NaNGuard` (``kept()`` names the last good checkpoint), ``saving``,
    :class:`TensorBoardScalars` in ``run_dir/tensorboard`` and, with ``time_limit``, :class:`TimeLimit`."""
    return [WallClock(wall), NaNGuard(kept), *saving, TensorBoardScalars(Path(run_dir) / "tensorboard"),
            *([TimeLimit(time_limit)] if time_limit is not None else [])]


class GANCheckpoints(keras.callbacks.Callback):
    """After each epoch, ``run_dir/ckpt-NNNN/``: each network's weights, each optimizer's
    variables and ``state.json`` (epoch, wall time). Written to a temporary folder and renamed,
    so a kill never leaves a half-written one; only the newest ``keep`` are kept."""

    def __init__(self, run_dir: str | Path, nets: dict, optimizers: dict, keep: int = 3):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.nets, self.optimizers, self.keep = nets, optimizers, keep
        self.run_dir.mkdir(parents=True, exist_ok=True)

    def checkpoints(self) -> list[Path]:
        return checkpoint_folders(self.run_dir)

    def describe_last(self) -> str:
        found = self.checkpoints()
        return f"The last good checkpoint ({found[-1].name})" if found else "No checkpoint"

    def on_epoch_end(self, epoch, logs=None):
        self.save({"epoch": epoch + 1, "wall_s": float((logs or {}).get("wall_s", 0.0))})

    def save(self, state: dict) -> Path:
        final = self.run_dir / f"ckpt-{state['epoch']:04d}"
        with atomic_folder(final) as tmp:
            for name, net in self.nets.items():
                net.save_weights(tmp / f"{name}.weights.h5")
            for name, opt in self.optimizers.items():
                np.savez(tmp / f"{name}.optimizer.npz", *[np.asarray(v) for v in opt.variables])
            (tmp / "state.json").write_text(json.dumps(state))
        for old in self.checkpoints()[:-self.keep]:
            shutil.rmtree(old, ignore_errors=True)
        return final

    def restore(self) -> dict | None:
        """Load the newest checkpoint into the networks and optimizers; returns its state."""
        found = self.checkpoints()
        if not found:
            return None
        latest = found[-1]
        for name, net in self.nets.items():
            try:
                net.load_weights(latest / f"{name}.weights.h5")
            except ValueError as err:  # Keras: a layer's saved variables have other shapes or counts
                raise UserError(f"{latest}: the saved '{name}' network does not fit the one built from these options; "
                                "resume with the options the run was trained with (its config.json records the "
                                "command), or choose another --ckpt-dir") from err
        for name, opt in self.optimizers.items():
            if not opt.built:
                opt.build(self.nets[name].trainable_variables)
            with np.load(latest / f"{name}.optimizer.npz") as saved:
                values = [saved[f"arr_{i}"] for i in range(len(saved.files))]
            if len(values) != len(opt.variables):
                raise UserError(f"{latest}: optimizer '{name}' has {len(values)} saved variables, expected {len(opt.variables)}")
            for var, value in zip(opt.variables, values):
                var.assign(value)
        return json.loads((latest / "state.json").read_text())


def checkpoint_folders(run_dir: str | Path) -> list[Path]:
    """A run's complete checkpoints ``ckpt-NNNN/``, oldest first."""
    return sorted(p for p in Path(run_dir).glob("ckpt-*") if (p / "state.json").exists())


def append_history(path: Path, row: dict) -> None:
    """Add one epoch's row to a JSON history (a list of per-epoch records, see
    :func:`helpers.models.provenance.load_history`). Rows of that epoch or later are dropped first: a
    resumed run repeats the epochs its last checkpoint did not keep."""
    rows = json.loads(path.read_text()) if path.exists() else []
    write_json(path, [r for r in rows if r["epoch"] < row["epoch"]] + [row], indent=0)


class EpochHistory(keras.callbacks.Callback):
    """Each epoch's logs (with ``wall_s``) as a row of the JSON history at ``path``."""

    def __init__(self, path: str | Path):
        super().__init__()
        self.path = Path(path)

    def on_epoch_end(self, epoch, logs=None):
        append_history(self.path, {"epoch": epoch + 1, **{k: round(float(v), 6) for k, v in (logs or {}).items()}})


class SampleGrid(keras.callbacks.Callback):
    """``sample(epoch, path)`` writes a fixed-seed grid to ``folder/epoch_NNNN.png`` every
    ``every`` epochs and after the last one."""

    def __init__(self, sample, folder: str | Path, every: int = 1):
        super().__init__()
        self.sample, self.folder, self.every = sample, Path(folder), max(1, every)

    def on_epoch_end(self, epoch, logs=None):
        done = epoch + 1
        if done % self.every == 0 or done == self.params["epochs"]:
            self.sample(done, self.folder / f"epoch_{done:04d}.png")
