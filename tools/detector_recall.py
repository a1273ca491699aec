"""Measure the face detectors that ship inside OpenCV's wheel, to choose helpers.data.faces.CASCADE.

    python tools/detector_recall.py [--fer-faces 100]

Photos from scikit-image's wheel (astronaut: 1 face; camera: 1 person; chelsea: a cat, no human
face), a composite of 4 astronaut faces at different sizes, and FER2013 PublicTest faces (up to
100 per expression) enlarged 3x onto a plain canvas, as a recall set of expressive faces (PublicTest:
the split choices are made on). Prints,
per cascade, the faces found on each photo, the recall on the FER faces and the time per photo."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from helpers.data.faces import detect_faces, cascade, to_gray  # noqa: E402

CASCADES = ("haarcascade_frontalface_default.xml", "haarcascade_frontalface_alt.xml",
            "haarcascade_frontalface_alt2.xml", "haarcascade_frontalface_alt_tree.xml")


def composite(astronaut: np.ndarray) -> np.ndarray:
    """4 copies of the astronaut's head and shoulders at 4 sizes on a grey canvas (4 faces)."""
    from PIL import Image

    head = Image.fromarray(to_gray(astronaut)[0:260, 120:330])
    canvas = Image.new("L", (900, 420), 128)
    x = 10
    for size in (300, 230, 170, 130):
        tile = head.resize((int(size * head.width / head.height), size))
        canvas.paste(tile, (x, 10))
        x += tile.width + 20
    return np.asarray(canvas)


def fer_canvases(n_per_class: int):
    from helpers.data import load_dataset
    from PIL import Image

    x, y = load_dataset()["PublicTest"]
    picks = np.concatenate([np.flatnonzero(y == e)[:n_per_class] for e in range(7)])
    for face in x[picks, ..., 0]:
        big = Image.fromarray(face).resize((144, 144), Image.Resampling.BILINEAR)
        canvas = Image.new("L", (288, 288), int(np.median(np.concatenate([face[0], face[-1], face[:, 0], face[:, -1]]))))
        canvas.paste(big, (72, 72))
        yield np.asarray(canvas)


def main():
    from skimage import data

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fer-faces", type=int, default=100, help="PublicTest faces per expression, at most (0: skip)")
    args = p.parse_args()
    photos = {"astronaut (1)": data.astronaut(), "camera (1)": data.camera(), "chelsea (0)": data.chelsea(),
              "composite (4)": composite(data.astronaut())}
    fer = list(fer_canvases(args.fer_faces)) if args.fer_faces else []
    print(f"{'cascade':38s} " + " ".join(f"{k:>14s}" for k in photos) + "   FER recall   ms/photo")
    for name in CASCADES:
        classifier = cascade(name)
        t0 = time.perf_counter()
        counts = [len(detect_faces(photo, classifier)) for photo in photos.values()]
        ms = 1000 * (time.perf_counter() - t0) / len(photos)
        found = [len(detect_faces(face, classifier)) >= 1 for face in fer]
        recall = f"{100 * np.mean(found):9.1f}%" if fer else "        -"
        print(f"{name:38s} " + " ".join(f"{c:>14d}" for c in counts) + f"   {recall}   {ms:8.0f}")
    if fer:
        print(f"(FER recall: share of {len(fer)} PublicTest faces, up to {args.fer_faces} per expression, found at 3x)")


if __name__ == "__main__":
    main()
