"""The training loop for several machines: what ``fit`` does, for a model built in the scope of a
``MultiWorkerMirroredStrategy``, where Keras 3's ``fit`` fails before its first step
(keras-team/keras#20585).

Every trainer calls :func:`fit`, which is ``model.fit`` on one device and under ``mirrored``, and
:func:`fit_across_workers` under ``multiworker``. The loop calls the model's own ``train_step``
(and ``test_step`` for validation) inside ``strategy.run``, reads the metrics once per step in the
cross-replica context (where the strategy sums their replicas' states, so every worker logs the
same numbers), and drives the callbacks through the hooks ``fit`` drives: train, epoch and batch
begin and end, the progress line, ``History`` and ``model.stop_training``. The strategy does all
the communication: the workers' gradients meet in the optimizers' all-reduce."""
from __future__ import annotations

import contextlib
import re

import numpy as np

from helpers.errors import UserError


class WorkerLost(UserError):
    """Another worker stopped answering: the run ends on every worker that is left."""


def is_across_workers(strategy) -> bool:
    """Whether ``strategy`` spans several worker processes (``--strategy multiworker``)."""
    import tensorflow as tf

    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def fit(model, dataset, **kwargs):
    """``model.fit(dataset, **kwargs)``, or :func:`fit_across_workers` for a model built under
    ``--strategy multiworker``; the same keywords either way, and the same ``History``."""
    if is_across_workers(model.distribute_strategy):
        return fit_across_workers(model, dataset, **kwargs)
    return model.fit(dataset, **kwargs)


def batches_and_step(model, dataset, step):
    """``dataset``'s batches and a compiled function that runs ``step(*batch)`` on one of them and
    returns its terms, for a loop of the project's own (the ``--init`` warm-up): on one device and
    under ``mirrored``, whole batches as they are; across workers, every replica's share of each
    global batch, its terms averaged over the replicas."""
    import tensorflow as tf

    strategy = model.distribute_strategy
    if not is_across_workers(strategy):
        return dataset, tf.function(lambda batch: step(*batch))

    @tf.function
    def run(batch):
        terms = strategy.run(step, batch)
        return {name: strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None) for name, value in terms.items()}

    return strategy.experimental_distribute_dataset(sharded_by_data(dataset)), run


def sharded_by_data(dataset):
    """``dataset`` split among the workers batch element by batch element
    (``AutoShardPolicy.DATA``): every worker builds the same seeded stream of global batches and
    keeps its replicas' rows, which is right for faces held in memory (there are no files to
    split)."""
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def with_class_weights(dataset, class_weight: dict):
    """``(x, one-hot y)`` batches with each row's weight for its class appended, as ``fit`` turns
    ``class_weight`` into sample weights."""
    import tensorflow as tf

    table = tf.constant([float(class_weight.get(k, 1.0)) for k in range(max(class_weight) + 1)])
    return dataset.map(lambda x, y: (x, y, tf.gather(table, tf.argmax(y, axis=-1))))


def replicated(model, step):
    """A compiled function that takes the next global batch from a distributed iterator, runs
    ``step`` (``model.train_step`` or ``model.test_step``) on every replica's share and returns
    ``model``'s metrics, read across all replicas."""
    import tensorflow as tf

    strategy = model.distribute_strategy

    @tf.function
    def run(iterator):
        strategy.run(step, (next(iterator),))
        return model.get_metrics_result()

    return run


def summer(strategy):
    """A compiled ``summed(value)``: an int summed over every replica of every worker (an
    all-reduce, so every worker must call it as often as the others)."""
    import tensorflow as tf

    @tf.function
    def summed(value):
        return strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(lambda: tf.identity(value)), axis=None)

    return lambda value: int(summed(tf.constant(value, tf.int32)))


