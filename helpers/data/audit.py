"""Data audits: exact duplicates within and across splits (FER2013 is known to leak), and a
summary of the splits."""
from __future__ import annotations

import hashlib
from collections import defaultdict
from itertools import combinations

import numpy as np

from helpers.expressions import NUM_EXPRESSIONS


def image_hashes(images: np.ndarray) -> list[bytes]:
    """A 128-bit BLAKE2b digest of each image's pixels."""
    images = np.ascontiguousarray(images)
    return [hashlib.blake2b(img.tobytes(), digest_size=16).digest() for img in images]


def exact_duplicates(splits: dict) -> dict:
    """Find pixel-identical images within and across the splits of ``{usage: (x, y)}``.

    Returns a dict with:

    * ``within``: per split, the number of images that repeat an earlier image of that split;
    * ``across``: per pair of splits, the number of images of the second split whose exact
      pixels also occur in the first (the leak an evaluation on the second split suffers);
    * ``label_conflicts``: per pair (within or across), how many of those duplicates carry a
      different label;
    * ``pairs``: examples as ``(usage_a, index_a, usage_b, index_b)``, in file order.
    """
    where = defaultdict(list)  # hash -> [(usage, index)]
    for usage, (x, _) in splits.items():
        for i, h in enumerate(image_hashes(x)):
            where[h].append((usage, i))
    usages = list(splits)
    within = {u: 0 for u in usages}
    across = {f"{a}/{b}": 0 for a, b in combinations(usages, 2)}
    conflicts = defaultdict(int)
    pairs = []
    for places in where.values():
        if len(places) < 2:
            continue
        seen_in = defaultdict(list)
        for usage, i in places:
            seen_in[usage].append(i)
        for usage, idx in seen_in.items():
            within[usage] += len(idx) - 1
            labels = splits[usage][1][idx]
            if len(set(labels.tolist())) > 1:
                conflicts[usage] += len(idx) - 1
        for a, b in combinations([u for u in usages if u in seen_in], 2):
            across[f"{a}/{b}"] += len(seen_in[b])
            if set(splits[a][1][seen_in[a]].tolist()) != set(splits[b][1][seen_in[b]].tolist()):
                conflicts[f"{a}/{b}"] += len(seen_in[b])
        first = places[0]
        pairs.extend((first[0], first[1], u, i) for u, i in places[1:])
    pairs.sort(key=lambda p: (usages.index(p[0]), p[1]))
    return {"within": within, "across": across, "label_conflicts": dict(conflicts), "pairs": pairs,
            "unique_images": len(where), "total_images": sum(len(x) for x, _ in splits.values())}


def describe_splits(splits) -> str:
    """One line per split of ``splits`` (:class:`helpers.data.Splits`): its array shape and its
    faces per expression; and the number of malformed rows skipped, if any."""
    lines = [f"{usage:12s} {x.shape} labels per class: {np.bincount(y[y >= 0], minlength=NUM_EXPRESSIONS).tolist()}"
             for usage, (x, y) in splits.items()]
    return "\n".join(lines + ([f"skipped {splits.skipped} malformed rows"] if splits.skipped else []))
