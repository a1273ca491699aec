"""One way to write a file (helpers.files): whole or not at all, never over someone else's file,
and concurrent runs of the main command into one folder keep every face."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers.files import atomic_folder, atomic_path, claim, remove_leftovers, write_json

ROOT = Path(__file__).resolve().parent.parent


def test_an_atomic_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "config.json"
    write_json(target, {"epoch": 1})
    write_json(target, {"epoch": 2})
    assert target.read_text() == '{\n "epoch": 2\n}' and [p.name for p in tmp_path.iterdir()] == ["config.json"]
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "generator.keras"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            assert tmp.parent == tmp_path and tmp.name.endswith(".keras") and tmp.name.startswith(".generator.keras.")
            tmp.write_bytes(b"half a mod")
            raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["generator.keras"]


def test_a_claim_takes_the_first_free_name_and_never_replaces_one(tmp_path):
    (tmp_path / "Fear_0001.png").write_bytes(b"mine")
    names = [tmp_path / f"Fear_{i:04d}.png" for i in range(1, 4)]
    assert claim(b"a", names) == names[1] and claim(b"b", names) == names[2]
    assert [p.read_bytes() for p in names] == [b"mine", b"a", b"b"]
    with pytest.raises(FileExistsError, match="every name offered"):
        claim(b"c", names)
    assert sorted(p.name for p in tmp_path.iterdir()) == [p.name for p in names]  # no temporary file left


def test_a_folder_is_written_whole_and_a_killed_writer_leaves_only_what_a_resume_removes(tmp_path):
    final = tmp_path / "ckpt-0003"
    with pytest.raises(RuntimeError), atomic_folder(final) as tmp:
        (tmp / "a.weights.h5").write_bytes(b"half")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
    with atomic_folder(final) as tmp:
        (tmp / "state.json").write_text("{}")
    assert [p.name for p in final.iterdir()] == ["state.json"]
    # writers killed halfway leave their temporary files and folders
    killed = ("import os, signal, sys\nfrom pathlib import Path\nfrom helpers.files import atomic_folder, atomic_path\n"
              "target = Path(sys.argv[1])\n"
              "with (atomic_folder if sys.argv[2] == 'folder' else atomic_path)(target) as tmp:\n"
              "    (tmp / 'x' if sys.argv[2] == 'folder' else tmp).write_bytes(b'partial')\n"
              "    os.kill(os.getpid(), signal.SIGKILL)\n")
    for name, kind in (("generator.keras", "file"), ("config.json", "file"), ("discriminator.weights.h5", "file"),
                       ("ckpt-0004", "folder")):
        done = subprocess.run([sys.executable, "-c", killed, str(tmp_path / name), kind], cwd=Path(__file__).parent.parent)
        assert done.returncode == -9
    mine = [tmp_path / ".generator.previous.keras", tmp_path / ".profile", tmp_path / ".notes.txt"]
    for path in mine:
        path.write_text("the user's")
    removed = remove_leftovers(tmp_path)
    assert len(removed) == 4 and sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".generator.previous.keras", ".notes.txt", ".profile", "ckpt-0003"])


def test_eight_concurrent_runs_into_one_folder_keep_every_face(tmp_path):
    from PIL import Image

    out = tmp_path / "out"
    command = [sys.executable, str(ROOT / "Generative_model" / "Expression_generator.py"), "checkpoints/sngan_fer2013",
               "Happy", "16", str(out)]
    runs = [subprocess.Popen(command + ["--seed", str(seed)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for seed in range(8)]
    for run in runs:
        _, stderr = run.communicate(timeout=600)
        assert run.returncode == 0, stderr[-2000:]
    faces = sorted(out.glob("Happiness_[0-9]*.png"))
    grids = sorted(out.glob("Happiness_grid*.png"))
    assert [p.name for p in faces] == [f"Happiness_{i:04d}.png" for i in range(1, 129)] and len(grids) == 8
    for path in faces + grids:
        with Image.open(path) as image:
            image.load()
    pixels = {np.asarray(Image.open(p)).tobytes() for p in faces}
    assert len(pixels) == 128  # eight seeds' faces, none written over another's


WRITER = """
import sys
import time
from helpers.inference import generators
from helpers.training.gan_release import save_generator
from helpers.models.sngan_nets import sngan_generator

folder, rounds, pause = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
write_json = generators.write_json


