"""A convolutional autoencoder for 48x48x1 faces; its bottleneck codes feed the PCA expression
representations (:mod:`helpers.training.representations`)."""
from __future__ import annotations

import keras
from keras import layers


def conv_autoencoder(latent_dim: int = 64, widths=(32, 64, 128)):
    """Returns ``(autoencoder, encoder, decoder)``. The encoder takes uint8-valued images and
    outputs the ``latent_dim`` code; the decoder outputs images in [0, 1]; the autoencoder maps
    uint8 images to [0, 1] reconstructions (train it against ``x / 255``)."""
    inputs = keras.Input((48, 48, 1), name="image")
    x = layers.Rescaling(1.0 / 255.0, name="to_unit")(inputs)
    for i, w in enumerate(widths, start=1):
        x = layers.Conv2D(w, 3, strides=2, padding="same", name=f"enc_conv{i}")(x)
        x = layers.BatchNormalization(name=f"enc_bn{i}")(x)
        x = layers.LeakyReLU(0.2, name=f"enc_lrelu{i}")(x)
    x = layers.Flatten(name="enc_flatten")(x)
    code = layers.Dense(latent_dim, name="code")(x)
    encoder = keras.Model(inputs, code, name="encoder")

    side = 48 // 2 ** len(widths)
    latent = keras.Input((latent_dim,), name="code_in")
    y = layers.Dense(side * side * widths[-1], name="dec_dense")(latent)
    y = layers.Reshape((side, side, widths[-1]), name="dec_reshape")(y)
    for i, w in enumerate(reversed(widths[:-1]), start=1):
        y = layers.Conv2DTranspose(w, 4, strides=2, padding="same", name=f"dec_deconv{i}")(y)
        y = layers.BatchNormalization(name=f"dec_bn{i}")(y)
        y = layers.LeakyReLU(0.2, name=f"dec_lrelu{i}")(y)
    y = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid", name="reconstruction")(y)
    decoder = keras.Model(latent, y, name="decoder")
    autoencoder = keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")
    return autoencoder, encoder, decoder
