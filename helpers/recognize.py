"""Recognise the expression of every face in photos, or in a video.

    python -m helpers.recognize photo.jpg
    python -m helpers.recognize photos/ --out annotated/ --json faces.json --tta shifts
    python -m helpers.recognize clip.mp4 --out annotated/ --csv frames.csv --every 2 --smooth 5

Finds the frontal faces in each photo (:mod:`helpers.data.faces`: a Haar cascade from OpenCV's wheel),
crops each with a margin to 48x48 grayscale, and reads its expression with the shipped recognizer
(optionally averaged over test-time views). Writes an annotated copy of each photo with faces
into --out (box, label, confidence and a bar per expression for every face) and, with --json, a
list with one object per face: ``file``, ``box`` ([x, y, width, height] in the photo's pixels),
``probabilities`` (the 7 expressions), ``label`` and ``annotated`` (its annotated copy: NAME.png,
or NAME_jpg.png where photos share a name). A photo without a face is reported and skipped; a file
that is not a readable image (or has more than 50 megapixels) gets one line and the run goes on,
but a run in which no photo could be read fails, as does an empty folder.

A video (.mp4, .avi, .mov, .mkv, .m4v) is read frame by frame (one in --every), each face followed
from frame to frame by the overlap of its boxes and its probabilities averaged over its last
--smooth frames (:mod:`helpers.inference.video`). It writes the annotated video NAME.mp4 into --out
and, with --csv, one row per face per frame: frame, time_s, face (its track), x, y, width,
height, the seven probabilities and the label.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from helpers.arguments import number
from helpers.cli import command_parser, run_cli
from helpers.errors import DataError, UserError
from helpers.files import (atomic_path, check_output_file, check_output_folder, distinct_stems, refuse_taken,
                           write_json, write_text)
from helpers.inference.litert import BACKENDS
from helpers.inference.photos import annotate, recognize_photo
from helpers.inference.video import VIDEO_SUFFIXES

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"}


def photo_paths(target: Path) -> list[Path]:
    """``target`` itself, or the photos in the folder ``target`` (not its subfolders; only regular
    files, so a FIFO named like a photo is never waited on), sorted; a folder without any is refused."""
    if not target.exists():
        raise UserError(f"{target} does not exist: give a photo or a folder of photos")
    if not target.is_dir():
        return [target]
    paths = sorted(p for p in target.iterdir() if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)
    if not paths:
        raise UserError(f"no photos in {target} (files ending in {', '.join(sorted(PHOTO_SUFFIXES))})")
    return paths


def parse_args(argv=None):
    from helpers.inference.recognition import SHIPPED_RECOGNIZER, TTA_VIEWS

    p = command_parser(__doc__, prog="python -m helpers.recognize")
    p.add_argument("photos", type=Path, help="a photo, a folder of photos, or a video")
    p.add_argument("--out", type=Path, default=Path("out/recognized"),
                   help="folder for the annotated copies, NAME.png for each photo (default: out/recognized; "
                        "not the photos' own folder)")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write one record per face to FILE (a new file)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace annotated copies and a --json file left by an earlier run (otherwise refused)")
    p.add_argument("--csv", type=Path, metavar="FILE", help="a video only: one row per face per frame (a new file)")
    number(p, "--every", low=1, high=10_000, default=None, metavar="N", help="a video only: read one frame in N (default 1)")
    number(p, "--smooth", low=1, high=1_000, default=None, metavar="K",
           help="a video only: average each face's probabilities over its last K frames read (default 1: none)")
    p.add_argument("--tta", choices=list(TTA_VIEWS), help="average the recognizer over test-time views of each face")
    p.add_argument("--recognizer", type=Path, default=SHIPPED_RECOGNIZER, help="a .keras recognizer (default: the shipped one)")
    p.add_argument("--backend", choices=BACKENDS, default="auto",
                   help="auto: LiteRT when ai-edge-litert is installed and the .tflite file is beside the "
                        "model (no TensorFlow, a fraction of a second), else Keras")
    return p.parse_args(argv)


def main(argv=None) -> list[dict]:
    from tqdm.auto import tqdm

    from helpers.data.faces import read_photo
    from helpers.inference.recognition import load_recognizer

    args = parse_args(argv)
    if args.photos.is_file() and args.photos.suffix.lower() in VIDEO_SUFFIXES:
        return recognize_video_file(args)
    if args.csv or args.every or args.smooth:
        raise UserError("--csv, --every and --smooth are for a video (.mp4, .avi, .mov, .mkv, .m4v); "
                        "for photos, --json writes the records")
    paths = photo_paths(args.photos)
    if {p.parent.resolve() for p in paths} & {args.out.resolve()}:
        raise UserError(f"--out {args.out} is the photos' own folder: choose another, so that the photos and their "
                        "annotated copies never mix")
    check_output_folder(args.out, "--out folder")
    if args.json:
        check_output_file(args.json, args.overwrite, "--json")
    stems = distinct_stems(paths)
    refuse_taken(args.out, [f"{stem}.png" for stem in stems.values()], args.overwrite, "--out")
    model = load_recognizer(args.recognizer, backend=args.backend)
    args.out.mkdir(parents=True, exist_ok=True)
    records, no_face, unreadable = [], [], []
    for path in tqdm(paths, desc="photos", unit="photo", disable=len(paths) < 2, file=sys.stderr):
        try:
            photo = read_photo(path)
        except DataError as exc:
            if len(paths) == 1:
                raise
            unreadable.append(path)
            tqdm.write(f"skipped {exc}", file=sys.stderr)
            continue
        faces = recognize_photo(path, photo, model, args.tta)
        if not faces:
            no_face.append(path)
            tqdm.write(f"no face found in {path}")
            continue
        annotated = args.out / f"{stems[path]}.png"
        with atomic_path(annotated) as tmp:
            annotate(photo, faces).save(tmp, format="PNG")
        records += [{**face, "annotated": str(annotated)} for face in faces]
    if len(unreadable) == len(paths):
        raise UserError(f"no photo could be read in {args.photos} ({len(paths)} tried)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        write_json(args.json, records, indent=1)
    faces = "face" if len(records) == 1 else "faces"
    print(f"{len(records)} {faces} in {len(paths) - len(no_face) - len(unreadable)} of {len(paths)} photos; "
          f"annotated copies in {args.out}/" + (f", records in {args.json}" if args.json else "")
          + (f"; {len(unreadable)} unreadable skipped" if unreadable else ""))
    return records


def recognize_video_file(args) -> list[dict]:
    """The video mode of :func:`main`: the annotated video ``--out/NAME.mp4`` and, with ``--csv``,
    its rows (:data:`helpers.inference.video.CSV_COLUMNS`); returns every face's record."""
    import csv
    import io
    import time

    import cv2
    from tqdm.auto import tqdm

    from helpers.inference.recognition import load_recognizer
    from helpers.inference.video import CSV_COLUMNS, csv_rows, recognize_video, video_info

    if args.json:
        raise UserError("--json is for photos: a video's records go to --csv")
    video = args.photos
    annotated = check_output_folder(args.out, "--out folder") / f"{video.stem}.mp4"
    if args.out.resolve() == video.parent.resolve():
        raise UserError(f"--out {args.out} is the video's own folder: choose another")
    if annotated.exists() and not args.overwrite:
        raise UserError(f"{annotated} exists: choose another --out, or pass --overwrite to replace it")
    if args.csv:
        check_output_file(args.csv, args.overwrite, "--csv")
    info = video_info(video)
    every = args.every or 1
    model = load_recognizer(args.recognizer, backend=args.backend)
    args.out.mkdir(parents=True, exist_ok=True)
    table, records, frames, with_face, start = io.StringIO(), [], 0, 0, time.perf_counter()
    writer = csv.writer(table)
    writer.writerow(CSV_COLUMNS)
    with atomic_path(annotated) as tmp:
        out = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), info.fps / every, (info.width, info.height))
        progress = tqdm(total=-(-info.frames // every) or None, desc=video.name, unit="frame", file=sys.stderr)
        for index, time_s, frame, faces in recognize_video(video, model, every=every, smooth=args.smooth or 1,
                                                            tta=args.tta):
            picture = np.asarray(annotate(frame, faces)) if faces else frame
            out.write(cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))
            writer.writerows(csv_rows(index, time_s, faces))
            records += [{"frame": index, "time_s": round(time_s, 3), **face} for face in faces]
            frames, with_face = frames + 1, with_face + bool(faces)
            progress.update()
        progress.close()
        out.release()
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        write_text(args.csv, table.getvalue())
    rate = frames / (time.perf_counter() - start)
    print(f"{len(records)} face readings in {frames} frames ({with_face} with a face), {rate:.1f} frames/s; "
          f"annotated video {annotated}" + (f", rows in {args.csv}" if args.csv else ""))
    return records


if __name__ == "__main__":
    run_cli(main)
