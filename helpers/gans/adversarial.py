"""What every GAN of the project shares, so that each subclass states only its objective: the
training step's order, the trackers, the discriminator's warm-up for ``--init``, and the
replica- and loss-scaling of each network's update. ``docs/layout.md`` ("Writing a GAN") gives
the convention a GAN follows; ``tests/test_gan_contract.py`` checks it on every GAN."""
from __future__ import annotations

import keras
import tensorflow as tf

from helpers.data.pixels import to_model_range
from helpers.gans.losses import (auxiliary_classifier_discriminator_loss, auxiliary_classifier_generator_loss,
                                 scale_for_replicas)


class AdversarialModel(keras.Model):
    """A generator and a discriminator (or critic) trained against each other by ``fit``.

    - The constructor takes the two networks and every loss weight; ``compile(d_optimizer,
      g_optimizer)`` takes one optimizer per network (keras-io style) and nothing else.
    - :meth:`train_step` is the same for every GAN: :meth:`prepare` the batch, then
      ``discriminator_steps`` calls of :meth:`discriminator_step`, then one of
      :meth:`generator_step`; each step returns its terms by tracker name.
    - Loss trackers are made with :meth:`tracker`; ``metrics`` lists the active ones, so Keras
      resets them every epoch and ``fit`` logs them. Every GAN tracks its two networks' total
      losses, ``d_loss`` and ``g_loss``.
    - Each network's step differentiates :meth:`scaled` of its loss and applies it with
      :meth:`update`: correct for any number of replicas under ``tf.distribute`` and under
      ``mixed_float16`` loss scaling, and exactly the plain step on one device in float32.
    - :meth:`discriminate` returns ``(score, class_logits or None)``: a discriminator with two
      outputs has an expression head, read from the network itself rather than a loss weight.
    """

    #: discriminator (critic) updates per generator update
    discriminator_steps = 1
    #: the range the generator draws in and real faces are brought to: "tanh" ([-1, 1]) or "sigmoid"
    output_range = "tanh"

    def __init__(self, generator, discriminator, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.has_classifier = len(discriminator.outputs) == 2  # [score, class_logits]
        self._trackers: dict[str, keras.metrics.Mean] = {}
        self._active_trackers = []
        self.tracker("d_loss")
        self.tracker("g_loss")

    @property
    def release_generator(self):
        """The generator that samples and is released (a subclass may keep an average of it)."""
        return self.generator

    def checkpointed(self, discriminator_name: str = "discriminator") -> dict:
        """The networks a training checkpoint holds, by name."""
        nets = {"generator": self.generator, discriminator_name: self.discriminator}
        if self.release_generator is not self.generator:
            nets["release_generator"] = self.release_generator
        return nets

    def tracker(self, name: str, active: bool = True) -> keras.metrics.Mean:
        """A running mean of one term that the steps return by ``name``, listed by ``metrics``
        (and so logged) when ``active``."""
        mean = self._trackers[name] = keras.metrics.Mean(name=name)
        if active:
            self._active_trackers.append(mean)
        return mean

    def prepare(self, images, labels):
        """A batch of the data pipeline, ``(uint8 faces, labels)``, as the steps take it: the real
        faces in the generator's range and the labels as a (B,) int32 vector. A GAN whose steps
        need more (the translator's source and target pairs) returns that as the second item."""
        return to_model_range(images, self.output_range), tf.reshape(tf.cast(labels, tf.int32), [-1])

    def discriminator_step(self, real, labels) -> dict:
        """One update of the discriminator on ``real`` faces and new fakes; its terms by tracker name."""
        raise NotImplementedError

    def generator_step(self, real, labels) -> dict:
        """One update of the generator; its terms by tracker name."""
        raise NotImplementedError

    def train_step(self, data):
        # 1. The batch as the steps take it (real faces in the generator's range, labels).
        real, labels = self.prepare(*data)

        # 2. The discriminator (critic), discriminator_steps times on the same real faces.
        for _ in range(self.discriminator_steps):
            d_terms = self.discriminator_step(real, labels)

        # 3. The generator, once.
        g_terms = self.generator_step(real, labels)

        # 4. Track every term the steps returned.
        for name, value in {**d_terms, **g_terms}.items():
            self._trackers[name].update_state(value)
        return self.results()

    @staticmethod
    def real_class_term(labels, real_logits, weight: float, label_smoothing: float = 0.0):
        """The expression head's term of a discriminator step (AC-GAN): ``weight`` times its
        cross-entropy on the real faces, and that cross-entropy by tracker name; nothing when
        ``weight`` is 0."""
        if not weight:
            return 0.0, {}
        loss = auxiliary_classifier_discriminator_loss(labels, real_logits, label_smoothing)
        return weight * loss, {"real_class_loss": loss}

    @staticmethod
    def fake_class_term(labels, fake_logits, weight: float):
        """The expression head's term of a generator step (AC-GAN): ``weight`` times its
        cross-entropy on the fakes against their intended expressions, and that cross-entropy by
        tracker name; nothing when ``weight`` is 0."""
        if not weight:
            return 0.0, {}
        loss = auxiliary_classifier_generator_loss(labels, fake_logits)
        return weight * loss, {"fake_class_loss": loss}

    def warm_up_discriminator(self, images, labels) -> dict:
        """One discriminator update while the generator waits (a fresh discriminator, or a new
        expression head, for ``--init``); its terms by name."""
        return self.discriminator_step(*self.prepare(images, labels))

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = self._loss_scaled(d_optimizer)
        self.g_optimizer = self._loss_scaled(g_optimizer)
        # Their slots now, in the caller's strategy scope: made lazily inside a replica's step,
        # they would be created per replica, which tf.distribute refuses.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    def _loss_scaled(self, optimizer):
        """Under ``mixed_float16``, ``optimizer`` wrapped to scale the loss and unscale the gradients
        (as ``compile`` does for a model's one optimizer), so small float16 gradients do not flush to zero."""
        if self.dtype_policy.name == "mixed_float16" and not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
            return keras.optimizers.LossScaleOptimizer(optimizer)
        return optimizer

    @staticmethod
    def scaled(loss, optimizer):
        """What to differentiate for ``loss``, a mean over this replica's share of the batch:
        divided by the number of replicas in sync (Keras sums their gradients) and multiplied by
        ``optimizer``'s loss scale under ``mixed_float16``. Compute it inside the tape; trackers
        get ``loss`` itself. On one device in float32 it is ``loss``, unchanged."""
        return optimizer.scale_loss(scale_for_replicas(loss))

    @staticmethod
    def update(tape, scaled_loss, network, optimizer):
        """One optimizer step of ``network`` down the gradient of ``scaled_loss`` (:meth:`scaled`);
        a loss-scaling optimizer unscales the gradients, and skips a step whose gradients overflowed."""
        grads = tape.gradient(scaled_loss, network.trainable_variables)
        optimizer.apply_gradients(zip(grads, network.trainable_variables))

    @property
    def metrics(self):
        return list(self._active_trackers)

    def results(self) -> dict:
        """What ``train_step`` returns: every active tracker's mean so far this epoch."""
        return {m.name: m.result() for m in self.metrics}

    def discriminate(self, inputs, training: bool = True):
        """``(score, class_logits or None)``, whether or not the discriminator has a class head."""
        out = self.discriminator(inputs, training=training)
        return (out[0], out[1]) if self.has_classifier else (out, None)
