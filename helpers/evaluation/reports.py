"""Evaluation results as people read them: the printed tables of ``python -m helpers.evaluate``,
the one-line summaries the notebooks and the README quote, pandas frames for the notebooks, and
the tolerance within which a fresh evaluation repeats a recorded one. The results come from
:mod:`helpers.evaluation.scores`."""
from __future__ import annotations

from pathlib import Path

from helpers.inference.generators import canonical_kind


def format_recognizer(result: dict) -> str:
    views = f", {result['tta']} TTA" if result["tta"] else ""
    lines = [f"{result['checkpoint']} on {result['split']} (n={result['n']}{views})",
             f"  accuracy        {100 * result['accuracy']:6.2f}%",
             f"  macro accuracy  {100 * result['macro_accuracy']:6.2f}%"]
    lines += [f"  {name:14s}  {100 * acc:6.2f}%" for name, acc in result["per_class_accuracy"].items()]
    return "\n".join(lines)


def format_translator(r: dict) -> str:
    lines = [f"{r['checkpoint']} ({r['config']}, epoch {r['epoch']}) on {r['split']}: {r['sources']} sources, "
             f"{r['translations']} translations (each source to the 6 other expressions)",
             f"  target accuracy (macro)   {100 * r['target_accuracy_macro']:6.2f}%  "
             f"(untouched sources: {100 * r['unchanged_target_accuracy_macro']:.2f}%)"]
    lines += [f"    {name:14s}          {100 * acc:6.2f}%" for name, acc in r["target_accuracy"].items()]
    lines += [f"  source L1                 {r['source_l1']:.4f}  (pixels in [0, 1])",
              f"  source SSIM               {r['source_ssim']:.4f}",
              f"  cycle L1                  {r['cycle_l1']:.4f}"]
    if "fid" in r:
        lines.append(f"  FID                       {r['fid']:.2f}  (floor, real Training vs {r['split']}: {r['fid_floor']:.2f})")
    if "identity_error" in r:
        lines.append(f"  identity-factor error     {r['identity_error_mean']:.4f}  (read-out floor "
                     f"{r['identity_error_floor_mean']:.4f}, chance {r['identity_error_chance_mean']:.4f})")
        lines += [f"    {name:14s}          {err:.4f}  (floor {r['identity_error_floor'][name]:.4f})"
                  for name, err in r["identity_error"].items()]
    return "\n".join(lines)


def format_targets(results: list[dict]) -> str:
    """Several :class:`TargetEvaluation` results side by side, one column each."""
    from helpers.evaluation.targets import ACCURACY_RATIO, FID_RATIO
    from helpers.inference.judge import JUDGE_FINGERPRINT

    first = results[0]
    names = [f"{canonical_kind(r['kind'])} ({Path(r['checkpoint']).name})" for r in results]
    width = max(14, *map(len, names))
    rows = [("", names),
            ("truncation", [_truncation_cell(r) for r in results])]
    for name in first["real_accuracy"]:
        rows.append((f"{name}: worst ratio", [f"{r['summary']['worst_ratio_per_expression'][name]:.2f}" for r in results]))
    rows += [
        ("weakest expression", [f"{r['summary']['weakest_expression']} {r['summary']['worst_ratio']:.2f}" for r in results]),
        (f"  >= {ACCURACY_RATIO:g}", ["yes" if r["summary"]["meets_accuracy"] else "no" for r in results]),
        ("macro accuracy, worst", [f"{100 * r['summary']['worst_macro_accuracy']:.1f}%" for r in results]),
        ("FID, mean", [f"{r['summary']['fid_mean']:.1f}" for r in results]),
        ("FID, worst / floor", [f"{r['summary']['fid_ratio_worst']:.2f}" for r in results]),
        (f"  <= {FID_RATIO:g}", ["yes" if r["summary"]["meets_fid"] else "no" for r in results]),
        ("pairwise distance, worst", [f"{r['summary']['pairwise_distance_worst']:.2f}" for r in results]),
        ("distinct neighbours, worst", [f"{100 * r['summary']['distinct_neighbours_worst']:.1f}%" for r in results])]
    rows += realism_rows(results)
    diversity = first["real_diversity"]
    real = ", ".join(f"{k} {100 * v:.1f}%" for k, v in first["real_accuracy"].items())
    reader = "judge" if first["judge"] == JUDGE_FINGERPRINT else "second opinion"
    lines = [f"{len(first['per_seed'])} seeds x {first['per_expression']} faces per expression vs {first['split']} "
             f"({reader} {first['judge']}); FID floor {first['summary']['fid_floor']:.1f} (real Training faces, "
             f"mean of {len(first['fid_floors'])} draws)",
             f"the {reader} on real {first['split']} faces: {real}",
             f"ratio: an expression's conditional accuracy / the {reader}'s accuracy on real faces of it",
             f"real Training faces, as many: pairwise distance {diversity['pairwise_distance']:.2f}"
             + (f", distinct neighbours {100 * diversity['distinct_neighbours']:.1f}%"
                if diversity["distinct_neighbours"] is not None else "")]
    lines += realism_header(first, reader)
    lines += [f"{label:28s}" + "".join(f"{v:>{width + 2}s}" for v in values) for label, values in rows]
    return "\n".join(lines)


