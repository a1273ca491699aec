"""Projection cGAN with spectral normalisation, hinge loss, DiffAugment and an EMA generator."""
from __future__ import annotations

import keras
import tensorflow as tf

from helpers.gans.adversarial import AdversarialModel
from helpers.gans.augment import diff_augment
from helpers.gans.losses import hinge_discriminator_loss, hinge_generator_loss, r1_discriminator_loss


class ProjectionSNGAN(AdversarialModel):
    """A class-conditional GAN in the recipe of SNGAN with a projection discriminator (Miyato &
    Koyama 2018), as BigGAN uses it at scale:

    - the discriminator (:func:`helpers.models.sngan_nets.sngan_discriminator`) is spectrally
      normalised and scores ``(face, expression)`` pairs with the hinge loss;
    - with ``augment``, both networks' steps show it DiffAugment views (:mod:`helpers.gans.augment`)
      of real and generated faces (off by default: on FER2013 they slowed learning);
    - ``ema_generator``, an exponential moving average of the generator's weights (Karras et
      al.), is what samples and what is released: it averages out the last steps' oscillation;
    - with ``ac_weight > 0`` the discriminator also has an expression head (it returns
      ``[score, class_logits]``), trained on real faces only; the generator is rewarded, with
      the same weight, when that head finds the intended expression in its fakes (AC-GAN, Odena
      et al. 2017, on top of the projection); ``ac_label_smoothing`` smooths the head's targets
      on real faces only, so the head does not learn Training's faces by heart while the fakes
      are still pushed all the way to their expression;
    - with ``r1_weight > 0`` the discriminator's loss adds the R1 penalty on the real views
      (:func:`~helpers.gans.losses.r1_discriminator_loss`, Mescheder et al. 2018), from the same
      forward pass that scores them.

    The data pipeline yields ``(uint8 faces, labels)``; the fakes of a step have the labels of
    its real faces, so a class-balanced pipeline balances both."""

    def __init__(self, generator, discriminator, noise_dim: int = 128, ema_decay: float = 0.999,
                 augment=(), ac_weight: float = 0.0, ac_label_smoothing: float = 0.0, r1_weight: float = 0.0,
                 **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        if ac_weight and not self.has_classifier:
            raise ValueError("ac_weight > 0 needs a discriminator with a class head (sngan_discriminator(..., num_classes=7))")
        self.noise_dim, self.ema_decay, self.augment, self.ac_weight = noise_dim, ema_decay, tuple(augment), ac_weight
        self.ac_label_smoothing, self.r1_weight = ac_label_smoothing, r1_weight
        self.ema_generator = keras.models.clone_model(generator)
        self.ema_generator.set_weights(generator.get_weights())
        self.ema_generator.trainable = False
        self.tracker("d_real_score")
        self.tracker("d_fake_score")
        self.tracker("real_class_loss", active=bool(ac_weight))
        self.tracker("fake_class_loss", active=bool(ac_weight))
        self.tracker("r1_penalty", active=bool(r1_weight))

    @property
    def release_generator(self):
        return self.ema_generator

    def call(self, inputs, training=False):
        noise, labels = inputs
        return self.ema_generator([noise, tf.reshape(tf.cast(labels, tf.int32), (-1, 1))], training=False)

    def _views(self, faces):
        return diff_augment(faces, self.augment) if self.augment else faces

    def update_ema(self):
        """ema <- d·ema + (1 - d)·weights, every weight including batch-norm statistics; ``d``
        ramps up as min(ema_decay, (1 + t) / (10 + t)) over the first steps, so the average
        does not start from the untrained generator."""
        step = tf.cast(self.g_optimizer.iterations, tf.float32)
        decay = tf.minimum(self.ema_decay, (1.0 + step) / (10.0 + step))
        for average, weight in zip(self.ema_generator.weights, self.generator.weights):
            average.assign(decay * average + (1.0 - decay) * tf.cast(weight, average.dtype))

    def discriminator_step(self, real, labels):
        """The hinge loss on views of ``real`` faces and of new fakes of the same ``labels`` (plus,
        with ``ac_weight``, the expression head's cross-entropy on the real views, and with
        ``r1_weight`` the R1 penalty on them)."""
        fake = self.generator([tf.random.normal((tf.shape(real)[0], self.noise_dim)), labels[:, None]], training=True)
        with tf.GradientTape() as tape:
            real_views = self._views(real)
            with tf.GradientTape(watch_accessed_variables=False) as input_tape:
                input_tape.watch(real_views)
                real_scores, real_logits = self.discriminate([real_views, labels[:, None]])
            fake_scores, _ = self.discriminate([self._views(fake), labels[:, None]])
            class_term, terms = self.real_class_term(labels, real_logits, self.ac_weight, self.ac_label_smoothing)
            d_loss = hinge_discriminator_loss(real_scores, fake_scores) + class_term
            if self.r1_weight:
                terms["r1_penalty"] = r1_discriminator_loss(
                    input_tape.gradient(real_scores, real_views), self.r1_weight)  # of their sum
                d_loss += terms["r1_penalty"]
            scaled = self.scaled(d_loss, self.d_optimizer)
        self.update(tape, scaled, self.discriminator, self.d_optimizer)
        return {"d_loss": d_loss, "d_real_score": tf.reduce_mean(real_scores),
                "d_fake_score": tf.reduce_mean(fake_scores), **terms}

    def generator_step(self, real, labels):
        """Raise the discriminator's score of views of new fakes (and the expression head's belief
        in their intended expression); then move the sampling generator towards the trained one."""
        with tf.GradientTape() as tape:
            fake = self.generator([tf.random.normal((tf.shape(real)[0], self.noise_dim)), labels[:, None]],
                                  training=True)
            gen_scores, fake_logits = self.discriminate([self._views(fake), labels[:, None]])
            class_term, terms = self.fake_class_term(labels, fake_logits, self.ac_weight)
            g_loss = hinge_generator_loss(gen_scores) + class_term
            scaled = self.scaled(g_loss, self.g_optimizer)
        self.update(tape, scaled, self.generator, self.g_optimizer)
        self.update_ema()
        return {"g_loss": g_loss, **terms}
