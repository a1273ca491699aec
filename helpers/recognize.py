"""Recognise the expression of every face in photos.

    python -m helpers.recognize photo.jpg
    python -m helpers.recognize photos/ --out annotated/ --json faces.json --tta shifts

Finds the frontal faces in each photo (:mod:`helpers.data.faces`: a Haar cascade from OpenCV's wheel),
crops each with a margin to 48x48 grayscale, and reads its expression with the shipped recognizer
(optionally averaged over test-time views). Writes an annotated copy of each photo with faces
into --out (box, label, confidence and a bar per expression for every face) and, with --json, a
list with one object per face: ``file``, ``box`` ([x, y, width, height] in the photo's pixels),
``probabilities`` (the 7 expressions), ``label`` and ``annotated`` (its annotated copy: NAME.png,
or NAME_jpg.png where photos share a name). A photo without a face is reported and skipped; a file
that is not a readable image (or has more than 50 megapixels) gets one line and the run goes on,
but a run in which no photo could be read fails, as does an empty folder.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from helpers.cli import OneLineParser, run_cli
from helpers.errors import DataError, UserError
from helpers.expressions import EXPRESSIONS
from helpers.files import atomic_path, check_output_file, check_output_folder, distinct_stems, write_json
from helpers.inference.litert import BACKENDS

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


HIGHLIGHT, GREY = (255, 210, 0), (190, 190, 190)


def annotate(photo: np.ndarray, faces: list[dict]):
    """A copy of ``photo`` (a PIL image) with each face's box, its label and confidence above it,
    and a bar per expression (Angry ... Neutral, left to right) under it."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.fromarray(photo).convert("RGB")
    draw = ImageDraw.Draw(image)
    scale = max(1, round(min(image.size) / 300))
    font = ImageFont.load_default(size=10 * scale)
    for face in faces:
        x, y, w, h = face["box"]
        draw.rectangle([x, y, x + w, y + h], outline=HIGHLIGHT, width=2 * scale)
        label = f"{face['label']} {100 * face['probabilities'][face['label']]:.0f}%"
        left, top, right, bottom = draw.textbbox((x, max(0, y - 14 * scale)), label, font=font)
        draw.rectangle([left - scale, top - scale, right + scale, bottom + scale], fill=HIGHLIGHT)
        draw.text((left, top), label, fill=(0, 0, 0), font=font, anchor="lt")
        bar_w, bar_h, base = max(3, w // len(EXPRESSIONS)), max(6, h // 5), y + h + 3 * scale
        for k, name in enumerate(EXPRESSIONS):
            x0, filled = x + k * bar_w, round(face["probabilities"][name] * bar_h)
            draw.rectangle([x0, base, x0 + bar_w - 2, base + bar_h], outline=GREY)
            draw.rectangle([x0, base + bar_h - filled, x0 + bar_w - 2, base + bar_h],
                           fill=HIGHLIGHT if name == face["label"] else GREY)
    return image


def recognize_photo(path: Path, photo: np.ndarray, model, tta: str | None) -> list[dict]:
    """One record per face in ``photo``: file, box, probabilities and label."""
    from helpers.data.faces import find_faces
    from helpers.inference.recognition import predict_proba

    faces = find_faces(photo)
    if not faces:
        return []
    probs = predict_proba(model, np.stack([f.crop for f in faces]), tta=tta)
    return [{"file": str(path), "box": list(face.box),
             "probabilities": {name: round(float(p), 4) for name, p in zip(EXPRESSIONS, row)},
             "label": EXPRESSIONS[int(row.argmax())]} for face, row in zip(faces, probs)]


def parse_args(argv=None):
    from helpers.inference.recognition import SHIPPED_RECOGNIZER, TTA_VIEWS

    p = OneLineParser(prog="python -m helpers.recognize", description=__doc__,
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("photos", type=Path, help="a photo, or a folder of photos")
    p.add_argument("--out", type=Path, default=Path("out/recognized"),
                   help="folder for the annotated copies, NAME.png for each photo (default: out/recognized; "
                        "not the photos' own folder)")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write one record per face to FILE (a new file)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace annotated copies and a --json file left by an earlier run (otherwise refused)")
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
    paths = photo_paths(args.photos)
    if {p.parent.resolve() for p in paths} & {args.out.resolve()}:
        raise UserError(f"--out {args.out} is the photos' own folder: choose another, so that the photos and their "
                        "annotated copies never mix")
    check_output_folder(args.out, "--out folder")
    if args.json:
        check_output_file(args.json, args.overwrite, "--json")
    stems = distinct_stems(paths)
    taken = [args.out / f"{stem}.png" for stem in stems.values() if (args.out / f"{stem}.png").exists()]
    if taken and not args.overwrite:
        raise UserError(f"{args.out} already holds {taken[0].name}" + (f" and {len(taken) - 1} more" if len(taken) > 1 else "")
                        + ": choose another --out, or pass --overwrite to replace them")
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


if __name__ == "__main__":
    run_cli(main)
