"""Keras callbacks shared by the training scripts: wall clock, resumable last checkpoint, time limit."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import keras


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


class SaveLast(keras.callbacks.Callback):
    """After each epoch, write ``last.keras`` atomically (model and optimizer state) and then
    ``last.json`` with the number of completed epochs and the wall time: what ``--resume`` reads."""

    def __init__(self, run_dir: str | Path):
        super().__init__()
        self.run_dir = Path(run_dir)

    def on_epoch_end(self, epoch, logs=None):
        tmp = self.run_dir / "last.tmp.keras"
        self.model.save(tmp)
        os.replace(tmp, self.run_dir / "last.keras")
        state = {"epoch": epoch + 1, "wall_s": float((logs or {}).get("wall_s", 0.0))}
        (self.run_dir / "last.json").write_text(json.dumps(state))


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
