"""The web app: what each tab does, without the web (helpers.inference.showcase), and the page
itself in a real browser (headless Chromium from the distribution, driven by Playwright)."""
from __future__ import annotations

import base64
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from PIL import Image

from helpers.errors import UserError
from helpers.expressions import EXPRESSIONS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def models():
    from helpers.inference.showcase import Models

    return Models.load()


@pytest.fixture(scope="module")
def astronaut(tmp_path_factory) -> Path:
    from skimage import data

    path = tmp_path_factory.mktemp("photos") / "astronaut.png"
    Image.fromarray(data.astronaut()).save(path)
    return path


def test_the_generate_tab_gives_the_main_commands_faces_byte_for_byte(tmp_path, models, run_python):
    from helpers.inference.showcase import faces_for

    images, archive, name = faces_for(models, "Fear", 5, 7, None)
    assert len(images) == 5 and images[0].shape == (192, 192) and name == "Fear_seed7.zip"
    done = run_python(["Generative_model/Expression_generator.py", "checkpoints/sngan_fer2013", "Fear", "5",
                       str(tmp_path), "--seed", "7"])
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(io.BytesIO(archive)) as files:
        assert files.namelist() == [f"Fear_{i:04d}.png" for i in range(1, 6)]
        for member in files.namelist():
            assert files.read(member) == (tmp_path / member).read_bytes()


@pytest.mark.parametrize("expression,count,seed,fragment", [
    ("Fear", 0, 0, "from 1 to 64"), ("Fear", 65, 0, "from 1 to 64"), ("Fear", 2.5, 0, "from 1 to 64"),
    ("Smile", 4, 0, "unknown expression"), ("Fear", 4, -1, "the seed")])
def test_the_generate_tab_refuses_bad_values_in_one_line(models, expression, count, seed, fragment):
    from helpers.inference.showcase import faces_for

    with pytest.raises(UserError, match=fragment):
        faces_for(models, expression, count, seed, None)


def _bomb(path: Path) -> Path:
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (len(payload).to_bytes(4, "big") + kind + payload
                + zlib.crc32(kind + payload).to_bytes(4, "big"))

    header = chunk(b"IHDR", (50_000).to_bytes(4, "big") * 2 + bytes([1, 0, 0, 0, 0]))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", zlib.compress(bytes(1000))) + chunk(b"IEND", b""))
    return path


def test_the_photo_tabs_read_a_face_and_refuse_what_is_not_one(tmp_path, models, astronaut):
    from helpers.inference.showcase import expressions_in, translations_of

    annotated, records = expressions_in(models, astronaut)
    assert annotated.shape == (512, 512, 3) and records[0]["label"] == "Happy"
    assert sorted(records[0]["probabilities"]) == sorted(EXPRESSIONS)
    sheet = translations_of(models, astronaut)
    assert sheet.shape[1] == 3 * (8 * 49 + 1)  # a face and its 7 translations, 3x enlarged
    (tmp_path / "notes.png").write_text("not an image")
    Image.fromarray(np.full((200, 200, 3), 128, np.uint8)).save(tmp_path / "grey.png")
    for path, fragment in ((tmp_path / "notes.png", "not a readable image"), (_bomb(tmp_path / "bomb.png"), "pixels"),
                           (tmp_path / "grey.png", "no face found")):
        for handler in (expressions_in, translations_of):
            with pytest.raises(UserError, match=fragment):
                handler(models, path)


# ------------------------------------------------------------------------------ in a browser
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served():
    """The app on a free port of 127.0.0.1, started as a user starts it; yields (address, seconds
    from start to the first answer)."""
    pytest.importorskip("uvicorn", reason="the app extra: pip install -e .[app]")
    port = _free_port()
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "helpers.app", "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    address = f"http://127.0.0.1:{port}/"
    try:
        while True:
            try:
                urllib.request.urlopen(address, timeout=2)
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()[-3000:]
                assert time.monotonic() - start < 180, "the app did not answer within 180 s"
                time.sleep(0.2)
        yield address, time.monotonic() - start
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _post(address: str, path: str, body: bytes) -> tuple[int, dict]:
    """The status and JSON answer of POSTing ``body`` to ``address + path``."""
    try:
        answer = urllib.request.urlopen(address + path, body, timeout=120)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)
    return answer.status, json.load(answer)


