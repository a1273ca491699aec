"""The evaluation CLI: one command per kind of checkpoint, a printed table, optional JSON.

    python -m helpers.evaluate recognizer checkpoints/recognizer_fer2013.keras --split PrivateTest
    python -m helpers.evaluate recognizer checkpoints/recognizer_fer2013.keras --split PrivateTest --tta shifts --json out.json
    python -m helpers.evaluate generator checkpoints/cwgan_fer2013 --split PrivateTest --json out.json
    python -m helpers.evaluate generator runs/dcgan_fer2013 --over-epochs metrics_over_epochs.json
    python -m helpers.evaluate translator checkpoints/ccyclegan_fer2013 --split PrivateTest --json out.json
    python -m helpers.evaluate translator checkpoints/ccyclegan_synthetic --data synthetic
    python -m helpers.evaluate targets checkpoints/cwgan_fer2013 checkpoints/dcgan_fer2013 checkpoints/ccyclegan_fer2013 checkpoints/sngan_fer2013
    python -m helpers.evaluate targets checkpoints/sngan_fer2013 --second-opinion checkpoints/deep_emotion_fer2013.keras
    python -m helpers.evaluate targets checkpoints/sngan_fer2013 --face-models none      # without the realism extra
"""
from __future__ import annotations

import json
from pathlib import Path

from helpers.arguments import SEED, number
from helpers.cli import OneLineParser, command_parser, run_cli
from helpers.data import DATA_HELP
from helpers.evaluation.reports import format_generator, format_recognizer, format_targets, format_translator
from helpers.evaluation.scores import (GeneratorEvaluation, TargetEvaluation, TranslationEvaluation,
                                       evaluate_recognizer, evaluate_snapshots, release_config)
from helpers.files import check_output_file, write_json
from helpers.inference.face_models import FACE_MODELS, load_face_models
from helpers.inference.generators import MIN_TRUNCATION
from helpers.inference.judge import second_opinion
from helpers.inference.recognition import TTA_VIEWS


