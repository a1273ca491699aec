"""DCGAN networks for 48x48x1 faces, and the six architecture variants of the emotion-face GAN
project as named configurations of one builder (:data:`VARIANTS`).

``dcgan`` follows Radford et al. 2015: a projection of z reshaped to 6x6 (no fully connected
hidden layer), stride-2 transposed convolutions with batch norm and ReLU, tanh output; the
discriminator uses stride-2 convolutions (no pooling) with batch norm (not on the first layer)
and LeakyReLU, and a single logit. Batch norm is the fused kernel (:class:`~helpers.models.layers.FusedBatchNorm`,
the bf16 speed-up on CPU); releases swap it for Keras' layer. With ``num_classes > 0`` the generator concatenates a label
embedding to z and the discriminator adds a projection term ``<embed(label), h>``."""
from __future__ import annotations

from dataclasses import dataclass, field

import keras
from keras import layers

from helpers.models.layers import FusedBatchNorm


@dataclass(frozen=True)
class Variant:
    """One architecture: generator start size/width and upsampling stack, discriminator stack."""
    description: str
    g_start: int = 6                       # spatial size after the projection of z
    g_start_width: int = 256
    g_ups: tuple = (128, 64, 32)           # channels of each stride-2 upsampling layer
    g_extra: tuple = ()                    # channels of stride-1 layers after the upsampling
    g_upsampling: str = "transpose"        # "transpose" (Conv2DTranspose) or "resize" (UpSampling2D + Conv2D)
    g_norm: bool = True
    g_act: str = "relu"                    # "relu" or "leaky"
    output: str = "tanh"                   # "tanh" ([-1, 1]) or "sigmoid" ([0, 1])
    d_convs: tuple = (64, 128, 256)        # channels of each stride-2 conv
    d_first_stride1: int = 0               # channels of a stride-1 conv before them (0: none)
    d_norm: bool = True
    d_dropout: float = 0.0
    optimizer: str = "adam"                # "adam" (2e-4, beta1 0.5) or "rmsprop"
    lr: float = 2e-4
    extras: dict = field(default_factory=dict)


VARIANTS = {
    "dcgan": Variant("DCGAN (Radford et al. 2015): transposed convs + BN + ReLU, tanh; strided-conv D with BN + LeakyReLU"),
    "variant1": Variant("dense + upsampling + conv with batch norm, sigmoid output",
                        g_start_width=128, g_ups=(128, 64, 32), g_upsampling="resize", g_act="leaky",
                        output="sigmoid", d_convs=(64, 128)),
    "variant2": Variant("no batch norm, no upsampling: dense + conv-transpose + LeakyReLU, RMSprop",
                        g_start_width=128, g_ups=(128, 128, 128), g_extra=(64,), g_norm=False, g_act="leaky",
                        d_convs=(64, 128, 128), d_norm=False, optimizer="rmsprop", lr=1e-4),
    "variant3": Variant("as variant2 with 3 generator and 2 discriminator convs, Adam",
                        g_start_width=128, g_ups=(128, 128, 128), g_norm=False, g_act="leaky",
                        d_convs=(64, 128), d_norm=False),
    "variant4": Variant("face-GAN baseline: alternating conv and LeakyReLU, no batch norm",
                        g_start_width=128, g_ups=(128, 128, 128), g_extra=(128,), g_norm=False, g_act="leaky",
                        d_convs=(128, 128, 256), d_first_stride1=64, d_norm=False, d_dropout=0.4),
    "variant5": Variant("variant4 with a smaller dense start (3x3) and one more conv-transpose",
                        g_start=3, g_start_width=128, g_ups=(128, 128, 128, 128), g_extra=(128,), g_norm=False,
                        g_act="leaky", d_convs=(128, 128, 256, 256), d_first_stride1=64, d_norm=False, d_dropout=0.4),
    "variant6": Variant("variant5 with one more conv-transpose in the generator and one more conv in the discriminator",
                        g_start=3, g_start_width=128, g_ups=(128, 128, 128, 128), g_extra=(128, 128), g_norm=False,
                        g_act="leaky", d_convs=(128, 128, 256, 256), d_first_stride1=64, d_norm=False,
                        d_dropout=0.4, extras={"d_extra_stride1": 64}),
}


def _act(kind: str, name: str):
    return layers.ReLU(name=name) if kind == "relu" else layers.LeakyReLU(0.2, name=name)


