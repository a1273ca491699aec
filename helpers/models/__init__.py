"""One builder function per network. Recognizers take raw uint8 images and scale them inside."""
from .recognizers import (FER_MEAN, FER_STD, RECOGNIZERS, build_recognizer, deep_emotion,  # noqa: F401
                          discriminator_classifier, fer_vgg, recognizer_ensemble, resnet50_transfer,
                          vgg16_transfer)
from .autoencoder import conv_autoencoder  # noqa: F401
from .gan_nets import cwgan_critic, cwgan_generator  # noqa: F401
from .spatial_transformer import SpatialTransformer  # noqa: F401
