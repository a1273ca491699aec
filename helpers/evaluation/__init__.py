"""Scoring, like with like: the maths on arrays (:mod:`.metrics`), the scores of recognizers, generators
and translators (:mod:`.scores`), the shipped models' recorded outputs (:mod:`.references`) and the
figures (:mod:`.plots`)."""