def realism_header(first: dict, reader: str) -> list[str]:
    """The lines that say what the realism rows of a targets table are read against."""
    from helpers.evaluation.realism import FACENESS_RATIO_EXPRESSION, FACENESS_RATIO_OVERALL, K_NEAREST, RECALL_MIN

    summary = first["realism"]["summary"]
    rates = ", ".join(f"{name} {100 * f['reference_rate_mean']:.1f}%" for name, f in summary["faceness"].items()
                      if first["kind"] != "ccyclegan")
    spaces = ", ".join(f"{space} {pr['precision_real_mean']:.2f} / {pr['recall_real_mean']:.2f}"
                       for space, pr in summary["precision_recall"].items())
    faceness = (f"faceness: the share a face model accepts as a face / the same for real Training faces (a translator: "
                f"its source faces); targets {FACENESS_RATIO_OVERALL:g} overall, {FACENESS_RATIO_EXPRESSION:g} per "
                f"expression" + (f"; real Training faces accepted: {rates}" if rates else "")
                if summary["faceness"] else "faceness: not measured (no face models)")
    return [faceness,
            f"precision / recall (k = {K_NEAREST}) against the split's faces; real Training faces: {spaces}; "
            f"target: recall >= {RECALL_MIN:g} and precision >= real in the {reader}'s space"]


def realism_rows(results: list[dict]) -> list[tuple[str, list[str]]]:
    """The realism rows of a targets table: each face model's worst overall ratio and weakest
    expression, and precision / recall in each feature space, worst of the seeds."""
    first = results[0]["realism"]["summary"]
    rows = []
    for name in first["faceness"]:
        cells = [r["realism"]["summary"]["faceness"][name] for r in results]
        rows += [(f"faceness {name}, worst", [f"{f['worst_ratio_overall']:.2f}" for f in cells]),
                 ("  weakest expression", [f"{f['weakest_expression']} {f['worst_ratio_per_expression'][f['weakest_expression']]:.2f}"
                                           for f in cells]),
                 ("  meets", ["yes" if f["meets"] else "no" for f in cells])]
    for space in first["precision_recall"]:
        cells = [r["realism"]["summary"]["precision_recall"][space] for r in results]
        rows.append((f"precision / recall, {space}", [f"{c['precision_worst']:.2f} / {c['recall_worst']:.2f}" for c in cells]))
    return rows


def targets_frame(results: list[dict]):
    """:class:`TargetEvaluation` results (or the JSON that ``targets --json`` wrote), one row each
    (a pandas DataFrame, indexed by checkpoint folder name): epoch, truncation, each expression's
    worst ratio, the weakest, the worst macro accuracy, FID over the floor and diversity."""
    import pandas as pd

    rows = []
    for r in results:
        s = r["summary"]
        rows.append({"model": Path(r["checkpoint"]).name, "kind": canonical_kind(r["kind"]), "epoch": r["epoch"],
                     "truncation": r.get("truncation"), **s["worst_ratio_per_expression"],
                     "weakest ratio": s["worst_ratio"], "macro accuracy": s["worst_macro_accuracy"],
                     "FID / floor": s["fid_ratio_worst"], "pairwise distance": s["pairwise_distance_worst"],
                     "distinct neighbours": s["distinct_neighbours_worst"], **realism_columns(r)})
    return pd.DataFrame(rows).set_index("model")


def realism_frame(results: list[dict]):
    """:class:`TargetEvaluation` results' realism side by side (a pandas DataFrame), with real
    Training faces as the first row: each face model's acceptance (mean of the seeds) and worst
    ratio to the faces it is read against, with the weakest expression; precision and recall,
    worst of the seeds, in each feature space; and whether the realism targets are met."""
    import pandas as pd

    first = next(r for r in results if r["kind"] != "ccyclegan")["realism"]["summary"]
    real = {"kind": "real", "read against": "itself"}
    for name, f in first["faceness"].items():
        real |= {f"{name} accepted": f["reference_rate_mean"], f"{name} worst ratio": 1.0, f"{name} weakest": ""}
    for space, pr in first["precision_recall"].items():
        real |= {f"precision {space}": pr["precision_real_mean"], f"recall {space}": pr["recall_real_mean"]}
    rows = {"real Training faces": real}
    for r in results:
        summary = r["realism"]["summary"]
        row = {"kind": canonical_kind(r["kind"]), "read against": r["realism"]["reference"]}
        for name, f in summary["faceness"].items():
            row |= {f"{name} accepted": f["rate_mean"], f"{name} worst ratio": f["worst_ratio_overall"],
                    f"{name} weakest": f"{f['weakest_expression']} {f['worst_ratio_per_expression'][f['weakest_expression']]:.2f}"}
        for space, pr in summary["precision_recall"].items():
            row |= {f"precision {space}": pr["precision_worst"], f"recall {space}": pr["recall_worst"]}
        rows[Path(r["checkpoint"]).name] = row | {"meets faceness": summary["meets_faceness"],
                                                  "meets coverage": summary["meets_coverage"]}
    return pd.DataFrame.from_dict(rows, orient="index")


