"""Generate faces with a chosen expression from a generator checkpoint.

    python Generative_model/Expression_generator.py checkpoints/sngan_fer2013 Surprise 16 out/

writes out/Surprise_0001.png ... out/Surprise_0016.png (48x48 grayscale) and out/Surprise_grid.png.
Expressions: Surprise, Fear, Disgust, Happiness, Sadness, Anger, Neutral, and the FER
aliases Happy, Sad, Angry (case-insensitive). Existing files are never deleted or overwritten:
numbering continues after the highest index already in the folder, and each file takes the next
free number when it is written, so runs into one folder at the same time keep every face.
"""
from __future__ import annotations

import itertools
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a clone without installing

from helpers.arguments import SEED, number  # noqa: E402
from helpers.cli import command_parser, run_cli, view_size  # noqa: E402
from helpers.expressions import expression_name, parse_expression  # noqa: E402
from helpers.inference.generators import MIN_TRUNCATION  # noqa: E402
from helpers.inference.litert import BACKENDS  # noqa: E402

MAX_AMOUNT = 100_000  # 220 MB of faces in memory


def parse_args(argv=None):
    p = command_parser(__doc__)
    p.add_argument("checkpoint", help="generator checkpoint folder (generator.keras + config.json) or its .keras file")
    p.add_argument("expression", help="Surprise, Fear, Disgust, Happiness, Sadness, Anger, Neutral (or Happy, Sad, Angry)")
    number(p, "amount", low=1, high=MAX_AMOUNT, help="number of faces to write")
    p.add_argument("out_dir", help="folder to write into (created if missing)")
    p.add_argument("--seed", type=SEED, default=None, help="make the output reproducible (0 to 4,294,967,295)")
    number(p, "--truncation", kind=float, low=MIN_TRUNCATION, infinity=True, default=None,
           help="redraw noise values beyond ±T (e.g. 1.5: less variety, clearer faces); default: the checkpoint's own "
                "(its config.json 'truncation', if set); inf: none")
    p.add_argument("--size", type=view_size, default=48, help="upscale the PNGs to SIZExSIZE for viewing (nearest)")
    p.add_argument("--backend", choices=BACKENDS, default="auto",
                   help="auto: LiteRT when ai-edge-litert is installed and the checkpoint has generator.tflite "
                        "(no TensorFlow, a fraction of a second), else Keras")
    return p.parse_args(argv)


def next_index(out_dir: Path, name: str) -> int:
    pattern = re.compile(rf"^{re.escape(name)}_(\d+)\.png$")
    taken = [int(m.group(1)) for p in out_dir.iterdir() if (m := pattern.match(p.name))]
    return max(taken, default=0) + 1


def main(argv=None):
    args = parse_args(argv)
    expression = parse_expression(args.expression)

    from helpers.data.images import png_bytes, tile
    from helpers.files import check_output_folder, claim
    from helpers.inference.generators import load_generator

    out_dir = check_output_folder(args.out_dir)
    generator = load_generator(args.checkpoint, backend=args.backend)
    generator.check_expression(expression)
    truncation = generator.truncation(args.truncation)  # a bad --truncation is refused before anything is written
    out_dir.mkdir(parents=True, exist_ok=True)
    images = generator.generate(expression, args.amount, seed=args.seed, truncation=truncation)
    name = expression_name(expression, display=True)
    scale = args.size // images.shape[1]
    index, written = next_index(out_dir, name), []
    for image in images:  # each face takes the next free number, whoever else writes here
        written.append(claim(png_bytes(image, scale), (out_dir / f"{name}_{i:04d}.png" for i in itertools.count(index))))
        index = int(written[-1].stem.rsplit("_", 1)[1]) + 1
    first = written[0].stem.rsplit("_", 1)[1]
    grid = claim(png_bytes(tile(images, cols=min(8, len(images))), max(2, scale)),
                 itertools.chain([out_dir / f"{name}_grid.png"],
                                 (out_dir / f"{name}_grid_{first}{f'_{k}' if k else ''}.png" for k in itertools.count())))
    faces = "face" if len(images) == 1 else "faces"
    last = f" … {written[-1].name}" if len(written) > 1 else ""
    print(f"wrote {len(images)} {name} {faces} to {out_dir}/{written[0].name}{last} and {grid.name}")


if __name__ == "__main__":
    run_cli(main)