def _data(url: str) -> bytes:
    return base64.b64decode(url.split(",", 1)[1])


def test_the_server_answers_each_tab_and_keeps_running_after_bad_input(served, models, astronaut, tmp_path):
    from helpers.inference.showcase import faces_for

    address, _ = served
    info = json.load(urllib.request.urlopen(address + "api/info", timeout=30))
    assert info["truncation"] == models.generator.config["truncation"] and "Happiness" in info["expressions"]
    status, answer = _post(address, "api/generate",
                           json.dumps({"expression": "Fear", "count": 5, "seed": 7, "truncation": None}).encode())
    assert status == 200 and answer["archive"]["name"] == "Fear_seed7.zip" and len(answer["faces"]) == 5
    assert _data(answer["archive"]["url"]) == faces_for(models, "Fear", 5, 7, float("inf"))[1]
    status, answer = _post(address, "api/recognize?name=astronaut.png", astronaut.read_bytes())
    assert status == 200 and answer["records"][0]["label"] == "Happy" and answer["records"][0]["file"] == "astronaut.png"
    assert Image.open(io.BytesIO(_data(answer["annotated"]))).size == (512, 512)
    status, answer = _post(address, "api/translate?name=astronaut.png", astronaut.read_bytes())
    assert status == 200 and Image.open(io.BytesIO(_data(answer["sheet"]))).size[0] == 3 * (8 * 49 + 1)

    too_large = bytes(41 * 2**20)
    for path, body, fragment in [
            ("api/generate", json.dumps({"expression": "Fear", "count": 0}).encode(), "from 1 to 64"),
            ("api/generate", json.dumps({"expression": "Fear", "count": "many"}).encode(), "count must be a number"),
            ("api/generate", b"{not json", "JSON object"),
            ("api/generate", json.dumps({"expression": "Fear", "count": 4, "truncation": 0}).encode(), "truncation"),
            ("api/recognize?name=notes.txt", b"this is a text file", "notes.txt: not a readable image"),
            ("api/recognize?name=bomb.png", _bomb(tmp_path / "bomb.png").read_bytes(), "pixels an image may have"),
            ("api/translate?name=../../x.png", b"", "choose a photo first"),
            ("api/translate?name=big.png", too_large, "larger than 40 MB")]:
        status, answer = _post(address, path, body)
        assert status == 400 and fragment in answer["error"] and "\n" not in answer["error"], (path, answer)
    assert urllib.request.urlopen(address + "api/info", timeout=30).status == 200  # still running


