"""Facial-expression recognition and expression-conditioned face generation (Keras 3).

The layout is the architecture. What you import is grouped by role, one subpackage each, and
each depends only on those above it in this list:

- ``data/``: faces as uint8 arrays (FER2013 and other layouts, audits, tf.data pipelines,
  synthetic faces, faces found in photos);
- ``models/``: one builder per network, the custom layers, and the model file format;
- ``gans/``: one ``keras.Model`` per GAN over a shared base, its losses and augmentations;
- ``inference/``: released models in use (the recognizer and judge, generators, translators);
- ``evaluation/``: the maths on arrays, the scores of checkpoints, the figures;
- ``training/``: the one ``fit`` loop's callbacks, the GAN pipeline and each trainer.

What you run is apart: every top-level module other than the shared ones (``errors``,
``expressions``, ``arguments``, ``options``, ``files``, ``quiet_import``, and ``cli``, which only
commands use) is a command (``python -m helpers.evaluate``, ``helpers.train_recognizer``, ...), a
thin ``main`` that parses its options into the library's typed configs; ``python -m helpers.data``
is ``data/__main__.py``. The scripts in ``Generative_model/`` are the GANs' commands. ``errors``
sits below everything, so any layer may raise a user error and only the commands turn it into one
line and exit status 2. ``tests/test_layout.py`` keeps it so: no import cycle, no library module
importing or running a command, no command importing another.

Importing the package changes no process-wide setting: no environment variable, no Keras policy.

``import helpers`` does not import TensorFlow: inference with the LiteRT backend
(:mod:`helpers.inference.litert`) runs without it. The subpackages that build Keras models
(``models``, ``gans``, ``training``) import it first, quietly (:mod:`helpers.quiet_import`), and
``import helpers.models`` registers the project's custom Keras layers, so every checkpoint the
project writes loads with ``keras.models.load_model`` in safe mode after it.
"""
from helpers.expressions import EXPRESSIONS, NUM_EXPRESSIONS, parse_expression  # noqa: F401

__version__ = "0.1.0"
