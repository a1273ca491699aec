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

from .data import REPO_ROOT

REFERENCE = REPO_ROOT / "checkpoints" / "reference_outputs.npz"
SHIPPED = {  # name -> (kind, path relative to the repository)
    "recognizer_fer2013": ("recognizer", "checkpoints/recognizer_fer2013.keras"),
    "deep_emotion_fer2013": ("recognizer", "checkpoints/deep_emotion_fer2013.keras"),
    "cwgan_fer2013": ("generator", "checkpoints/cwgan_fer2013"),
    "dcgan_fer2013": ("generator", "checkpoints/dcgan_fer2013"),
    "ccyclegan_fer2013": ("translator", "checkpoints/ccyclegan_fer2013"),
    "ccyclegan_synthetic": ("translator", "checkpoints/ccyclegan_synthetic"),
}
GREY_LEVELS = 1          # images: largest allowed difference, in grey levels
PROBABILITY_TOL = 1e-4   # recognizers: largest allowed difference of a probability
FACES, SOURCES, PER_EXPRESSION = 32, 8, 2


def fixed_inputs(kind: str, path: Path) -> np.ndarray:
    """The inputs a model of ``kind`` is checked on: synthetic faces for recognizers (32) and
    translators (8 sources), seeded noise for generators (``PER_EXPRESSION`` per expression)."""
    from .synthetic import make_synthetic_faces

    if kind == "generator":
        from .generation import load_generator

        generator = load_generator(path)
        return generator.noise(PER_EXPRESSION * len(generator.expressions), seed=2026)
    faces = make_synthetic_faces(FACES, seed=2026).images
    return faces if kind == "recognizer" else faces[:SOURCES]


def model_outputs(kind: str, path: Path, inputs: np.ndarray) -> np.ndarray:
    """What the model at ``path`` gives for ``inputs``: probabilities (recognizers), each source
    translated to every expression in turn (translators), or ``PER_EXPRESSION`` faces per
    expression, one per row of noise (generators)."""
    if kind == "recognizer":
        from .recognition import load_recognizer, predict_proba

        return predict_proba(load_recognizer(path), inputs)
    if kind == "translator":
        from .expressions import NUM_EXPRESSIONS
        from .translation import load_translator

        targets = np.repeat(np.arange(NUM_EXPRESSIONS), len(inputs))
        return load_translator(path).translate(np.tile(inputs, (NUM_EXPRESSIONS, 1, 1, 1)), targets)
    from .generation import load_generator

    generator = load_generator(path)
    return np.concatenate([generator.generate(e, 0, noise=inputs[i * PER_EXPRESSION:(i + 1) * PER_EXPRESSION])
                           for i, e in enumerate(generator.expressions)])


@dataclass
class Comparison:
    name: str
    kind: str
    ok: bool
    detail: str
    load_and_run_s: float


def compare(kind: str, expected: np.ndarray, got: np.ndarray) -> tuple[bool, str]:
    """Whether ``got`` matches ``expected`` within the tolerance of ``kind``, and a short account."""
    if got.shape != expected.shape:
        return False, f"output shape {got.shape}, expected {expected.shape}"
    if kind == "recognizer":
        same_argmax = bool((got.argmax(1) == expected.argmax(1)).all())
        diff = float(np.abs(got.astype(np.float64) - expected).max())
        return same_argmax and diff <= PROBABILITY_TOL, (f"argmax {'same' if same_argmax else 'DIFFERENT'} on {len(got)} "
                                                         f"faces, max |Δp| {diff:.1e} (≤ {PROBABILITY_TOL:.0e})")
    diff = int(np.abs(got.astype(np.int16) - expected.astype(np.int16)).max())
    return diff <= GREY_LEVELS, f"{len(got)} images, max difference {diff} grey level(s) (≤ {GREY_LEVELS})"


def check(reference: Path = REFERENCE, names=None) -> list[Comparison]:
    """Compare every shipped model (or ``names``) with its recorded outputs; a missing model or
    reference is a failed comparison, never a skip."""
    from .errors import UserError

    results = []
    with np.load(reference, allow_pickle=False) as stored:
        for name in names or SHIPPED:
            kind, path = SHIPPED[name]
            start = time.perf_counter()
            try:
                expected = stored[f"{name}/outputs"]
                got = model_outputs(kind, REPO_ROOT / path, stored[f"{name}/inputs"])
                ok, detail = compare(kind, expected, got)
            except (KeyError, UserError) as exc:
                ok, detail = False, str(exc).strip("'\"")
            results.append(Comparison(name, kind, ok, detail, time.perf_counter() - start))
    return results


def write(reference: Path = REFERENCE) -> Path:
    """Record every shipped model's inputs and outputs on this stack."""
    arrays = {}
    for name, (kind, path) in SHIPPED.items():
        inputs = arrays[f"{name}/inputs"] = fixed_inputs(kind, REPO_ROOT / path)
        arrays[f"{name}/outputs"] = model_outputs(kind, REPO_ROOT / path, inputs)
    np.savez_compressed(reference, **arrays)
    return reference


def main(argv=None) -> int:
    import argparse

    import keras
    import tensorflow as tf

    p = argparse.ArgumentParser(prog="python -m helpers.release_check", description=__doc__.split("\n\n")[0])
    p.add_argument("--write", action="store_true", help=f"record the outputs on this stack in {REFERENCE.name} (after a release)")
    p.add_argument("names", nargs="*", metavar="NAME", help=f"only these models (default: all): {', '.join(SHIPPED)}")
    args = p.parse_args(argv)
    if unknown := sorted(set(args.names) - set(SHIPPED)):
        p.error(f"not a shipped model: {', '.join(unknown)} (choose from {', '.join(SHIPPED)})")
    if args.write:
        print(f"wrote {write()}")
        return 0
    print(f"Keras {keras.__version__}, TensorFlow {tf.__version__}, NumPy {np.__version__}")
    results = check(names=args.names or None)
    for r in results:
        print(f"{'ok  ' if r.ok else 'FAIL'} {r.name:22s} {r.kind:10s} {r.detail}  [{r.load_and_run_s:.1f} s]")
    failed = [r.name for r in results if not r.ok]
    print(f"{len(results) - len(failed)} of {len(results)} shipped models give their recorded outputs"
          + (f"; different: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    import sys

    from .cli import run_cli

    run_cli(lambda argv: sys.exit(main(argv)))
