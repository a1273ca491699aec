"""One training step of every GAN and of a recognizer, on one device and under ``MirroredStrategy``
over two logical CPU devices, on the same global batch; prints a JSON object of the largest weight
differences (run by ``tests/test_distribute.py`` in a process of its own, since the logical devices
must be set before TensorFlow starts).

Every random draw of a step is made the same for every sample (noise, the gradient penalty's
interpolation, random targets and views), so a replica's share of the batch sees exactly what those
rows see on one device; the networks are small and have no batch norm or dropout, whose statistics
and masks are per replica by design. What is left to differ is how the replicas' gradients are
combined: a loss term that is not scaled for the global batch moves the weights twice as far."""
from __future__ import annotations

import json
import sys

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from helpers.errors import UserError
from helpers.expressions import NUM_EXPRESSIONS
from helpers.training import distribute

BATCH, NOISE, CODE = 8, 6, 4


def same_for_every_sample():
    """Replace TensorFlow's random draws by their distribution's midpoint (0 for the normal)."""
    def normal(shape, mean=0.0, stddev=1.0, dtype=tf.float32, seed=None, name=None):
        return tf.fill(shape, tf.cast(mean + 0.3 * stddev, dtype))

    def uniform(shape, minval=0, maxval=None, dtype=tf.float32, seed=None, name=None):
        middle = (minval + (1 if maxval is None else maxval)) / 2
        return tf.fill(shape, tf.cast(middle, dtype))

    tf.random.normal, tf.random.uniform = normal, uniform


def sgd(learning_rate=0.1, **kwargs):
    """Plain SGD: its step is proportional to the gradient, so a gradient off by a factor shows
    (Adam's first step is about the learning rate whatever the gradient's size). Under
    ``mixed_float16`` it is wrapped with a small fixed initial loss scale: the default, 2^15, makes
    the first steps overflow and be skipped, by design, which would leave nothing to compare."""
    optimizer = keras.optimizers.SGD(learning_rate, **kwargs)
    if keras.mixed_precision.global_policy().name == "mixed_float16":
        return keras.optimizers.LossScaleOptimizer(optimizer, initial_scale=16.0)
    return optimizer


def flat(x):
    """A float feature vector of a network input: a face flattened, a label embedded."""
    if x.dtype == "int32":
        return layers.Flatten()(layers.Embedding(NUM_EXPRESSIONS, 4)(x))
    return layers.Flatten()(x)


def scores_net(inputs, units, name):
    """A small dense critic: its inputs to one output per entry of ``units``."""
    x = layers.Dense(8, activation="tanh")(layers.Concatenate()([flat(i) for i in inputs]) if len(inputs) > 1
                                            else flat(inputs[0]))
    outs = [layers.Dense(u, dtype="float32")(x) for u in units]
    return keras.Model(inputs, outs if len(outs) > 1 else outs[0], name=name)


def faces_net(inputs, name):
    """A small dense generator: its inputs to a face in [-1, 1]."""
    x = layers.Dense(16, activation="tanh")(layers.Concatenate()([flat(i) for i in inputs]))
    face = layers.Dense(48 * 48, activation="tanh", dtype="float32")(x)  # float32 out, as the project's generators
    return keras.Model(inputs, layers.Reshape((48, 48, 1), dtype="float32")(face), name=name)


def cwgan():
    from helpers.gans.cwgan import ConditionalWGAN

    noise, code, face, seen = keras.Input((NOISE,)), keras.Input((CODE,)), keras.Input((48, 48, 1)), keras.Input((48, 48, 1))
    codes = np.random.default_rng(0).standard_normal((NUM_EXPRESSIONS, CODE)).astype("float32")
    guide = keras.Model(seen, layers.Dense(NUM_EXPRESSIONS, activation="softmax")(layers.Rescaling(1 / 255)(flat(seen))))
    gan = ConditionalWGAN(faces_net([noise, code], "g"), scores_net([face, code], [1, NUM_EXPRESSIONS], "d"), codes,
                          noise_dim=NOISE, n_critic=2, ac_weight=1.0, g_ac_weight=1.0, guide=guide, guide_weight=1.0)
    gan.compile(sgd(), sgd())
    return gan


def dcgan():
    from helpers.gans.dcgan import DCGAN

    noise, label, face = keras.Input((NOISE,)), keras.Input((1,), dtype="int32"), keras.Input((48, 48, 1))
    gan = DCGAN(faces_net([noise, label], "g"), scores_net([face, label], [1, NUM_EXPRESSIONS], "d"), NOISE,
                conditional=True, ac_weight=1.0)
    gan.compile(sgd(), sgd())
    return gan


def ccyclegan():
    from helpers.gans.ccyclegan import CCycleGAN
    from helpers.models.ccyclegan_nets import CONFIGS

    face, target, seen = keras.Input((48, 48, 1)), keras.Input((NUM_EXPRESSIONS,)), keras.Input((48, 48, 1))
    gan = CCycleGAN(faces_net([face, target], "g"), scores_net([seen], [1, NUM_EXPRESSIONS], "d"), CONFIGS["T26"],
                    identity_weight=0.5)
    gan.compile(sgd(), sgd())
    return gan


