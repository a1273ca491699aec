"""One builder function per network. Recognizers take raw uint8 images and scale them inside.
Importing the package registers the project's custom Keras layers."""
from helpers.quiet_import import import_tensorflow_quietly

import_tensorflow_quietly()  # before Keras: TensorFlow's start-up notices stay out of stderr

from helpers.models import layers  # noqa: E402, F401  (registers FusedBatchNorm)
from helpers.models.recognizers import (FER_MEAN, FER_STD, RECOGNIZERS, build_recognizer, deep_emotion,  # noqa: E402, F401
                                        discriminator_classifier, fer_vgg, imagenet_weights, recognizer_ensemble,
                                        resnet50_transfer, vgg16_bn, vgg16_transfer)
from helpers.models.autoencoder import conv_autoencoder  # noqa: E402, F401
from helpers.models.cwgan_nets import cwgan_critic, cwgan_generator  # noqa: E402, F401
from helpers.models.spatial_transformer import SpatialTransformer  # noqa: E402, F401