def _write_json(result, path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_json(path, result, indent=2)


def _add_json_arguments(parser, help: str) -> None:
    parser.add_argument("--json", metavar="PATH", help=f"{help} (a new file)")
    parser.add_argument("--overwrite", action="store_true", help="replace the --json file if it exists")


def main(argv=None):
    parser = command_parser(__doc__, prog="python -m helpers.evaluate")
    sub = parser.add_subparsers(dest="kind", required=True, parser_class=OneLineParser)
    rec = sub.add_parser("recognizer", help="score a recognizer checkpoint on a labelled split")
    rec.add_argument("checkpoint", help="a .keras recognizer (uint8 48x48x1 in, 7 probabilities out)")
    rec.add_argument("--data", help=DATA_HELP)
    rec.add_argument("--split", default="PrivateTest",
                     help="the labelled faces to score (default: PrivateTest, the reported one; choose models on PublicTest)")
    rec.add_argument("--tta", nargs="?", const="ten-crop", choices=list(TTA_VIEWS), default=None,
                     help="average over test-time views: the mirror image (flip), 2-pixel shifts and their mirrors "
                          "(shifts), or four corner and one centre 42-pixel crops, zoomed back, and their mirrors "
                          "(ten-crop, the default of a bare --tta)")
    _add_json_arguments(rec, "also write the result as JSON")
    rec.add_argument("--record", action="store_true",
                     help="store the accuracy in the checkpoint's provenance file (<checkpoint>.json)")
    gen = sub.add_parser("generator", help="conditional accuracy, IS, FID, KID and diversity of a generator checkpoint")
    gen.add_argument("checkpoint", help="a generator checkpoint folder (generator.keras + config.json)")
    gen.add_argument("--data", help=DATA_HELP)
    gen.add_argument("--split", default="PrivateTest", help="the real faces to compare with (default: PrivateTest)")
    gen.add_argument("--seed", type=SEED, default=0)
    number(gen, "--truncation", kind=float, low=MIN_TRUNCATION, infinity=True, default=None,
           help="redraw noise values beyond ±T (default: the release's own default, if it sets one; inf: none)")
    _add_json_arguments(gen, "also write the result as JSON")
    gen.add_argument("--over-epochs", metavar="JSON",
                     help="also score every per-epoch generator the run kept (--snapshot-every) and write the table "
                          "(a list of per-epoch records; read it with helpers.models.provenance.load_history)")
    tra = sub.add_parser("translator", help="target accuracy, content kept, FID (or identity error on synthetic faces) of a translator")
    tra.add_argument("checkpoint", help="a translator checkpoint folder (ccyclegan: generator.keras + config.json)")
    tra.add_argument("--data", help=DATA_HELP)
    tra.add_argument("--split", default="PrivateTest", help="the faces to translate (default: PrivateTest)")
    number(tra, "--sources", kind=int, low=0, default=0, help="a random sample of N sources (0: the whole split)")
    tra.add_argument("--seed", type=SEED, default=0)
    _add_json_arguments(tra, "also write the result as JSON")
    tgt = sub.add_parser("targets", help="the main command's targets, worst of several seeds, for generators and "
                                          "translators side by side (helpers.evaluation.targets)")
    tgt.add_argument("checkpoints", nargs="+", metavar="CHECKPOINT", help="generator or translator folders")
    tgt.add_argument("--data", help=DATA_HELP)
    tgt.add_argument("--split", default="PublicTest",
                     help="the real faces to compare with (default: PublicTest, where choices are made; "
                          "report PrivateTest once)")
    tgt.add_argument("--seeds", type=SEED, nargs="+", default=None, help="sampling seeds (default: 0 1 2)")
    number(tgt, "--per-expression", kind=int, low=1, high=10_000, default=None, help="faces per expression and seed (default: 100)")
    number(tgt, "--truncation", kind=float, low=MIN_TRUNCATION, infinity=True, default=None,
           help="generators redraw noise values beyond ±T (default: each release's own default; inf: none)")
    tgt.add_argument("--second-opinion", metavar="RECOGNIZER",
                     help="read the faces with this recognizer (.keras, with a 'features' layer) instead of the judge: "
                          "whether what the judge rewards holds for a network that never scored or guided the model")
    tgt.add_argument("--face-models", nargs="+", metavar="NAME", default=list(FACE_MODELS),
                     help=f"the face models that score faceness: {', '.join(FACE_MODELS)} (default: all; none: no faceness). "
                          "They are the realism extra: pip install -e .[realism]")
    _add_json_arguments(tgt, "also write the results as JSON")
    args = parser.parse_args(argv)
    if args.json:  # before any work: an hour of scoring must not end in an unwritable file
        check_output_file(args.json, args.overwrite, "--json")
    if getattr(args, "over_epochs", None):
        check_output_file(args.over_epochs, args.overwrite, "--over-epochs")

    if args.kind == "targets":
        for checkpoint in args.checkpoints:  # refused before the judge and the data are loaded
            release_config(checkpoint)
        judge = second_opinion(args.second_opinion) if args.second_opinion else None  # refused before the data load
        face_models = load_face_models([] if args.face_models == ["none"] else args.face_models)
        evaluation = TargetEvaluation(args.data, args.split, judge=judge, seeds=args.seeds,
                                      per_expression=args.per_expression, truncation=args.truncation,
                                      face_models=face_models)
        result = [evaluation(c) for c in args.checkpoints]
        print(format_targets(result))
    elif args.kind == "generator":
        evaluation = GeneratorEvaluation(args.data, args.split, seed=args.seed, truncation=args.truncation)
        result = evaluation(args.checkpoint)
        print(format_generator(result))
        if args.over_epochs:
            table = evaluate_snapshots(args.checkpoint, evaluation)
            _write_json(table.to_dict(orient="records"), args.over_epochs)
            print(table.round(3).to_string(index=False))
    elif args.kind == "translator":
        result = TranslationEvaluation(args.data, args.split, sources=args.sources, seed=args.seed)(args.checkpoint)
        print(format_translator(result))
    else:
        result = evaluate_recognizer(args.checkpoint, args.data, args.split, args.tta)
        print(format_recognizer(result))
        if args.record:
            record(result)
    if args.json:
        _write_json(result, args.json)
    return result


def record(result: dict) -> Path:
    """Add ``<split>[_<tta>]_accuracy``, ``..._macro_accuracy`` and ``..._per_class_accuracy`` to
    ``<checkpoint>.json`` (e.g. ``privatetest_shifts_accuracy``, ``publictest_ten_crop_macro_accuracy``)."""
    path = Path(result["checkpoint"]).with_suffix(".json")
    data = json.loads(path.read_text()) if path.exists() else {}
    key = result["split"].lower() + (f"_{result['tta'].replace('-', '_')}" if result["tta"] else "")
    data[f"{key}_accuracy"] = round(result["accuracy"], 4)
    data[f"{key}_macro_accuracy"] = round(result["macro_accuracy"], 4)
    data[f"{key}_per_class_accuracy"] = {name: round(acc, 4) for name, acc in result["per_class_accuracy"].items()}
    data.setdefault("evaluation_commands", {})[key] = (
        f"python -m helpers.evaluate recognizer {result['checkpoint']} --split {result['split']}"
        + (f" --tta {result['tta']}" if result["tta"] else ""))
    write_json(path, data, indent=2)
    return path


if __name__ == "__main__":
    run_cli(main)