def check_same_start(strategy, summed, initial_epoch: int) -> None:
    """Refuse to start when the workers would begin at different epochs: a worker that resumed
    from a folder the chief's checkpoints are not in."""
    if summed(initial_epoch) != initial_epoch * strategy.num_replicas_in_sync:
        raise UserError(f"the workers would start at different epochs (this one after epoch {initial_epoch}): "
                        "--resume on every worker reads the chief's --ckpt-dir, so put it on storage all of them see")


def fit_across_workers(model, dataset, *, epochs: int, initial_epoch: int = 0, steps_per_epoch: int | None = None,
                       callbacks=None, validation_data=None, class_weight: dict | None = None, verbose: int = 2,
                       shuffle: bool = False):
    """Train ``model`` (built and compiled in a ``MultiWorkerMirroredStrategy``'s scope) on
    ``dataset``, global batches of ``(x, y)``, as ``model.fit`` would with these keywords. An
    endless dataset needs ``steps_per_epoch`` (one iterator then runs on across epochs, as in
    ``fit``); a finite one is read whole every epoch. ``shuffle`` is accepted for ``fit``'s sake
    only: the dataset shuffles itself."""
    import keras

    strategy = model.distribute_strategy
    if class_weight:
        dataset = with_class_weights(dataset, class_weight)
    steps = steps_per_epoch or int(dataset.cardinality())
    if steps <= 0:
        raise ValueError("fit_across_workers: an endless or unsized dataset needs steps_per_epoch")
    batches = strategy.experimental_distribute_dataset(sharded_by_data(dataset))
    validation = None
    if validation_data is not None:
        validation = (strategy.experimental_distribute_dataset(sharded_by_data(validation_data)),
                      int(validation_data.cardinality()))
    train_step, test_step = replicated(model, model.train_step), replicated(model, model.test_step)
    callbacks = keras.callbacks.CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=model,
                                             verbose=verbose, epochs=epochs, steps=steps)
    summed = summer(strategy)
    with lost_workers_reported():
        check_same_start(strategy, summed, initial_epoch)
        model.stop_training = False
        endless = iter(batches) if steps_per_epoch else None
        callbacks.on_train_begin()
        logs = {}
        for epoch in range(initial_epoch, epochs):
            model.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            iterator = endless or iter(batches)
            for step in range(steps):
                callbacks.on_train_batch_begin(step)
                logs = train_step(iterator)
                callbacks.on_train_batch_end(step, logs)
            logs = {name: float(np.asarray(value)) for name, value in logs.items()}
            if validation is not None:
                logs.update(evaluate(model, *validation, test_step))
            callbacks.on_epoch_end(epoch, logs)
            if summed(int(bool(model.stop_training))):  # any worker's callbacks (its own clock for --time-limit)
                break  # stop all: a worker that went on would wait for the others forever
        callbacks.on_train_end(logs)
    return model.history


@contextlib.contextmanager
def lost_workers_reported():
    """A worker that stops sending heartbeats (crashed, killed, cut off) aborts the collective ops
    of the others: each ends with one line that names it."""
    import tensorflow as tf

    try:
        yield
    except tf.errors.UnavailableError as exc:
        raise WorkerLost(f"{lost_worker(str(exc))} stopped answering (it crashed, was killed or lost its network), so "
                         "this worker stops too; start every worker again with --resume to continue from the "
                         "chief's last checkpoint") from None


def lost_worker(message: str) -> str:
    """Which worker an ``UnavailableError`` of the collective ops names, in words."""
    found = re.findall(r"/job:(\w+)/replica:\d+/task:(\d+)", message.split("unhealthy", 1)[-1])
    return ", ".join(f"{job} {task}" for job, task in dict.fromkeys(found)) or "another worker"


def evaluate(model, batches, steps: int, test_step) -> dict:
    """The ``val_`` metrics of one pass over ``steps`` distributed ``batches``."""
    model.reset_metrics()
    logs, iterator = {}, iter(batches)
    for _ in range(steps):
        logs = test_step(iterator)
    return {f"val_{name}": float(np.asarray(value)) for name, value in logs.items()}
