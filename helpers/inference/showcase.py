"""What the web app (:mod:`helpers.app`) does with each request, without the web: faces for an
expression, the expressions of the faces in a photo, and a photo's faces in every expression. Each
function takes the loaded models and the user's values, and raises a one-line
:class:`~helpers.errors.UserError` for anything a user can get wrong, which the app shows in the
page."""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from helpers.errors import UserError
from helpers.expressions import EXPRESSIONS, expression_name, parse_expression

MAX_FACES = 64
NO_FACE = "no face found in this photo: the detector finds frontal faces of at least a twentieth of its shorter side"
VIEW_SCALE = 4  # 48-pixel faces are shown at 192 pixels, enlarged by repeating pixels
REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED = {"generator": REPO_ROOT / "checkpoints" / "sngan_fer2013",
           "recognizer": REPO_ROOT / "checkpoints" / "recognizer_fer2013.keras",
           "translator": REPO_ROOT / "checkpoints" / "ccyclegan_fer2013"}


@dataclass
class Models:
    """The three models the app serves: a generator release, a recognizer and a translator."""
    generator: object
    recognizer: object
    translator: object

    @classmethod
    def load(cls, generator=SHIPPED["generator"], recognizer=SHIPPED["recognizer"], translator=SHIPPED["translator"],
             backend: str = "auto") -> "Models":
        """Load the three; ``backend="auto"`` runs their LiteRT twins where they exist (no TensorFlow)."""
        from helpers.inference.generators import load_generator
        from helpers.inference.recognition import load_recognizer
        from helpers.inference.translation import load_translator

        return cls(load_generator(generator, backend=backend), load_recognizer(recognizer, backend=backend),
                   load_translator(translator, backend=backend))


def enlarged(face: np.ndarray, scale: int = VIEW_SCALE) -> np.ndarray:
    """A uint8 (H, W[, 1]) image enlarged ``scale`` times by repeating pixels, as (H*s, W*s)."""
    face = np.asarray(face)
    face = face[..., 0] if face.ndim == 3 else face
    return np.repeat(np.repeat(face, scale, axis=0), scale, axis=1)


def faces_for(models: Models, expression: str, count: int, seed: int | None, truncation: float | None
              ) -> tuple[list[np.ndarray], bytes, str]:
    """``count`` faces of ``expression`` from the generator: the enlarged images, a zip of the
    48-pixel PNGs named as ``Expression_generator.py`` names them (the same seed gives the same
    faces, byte for byte), and the zip's file name. ``truncation`` None is the release's own."""
    from helpers.data.images import png_bytes

    expression_id = parse_expression(expression)
    if not (isinstance(count, (int, float)) and float(count).is_integer() and 1 <= count <= MAX_FACES):
        raise UserError(f"the number of faces must be a whole number from 1 to {MAX_FACES}, got {count}")
    if seed is not None and not (float(seed).is_integer() and 0 <= seed < 2**32):
        raise UserError(f"the seed must be a whole number from 0 to 4,294,967,295, got {seed}")
    generator = models.generator
    generator.check_expression(expression_id)
    faces = generator.generate(expression_id, int(count), seed=None if seed is None else int(seed),
                               truncation=generator.truncation(truncation))
    name = expression_name(expression_id, display=True)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as out:
        for i, face in enumerate(faces, 1):
            out.writestr(f"{name}_{i:04d}.png", png_bytes(face))
    archive_name = f"{name}.zip" if seed is None else f"{name}_seed{int(seed)}.zip"
    return [enlarged(face) for face in faces], archive.getvalue(), archive_name


def expressions_in(models: Models, photo: str | Path) -> tuple[np.ndarray, list[dict]]:
    """The annotated photo and one record per face (as ``python -m helpers.recognize`` writes
    them) for the photo file ``photo``; a photo without a face is a UserError that says so."""
    from helpers.data.faces import read_photo
    from helpers.inference.photos import annotate, recognize_photo

    image = read_photo(Path(photo))
    records = recognize_photo(Path(photo), image, models.recognizer, None)
    if not records:
        raise UserError(NO_FACE)
    return np.asarray(annotate(image, records)), records


def translations_of(models: Models, photo: str | Path) -> np.ndarray:
    """A sheet with one row per face in the photo: the face, then the translator's version of it
    in each of the seven expressions (Angry ... Neutral), enlarged for viewing."""
    from helpers.data.faces import find_faces, read_photo
    from helpers.data.images import tile

    faces = find_faces(read_photo(Path(photo)))
    if not faces:
        raise UserError(NO_FACE)
    sheet = models.translator.sheet(np.stack([face.crop for face in faces]))  # (faces, 8, 48, 48, 1)
    return enlarged(tile(sheet.reshape(-1, 48, 48, 1), cols=sheet.shape[1]), scale=3)

