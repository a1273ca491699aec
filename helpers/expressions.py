"""The seven basic expressions: one registry used by every loader, model and CLI.

Ids follow FER2013: 0=Angry 1=Disgust 2=Fear 3=Happy 4=Sad 5=Surprise 6=Neutral.
Names are converted to ids only at the edges (command lines, folder names, plot labels).
"""
from __future__ import annotations

from helpers.errors import UnknownExpressionError

EXPRESSIONS = ("Angry", "Disgust", "Fear", "Happy", "Sad", "Surprise", "Neutral")
"""Canonical names, indexed by FER2013 id."""

NUM_EXPRESSIONS = len(EXPRESSIONS)

# The spellings of the RAF-DB generator CLI ("Happiness", "Sadness", "Anger", ...) are the
# ones users type; they are the display names of the CLIs.
DISPLAY_NAMES = ("Anger", "Disgust", "Fear", "Happiness", "Sadness", "Surprise", "Neutral")

_ALIASES = {
    0: ("angry", "anger", "an", "mad"),
    1: ("disgust", "disgusted", "di"),
    2: ("fear", "fearful", "afraid", "scared", "fe"),
    3: ("happy", "happiness", "joy", "ha"),
    4: ("sad", "sadness", "sa"),
    5: ("surprise", "surprised", "su"),
    6: ("neutral", "ne", "calm"),
}
ALIASES = {alias: idx for idx, names in _ALIASES.items() for alias in names}

# RAF-DB basic: 1=Surprise 2=Fear 3=Disgust 4=Happiness 5=Sadness 6=Anger 7=Neutral.
RAFDB_TO_FER = {1: 5, 2: 2, 3: 1, 4: 3, 5: 4, 6: 0, 7: 6}

# CK+ folder names as they circulate (the extended set also has "contempt", which has no
# FER2013 counterpart and is rejected with the usual message).
CKPLUS_FOLDERS = {
    "anger": 0, "disgust": 1, "fear": 2, "happy": 3, "sadness": 4, "surprise": 5, "neutral": 6,
}


def valid_names() -> str:
    """A human-readable list of accepted names, for error messages."""
    return ", ".join(DISPLAY_NAMES) + " (also: " + ", ".join(
        n for n in EXPRESSIONS if n not in DISPLAY_NAMES) + "; case-insensitive)"


def parse_expression(name: str | int) -> int:
    """Map an expression name, alias or FER2013 id to its FER2013 id."""
    if isinstance(name, int) and not isinstance(name, bool):
        if 0 <= name < NUM_EXPRESSIONS:
            return name
        raise UnknownExpressionError(f"expression id {name} is out of range 0..6; valid names: {valid_names()}")
    key = str(name).strip().lower()
    if key in ALIASES:
        return ALIASES[key]
    raise UnknownExpressionError(f"unknown expression {name!r}; valid names: {valid_names()}")


def expression_name(idx: int, display: bool = False) -> str:
    """The canonical (FER2013) name of an id, or the CLI display name."""
    return (DISPLAY_NAMES if display else EXPRESSIONS)[idx]


def from_rafdb(label: int) -> int:
    """Convert a RAF-DB basic label (1..7) to the FER2013 id."""
    if label not in RAFDB_TO_FER:
        raise UnknownExpressionError(f"RAF-DB label {label} is not in 1..7")
    return RAFDB_TO_FER[label]


def from_ckplus(folder: str) -> int:
    """Convert a CK+ folder name (anger, disgust, ..., contempt is rejected) to the FER2013 id."""
    key = folder.strip().lower()
    if key in CKPLUS_FOLDERS:
        return CKPLUS_FOLDERS[key]
    return parse_expression(key)
