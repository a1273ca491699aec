"""Resumable GAN training: per-epoch checkpoints (keep the last few), history CSV and
TensorBoard scalars, a NaN guard, and a fixed-seed sample grid per epoch; and continuing a
released generator (``--init``) with the discriminator saved beside it."""
from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path

import numpy as np

from .errors import UserError


DISCRIMINATOR = "discriminator.weights.h5"


class TrainingDiverged(UserError):
    """A loss became NaN or infinite; the last good checkpoint is kept."""


def checkpoint_folders(run_dir: str | Path) -> list[Path]:
    """A run's complete checkpoints ``ckpt-NNNN/``, oldest first."""
    return sorted(p for p in Path(run_dir).glob("ckpt-*") if (p / "state.json").exists())


def seed_run(seed: int, run_dir: str | Path, resume: bool) -> int:
    """Seed Python, NumPy, TensorFlow and Keras for a run in ``run_dir`` and return the seed for
    its data stream: ``seed`` plus the epochs of the newest checkpoint when resuming. Every
    process starts its generators afresh, so with the bare seed a resumed run would replay the
    batches and the noise of its first epochs instead of drawing new ones."""
    import keras

    found = checkpoint_folders(run_dir) if resume else []
    stream_seed = seed + (json.loads((found[-1] / "state.json").read_text())["epoch"] if found else 0)
    keras.utils.set_random_seed(stream_seed)
    return stream_seed


class ResumableRun:
    """Checkpoints ``run_dir/ckpt-NNNN/`` holding each network's weights, each optimizer's
    variables and ``state.json``; a checkpoint is written to a temporary folder and renamed, so
    a kill never leaves a half-written one. Only the newest ``keep`` are kept."""

    def __init__(self, run_dir: str | Path, nets: dict, optimizers: dict, keep: int = 3):
        self.run_dir = Path(run_dir)
        self.nets, self.optimizers, self.keep = nets, optimizers, keep
        self.run_dir.mkdir(parents=True, exist_ok=True)

    def checkpoints(self) -> list[Path]:
        return checkpoint_folders(self.run_dir)

    def save(self, state: dict) -> Path:
        final = self.run_dir / f"ckpt-{state['epoch']:04d}"
        tmp = self.run_dir / f".tmp-{final.name}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        for name, net in self.nets.items():
            net.save_weights(tmp / f"{name}.weights.h5")
        for name, opt in self.optimizers.items():
            np.savez(tmp / f"{name}.optimizer.npz", *[np.asarray(v) for v in opt.variables])
        (tmp / "state.json").write_text(json.dumps(state))
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
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
            net_vars = self.nets[name].trainable_variables if name in self.nets else None
            if net_vars is not None and not opt.built:
                opt.build(net_vars)
            with np.load(latest / f"{name}.optimizer.npz") as saved:
                values = [saved[f"arr_{i}"] for i in range(len(saved.files))]
            if len(values) != len(opt.variables):
                raise UserError(f"{latest}: optimizer '{name}' has {len(values)} saved variables, expected {len(opt.variables)}")
            for var, value in zip(opt.variables, values):
                var.assign(value)
        return json.loads((latest / "state.json").read_text())


def append_history(path: Path, row: dict) -> None:
    """Add one epoch's row to a JSON history (a list of per-epoch records, see
    :func:`helpers.checkpoints.load_history`). Rows of that epoch or later are dropped first: a
    resumed run repeats the epochs its last checkpoint did not keep."""
    rows = json.loads(path.read_text()) if path.exists() else []
    path.write_text(json.dumps([r for r in rows if r["epoch"] < row["epoch"]] + [row], indent=0))


def train_epochs(gan, dataset, *, epochs: int, run: ResumableRun, on_epoch_end=None, sample_fn=None,
                 sample_every: int = 1, resume: bool = False, steps_per_epoch: int | None = None,
                 warm_start=None, time_limit: float | None = None) -> int:
    """Train ``gan`` (a compiled GAN ``keras.Model``) epoch by epoch. After each epoch: NaN
    guard, checkpoint, history row, TensorBoard scalars, then ``sample_fn(epoch, path)`` every
    ``sample_every`` epochs and ``on_epoch_end(epoch)``. A run that starts without a checkpoint
    first calls ``warm_start()``, if given, which returns the epoch and the wall time to count on
    from (a run continuing a released generator). With ``time_limit`` it stops after an epoch
    when another as long would not end within that many minutes of this call's start. Returns the
    last epoch trained."""
    import tensorflow as tf

    from .callbacks import another_epoch_fits

    history_path = run.run_dir / "history.json"
    start, wall = 0, 0.0
    if resume:
        state = run.restore()
        if state is not None:
            start, wall = state["epoch"], state["wall_s"]
            print(f"resumed {run.run_dir} at epoch {start}")
    elif run.checkpoints():
        raise UserError(f"{run.run_dir} already holds checkpoints: pass --resume to continue, or choose another --ckpt-dir")
    if start == 0 and warm_start is not None:
        start, wall = warm_start()
    writer = tf.summary.create_file_writer(str(run.run_dir / "tensorboard"))
    started = time.time()
    for epoch in range(start + 1, epochs + 1):
        t0 = time.time()
        logs = gan.fit(dataset, epochs=1, verbose=0, steps_per_epoch=steps_per_epoch, shuffle=False).history
        logs = {k: float(v[-1]) for k, v in logs.items()}
        wall += time.time() - t0
        bad = [k for k, v in logs.items() if not math.isfinite(v)]
        if bad:
            raise TrainingDiverged(f"epoch {epoch}: {', '.join(bad)} became NaN/inf; stopped. The last good checkpoint "
                                   f"({run.checkpoints()[-1].name if run.checkpoints() else 'none'}) is kept: lower the "
                                   f"learning rate and rerun with --resume")
        run.save({"epoch": epoch, "wall_s": wall})
        append_history(history_path, {"epoch": epoch, **{k: round(v, 6) for k, v in logs.items()}, "wall_s": round(wall, 1)})
        with writer.as_default():
            for k, v in logs.items():
                tf.summary.scalar(k, v, step=epoch)
        if sample_fn is not None and (epoch % sample_every == 0 or epoch == epochs):
            sample_fn(epoch, run.run_dir / "samples" / f"epoch_{epoch:04d}.png")
        if on_epoch_end is not None:
            on_epoch_end(epoch)
        print(f"epoch {epoch}/{epochs} " + " ".join(f"{k}={v:.4f}" for k, v in logs.items()) + f" wall={wall:.0f}s", flush=True)
        if time_limit is not None and epoch < epochs and not another_epoch_fits(started, t0, time_limit):
            print(f"stopping after epoch {epoch}: another would pass the time limit of {time_limit:g} min; "
                  "continue with --resume", flush=True)
            return epoch
    return epochs


