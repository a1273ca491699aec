"""Plots: class balance, training curves, confusion matrix, PCA scatter, GIFs (image grids as
PNG files are :mod:`helpers.data.images`)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from helpers.expressions import EXPRESSIONS, NUM_EXPRESSIONS


def _plt():
    import matplotlib.pyplot as plt

    return plt


def show_images(images, titles=None, cols: int = 8, size: float = 1.2, suptitle: str | None = None):
    """A matplotlib figure of grayscale images with optional titles."""
    plt = _plt()
    images = np.asarray(images)
    n = len(images)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * size * (1.15 if titles else 1.0)), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < n:
            ax.imshow(images[k].squeeze(), cmap="gray", vmin=0, vmax=255)
            if titles is not None:
                ax.set_title(titles[k], fontsize=7)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def samples_per_expression(x, y, per_class: int = 8, seed: int = 0, size: float = 1.0):
    """One row per expression with ``per_class`` random examples."""
    plt = _plt()
    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(NUM_EXPRESSIONS, per_class, figsize=(per_class * size, NUM_EXPRESSIONS * size), squeeze=False)
    for c in range(NUM_EXPRESSIONS):
        idx = np.flatnonzero(y == c)
        pick = rng.choice(idx, size=min(per_class, len(idx)), replace=False) if len(idx) else []
        for j, ax in enumerate(axes[c]):
            ax.set_xticks([])
            ax.set_yticks([])
            if j < len(pick):
                ax.imshow(x[pick[j]].squeeze(), cmap="gray", vmin=0, vmax=255)
        axes[c, 0].set_ylabel(EXPRESSIONS[c], rotation=0, ha="right", va="center", fontsize=9)
    fig.tight_layout()
    return fig


def class_balance(splits: dict):
    """Bar chart of the number of images per expression, one group of bars per split."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 3.5))
    width = 0.8 / max(1, len(splits))
    for k, (usage, (_, y)) in enumerate(splits.items()):
        counts = np.bincount(y[y >= 0], minlength=NUM_EXPRESSIONS)
        ax.bar(np.arange(NUM_EXPRESSIONS) + k * width, counts / max(1, counts.sum()), width, label=f"{usage} (n={len(y):,})")
    ax.set_xticks(np.arange(NUM_EXPRESSIONS) + width * (len(splits) - 1) / 2, EXPRESSIONS)
    ax.set_ylabel("share of split")
    ax.legend()
    ax.set_title("Class balance per split")
    fig.tight_layout()
    return fig


def training_curves(history, keys=None, title: str | None = None):
    """Plot columns of a history (dict of lists or DataFrame) against the epoch, one panel per
    metric family (``loss``/``val_loss`` share a panel)."""
    plt = _plt()
    import pandas as pd

    df = pd.DataFrame(history)
    keys = keys or [k for k in df.columns if k not in ("epoch", "wall_s", "learning_rate") and not k.startswith("val_")]
    fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3), squeeze=False)
    epochs = df["epoch"] + 1 if "epoch" in df else np.arange(1, len(df) + 1)
    for ax, key in zip(axes[0], keys):
        ax.plot(epochs, df[key], label=key)
        if f"val_{key}" in df:
            ax.plot(epochs, df[f"val_{key}"], label=f"val_{key}")
        ax.set_xlabel("epoch")
        ax.set_title(key)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def confusion_matrix(cm: np.ndarray, labels=EXPRESSIONS, normalize: bool = True, title: str = "Confusion matrix"):
    """Heat map of a confusion matrix (rows: true, columns: predicted)."""
    plt = _plt()
    cm = np.asarray(cm, float)
    shown = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalize else cm
    fig, ax = plt.subplots(figsize=(5.5, 4.8))
    im = ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, f"{shown[i, j]:.2f}" if normalize else f"{int(cm[i, j])}", ha="center", va="center",
                    fontsize=7, color="white" if shown[i, j] > 0.5 * shown.max() else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def save_gif(frames, path: str | Path, duration: float = 0.4, scale: int = 2) -> Path:
    """Assemble uint8 frames (each (H, W)) into an animated GIF, written atomically."""
    from PIL import Image

    from helpers.files import atomic_path

    images = [Image.fromarray(np.asarray(f).squeeze().astype(np.uint8)) for f in frames]
    if scale != 1:
        images = [im.resize((im.width * scale, im.height * scale), Image.NEAREST) for im in images]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=int(duration * 1000), loop=0)
    return path
