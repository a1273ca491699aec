"""Expression recognizers: FER-native VGG (the shipped one), VGG16 and ResNet50 transfer,
Deep-Emotion, and the CCycleGAN discriminator used as a classifier.

Every builder returns a ``keras.Model`` that takes uint8-valued images (0..255) and does its own
scaling, outputs softmax probabilities over the 7 expressions in FER2013 order, and names its
penultimate layer ``features`` (the embedding used for FID/KID and diversity)."""
from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlparse

import keras
from keras import layers

from helpers.expressions import NUM_EXPRESSIONS
from helpers.models.layers import FusedBatchNorm
from helpers.models.spatial_transformer import SpatialTransformer

# Pixel statistics of FER2013 Training (notebook 01 prints them).
FER_MEAN = 130.96
FER_STD = 78.22


def _standardize(x):
    return layers.Rescaling(1.0 / FER_STD, offset=-FER_MEAN / FER_STD, name="standardize")(x)


def _head(x, width: int, dropout: float):
    x = layers.Dense(width, activation="relu", name="features")(x)
    x = layers.Dropout(dropout)(x)
    return layers.Dense(NUM_EXPRESSIONS, activation="softmax", dtype="float32", name="probabilities")(x)


def _conv_bn_relu(x, width: int, block: str, conv: int):
    x = layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"{block}_conv{conv}")(x)
    x = FusedBatchNorm(name=f"{block}_bn{conv}")(x)
    return layers.Activation("relu", name=f"{block}_relu{conv}")(x)


def fer_vgg(input_shape=(48, 48, 1), widths=(64, 128, 256, 256), first_width: int = 32,
            dropout: float = 0.4, head_width: int = 256, name: str = "fer_vgg") -> keras.Model:
    """VGG-style net for 48x48 grayscale (after Khaireddin & Chen 2021): four blocks of two 3x3
    conv + batch norm + ReLU, max pooling and dropout, then global pooling and a small head.
    The first conv of block 1 is narrower (``first_width``) to halve the cost at full resolution."""
    inputs = keras.Input(input_shape, name="image")
    x = _standardize(inputs)
    for block, width in enumerate(widths, start=1):
        for conv in (1, 2):
            x = _conv_bn_relu(x, first_width if (block, conv) == (1, 1) else width, f"block{block}", conv)
        x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
        x = layers.Dropout(0.1 * block / len(widths) + 0.05, name=f"block{block}_dropout")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    return keras.Model(inputs, _head(x, head_width, dropout), name=name)


KERAS_APPLICATIONS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/"
IMAGENET_FILES = {"vgg16": "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                  "resnet50": "resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"}
"""Where ``keras.applications`` keeps each backbone's ImageNet weights without the top."""


def imagenet_weights(net: str, weights: str | None = "auto", timeout: float = 3.0) -> str | None:
    """Resolve ``weights`` for an ImageNet backbone (``"vgg16"`` or ``"resnet50"``).

    ``"auto"`` means ``"imagenet"`` when the file is in the Keras cache or can be downloaded into it
    now (Colab, any machine online), else ``None`` (random initialisation) with a one-line notice,
    so the default works offline. Anything else is returned as it is."""
    if weights != "auto":
        return weights
    path = IMAGENET_FILES[net]
    filename = path.rsplit("/", 1)[1]
    if (Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models" / filename).exists():
        return "imagenet"
    host = urlparse(KERAS_APPLICATIONS_URL).hostname
    try:
        socket.create_connection((host, 443), timeout=timeout).close()  # fail fast offline
        keras.utils.get_file(filename, KERAS_APPLICATIONS_URL + path, cache_subdir="models")
        return "imagenet"
    except Exception as error:  # keras.utils.get_file reports a failed download as a bare Exception
        print(f"[{net}] ImageNet weights ({filename}) are not cached and could not be downloaded from {host} "
              f"({type(error).__name__}): using weights=None (random init).")
        return None


def _imagenet_transfer(application, name: str, input_size: int, weights: str | None,
                       trainable_base: bool | None, head_width: int, dropout: float) -> keras.Model:
    """An ImageNet backbone on 48x48x1 uint8 faces: upscaled to ``input_size``, gray to RGB,
    ImageNet-centred (caffe-style BGR mean; the three channels are equal), global pooling, our head.
    The base is frozen with ImageNet weights and trained with random ones (``trainable_base=None``)."""
    weights = imagenet_weights(name, weights)
    inputs = keras.Input((48, 48, 1), name="image")
    x = layers.Resizing(input_size, input_size, name="upscale")(inputs)
    x = layers.Concatenate(name="gray_to_rgb")([x, x, x])
    x = layers.Rescaling(1.0, offset=-116.78, name="imagenet_center")(x)
    base = application(include_top=False, weights=weights, input_shape=(input_size, input_size, 3))
    base.trainable = weights is None if trainable_base is None else trainable_base
    x = layers.GlobalAveragePooling2D(name="gap")(base(x))
    return keras.Model(inputs, _head(x, head_width, dropout), name=f"{name}_transfer")


def vgg16_transfer(input_size: int = 160, weights: str | None = "auto", trainable_base: bool | None = None,
                   head_width: int = 256, dropout: float = 0.5) -> keras.Model:
    """The classic recipe: ImageNet VGG16 without its top on FER2013 upscaled to 160x160x3,
    with a small head (see :func:`_imagenet_transfer`)."""
    return _imagenet_transfer(keras.applications.VGG16, "vgg16", input_size, weights, trainable_base, head_width, dropout)


VGG16_BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))
"""VGG16's 13 convolutions: (width, convolutions) per block, each block closed by 2x2 max pooling."""


