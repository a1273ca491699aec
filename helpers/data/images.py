"""Image files as uint8 arrays, both ways: one function opens every image the project reads
(photos, image folders, the translator's inputs), with the checks that keep odd files from ending
in a traceback, a hang or a wrong read (docs/reliability.md); and grids of faces become PNG files."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from helpers.errors import DataError

IMAGE_SIZE = 48  # the side of a FER2013 face, which every model takes
MAX_IMAGE_PIXELS = 50_000_000  # a larger image is refused from its header, before it is decoded


def open_image(path: str | os.PathLike, mode: str = "L"):
    """The image file ``path`` decoded as a PIL image in ``mode`` ("L" or "RGB"): turned upright
    by its EXIF orientation, the first frame of an animation, CMYK and palette images converted,
    16-bit images keeping their range (scaled to 8 bits, not clipped). Anything that is not a
    regular file, cannot be decoded, or has more than :data:`MAX_IMAGE_PIXELS` (a decompression
    bomb's header says so before any pixel is decoded) is a :class:`DataError` that names the
    file and the reason."""
    from PIL import Image, UnidentifiedImageError

    if not Path(path).is_file():  # a folder, a FIFO or a device named like an image: never opened, never waited on
        raise DataError(f"{path}: not a regular file")
    try:
        with Image.open(path) as img:
            if img.width * img.height > MAX_IMAGE_PIXELS:
                raise DataError(f"{path}: {img.width:,} x {img.height:,}, more than the {MAX_IMAGE_PIXELS:,} pixels "
                                "an image may have")
            img = upright(img)
            if img.mode.startswith("I"):  # 16-bit (or 32-bit integer) grey: scale 0..65535 to 0..255
                grey = np.asarray(img, np.float64) * (255.0 / 65535.0)
                return Image.fromarray(np.clip(np.round(grey), 0, 255).astype(np.uint8)).convert(mode)
            if img.mode == "P":  # a palette (a GIF's first frame among them), transparency and all
                img = img.convert("RGBA")
            return img.convert(mode)
    except Image.DecompressionBombError:  # Pillow's own check, on headers of over twice its limit
        raise DataError(f"{path}: more than the {MAX_IMAGE_PIXELS:,} pixels an image may have") from None
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise DataError(f"{path}: not a readable image ({exc.__class__.__name__})") from None


def upright(img):
    """``img`` turned as its EXIF orientation says (a phone stores a portrait photo sideways and
    records the turn); an image without EXIF, or with EXIF that cannot be parsed, as stored."""
    from PIL import ImageOps

    try:
        return ImageOps.exif_transpose(img)
    except Exception:  # noqa: BLE001  (Pillow's EXIF parser raises many types on a damaged tag; the pixels are fine)
        return img


def read_image(path: str | os.PathLike, size: int | None = IMAGE_SIZE, grayscale: bool = True) -> np.ndarray:
    """Read one image file as uint8 (H, W, 1 or 3), converted and resized as asked
    (:func:`open_image`'s checks and errors)."""
    from PIL import Image

    img = open_image(path, "L" if grayscale else "RGB")
    if size is not None and img.size != (size, size):
        img = img.resize((size, size), Image.BILINEAR)
    arr = np.asarray(img, np.uint8)
    return arr[..., None] if arr.ndim == 2 else arr


def tile(images: np.ndarray, cols: int, pad: int = 1, fill: int = 255) -> np.ndarray:
    """Arrange (N, H, W[, 1]) uint8 images into one (rows*H, cols*W) uint8 sheet."""
    images = np.asarray(images)
    if images.ndim == 4:
        images = images[..., 0]
    n, h, w = images.shape
    rows = int(np.ceil(n / cols))
    sheet = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad), fill, np.uint8)
    for k in range(n):
        r, c = divmod(k, cols)
        sheet[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = images[k]
    return sheet


def png_bytes(array: np.ndarray, scale: int = 1) -> bytes:
    """A uint8 (H, W[, 1]) array as the bytes of a grayscale PNG, optionally upscaled (nearest)."""
    import io

    from PIL import Image

    array = np.asarray(array)
    if array.ndim == 3:
        array = array[..., 0]
    img = Image.fromarray(array.astype(np.uint8))  # 2-D uint8: 8-bit grayscale ("L")
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    return buffer.getvalue()


def save_png(array: np.ndarray, path: str | Path, scale: int = 1) -> Path:
    """Write a uint8 (H, W[, 1]) array as a grayscale PNG, optionally upscaled (nearest),
    replacing ``path`` atomically (:func:`helpers.files.write_bytes`)."""
    from helpers.files import write_bytes

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_bytes(path, png_bytes(array, scale))
