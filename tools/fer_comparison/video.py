"""Frames per second of expression recognition in video: this project's ``helpers.recognize`` and
the ``fer`` package's ``Video``, on one clip (docs/results.md, "Against the fer package").

    python tools/fer_comparison/video.py --make-clip out/clip.mp4           # 5 s of 640x480 at 30 fps
    python -m helpers.recognize out/clip.mp4 --out out/ours --csv out/ours.csv
    FER_ENV/bin/python tools/fer_comparison/video.py --fer out/clip.mp4     # where fer is installed

The clip pans and zooms over scikit-image's astronaut photo, so the face moves as in a real
video. Both programs print the frames per second of their frame loop (reading, detecting,
recognising, annotating, writing the annotated video). ``fer`` is not a dependency of this project
(it pulls in PyTorch for an option this comparison does not use); docs/results.md says how its
environment was made."""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path


def make_clip(path: Path, frames: int = 150, fps: float = 30.0, size=(640, 480)) -> Path:
    import cv2
    import numpy as np
    from skimage import data

    photo = data.astronaut()
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for i in range(frames):
        t = i / max(1, frames - 1)
        side = int(512 - 160 * np.sin(np.pi * t))  # zoom in and out again
        x0, y0 = int((512 - side) * t), int((512 - side) * 0.3)
        crop = cv2.resize(photo[y0:y0 + side, x0:x0 + side], (size[1], size[1]))
        frame = np.zeros((size[1], size[0], 3), np.uint8)
        left = (size[0] - size[1]) // 2
        frame[:, left:left + size[1]] = crop
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def run_fer(clip: Path) -> None:
    import tempfile

    import cv2

    # fer calls OpenCV's window functions even with display=False; they need the GUI build of
    # OpenCV (opencv-contrib-python, fer's own requirement), and with no window they do nothing
    cv2.waitKey = lambda *args: -1
    cv2.destroyAllWindows = lambda: None
    from fer.classes import Video
    from fer.fer import FER

    clip = clip.resolve()
    with tempfile.TemporaryDirectory() as out:
        os.chdir(out)  # fer also writes data.csv into the working folder
        video = Video(str(clip), outdir=out)
        start = time.perf_counter()
        results = video.analyze(FER(), display=False, save_frames=False, save_video=True, annotate_frames=True,
                                zip_images=False)
        seconds = time.perf_counter() - start
    faces = sum(len(r) if isinstance(r, list) else 1 for r in results)
    print(f"fer: {len(results)} frames, {faces} face readings, {len(results) / seconds:.1f} frames/s")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--make-clip", type=Path, metavar="MP4", help="write the test clip here")
    what.add_argument("--fer", type=Path, metavar="MP4", help="run fer's Video on this clip and print its frames/s")
    args = p.parse_args(argv)
    if args.make_clip:
        print(make_clip(args.make_clip))
    else:
        run_fer(args.fer)


if __name__ == "__main__":
    main()