def save_discriminator(directory: Path, discriminator) -> None:
    """The discriminator's (or critic's) weights next to a release's generator (atomically
    replaced), so that ``--init`` can continue the release with the one it was trained against."""
    import os

    tmp = Path(directory) / "discriminator.tmp.weights.h5"
    discriminator.save_weights(tmp)
    os.replace(tmp, Path(directory) / DISCRIMINATOR)


def release_fn(ckpt_dir: Path, generator, discriminator, config: dict, snapshot_every: int = 0):
    """``train_epochs``' ``on_epoch_end`` for a GAN whose releases keep their discriminator: after
    each epoch, the release (and every ``snapshot_every``-th snapshot, see
    :func:`helpers.generation.release_epoch`) with the discriminator's weights beside it."""
    from .generation import release_epoch

    def release(epoch: int) -> None:
        for folder in release_epoch(ckpt_dir, generator, config, epoch, snapshot_every):
            save_discriminator(folder, discriminator)

    return release


def check_init_epochs(parent, epochs: int) -> None:
    """Epochs count on from a released generator's epoch, so ``--epochs`` (the epoch to stop at)
    must be larger."""
    if epochs <= int(parent.config.get("epoch", 0)):
        raise UserError(f"--init {parent.path} is epoch {parent.config.get('epoch')}; epochs count on from it, "
                        f"so --epochs must be larger (it is the epoch to stop at)")


def release_warm_start_fn(parent, generator, discriminator, discriminator_step, dataset, history_path: Path,
                          warmup_epochs: float):
    """``train_epochs``' ``warm_start`` for ``--init``: copy the release's generator and the
    discriminator it was trained against (or, for a release without one, warm up a fresh
    discriminator alone: ``discriminator_step(images, labels)`` updates it once and returns a dict
    of its losses), carry over the release's history, and return the release's epoch and wall
    time (plus the warm-up's)."""
    import tensorflow as tf
    from tqdm.auto import tqdm

    from .generation import checkpoint_folder

    def warm_start() -> tuple[int, float]:
        t0 = time.time()
        generator.set_weights(parent.model.get_weights())
        epoch, wall = int(parent.config.get("epoch", 0)), 0.0
        folder = checkpoint_folder(parent.path)
        if (folder / "training" / "history.json").exists():
            rows = [r for r in json.loads((folder / "training" / "history.json").read_text()) if r["epoch"] <= epoch]
            history_path.write_text(json.dumps(rows, indent=0))
            wall = float(rows[-1].get("wall_s", 0.0)) if rows else 0.0
        if (folder / DISCRIMINATOR).exists():
            try:
                discriminator.load_weights(folder / DISCRIMINATOR)
            except ValueError as exc:
                raise UserError(f"{folder / DISCRIMINATOR} does not fit this run's discriminator ({str(exc)[:100]}): "
                                "pass the options the release was trained with") from None
            print(f"generator and discriminator from {parent.path} (epoch {epoch})", flush=True)
            return epoch, wall
        steps = math.ceil(warmup_epochs * int(dataset.cardinality()))
        step = tf.function(discriminator_step)
        bar = tqdm(dataset.repeat().take(steps), total=steps, desc="discriminator warm-up", mininterval=10)
        losses = {}
        for i, (images, labels) in enumerate(bar):
            losses = step(images, labels)
            if i % 50 == 0:
                bar.set_postfix({k: f"{float(v):.3f}" for k, v in losses.items()})
        print(f"generator from {parent.path} (epoch {epoch}), which has no {DISCRIMINATOR}; {steps} discriminator-only "
              "steps, last " + " ".join(f"{k} {float(v):.4f}" for k, v in losses.items()), flush=True)
        return epoch, wall + time.time() - t0

    return warm_start
