"""What every GAN of the project shares, so that each subclass states only its objective."""
from __future__ import annotations

import keras


class AdversarialModel(keras.Model):
    """A generator and a discriminator (or critic) trained against each other by ``fit``.

    - ``compile(d_optimizer, g_optimizer)`` takes one optimizer per network (keras-io style).
    - Loss trackers are attributes made with :meth:`tracker`; ``metrics`` lists the active ones,
      so Keras resets them every epoch and ``fit`` logs them. Every GAN tracks its two networks'
      total losses, ``d_loss`` and ``g_loss``.
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
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

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
