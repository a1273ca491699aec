"""Translate faces to another expression with a CCycleGAN checkpoint.

    python Generative_model/Expression_translator.py checkpoints/ccyclegan_fer2013 faces/ Surprise out/
    python Generative_model/Expression_translator.py checkpoints/ccyclegan_fer2013 face.jpg happy out/ --grid
    python Generative_model/Expression_translator.py checkpoints/ccyclegan_fer2013 photos/ Surprise out/ --faces

Every PNG/JPG in the input folder (or the one input image), of any size or colour, is converted to
48x48 grayscale, translated, and written as NAME.png into the output folder (a.jpg and a.png as
a_jpg.png and a_png.png; files already there are never replaced unless --overwrite is given). A
FIFO or folder named like an image is never opened. With --faces the inputs are photos:
each frontal face found in them (helpers.data.faces) is cropped to 48x48, translated, and written as
NAME_faceK.png, the crop and its translation side by side; a photo without a face is reported. --grid also writes
translation_sheet.png: each source next to all 7 expressions. An unreadable image is named,
skipped, and the rest go on. Expressions as in Expression_generator.py.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a clone without installing

from helpers.cli import command_parser, run_cli, view_size  # noqa: E402
from helpers.errors import UserError  # noqa: E402
from helpers.files import check_output_folder, distinct_stems, refuse_taken  # noqa: E402
from helpers.expressions import expression_name, parse_expression  # noqa: E402
from helpers.inference.litert import BACKENDS  # noqa: E402

SUFFIXES = {".png", ".jpg", ".jpeg"}


def parse_args(argv=None):
    p = command_parser(__doc__)
    p.add_argument("checkpoint", help="translator checkpoint folder (generator.keras + config.json)")
    p.add_argument("inputs", help="an image file or a folder of PNG/JPG images")
    p.add_argument("expression", help="Surprise, Fear, Disgust, Happiness, Sadness, Anger, Neutral (or Happy, Sad, Angry)")
    p.add_argument("out_dir", help="folder to write into (created if missing)")
    p.add_argument("--grid", action="store_true", help="also write translation_sheet.png (sources x 7 expressions)")
    p.add_argument("--size", type=view_size, default=48, help="upscale the outputs to SIZExSIZE for viewing (nearest)")
    p.add_argument("--overwrite", action="store_true", help="replace files of the same name in OUT_DIR")
    p.add_argument("--faces", action="store_true",
                   help="the inputs are photos: translate every face found in them, written beside its crop")
    p.add_argument("--backend", choices=BACKENDS, default="auto",
                   help="auto: LiteRT when ai-edge-litert is installed and the .tflite file is beside the "
                        "model (no TensorFlow, a fraction of a second), else Keras")
    return p.parse_args(argv)


def input_files(path: Path) -> list[Path]:
    if not path.exists():
        raise UserError(f"input {path} does not exist")
    files = [path] if not path.is_dir() else sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
    if not files:
        raise UserError(f"no PNG or JPG images in {path}")
    return files


def read_inputs(files: list[Path]):
    """Each image as one 48x48 face: ``(faces, output names, number unreadable)``."""
    from helpers.data import read_image
    from helpers.errors import DataError

    faces, names, stems = [], [], distinct_stems(files)
    for file in files:
        try:
            faces.append(read_image(file))
            names.append(f"{stems[file]}.png")
        except DataError as exc:
            print(f"skipped: {exc}", file=sys.stderr)
    return faces, names, len(files) - len(faces)


def read_faces(files: list[Path]):
    """Every frontal face in the photos, cropped to 48x48: ``(faces, output names, number unreadable)``."""
    from helpers.data.faces import find_faces, read_photo
    from helpers.errors import DataError

    faces, names, unreadable, stems = [], [], 0, distinct_stems(files)
    for file in files:
        try:
            photo = read_photo(file)
        except DataError as exc:
            print(f"skipped: {exc}", file=sys.stderr)
            unreadable += 1
            continue
        found = find_faces(photo)
        if not found:
            print(f"no face found in {file}")
        faces += [face.crop for face in found]
        names += [f"{stems[file]}_face{k}.png" for k in range(1, len(found) + 1)]
    return faces, names, unreadable


def main(argv=None):
    import numpy as np

    from helpers.data.images import save_png, tile
    from helpers.inference.translation import load_translator

    args = parse_args(argv)
    target = parse_expression(args.expression)
    out_dir = check_output_folder(args.out_dir)
    files = input_files(Path(args.inputs))
    if {f.parent.resolve() for f in files} & {out_dir.resolve()}:
        raise UserError(f"{out_dir} is the inputs' own folder: choose another, so that the faces and their "
                        "translations never mix (--overwrite does not change this)")
    translator = load_translator(args.checkpoint, backend=args.backend)
    images, names, unreadable = read_faces(files) if args.faces else read_inputs(files)
    if not images:
        what = "faces were found in" if args.faces and unreadable < len(files) else "images could be read among"
        raise UserError(f"no {what} the {len(files)} inputs")
    refuse_taken(out_dir, names + ["translation_sheet.png"] * args.grid, args.overwrite, "output folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    images = np.stack(images)
    translated = translator.translate(images, target)
    scale = args.size // 48
    for name, source, image in zip(names, images, translated):
        save_png(np.concatenate([source, image], axis=1) if args.faces else image, out_dir / name, scale=scale)
    faces = "face" if len(images) == 1 else "faces"
    print(f"translated {len(images)} {faces} to {expression_name(target, display=True)} in {out_dir}")
    if args.grid:
        sheet = translator.sheet(images)
        save_png(tile(sheet.reshape(-1, 48, 48, 1), cols=sheet.shape[1]), out_dir / "translation_sheet.png", scale=max(2, scale))
        print(f"sheet (source, then {', '.join(expression_name(e, display=True) for e in range(7))}): {out_dir / 'translation_sheet.png'}")
    if unreadable:
        print(f"{unreadable} unreadable image(s) skipped", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    run_cli(main)
