"""Scoring checkpoints, like with like: recognizers on a labelled split, generators and
translators against real faces in the judge's feature space (the maths is in
:mod:`helpers.evaluation.metrics`), and the main command's targets. The results are dicts;
:mod:`helpers.evaluation.reports` prints and tabulates them. ``python -m helpers.evaluate`` is the
command over both."""
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
