"""The shipped models in a browser: a Starlette app whose page (``web_page/``) has a Generate, a
Recognize and a Translate tab, each a call of :mod:`helpers.inference.showcase` behind one JSON
endpoint. The command is ``python -m helpers.app``; in a notebook, :func:`show` serves it from a
background thread and shows it inline (Colab too).

Requests carry no state: each answer goes back to the request that asked, so browser sessions
never share results or files. The models run one request at a time (a LiteRT interpreter is not
safe to call from two threads at once). Photos are posted as the file's bytes and read by the
project's own reader, so anything that is not an image, or an image too large to decode, is a
message in the page.
"""
from __future__ import annotations

import base64
import json
import math
import socket
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from helpers.errors import UserError
from helpers.inference.showcase import MAX_FACES, Models

PAGE = Path(__file__).with_name("web_page")
PAGE_FILES = {"/": ("index.html", "text/html"), "/page.js": ("page.js", "text/javascript"),
              "/page.css": ("page.css", "text/css")}
MAX_UPLOAD_BYTES = 40 * 2**20
NO_PHOTO = "choose a photo first (upload, paste or webcam)"
#: the Generate tab's names, in the order of the main command's examples
GENERATE_EXPRESSIONS = ["Surprise", "Fear", "Disgust", "Happiness", "Sadness", "Anger", "Neutral"]


def png_data_url(image: np.ndarray) -> str:
    """A uint8 grayscale (H, W) or RGB (H, W, 3) image as a ``data:image/png`` URL."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(out, format="PNG")
    return data_url(out.getvalue(), "image/png")


def data_url(payload: bytes, media_type: str) -> str:
    """``payload`` as a ``data:`` URL of ``media_type``, for the page to show or download."""
    return f"data:{media_type};base64," + base64.b64encode(payload).decode("ascii")


def require_app_extra() -> None:
    """A UserError naming the install when Starlette or uvicorn is missing."""
    import importlib.util

    if not all(importlib.util.find_spec(name) for name in ("starlette", "uvicorn")):
        raise UserError("the app needs Starlette and uvicorn: pip install -e .[app] (in a notebook: %pip install -e .[app])")


def build_app(models: Models | None = None):
    """The app over ``models`` (default: the shipped ones, on LiteRT where they have twins)."""
    require_app_extra()
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import FileResponse, JSONResponse
    from starlette.routing import Route

    from helpers.inference.showcase import expressions_in, faces_for, translations_of

    models = models or Models.load()
    one_at_a_time = threading.Lock()

    def info(_request: Request):
        truncation = models.generator.config.get("truncation")
        return JSONResponse({"expressions": GENERATE_EXPRESSIONS, "max_faces": MAX_FACES,
                             "truncation": truncation, "generator": Path(models.generator.path).name})

    def generate(values: dict) -> dict:
        count, seed, truncation = (numeric(values, key) for key in ("count", "seed", "truncation"))
        images, archive, name = faces_for(models, str(values.get("expression", "")), count, seed,
                                          math.inf if truncation is None else truncation)
        return {"faces": [png_data_url(image) for image in images],
                "archive": {"name": name, "url": data_url(archive, "application/zip")}}

    def recognize(photo: Path, name: str) -> dict:
        annotated, records = expressions_in(models, photo)
        for record in records:
            record["file"] = name
        return {"annotated": png_data_url(annotated), "records": records}

    def translate(photo: Path, _name: str) -> dict:
        return {"sheet": png_data_url(translations_of(models, photo))}

    def answer(work, *args) -> dict:
        with one_at_a_time:
            return work(*args)

    async def on_values(request: Request, work):
        try:
            values = json.loads(await request.body() or b"{}")
        except ValueError:
            values = None
        if not isinstance(values, dict):
            return JSONResponse({"error": "the request must be a JSON object of the tab's values"}, 400)
        try:
            return JSONResponse(await run_in_threadpool(answer, work, values))
        except UserError as exc:
            return JSONResponse({"error": str(exc)}, 400)

    async def on_photo(request: Request, work):
        name = Path(request.query_params.get("name", "")).name or "photo"
        try:
            payload = await uploaded(request)
        except UserError as exc:
            return JSONResponse({"error": str(exc)}, 400)
        with tempfile.TemporaryDirectory(prefix="expression-app-") as folder:
            photo = Path(folder) / "photo"
            photo.write_bytes(payload)
            try:
                return JSONResponse(await run_in_threadpool(answer, work, photo, name))
            except UserError as exc:
                return JSONResponse({"error": str(exc).replace(str(photo), name)}, 400)

    def page_file(request: Request):
        name, media_type = PAGE_FILES[request.url.path]
        return FileResponse(PAGE / name, media_type=media_type, headers={"Cache-Control": "no-cache"})

    async def generate_route(request):
        return await on_values(request, generate)

    async def recognize_route(request):
        return await on_photo(request, recognize)

    async def translate_route(request):
        return await on_photo(request, translate)

    return Starlette(routes=[*(Route(path, page_file) for path in PAGE_FILES), Route("/api/info", info),
                             Route("/api/generate", generate_route, methods=["POST"]),
                             Route("/api/recognize", recognize_route, methods=["POST"]),
                             Route("/api/translate", translate_route, methods=["POST"])])


def numeric(values: dict, key: str) -> float | None:
    """``values[key]`` as a number, None when absent or empty; a UserError naming ``key`` otherwise."""
    value = values.get(key)
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UserError(f"the {key} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise UserError(f"the {key} must be a finite number, got {value!r}")
    return int(number) if number.is_integer() else number


async def uploaded(request) -> bytes:
    """The posted photo's bytes; a UserError when there are none or more than :data:`MAX_UPLOAD_BYTES`."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise UserError(f"the photo is larger than {MAX_UPLOAD_BYTES // 2**20} MB: send a smaller one")
        chunks.append(chunk)
    if not size:
        raise UserError(NO_PHOTO)
    return b"".join(chunks)


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (port 0: a free one); a UserError when that is not possible."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise UserError(f"cannot listen on {host}:{port} (the port is taken, or the address is not this computer's): "
                        "choose another --port or --host") from None
    sock.listen(128)
    return sock


def server(app, sock: socket.socket):
    """A uvicorn server for ``app`` on the bound ``sock``, quiet except for errors, which go to
    Python's logging as configured by whoever runs it (uvicorn's own logging set-up would bind
    its handlers to the stderr of the moment, which a notebook or a test replaces)."""
    import uvicorn

    host, port = sock.getsockname()[:2]
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None, log_level="warning",
                                         access_log=False))


def serve(app, sock: socket.socket) -> None:
    """Serve ``app`` on ``sock`` until Ctrl+C."""
    server(app, sock).run(sockets=[sock])


def show(models: Models | None = None, port: int = 0, height: int = 900):
    """Serve the app from a background thread of this notebook's kernel and show it in the
    notebook: through Colab's kernel proxy on Colab, as an iframe of ``127.0.0.1`` elsewhere.
    Returns the server; ``server.should_exit = True`` stops it."""
    from IPython.display import IFrame, display

    sock = listening_socket("127.0.0.1", port)
    running = server(build_app(models), sock)
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not running.started:
        if not thread.is_alive():
            raise RuntimeError("the app's server stopped while starting; its error is in the log above")
        time.sleep(0.05)
    port = sock.getsockname()[1]
    try:
        from google.colab import output
    except ImportError:
        display(IFrame(f"http://127.0.0.1:{port}/", width="100%", height=height))
    else:
        output.serve_kernel_port_as_iframe(port, height=str(height))
    return running
