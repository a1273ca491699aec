"""The evaluation CLI: one command per kind of checkpoint, a printed table, optional JSON.

    python -m helpers.evaluate recognizer checkpoints/recognizer_fer2013.keras --split PrivateTest
    python -m helpers.evaluate recognizer checkpoints/recognizer_fer2013.keras --split PrivateTest --tta --json out.json
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from .cli import UserError, add_data_argument, run_cli
from .expressions import EXPRESSIONS


def evaluate_recognizer(checkpoint, data=None, split: str = "PrivateTest", tta: bool = False) -> dict:
    """Accuracy, macro accuracy, per-class accuracy and confusion matrix of a recognizer."""
    from .data import load_dataset
    from .metrics import classification_report
    from .recognition import load_recognizer, predict_proba

    model = load_recognizer(checkpoint)
    splits = load_dataset(data)
    if split not in splits:
        raise UserError(f"split {split!r} not in the data; available: {', '.join(splits)}")
    x, y = splits[split]
    if (y < 0).all():
        raise UserError(f"split {split!r} has no labels; it cannot be scored")
    probs = predict_proba(model, x, tta=tta)
    report = classification_report(y, probs.argmax(axis=1))
    return {"checkpoint": str(checkpoint), "split": split, "n": int(len(y)), "tta": tta,
            "accuracy": report["accuracy"], "macro_accuracy": report["macro_accuracy"],
            "per_class_accuracy": dict(zip(EXPRESSIONS, map(float, report["per_class_accuracy"]))),
            "confusion_matrix": report["confusion_matrix"].tolist()}


def format_recognizer(result: dict) -> str:
    lines = [f"{result['checkpoint']} on {result['split']} (n={result['n']}{', ten-crop TTA' if result['tta'] else ''})",
             f"  accuracy        {100 * result['accuracy']:6.2f}%",
             f"  macro accuracy  {100 * result['macro_accuracy']:6.2f}%"]
    lines += [f"  {name:14s}  {100 * acc:6.2f}%" for name, acc in result["per_class_accuracy"].items()]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m helpers.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="kind", required=True)
    rec = sub.add_parser("recognizer", help="score a recognizer checkpoint on a labelled split")
    rec.add_argument("checkpoint", help="a .keras recognizer (uint8 48x48x1 in, 7 probabilities out)")
    add_data_argument(rec)
    rec.add_argument("--split", default="PrivateTest")
    rec.add_argument("--tta", action="store_true", help="average over ten crops")
    rec.add_argument("--json", metavar="PATH", help="also write the result as JSON")
    rec.add_argument("--record", action="store_true",
                     help="store the accuracy in the checkpoint's provenance file (<checkpoint>.json)")
    args = parser.parse_args(argv)

    result = evaluate_recognizer(args.checkpoint, args.data, args.split, args.tta)
    print(format_recognizer(result))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2))
    if args.record:
        record(result)
    return result


def record(result: dict) -> Path:
    """Add ``<split>[_tta]_accuracy`` and ``..._macro_accuracy`` to ``<checkpoint>.json``."""
    path = Path(result["checkpoint"]).with_suffix(".json")
    data = json.loads(path.read_text()) if path.exists() else {}
    key = result["split"].lower() + ("_tta" if result["tta"] else "")
    data[f"{key}_accuracy"] = round(result["accuracy"], 4)
    data[f"{key}_macro_accuracy"] = round(result["macro_accuracy"], 4)
    data.setdefault("evaluation_commands", {})[key] = (
        f"python -m helpers.evaluate recognizer {result['checkpoint']} --split {result['split']}" + " --tta" * result["tta"])
    path.write_text(json.dumps(data, indent=2))
    return path


if __name__ == "__main__":
    run_cli(main)