def vgg16_bn(dropout: float = 0.5, head_width: int = 256) -> keras.Model:
    """VGG16 for training from random weights: its 13 3x3 convolutions, each followed by batch
    norm (as torchvision's ``vgg16_bn``), on the faces' own 48x48 with FER2013 standardisation.
    Without ImageNet weights there is nothing to upscale for; batch norm is what lets 13 plain
    ReLU layers train from a random start (the plain stack stays at chance, see docs/results.md)."""
    inputs = keras.Input((48, 48, 1), name="image")
    x = _standardize(inputs)
    for block, (width, convs) in enumerate(VGG16_BLOCKS, start=1):
        for conv in range(1, convs + 1):
            x = _conv_bn_relu(x, width, f"block{block}", conv)
        x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    return keras.Model(inputs, _head(x, head_width, dropout), name="vgg16_bn")


def resnet50_transfer(input_size: int = 96, weights: str | None = "auto", trainable_base: bool | None = True,
                      head_width: int = 256, dropout: float = 0.5) -> keras.Model:
    """CCycleGAN classifier C2: ImageNet ResNet50 on grayscale replicated to RGB, fine-tuned."""
    return _imagenet_transfer(keras.applications.ResNet50, "resnet50", input_size, weights, trainable_base,
                              head_width, dropout)


