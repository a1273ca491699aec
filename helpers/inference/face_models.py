"""Face models trained on other data than FER2013, as evaluators of whether a face is a face.

The judge (:mod:`.judge`) encodes expressions, not anatomy: a smeared face with a clear smile is
a fine "Happy" in its feature space. These models were trained on photographs of people that
are not FER2013, by other people, with other methods, and they ship their weights inside their
wheels (the ``realism`` extra: ``pip install -e .[realism]``), so nothing is downloaded:

- ``mtcnn``: the MTCNN cascade of three CNNs (Zhang et al. 2016, trained on WIDER FACE and
  CelebA), from the ``mtcnn`` package on TensorFlow. A face is accepted when the cascade finds
  one in it, upscaled to 96x96, with its last network at least 0.95 sure (the package's default,
  0.8, accepts a fifth of half faces). That network, ONet,
  reads 48x48 crops: its 256-d hidden layer is a face model's feature space (:meth:`features`).
- ``dlib-hog``: dlib's frontal face detector (HOG features and a linear SVM over a sliding
  window, King 2015), from ``dlib-bin``. A face is accepted when it finds one in it, upscaled to
  144x144, at its default threshold. It looks at gradients' layout, so it is strict about where
  the eyes, nose and mouth are.

``python tools/face_model_choice.py`` measures them, at other sizes, and the other face models
whose weights come in a wheel, on real faces and on images that are not faces
(docs/evaluation.md, "Realism"). They are evaluators only: no trainer may use them as a loss, a guide or a filter of samples, or
the project would be graded by its own teacher. The sizes and the threshold were chosen on real
Training faces and on broken controls (:func:`helpers.evaluation.realism.not_faces`), never on a
generator's faces."""
from __future__ import annotations

import numpy as np

from helpers.errors import UserError

INSTALL = "install the face models with: pip install -e .[realism]"


def _gray_batch(images) -> np.ndarray:
    """uint8 faces (N, 48, 48[, 1]) as (N, 48, 48)."""
    images = np.asarray(images)
    if images.ndim == 4:
        images = images[..., 0]
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"expected uint8 faces (N, H, W[, 1]), got {images.dtype} {images.shape}")
    return images


def _upscaled(images, size: int) -> list[np.ndarray]:
    import cv2

    return [cv2.resize(face, (size, size), interpolation=cv2.INTER_LINEAR) for face in _gray_batch(images)]


class MTCNNFaces:
    """The MTCNN cascade (package ``mtcnn``): :meth:`accepts` and ONet's :meth:`features`."""

    name = "mtcnn"
    batch_size = 256

    def __init__(self, size: int = 96, threshold: float = 0.95):
        self.size, self.threshold = size, threshold
        try:
            from mtcnn import MTCNN
        except ImportError as error:
            raise UserError(f"the face model mtcnn is not installed ({error.name}): {INSTALL}") from None
        self.detector = MTCNN(device="CPU:0")
        self.onet = self.detector.get_stage(stage_id=3).model

    def accepts(self, images) -> np.ndarray:
        """Whether the cascade finds a face in each uint8 face, upscaled to ``size``, that its last
        network is at least ``threshold`` sure of (bool, (N,))."""
        import cv2

        rgb = [cv2.cvtColor(face, cv2.COLOR_GRAY2RGB) for face in _upscaled(images, self.size)]
        found = []
        for start in range(0, len(rgb), self.batch_size):
            found += [len(faces) > 0 for faces in self.detector.detect_faces(rgb[start:start + self.batch_size],
                                                                             threshold_onet=self.threshold)]
        return np.array(found, bool)

    def features(self, images) -> np.ndarray:
        """ONet's 256-d hidden layer (after its PReLU) for each uint8 48x48 face, normalised as
        the package normalises its inputs."""
        onet = self.onet
        x = np.repeat(_gray_batch(images)[..., None], 3, axis=-1).astype(np.float32)
        x = (x - 127.5) / 128.0
        out = []
        for start in range(0, len(x), 1024):
            h = x[start:start + 1024]
            for block in ((onet.conv1, onet.prelu1, onet.maxpool1), (onet.conv2, onet.prelu2, onet.maxpool2),
                          (onet.conv3, onet.prelu3, onet.maxpool3), (onet.conv4, onet.prelu4),
                          (onet.permute, onet.flatten, onet.fc5, onet.prelu5)):
                for layer in block:
                    h = layer(h)
            out.append(np.asarray(h))
        return np.concatenate(out)


class DlibFaces:
    """dlib's HOG frontal face detector (package ``dlib-bin``): :meth:`accepts`; no feature space."""

    name = "dlib-hog"

    def __init__(self, size: int = 144):
        self.size = size
        try:
            import dlib
        except ImportError as error:
            raise UserError(f"the face model dlib-hog is not installed ({error.name}): {INSTALL}") from None
        self.detector = dlib.get_frontal_face_detector()

    def accepts(self, images) -> np.ndarray:
        """Whether the detector finds a face in each uint8 face, upscaled to ``size`` (bool, (N,))."""
        return np.array([len(self.detector.run(face, 0, 0.0)[0]) > 0 for face in _upscaled(images, self.size)], bool)


FACE_MODELS = {model.name: model for model in (MTCNNFaces, DlibFaces)}


def load_face_models(names=tuple(FACE_MODELS)) -> list:
    """The face models of ``names`` (default: all), refused in one line naming the install command
    when their package is missing."""
    unknown = [name for name in names if name not in FACE_MODELS]
    if unknown:
        raise UserError(f"unknown face model {', '.join(unknown)}; choose from {', '.join(FACE_MODELS)}")
    return [FACE_MODELS[name]() for name in names]
