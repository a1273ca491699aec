"""The shipped models in a browser: draw faces with an expression, read the expressions in a photo,
change the expression of the faces in a photo.

    pip install -e .[app]
    python -m helpers.app                      # then open the address it prints
    python -m helpers.app --port 8000 --generator checkpoints/dcgan_fer2013

It listens on 127.0.0.1 (this computer only) unless --host says otherwise, and runs the models'
LiteRT twins where they exist, without TensorFlow. In a notebook (Colab too),
``helpers.app.build_app().launch()`` shows it inline. The work of each tab is in
:mod:`helpers.inference.showcase`; this module is the page.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from helpers.arguments import number
from helpers.cli import command_parser, run_cli
from helpers.errors import UserError
from helpers.expressions import EXPRESSIONS
from helpers.inference.showcase import MAX_FACES, SHIPPED, Models

TITLE = "Expression faces"
NO_PHOTO = "choose a photo first (upload, paste or webcam)"
GENERATE_EXPRESSIONS = ["Surprise", "Fear", "Disgust", "Happiness", "Sadness", "Anger", "Neutral"]


def shown(handler):
    """``handler`` with each UserError turned into a message in the page (``gradio.Error``); the
    app keeps running."""
    import functools

    import gradio as gr

    @functools.wraps(handler)
    def run(*args):
        try:
            return handler(*args)
        except UserError as exc:
            raise gr.Error(str(exc)) from None

    return run


def photo_input(label: str):
    """An image input (upload, paste or webcam) handed to the app as the uploaded file's path,
    unopened: the project's own reader checks it (a text file, a decompression bomb) and the page
    says what is wrong, where Gradio's own decoding would fail with a traceback in the log."""
    import gradio as gr

    photo = gr.Image(type="filepath", sources=["upload", "clipboard", "webcam"], label=label)
    # on the instance, not in a subclass: Gradio writes a .pyi stub beside any module that defines one
    photo.preprocess = lambda payload: None if payload is None else str(payload.path)
    return photo


def build_app(models: Models | None = None):
    """The page: a ``gradio.Blocks`` with the Generate, Recognize and Translate tabs over ``models``
    (default: the shipped ones). ``.launch()`` serves it."""
    import gradio as gr
    import pandas as pd

    from helpers.inference.showcase import (expressions_in, faces_for, probability_rows, translations_of,
                                            truncation_value)

    models = models or Models.load()
    default_truncation = models.generator.config.get("truncation")

    def generate(expression, count, seed, truncate, truncation):
        images, archive, name = faces_for(models, expression, count, seed,
                                          truncation_value(truncate, truncation))
        folder = Path(tempfile.mkdtemp(prefix="expression-faces-"))  # one per request: sessions never share files
        (folder / name).write_bytes(archive)
        return images, str(folder / name)

    def recognize(photo):
        if photo is None:
            raise UserError(NO_PHOTO)
        annotated, records = expressions_in(models, photo)
        for record in records:
            record["file"] = Path(record["file"]).name
        return annotated, pd.DataFrame(probability_rows(records)), records

    def translate(photo):
        if photo is None:
            raise UserError(NO_PHOTO)
        return translations_of(models, photo)

    with gr.Blocks(title=TITLE) as app:
        gr.Markdown(f"# {TITLE}\nThe shipped models of this project: a projection cGAN that draws faces, a "
                    "recognizer that reads expressions, a CCycleGAN that changes them. Faces are 48x48 grayscale, as "
                    "in FER2013.")
        with gr.Tab("Generate"):
            with gr.Row():
                expression = gr.Dropdown(GENERATE_EXPRESSIONS, value="Happiness", label="Expression")
                count = gr.Slider(1, MAX_FACES, value=16, step=1, label="Faces")
                seed = gr.Number(0, precision=0, minimum=0, label="Seed (the same seed, the same faces)")
            with gr.Row():
                truncate = gr.Checkbox(default_truncation is not None, label="Truncate the noise")
                truncation = gr.Slider(0.1, 4.0, value=default_truncation or 1.5, step=0.1,
                                       label="Truncation (lower: clearer faces, less variety)")
            draw = gr.Button("Generate", variant="primary")
            gallery = gr.Gallery(label="Faces", columns=8, height="auto")
            archive = gr.File(label="The faces as PNG files (zip)")
            draw.click(shown(generate), [expression, count, seed, truncate, truncation], [gallery, archive])
        with gr.Tab("Recognize"):
            with gr.Row():
                photo = photo_input("Photo")
                annotated = gr.Image(label="Expressions", format="png")
            read = gr.Button("Read the expressions", variant="primary")
            bars = gr.BarPlot(x="expression", y="probability", color="face", x_bin=None, label="Probabilities",
                              sort=list(EXPRESSIONS), y_lim=[0, 1])
            record = gr.JSON(label="Records (as python -m helpers.recognize --json writes them)")
            read.click(shown(recognize), [photo], [annotated, bars, record])
        with gr.Tab("Translate"):
            source = photo_input("Photo")
            change = gr.Button("Change the expressions", variant="primary")
            sheet = gr.Image(label="Each face, then as Angry, Disgust, Fear, Happy, Sad, Surprise, Neutral", format="png")
            change.click(shown(translate), [source], [sheet])
    return app


def parse_args(argv=None):
    p = command_parser(__doc__, prog="python -m helpers.app")
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: this computer only)")
    number(p, "--port", low=1, high=65_535, default=7860, help="the port to listen on")
    p.add_argument("--generator", type=Path, default=SHIPPED["generator"], help="a generator release folder")
    p.add_argument("--recognizer", type=Path, default=SHIPPED["recognizer"], help="a .keras recognizer")
    p.add_argument("--translator", type=Path, default=SHIPPED["translator"], help="a translator release folder")
    return p.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # a local app sends nothing home (and starts sooner)
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise UserError("the app needs Gradio: pip install -e .[app]") from None
    models = Models.load(args.generator, args.recognizer, args.translator)
    app = build_app(models)
    try:
        app.launch(server_name=args.host, server_port=args.port, show_error=True, quiet=False)
    except OSError:
        raise UserError(f"cannot listen on {args.host}:{args.port} (the port is taken, or the address is not this "
                        "computer's): choose another --port or --host") from None


if __name__ == "__main__":
    run_cli(main, sys.argv[1:])