def discriminator_classifier(widths=(64, 128, 256, 512), dropout: float = 0.3) -> keras.Model:
    """CCycleGAN classifier C1: the discriminator's conv stack (4x4 stride-2 convs with
    LeakyReLU and instance-style normalisation) with a 7-way softmax head."""
    inputs = keras.Input((48, 48, 1), name="image")
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0, name="to_tanh_range")(inputs)
    for i, width in enumerate(widths, start=1):
        x = layers.Conv2D(width, 4, strides=2, padding="same", name=f"d_conv{i}")(x)
        if i > 1:
            x = layers.GroupNormalization(groups=-1, name=f"d_norm{i}")(x)
        x = layers.LeakyReLU(0.2, name=f"d_lrelu{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    return keras.Model(inputs, _head(x, 256, dropout), name="discriminator_classifier")


DEEP_EMOTION_DEFAULTS = {"width": 10, "fc_width": 50, "loc_width": 8, "dropout": 0.5}
"""The paper's sizes (Minaee et al. 2019): 10-channel convs, a 50-unit dense layer."""


def deep_emotion(width: int = 10, fc_width: int = 50, loc_width: int = 8, dropout: float = 0.5,
                 batch_norm: bool = False) -> keras.Model:
    """Deep-Emotion: a spatial transformer (localisation net -> 6 affine parameters, initialised
    to the identity -> bilinear sampler) in parallel with the feature extractor. The transformer
    warps the input; the feature extractor classifies the warped image, as in the paper's
    figure. ``width``/``fc_width`` default to the paper's sizes; ``--hparams`` widens them."""
    inputs = keras.Input((48, 48, 1), name="image")
    x = _standardize(inputs)

    def conv(t, filters, name):
        t = layers.Conv2D(filters, 3, name=name)(t)
        if batch_norm:
            t = FusedBatchNorm(name=name + "_bn")(t)
        return layers.Activation("relu", name=name + "_relu")(t)

    # Localisation network -> theta (6), last layer zero weights + identity bias.
    loc = layers.Conv2D(loc_width, 7, name="loc_conv1")(x)
    loc = layers.MaxPooling2D(2, name="loc_pool1")(loc)
    loc = layers.Activation("relu", name="loc_relu1")(loc)
    loc = layers.Conv2D(loc_width + 2, 5, name="loc_conv2")(loc)
    loc = layers.MaxPooling2D(2, name="loc_pool2")(loc)
    loc = layers.Activation("relu", name="loc_relu2")(loc)
    loc = layers.Flatten(name="loc_flatten")(loc)
    loc = layers.Dense(32, activation="relu", name="loc_fc1")(loc)
    theta = layers.Dense(6, kernel_initializer="zeros",
                         bias_initializer=keras.initializers.Constant([1, 0, 0, 0, 1, 0]), name="theta")(loc)
    warped = SpatialTransformer(name="spatial_transformer")([x, theta])

    # Feature extractor on the attended (warped) image.
    f = conv(warped, width, "conv1")
    f = conv(f, width, "conv2")
    f = layers.MaxPooling2D(2, name="pool2")(f)
    f = conv(f, width, "conv3")
    f = conv(f, width, "conv4")
    f = layers.MaxPooling2D(2, name="pool4")(f)
    f = layers.Dropout(dropout, name="dropout")(f)
    f = layers.Flatten(name="flatten")(f)
    x = layers.Dense(fc_width, activation="relu", name="features")(f)
    outputs = layers.Dense(NUM_EXPRESSIONS, activation="softmax", dtype="float32", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="deep_emotion")


def recognizer_ensemble(members, name: str = "fer_vgg_ensemble") -> keras.Model:
    """One recognizer from several trained ones: the members' ``features`` concatenated into this
    model's ``features``, and a ``probabilities`` layer holding their heads side by side, scaled
    by 1/k, so that it outputs the softmax of the members' mean logits (the normalised geometric
    mean of their probabilities). Each member's head must be ``features`` -> dropout ->
    ``probabilities`` (a softmax ``Dense``), as every builder here makes it."""
    import numpy as np

    if len(members) < 2:
        raise ValueError(f"an ensemble needs at least two members, got {len(members)}")
    inputs = keras.Input((48, 48, 1), name="image")
    features, kernels, biases = [], [], []
    for i, member in enumerate(members, start=1):
        trunk = keras.Model(member.inputs[0], member.get_layer("features").output, name=f"member{i}")
        features.append(trunk(inputs))
        kernel, bias = member.get_layer("probabilities").get_weights()
        kernels.append(kernel)
        biases.append(bias)
    x = layers.Concatenate(name="features")(features)
    outputs = layers.Dense(NUM_EXPRESSIONS, activation="softmax", dtype="float32", name="probabilities")(x)
    model = keras.Model(inputs, outputs, name=name)
    model.get_layer("probabilities").set_weights([np.concatenate(kernels) / len(members), np.mean(biases, axis=0)])
    return model


RECOGNIZERS = {
    "fer_vgg": fer_vgg,
    "vgg16_transfer": vgg16_transfer,
    "vgg16_bn": vgg16_bn,
    "resnet50_transfer": resnet50_transfer,
    "discriminator_classifier": discriminator_classifier,
    "deep_emotion": deep_emotion,
}


def build_recognizer(name: str, **kwargs) -> keras.Model:
    """Build a recognizer by its configuration name (see :data:`RECOGNIZERS`)."""
    if name not in RECOGNIZERS:
        raise ValueError(f"unknown recognizer {name!r}; choose one of {', '.join(RECOGNIZERS)}")
    return RECOGNIZERS[name](**kwargs)