def dcgan_generator(variant: str = "dcgan", noise_dim: int = 100, num_classes: int = 0) -> keras.Model:
    """z (and a label when ``num_classes > 0``) -> a 48x48x1 image in the variant's output range."""
    v = VARIANTS[variant]
    if v.g_start * 2 ** len(v.g_ups) != 48:
        raise ValueError(f"{variant}: {v.g_start} x 2^{len(v.g_ups)} != 48")
    noise = keras.Input((noise_dim,), name="noise")
    inputs, x = [noise], noise
    if num_classes:
        label = keras.Input((1,), dtype="int32", name="label")
        embedded = layers.Flatten(name="label_flat")(layers.Embedding(num_classes, 50, name="label_embedding")(label))
        x = layers.Concatenate(name="noise_and_label")([noise, embedded])
        inputs.append(label)
    x = layers.Dense(v.g_start * v.g_start * v.g_start_width, use_bias=not v.g_norm, name="project")(x)
    x = layers.Reshape((v.g_start, v.g_start, v.g_start_width), name="reshape")(x)
    if v.g_norm:
        x = FusedBatchNorm(name="project_bn")(x)
    x = _act(v.g_act, "project_act")(x)
    for i, width in enumerate(v.g_ups, start=1):
        if v.g_upsampling == "resize":
            x = layers.UpSampling2D(name=f"up{i}_resize")(x)
            x = layers.Conv2D(width, 3, padding="same", use_bias=not v.g_norm, name=f"up{i}")(x)
        else:
            x = layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=not v.g_norm, name=f"up{i}")(x)
        if v.g_norm:
            x = FusedBatchNorm(name=f"up{i}_bn")(x)
        x = _act(v.g_act, f"up{i}_act")(x)
    for i, width in enumerate(v.g_extra, start=1):
        x = layers.Conv2DTranspose(width, 3, padding="same", name=f"extra{i}")(x)
        x = _act(v.g_act, f"extra{i}_act")(x)
    image = layers.Conv2D(1, 3, padding="same", activation=v.output, dtype="float32", name="image")(x)
    return keras.Model(inputs if num_classes else noise, image, name=f"{variant}_generator")


def dcgan_discriminator(variant: str = "dcgan", num_classes: int = 0, auxiliary_classifier: bool = False) -> keras.Model:
    """A 48x48x1 image (in the variant's output range) (and a label) -> one real/fake logit; with
    ``auxiliary_classifier`` also expression logits from the same features (AC-GAN, Odena et
    al. 2017): ``[logit, class_logits]``."""
    v = VARIANTS[variant]
    image = keras.Input((48, 48, 1), name="image")
    inputs, x = [image], image
    if v.d_first_stride1:
        x = _act("leaky", "stem_act")(layers.Conv2D(v.d_first_stride1, 3, padding="same", name="stem")(x))
    for i, width in enumerate(v.d_convs, start=1):
        x = layers.Conv2D(width, 4, strides=2, padding="same", name=f"conv{i}")(x)
        if v.d_norm and i > 1:
            x = FusedBatchNorm(name=f"conv{i}_bn")(x)
        x = _act("leaky", f"conv{i}_act")(x)
    if v.extras.get("d_extra_stride1"):
        x = _act("leaky", "extra_act")(layers.Conv2D(v.extras["d_extra_stride1"], 3, padding="same", name="extra")(x))
    h = layers.Flatten(name="features")(x)
    if v.d_dropout:
        h = layers.Dropout(v.d_dropout, name="dropout")(h)
    logit = layers.Dense(1, name="logit")(h)
    if num_classes:
        label = keras.Input((1,), dtype="int32", name="label")
        embedded = layers.Flatten(name="label_flat")(layers.Embedding(num_classes, h.shape[-1], name="label_embedding")(label))
        logit = layers.Add(name="conditional_logit")([logit, layers.Dot(axes=1, name="projection")([embedded, h])])
        inputs.append(label)
    logit = layers.Activation("linear", dtype="float32", name="logit_f32")(logit)
    outputs = logit
    if auxiliary_classifier:
        outputs = [logit, layers.Dense(num_classes or 1, dtype="float32", name="class_logits")(h)]
    return keras.Model(inputs if num_classes else image, outputs, name=f"{variant}_discriminator")


def dcgan_optimizer(variant: str):
    """The variant's optimizer (a fresh instance each call: one per network)."""
    v = VARIANTS[variant]
    if v.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(v.lr)
    return keras.optimizers.Adam(v.lr, beta_1=0.5)
