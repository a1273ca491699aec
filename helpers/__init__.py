"""Facial-expression recognition and expression-conditioned face generation (Keras 3).

Importing the package registers the project's custom Keras layers, so every checkpoint it
writes loads with ``keras.models.load_model`` in safe mode after ``import helpers``.
"""
import os

# Quiet TensorFlow's C++ start-up chatter (CUDA probes, CPU-feature notices) unless the user asked for it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from .quiet_import import import_tensorflow_quietly  # noqa: E402

import_tensorflow_quietly()

from .expressions import EXPRESSIONS, NUM_EXPRESSIONS, parse_expression  # noqa: E402, F401
from .models import layers as _layers, spatial_transformer as _spatial_transformer  # noqa: E402, F401

__version__ = "0.1.0"
