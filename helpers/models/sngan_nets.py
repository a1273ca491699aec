"""The networks of the projection cGAN (:class:`helpers.gans.sngan.ProjectionSNGAN`). The generator,
which a release holds, is stock Keras layers only, so that it loads anywhere without the project's
code.

Generator: z -> 6x6 maps, then three (2x nearest-neighbour resizing, 3x3 conv) stages to 48x48,
each followed by class-conditional batch norm (de Vries et al. 2017; Miyato & Koyama 2018): batch
norm without its own scale and offset, then a per-expression scale ``1 + gamma(y)`` and offset
``beta(y)``, so that every layer can change with the expression. Upsampling then convolving
avoids the checkerboard of transposed convolutions.

Discriminator: spectrally normalised convolutions (Miyato et al. 2018; the project's
:class:`~helpers.models.layers.SpectralConv2D`, which keeps σ in the forward pass) down to 6x6,
flattened to a feature vector h, and the projection output ``w·h + <embed(y), h>`` (Miyato &
Koyama 2018): the expression enters as an inner product with the features, not as an input. h is
flattened rather than summed over positions, as SNGAN's deeper networks do: each 6x6 position
sees only a 24x24 patch here, so a sum would let the discriminator judge face parts but not where
they are, and the generator then learns textures without a face's layout (docs/training.md).
With ``num_classes`` the discriminator also reads the expression from h (an auxiliary classifier,
Odena et al. 2017), as the cWGAN's critic does.

With ``attention``, both networks have a self-attention block at 24x24 (SAGAN, Zhang et al. 2019):
every position can look at every other one, so the generator can keep the two eyes alike and the
mouth under the nose, which 3x3 convolutions see only through many layers. The block starts as
the identity (its output is scaled by zero), so the networks learn how much of it to use.

``blocks`` adds residual blocks (He et al. 2016; SNGAN's and BigGAN's networks are built of them)
at 6x6 and 12x12 in the generator and at 12x12 and 6x6 in the discriminator, where a face's layout
is decided, for far less compute than at 48x48. Each is two 3x3 convolutions whose sum with
its input also starts as the identity (the generator's last convolution is zero, the
discriminator's is scaled by zero), so a trained release continues with the blocks added and
gives the same faces and scores until they learn (``--init``)."""
from __future__ import annotations

import keras
from keras import layers

from helpers.expressions import NUM_EXPRESSIONS
from helpers.models.layers import FusedBatchNorm, LearnedScale, SpectralConv2D, SpectralDense


def conditional_batch_norm(x, label_embedding, name: str):
    """Batch norm (the fused kernel; a release has Keras' layer) followed by a scale and an offset
    that are functions of the expression."""
    channels = x.shape[-1]
    x = FusedBatchNorm(name=f"{name}_bn")(x)
    gamma = layers.Reshape((1, 1, channels))(layers.Dense(channels, kernel_initializer="zeros", name=f"{name}_gamma")(label_embedding))
    beta = layers.Reshape((1, 1, channels))(layers.Dense(channels, kernel_initializer="zeros", name=f"{name}_beta")(label_embedding))
    return layers.Add()([layers.Multiply()([x, layers.Rescaling(1.0, offset=1.0)(gamma)]), beta])


