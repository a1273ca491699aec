"""Released models in use: the recognizer as a predictor and as the judge's feature space
(:mod:`.recognition`), generator checkpoints (:mod:`.generators`) and translators (:mod:`.translation`)."""