def test_the_command_refuses_a_taken_port_in_one_line(served):
    port = served[0].rsplit(":", 1)[1].strip("/")
    done = subprocess.run([sys.executable, "-m", "helpers.app", "--port", port], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 2 and done.stderr.strip().splitlines() == [
        (f"error: cannot listen on 127.0.0.1:{port} (the port is taken, or the address is not this computer's): "
         "choose another --port or --host")]


def test_a_notebook_shows_the_app_inline_from_a_background_thread(models):
    pytest.importorskip("uvicorn", reason="the app extra: pip install -e .[app]")
    pytest.importorskip("IPython", reason="the notebooks extra: pip install -e .[notebooks]")
    from helpers.app import parse_args
    from helpers.inference.web import show

    with mock.patch("IPython.display.display") as display:
        running = show(models)
    try:
        address = f"http://127.0.0.1:{running.config.port}/"
        (frame,), _ = display.call_args  # outside Colab: an iframe of the local address
        assert type(frame).__name__ == "IFrame" and frame.src == address
        assert b"Expression faces" in urllib.request.urlopen(address, timeout=30).read()
    finally:
        running.should_exit = True
    args = parse_args([])
    assert (args.host, args.port) == ("127.0.0.1", 7860)  # this computer only, unless asked


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api", reason="the app extra: pip install -e .[app]")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no Chromium: apt-get install -y chromium (.ci/run installs it)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield browser
        browser.close()


def _screenshot(page, name: str, tmp_path: Path) -> Path:
    """Screenshots go to $APP_SCREENSHOTS (docs/images/ when the README's pictures are redrawn)."""
    folder = Path(os.environ.get("APP_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)
    return folder / name


def _body(page) -> str:
    return page.evaluate("document.body.innerText")


@pytest.mark.slow
def test_the_app_in_a_browser(served, browser, astronaut, tmp_path):
    address, first_answer_s = served
    print(f"first answer {first_answer_s:.1f} s after start")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(address)
    page.get_by_role("button", name="Generate", exact=True).click()
    page.wait_for_function("[...document.querySelectorAll('img')].filter(i => i.complete && i.naturalWidth === 192)"
                           ".length >= 16", timeout=120_000)  # 16 faces at 4x, loaded
    page.get_by_text("Happiness_seed0.zip", exact=True).wait_for(timeout=60_000)  # the zip, named by its seed
    assert Image.open(_screenshot(page, "app_generate.png", tmp_path)).size[0] == 1280
    page.get_by_label("Faces", exact=True).fill("0")
    page.get_by_role("button", name="Generate", exact=True).click()
    page.get_by_text("the number of faces must be a whole number from 1 to 64, got 0").wait_for(timeout=60_000)

    page.get_by_role("tab", name="Recognize").click()
    page.get_by_role("button", name="Read the expressions").click()  # no photo yet
    page.get_by_text("choose a photo first (upload, paste or webcam)").wait_for(timeout=60_000)
    page.locator("input[type=file]").first.set_input_files(str(astronaut))
    page.get_by_role("button", name="Read the expressions").click()
    page.wait_for_function("document.body.innerText.includes('Happy') && document.body.innerText.includes('box')",
                           timeout=120_000)
    page.wait_for_function("[...document.querySelectorAll('img')].filter(i => i.naturalWidth === 512).length >= 2",
                           timeout=60_000)  # the photo and its annotated copy
    page.get_by_role("img", name="face 1: Happy").wait_for(timeout=60_000)  # the bar chart
    _screenshot(page, "app_recognize.png", tmp_path)

    text = tmp_path / "not_a_photo.png"
    text.write_text("this is a text file")
    page.get_by_role("tab", name="Translate").click()
    page.locator("input[type=file]").last.set_input_files(str(text))
    page.get_by_role("button", name="Change the expressions").click()
    page.get_by_text("not a readable image").first.wait_for(timeout=60_000)
    page.reload()
    page.get_by_role("tab", name="Recognize").click()
    page.locator("input[type=file]").first.set_input_files(str(_bomb(tmp_path / "bomb.png")))
    page.get_by_role("button", name="Read the expressions").click()
    page.get_by_text("pixels an image may have").first.wait_for(timeout=60_000)  # refused from its header
    page.reload()
    page.get_by_role("tab", name="Translate").click()
    page.locator("input[type=file]").last.set_input_files(str(astronaut))
    page.get_by_role("button", name="Change the expressions").click()
    page.wait_for_function("[...document.querySelectorAll('img')].some(i => i.naturalWidth === 3 * (8 * 49 + 1))",
                           timeout=120_000)
    _screenshot(page, "app_translate.png", tmp_path)


@pytest.mark.slow
def test_two_sessions_at_once_get_their_own_faces(served, browser):
    address, _ = served
    pages = []
    for seed in (11, 12):
        page = browser.new_context().new_page()
        page.goto(address)
        seed_box = page.get_by_label("Seed (the same seed, the same faces)")
        seed_box.fill(str(seed))
        pages.append(page)
    for page in pages:  # both requests are in flight before either is read
        page.get_by_role("button", name="Generate", exact=True).click()
    for page, seed in zip(pages, (11, 12)):
        page.get_by_text(f"Happiness_seed{seed}.zip", exact=True).wait_for(timeout=120_000)
        assert f"Happiness_seed{23 - seed}" not in _body(page)
