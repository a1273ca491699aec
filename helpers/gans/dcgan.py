"""DCGAN (unconditional or label-conditioned), keras-io style."""
from __future__ import annotations

import tensorflow as tf

from helpers.gans.adversarial import AdversarialModel
from helpers.gans.losses import minimax_discriminator_loss, minimax_generator_loss


class DCGAN(AdversarialModel):
    """Minimax GAN with the non-saturating generator loss. ``conditional=True`` feeds the label
    to both networks; the data pipeline yields ``(uint8 images, labels)`` either way. With
    ``ac_weight > 0`` the discriminator also classifies the expression (it returns
    ``[logit, class_logits]``): trained on real faces, and the generator is rewarded when its
    fakes are classified as intended (AC-GAN)."""

    def __init__(self, generator, discriminator, noise_dim: int = 100, conditional: bool = False,
                 output: str = "tanh", label_smoothing: float = 0.1, ac_weight: float = 0.0, **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        self.noise_dim = noise_dim
        self.conditional = conditional
        self.output_range = output
        self.label_smoothing = label_smoothing
        self.ac_weight = ac_weight
        if ac_weight and not self.has_classifier:
            raise ValueError("ac_weight > 0 needs a discriminator with a class head (auxiliary_classifier=True)")
        self.tracker("d_real_prob")
        self.tracker("d_fake_prob")
        self.tracker("real_class_loss", active=bool(ac_weight))
        self.tracker("fake_class_loss", active=bool(ac_weight))

    def _in(self, x, labels):
        return [x, labels[:, None]] if self.conditional else x

    def call(self, inputs, training=False):
        noise, labels = inputs
        return self.generator(self._in(noise, tf.reshape(tf.cast(labels, tf.int32), [-1])), training=training)

    def discriminator_step(self, real, labels):
        """Real faces -> 1 (smoothed), new fakes -> 0 (+ the expression head's cross-entropy on the
        real faces); the discriminator's mean beliefs that each is real."""
        fake = self.generator(self._in(tf.random.normal((tf.shape(real)[0], self.noise_dim)), labels), training=True)
        with tf.GradientTape() as tape:
            real_logits, real_class = self.discriminate(self._in(real, labels))
            fake_logits, _ = self.discriminate(self._in(fake, labels))
            class_term, terms = self.real_class_term(labels, real_class, self.ac_weight)
            d_loss = minimax_discriminator_loss(real_logits, fake_logits, self.label_smoothing) + class_term
            scaled = self.scaled(d_loss, self.d_optimizer)
        self.update(tape, scaled, self.discriminator, self.d_optimizer)
        return {"d_loss": d_loss, "d_real_prob": tf.reduce_mean(tf.sigmoid(real_logits)),
                "d_fake_prob": tf.reduce_mean(tf.sigmoid(fake_logits)), **terms}

    def generator_step(self, real, labels):
        """Make the discriminator call new fakes real (and of the intended expression)."""
        with tf.GradientTape() as tape:
            fake = self.generator(self._in(tf.random.normal((tf.shape(real)[0], self.noise_dim)), labels),
                                  training=True)
            gen_logits, gen_class = self.discriminate(self._in(fake, labels))
            class_term, terms = self.fake_class_term(labels, gen_class, self.ac_weight)
            g_loss = minimax_generator_loss(gen_logits) + class_term
            scaled = self.scaled(g_loss, self.g_optimizer)
        self.update(tape, scaled, self.generator, self.g_optimizer)
        return {"g_loss": g_loss, **terms}
