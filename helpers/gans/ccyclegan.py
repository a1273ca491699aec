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

    def __init__(self, generator, discriminator, config, **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        self.config = config
        self.d_adv_tracker = self.tracker("d_adv")
        self.d_cls_tracker = self.tracker("d_cls")
        self.g_adv_tracker = self.tracker("g_adv")
        self.g_cls_tracker = self.tracker("g_cls")
        self.cycle_tracker = self.tracker("cycle")
        self.identity_tracker = self.tracker("identity")

    def compile(self, d_optimizer, g_optimizer, adversarial_weight=None, classification_weight=None,
                cycle_weight=None, identity_weight=None, **kwargs):
        """Optimizers and loss weights (defaults: the configuration's)."""
        super().compile(d_optimizer, g_optimizer, **kwargs)
        c = self.config
        self.w_adv = c.adversarial_weight if adversarial_weight is None else adversarial_weight
        self.w_cls = c.classification_weight if classification_weight is None else classification_weight
        self.w_cycle = c.cycle_weight if cycle_weight is None else cycle_weight
        self.w_identity = c.identity_weight if identity_weight is None else identity_weight

    def call(self, inputs, training=False):
        images, targets = inputs
        return self.generator([images, tf.one_hot(tf.reshape(tf.cast(targets, tf.int32), [-1]), NUM_EXPRESSIONS)],
                              training=training)

    def discriminator_step(self, images, labels):
        """One discriminator update on a batch of real faces; returns the pairs it used and its
        losses. ``train_step`` opens with it; alone (:meth:`warm_up_discriminator`), it warms up a
        fresh discriminator for a generator started from a release (``ccyclegan.py --init``)."""
        # 1. Sources in [-1, 1], paired with target expressions (all 6 others from T24 on).
        real = to_model_range(images)
        x, source, target = translation_pairs(real, labels, self.config.all_targets)
        source_1h, target_1h = tf.one_hot(source, NUM_EXPRESSIONS), tf.one_hot(target, NUM_EXPRESSIONS)
        fake = self.generator([x, target_1h], training=False)

        # 2. Discriminator: realness (LSGAN) on real vs translated faces; expression of the real
        #    faces; from T22 on, all 7 expression outputs pushed to 0 for translated faces.
        with tf.GradientTape() as tape:
            real_score, real_expr = self.discriminator(x, training=True)
            fake_score, fake_expr = self.discriminator(fake, training=True)
            d_adv = least_squares_discriminator_loss(real_score, fake_score)
            d_cls = expression_discriminator_loss(source_1h, real_expr, fake_expr if self.config.fake_zero_label else None,
                                                  self.config.expression_activation)
            d_loss = self.w_adv * d_adv + self.w_cls * d_cls
            scaled = self.scaled(d_loss, self.d_optimizer)
        self.update(tape, scaled, self.discriminator, self.d_optimizer)
        return (real, x, source_1h, target_1h), (d_loss, d_adv, d_cls)

    def warm_up_discriminator(self, images, labels):
        """One discriminator update while the generator waits; returns its losses by name."""
        _, (_, d_adv, d_cls) = self.discriminator_step(images, labels)
        return {"d_adv": d_adv, "d_cls": d_cls}

    def train_step(self, data):
        # 1.-2. Pair the sources with their targets and update the discriminator.
        images, labels = data
        (real, x, source_1h, target_1h), (d_loss, d_adv, d_cls) = self.discriminator_step(images, labels)

        # 3. Generator: fool the realness head, show the target expression, come back to the
        #    source on the cycle (x -> target -> source), and (identity loss) leave each real face
        #    unchanged when asked for its own expression.
        with tf.GradientTape() as tape:
            fake = self.generator([x, target_1h], training=True)
            back = self.generator([fake, source_1h], training=True)
            fake_score, fake_expr = self.discriminator(fake, training=False)
            g_adv = least_squares_generator_loss(fake_score)
            g_cls = expression_generator_loss(target_1h, fake_expr, self.config.expression_activation)
            cyc = cycle_consistency_generator_loss(x, back)
            idt = identity_generator_loss(real, self((real, labels), training=True)) if self.w_identity else 0.0
            g_loss = self.w_adv * g_adv + self.w_cls * g_cls + self.w_cycle * cyc + self.w_identity * idt
            scaled = self.scaled(g_loss, self.g_optimizer)
        self.update(tape, scaled, self.generator, self.g_optimizer)

        # 4. Track every term.
        for tracker, value in zip(self.metrics, (d_loss, g_loss, d_adv, d_cls, g_adv, g_cls, cyc, idt)):
            tracker.update_state(value)
        return self.results()
