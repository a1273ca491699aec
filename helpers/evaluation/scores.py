"""Scoring checkpoints, like with like: recognizers on a labelled split, generators and
translators against real faces in the judge's feature space (the maths is in
:mod:`helpers.evaluation.metrics`), the one-line summaries the notebooks and the README quote, and the
tolerance within which a fresh evaluation repeats a recorded one. ``python -m helpers.evaluate``
is the command over this module."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from helpers.errors import UserError
from helpers.expressions import EXPRESSIONS


def find_split(splits, split: str) -> str:
    """The name of ``split`` in ``splits``, matched regardless of case (``publictest`` is
    ``PublicTest``); an absent split is a UserError listing those there are."""
    names = {name.lower(): name for name in splits}
    if split.lower() in names:
        return names[split.lower()]
    hint = " (a CSV without a Usage column is read as Training only)" if list(splits) == ["Training"] else ""
    raise UserError(f"split {split!r} not in the data; available: {', '.join(splits)}{hint}")


def evaluate_recognizer(checkpoint, data=None, split: str = "PrivateTest", tta: str | None = None) -> dict:
    """Accuracy, macro accuracy, per-class accuracy and confusion matrix of a recognizer, on one
    view of each face or averaged over the test-time views ``tta`` (see ``recognition.TTA_VIEWS``)."""
    from helpers.data import load_dataset
    from helpers.evaluation.metrics import classification_report
    from helpers.inference.recognition import load_recognizer, predict_proba

    model = load_recognizer(checkpoint)
    splits = load_dataset(data)
    split = find_split(splits, split)
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
    views = f", {result['tta']} TTA" if result["tta"] else ""
    lines = [f"{result['checkpoint']} on {result['split']} (n={result['n']}{views})",
             f"  accuracy        {100 * result['accuracy']:6.2f}%",
             f"  macro accuracy  {100 * result['macro_accuracy']:6.2f}%"]
    lines += [f"  {name:14s}  {100 * acc:6.2f}%" for name, acc in result["per_class_accuracy"].items()]
    return "\n".join(lines)


class GeneratorEvaluation:
    """Scores generator checkpoints against one real split, like with like.

    For the expressions a generator can produce, it generates as many faces per expression as
    the split holds (so IS splits and set sizes match), and compares them, in the judge's
    feature space (the frozen judge, :mod:`helpers.inference.judge`, by default), with the split's faces:

    - conditional accuracy: the share of faces made for e that the judge calls e (and the macro mean);
    - Inception Score of the fakes and of the real split (same sizes; both shuffled by one permutation,
      so each of the 10 splits holds the same expressions in the same numbers);
    - FID and KID against the split; the floor is the same between real Training faces (a sample
      with the same per-expression counts) and the split;
    - diversity: mean pairwise feature distance (fakes vs the real split), and the share of distinct
      nearest neighbours in that Training sample (fakes vs the real split)."""

    def __init__(self, data=None, split: str = "PrivateTest", judge=None, seed: int = 0, splits=None,
                 truncation: float | None = None):
        from helpers.data import load_dataset
        from helpers.inference.judge import Judge

        splits = splits if splits is not None else load_dataset(data)
        split = find_split(splits, split)
        self.split, self.seed, self.truncation = split, seed, truncation
        self.judge = judge if judge is not None else Judge()
        self.x_real, self.y_real = splits[split]
        self.x_train, self.y_train = splits["Training"]
        self._real = {}

    def reference(self, expressions: tuple) -> dict:
        """Judge outputs for the real split and a count-matched Training sample (cached)."""
        if expressions not in self._real:
            from helpers.evaluation.metrics import frechet_distance, kernel_distance

            keep = np.isin(self.y_real, expressions)
            order = np.argsort(self.y_real[keep], kind="stable")  # expression blocks, as the fakes are made
            x, y = self.x_real[keep][order], self.y_real[keep][order]
            rng = np.random.default_rng(self.seed)
            pick = np.concatenate([rng.choice(np.flatnonzero(self.y_train == e), int((y == e).sum()), replace=False)
                                   for e in expressions])
            # Real faces: the same for every generator this judge scores, so cached on disk.
            (real_p, real_f) = self.judge.probs_and_features(x, cache=True)
            train_f = self.judge.features(self.x_train[pick], cache=True)
            self._real[expressions] = {
                "labels": y, "features": real_f, "probs": real_p, "train_features": train_f,
                "mix": rng.permutation(len(y)),
                "fid_floor": frechet_distance(train_f, real_f), "kid_floor": kernel_distance(train_f, real_f)[0]}
        return self._real[expressions]

    def __call__(self, generator) -> dict:
        from helpers.inference.generators import GeneratorCheckpoint, load_generator
        from helpers.evaluation.metrics import (conditional_accuracy, distinct_nearest_neighbours, frechet_distance, inception_score,
                                                kernel_distance, mean_pairwise_distance)

        gen = generator if isinstance(generator, GeneratorCheckpoint) else load_generator(generator)
        expressions = tuple(sorted(gen.expressions))
        ref = self.reference(expressions)
        counts = [int(np.sum(ref["labels"] == e)) for e in expressions]
        truncation = gen.truncation(self.truncation)
        fake = np.concatenate([gen.generate(e, n, seed=self.seed + 1000 + e, truncation=truncation)
                               for e, n in zip(expressions, counts)])
        intended = np.repeat(expressions, counts)
        probs, feats = self.judge.probs_and_features(fake)
        # The same shuffle for both sets: every IS split holds the same expressions in the same numbers.
        is_fake, is_real = inception_score(probs[ref["mix"]]), inception_score(ref["probs"][ref["mix"]])
        cond = conditional_accuracy(probs, intended)
        return {
            "checkpoint": str(gen.path), "kind": gen.config.get("kind"), "epoch": gen.config.get("epoch"),
            "split": self.split, "n": int(len(fake)), "judge": self.judge.fingerprint,
            "truncation": recorded_truncation(truncation),
            "conditional_accuracy": cond["per_expression"], "conditional_accuracy_macro": cond["macro"],
            "inception_score": list(is_fake), "real_inception_score": list(is_real),
            "is_ratio": is_fake[0] / is_real[0],
            "fid": frechet_distance(feats, ref["features"]), "fid_floor": ref["fid_floor"],
            "kid": kernel_distance(feats, ref["features"])[0], "kid_floor": ref["kid_floor"],
            "pairwise_distance": mean_pairwise_distance(feats),
            "real_pairwise_distance": mean_pairwise_distance(ref["features"]),
            "distinct_neighbours": distinct_nearest_neighbours(feats, ref["train_features"]),
            "real_distinct_neighbours": distinct_nearest_neighbours(ref["features"], ref["train_features"]),
        }


class TranslationEvaluation:
    """Scores an expression translator with one split's faces as sources.

    Every source is translated to each of the 6 other expressions, and each translation back to
    the source's expression (the cycle):

    - target accuracy: the share of translations into e that the judge assigns to e, per target
      and macro, next to the share of the *untouched* sources the judge already assigns to e
      (what a translator that changes nothing scores);
    - content kept: mean L1 (pixels in [0, 1]) and SSIM between source and translation, and the
      cycle L1 between source and its round trip;
    - FID of translations vs the split in the judge's feature space, with as many translations
      into each expression as the split holds faces of it; the floor is a count-matched Training
      sample vs the split (:meth:`GeneratorEvaluation.reference`);
    - on the synthetic faces (``data="synthetic"``), where each source's identity is known, the
      judge is :class:`helpers.data.synthetic.SyntheticReadout` and FID gives way to the identity-factor
      error: |factors read from the translation - the source's true factors|, next to the read-out's
      own error on the untouched sources (its floor) and the error of guessing 0.5 (chance)."""

    def __init__(self, data=None, split: str = "PrivateTest", judge=None, sources: int = 0, seed: int = 0, splits=None):
        self.split, self.seed, self.synthetic = split, seed, str(data) == "synthetic"
        if self.synthetic:
            from helpers.data.synthetic import SPLIT_SIZES, SyntheticReadout, synthetic_split_faces

            self.split = split = find_split(SPLIT_SIZES, split)
            faces = synthetic_split_faces(split)
            self.x, self.y, self.identity = faces.images, faces.labels, faces.identity
            self.judge = judge if judge is not None else SyntheticReadout()
        else:
            self.generator_evaluation = GeneratorEvaluation(data, split, judge=judge, seed=seed, splits=splits)
            self.judge = self.generator_evaluation.judge
            self.x, self.y = self.generator_evaluation.x_real, self.generator_evaluation.y_real
        if sources:
            pick = np.sort(np.random.default_rng(seed).choice(len(self.x), min(sources, len(self.x)), replace=False))
            self.x, self.y = self.x[pick], self.y[pick]
            if self.synthetic:
                self.identity = self.identity[pick]

    def __call__(self, translator) -> dict:
        from helpers.expressions import NUM_EXPRESSIONS
        from helpers.evaluation.metrics import frechet_distance, ssim
        from helpers.inference.translation import Translator, load_translator

        tr = translator if isinstance(translator, Translator) else load_translator(translator)
        rng = np.random.default_rng(self.seed)
        source_pred = self.judge.probs(self.x).argmax(axis=1)
        accuracy, unchanged, l1, similarity, cycle, identity_error, fid_features = {}, {}, [], [], [], [], []
        for target in range(NUM_EXPRESSIONS):
            keep = np.flatnonzero(self.y != target)
            src = self.x[keep]
            out = tr.translate(src, target)
            back = tr.translate(out, self.y[keep])
            if self.synthetic:
                probs = self.judge.probs(out)
                identity_error.append(np.abs(self.judge.identity(out) - self.identity[keep]))
            else:
                probs, features = self.judge.probs_and_features(out)
                n = int(np.sum(self.y == target))
                fid_features.append(features[rng.choice(len(out), n, replace=len(out) < n)])
            accuracy[EXPRESSIONS[target]] = float(np.mean(probs.argmax(axis=1) == target))
            unchanged[EXPRESSIONS[target]] = float(np.mean(source_pred[keep] == target))
            l1.append(np.abs(out.astype(np.float32) - src) / 255.0)
            cycle.append(np.abs(back.astype(np.float32) - src) / 255.0)
            similarity.append(ssim(src / 255.0, out / 255.0) * len(src))
        pairs = sum(len(a) for a in l1)
        result = {
            "checkpoint": str(tr.path), "config": tr.config.get("config", {}).get("name"), "epoch": tr.config.get("epoch"),
            "split": self.split, "sources": int(len(self.x)), "translations": int(pairs),
            "judge": getattr(self.judge, "fingerprint", "synthetic read-out"),
            "target_accuracy": accuracy, "target_accuracy_macro": float(np.mean(list(accuracy.values()))),
            "unchanged_target_accuracy_macro": float(np.mean(list(unchanged.values()))),
            "source_l1": float(np.concatenate(l1).mean()), "source_ssim": float(sum(similarity) / pairs),
            "cycle_l1": float(np.concatenate(cycle).mean())}
        if self.synthetic:
            from helpers.data.synthetic import IDENTITY_FACTORS

            floor = np.abs(self.judge.identity(self.x) - self.identity).mean(axis=0)
            error = np.concatenate(identity_error).mean(axis=0)
            result["identity_error"] = dict(zip(IDENTITY_FACTORS, map(float, error)))
            result["identity_error_floor"] = dict(zip(IDENTITY_FACTORS, map(float, floor)))
            result["identity_error_mean"], result["identity_error_floor_mean"] = float(error.mean()), float(floor.mean())
            result["identity_error_chance_mean"] = float(np.abs(self.identity - 0.5).mean())
        else:
            ref = self.generator_evaluation.reference(tuple(range(NUM_EXPRESSIONS)))
            result["fid"] = frechet_distance(np.concatenate(fid_features), ref["features"])
            result["fid_floor"] = ref["fid_floor"]
        return result


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


def release_config(checkpoint) -> dict:
    """The ``config.json`` of a generator or translator folder; refused if it has none."""
    path = Path(checkpoint) / "config.json"
    if not path.is_file():
        raise UserError(f"{checkpoint} is not a generator or translator folder (no config.json), "
                        "e.g. checkpoints/sngan_fer2013")
    return json.loads(path.read_text())


class TargetEvaluation:
    """Scores generators and translators against the targets of :mod:`helpers.evaluation.targets`,
    like with like: for each sampling seed, ``per_expression`` faces of each expression, judged
    against the whole split. A generator makes them from noise with the seed; a translator makes
    each from a Training face of another expression, drawn with the seed. ``truncation`` overrides
    the generators' default truncation (translators take no noise).

    Realism (:mod:`helpers.evaluation.realism`) is scored beside the targets, per seed: each of
    ``face_models`` (default: all of :mod:`helpers.inference.face_models`; ``()`` for none) says
    which faces are faces, against as many real Training faces per expression (a translator's:
    against its own source faces); precision and recall are measured against up to
    ``per_expression`` faces per expression of the split, in the judge's feature space and in
    each face model's that has one, beside the same figures of the real Training faces."""

    def __init__(self, data=None, split: str = "PublicTest", judge=None, seeds=None, per_expression: int | None = None,
                 splits=None, truncation: float | None = None, face_models=None):
        from helpers.data import load_dataset
        from helpers.evaluation.metrics import (conditional_accuracy, distinct_nearest_neighbours, frechet_distance,
                                                mean_pairwise_distance)
        from helpers.evaluation.targets import PER_EXPRESSION, SEEDS, balanced_indices, capped_indices
        from helpers.expressions import NUM_EXPRESSIONS
        from helpers.inference.face_models import load_face_models
        from helpers.inference.judge import JUDGE_FINGERPRINT, Judge

        splits = splits if splits is not None else load_dataset(data)
        self.split = find_split(splits, split)
        self.seeds = tuple(SEEDS if seeds is None else seeds)
        self.per_expression = per_expression or PER_EXPRESSION
        self.truncation = truncation
        self.judge = judge if judge is not None else Judge()
        self.reader = "judge" if self.judge.fingerprint == JUDGE_FINGERPRINT else "second opinion"
        self.x, y = splits[self.split]
        self.x_train, self.y_train = splits["Training"]
        self.expressions = tuple(range(NUM_EXPRESSIONS))
        real_probs, self.real_features = self.judge.probs_and_features(self.x, cache=True)
        self.real_accuracy = conditional_accuracy(real_probs, y)["per_expression"]
        train_draws = [balanced_indices(self.y_train, self.per_expression, self.expressions, 10_000 + seed)
                       for seed in self.seeds]
        train_features = [self.judge.features(self.x_train[draw], cache=True) for draw in train_draws]
        self.fid_floors = [frechet_distance(f, self.real_features) for f in train_features]
        self.face_models = load_face_models() if face_models is None else list(face_models)
        self.manifolds = [capped_indices(y, self.per_expression, self.expressions, 30_000 + seed) for seed in self.seeds]
        self.manifold_features = {}
        self.real_realism = [
            self.realism(self.x_train[draw], self.y_train[draw], features, seed_index)
            for seed_index, (draw, features) in enumerate(zip(train_draws, train_features))]
        self.neighbours = train_features[0]  # the real faces whose nearest neighbours count distinct
        # the same diversity measures of real faces: the other Training draws against the first
        self.real_diversity = {
            "pairwise_distance": float(np.mean([mean_pairwise_distance(f) for f in train_features])),
            "distinct_neighbours": float(np.mean([distinct_nearest_neighbours(f, self.neighbours)
                                                  for f in train_features[1:]])) if len(train_features) > 1 else None}

    def faces(self, model, expression: int, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
        """``per_expression`` uint8 faces of ``expression`` from a generator or a translator, and
        a translator's source faces (None for a generator)."""
        from helpers.inference.translation import Translator

        if isinstance(model, Translator):
            rng = np.random.default_rng(20_000 + 100 * seed + expression)
            sources = self.x_train[rng.choice(np.flatnonzero(self.y_train != expression), self.per_expression, replace=False)]
            return model.translate(sources, expression), sources
        return model.generate(expression, self.per_expression, seed=1000 * seed + expression, truncation=self.truncation), None

    def realism(self, faces, expressions, judge_features, seed_index: int) -> dict:
        """Each face model's acceptance of ``faces`` (made or labelled as ``expressions``), and
        precision and recall against the split's faces of the seed, in the judge's feature space
        (``judge_features`` of ``faces``) and in each face model's that has one."""
        from helpers.evaluation.realism import acceptance, precision_recall

        manifold = self.manifolds[seed_index]
        spaces = {self.reader: precision_recall(self.real_features[manifold], judge_features)}
        faceness = {}
        for face_model in self.face_models:
            faceness[face_model.name] = acceptance(face_model.accepts(faces), expressions)
            if hasattr(face_model, "features"):
                key = (face_model.name, seed_index)  # the split's faces of a seed: read once for every model
                if key not in self.manifold_features:
                    self.manifold_features[key] = face_model.features(self.x[manifold])
                spaces[face_model.name] = precision_recall(self.manifold_features[key], face_model.features(faces))
        return {"faceness": faceness, "precision_recall": spaces}

    def __call__(self, checkpoint) -> dict:
        from helpers.evaluation.metrics import (conditional_accuracy, distinct_nearest_neighbours, frechet_distance,
                                                mean_pairwise_distance)
        from helpers.evaluation.realism import acceptance, summarise_realism
        from helpers.evaluation.targets import summarise
        from helpers.inference.generators import load_generator
        from helpers.inference.translation import load_translator

        config = release_config(checkpoint)
        translator = config.get("kind") == "ccyclegan"
        model = load_translator(checkpoint) if translator else load_generator(checkpoint)
        per_seed, realism, reference = [], [], []
        intended = np.repeat(self.expressions, self.per_expression)
        for seed_index, seed in enumerate(self.seeds):
            made = [self.faces(model, e, seed) for e in self.expressions]
            fake = np.concatenate([faces for faces, _ in made])
            probs, features = self.judge.probs_and_features(fake)
            per_seed.append({
                "seed": seed,
                "conditional_accuracy": conditional_accuracy(probs, intended)["per_expression"],
                "fid": frechet_distance(features, self.real_features),
                "pairwise_distance": mean_pairwise_distance(features),
                "distinct_neighbours": distinct_nearest_neighbours(features, self.neighbours)})
            realism.append(self.realism(fake, intended, features, seed_index))
            if translator:  # the faces it started from, by the expression they were changed to
                sources = np.concatenate([sources for _, sources in made])
                reference.append({"faceness": {m.name: acceptance(m.accepts(sources), intended) for m in self.face_models}})
        reference = reference or self.real_realism
        return {"checkpoint": str(checkpoint), "kind": config.get("kind"), "epoch": config.get("epoch"),
                "truncation": None if translator else recorded_truncation(model.truncation(self.truncation)),
                "split": self.split, "judge": self.judge.fingerprint, "per_expression": self.per_expression,
                "real_accuracy": self.real_accuracy, "fid_floors": self.fid_floors,
                "real_diversity": self.real_diversity, "per_seed": per_seed,
                "summary": summarise(per_seed, self.real_accuracy, self.fid_floors),
                "realism": {"reference": "source faces" if translator else "real Training faces",
                            "per_seed": realism, "reference_per_seed": reference,
                            "summary": summarise_realism(realism, reference, self.real_realism, translator,
                                                         reader=self.reader)}}


def format_targets(results: list[dict]) -> str:
    """Several :class:`TargetEvaluation` results side by side, one column each."""
    from helpers.evaluation.targets import ACCURACY_RATIO, FID_RATIO
    from helpers.inference.judge import JUDGE_FINGERPRINT

    first = results[0]
    names = [f"{r['kind']} ({Path(r['checkpoint']).name})" for r in results]
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
        rows.append({"model": Path(r["checkpoint"]).name, "kind": r["kind"], "epoch": r["epoch"],
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
        row = {"kind": r["kind"], "read against": r["realism"]["reference"]}
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


def evaluate_snapshots(ckpt_dir, evaluation: GeneratorEvaluation, every: int = 1):
    """Score the per-epoch generators a run kept (``--snapshot-every``) in
    ``ckpt_dir/training/generators/epoch_NNNN/``: one row per epoch (a pandas DataFrame)."""
    import pandas as pd

    folders = sorted((Path(ckpt_dir) / "training" / "generators").glob("epoch_*"))
    if not folders:
        raise UserError(f"{ckpt_dir} holds no per-epoch generators; train with --snapshot-every N")
    rows = []
    for folder in folders[every - 1::every]:
        r = evaluation(folder)
        rows.append({"epoch": r["epoch"], "IS": r["inception_score"][0], "IS std": r["inception_score"][1],
                     "real IS": r["real_inception_score"][0], "IS ratio": r["is_ratio"], "FID": r["fid"],
                     "FID floor": r["fid_floor"], "KID": r["kid"],
                     "conditional accuracy": r["conditional_accuracy_macro"],
                     "pairwise distance": r["pairwise_distance"], "real pairwise distance": r["real_pairwise_distance"],
                     "distinct neighbours": r["distinct_neighbours"]})
    return pd.DataFrame(rows)


def recorded_truncation(truncation: float) -> float | None:
    """A truncation as the JSON records store it: ±T, or null for untruncated noise (inf)."""
    return truncation if math.isfinite(truncation) else None


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
    return (f"{r['kind']} epoch {r['epoch']}, {r['n']} faces vs {r['split']}{_truncation(r)}: conditional accuracy "
            f"{100 * r['conditional_accuracy_macro']:.1f}% macro, IS {r['inception_score'][0]:.2f} "
            f"({100 * r['is_ratio']:.0f}% of the real faces' {r['real_inception_score'][0]:.2f}), FID {r['fid']:.1f}")


def format_generator(r: dict) -> str:
    lines = [f"{r['checkpoint']} ({r['kind']}, epoch {r['epoch']}) vs {r['split']}: {r['n']} generated faces, "
             f"as many per expression as the split holds{_truncation(r)}",
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
