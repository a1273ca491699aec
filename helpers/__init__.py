"""Facial-expression recognition and expression-conditioned face generation (Keras 3).

Importing the package registers the project's custom Keras objects, so every checkpoint it
ships loads with ``keras.models.load_model`` in safe mode.
"""
from .expressions import EXPRESSIONS, NUM_EXPRESSIONS, parse_expression  # noqa: F401

__version__ = "0.1.0"
