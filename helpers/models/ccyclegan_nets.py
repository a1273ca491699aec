"""Conditional CycleGAN networks and the experiment log's configurations (T1 ... T26).

Each row of the CCycleGAN experiment log that changed the architecture, the losses or the
training procedure is a :class:`CCycleConfig`; one generator builder, one discriminator builder
and one training step (:class:`helpers.gans.ccyclegan.CCycleGAN`) read it. Images are 48x48x1
in [-1, 1]; target expressions are one-hot vectors of length 7."""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import keras
from keras import layers

from helpers.expressions import NUM_EXPRESSIONS


@dataclass(frozen=True)
class CCycleConfig:
    """One configuration of the experiment log."""
    name: str
    description: str
    split_generator: bool = True        # T17: G = G_dec(transform(G_enc(x), label)); before: label tiled onto the input
    transform_layer: bool = True        # T20: label ++ latent -> dense block -> LeakyReLU -> 1x1 conv
    expression_activation: str = "sigmoid"  # T21: "sigmoid" (7 independent outputs) instead of "softmax"
    fake_zero_label: bool = True        # T22: D's expression head is pushed to all zeros on generated faces
    all_targets: bool = True            # T24: every real face is translated to all 6 other expressions
    adversarial_weight: float = 2.0     # T26: reconstruction = 1/2 adversarial = 1/2 classification
    classification_weight: float = 2.0
    cycle_weight: float = 1.0
    identity_weight: float = 0.0        # T1: 0.1 x cycle (Taigman et al. 2017); T17 on: none
    learning_rate: float = 1e-4         # T26: 1e-4 (earlier rows: 2e-4)

    def to_dict(self) -> dict:
        return asdict(self)


_T1 = CCycleConfig("T1", "LSGAN baseline, label tiled onto the input, identity loss 0.1 x cycle, softmax expression head",
                   split_generator=False, transform_layer=False, expression_activation="softmax",
                   fake_zero_label=False, all_targets=False, adversarial_weight=1.0, classification_weight=1.0,
                   cycle_weight=10.0, identity_weight=1.0, learning_rate=2e-4)
_T17 = replace(_T1, name="T17", description="generator split into G_enc and G_dec, label joined to the latent",
               split_generator=True, identity_weight=0.0)
_T20 = replace(_T17, name="T20", description="T17 + transformation layer between G_enc and G_dec", transform_layer=True)
_T21 = replace(_T20, name="T21", description="T20 with sigmoid instead of softmax expression outputs",
               expression_activation="sigmoid")
_T22 = replace(_T21, name="T22", description="T21 + the 'fake expression' zero label for generated faces in D",
               fake_zero_label=True)
_T24 = replace(_T22, name="T24", description="T22 + every face translated to all 6 other expressions; equal loss weights",
               all_targets=True, cycle_weight=1.0)
_T26 = CCycleConfig("T26", "the final recipe: T24 with reconstruction = 1/2 adversarial = 1/2 classification weight, lr 1e-4")

CONFIGS = {c.name: c for c in (_T1, _T17, _T20, _T21, _T22, _T24, _T26)}


def _down(x, width, name, norm=True):
    x = layers.Conv2D(width, 4, strides=2, padding="same", name=name)(x)
    if norm:
        x = layers.GroupNormalization(groups=-1, name=f"{name}_in")(x)  # instance norm
    return layers.LeakyReLU(0.2, name=f"{name}_lrelu")(x)


def _tile(label, size, name):
    """(B, 7) -> (B, size, size, 7)."""
    return layers.UpSampling2D(size, name=name)(layers.Reshape((1, 1, NUM_EXPRESSIONS), name=f"{name}_reshape")(label))


def ccyclegan_generator(config: CCycleConfig, width: int = 32, downsamplings: int = 2) -> keras.Model:
    """(image in [-1, 1], target one-hot) -> translated image in [-1, 1].

    ``G_enc``: ``downsamplings`` stride-2 convolutions of ``width``, 2 ``width``, ... channels
    (instance norm after the first) and a 3x3 convolution, to a (48 / 2^downsamplings)-pixel
    latent; 2 keeps a 12x12 map, enough spatial detail for the person to survive. The
    transformation layer's output is added to the latent (a residual: it learns the change an
    expression makes). ``G_dec`` mirrors ``G_enc`` with transposed convolutions and ends in tanh."""
    widths = tuple(width * 2 ** i for i in range(downsamplings))
    image = keras.Input((48, 48, 1), name="image")
    target = keras.Input((NUM_EXPRESSIONS,), name="target")
    side = 48 // 2 ** downsamplings

    x = image if config.split_generator else layers.Concatenate(name="image_and_label")([image, _tile(target, 48, "label_map")])
    enc_in = keras.Input(x.shape[1:], name="enc_in")
    h = enc_in
    for i, w in enumerate(widths, start=1):
        h = _down(h, w, f"enc{i}", norm=i > 1)
    h = layers.Conv2D(widths[-1], 3, padding="same", name="enc_out")(h)
    g_enc = keras.Model(enc_in, h, name="G_enc")
    latent = g_enc(x)

    if config.split_generator:
        joined = layers.Concatenate(name="latent_and_label")([latent, _tile(target, side, "label_latent")])
        if config.transform_layer:
            t = layers.Dense(2 * widths[-1], name="transform_dense")(joined)  # per position
            t = layers.LeakyReLU(0.2, name="transform_lrelu")(t)
            t = layers.Conv2D(widths[-1], 1, name="transform_1x1")(t)
            latent = layers.Add(name="transform_residual")([latent, t])
        else:
            latent = joined

    dec_in = keras.Input(latent.shape[1:], name="dec_in")
    y = dec_in
    for i, w in enumerate(reversed(widths[:-1]), start=1):
        y = layers.Conv2DTranspose(w, 4, strides=2, padding="same", name=f"dec{i}")(y)
        y = layers.GroupNormalization(groups=-1, name=f"dec{i}_in")(y)
        y = layers.ReLU(name=f"dec{i}_relu")(y)
    y = layers.Conv2DTranspose(width // 2, 4, strides=2, padding="same", name="dec_last")(y)
    y = layers.ReLU(name="dec_last_relu")(y)
    y = layers.Conv2D(1, 3, padding="same", activation="tanh", dtype="float32", name="image_out")(y)
    g_dec = keras.Model(dec_in, y, name="G_dec")
    return keras.Model([image, target], g_dec(latent), name=f"ccyclegan_G_{config.name}")


def ccyclegan_discriminator(config: CCycleConfig, width: int = 32) -> keras.Model:
    """image in [-1, 1] -> (real/fake score map for LSGAN, 7 expression outputs); convolutions of
    ``width``, 2x and 4x channels.

    The expression head reads the whole 6x6 map, flattened. It must not average it: after
    instance norm every channel's per-image mean is the same for every image, so a global
    average pool would hand the head a constant and it could only learn the class frequencies."""
    widths = (width, 2 * width, 4 * width)
    image = keras.Input((48, 48, 1), name="image")
    h = image
    for i, w in enumerate(widths, start=1):
        h = _down(h, w, f"d{i}", norm=i > 1)
    realness = layers.Conv2D(1, 3, padding="same", dtype="float32", name="realness")(h)  # PatchGAN 6x6
    features = layers.Flatten(name="features")(h)
    expression = layers.Dense(NUM_EXPRESSIONS, activation=config.expression_activation, dtype="float32",
                              name="expression")(features)
    return keras.Model(image, [realness, expression], name=f"ccyclegan_D_{config.name}")
