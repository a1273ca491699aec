"""Probe a sampling-time lever for realism: keep the faces a release's own discriminator scores
highest (discriminator rejection, after Azadi et al. 2019, in its simplest form: the top half of
twice as many candidates), and see whether the face models accept them more often.

    python tools/discriminator_selection.py [--release checkpoints/sngan_fer2013] [--truncation 1.5]

For each expression it draws 2N candidates (seed 500 + expression), scores each with the
discriminator saved beside the release (its projection score for the intended expression), and
prints each face model's acceptance of the first N candidates and of the N best-scored ones, as a
ratio to N real Training faces of that expression per face model (the targets' first real draw).
The face models only measure here: they choose nothing."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--release", default="checkpoints/sngan_fer2013", help="a projection cGAN release with its discriminator")
    p.add_argument("--truncation", type=float, default=None, help="the release's default unless given (inf: none)")
    p.add_argument("--per-expression", type=int, default=100, help="faces kept per expression (N)")
    args = p.parse_args()

    from helpers.data import load_dataset
    from helpers.data.pixels import to_model_range
    from helpers.evaluation.targets import balanced_indices
    from helpers.expressions import EXPRESSIONS, NUM_EXPRESSIONS
    from helpers.inference.face_models import load_face_models
    from helpers.inference.generators import load_generator
    from helpers.models.sngan_nets import sngan_discriminator

    n = args.per_expression
    generator = load_generator(args.release)
    train_args = generator.config["train_args"]
    discriminator = sngan_discriminator(train_args["d_width"], num_classes=NUM_EXPRESSIONS if train_args.get("ac_weight") else 0,
                                        attention=train_args.get("attention", False))
    discriminator.load_weights(Path(args.release) / "discriminator.weights.h5")
    models = load_face_models()
    x, y = load_dataset()["Training"]
    real = balanced_indices(y, n, range(NUM_EXPRESSIONS), 10_000)
    real_rates = {m.name: {e: m.accepts(x[real][y[real] == e]).mean() for e in range(NUM_EXPRESSIONS)} for m in models}
    rows = {(m.name, kept): [] for m in models for kept in ("first N", "best-scored N")}
    for e in range(NUM_EXPRESSIONS):
        faces = generator.generate(e, 2 * n, seed=500 + e, truncation=args.truncation)
        scores = discriminator([to_model_range(faces), np.full((len(faces), 1), e, np.int32)], training=False)
        scores = np.asarray(scores[0] if isinstance(scores, (list, tuple)) else scores)[:, 0]
        best = np.argsort(-scores)[:n]
        for m in models:
            accepted = m.accepts(faces)
            rows[(m.name, "first N")].append(accepted[:n].mean() / real_rates[m.name][e])
            rows[(m.name, "best-scored N")].append(accepted[best].mean() / real_rates[m.name][e])
    truncation = generator.truncation(args.truncation)
    print(f"{args.release} at ±{truncation:g}, N = {n}: accepted as faces / real Training faces of the expression")
    print(f"{'':26s}" + "".join(f"{name:>10s}" for name in EXPRESSIONS) + "      mean")
    for (name, kept), ratios in rows.items():
        print(f"{name + ', ' + kept:26s}" + "".join(f"{r:10.2f}" for r in ratios) + f"{np.mean(ratios):10.2f}")


if __name__ == "__main__":
    main()
