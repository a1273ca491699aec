"""Facial-expression recognition and expression-conditioned face generation (Keras 3).

Importing the package registers the project's custom Keras layers, so every checkpoint it
writes loads with ``keras.models.load_model`` in safe mode after ``import helpers``.
"""
from .expressions import EXPRESSIONS, NUM_EXPRESSIONS, parse_expression  # noqa: F401
from .models import layers as _layers, spatial_transformer as _spatial_transformer  # noqa: F401  (registration)

__version__ = "0.1.0"