def slow_write_json(*args, **kwargs):  # a slow disk: the new weights wait a while for their config
    time.sleep(pause)
    return write_json(*args, **kwargs)


generators.write_json = slow_write_json
config = {"kind": "sngan", "image_size": 48, "noise_dim": 8, "conditioning": "label", "output": "tanh",
          "expressions": list(range(7))}
nets = [sngan_generator(8, 4, embed_dim=4) for _ in range(2)]
for epoch in range(1, rounds + 1):
    net = nets[epoch % 2]
    net.get_layer("to_face").set_weights([w * 0 + epoch / 100 for w in net.get_layer("to_face").get_weights()])
    save_generator(folder, net, {**config, "epoch": epoch}, litert=False)
    time.sleep(pause)  # an epoch's training
"""


@pytest.mark.slow
def test_a_reader_sees_one_release_or_the_next_never_a_mix(tmp_path):
    """A writer replaces a release 8 times, on a slow disk (each config lands 0.6 s after its
    weights), while this process loads it as fast as it can: every load is one epoch's weights
    with that epoch's config (the to_face bias is epoch / 100)."""
    from helpers.inference.generators import MODEL_DIGEST, load_generator

    folder = tmp_path / "release"
    first = subprocess.run([sys.executable, "-c", WRITER, str(folder), "1", "0"], cwd=ROOT, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr[-2000:]
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(folder), "8", "0.6"], cwd=ROOT, stderr=subprocess.PIPE,
                              text=True)
    seen = set()
    while writer.poll() is None:
        release = load_generator(folder)
        bias = release.model.get_layer("to_face").get_weights()[1][0]
        assert bias == pytest.approx(release.config["epoch"] / 100) and MODEL_DIGEST in release.config
        seen.add(release.config["epoch"])
    assert writer.returncode == 0, writer.stderr.read()[-2000:]
    assert len(seen) > 3  # the reader really read while the writer wrote


def test_a_release_killed_twice_between_its_two_writes_still_loads_the_last_whole_one(tmp_path, monkeypatch):
    """Each kill lands after the new weights and before their config: the release must stay the
    last one written whole (epoch 1), at once, however many kills follow."""
    from helpers.inference import generators
    from helpers.inference.generators import load_generator
    from helpers.training import gan_release
    from helpers.training.gan_release import save_generator
    from helpers.models.sngan_nets import sngan_generator

    config = {"kind": "sngan", "image_size": 48, "noise_dim": 8, "conditioning": "label", "output": "tanh",
              "expressions": list(range(7))}
    net = sngan_generator(8, 4, embed_dim=4)

    def release(epoch):
        net.get_layer("to_face").set_weights([w * 0 + epoch / 100 for w in net.get_layer("to_face").get_weights()])
        save_generator(tmp_path, net, {**config, "epoch": epoch}, litert=False)

    release(1)
    monkeypatch.setattr(generators, "SWITCH_WAIT_S", 0.0)  # no waiting: the whole release must be there at once
    for epoch in (2, 3, 4):
        with monkeypatch.context() as killed:
            killed.setattr(gan_release, "write_json", lambda *args, **kwargs: (_ for _ in ()).throw(KeyboardInterrupt))
            with pytest.raises(KeyboardInterrupt):
                release(epoch)
        loaded = load_generator(tmp_path)
        assert loaded.config["epoch"] == 1 and loaded.model.get_layer("to_face").get_weights()[1][0] == pytest.approx(0.01)
    release(5)
    loaded = load_generator(tmp_path)
    assert loaded.config["epoch"] == 5 and loaded.model.get_layer("to_face").get_weights()[1][0] == pytest.approx(0.05)


@pytest.mark.slow
def test_weights_from_another_release_are_refused_in_one_line(tmp_path):
    import shutil

    from helpers.errors import UserError
    from helpers.inference import generators

    done = subprocess.run([sys.executable, "-c", WRITER, str(tmp_path / "a"), "2", "0"], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    shutil.copy("checkpoints/sngan_fer2013/generator.keras", tmp_path / "b" / "generator.keras")
    generators.SWITCH_WAIT_S = 0.2
    try:
        with pytest.raises(UserError, match="is not the one .* was written with .*copy both files from one release"):
            generators.load_generator(tmp_path / "b")
    finally:
        generators.SWITCH_WAIT_S = 10.0
