"""The `fer` package on scikit-image's sample photos: faces found, top emotion per face, ms per
photo (docs/results.md, "Against the fer package"). Run it in a scratch environment that has
`pip install fer scikit-image "setuptools<81"`, never in the project's own, from the repository
root: `python tools/fer_comparison/photos.py` (writes fer_photos.json)."""
import facenet_pytorch  # noqa: F401  torch/torchvision must be imported before tensorflow (fer), else a segfault

import importlib.util
import json
import statistics
import sys
import time

import numpy as np
from skimage import data

from fer.fer import FER

# the project's composite (4 astronaut heads at 4 sizes on a grey canvas), imported read-only
ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
_spec = importlib.util.spec_from_file_location("detector_recall", ROOT / "tools" / "detector_recall.py")
_dr = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_dr)
composite = _dr.composite


def rgb3(img):
    """uint8 (H, W, 3): grey photos are replicated over 3 channels."""
    img = np.asarray(img)
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    return np.ascontiguousarray(img, dtype=np.uint8)


PHOTOS = {
    "astronaut (1 face)": rgb3(data.astronaut()),
    "camera (1 person, face turned away)": rgb3(data.camera()),
    "chelsea (cat, 0 human faces)": rgb3(data.chelsea()),
    "composite (4 faces)": rgb3(composite(data.astronaut())),
}


def top(face):
    e = face["emotions"]
    k = max(e, key=e.get)
    return f"{k} {e[k]:.2f}"


def run(name, detector, channel_order):
    rows = []
    for photo, img in PHOTOS.items():
        x = img if channel_order == "RGB" else np.ascontiguousarray(img[..., ::-1])
        detector.detect_emotions(x)  # warm-up
        times, result = [], None
        for _ in range(3):
            t0 = time.perf_counter()
            result = detector.detect_emotions(x)
            times.append(time.perf_counter() - t0)
        rows.append(dict(detector=name, input=channel_order, photo=photo, shape=list(img.shape), faces=len(result),
                         boxes=[[int(v) for v in f["box"]] for f in result], top=[top(f) for f in result],
                         ms_median=1000 * statistics.median(times), ms_runs=[1000 * t for t in times]))
        r = rows[-1]
        print(f"{name:34s} {channel_order}  {photo:38s} faces={r['faces']}  {r['top']}  boxes={r['boxes']}  "
              f"{r['ms_median']:.1f} ms (runs {', '.join(f'{t:.1f}' for t in r['ms_runs'])})", flush=True)
    return rows


def main():
    rows = []
    haar = FER()  # defaults: Haar haarcascade_frontalface_default, TFLite quantized model (use_tflite=True)
    rows += run("FER() [Haar, tflite]", haar, "RGB")
    rows += run("FER() [Haar, tflite]", haar, "BGR")
    keras = FER(use_tflite=False)  # the original mini-Xception Keras model (data/emotion_model.hdf5)
    rows += run("FER(use_tflite=False) [Haar, hdf5]", keras, "RGB")
    mtcnn = FER(mtcnn=True)
    rows += run("FER(mtcnn=True) [tflite]", mtcnn, "RGB")
    rows += run("FER(mtcnn=True) [tflite]", mtcnn, "BGR")
    with open("fer_photos.json", "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