def realism_columns(result: dict) -> dict:
    """A targets result's realism, worst of the seeds, as the columns of :func:`targets_frame`
    (none for a result recorded before realism was measured)."""
    summary = result.get("realism", {}).get("summary")
    if summary is None:
        return {}
    columns = {f"faceness {name}": f["worst_ratio_overall"] for name, f in summary["faceness"].items()}
    for space, pr in summary["precision_recall"].items():
        columns[f"precision {space}"], columns[f"recall {space}"] = pr["precision_worst"], pr["recall_worst"]
    return columns


def _truncation_cell(r: dict) -> str:
    """A targets table's truncation: ±T, "none" for an untruncated generator, "-" for a translator."""
    if r["kind"] == "ccyclegan":
        return "-"
    return "none" if r.get("truncation") is None else f"{r['truncation']:g}"


def _truncation(r: dict) -> str:
    """How a generator evaluation drew its noise, as the printed lines say it ("" for untruncated)."""
    return f", noise truncated at ±{r['truncation']:g}" if r.get("truncation") else ""


# How close a fresh evaluation of a shipped model must come to its record on another machine:
# floating point may move a borderline face from one class to another there, and one face moves a
# macro accuracy by up to 1/55/7 = 0.26 points (Disgust, the smallest PrivateTest class).
ACCURACY_TOLERANCE = 0.005  # half a point, for every figure whose key names an accuracy
RELATIVE_TOLERANCE = 0.02   # for the other figures (IS, FID, L1, SSIM, ...)
HEADLINE = {"generator": ("conditional_accuracy_macro", "inception_score", "fid"),
            "translator": ("target_accuracy_macro", "source_l1", "source_ssim", "cycle_l1"),
            "recognizer": ("accuracy", "macro_accuracy")}


def agrees(measured: dict, recorded: dict, keys) -> bool:
    """Whether ``measured[key]`` repeats ``recorded[key]`` for every key, within
    :data:`ACCURACY_TOLERANCE` for accuracies and :data:`RELATIVE_TOLERANCE` for other figures
    (the first element of a ``[mean, std]`` pair). Notebooks print this, not the figures, in the
    cells nbval checks, so that another CPU or a GPU passes where the figures agree."""
    def value(figure):
        return float(figure[0] if isinstance(figure, (list, tuple)) else figure)

    for key in keys:
        got, want = value(measured[key]), value(recorded[key])
        tolerance = ACCURACY_TOLERANCE if "accuracy" in key else RELATIVE_TOLERANCE * abs(want)
        if not abs(got - want) <= tolerance:
            return False
    return True


def generator_summary(r: dict) -> str:
    """A generator evaluation's headline in one line: notebooks 05 and 07 print it for the shipped
    checkpoints in cells nbval checks, and ``tests/test_shipped_generators.py`` ties the stored
    line to the checkpoint's ``metrics.json``, so CI scores each shipped generator once."""
    return (f"{canonical_kind(r['kind'])} epoch {r['epoch']}, {r['n']} faces vs {r['split']}{_truncation(r)}: "
            f"conditional accuracy {100 * r['conditional_accuracy_macro']:.1f}% macro, IS {r['inception_score'][0]:.2f} "
            f"({100 * r['is_ratio']:.0f}% of the real faces' {r['real_inception_score'][0]:.2f}), FID {r['fid']:.1f}")


def format_generator(r: dict) -> str:
    lines = [f"{r['checkpoint']} ({canonical_kind(r['kind'])}, epoch {r['epoch']}) vs {r['split']}: "
             f"{r['n']} generated faces, as many per expression as the split holds{_truncation(r)}",
             f"  conditional accuracy (macro)  {100 * r['conditional_accuracy_macro']:6.2f}%"]
    lines += [f"    {name:14s}              {100 * acc:6.2f}%" for name, acc in r["conditional_accuracy"].items()]
    lines += [f"  Inception Score               {r['inception_score'][0]:.3f} ± {r['inception_score'][1]:.3f}  "
              f"(real: {r['real_inception_score'][0]:.3f} ± {r['real_inception_score'][1]:.3f}; ratio {r['is_ratio']:.2f})",
              f"  FID                           {r['fid']:.2f}  (floor, real Training vs {r['split']}: {r['fid_floor']:.2f})",
              f"  KID                           {r['kid']:.4f}  (floor: {r['kid_floor']:.4f})",
              f"  mean pairwise distance        {r['pairwise_distance']:.2f}  (real: {r['real_pairwise_distance']:.2f})",
              f"  distinct nearest neighbours   {100 * r['distinct_neighbours']:.1f}%  "
              f"(real: {100 * r['real_distinct_neighbours']:.1f}%)"]
    return "\n".join(lines)
