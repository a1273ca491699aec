"""Conditional CycleGAN for expression translation, keras-io style; one code path for every
configuration of the experiment log (:data:`helpers.models.ccyclegan_nets.CONFIGS`)."""
from __future__ import annotations

import tensorflow as tf

from helpers.data.pixels import to_model_range
from helpers.gans.adversarial import AdversarialModel
from helpers.expressions import NUM_EXPRESSIONS
from helpers.gans.losses import (cycle_consistency_generator_loss, expression_discriminator_loss, expression_generator_loss,
                                 identity_generator_loss, least_squares_discriminator_loss, least_squares_generator_loss)


def translation_pairs(images, labels, all_targets: bool):
    """(sources, source labels, target labels): with ``all_targets`` every face is paired with
    each of the 6 other expressions (T24); otherwise with one random other expression."""
    labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
    if all_targets:
        offsets = tf.range(1, NUM_EXPRESSIONS)                                   # 6 other expressions
        targets = tf.reshape((labels[:, None] + offsets[None, :]) % NUM_EXPRESSIONS, [-1])
        sources = tf.repeat(images, NUM_EXPRESSIONS - 1, axis=0)
        source_labels = tf.repeat(labels, NUM_EXPRESSIONS - 1)
        return sources, source_labels, targets
    offset = tf.random.uniform(tf.shape(labels), 1, NUM_EXPRESSIONS, dtype=tf.int32)
    return images, labels, (labels + offset) % NUM_EXPRESSIONS


class CCycleGAN(AdversarialModel):
    """Generator G(x, target) and a two-headed discriminator D(x) -> (realness, expression)."""

    def __init__(self, generator, discriminator, config, adversarial_weight=None, classification_weight=None,
                 cycle_weight=None, identity_weight=None, **kwargs):
        """``config``: a row of the experiment log (:data:`helpers.models.ccyclegan_nets.CONFIGS`);
        a loss weight left at None is the configuration's."""
        super().__init__(generator, discriminator, **kwargs)
        self.config = config

        def chosen(weight, configured):
            return configured if weight is None else weight

        self.w_adv = chosen(adversarial_weight, config.adversarial_weight)
        self.w_cls = chosen(classification_weight, config.classification_weight)
        self.w_cycle = chosen(cycle_weight, config.cycle_weight)
        self.w_identity = chosen(identity_weight, config.identity_weight)
        for name in ("d_adv", "d_cls", "g_adv", "g_cls", "cycle", "identity"):
            self.tracker(name)

    def call(self, inputs, training=False):
        images, targets = inputs
        return self.generator([images, tf.one_hot(tf.reshape(tf.cast(targets, tf.int32), [-1]), NUM_EXPRESSIONS)],
                              training=training)

    def prepare(self, images, labels):
        """The real faces in [-1, 1], and the translation pairs of the step: the sources (each
        face, repeated for all 6 other expressions from T24 on), their labels as given, and the
        source and target expressions one-hot."""
        real = to_model_range(images)
        x, source, target = translation_pairs(real, labels, self.config.all_targets)
        labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
        return real, (x, labels, tf.one_hot(source, NUM_EXPRESSIONS), tf.one_hot(target, NUM_EXPRESSIONS))

    def discriminator_step(self, real, pairs):
        """Realness (LSGAN) on the sources vs their translations; the expression of the sources;
        from T22 on, all 7 expression outputs pushed to 0 for translated faces."""
        x, _, source_1h, target_1h = pairs
        fake = self.generator([x, target_1h], training=True)
        with tf.GradientTape() as tape:
            real_score, real_expr = self.discriminate(x)
            fake_score, fake_expr = self.discriminate(fake)
            d_adv = least_squares_discriminator_loss(real_score, fake_score)
            d_cls = expression_discriminator_loss(source_1h, real_expr, fake_expr if self.config.fake_zero_label else None,
                                                  self.config.expression_activation)
            d_loss = self.w_adv * d_adv + self.w_cls * d_cls
            scaled = self.scaled(d_loss, self.d_optimizer)
        self.update(tape, scaled, self.discriminator, self.d_optimizer)
        return {"d_loss": d_loss, "d_adv": d_adv, "d_cls": d_cls}

    def generator_step(self, real, pairs):
        """Fool the realness head, show the target expression, come back to the source on the cycle
        (x -> target -> source), and (identity loss) leave each real face unchanged when asked for
        its own expression."""
        x, labels, source_1h, target_1h = pairs
        with tf.GradientTape() as tape:
            fake = self.generator([x, target_1h], training=True)
            back = self.generator([fake, source_1h], training=True)
            fake_score, fake_expr = self.discriminate(fake, training=False)
            g_adv = least_squares_generator_loss(fake_score)
            g_cls = expression_generator_loss(target_1h, fake_expr, self.config.expression_activation)
            cyc = cycle_consistency_generator_loss(x, back)
            idt = identity_generator_loss(real, self((real, labels), training=True)) if self.w_identity else 0.0
            g_loss = self.w_adv * g_adv + self.w_cls * g_cls + self.w_cycle * cyc + self.w_identity * idt
            scaled = self.scaled(g_loss, self.g_optimizer)
        self.update(tape, scaled, self.generator, self.g_optimizer)
        return {"g_loss": g_loss, "g_adv": g_adv, "g_cls": g_cls, "cycle": cyc, "identity": idt}
