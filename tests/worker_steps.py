"""One training step of every GAN and of a recognizer, on one device and under
``MultiWorkerMirroredStrategy`` over the workers ``TF_CONFIG`` describes, on the same global batch;
prints a JSON object of the largest weight differences. ``tests/test_multiworker.py`` runs it as
two worker processes on 127.0.0.1 and reads worker 0's line.

The models, the batch and the same-for-every-sample random draws are ``tests/replica_steps.py``'s
(see its docstring): what is left to differ is how the workers' gradients are combined. The step
across workers is the project's loop (:func:`helpers.training.worker_loop.fit`), the one on one
device is Keras ``fit``."""
from __future__ import annotations

import json
import sys

import numpy as np
import tensorflow as tf

from helpers.expressions import NUM_EXPRESSIONS
from helpers.training import distribute, worker_loop
from replica_steps import MODELS, batch, built, same_for_every_sample


def step(name, strategy, train):
    """``name``'s weights before and after one step of ``train(model, dataset)``, built in ``strategy``'s scope."""
    with strategy.scope():
        model = built(name)
    before = [np.asarray(w) for w in model.weights]
    train(model, batch(name))
    return before, [np.asarray(w) for w in model.weights]


def largest_difference(name, workers, **fit) -> dict:
    """How far one step moved the weights on one device, and how far the step across workers is
    from it (both with the keywords ``fit``)."""
    start, one = step(name, tf.distribute.get_strategy(), lambda m, d: m.fit(d, epochs=1, verbose=0, shuffle=False, **fit))
    _, across = step(name, workers, lambda m, d: worker_loop.fit(m, d, epochs=1, verbose=0, **fit))
    return {"moved": max(float(np.max(np.abs(a - b))) for a, b in zip(one, start)),
            "difference": max(float(np.max(np.abs(a - b))) for a, b in zip(one, across))}


def main(names):
    workers = distribute.make_strategy(distribute.ScaleOut(strategy="multiworker"))
    same_for_every_sample()
    results = {"replicas": workers.num_replicas_in_sync, "chief": distribute.is_chief()}
    results["steps"] = {name: largest_difference(name, workers) for name in names}
    weights = {e: 0.5 + e for e in range(NUM_EXPRESSIONS)}  # fit turns them into sample weights; so must the loop
    results["steps"]["recognizer, class weights"] = largest_difference("recognizer", workers, class_weight=weights)
    import helpers.gans.adversarial as adversarial
    scaled = adversarial.scale_for_replicas
    adversarial.scale_for_replicas = lambda loss: loss  # the mistake the equivalence test is there to catch
    results["steps"]["cwgan, unscaled"] = largest_difference("cwgan", workers)
    adversarial.scale_for_replicas = scaled
    print("RESULT " + json.dumps(results), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or list(MODELS))
