"""Generator and critic networks for the conditional WGAN-GP (48x48x1, images in [-1, 1])."""
from __future__ import annotations

import keras
from keras import layers

from helpers.models.layers import FusedBatchNorm


def cwgan_generator(noise_dim: int = 100, code_dim: int = 16, width: int = 128) -> keras.Model:
    """(noise, expression code) -> image in [-1, 1]: dense to 6x6, three stride-2
    transposed convolutions with batch norm and ReLU, tanh output. Batch norm is the fused
    kernel (:class:`~helpers.models.layers.FusedBatchNorm`) so ``mixed_bfloat16`` keeps its
    speed-up; the release swaps it for Keras' layer."""
    noise = keras.Input((noise_dim,), name="noise")
    code = keras.Input((code_dim,), name="code")
    x = layers.Concatenate(name="noise_and_code")([noise, code])
    x = layers.Dense(6 * 6 * width, use_bias=False, name="project")(x)
    x = layers.Reshape((6, 6, width), name="to_6x6")(x)
    x = FusedBatchNorm(name="project_bn")(x)
    x = layers.ReLU(name="project_relu")(x)
    for i, w in enumerate((width // 2, width // 4, width // 8), start=1):
        x = layers.Conv2DTranspose(w, 4, strides=2, padding="same", use_bias=False, name=f"up{i}")(x)
        x = FusedBatchNorm(name=f"up{i}_bn")(x)
        x = layers.ReLU(name=f"up{i}_relu")(x)
    image = layers.Conv2D(1, 3, padding="same", activation="tanh", dtype="float32", name="image")(x)
    return keras.Model([noise, code], image, name="cwgan_generator")


def cwgan_critic(code_dim: int = 16, width: int = 32, num_classes: int = 0, features: str = "flatten") -> keras.Model:
    """(image, expression code) -> score. Three stride-2 convolutions with layer norm (no batch
    norm: the gradient penalty is per sample) and LeakyReLU, then a projection head
    (Miyato & Koyama 2018): ``score = w·h + <embed(code), h>``. Projection conditions on the
    continuous PCA codes directly and keeps the critic's input an image. The features ``h`` are
    the flattened 6x6 maps (``features="flatten"``, the default), which keep *where* a feature is
    (a mouth corner, a brow); ``"gap"`` averages them away (docs/training.md compares the two).
    With ``num_classes > 0`` the critic also returns expression logits from the same features
    (the auxiliary classifier of AC-WGAN-GP, Gulrajani et al. 2017, section 5):
    ``[score, class_logits]``."""
    image = keras.Input((48, 48, 1), name="image")
    code = keras.Input((code_dim,), name="code")
    x = image
    for i, w in enumerate((width, width * 2, width * 4), start=1):
        x = layers.Conv2D(w, 4, strides=2, padding="same", name=f"conv{i}")(x)
        if i > 1:
            x = layers.LayerNormalization(axis=[1, 2, 3], name=f"conv{i}_ln")(x)
        x = layers.LeakyReLU(0.2, name=f"conv{i}_lrelu")(x)
    if features not in ("flatten", "gap"):
        raise ValueError(f"features must be 'flatten' or 'gap', not {features!r}")
    h = (layers.Flatten if features == "flatten" else layers.GlobalAveragePooling2D)(name="features")(x)
    unconditional = layers.Dense(1, name="score")(h)
    embedded = layers.Dense(h.shape[-1], use_bias=False, name="code_embedding")(code)
    projection = layers.Dot(axes=1, name="projection")([embedded, h])
    score = layers.Add(dtype="float32", name="conditional_score")([unconditional, projection])
    if num_classes:
        class_logits = layers.Dense(num_classes, dtype="float32", name="class_logits")(h)
        return keras.Model([image, code], [score, class_logits], name="cwgan_critic")
    return keras.Model([image, code], score, name="cwgan_critic")