def sngan():
    from helpers.gans.augment import POLICIES
    from helpers.gans.sngan import ProjectionSNGAN

    noise, label, face = keras.Input((NOISE,)), keras.Input((1,), dtype="int32"), keras.Input((48, 48, 1))
    gan = ProjectionSNGAN(faces_net([noise, label], "g"), scores_net([face, label], [1], "d"), noise_dim=NOISE,
                          augment=POLICIES)  # the random views too, as they split across replicas
    gan.compile(sgd(), sgd())
    return gan


def recognizer():
    from helpers.models import build_recognizer

    model = build_recognizer("deep_emotion", batch_norm=False, dropout=0.0)
    model.compile(sgd(0.05, momentum=0.9, nesterov=True, weight_decay=5e-4),
                  keras.losses.CategoricalCrossentropy(label_smoothing=0.1))
    return model


MODELS = {"cwgan": cwgan, "dcgan": dcgan, "ccyclegan": ccyclegan, "sngan": sngan, "recognizer": recognizer}


def batch(name):
    rng = np.random.default_rng(1)
    faces = rng.integers(0, 256, (BATCH, 48, 48, 1), dtype=np.uint8)
    labels = np.arange(BATCH) % NUM_EXPRESSIONS
    if name == "recognizer":
        return tf.data.Dataset.from_tensor_slices((faces, np.eye(NUM_EXPRESSIONS, dtype="float32")[labels])).batch(BATCH)
    return tf.data.Dataset.from_tensor_slices((faces, labels.astype("int32"))).batch(BATCH)


def built(name):
    """``name``'s model, built (a GAN by one call, as its trainer does) from seed 0."""
    keras.utils.set_random_seed(0)
    model = MODELS[name]()
    if name == "ccyclegan":
        model((np.zeros((1, 48, 48, 1), np.float32), np.zeros(1, np.int32)))
    elif name != "recognizer":
        model((np.zeros((1, NOISE), np.float32), np.zeros(1, np.int32)))
    return model


def one_step(name, strategy):
    """``name``'s weights before and after one ``fit`` step, built in ``strategy``'s scope."""
    with strategy.scope():
        model = built(name)
    before = [np.asarray(w) for w in model.weights]
    model.fit(batch(name), epochs=1, verbose=0, shuffle=False)
    return before, [np.asarray(w) for w in model.weights]


def largest_difference(name, mirrored) -> dict:
    """How far one step moved the weights on one device, and how far the mirrored step's
    weights are from that step's."""
    start, one = one_step(name, tf.distribute.get_strategy())
    _, two = one_step(name, mirrored)
    return {"moved": max(float(np.max(np.abs(a - b))) for a, b in zip(one, start)),
            "difference": max(float(np.max(np.abs(a - b))) for a, b in zip(one, two))}


def replicas_draw_apart(mirrored) -> dict:
    """Whether the two replicas' noise and uniform draws differ, in a seeded run as trainers seed."""
    keras.utils.set_random_seed(0)

    @tf.function
    def draws():
        return mirrored.run(lambda: (tf.random.normal([16]), tf.random.uniform([16])))

    (normal_0, uniform_0), (normal_1, uniform_1) = mirrored.experimental_local_results(draws())
    return {"normal": not np.allclose(normal_0, normal_1), "uniform": not np.allclose(uniform_0, uniform_1)}


def mixed_float16_step(name) -> dict:
    """One step in ``mixed_float16`` on one device against the float32 step: whether every weight
    is finite, how far the two steps' weights are apart, and whether the optimizers scale the loss."""
    start, one = one_step(name, tf.distribute.get_strategy())
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        with tf.distribute.get_strategy().scope():
            model = built(name)
        model.fit(batch(name), epochs=1, verbose=0, shuffle=False)
        half = [np.asarray(w) for w in model.weights]
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return {"finite": all(bool(np.isfinite(w).all()) for w in half),
            "moved": max(float(np.max(np.abs(a - b))) for a, b in zip(one, start)),
            "difference": max(float(np.max(np.abs(a - b))) for a, b in zip(one, half)),
            "loss_scaled": isinstance(model.optimizer if name == "recognizer" else model.d_optimizer,
                                      keras.optimizers.LossScaleOptimizer)}


def main(names):
    mirrored = distribute.make_strategy(distribute.ScaleOut(strategy="mirrored", cpu_devices=2))
    assert mirrored.num_replicas_in_sync == 2, mirrored.num_replicas_in_sync
    results = {"apart": replicas_draw_apart(mirrored)}
    try:
        distribute.make_strategy(distribute.ScaleOut(strategy="mirrored", jit_compile=True))
        results["xla_refused"] = ""
    except UserError as exc:
        results["xla_refused"] = str(exc)
    same_for_every_sample()
    results["mirrored"] = {name: largest_difference(name, mirrored) for name in names}
    results["mixed_float16"] = {name: mixed_float16_step(name) for name in names}
    import helpers.gans.adversarial as adversarial
    scaled = adversarial.scale_for_replicas
    adversarial.scale_for_replicas = lambda loss: loss  # the mistake the equivalence test is there to catch
    results["mirrored"]["cwgan, unscaled"] = largest_difference("cwgan", mirrored)
    adversarial.scale_for_replicas = scaled
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:] or list(MODELS))
