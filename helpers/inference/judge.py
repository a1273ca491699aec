"""The frozen judge: the one recognizer whose probabilities and 256-d ``features`` score every
generator and translator (conditional accuracy, IS, FID, KID, diversity), as Inception-v3 does
for FID on natural images.

It is a fixed copy of the fourth-stage, batch-norm-recalibrated FER-native VGG, stored under
its own name (``checkpoints/judge/fer_judge_v1.keras``) and checked against its weights'
fingerprint on every load. The shipped recognizer can therefore improve without changing any
generator's figures. No other file is accepted as the judge, and no trainer may use it as a
guide (:func:`refuse_as_guide`): a generator trained towards the judge would be graded by its
own teacher."""
from __future__ import annotations

import numpy as np

from helpers.data import REPO_ROOT
from helpers.errors import UserError

JUDGE_NAME = "fer-judge-v1"
JUDGE_PATH = "checkpoints/judge/fer_judge_v1.keras"  # relative to the repository
JUDGE_FILE = REPO_ROOT / JUDGE_PATH
RESTORE = f"git checkout -- {JUDGE_PATH}"
JUDGE_FINGERPRINT = "a751e0eb8518"


class Judge:
    """Probabilities and features of the frozen judge. ``Judge()`` loads :data:`JUDGE_FILE` and
    refuses it unless its weights' fingerprint is :data:`JUDGE_FINGERPRINT`; ``Judge(model=m)``
    wraps an in-memory recognizer for the tests of the scoring code, and every figure it produces
    carries that model's own fingerprint."""

    def __init__(self, model=None):
        from helpers.inference.recognition import load_recognizer, probs_and_features_model, weights_fingerprint

        from_file = model is None
        if from_file:
            if not JUDGE_FILE.is_file():
                raise UserError(f"the judge {JUDGE_FILE} is missing: restore it with {RESTORE}")
            model = load_recognizer(JUDGE_FILE)
        self.model = model
        self.fingerprint = weights_fingerprint(model)
        if from_file and self.fingerprint != JUDGE_FINGERPRINT:
            raise UserError(f"{JUDGE_FILE} has weights {self.fingerprint}, not the judge's {JUDGE_FINGERPRINT}: the judge "
                            f"never changes; restore it with {RESTORE}")
        self.name = JUDGE_NAME if self.fingerprint == JUDGE_FINGERPRINT else f"unofficial judge {self.fingerprint}"
        self._both = probs_and_features_model(model)

    def probs(self, images, batch_size: int = 512) -> np.ndarray:
        from helpers.inference.recognition import predict_proba

        return predict_proba(self.model, images, batch_size)

    def probs_and_features(self, images, batch_size: int = 512, cache: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """``(probs, features)`` of the same images from one forward pass. With ``cache`` the result
        is kept under :func:`helpers.data.cache_dir`, keyed by the judge's fingerprint and the
        images' bytes: real faces that every evaluation compares with are judged once."""
        from helpers.data import array_fingerprint, cache_dir, write_cache

        images = np.asarray(images)
        cached = None
        if cache:
            cached = cache_dir() / "judged" / f"{self.fingerprint}-{array_fingerprint(images, digits=16)}.npz"
            if cached.exists():
                with np.load(cached) as z:
                    return z["probs"], z["features"]
        batches = [self._both.predict_on_batch(images[i:i + batch_size]) for i in range(0, len(images), batch_size)]
        probs, features = (np.concatenate([np.asarray(b[k]) for b in batches]) for k in (0, 1))
        if cached is not None:
            write_cache(cached, probs=probs, features=features)
        return probs, features

    def features(self, images, batch_size: int = 512, cache: bool = False) -> np.ndarray:
        return self.probs_and_features(images, batch_size, cache)[1]


def refuse_as_guide(model, flag: str = "--guide") -> str:
    """The fingerprint of a network a trainer is about to learn from, refused if it is the judge."""
    from helpers.inference.recognition import weights_fingerprint

    fingerprint = weights_fingerprint(model)
    if fingerprint == JUDGE_FINGERPRINT:
        raise UserError(f"{flag}: that network is the judge ({JUDGE_NAME}, weights {JUDGE_FINGERPRINT}), which scores "
                        "the generators; a generator trained towards it would be graded by its own teacher. "
                        "Guide with another recognizer, e.g. checkpoints/deep_emotion_fer2013.keras")
    return fingerprint


def second_opinion(path) -> Judge:
    """Another recognizer in the judge's place (``helpers.evaluate targets --second-opinion``):
    whether what the judge rewards holds for a network that never scored or guided the model.
    The judge's own weights are refused."""
    from helpers.inference.recognition import load_recognizer

    reader = Judge(model=load_recognizer(path))
    if reader.fingerprint == JUDGE_FINGERPRINT:
        raise UserError(f"{path} has the judge's weights ({JUDGE_FINGERPRINT}): a second opinion is another network; "
                        "leave out --second-opinion to score with the judge")
    return reader
