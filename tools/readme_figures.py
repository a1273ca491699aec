"""Draw the README's pictures from the shipped models: new faces for each of the seven expressions
(the main command's generator) and one translation sheet (PublicTest faces, each changed to all
seven expressions). Fixed seeds, so the same files come back on every run.

    python tools/readme_figures.py                 # writes docs/images/generated_faces.png and translations.png
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from helpers.cli import run_cli
from helpers.data import REPO_ROOT
from helpers.expressions import EXPRESSIONS, NUM_EXPRESSIONS


def labelled_sheet(rows: np.ndarray, row_labels, column_labels, path: Path, size: float = 0.62) -> Path:
    """(R, C, 48, 48, 1) uint8 faces as one labelled grayscale figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_rows, n_cols = rows.shape[:2]
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(n_cols * size + 0.9, n_rows * size + 0.3), squeeze=False,
                             gridspec_kw={"wspace": 0.04, "hspace": 0.04})
    for r in range(n_rows):
        for c in range(n_cols):
            ax = axes[r, c]
            ax.imshow(rows[r, c, ..., 0], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
            ax.set_xticks([]), ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if c == 0 and row_labels is not None:
                ax.set_ylabel(row_labels[r], rotation=0, ha="right", va="center", fontsize=9)
            if r == 0 and column_labels is not None:
                ax.set_title(column_labels[c], fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight", facecolor="white")
    plt.close(fig)
    return path


def main(argv=None):
    p = argparse.ArgumentParser(prog="python tools/readme_figures.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--generator", default="checkpoints/sngan_fer2013")
    p.add_argument("--translator", default="checkpoints/ccyclegan_fer2013")
    p.add_argument("--per-row", type=int, default=10, help="faces per expression")
    p.add_argument("--sources", type=int, default=4, help="PublicTest faces in the translation sheet")
    p.add_argument("--seed", type=int, default=2, help="which PublicTest faces: one of a random expression each")
    p.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "images")
    args = p.parse_args(argv)

    from helpers.data import load_dataset
    from helpers.inference.generators import load_generator
    from helpers.inference.translation import load_translator

    generator = load_generator(args.generator)
    faces = np.stack([generator.generate(e, args.per_row, seed=e) for e in range(NUM_EXPRESSIONS)])
    print("wrote", labelled_sheet(faces, EXPRESSIONS, None, args.out / "generated_faces.png"))

    x, y = load_dataset()["PublicTest"]
    rng = np.random.default_rng(args.seed)
    picks = [int(rng.choice(np.flatnonzero(y == e))) for e in rng.choice(NUM_EXPRESSIONS, args.sources, replace=False)]
    sheet = load_translator(args.translator).sheet(x[picks])
    print("wrote", labelled_sheet(sheet, None, ["source", *EXPRESSIONS], args.out / "translations.png"))


if __name__ == "__main__":
    run_cli(main)