def self_attention(x, name: str, conv=layers.Conv2D, gate=None):
    """``x`` plus SAGAN's self-attention over its positions: 1x1-convolved queries (C/8 channels)
    against keys and values (C/8 and C/2) pooled 2x2, as BigGAN does, then a 1x1 convolution
    back to C channels. Its output starts at zero: through ``gate`` (a layer such as
    :class:`LearnedScale`), or, without one, a zero-initialised last convolution (stock Keras
    layers only, as a released generator needs)."""
    h, w, c = x.shape[1:]
    query = layers.Reshape((h * w, c // 8))(conv(c // 8, 1, use_bias=False, name=f"{name}_query")(x))
    key = layers.Reshape((h * w // 4, c // 8))(layers.MaxPooling2D(name=f"{name}_key_pool")(
        conv(c // 8, 1, use_bias=False, name=f"{name}_key")(x)))
    value = layers.Reshape((h * w // 4, c // 2))(layers.MaxPooling2D(name=f"{name}_value_pool")(
        conv(c // 2, 1, use_bias=False, name=f"{name}_value")(x)))
    weights = layers.Softmax(axis=-1, name=f"{name}_weights")(layers.Dot(axes=2)([query, key]))
    attended = layers.Reshape((h, w, c // 2))(layers.Dot(axes=(2, 1))([weights, value]))
    if gate is None:
        out = conv(c, 1, use_bias=False, kernel_initializer="zeros", name=f"{name}_out")(attended)
    else:
        out = gate(name=f"{name}_gate")(conv(c, 1, use_bias=False, name=f"{name}_out")(attended))
    return layers.Add(name=f"{name}_add")([x, out])


def generator_block(x, label_embedding, name: str):
    """``x`` plus conv -> conditional batch norm -> ReLU -> conv, the last convolution zero."""
    channels = x.shape[-1]
    h = layers.Conv2D(channels, 3, padding="same", use_bias=False, name=f"{name}_conv1")(x)
    h = layers.ReLU()(conditional_batch_norm(h, label_embedding, name))
    h = layers.Conv2D(channels, 3, padding="same", use_bias=False, kernel_initializer="zeros", name=f"{name}_conv2")(h)
    return layers.Add(name=f"{name}_add")([x, h])


def discriminator_block(x, name: str):
    """``x`` plus spectrally normalised conv -> LeakyReLU -> conv, scaled by a learned scalar that
    starts at zero (a spectrally normalised kernel cannot start at zero)."""
    channels = x.shape[-1]
    h = layers.LeakyReLU(0.1)(SpectralConv2D(channels, 3, padding="same", name=f"{name}_conv1")(x))
    h = LearnedScale(name=f"{name}_gate")(SpectralConv2D(channels, 3, padding="same", name=f"{name}_conv2")(h))
    return layers.Add(name=f"{name}_add")([x, h])


def sngan_generator(noise_dim: int = 128, width: int = 32, embed_dim: int = 64, attention: bool = False,
                    blocks: int = 0) -> keras.Model:
    """[noise (B, noise_dim), label (B, 1) int] -> (B, 48, 48, 1) in [-1, 1]; ``width`` is the
    channel count at 48x48 (4x at 6x6 and 12x12: the projection of z is most of the weights);
    ``attention`` adds self-attention at 24x24, ``blocks`` residual blocks at 6x6 and 12x12."""
    noise = keras.Input((noise_dim,), name="noise")
    label = keras.Input((1,), dtype="int32", name="label")
    embedding = layers.Flatten()(layers.Embedding(NUM_EXPRESSIONS, embed_dim, name="label_embedding")(label))
    x = layers.Dense(6 * 6 * 4 * width, name="project")(noise)
    x = layers.Reshape((6, 6, 4 * width))(x)
    x = layers.ReLU()(conditional_batch_norm(x, embedding, "block0"))
    for k in range(blocks):
        x = generator_block(x, embedding, f"res6_{k}")
    for i, channels in enumerate((4 * width, 2 * width, width), start=1):
        size = 6 * 2 ** i  # a static size: LiteRT's converter keeps the following convolution a built-in op
        x = layers.Resizing(size, size, interpolation="nearest", name=f"block{i}_upsample")(x)
        x = layers.Conv2D(channels, 3, padding="same", use_bias=False, name=f"block{i}_conv")(x)
        x = layers.ReLU()(conditional_batch_norm(x, embedding, f"block{i}"))
        for k in range(blocks if size == 12 else 0):
            x = generator_block(x, embedding, f"res12_{k}")
        if attention and size == 24:
            x = self_attention(x, "attention24")
    out = layers.Conv2D(1, 3, padding="same", activation="tanh", dtype="float32", name="to_face")(x)
    return keras.Model([noise, label], out, name="sngan_generator")


def sngan_discriminator(width: int = 32, num_classes: int = 0, attention: bool = False, blocks: int = 0) -> keras.Model:
    """[face (B, 48, 48, 1) in [-1, 1], label (B, 1) int] -> a score (B, 1), no sigmoid; with
    ``num_classes``, [score, expression logits (B, num_classes)]. The logits' layer is an ordinary
    dense layer, created last, so that a discriminator without it loads into one with it.
    ``attention`` adds spectrally normalised self-attention at 24x24, ``blocks`` residual blocks at
    12x12 and 6x6."""
    face = keras.Input((48, 48, 1), name="face")
    label = keras.Input((1,), dtype="int32", name="label")
    x = layers.LeakyReLU(0.1)(SpectralConv2D(width, 3, padding="same", name="conv0")(face))
    for i, channels in enumerate((2 * width, 4 * width, 8 * width), start=1):          # 48 -> 24 -> 12 -> 6
        x = layers.LeakyReLU(0.1)(SpectralConv2D(channels, 4, strides=2, padding="same", name=f"conv{i}")(x))
        if attention and i == 1:
            x = self_attention(x, "attention24", conv=SpectralConv2D, gate=LearnedScale)
        for k in range(blocks if i > 1 else 0):
            x = discriminator_block(x, f"res{48 // 2 ** i}_{k}")
    features = layers.Flatten(name="features")(x)
    one_hot = layers.CategoryEncoding(NUM_EXPRESSIONS, output_mode="one_hot")(label)
    embedded = SpectralDense(features.shape[-1], use_bias=False, name="label_projection")(one_hot)
    projection = layers.Dot(axes=1, name="projection")([embedded, features])
    score = layers.Add(dtype="float32", name="score")([SpectralDense(1, name="unconditional")(features), projection])
    if num_classes:
        score = [score, layers.Dense(num_classes, dtype="float32", name="class_logits")(features)]
    return keras.Model([face, label], score, name="sngan_discriminator")
