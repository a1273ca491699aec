"""What every GAN of the project shares, so that each subclass states only its objective."""
from __future__ import annotations

import keras

from helpers.gans.losses import scale_for_replicas


class AdversarialModel(keras.Model):
    """A generator and a discriminator (or critic) trained against each other by ``fit``.

    - ``compile(d_optimizer, g_optimizer)`` takes one optimizer per network (keras-io style).
    - Loss trackers are attributes made with :meth:`tracker`; ``metrics`` lists the active ones,
      so Keras resets them every epoch and ``fit`` logs them. Every GAN tracks its two networks'
      total losses, ``d_loss`` and ``g_loss``.
    - Each network's step differentiates :meth:`scaled` of its loss and applies it with
      :meth:`update`: correct for any number of replicas under ``tf.distribute`` and under
      ``mixed_float16`` loss scaling, and exactly the plain step on one device in float32.
    - :meth:`discriminate` returns ``(score, class_logits or None)``: a discriminator with two
      outputs has an expression head, read from the network itself rather than a loss weight.
    """

    def __init__(self, generator, discriminator, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.has_classifier = len(discriminator.outputs) == 2  # [score, class_logits]
        self._active_trackers = []
        self.d_loss_tracker = self.tracker("d_loss")
        self.g_loss_tracker = self.tracker("g_loss")

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
        """A running mean of one loss term, listed by ``metrics`` when ``active``."""
        mean = keras.metrics.Mean(name=name)
        if active:
            self._active_trackers.append(mean)
        return mean

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
