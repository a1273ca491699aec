"""Expressions of the faces in a photo (or a video frame): one record per face, and the annotated
copy that shows them. :mod:`helpers.recognize` and :mod:`helpers.app` are the commands over it."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from helpers.expressions import EXPRESSIONS

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
