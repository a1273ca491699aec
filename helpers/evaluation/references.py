"""Do the shipped models give, on this stack, the outputs they gave when they were released?

``checkpoints/reference_outputs.npz`` holds, for every shipped model, fixed inputs and the
outputs the model gave for them on the stack that released it:

- generators: 2 faces per expression from fixed noise, compared within 1 grey level;
- translators: 8 synthetic faces translated to each expression, within 1 grey level;
- recognizers: the probabilities of 32 synthetic faces, compared by argmax and within 1e-4.

``python -m helpers.release_check`` loads each model (safe mode, no pickle), compares, prints one
line per model and exits with status 1 when one differs. ``--write`` records the outputs again,
after a release; ``tools/check_stacks.py`` runs the check on every supported stack."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from helpers.data import REPO_ROOT

REFERENCE = REPO_ROOT / "checkpoints" / "reference_outputs.npz"
SHIPPED = {  # name -> (kind, path relative to the repository)
    "recognizer_fer2013": ("recognizer", "checkpoints/recognizer_fer2013.keras"),
    "deep_emotion_fer2013": ("recognizer", "checkpoints/deep_emotion_fer2013.keras"),
    "cwgan_fer2013": ("generator", "checkpoints/cwgan_fer2013"),
    "dcgan_fer2013": ("generator", "checkpoints/dcgan_fer2013"),
    "ccyclegan_fer2013": ("translator", "checkpoints/ccyclegan_fer2013"),
    "ccyclegan_synthetic": ("translator", "checkpoints/ccyclegan_synthetic"),
    "sngan_fer2013": ("generator", "checkpoints/sngan_fer2013"),
    "fer_judge_v1": ("recognizer", "checkpoints/judge/fer_judge_v1.keras"),
}
GREY_LEVELS = 1          # images: largest allowed difference, in grey levels
PROBABILITY_TOL = {"keras": 1e-4, "litert": 1e-3}  # recognizers: largest allowed difference of a probability
FACES, SOURCES, PER_EXPRESSION = 32, 8, 2


def fixed_inputs(kind: str, path: Path) -> np.ndarray:
    """The inputs a model of ``kind`` is checked on: synthetic faces for recognizers (32) and
    translators (8 sources), seeded noise for generators (``PER_EXPRESSION`` per expression)."""
    from helpers.data.synthetic import make_synthetic_faces

    if kind == "generator":
        from helpers.inference.generators import load_generator

        generator = load_generator(path)
        return generator.noise(PER_EXPRESSION * len(generator.expressions), seed=2026)
    faces = make_synthetic_faces(FACES, seed=2026).images
    return faces if kind == "recognizer" else faces[:SOURCES]


def model_outputs(kind: str, path: Path, inputs: np.ndarray, backend: str = "keras") -> np.ndarray:
    """What the model at ``path`` (its Keras file, or its LiteRT twin with ``backend="litert"``)
    gives for ``inputs``: probabilities (recognizers), each source translated to every expression
    in turn (translators), or ``PER_EXPRESSION`` faces per expression, one per row of noise (generators)."""
    if kind == "recognizer":
        from helpers.inference.recognition import load_recognizer, predict_proba

        return predict_proba(load_recognizer(path, backend=backend), inputs)
    if kind == "translator":
        from helpers.expressions import NUM_EXPRESSIONS
        from helpers.inference.translation import load_translator

        targets = np.repeat(np.arange(NUM_EXPRESSIONS), len(inputs))
        return load_translator(path, backend=backend).translate(np.tile(inputs, (NUM_EXPRESSIONS, 1, 1, 1)), targets)
    from helpers.inference.generators import load_generator

    generator = load_generator(path, backend=backend)
    return np.concatenate([generator.generate(e, 0, noise=inputs[i * PER_EXPRESSION:(i + 1) * PER_EXPRESSION])
                           for i, e in enumerate(generator.expressions)])


@dataclass
class Comparison:
    name: str
    kind: str
    ok: bool
    detail: str
    load_and_run_s: float


def compare(kind: str, expected: np.ndarray, got: np.ndarray, backend: str = "keras") -> tuple[bool, str]:
    """Whether ``got`` matches ``expected`` within the tolerance of ``kind`` (and, for
    recognizers, of ``backend``), and a short account."""
    if got.shape != expected.shape:
        return False, f"output shape {got.shape}, expected {expected.shape}"
    if kind == "recognizer":
        tol = PROBABILITY_TOL[backend]
        same_argmax = bool((got.argmax(1) == expected.argmax(1)).all())
        diff = float(np.abs(got.astype(np.float64) - expected).max())
        return same_argmax and diff <= tol, (f"argmax {'same' if same_argmax else 'DIFFERENT'} on {len(got)} "
                                             f"faces, max |Δp| {diff:.1e} (≤ {tol:.0e})")
    diff = int(np.abs(got.astype(np.int16) - expected.astype(np.int16)).max())
    return diff <= GREY_LEVELS, f"{len(got)} images, max difference {diff} grey level(s) (≤ {GREY_LEVELS})"


def check(reference: Path = REFERENCE, names=None, backend: str = "keras") -> list[Comparison]:
    """Compare every shipped model (or ``names``) with the outputs its Keras file gave at release;
    with ``backend="litert"``, its LiteRT twin's outputs. A missing model or reference is a failed
    comparison, never a skip."""
    from helpers.errors import UserError

    results = []
    with np.load(reference, allow_pickle=False) as stored:
        for name in names or SHIPPED:
            kind, path = SHIPPED[name]
            start = time.perf_counter()
            try:
                expected = stored[f"{name}/outputs"]
                got = model_outputs(kind, REPO_ROOT / path, stored[f"{name}/inputs"], backend)
                ok, detail = compare(kind, expected, got, backend)
            except (KeyError, UserError) as exc:
                ok, detail = False, str(exc).strip("'\"")
            results.append(Comparison(name, kind, ok, detail, time.perf_counter() - start))
    return results


def write(reference: Path = REFERENCE, names=None) -> Path:
    """Record the inputs and outputs of the shipped models ``names`` (default: all) on this
    stack; the other models keep what ``reference`` recorded for them."""
    arrays = {}
    if names and reference.exists():
        with np.load(reference, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in stored.files if key.split("/")[0] in SHIPPED}
    for name in names or SHIPPED:
        kind, path = SHIPPED[name]
        inputs = arrays[f"{name}/inputs"] = fixed_inputs(kind, REPO_ROOT / path)
        arrays[f"{name}/outputs"] = model_outputs(kind, REPO_ROOT / path, inputs)
    np.savez_compressed(reference, **arrays)
    return reference
